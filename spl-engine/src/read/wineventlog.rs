//! Classic WinEventLog text: multi-line blocks, each starting with a timestamp line
//! (`04/22/2020 09:19:51 PM`) followed by `key=value` header lines (`LogName=Security`,
//! `EventCode=4688`, …) and a `Message=` whose text runs to the next block.
//!
//! Besides the header fields, the `Name:  value` lines of the message become fields the way
//! Splunk's automatic key/value extraction names them: non-alphanumerics → `_`
//! (`Account Name` → `Account_Name`); a repeated name (Subject and Target `Account Name`) is
//! multivalue, in message order.

use std::collections::VecDeque;

use super::lines::{to_text, LineInfo, Lines};
use super::split::{Judged, Keep};
use super::{host_from_computer, reorder, Location, Malformed, Record, Source};
use crate::event::Event;
use crate::value::{Atom, Value};

/// A block longer than this is cut (and reported), so memory stays bounded.
const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;

/// `MM/DD/YYYY hh:mm:ss AM|PM`.
pub(crate) fn is_timestamp_line(line: &[u8]) -> bool {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line).trim_ascii_end();
    let shape = b"00/00/0000 00:00:00 AM";
    line.len() == shape.len()
        && line.iter().zip(shape.iter()).all(|(&c, &s)| match s {
            b'0' => c.is_ascii_digit(),
            b'A' => c == b'A' || c == b'P',
            other => c == other,
        })
}

/// The first place in `buf` to cut classic WinEventLog text (just after a newline at or past
/// `from`), or where to look again once more is read (see `split::LineSplitter`): where a
/// block starts, a timestamp line followed by a `LogName=` line, as the reader finds them.
/// What precedes a block start is always the end of the block before it.
pub(crate) fn find_cut(buf: &[u8], from: usize) -> Result<usize, usize> {
    let from = from.min(buf.len());
    for nl in memchr::memchr_iter(b'\n', buf.get(from..).unwrap_or_default()).map(|p| p + from) {
        let rest = buf.get(nl + 1..).unwrap_or_default();
        // The timestamp line and the start of the next one must be read to judge.
        let Some(end) = memchr::memchr(b'\n', rest) else { return Err(nl) };
        let first = rest.get(..end).unwrap_or_default();
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        if !is_timestamp_line(first) {
            continue;
        }
        let next = rest.get(end + 1..).unwrap_or_default();
        if next.len() < b"LogName=".len() && !next.contains(&b'\n') {
            return Err(nl);
        }
        if next.starts_with(b"LogName=") {
            return Ok(nl + 1);
        }
    }
    Err(buf.len())
}

struct Line {
    info: LineInfo,
    text: Vec<u8>,
}

pub(crate) struct WinEventLogRecords<'j> {
    lines: Lines,
    file: String,
    /// Look-ahead: a block starts at a timestamp line followed by a `LogName=` line.
    ahead: VecDeque<Line>,
    done: bool,
    /// Judges each block, its lines lower-cased and joined by newlines, before it becomes an
    /// event (`judged`); `text` is where that text is built.
    keep: Option<Keep<'j>>,
    text: Vec<u8>,
    skipped: u64,
}

impl WinEventLogRecords<'static> {
    /// Records of a stream that starts after `line` lines and `offset` bytes of its file.
    pub fn at(src: Source, file: String, line: u64, offset: u64) -> Self {
        WinEventLogRecords::judged(src, file, line, offset, None)
    }
}

/// `WinEventLogRecords::at`, each block judged by `keep` first (its values and `_raw` lie in
/// its lines).
pub(crate) fn judged(src: Source, file: String, line: u64, offset: u64, keep: Keep<'_>) -> impl Judged + '_ {
    WinEventLogRecords::judged(src, file, line, offset, Some(keep))
}

impl Judged for WinEventLogRecords<'_> {
    fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<'j> WinEventLogRecords<'j> {
    fn judged(src: Source, file: String, line: u64, offset: u64, keep: Option<Keep<'j>>) -> Self {
        let lines = Lines::at(src, line, offset);
        WinEventLogRecords { lines, file, ahead: VecDeque::new(), done: false, keep, text: Vec::new(), skipped: 0 }
    }

    fn read_line(&mut self) -> Result<Option<Line>, Malformed> {
        if self.done {
            return Ok(None);
        }
        let mut text = Vec::new();
        match self.lines.next_line(&mut text) {
            Ok(Some(info)) => Ok(Some(Line { info, text })),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(Malformed { location: Location::file(&self.file), message: format!("read error: {e}") })
            }
        }
    }

    fn read(&mut self) -> Result<Option<Line>, Malformed> {
        match self.ahead.pop_front() {
            Some(l) => Ok(Some(l)),
            None => self.read_line(),
        }
    }

    /// Whether `line` starts a block (looks at the line after it).
    fn starts_block(&mut self, line: &Line) -> Result<bool, Malformed> {
        if !is_timestamp_line(&line.text) {
            return Ok(false);
        }
        if self.ahead.is_empty() {
            if let Some(l) = self.read_line()? {
                self.ahead.push_back(l);
            }
        }
        Ok(self.ahead.front().is_some_and(|next| next.text.starts_with(b"LogName=")))
    }

    fn next_record(&mut self) -> Result<Option<Record>, Malformed> {
        loop {
            // Find a block start; other text before it is reported once per run of lines.
            let mut stray: Option<Location> = None;
            let first = loop {
                let Some(line) = self.read()? else {
                    return Ok(stray.map(stray_record));
                };
                if self.starts_block(&line)? {
                    if let Some(location) = stray {
                        self.ahead.push_front(line);
                        return Ok(Some(stray_record(location)));
                    }
                    break line;
                }
                if stray.is_none() && !line.text.trim_ascii().is_empty() {
                    stray = Some(Location::line(&self.file, line.info.number, line.info.offset));
                }
            };
            let location = Location::line(&self.file, first.info.number, first.info.offset);
            let mut block = vec![first];
            let mut size = 0usize;
            while let Some(next) = self.read()? {
                if self.starts_block(&next)? {
                    self.ahead.push_front(next);
                    break;
                }
                size += next.text.len();
                // Past the cap, lines are dropped until the next block; the block is reported.
                if size <= MAX_BLOCK_BYTES {
                    block.push(next);
                }
            }
            if size > MAX_BLOCK_BYTES {
                return Ok(Some(Record::Malformed(Malformed {
                    location,
                    message: "event block larger than 16 MiB".into(),
                })));
            }
            if let Some(keep) = self.keep.as_mut() {
                self.text.clear();
                for line in &block {
                    self.text.extend(line.text.iter().map(u8::to_ascii_lowercase));
                    self.text.push(b'\n');
                }
                if !keep(&self.text) {
                    self.skipped += 1;
                    // A rejected block: on to the next one (which starts where this one ended).
                    continue;
                }
            }
            return Ok(Some(Record::Event(block_event(&block))));
        }
    }
}

