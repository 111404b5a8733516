//! CSV with a header row: each row an event, columns → fields (empty cells → no field, as
//! Splunk drops empty values). `_time` from a `_time` column (epoch or ISO-8601). A `_raw`
//! column (Splunk's CSV export) is kept as `_raw`; otherwise `_raw` is the row re-joined.

use super::lines::{is_binary, to_text};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{reorder, Location, Malformed, Record, Records, Source};
use crate::event::Event;
use crate::value::{Atom, Value};

pub(crate) fn records(src: Source, file: String) -> Records {
    let (src, row_bytes) = capped(src);
    let mut reader = reader(src);
    let headers = match reader.byte_headers() {
        Ok(h) => header_names(h),
        Err(e) => {
            let m = Malformed { location: Location::line(&file, 1, 0), message: format!("bad CSV header: {e}") };
            return Box::new(std::iter::once(Record::Malformed(m)));
        }
    };
    let record = ::csv::ByteRecord::new();
    let mut rows = Rows { reader, row_bytes, record, headers: headers.into(), file, line: 0, offset: 0, done: false };
    Box::new(std::iter::from_fn(move || rows.next(None)))
}

/// The rows of a stream that starts where a row starts, after `line` lines and `offset`
/// bytes of its file, under the file's `headers`.
pub(crate) fn rows_at(src: Source, file: String, headers: Arc<[String]>, line: u64, offset: u64) -> Records {
    let mut rows = Rows::at(src, file, headers, line, offset);
    Box::new(std::iter::from_fn(move || rows.next(None)))
}

/// A row is read whole, so one that never ends (an unclosed quote holds the rest of the file)
/// would be held whole: past `MAX_LINE` bytes of one row the file is given up, as a line that
/// long is. The count is of bytes taken from the source since the row began (the CSV reader's
/// read-ahead included).
struct Capped {
    src: Source,
    row_bytes: Arc<AtomicUsize>,
}

const ROW_TOO_LONG: &str = "a row longer than 16 MiB (an unclosed quote?): the rest of the file is not read";

/// `src` counting what it gives into the returned counter, which `Rows` resets at each row.
fn capped(src: Source) -> (Source, Arc<AtomicUsize>) {
    let row_bytes = Arc::new(AtomicUsize::new(0));
    (Box::new(Capped { src, row_bytes: Arc::clone(&row_bytes) }), row_bytes)
}

impl std::io::Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let from = std::io::BufRead::fill_buf(self)?;
            let n = from.len().min(buf.len());
            if let (Some(to), Some(from)) = (buf.get_mut(..n), from.get(..n)) {
                to.copy_from_slice(from);
            }
            n
        };
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Capped {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.row_bytes.load(Ordering::Relaxed) > super::lines::MAX_LINE {
            return Err(std::io::Error::other(ROW_TOO_LONG));
        }
        self.src.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.row_bytes.fetch_add(n, Ordering::Relaxed);
        self.src.consume(n);
    }
}

fn reader(src: Source) -> ::csv::Reader<Source> {
    ::csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(src)
}

/// A reader of rows with no header row, as `reader` reads the rows after its header: blocks
/// are cut and read by the same dialect.
fn row_reader<R: std::io::Read>(src: R) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(src)
}

fn header_names(h: &::csv::ByteRecord) -> Vec<String> {
    h.iter().map(|c| to_text(c.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(c))).collect()
}

/// `rows_at`, each row judged by `keep` before it is made an event (`row_text`); with the
/// number of rows left out.
pub(crate) fn judged(
    src: Source,
    file: String,
    headers: Arc<[String]>,
    line: u64,
    offset: u64,
    keep: super::split::Keep<'_>,
) -> (Vec<Record>, u64) {
    let mut rows = Rows::at(src, file, headers, line, offset);
    let (mut text, mut skipped, mut out) = (Vec::new(), 0, Vec::new());
    let mut judge = |headers: &[String], row: &::csv::ByteRecord| {
        row_text(headers, row, &mut text);
        let kept = keep(&text);
        skipped += u64::from(!kept);
        kept
    };
    while let Some(r) = rows.next(Some(&mut judge)) {
        out.push(r);
    }
    (out, skipped)
}

