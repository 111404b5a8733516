//! Splunk's XmlWinEventLog text: one `<Event xmlns=…>…</Event>` element per record, usually one
//! per line, sometimes spanning lines. Records are split on raw bytes first ([`XmlSplitter`]), so
//! a byte prefilter can skip parsing, and each record is then parsed on its own
//! ([`parse_xml_event`]); the EVTX reader feeds its rendered XML to the same parser.
//!
//! Field naming follows Splunk's Windows TA generic extraction (cim-mapping.md §1.3): `System`
//! leaf elements by element name, `System` attributes by attribute name (`Name`/`Guid` of
//! Provider, `SystemTime`, `ProcessID`, `ThreadID`, `UserID`, `Qualifiers`, …), and every
//! `EventData/Data[@Name]` by its Name. Values are the text as written, entities NOT decoded
//! (§1.4: Splunk's regex extractions keep `&amp;`, and ESCU searches rely on it).

use std::borrow::Cow;

use memchr::memmem::Finder;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

use super::lines::to_text;
use super::{host_from_computer, reorder, Location, Malformed, Record, Source};
use crate::event::Event;
use crate::value::{Atom, Value};

/// The sourcetype of every record this reader makes (the prefilter knows it before parsing).
pub const SOURCETYPE: &str = "XmlWinEventLog";

/// Deepest element nesting accepted; deeper input is reported malformed, never recursed into.
const MAX_DEPTH: usize = 64;
/// Largest single record kept in memory while looking for its end.
const MAX_RECORD: usize = 16 * 1024 * 1024;

/// Bytes one `fill` reads.
const FILL_BYTES: u64 = 256 * 1024;
/// Room a block's buffer keeps beyond its target for the read that crosses it.
const BLOCK_SLACK: usize = 128 * 1024;

const START: &[u8] = b"<Event";
const END: &[u8] = b"</Event>";

/// One record's raw bytes and where it starts.
#[derive(Clone, Debug)]
pub struct RawXml {
    pub bytes: Vec<u8>,
    pub line: u64,
    pub byte_offset: u64,
}

/// Split a byte stream into `<Event>…</Event>` records without parsing them. Text outside
/// records that is not markup (e.g. an `<Events>` wrapper) and truncated records come out as
/// errors, and splitting goes on.
pub fn split_xml_records(src: Source, file: String) -> XmlSplitter {
    XmlSplitter {
        src,
        file,
        buf: Vec::new(),
        pos: 0,
        buf_offset: 0,
        buf_line: 1,
        eof: false,
        start: Finder::new(START).into_owned(),
        end: Finder::new(END).into_owned(),
        gap_reported: false,
    }
}

pub struct XmlSplitter {
    src: Source,
    file: String,
    /// Unconsumed bytes are `buf[pos..]`; `buf_offset`/`buf_line` describe `buf[pos]`.
    buf: Vec<u8>,
    pos: usize,
    buf_offset: u64,
    buf_line: u64,
    eof: bool,
    start: Finder<'static>,
    end: Finder<'static>,
    /// The stray text being consumed was reported already: a stretch between two records is
    /// one malformed record, however many reads it takes.
    gap_reported: bool,
}

impl XmlSplitter {
    fn pending(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Drop `n` pending bytes, keeping the line/offset counters right.
    fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len() - self.pos.min(self.buf.len()));
        let gone = self.buf.get(self.pos..self.pos + n).unwrap_or_default();
        self.buf_line += memchr::memchr_iter(b'\n', gone).count() as u64;
        self.buf_offset += n as u64;
        self.pos += n;
    }

    fn location(&self) -> Location {
        Location::line(&self.file, self.buf_line, self.buf_offset)
    }

    /// Append the next chunk of input; false at end of input (or on a read error, reported).
    fn fill(&mut self) -> Result<bool, Malformed> {
        if self.eof {
            return Ok(false);
        }
        // Compact once the consumed prefix dominates, so memory stays at about one chunk.
        if self.pos > 0 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // Straight into the buffer's spare room: a read this large bypasses the reader's own
        // buffer, saving a copy of every byte.
        use std::io::Read;
        match (&mut self.src).take(FILL_BYTES).read_to_end(&mut self.buf) {
            Ok(0) => {
                self.eof = true;
                Ok(false)
            }
            Ok(_) => Ok(true),
            Err(e) => {
                self.eof = true;
                Err(Malformed { location: self.location(), message: format!("read error: {e}") })
            }
        }
    }

    /// Position of the next `<Event` start tag in `hay` (not `<EventData`, `<EventID`…).
    /// `None` also when a candidate sits at the very end and the next byte is still unknown.
    fn find_start(&self, hay: &[u8], from: usize) -> Option<usize> {
        let tail = hay.get(from..)?;
        self.start
            .find_iter(tail)
            .map(|i| i + from)
            .find(|&i| matches!(hay.get(i + START.len()), Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/')))
    }

    /// Report non-markup text in the gap before a record (or before end of input).
    fn check_gap(&mut self, len: usize) -> Option<Malformed> {
        let gap = self.pending().get(..len).unwrap_or_default();
        let lead = gap.iter().position(|b| !b.is_ascii_whitespace());
        let bad = match lead {
            None => None,
            Some(i) => {
                let rest = gap.get(i..).unwrap_or_default();
                let rest = rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest);
                let markup = rest.first().is_none_or(|&b| b == b'<');
                (!markup).then_some(i)
            }
        };
        match bad {
            None => {
                self.consume(len);
                None
            }
            Some(_) if self.gap_reported => {
                self.consume(len);
                None
            }
            Some(i) => {
                self.consume(i);
                let loc = self.location();
                self.consume(len - i);
                self.gap_reported = true;
                Some(Malformed { location: loc, message: "text outside any <Event> record".to_string() })
            }
        }
    }
}

