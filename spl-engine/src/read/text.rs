//! Any other text (vendor logs such as `pan:traffic`): one event per non-empty line. No time is
//! guessed; `_time` is absent. The sourcetype comes from `--sourcetype` only.

use super::lines::{is_binary, to_text, Lines};
use super::split::{Judged, Keep};
use super::{Location, Malformed, Record, Source};
use crate::event::Event;
use crate::value::Value;

pub(crate) struct TextRecords<'j> {
    lines: Lines,
    file: String,
    buf: Vec<u8>,
    done: bool,
    /// Judges each line before it becomes an event (`judged`).
    keep: Option<Keep<'j>>,
    skipped: u64,
}

impl TextRecords<'static> {
    /// Records of a stream that starts after `line` lines and `offset` bytes of its file.
    pub fn at(src: Source, file: String, line: u64, offset: u64) -> Self {
        TextRecords::judged(src, file, line, offset, None)
    }
}

impl<'j> TextRecords<'j> {
    fn judged(src: Source, file: String, line: u64, offset: u64, keep: Option<Keep<'j>>) -> Self {
        let lines = Lines::at(src, line, offset);
        TextRecords { lines, file, buf: Vec::new(), done: false, keep, skipped: 0 }
    }
}

/// `TextRecords::at`, each line judged by `keep` first (`_raw` is the line).
pub(crate) fn judged(src: Source, file: String, line: u64, offset: u64, keep: Keep<'_>) -> impl Judged + '_ {
    TextRecords::judged(src, file, line, offset, Some(keep))
}

impl Judged for TextRecords<'_> {
    fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl Iterator for TextRecords<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        while !self.done {
            let info = match self.lines.next_line(&mut self.buf) {
                Ok(Some(info)) => info,
                Ok(None) => break,
                Err(e) => {
                    self.done = true;
                    let message = format!("read error: {e}");
                    return Some(Record::Malformed(Malformed { location: Location::file(&self.file), message }));
                }
            };
            if info.truncated {
                let location = Location::line(&self.file, info.number, info.offset);
                return Some(Record::Malformed(Malformed { location, message: "line longer than 16 MiB".into() }));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Some(keep) = self.keep.as_mut() {
                if !keep(&self.buf) {
                    self.skipped += 1;
                    continue;
                }
            }
            if is_binary(&self.buf) {
                let location = Location::line(&self.file, info.number, info.offset);
                return Some(Record::Malformed(Malformed { location, message: "binary data, not text".into() }));
            }
            let mut ev = Event::new();
            ev.set("source", Value::str(self.file.as_str()));
            ev.set("_raw", Value::str(to_text(&self.buf)));
            return Some(Record::Event(ev));
        }
        self.done = true;
        None
    }
}