/// The text a row is judged by, lower-cased into `out`: its cells apart (every value the row
/// gives a field), then, unless a `_raw` cell is filled, the row re-joined (its `_raw`).
fn row_text(headers: &[String], row: &::csv::ByteRecord, out: &mut Vec<u8>) {
    out.clear();
    for cell in row {
        push_text(out, cell);
        out.push(b'\n');
    }
    let raw_cell = headers.iter().position(|h| h == "_raw").and_then(|i| row.get(i));
    if raw_cell.is_none_or(<[u8]>::is_empty) {
        rejoin_into(row, out);
    }
    out.make_ascii_lowercase();
}

/// Whether a row (under its headers) is made an event.
type RowJudge<'j> = dyn FnMut(&[String], &::csv::ByteRecord) -> bool + 'j;

/// Rows read one at a time, as events or malformed records.
struct Rows {
    reader: ::csv::Reader<Source>,
    /// What the source gave since the row began (`Capped`).
    row_bytes: Arc<AtomicUsize>,
    record: ::csv::ByteRecord,
    headers: Arc<[String]>,
    file: String,
    line: u64,
    offset: u64,
    done: bool,
}

impl Rows {
    /// `rows_at`'s rows, to read one at a time.
    fn at(src: Source, file: String, headers: Arc<[String]>, line: u64, offset: u64) -> Rows {
        let (src, row_bytes) = capped(src);
        let record = ::csv::ByteRecord::new();
        Rows { reader: row_reader(src), row_bytes, record, headers, file, line, offset, done: false }
    }

    /// The next row kept by `keep` (all when `None`), or the next malformed one.
    fn next(&mut self, mut keep: Option<&mut RowJudge<'_>>) -> Option<Record> {
        let at = |this: &Self, p: Option<&::csv::Position>| {
            let (l, o) = p.map(|p| (p.line(), p.byte())).unwrap_or((0, 0));
            Location::line(&this.file, this.line + l, this.offset + o)
        };
        while !self.done {
            // What the reader buffered ahead counts for the next row too: a bound, not a measure.
            self.row_bytes.store(0, Ordering::Relaxed);
            let start = self.reader.position().clone();
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => self.done = true,
                Ok(true) if self.record.iter().any(is_binary) => {
                    let location = at(self, self.record.position());
                    return Some(Record::Malformed(Malformed { location, message: "binary data, not text".into() }));
                }
                Ok(true) if keep.as_mut().is_some_and(|k| !k(&self.headers, &self.record)) => {}
                Ok(true) => return Some(Record::Event(row_event(&self.headers, &self.record, &self.file))),
                Err(e) => {
                    // An I/O error ends the file; a bad row is skipped.
                    if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    // An I/O error has no position of its own: the row's start.
                    let location = at(self, e.position().or(Some(&start)));
                    return Some(Record::Malformed(Malformed { location, message: e.to_string() }));
                }
            }
        }
        None
    }
}

/// Where the rows of `buf` (which starts where a record starts) may be cut: the start of the
/// first record that begins past `from`, as the CSV reader itself finds it, so never inside a
/// quoted value. The reader resumes there as a reader of the whole input would: after a
/// record's terminator it starts a record, and the `\n` of a `\r\n` left for the next block is
/// a blank line, skipped. Not at the end of `buf`: the last record may go on past it.
pub(crate) fn find_cut(buf: &[u8], from: usize) -> Result<usize, usize> {
    let mut reader = row_reader(buf);
    let mut record = ::csv::ByteRecord::new();
    while let Ok(true) = reader.read_byte_record(&mut record) {
        let next = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        if next >= buf.len() {
            break;
        }
        if next > from {
            return Ok(next);
        }
    }
    Err(buf.len())
}