impl XmlSplitter {
    /// Skip, without copying or parsing, whole records ahead that contain none of `anchor`'s
    /// patterns; returns how many. A region is skipped only when its record starts and ends
    /// pair up, so truncated records are still met (and reported) by `next`.
    pub fn skip_without(&mut self, find: &dyn Fn(&[u8]) -> Option<usize>) -> u64 {
        let mut skipped = 0;
        loop {
            let pending = self.pending();
            let hit = find(pending);
            let found = hit.is_some();
            let limit = match hit {
                // Up to the start of the record holding the match.
                Some(m) => self.last_start_at_or_before(pending, m),
                // Up to the end of the last complete record in the buffer.
                None => memchr::memmem::rfind(pending, END).map_or(0, |e| e + END.len()),
            };
            if limit > 0 {
                let region = pending.get(..limit).unwrap_or_default();
                let (starts, ends) = count_tags(region);
                if starts != ends {
                    return skipped; // something malformed in there: let `next` handle it
                }
                skipped += ends as u64;
                self.consume(limit);
                if ends > 0 {
                    self.gap_reported = false;
                }
            }
            if found || self.eof {
                return skipped;
            }
            match self.fill() {
                Ok(true) => {}
                _ => return skipped,
            }
        }
    }

    /// Cut the input ahead into a block of whole records of about `target` bytes (ending right
    /// after a `</Event>`), as a splitter of its own over those bytes, so that blocks can be
    /// split, filtered and parsed on several threads. Splitting a block gives the same records
    /// and errors as splitting the stream: every record start before the cut has its end before
    /// it. `None` at end of input.
    /// `spare` is a buffer to read on into (a finished block's, to save fresh pages). Lines are
    /// counted from 1 again in each block ([`XmlSplitter::lines_seen`] tells how many it held),
    /// so that this thread need not count them; byte offsets are absolute.
    pub fn next_block(&mut self, target: usize, spare: Vec<u8>) -> Option<Result<XmlSplitter, Malformed>> {
        loop {
            let pending = self.pending();
            if pending.len() >= target || self.eof {
                let cut = match memchr::memmem::rfind(pending, END) {
                    Some(e) => e + END.len(),
                    // No record end in sight: hand over everything once it cannot grow into one.
                    None if self.eof || pending.len() > MAX_RECORD => pending.len(),
                    None => 0,
                };
                // At end of input the trailing text (a truncated record, a wrapper) goes too.
                let cut = if self.eof { pending.len() } else { cut };
                if cut > 0 {
                    let mut tail = spare;
                    tail.clear();
                    tail.reserve(target + BLOCK_SLACK);
                    tail.extend_from_slice(self.buf.get(self.pos + cut..).unwrap_or_default());
                    self.buf.truncate(self.pos + cut);
                    let bytes = std::mem::replace(&mut self.buf, tail);
                    let block = XmlSplitter {
                        src: Box::new(std::io::empty()),
                        file: self.file.clone(),
                        buf: bytes,
                        pos: self.pos,
                        buf_offset: self.buf_offset,
                        buf_line: 1,
                        eof: true,
                        start: self.start.clone(),
                        end: self.end.clone(),
                        gap_reported: false,
                    };
                    self.buf_offset += cut as u64;
                    self.pos = 0;
                    return Some(Ok(block));
                }
                if self.eof {
                    return None;
                }
            }
            match self.fill() {
                Ok(_) => {}
                Err(m) => return Some(Err(m)),
            }
        }
    }

    /// Newlines consumed so far (all of a block's once it is split to the end).
    pub fn lines_seen(&self) -> u64 {
        self.buf_line - 1
    }

    /// The buffer, for reuse.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    fn last_start_at_or_before(&self, hay: &[u8], pos: usize) -> usize {
        // Search backwards from the match: the enclosing record's start is the nearest one.
        let upto = hay.get(..pos.saturating_add(1).min(hay.len())).unwrap_or_default();
        let mut end = upto.len();
        while let Some(s) = memchr::memmem::rfind(upto.get(..end).unwrap_or_default(), START) {
            if matches!(hay.get(s + START.len()), Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/')) {
                return s;
            }
            end = s;
        }
        0
    }
}

/// Record start tags (`<Event` followed by what `find_start` accepts) and end tags in one pass:
/// every one of them holds `Event`, which is rare enough in XmlWinEventLog text (a few tag
/// names a record) for one substring search to beat one search per tag.
fn count_tags(region: &[u8]) -> (usize, usize) {
    static EVENT: std::sync::LazyLock<Finder<'static>> = std::sync::LazyLock::new(|| Finder::new(b"Event"));
    let (mut starts, mut ends) = (0, 0);
    for i in EVENT.find_iter(region) {
        let before = |n: usize| i.checked_sub(n).and_then(|j| region.get(j));
        let after = region.get(i + 5);
        match (before(2), before(1), after) {
            (Some(b'<'), Some(b'/'), Some(b'>')) => ends += 1,
            (_, Some(b'<'), Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/')) => starts += 1,
            _ => {}
        }
    }
    (starts, ends)
}

impl Iterator for XmlSplitter {
    type Item = Result<RawXml, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let pending = self.pending();
            let Some(s) = self.find_start(pending, 0) else {
                // No record start yet: keep a short tail that may be the beginning of `<Event`.
                if self.eof {
                    let len = self.pending().len();
                    return self.check_gap(len).map(Err);
                }
                let keep = START.len();
                let drop = pending.len().saturating_sub(keep);
                if drop > 0 {
                    if let Some(m) = self.check_gap(drop) {
                        return Some(Err(m));
                    }
                }
                match self.fill() {
                    Ok(_) => continue,
                    Err(m) => return Some(Err(m)),
                }
            };
            if s > 0 {
                if let Some(m) = self.check_gap(s) {
                    return Some(Err(m));
                }
                continue;
            }
            // A record starts at `pending[0]`: find its end, or the next start (truncation).
            let end = self.end.find(pending.get(START.len()..).unwrap_or_default()).map(|i| i + START.len());
            let next = self.find_start(pending, START.len());
            match (end, next) {
                (Some(e), n) if n.is_none_or(|n| e < n) => {
                    let len = e + END.len();
                    let raw = RawXml {
                        bytes: pending.get(..len).unwrap_or_default().to_vec(),
                        line: self.buf_line,
                        byte_offset: self.buf_offset,
                    };
                    self.consume(len);
                    self.gap_reported = false;
                    return Some(Ok(raw));
                }
                (_, Some(n)) => {
                    let loc = self.location();
                    self.consume(n);
                    self.gap_reported = false;
                    return Some(Err(Malformed { location: loc, message: "truncated <Event> record".to_string() }));
                }
                (_, None) => {
                    if self.eof || pending.len() > MAX_RECORD {
                        let loc = self.location();
                        let len = pending.len();
                        let message = if self.eof {
                            "truncated <Event> record at end of input"
                        } else {
                            "<Event> record larger than 16 MiB"
                        };
                        self.consume(len);
                        return Some(Err(Malformed { location: loc, message: message.to_string() }));
                    }
                    if let Err(m) = self.fill() {
                        return Some(Err(m));
                    }
                }
            }
        }
    }
}

