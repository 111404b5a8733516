//! CSV with a header row: each row an event, columns → fields (empty cells → no field, as
//! Splunk drops empty values). `_time` from a `_time` column (epoch or ISO-8601). A `_raw`
//! column (Splunk's CSV export) is kept as `_raw`; otherwise `_raw` is the row re-joined.

use super::lines::{is_binary, to_text};
use super::{reorder, Location, Malformed, Record, Records, Source};
use crate::event::Event;
use crate::value::{Atom, Value};

pub(crate) fn records(src: Source, file: String) -> Records {
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(src);
    let headers: Vec<String> = match reader.byte_headers() {
        Ok(h) => h.iter().map(|c| to_text(c.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(c))).collect(),
        Err(e) => {
            let m = Malformed { location: Location::line(&file, 1, 0), message: format!("bad CSV header: {e}") };
            return Box::new(std::iter::once(Record::Malformed(m)));
        }
    };
    let mut record = ::csv::ByteRecord::new();
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        match reader.read_byte_record(&mut record) {
            Ok(false) => {
                done = true;
                None
            }
            Ok(true) if record.iter().any(is_binary) => {
                let (line, offset) = record.position().map(|p| (p.line(), p.byte())).unwrap_or((0, 0));
                let location = Location::line(&file, line, offset);
                Some(Record::Malformed(Malformed { location, message: "binary data, not text".into() }))
            }
            Ok(true) => Some(Record::Event(row_event(&headers, &record, &file))),
            Err(e) => {
                let (line, offset) = e.position().map(|p| (p.line(), p.byte())).unwrap_or((0, 0));
                // An I/O error ends the file; a bad row is skipped.
                if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                    done = true;
                }
                Some(Record::Malformed(Malformed {
                    location: Location::line(&file, line, offset),
                    message: e.to_string(),
                }))
            }
        }
    }))
}

fn row_event(headers: &[String], row: &::csv::ByteRecord, file: &str) -> Event {
    let mut ev = Event::new();
    let mut raw = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        raw.push(quote(cell));
        if cell.is_empty() {
            continue;
        }
        let name = headers.get(i).cloned().unwrap_or_else(|| format!("field{}", i + 1));
        ev.push(&name, Atom::from(to_text(cell)));
    }
    if let Some(t) = ev.get_str("_time").and_then(|s| super::parse_time(&s)) {
        ev.set("_time", Value::num(t));
    }
    if !ev.fields.contains_key("source") {
        ev.set("source", Value::str(file));
    }
    if !ev.fields.contains_key("sourcetype") {
        ev.set("sourcetype", Value::str("csv"));
    }
    if !ev.fields.contains_key("_raw") {
        ev.set("_raw", Value::str(raw.join(",")));
    }
    reorder(ev, &["source", "sourcetype", "host", "_raw"])
}

fn quote(cell: &[u8]) -> String {
    let text = to_text(cell);
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn rows() {
        let text = "_time,user,action\n2020-10-08T11:03:46Z,bob,\n1602155026,\"a,b\",x\n";
        let recs: Vec<Record> = records(Box::new(Cursor::new(text.as_bytes().to_vec())), "t.csv".into()).collect();
        let Record::Event(ev) = &recs[0] else { panic!() };
        assert_eq!(ev.time(), Some(1602155026.0));
        assert!(ev.get("action").is_none());
        let Record::Event(ev) = &recs[1] else { panic!() };
        assert_eq!(ev.get_str("user").unwrap(), "a,b");
        assert_eq!(ev.get_str("_raw").unwrap(), "1602155026,\"a,b\",x");
    }
}
