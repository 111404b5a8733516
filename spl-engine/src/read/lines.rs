//! Line reading with a length cap, so one enormous line cannot exhaust memory.

use std::io::{self, BufRead};

use super::Source;

/// Longest line kept; the rest of a longer line is skipped and the line reported too long.
pub(crate) const MAX_LINE: usize = 16 * 1024 * 1024;

/// One line read: its 1-based number, the byte offset of its start, and whether it was cut.
pub(crate) struct LineInfo {
    pub number: u64,
    pub offset: u64,
    pub truncated: bool,
    /// The line terminator that was removed: `"\r\n"`, `"\n"` or `""` at end of input.
    pub ending: &'static str,
}

pub(crate) struct Lines {
    src: Source,
    number: u64,
    offset: u64,
    max: usize,
}

impl Lines {
    /// Lines of a stream that starts after `number` lines and `offset` bytes of its file.
    pub fn at(src: Source, number: u64, offset: u64) -> Lines {
        Lines { src, number, offset, max: MAX_LINE }
    }

    /// Read the next line into `buf` (cleared first) without its `\n` / `\r\n`.
    /// `Ok(None)` at end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        let start = self.offset;
        let mut truncated = false;
        let mut any = false;
        loop {
            let chunk = match self.src.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = self.max.saturating_sub(buf.len());
            let keep = take.min(room);
            buf.extend_from_slice(chunk.get(..keep).unwrap_or_default());
            if keep < take {
                truncated = true;
            }
            self.src.consume(take);
            self.offset += take as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        let mut ending = "";
        if buf.last() == Some(&b'\n') {
            buf.pop();
            ending = "\n";
            if buf.last() == Some(&b'\r') {
                buf.pop();
                ending = "\r\n";
            }
        }
        Ok(Some(LineInfo { number: self.number, offset: start, truncated, ending }))
    }
}

/// Bytes → text, replacing invalid UTF-8 (Splunk indexes such bytes as U+FFFD too).
pub(crate) fn to_text(bytes: &[u8]) -> String {
    // Valid UTF-8 (nearly all input) is checked by the fast validator; the lossy decoder,
    // which walks the text chunk by chunk, only runs on the rest.
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// NUL bytes, or many control characters, mean this is not a log line.
pub(crate) fn is_binary(line: &[u8]) -> bool {
    let controls = line.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | b'\x0c')).count();
    line.contains(&0) || controls * 10 > line.len()
}