/// The XmlWinEventLog reader: split, then parse each record.
pub struct XmlRecords {
    split: XmlSplitter,
}

impl XmlRecords {
    pub fn new(src: Source, file: String) -> XmlRecords {
        XmlRecords { split: split_xml_records(src, file) }
    }

    pub fn from_splitter(split: XmlSplitter, _file: String) -> XmlRecords {
        XmlRecords { split }
    }
}

/// Parse one split record; a parse failure is a malformed record at its location.
pub fn parse_raw(raw: &RawXml, file: &str) -> Record {
    match parse_xml_text(to_text(&raw.bytes)) {
        Ok(ev) => Record::Event(ev),
        Err(message) => {
            Record::Malformed(Malformed { location: Location::line(file, raw.line, raw.byte_offset), message })
        }
    }
}

impl Iterator for XmlRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        Some(match self.split.next()? {
            Err(m) => Record::Malformed(m),
            Ok(raw) => parse_raw(&raw, &self.split.file),
        })
    }
}

/// An open element.
struct Frame<'a> {
    /// Made a field name only if it names one (most elements never do).
    name: ElementName<'a>,
    /// Borrowed from the record when it comes in one piece (most do).
    text: Cow<'a, str>,
    has_child: bool,
    /// `Name` attribute of an `EventData/Data` element.
    data_name: Option<crate::event::Name>,
}

/// Parse one `<Event>` element into fields; `_raw` is `raw` exactly. Errors say what is wrong.
pub fn parse_xml_event(raw: &str) -> Result<Event, String> {
    parse_xml_text(raw.to_owned())
}

/// `parse_xml_event`, the text becoming `_raw` without a copy.
pub(crate) fn parse_xml_text(raw: String) -> Result<Event, String> {
    let mut ev = match parse_plain(&raw) {
        Some(ev) => ev,
        None => parse_markup(&raw)?,
    };
    finish_windows_event(&mut ev, raw);
    Ok(reorder(ev, &["source", "sourcetype", "host", "_raw"]))
}

/// The fields of a record, read by quick-xml: any well-formed record, and the error of any
/// other.
fn parse_markup(raw: &str) -> Result<Event, String> {
    let mut reader = Reader::from_str(raw);
    reader.config_mut().trim_text(false);
    // Room for a Sysmon record's fields and what extraction adds (~80): no regrowth.
    let mut ev = Event::with_capacity(80);
    let mut stack: Vec<Frame> = Vec::with_capacity(8);
    let mut closed_root = false;
    loop {
        let item = reader.read_event().map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match item {
            XmlEvent::Start(e) => {
                open(&mut stack, &mut ev, &Tag::Quick(&e), closed_root)?;
            }
            XmlEvent::Empty(e) => {
                open(&mut stack, &mut ev, &Tag::Quick(&e), closed_root)?;
                close(&mut stack, &mut ev, &mut closed_root);
            }
            XmlEvent::End(_) => close(&mut stack, &mut ev, &mut closed_root),
            XmlEvent::Text(t) => append(&mut stack, t.into_inner()),
            XmlEvent::CData(t) => append(&mut stack, t.into_inner()),
            XmlEvent::GeneralRef(r) => {
                // Entities stay as written (cim-mapping.md §1.4).
                if let Some(top) = stack.last_mut() {
                    let text = top.text.to_mut();
                    text.push('&');
                    text.push_str(&r);
                    text.push(';');
                }
            }
            XmlEvent::Eof => break,
            XmlEvent::Comment(_) | XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::DocType(_) => {}
        }
    }
    if !stack.is_empty() || !closed_root {
        return Err("truncated <Event> record".to_string());
    }
    Ok(ev)
}

/// `parse_markup` for records of the plain shape Windows writes (elements, attributes, text,
/// entity references, comments, CDATA, declarations), scanned directly: quick-xml's reader
/// checked each piece of text as UTF-8 again and was a third of a search's parsing. `None`
/// for anything else, and for anything quick-xml would reject: `parse_markup` then reads the
/// record, and says what is wrong. Elements go through the same `open`/`close`, so a record
/// read either way gives the same fields.
fn parse_plain(raw: &str) -> Option<Event> {
    if raw.starts_with('\u{feff}') {
        return None; // a byte-order mark: quick-xml drops it
    }
    let bytes = raw.as_bytes();
    let mut ev = Event::with_capacity(80);
    let mut stack: Vec<Frame> = Vec::with_capacity(8);
    let mut closed_root = false;
    let mut at = 0;
    while at < bytes.len() {
        let lt = bytes.get(at..).and_then(|b| memchr::memchr(b'<', b)).map_or(bytes.len(), |i| at + i);
        if lt > at {
            let text = raw.get(at..lt)?;
            if !references_closed(text) {
                return None;
            }
            append(&mut stack, Cow::Borrowed(text));
        }
        let Some(rest) = raw.get(lt + 1..) else { break };
        match rest.as_bytes().first()? {
            b'/' => {
                let end = memchr::memchr(b'>', rest.as_bytes())?;
                let name = rest.get(1..end)?;
                if !plain_name(name) || stack.last().is_none_or(|f| &*f.name != name) {
                    return None;
                }
                close(&mut stack, &mut ev, &mut closed_root);
                at = lt + 1 + end + 1;
            }
            b'?' => at = lt + 1 + rest.find("?>")? + 2,
            b'!' => {
                if let Some(body) = rest.strip_prefix("!--") {
                    at = lt + 4 + body.find("-->")? + 3;
                } else if let Some(body) = rest.strip_prefix("![CDATA[") {
                    let end = body.find("]]>")?;
                    append(&mut stack, Cow::Borrowed(body.get(..end)?));
                    at = lt + 9 + end + 3;
                } else {
                    return None; // a DOCTYPE
                }
            }
            _ => {
                let len = tag_end(rest.as_bytes())?;
                let tag = rest.get(..len)?;
                let (content, empty) = match tag.strip_suffix('/') {
                    Some(c) => (c, true),
                    None => (tag, false),
                };
                let name_len = content.find(XML_SPACE).unwrap_or(content.len());
                if !plain_name(content.get(..name_len)?) {
                    return None;
                }
                let (name, attrs) = content.split_at(name_len);
                open(&mut stack, &mut ev, &Tag::Plain { name, attrs }, closed_root).ok()?;
                if empty {
                    close(&mut stack, &mut ev, &mut closed_root);
                }
                at = lt + 1 + len + 1;
            }
        }
    }
    (stack.is_empty() && closed_root).then_some(ev)
}