/// The header row at the start of `bytes` (whole records): its names, and where the rows
/// start.
pub(crate) fn split_header(bytes: &[u8]) -> (Arc<[String]>, usize) {
    let mut reader = row_reader(bytes);
    let mut record = ::csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {
            let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(bytes.len());
            (header_names(&record).into(), end)
        }
        // Reading from memory cannot fail; nothing but blank lines: no columns, no rows.
        _ => (Vec::new().into(), bytes.len()),
    }
}

fn row_event(headers: &[String], row: &::csv::ByteRecord, file: &str) -> Event {
    let mut ev = Event::new();
    for (i, cell) in row.iter().enumerate() {
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
        ev.set("_raw", Value::str(rejoined(row)));
    }
    reorder(ev, &["source", "sourcetype", "host", "_raw"])
}

/// The row as one line of CSV: its `_raw` when it has none of its own.
fn rejoined(row: &::csv::ByteRecord) -> String {
    let mut out = Vec::new();
    rejoin_into(row, &mut out);
    to_text(&out)
}

/// Append the row as one line of CSV: cells as text, joined by commas, those holding a comma,
/// quote or line break quoted (quotes doubled).
fn rejoin_into(row: &::csv::ByteRecord, out: &mut Vec<u8>) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if !cell.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            push_text(out, cell);
            continue;
        }
        out.push(b'"');
        for (j, piece) in cell.split(|&b| b == b'"').enumerate() {
            if j > 0 {
                out.extend_from_slice(b"\"\"");
            }
            push_text(out, piece);
        }
        out.push(b'"');
    }
}

/// Append a cell as its field's value holds it (`to_text`).
fn push_text(out: &mut Vec<u8>, cell: &[u8]) {
    match std::str::from_utf8(cell) {
        Ok(_) => out.extend_from_slice(cell),
        Err(_) => out.extend_from_slice(String::from_utf8_lossy(cell).as_bytes()),
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

    #[test]
    fn a_row_without_raw_is_rejoined_as_csv_text() {
        let row = ::csv::ByteRecord::from(vec![&b"a"[..], b"b,c", b"say \"hi\"", b"two\r\nlines", b"", b"bad \xff\"q"]);
        assert_eq!(rejoined(&row), "a,\"b,c\",\"say \"\"hi\"\"\",\"two\r\nlines\",,\"bad \u{fffd}\"\"q\"");
    }

    /// Rows adding up to more than a line may be read as ever; a row that never ends (an
    /// unclosed quote) is given up past `MAX_LINE` bytes, where it starts, after the rows before.
    #[test]
    fn a_row_that_never_ends_is_given_up_where_it_starts() {
        let max = super::super::lines::MAX_LINE;
        let mut text = String::from("a,b\n");
        let row = format!("1,{}\n", "x".repeat(999));
        while text.len() < max + 4096 {
            text.push_str(&row);
        }
        let whole_rows = text.lines().count() - 1;
        let read = |text: &str| -> Vec<Record> {
            records(Box::new(Cursor::new(text.as_bytes().to_vec())), "t.csv".into()).collect()
        };
        assert_eq!(read(&text).iter().filter(|r| matches!(r, Record::Event(_))).count(), whole_rows);

        text.push_str("2,\"open\n");
        // Past the cap by more than the reader reads ahead (8 KiB), which counts for the row before.
        text.push_str(&"y\n".repeat(max / 2 + 10_000));
        let recs = read(&text);
        assert_eq!(recs.iter().filter(|r| matches!(r, Record::Event(_))).count(), whole_rows);
        let Some(Record::Malformed(m)) = recs.last() else { panic!("a malformed row last") };
        assert_eq!(m.location.to_string(), format!("t.csv:{}", whole_rows + 2));
        assert!(m.message.contains("a row longer than 16 MiB"), "{}", m.message);
    }
}