impl Iterator for WinEventLogRecords<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        match self.next_record() {
            Ok(r) => r,
            Err(m) => Some(Record::Malformed(m)),
        }
    }
}

fn stray_record(location: Location) -> Record {
    Record::Malformed(Malformed { location, message: "text outside any WinEventLog event".into() })
}

fn block_event(block: &[Line]) -> Event {
    let mut ev = Event::new();
    let mut raw = String::new();
    let mut message: Option<String> = None;
    for (i, line) in block.iter().enumerate() {
        let text = to_text(&line.text);
        raw.push_str(&text);
        if i + 1 < block.len() {
            raw.push_str(line.info.ending);
        }
        if i == 0 {
            if let Some(t) = super::parse_time(&text) {
                ev.set("_time", Value::num(t));
            }
            continue;
        }
        if let Some(m) = message.as_mut() {
            m.push('\n');
            m.push_str(&text);
            continue;
        }
        if let Some((key, value)) = text.split_once('=') {
            if key == "Message" {
                message = Some(value.to_string());
            } else if !value.is_empty() && !key.is_empty() {
                ev.push(key, Atom::from(value));
            }
        }
    }
    if let Some(m) = message {
        for line in m.lines() {
            if let Some((k, v)) = message_kv(line) {
                ev.push(&k, Atom::from(v));
            }
        }
        if !m.is_empty() {
            ev.set("Message", Value::str(m));
        }
    }
    if let Some(log) = ev.get_str("LogName").map(|s| s.into_owned()) {
        ev.set("source", Value::str(format!("WinEventLog:{log}")));
    }
    ev.set("sourcetype", Value::str("WinEventLog"));
    if let Some(host) = ev.get_str("ComputerName").map(|c| host_from_computer(&c).to_string()) {
        ev.set("host", Value::str(host));
    }
    ev.set("_raw", Value::str(raw));
    reorder(ev, &["source", "sourcetype", "host", "_raw"])
}

/// A message line `Key:<spaces/tabs>value` → (`Key` cleaned, value).
fn message_kv(line: &str) -> Option<(String, &str)> {
    let (key, value) = line.split_once(':')?;
    if !value.starts_with([' ', '\t']) {
        return None;
    }
    let key = key.trim();
    let value = value.trim();
    if key.is_empty() || value.is_empty() || key.len() > 64 {
        return None;
    }
    let clean: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    Some((clean, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn blocks() {
        let text = "junk\n04/22/2020 09:19:51 PM\nLogName=Security\nEventCode=4688\nComputerName=win-1.corp.local\nMessage=A new process has been created.\r\n\r\nCreator Subject:\r\n\tAccount Name:\t\tAdministrator\r\n\tAccount Name:\t\t-\r\n\tProcess Command Line:\t\r\n04/22/2020 09:19:52 PM\nLogName=System\nEventCode=7045\nMessage=x\n";
        let recs: Vec<Record> =
            WinEventLogRecords::at(Box::new(Cursor::new(text.as_bytes().to_vec())), "w.log".into(), 0, 0).collect();
        assert_eq!(recs.len(), 3);
        let Record::Malformed(m) = &recs[0] else { panic!() };
        assert_eq!(m.location.to_string(), "w.log:1");
        let Record::Event(ev) = &recs[1] else { panic!() };
        assert_eq!(ev.time(), Some(1587590391.0));
        assert_eq!(ev.get_str("EventCode").unwrap(), "4688");
        assert_eq!(ev.get("Account_Name").unwrap(), &Value::Many(vec!["Administrator".into(), "-".into()]));
        assert!(ev.get("Process_Command_Line").is_none());
        assert_eq!(ev.get_str("source").unwrap(), "WinEventLog:Security");
        assert_eq!(ev.get_str("host").unwrap(), "win-1");
        assert!(ev.get_str("_raw").unwrap().starts_with("04/22/2020 09:19:51 PM\nLogName=Security\n"));
        assert!(ev.get_str("_raw").unwrap().ends_with("Process Command Line:\t"));
        let Record::Event(ev) = &recs[2] else { panic!() };
        assert_eq!(ev.get_str("EventCode").unwrap(), "7045");
    }
}