/// quick-xml's whitespace (not form feed).
const XML_SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// An element or attribute name `parse_plain` reads as quick-xml does: no prefix, nothing
/// unusual.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(plain_name_char)
}

fn plain_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Whether every `&` of a piece of text starts a reference closed by `;` before the next `&`
/// (quick-xml's rule; it rejects the others).
fn references_closed(text: &str) -> bool {
    let mut rest = text.as_bytes();
    while let Some(i) = memchr::memchr(b'&', rest) {
        let after = rest.get(i + 1..).unwrap_or_default();
        match memchr::memchr2(b';', b'&', after) {
            Some(j) if after.get(j) == Some(&b';') => rest = after.get(j + 1..).unwrap_or_default(),
            _ => return false,
        }
    }
    true
}

fn append<'a>(stack: &mut [Frame<'a>], text: Cow<'a, str>) {
    if let Some(top) = stack.last_mut() {
        if top.text.is_empty() {
            top.text = text;
        } else {
            top.text.to_mut().push_str(&text);
        }
    }
}

fn local_name(e: &BytesStart<'_>) -> crate::event::Name {
    crate::event::Name::from(e.local_name().as_ref())
}

/// An element's name: borrowed from a scanned record, owned from quick-xml's tag.
enum ElementName<'a> {
    Borrowed(&'a str),
    Owned(crate::event::Name),
}

impl std::ops::Deref for ElementName<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            ElementName::Borrowed(s) => s,
            ElementName::Owned(n) => n,
        }
    }
}

impl ElementName<'_> {
    fn into_name(self) -> crate::event::Name {
        match self {
            ElementName::Borrowed(s) => crate::event::Name::from(s),
            ElementName::Owned(n) => n,
        }
    }
}

/// A start tag as `open` reads it: quick-xml's, or one `parse_plain` scanned (its name, and the
/// text after the name, which holds the attributes).
enum Tag<'t, 'a> {
    Quick(&'t BytesStart<'t>),
    Plain { name: &'a str, attrs: &'t str },
}

impl<'a> Tag<'_, 'a> {
    fn name(&self) -> ElementName<'a> {
        match self {
            Tag::Quick(e) => ElementName::Owned(local_name(e)),
            Tag::Plain { name, .. } => ElementName::Borrowed(name),
        }
    }

    /// Each attribute's qualified name, local name and raw value, in order. A scanned tag whose
    /// attributes are not of the plain form (`name='value'`, no prefix) is an error that sends
    /// the record to quick-xml.
    fn attributes(&self, element: &str, f: &mut dyn FnMut(&str, &str, &str)) -> Result<(), String> {
        match self {
            Tag::Quick(e) => {
                // Without the duplicate-key check, which allocated per element.
                let mut attrs = e.attributes();
                attrs.with_checks(false);
                for attr in attrs {
                    let attr = attr.map_err(|err| format!("bad attribute in <{element}>: {err}"))?;
                    f(attr.key.as_ref(), attr.key.local_name().as_ref(), &attr.value);
                }
                Ok(())
            }
            Tag::Plain { attrs, .. } => plain_attributes(attrs, f).ok_or_else(|| "not plain".to_string()),
        }
    }
}

/// The attributes of a scanned tag when all are `name='value'` or `name="value"` (whitespace
/// around `=` and between them as quick-xml takes it, names without a prefix): quick-xml reads
/// those alike. `None` for anything else.
fn plain_attributes(mut rest: &str, f: &mut dyn FnMut(&str, &str, &str)) -> Option<()> {
    loop {
        rest = rest.trim_start_matches(XML_SPACE);
        if rest.is_empty() {
            return Some(());
        }
        let (key, after) = rest.split_at(rest.find(|c| !plain_name_char(c))?);
        if !plain_name(key) {
            return None;
        }
        let after = after.trim_start_matches(XML_SPACE).strip_prefix('=')?.trim_start_matches(XML_SPACE);
        let quote = after.chars().next().filter(|&q| q == '\'' || q == '"')?;
        let body = after.get(1..)?;
        let end = body.find(quote)?;
        f(key, key, body.get(..end)?);
        rest = body.get(end + 1..)?;
    }
}

fn open<'a>(stack: &mut Vec<Frame<'a>>, ev: &mut Event, tag: &Tag<'_, 'a>, closed_root: bool) -> Result<(), String> {
    if stack.len() >= MAX_DEPTH {
        return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
    }
    let name = tag.name();
    if stack.is_empty() && (closed_root || &*name != "Event") {
        return Err(format!("unexpected top-level element <{}>", &*name));
    }
    if let Some(parent) = stack.last_mut() {
        parent.has_child = true;
    }
    let in_system = stack.len() == 2 && stack.get(1).is_some_and(|f| &*f.name == "System");
    let is_data = stack.len() == 2 && &*name == "Data" && stack.get(1).is_some_and(|f| &*f.name == "EventData");
    let mut data_name = None;
    if in_system || is_data {
        // A repeated System attribute becomes multivalue, a repeated Data `Name` keeps its last
        // value. Borrowed from the record: short names and values then cost no allocation.
        tag.attributes(&name, &mut |qname, key, value| {
            if qname.starts_with("xmlns") {
                return;
            }
            if is_data {
                if key == "Name" {
                    data_name = Some(value.into());
                }
            } else if !value.is_empty() {
                ev.push_named(crate::event::Name::from(key), Atom::from(value));
            }
        })?;
    }
    stack.push(Frame { name, text: Default::default(), has_child: false, data_name });
    Ok(())
}

fn close(stack: &mut Vec<Frame<'_>>, ev: &mut Event, closed_root: &mut bool) {
    let Some(frame) = stack.pop() else {
        return;
    };
    if stack.is_empty() {
        *closed_root = true;
        return;
    }
    // Splunk drops empty extractions, so an empty element gives no field at all (§1.4).
    // Values are trimmed: pretty-printed records (`<Data Name='SidHistory'>\r\n\t\t%{S-1-…}`)
    // would otherwise defeat anchored rex patterns the detections rely on.
    let trimmed = frame.text.trim();
    if frame.has_child || trimmed.is_empty() {
        return;
    }
    let text = crate::value::Text::from(trimmed);
    let section = stack.get(1).map(|f| &*f.name).unwrap_or(&*frame.name);
    let depth = stack.len();
    let field = match (section, depth) {
        ("System", 2) => frame.name.into_name(),
        // `Data` without a Name (e.g. classic provider payloads) gathers into multivalue `Data`.
        ("EventData", 2) if &*frame.name == "Data" => frame.data_name.unwrap_or_else(|| frame.name.into_name()),
        ("EventData", 2) => frame.name.into_name(),
        ("UserData", d) if d >= 2 => frame.name.into_name(),
        ("RenderingInfo", 2) if &*frame.name == "Message" => frame.name.into_name(),
        _ => return,
    };
    ev.push_named(field, Atom::Str(text));
}

/// The metadata Splunk's Windows input and TA give every XML event (cim-mapping.md §1.1–1.2).
fn finish_windows_event(ev: &mut Event, raw: String) {
    if let Some(t) = ev.get_str("SystemTime").and_then(|s| super::parse_time(&s)) {
        ev.set("_time", Value::num(t));
    }
    if let Some(channel) = ev.get_str("Channel").map(|c| c.into_owned()) {
        ev.set("source", Value::str(format!("XmlWinEventLog:{channel}")));
    }
    ev.set("sourcetype", Value::str(SOURCETYPE));
    if let Some(host) = ev.get_str("Computer").map(|c| host_from_computer(&c).to_string()) {
        ev.set("host", Value::str(host));
    }
    ev.set("_raw", Value::str(raw));
}

/// A record's `_time` as the reader gives it (its `SystemTime` attribute), read off the raw
/// bytes without parsing: a run's time range judges records on it. `None` unless `SystemTime`
/// occurs exactly once in the record, as an attribute (`SystemTime='…'` or `"…"`) of plain
/// text: then no `Data Name='SystemTime'`, other attribute or text makes it multivalue.
pub fn peek_system_time(raw: &[u8]) -> Option<f64> {
    const NAME: &[u8] = b"SystemTime";
    let mut at = memchr::memmem::find_iter(raw, NAME);
    let found = at.next()?;
    if at.next().is_some() || !raw.get(found.checked_sub(1)?)?.is_ascii_whitespace() {
        return None;
    }
    let rest = raw.get(found + NAME.len()..)?;
    let (&eq, rest) = rest.split_first()?;
    let (&quote, rest) = rest.split_first()?;
    if eq != b'=' || !matches!(quote, b'\'' | b'"') {
        return None;
    }
    let value = rest.get(..memchr::memchr(quote, rest)?)?;
    if value.iter().any(|&c| c == b'<' || c == b'&') {
        return None;
    }
    super::parse_time(std::str::from_utf8(value).ok()?)
}

/// A record's `EventID` as [`parse_xml_event`] gives it, read off the raw bytes without
/// parsing: the prefilter routes on it. `None` unless `EventID` occurs exactly twice in the
/// record, as the start and end tags of one element whose content is plain text (no CDATA,
/// comment, child or entity): then no other element, attribute or `Data Name` can make an
/// `EventID` field, and the reader's value is that text, trimmed.
pub fn peek_event_id(raw: &[u8]) -> Option<&str> {
    let (_, attrs, text) = sole_element(raw, b"EventID")?;
    // `<EventID>` or `<EventID Qualifiers='0'>`, not `<EventIDs>` or `<EventID/>`.
    if attrs.first().is_some_and(|c| !c.is_ascii_whitespace()) || attrs.ends_with(b"/") {
        return None;
    }
    Some(text.trim())
}

/// A record's `Channel` as [`parse_xml_event`] gives it (the event's `source` is
/// `XmlWinEventLog:` and it), read off the raw bytes without parsing: the prefilter routes on
/// it. `None` unless `Channel` occurs exactly twice in the record, as the start and end tags of
/// one element of plain text, and that element is a child of the root's `System` child (where
/// the reader takes it as a field), with nothing before it but plain elements.
pub fn peek_channel(raw: &[u8]) -> Option<&str> {
    let (lt, attrs, text) = sole_element(raw, b"Channel")?;
    // `<Channel>`: no attribute (one named like a field would make a field of it too).
    if !attrs.is_empty() {
        return None;
    }
    let path = open_elements(raw.get(..lt)?)?;
    if path.len() != 2 || path.get(1) != Some(&b"System".as_slice()) {
        return None;
    }
    // A blank element gives no field, hence no `source`.
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// The one element named `name` in a record, read off the bytes: where its start tag's `<`
/// is, the rest of that tag, and its text. `None` unless the name occurs exactly twice, as the
/// element's start and end tags, with plain text between (no child, CDATA, comment or entity).
fn sole_element<'r>(raw: &'r [u8], name: &[u8]) -> Option<(usize, &'r [u8], &'r str)> {
    let mut at = memchr::memmem::find_iter(raw, name);
    let (open, close) = (at.next()?, at.next()?);
    let lt = open.checked_sub(1)?;
    if at.next().is_some() || raw.get(lt) != Some(&b'<') {
        return None;
    }
    let tag = raw.get(open + name.len()..)?;
    let gt = memchr::memchr(b'>', tag)?;
    let attrs = tag.get(..gt)?;
    let start = open + name.len() + gt + 1;
    let end = close.checked_sub(2)?;
    if raw.get(end..close) != Some(b"</".as_slice()) || raw.get(close + name.len()) != Some(&b'>') {
        return None;
    }
    let text = raw.get(start..end)?;
    if text.iter().any(|&c| c == b'<' || c == b'&') {
        return None;
    }
    Some((lt, attrs, std::str::from_utf8(text).ok()?))
}

/// The names of the elements open at the end of `prefix` (the start of a record), outermost
/// first; `None` if it holds anything but start, end and empty-element tags and text
/// (comments, CDATA, declarations, processing instructions, an unterminated tag).
fn open_elements(prefix: &[u8]) -> Option<Vec<&[u8]>> {
    let mut open = Vec::new();
    let mut at = 0;
    while let Some(lt) = memchr::memchr(b'<', prefix.get(at..)?) {
        let tag = prefix.get(at + lt + 1..)?;
        let len = tag_end(tag)?;
        let body = tag.get(..len)?;
        match body.first()? {
            b'/' => {
                open.pop()?;
            }
            b'!' | b'?' => return None,
            _ if body.ends_with(b"/") => {}
            _ => {
                let name_len = body.iter().position(|c| c.is_ascii_whitespace()).unwrap_or(body.len());
                open.push(body.get(..name_len)?);
            }
        }
        at += lt + 1 + len + 1;
    }
    Some(open)
}

/// Where a tag's text (past its `<`) ends: the first `>` outside quotes (attribute values may
/// hold `>`).
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = from + memchr::memchr3(b'>', b'"', b'\'', tag.get(from..)?)?;
        match *tag.get(i)? {
            b'>' => return Some(i),
            quote => from = i + 1 + memchr::memchr(quote, tag.get(i + 1..)?)? + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Sysmon process creation record, as Windows renders it.
    const SYSMON: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f}'/><EventID>1</EventID><TimeCreated SystemTime='2024-01-01T00:00:00Z'/><Correlation/><Execution ProcessID='1' ThreadID='2'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>h</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='Image'>C:\\a.exe</Data><Data Name='CommandLine'>a.exe \"x\"</Data></EventData></Event>";

    #[test]
    fn records_scanned_directly_give_what_quick_xml_gives_and_the_others_are_left_to_it() {
        let sysmon = SYSMON;
        let plain = [
            sysmon.to_string(),
            // Pretty-printed, with CRLF and tabs: text between elements, values trimmed.
            sysmon.replace("><", ">\r\n\t<"),
            // References stay as written, in text and attribute values.
            sysmon.replace("a.exe \"x\"", "a.exe &quot;x&quot; &amp; &#x20;&lt;"),
            // quick-xml takes anything from `&` to the next `;` as a reference.
            sysmon.replace("a.exe \"x\"", "a &amp b;"),
            sysmon.replace("Guid='{5770385f}'", "Guid='&apos;{x}&apos;'"),
            // CDATA, comments, a declaration and processing instructions.
            sysmon.replace("C:\\a.exe", "<![CDATA[C:\\<a>.exe]]>"),
            sysmon.replace("C:\\a.exe", "C:\\<!-- note -->a.exe"),
            format!("<?xml version='1.0' encoding='utf-8'?>\n{sysmon}\n"),
            sysmon.replace("<System>", "<System><?pi x?>"),
            // A `>` in a quoted attribute value, spaces around `=`, a trailing space.
            sysmon.replace("Guid='{5770385f}'", "Guid = \"a>b\" "),
            // Data without a Name, repeated names, UserData and RenderingInfo.
            sysmon.replace("<Data Name='Image'>", "<Data>"),
            sysmon.replace("<Data Name='CommandLine'>", "<Data Name='Image'>"),
            sysmon.replace(
                "<EventData>",
                "<UserData><LogFileCleared xmlns='http://manifests'><SubjectUserName>bob</SubjectUserName></LogFileCleared></UserData><EventData>",
            ),
            sysmon.replace("</EventData>", "</EventData><RenderingInfo Culture='en-US'><Message>Done.</Message></RenderingInfo>"),
            // Non-ASCII text, an empty element, nesting inside Data.
            sysmon.replace("C:\\a.exe", "C:\\ünïcødé\\日本.exe"),
            sysmon.replace("<Correlation/>", "<Correlation />"),
            // Attributes one after the other with no space, `"` and `'` mixed.
            sysmon.replace("ProcessID='1' ThreadID='2'", "ProcessID=\"1\"ThreadID='2'"),
            sysmon.replace("C:\\a.exe", "<b>nested</b>"),
        ];
        for raw in &plain {
            let direct = parse_plain(raw);
            assert!(direct.is_some(), "scanned directly: {raw}");
            assert_eq!(direct, Some(parse_markup(raw).expect("well-formed")), "{raw}");
        }
        // Left to quick-xml: what it rejects, and shapes the scan does not read itself.
        let others = [
            sysmon.replace("</Computer>", "</Computr>"),
            sysmon.replace("a.exe \"x\"", "a & b"),
            sysmon.replace("a.exe \"x\"", "a &amp; b & c;d <x/> & e"),
            sysmon.replace("</Event>", ""),
            format!("{sysmon}<Event/>"),
            format!("<!DOCTYPE x>{sysmon}"),
            format!("\u{feff}{sysmon}"),
            sysmon.replace("<Channel>", "<e:Channel>").replace("</Channel>", "</e:Channel>"),
            sysmon.replace("</Channel>", "</Channel >"),
            sysmon.replace("<Correlation/>", "<Correlation id='x/>"),
            sysmon.replace("<Data Name='Image'>", "<Data\u{c}Name='Image'>"),
            // Attributes the scan does not read itself: a prefix, no quotes, no value.
            sysmon.replace("ProcessID='1'", "xmlns:x='u' x:ProcessID='1'"),
            sysmon.replace("ProcessID='1'", "ProcessID=1"),
            sysmon.replace("ProcessID='1'", "ProcessID"),
        ];
        for raw in &others {
            assert_eq!(parse_plain(raw), None, "{raw}");
            // Whatever quick-xml makes of it is what the record gives.
            let got = parse_xml_event(raw);
            let want = parse_markup(raw).map(|mut ev| {
                finish_windows_event(&mut ev, raw.clone());
                reorder(ev, &["source", "sourcetype", "host", "_raw"])
            });
            assert_eq!(got, want, "{raw}");
        }
    }

    #[test]
    fn damaged_records_read_directly_or_not_agree_with_quick_xml_and_never_panic() {
        // Records cut, spliced and sprinkled with markup characters (a fixed LCG: the same
        // cases every run). Whenever the direct scan reads one, quick-xml reads the same.
        let base = SYSMON.replace("><", ">\r\n<").replace("a.exe", "a.exe &amp; <![CDATA[b]]> <!--c-->");
        let bytes: Vec<char> = base.chars().collect();
        let pieces = ['<', '>', '/', '&', ';', '\'', '"', '=', ' ', '!', '?', '-', ']', ':', '\u{c}', 'é'];
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n.max(1)
        };
        let (mut direct, mut total) = (0, 0);
        for _ in 0..3000 {
            let mut chars = bytes.clone();
            for _ in 0..1 + next(3) {
                let at = next(chars.len());
                match next(3) {
                    0 => {
                        chars.remove(at);
                    }
                    1 => chars.insert(at, pieces[next(pieces.len())]),
                    _ => chars.truncate(at + 1),
                }
            }
            let raw: String = chars.into_iter().collect();
            total += 1;
            if let Some(ev) = parse_plain(&raw) {
                direct += 1;
                assert_eq!(Ok(ev), parse_markup(&raw), "{raw}");
            }
            let _ = parse_xml_event(&raw);
        }
        // Most damage makes a record quick-xml rejects; a fair share is still read directly.
        assert!(direct > total / 20, "{direct} of {total} read directly");
    }

    #[test]
    fn the_channel_read_off_a_record_is_the_one_its_event_gets() {
        let sysmon = SYSMON;
        let cases = [
            sysmon.to_string(),
            // A `>` inside an attribute value does not end the tag.
            sysmon.replace("Guid='{5770385f}'", "Guid='a>b'"),
            // The channel wins over a `source` the record names.
            sysmon.replace("<Data Name='Image'>", "<Data Name='source'>"),
            // Padded text is trimmed by the reader too.
            sysmon.replace(">Microsoft-Windows-Sysmon/Operational<", ">\r\n  Security \r\n<"),
        ];
        for raw in &cases {
            let ev = parse_xml_event(raw).expect("parses");
            let source = ev.get_str("source").expect("a source");
            assert_eq!(peek_channel(raw.as_bytes()).map(|c| format!("XmlWinEventLog:{c}")).as_deref(), Some(&*source));
        }
        // Whenever the reader could make `Channel` (or `source`) otherwise, nothing is read off.
        let unknown = [
            sysmon.replace("<Channel>Microsoft-Windows-Sysmon/Operational</Channel>", ""),
            sysmon.replace("<Data Name='Image'>", "<Data Name='Channel'>"),
            sysmon.replace("<Execution ProcessID='1'", "<Execution Channel='x'"),
            sysmon.replace("<Correlation/>", "<Correlation>"),
            sysmon.replace("<System>", "<System><Sub>").replace("</Computer>", "</Computer></Sub>"),
            sysmon.replace("<Correlation/>", "<!-- c -->"),
            sysmon.replace(">Microsoft-Windows-Sysmon/Operational<", "> <"),
            sysmon.replace(">Microsoft-Windows-Sysmon/Operational<", ">a&amp;b<"),
            sysmon.replace("<Channel>", "<Channel Name='x'>"),
            sysmon.replace("<System>", "<Other>").replace("</System>", "</Other>"),
        ];
        for raw in &unknown {
            assert_eq!(peek_channel(raw.as_bytes()), None, "{raw}");
        }
    }

    #[test]
    fn data_values_are_trimmed_and_blank_ones_dropped() {
        let raw = "<Event><System><EventID>4742</EventID></System><EventData><Data Name='SidHistory'>\r\n\t\t%{S-1-5-21-1}\r\n</Data><Data Name='Blank'>  </Data></EventData></Event>";
        let ev = parse_xml_event(raw).expect("parses");
        assert_eq!(ev.get_str("SidHistory").as_deref(), Some("%{S-1-5-21-1}"));
        assert!(ev.get("Blank").is_none());
    }

    #[test]
    fn repeated_attributes_are_kept_not_rejected() {
        let raw = "<Event><System><Execution ProcessID='4' ProcessID='8'/></System><EventData><Data Name='a' Name='b'>v</Data></EventData></Event>";
        let ev = parse_xml_event(raw).expect("parses");
        let pids: Vec<String> = ev
            .get("ProcessID")
            .map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect())
            .unwrap_or_default();
        assert_eq!(pids, ["4", "8"]);
        assert_eq!(ev.get_str("b").as_deref(), Some("v"));
        assert!(ev.get("a").is_none());
        // Malformed attribute syntax is still an error.
        assert!(parse_xml_event("<Event><System><Execution ProcessID=4/></System></Event>").is_err());
    }
    use std::io::Cursor;

    fn src(bytes: &[u8]) -> Source {
        Box::new(Cursor::new(bytes.to_vec()))
    }

    const ONE: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>1</EventID><TimeCreated SystemTime='2020-10-08T11:03:46.617920300Z'/><EventRecordID>7</EventRecordID><Execution ProcessID='2' ThreadID='3'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>win-dc-1.attackrange.local</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='CommandLine'>a &amp; b</Data><Data Name='RuleName'></Data><Data Name='Hashes'/><Data>x</Data><Data>y</Data></EventData></Event>";

    #[test]
    fn fields() {
        let ev = parse_xml_event(ONE).unwrap();
        let keys: Vec<&str> = ev.fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "_time",
                "Name",
                "Guid",
                "EventID",
                "SystemTime",
                "EventRecordID",
                "ProcessID",
                "ThreadID",
                "Channel",
                "Computer",
                "UserID",
                "CommandLine",
                "Data",
                "source",
                "sourcetype",
                "host",
                "_raw"
            ]
        );
        assert_eq!(ev.get_str("CommandLine").unwrap(), "a &amp; b");
        assert_eq!(ev.get("Data").unwrap(), &Value::Many(vec!["x".into(), "y".into()]));
        assert_eq!(ev.get_str("host").unwrap(), "win-dc-1");
        assert_eq!(ev.get_str("source").unwrap(), "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational");
        assert_eq!(ev.time(), Some(1602155026.6179203));
        assert_eq!(ev.get_str("_raw").unwrap(), ONE);
    }

    #[test]
    fn split_spanning_truncated_and_garbage() {
        let input =
            format!("{ONE}\r\n<Event xmlns='x'><System>\n garbage here\n{}\n{ONE}\n<Event>", ONE.replace("><", ">\n<"));
        let items: Vec<_> = split_xml_records(src(input.as_bytes()), "f".into()).collect();
        let shape: Vec<String> = items
            .iter()
            .map(|i| match i {
                Ok(r) => format!("ok:{}", r.line),
                Err(m) => format!("err:{}", m.location),
            })
            .collect();
        assert_eq!(shape, ["ok:1", "err:f:2", "ok:4", "ok:24", "err:f:25"]);
    }

    /// Records, errors and their lines, `shape`-style, with block-relative lines made absolute.
    fn block_shape(input: &[u8], target: usize) -> (Vec<String>, usize) {
        let mut split = split_xml_records(src(input), "f".into());
        let (mut shape, mut blocks, mut base) = (Vec::new(), 0, 0);
        while let Some(block) = split.next_block(target, Vec::new()) {
            let mut block = block.expect("no read error");
            blocks += 1;
            for item in block.by_ref() {
                shape.push(match item {
                    Ok(r) => format!("ok:{}@{}", r.line + base, r.byte_offset),
                    Err(m) => format!("err:{}@{:?}", m.location.line.unwrap_or(0) + base, m.location.byte_offset),
                });
            }
            base += block.lines_seen();
        }
        (shape, blocks)
    }

    #[test]
    fn blocks_split_like_the_stream() {
        // Well over one read, so that cuts fall in many places: spanning records, a truncated
        // one, text outside records, a record at end of input without its end tag.
        let spanning = ONE.replace("><", ">\n<");
        let mut input = String::new();
        for i in 0..3000 {
            input.push_str(match i % 7 {
                0 => &spanning,
                3 => "<Event xmlns='x'><System>",
                5 => "garbage",
                _ => ONE,
            });
            input.push_str("\r\n");
        }
        input.push_str("<Event>");
        let stream: Vec<String> = split_xml_records(src(input.as_bytes()), "f".into())
            .map(|i| match i {
                Ok(r) => format!("ok:{}@{}", r.line, r.byte_offset),
                Err(m) => format!("err:{}@{:?}", m.location.line.unwrap_or(0), m.location.byte_offset),
            })
            .collect();
        for target in [1, 5000, 100_000] {
            let (blocks, n) = block_shape(input.as_bytes(), target);
            assert!(n > 1, "{n} blocks for target {target}");
            assert_eq!(blocks, stream, "target {target}");
        }
    }

    /// A stretch of stray text longer than one read (classic records pasted between XML ones)
    /// is one malformed record, as in blocks, not one per read.
    #[test]
    fn a_long_stray_stretch_is_reported_once() {
        let stray: String = (0..40_000).map(|i| format!("LogName=Security line {i}\r\n")).collect();
        assert!(stray.len() as u64 > 3 * FILL_BYTES);
        let input = format!("{ONE}\r\n{stray}{ONE}\r\n{stray}");
        let stream: Vec<String> = split_xml_records(src(input.as_bytes()), "f".into())
            .map(|i| match i {
                Ok(r) => format!("ok:{}@{}", r.line, r.byte_offset),
                Err(m) => format!("err:{}@{:?}", m.location.line.unwrap_or(0), m.location.byte_offset),
            })
            .collect();
        let (one, n) = (ONE.len() + 2, stray.len());
        let expected = ["ok:1@0".to_string(), format!("err:2@Some({one})"), format!("ok:40002@{}", one + n)];
        assert_eq!(stream[..3], expected);
        assert_eq!(stream[3..], [format!("err:40003@Some({})", 2 * one + n)]);
        for target in [1, 5000, 100_000] {
            assert_eq!(block_shape(input.as_bytes(), target).0, stream, "target {target}");
        }
    }

    #[test]
    fn tag_counts_take_record_tags_only() {
        let (starts, ends) = count_tags(format!("{ONE}\r\n{ONE}<Event>x</Event><EventLog></EventLog>").as_bytes());
        assert_eq!((starts, ends), (3, 3));
    }

    #[test]
    fn deep_nesting_is_malformed() {
        let deep = format!("<Event><UserData>{}{}</UserData></Event>", "<a>".repeat(10_000), "</a>".repeat(10_000));
        assert!(parse_xml_event(&deep).unwrap_err().contains("deeper"));
    }

    #[test]
    fn the_event_id_peeked_from_raw_bytes_is_the_one_the_reader_gives() {
        let rec = |system: &str, data: &str| {
            format!(
                "<Event xmlns='x'><System><Provider Name='P'/>{system}<Channel>Security</Channel></System><EventData>{data}</EventData></Event>"
            )
        };
        let parsed = |raw: &str| parse_xml_event(raw).ok().and_then(|e| e.get_str("EventID").map(|v| v.into_owned()));
        for (raw, want) in [
            (rec("<EventID>4688</EventID>", ""), Some("4688")),
            (rec("<EventID Qualifiers='16384'>7036</EventID>", ""), Some("7036")),
            (rec("<EventID>\n 1 \n</EventID>", "<Data Name='Image'>x</Data>"), Some("1")),
            (rec("<EventID></EventID>", ""), Some("")),
            // Anything else the reader could make an `EventID` of: the peek cannot tell.
            (rec("<EventID>1</EventID>", "<Data Name='EventID'>5</Data>"), None),
            (rec("<EventID><![CDATA[1]]></EventID>", ""), None),
            (rec("<EventID>1<!-- 5 --></EventID>", ""), None),
            (rec("<EventID>&#49;</EventID>", ""), None),
            (rec("<EventIDs>1</EventIDs>", ""), None),
            (rec("<EventID/>", ""), None),
            (rec("<EventID>1</EventID >", ""), None),
            (rec("", "<Data Name='CommandLine'>EventID</Data>"), None),
        ] {
            assert_eq!(peek_event_id(raw.as_bytes()), want, "{raw}");
            if let Some(w) = want {
                // Where it tells, the reader agrees (an empty element makes no field).
                assert_eq!(parsed(&raw).unwrap_or_default(), w, "{raw}");
            }
        }
    }

    #[test]
    fn the_raw_system_time_is_the_time_the_reader_gives_or_none() {
        let time_of = |raw: &str| match parse_xml_text(raw.to_string()) {
            Ok(ev) => ev.time(),
            Err(e) => panic!("{e}"),
        };
        for raw in
            [SYSMON, ONE, &SYSMON.replace("SystemTime='2024-01-01T00:00:00Z'", "SystemTime=\"2024-01-01T00:00:00.5Z\"")]
        {
            assert_eq!(peek_system_time(raw.as_bytes()), time_of(raw), "{raw}");
            assert!(peek_system_time(raw.as_bytes()).is_some());
        }
        // Twice (a Data field of that name, text), or not an attribute: not judged.
        for raw in [
            SYSMON.replace(
                "<Data Name='Image'>",
                "<Data Name='SystemTime'>2020-01-01T00:00:00Z</Data><Data Name='Image'>",
            ),
            SYSMON.replace("a.exe \"x\"", "a.exe SystemTime='2020-01-01T00:00:00Z'"),
            SYSMON.replace("SystemTime='", "xSystemTime='"),
            SYSMON.replace("SystemTime='", "SystemTime ='"),
            SYSMON.replace("<TimeCreated SystemTime='2024-01-01T00:00:00Z'/>", ""),
        ] {
            assert_eq!(peek_system_time(raw.as_bytes()), None, "{raw}");
        }
    }
}
