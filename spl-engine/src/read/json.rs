//! JSON events: one object per line (also pretty-printed objects spanning lines, and JSON array
//! files). Nested objects flatten with dots and arrays become multivalue fields named with `{}`
//! (`Actor{}.ID`, `tags{}`), as Splunk's KV_MODE=json / `spath` name them (spl-semantics.md
//! §10.16, §11.1). Splunk's export shape `{"preview":false,"result":{…}}` yields the inner
//! result's fields as they are (its `_raw`, `_time`, `source`, … win).

use std::collections::VecDeque;

use serde_json::Value as Json;

use super::lines::{to_text, LineInfo, Lines};
use super::split::{Judged, Keep};
use super::{reorder, Location, Malformed, Record, Records, Source};
use crate::event::Event;
use crate::value::{Atom, Value};

/// Keys tried for `_time` after `_time` itself, in order. Splunk would find the first timestamp
/// in the text; these cover the corpus (NXLog `EventTime`, CloudTrail `eventTime`, O365
/// `CreationTime`, ECS `@timestamp`).
const TIME_KEYS: &[&str] =
    &["_time", "@timestamp", "timestamp", "time", "eventTime", "EventTime", "TimeCreated", "CreationTime"];

/// A multi-line object is given up after this many lines.
const MAX_SPAN_LINES: usize = 10_000;

/// JSON records of a stream that starts after `line` lines and `offset` bytes of its file;
/// `in_array`: between two elements of the array the file opens with (`ArrayCuts`), so its
/// elements come first, up to that array's `]`, then lines.
pub(crate) fn records_at(src: Source, file: String, line: u64, offset: u64, in_array: bool) -> Records {
    Box::new(JsonRecords::at(src, file, line, offset, in_array, None))
}

/// `records_at`, each line that may start a record (each array element) judged by `keep` first.
pub(crate) fn judged(
    src: Source,
    file: String,
    line: u64,
    offset: u64,
    in_array: bool,
    keep: Keep<'_>,
) -> impl Judged + '_ {
    JsonRecords::at(src, file, line, offset, in_array, Some(keep))
}

/// Whether input opens with an array (after a byte-order mark and blanks); `None` while only
/// those were read.
pub(crate) fn opens_array(buf: &[u8]) -> Option<bool> {
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    buf.iter().find(|b| !b.is_ascii_whitespace()).map(|&b| b == b'[')
}

/// Where a splitter may cut the array a file opens with: just after a `,` between two elements
/// (outside strings and brackets), where `ArrayScan` also ends one element and starts the
/// next. The scan's state carries over reads of more input; it restarts at each cut.
#[derive(Debug, Default)]
pub(crate) struct ArrayCuts {
    /// How far the buffer was scanned.
    pos: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The array's `[` was passed.
    opened: bool,
}

/// What `ArrayCuts::scan` found.
pub(crate) enum ArrayCut {
    /// A cut here.
    At(usize),
    /// None yet: read more.
    More,
    /// The array's `]` ends just before here: what follows is lines.
    Closed(usize),
}

impl ArrayCuts {
    /// The first cut at or past `from` in `buf` (which starts where the last cut was).
    pub(crate) fn scan(&mut self, buf: &[u8], from: usize) -> ArrayCut {
        let mut i = self.pos;
        loop {
            if self.in_string {
                match string_end(buf, i, &mut self.escaped) {
                    Some(end) => (self.in_string, i) = (false, end),
                    None => break,
                }
            }
            let Some(&c) = buf.get(i) else { break };
            i += 1;
            if !self.opened {
                self.opened = c == b'[';
                continue;
            }
            match c {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b']' if self.depth == 0 => {
                    self.pos = i;
                    return ArrayCut::Closed(i);
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                b',' if self.depth == 0 && i > from => {
                    self.pos = 0;
                    return ArrayCut::At(i);
                }
                _ => {}
            }
        }
        self.pos = buf.len();
        ArrayCut::More
    }
}

/// Inside a JSON string, from `i` of `buf` (`escaped`: just after a backslash): where the
/// string ends, just past its closing quote, or `None` when `buf` ends first (`escaped` then
/// says whether on a backslash). Most of a JSON text is in strings: they are crossed a quote or
/// backslash at a time.
fn string_end(buf: &[u8], mut i: usize, escaped: &mut bool) -> Option<usize> {
    loop {
        if *escaped {
            buf.get(i)?;
            (*escaped, i) = (false, i + 1);
        }
        let at = i + memchr::memchr2(b'"', b'\\', buf.get(i..)?)?;
        if buf.get(at) == Some(&b'"') {
            return Some(at + 1);
        }
        (*escaped, i) = (true, at + 1);
    }
}

impl Judged for JsonRecords<'_> {
    fn skipped(&self) -> u64 {
        self.skipped
    }
}

/// The first place in `buf` to cut JSON input (just after a newline at or past `from`), or
/// where to look again once more is read (see `split::LineSplitter`).
///
/// The cut follows a line whose last non-blank byte is `}` when the next line's first is `{`
/// (every line of JSON lines). No record read from the whole input spans it: a record is joined
/// across lines only while its text is incomplete, and in an incomplete JSON value a `}` is
/// followed by `,`, `]` or `}`, never `{` (nor by a newline inside a string). So a pretty-
/// printed array, whose objects end in `},`, has no cut. A broken record just before a cut is
/// reported as incomplete rather than invalid; the same lines are skipped.
pub(crate) fn find_cut(buf: &[u8], from: usize) -> Result<usize, usize> {
    let blank = |b: &&u8| matches!(**b, b' ' | b'\t' | b'\r');
    let from = from.min(buf.len());
    for nl in memchr::memchr_iter(b'\n', buf.get(from..).unwrap_or_default()).map(|p| p + from) {
        let before = buf.get(..nl).unwrap_or_default();
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
        let line = before.get(line_start..).unwrap_or_default();
        if line.iter().rev().find(|b| !blank(b)) != Some(&b'}') {
            continue;
        }
        match buf.get(nl + 1..).unwrap_or_default().iter().find(|b| !blank(b)) {
            Some(b'{') => return Ok(nl + 1),
            Some(_) => continue,
            None => return Err(nl),
        }
    }
    Err(buf.len())
}

struct Line {
    info: LineInfo,
    text: Vec<u8>,
}

struct JsonRecords<'j> {
    lines: Lines,
    /// The elements of the top-level array the file opens with, read one by one whatever its
    /// layout (one line of any length, one element a line, pretty-printed); then `lines`.
    array: Option<ArrayScan>,
    file: String,
    /// Lines read ahead while trying a multi-line object that failed; re-read one by one.
    pending: VecDeque<Line>,
    out: VecDeque<Record>,
    done: bool,
    keep: Option<Keep<'j>>,
    /// Lines `keep` rejected.
    skipped: u64,
}

impl<'j> JsonRecords<'j> {
    fn at(src: Source, file: String, line: u64, offset: u64, in_array: bool, keep: Option<Keep<'j>>) -> Self {
        let mut records = JsonRecords {
            lines: Lines::at(Box::new(std::io::empty()), line, offset),
            array: None,
            file,
            pending: VecDeque::new(),
            out: VecDeque::new(),
            done: false,
            keep,
            skipped: 0,
        };
        let scan = ArrayScan { src, number: line, offset, closed: false };
        if in_array {
            records.array = Some(scan);
        } else if line == 0 && offset == 0 {
            records.open(scan);
        } else {
            records.lines = Lines::at(scan.src, line, offset);
        }
        records
    }

    /// At the start of a file: an array's elements are scanned, anything else read by lines.
    fn open(&mut self, mut scan: ArrayScan) {
        match scan.skip_to_array() {
            Ok(true) => self.array = Some(scan),
            Ok(false) => self.lines = Lines::at(scan.src, scan.number, scan.offset),
            Err(e) => {
                self.done = true;
                let message = format!("read error: {e}");
                self.out.push_back(Record::Malformed(Malformed { location: Location::file(&self.file), message }));
            }
        }
    }

    /// The next element of the array the file opens with; once it is closed (or the input
    /// ends), the rest is read by lines.
    fn next_element(&mut self) {
        let Some(scan) = self.array.as_mut() else { return };
        match scan.next_element() {
            Ok(Some(el)) => {
                let location = Location::line(&self.file, el.line, el.offset);
                if el.too_long {
                    let message = format!("array element longer than {} MiB", super::lines::MAX_LINE >> 20);
                    self.out.push_back(Record::Malformed(Malformed { location, message }));
                    return;
                }
                if let Some(keep) = self.keep.as_mut() {
                    if !keep(&el.text) {
                        self.skipped += 1;
                        return;
                    }
                }
                match serde_json::from_slice::<Json>(&el.text) {
                    Ok(value) => {
                        // As lines give it: CRLF line ends read as LF.
                        let raw = to_text(&el.text).replace("\r\n", "\n");
                        self.emit_one(value, raw);
                    }
                    Err(e) => {
                        let message =
                            if e.is_eof() { format!("incomplete JSON: {e}") } else { format!("invalid JSON: {e}") };
                        self.out.push_back(Record::Malformed(Malformed { location, message }));
                    }
                }
            }
            Ok(None) => {
                if let Some(scan) = self.array.take() {
                    if !scan.closed {
                        let location = Location::line(&self.file, scan.number + 1, scan.offset);
                        let message = "the array is not closed: the input ends inside it".to_string();
                        self.out.push_back(Record::Malformed(Malformed { location, message }));
                    }
                    self.lines = Lines::at(scan.src, scan.number, scan.offset);
                }
            }
            Err(e) => {
                self.array = None;
                self.done = true;
                let message = format!("read error: {e}");
                self.out.push_back(Record::Malformed(Malformed { location: Location::file(&self.file), message }));
            }
        }
    }

    fn next_line(&mut self) -> Option<Result<Line, Malformed>> {
        if let Some(l) = self.pending.pop_front() {
            return Some(Ok(l));
        }
        if self.done {
            return None;
        }
        let mut text = Vec::new();
        match self.lines.next_line(&mut text) {
            Ok(Some(info)) => Some(Ok(Line { info, text })),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(Malformed { location: Location::file(&self.file), message: format!("read error: {e}") }))
            }
        }
    }

    fn malformed(&self, info: &LineInfo, message: String) -> Record {
        Record::Malformed(Malformed { location: Location::line(&self.file, info.number, info.offset), message })
    }

    /// Read one logical record starting at `first`, joining lines while the JSON is incomplete.
    fn read_record(&mut self, first: Line) {
        if first.info.truncated {
            let m = self.malformed(&first.info, "line longer than 16 MiB".to_string());
            self.out.push_back(m);
            return;
        }
        let mut span: Vec<Line> = vec![first];
        let mut joined: Vec<u8> = Vec::new();
        loop {
            joined.clear();
            for (i, l) in span.iter().enumerate() {
                if i > 0 {
                    joined.push(b'\n');
                }
                joined.extend_from_slice(&l.text);
            }
            let body = strip_array_punctuation(&joined);
            // Several objects may share a line (`{…}{…}`, seen in vendor exports).
            let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Json>();
            let mut values = Vec::new();
            let mut failure = None;
            let mut start = 0;
            while let Some(item) = stream.next() {
                match item {
                    Ok(v) => {
                        let end = stream.byte_offset();
                        values.push((v, body.get(start..end).unwrap_or_default().trim_ascii()));
                        start = end;
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let (result, tail_error) = match failure {
                None => (Ok(()), None),
                Some(e) if values.is_empty() => (Err(e), None),
                Some(e) => (Ok(()), Some(format!("invalid JSON after {} object(s): {e}", values.len()))),
            };
            match result {
                Ok(()) => {
                    for (value, raw) in values {
                        let raw = to_text(raw);
                        self.emit(value, raw);
                    }
                    if let (Some(message), Some(first)) = (tail_error, span.first()) {
                        let m = self.malformed(&first.info, message);
                        self.out.push_back(m);
                    }
                    return;
                }
                Err(e) if e.is_eof() && span.len() < MAX_SPAN_LINES => match self.next_line() {
                    Some(Ok(l)) if !l.info.truncated => span.push(l),
                    other => {
                        let first = span.remove(0);
                        let m = self.malformed(&first.info, format!("incomplete JSON: {e}"));
                        self.out.push_back(m);
                        self.requeue(span, other);
                        return;
                    }
                },
                Err(e) => {
                    let first = span.remove(0);
                    let m = self.malformed(&first.info, format!("invalid JSON: {e}"));
                    self.out.push_back(m);
                    self.requeue(span, None);
                    return;
                }
            }
        }
    }

    /// Lines swallowed by a failed multi-line attempt get their own chance.
    fn requeue(&mut self, span: Vec<Line>, extra: Option<Result<Line, Malformed>>) {
        let mut lines: Vec<Line> = span;
        match extra {
            Some(Ok(l)) => lines.push(l),
            Some(Err(m)) => self.out.push_back(Record::Malformed(m)),
            None => {}
        }
        for l in lines.into_iter().rev() {
            self.pending.push_front(l);
        }
    }

    fn emit(&mut self, value: Json, raw: String) {
        match value {
            Json::Array(items) => {
                for item in items {
                    let raw = item.to_string();
                    self.emit_one(item, raw);
                }
            }
            other => self.emit_one(other, raw),
        }
    }

    fn emit_one(&mut self, value: Json, raw: String) {
        let ev = match value {
            Json::Object(map) if is_export(&map) => match map.get("result") {
                Some(Json::Object(result)) => export_event(result, &raw),
                _ => return,
            },
            Json::Object(map) if is_hec(&map) => hec_event(&map, &raw, &self.file),
            Json::Object(map) if super::otlp::is_metrics(&map) => {
                let (events, cut) = super::otlp::metric_events(&map, &self.file);
                self.out.extend(events.into_iter().map(Record::Event));
                if cut {
                    let message = format!(
                        "an OTLP metrics batch of more than {} data points: the rest of it is not read",
                        super::otlp::MAX_POINTS
                    );
                    self.out.push_back(Record::Malformed(Malformed { location: Location::file(&self.file), message }));
                }
                return;
            }
            Json::Object(_) => json_event(&value, &raw, &self.file),
            // A bare scalar line: keep it as a raw event rather than dropping it.
            other => {
                let mut ev = Event::new();
                ev.set("_raw", Value::str(other.to_string()));
                ev
            }
        };
        self.out.push_back(Record::Event(ev));
    }
}

impl Iterator for JsonRecords<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.out.pop_front() {
                return Some(r);
            }
            if self.array.is_some() {
                self.next_element();
                continue;
            }
            let line = match self.next_line()? {
                Ok(l) => l,
                Err(m) => return Some(Record::Malformed(m)),
            };
            let body = strip_array_punctuation(&line.text);
            if body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Some(keep) = self.keep.as_mut() {
                if !keep(&line.text) {
                    self.skipped += 1;
                    continue;
                }
            }
            self.read_record(line);
        }
    }
}

/// The top-level array a file opens with, scanned element by element: an element ends where
/// its brackets balance (outside strings), or a scalar at a `,`, `]` or blank. Each element is
/// held alone (at most `MAX_LINE` bytes), so a one-line array of any length reads in bounded
/// memory.
struct ArrayScan {
    src: Source,
    /// Newlines and bytes consumed so far.
    number: u64,
    offset: u64,
    /// The closing `]` was read.
    closed: bool,
}

/// One element's text, where it starts (1-based line, byte offset), and whether it was longer
/// than `MAX_LINE` (then its text is cut).
struct Element {
    text: Vec<u8>,
    line: u64,
    offset: u64,
    too_long: bool,
}

impl ArrayScan {
    /// Skip a byte-order mark and blanks; whether an array opens there (its `[` then consumed).
    fn skip_to_array(&mut self) -> std::io::Result<bool> {
        if self.fill()?.starts_with(b"\xEF\xBB\xBF") {
            self.bump(3);
        }
        loop {
            match self.fill()?.first() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.bump(1),
                Some(b'[') => {
                    self.bump(1);
                    return Ok(true);
                }
                _ => return Ok(false),
            }
        }
    }

    fn fill(&mut self) -> std::io::Result<&[u8]> {
        loop {
            match self.src.fill_buf() {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok(_) => break,
            }
        }
        self.src.fill_buf()
    }

    /// Consume `n` bytes of the buffer (counting its newlines).
    fn bump(&mut self, n: usize) {
        if let Ok(buf) = self.src.fill_buf() {
            let n = n.min(buf.len());
            self.number += memchr::memchr_iter(b'\n', buf.get(..n).unwrap_or_default()).count() as u64;
            self.offset += n as u64;
            self.src.consume(n);
        }
    }

    /// The next element; `None` once the array is closed or the input ends.
    fn next_element(&mut self) -> std::io::Result<Option<Element>> {
        loop {
            match self.fill()?.first() {
                None => return Ok(None),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b',') => self.bump(1),
                Some(b']') => {
                    self.bump(1);
                    self.closed = true;
                    return Ok(None);
                }
                Some(_) => break,
            }
        }
        let (line, offset) = (self.number + 1, self.offset);
        let (mut text, mut too_long) = (Vec::new(), false);
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            let buf = self.fill()?;
            if buf.is_empty() {
                break;
            }
            let mut end = None;
            let mut next = 0;
            while end.is_none() {
                if in_string {
                    match string_end(buf, next, &mut escaped) {
                        // A string at the top level is the element.
                        Some(past) => (in_string, next, end) = (false, past, (depth == 0).then_some(past)),
                        None => break,
                    }
                    continue;
                }
                let Some(&c) = buf.get(next) else { break };
                let i = next;
                next += 1;
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    // A closing bracket with nothing open ends a scalar (`]`), or is one byte
                    // of junk: taken as the element, which then fails to parse.
                    b'}' | b']' if depth == 0 => end = Some(if i == 0 && text.is_empty() { 1 } else { i }),
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                        }
                    }
                    b',' | b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => end = Some(i),
                    _ => {}
                }
            }
            let take = end.unwrap_or(buf.len());
            let room = super::lines::MAX_LINE.saturating_sub(text.len());
            text.extend_from_slice(buf.get(..take.min(room)).unwrap_or_default());
            too_long |= take > room;
            self.bump(take);
            if end.is_some() {
                break;
            }
        }
        Ok(Some(Element { text, line, offset, too_long }))
    }
}

/// Lines of a JSON array written one element per line: drop the BOM, a leading `[`, a trailing
/// `,` or `]`, and surrounding whitespace.
fn strip_array_punctuation(line: &[u8]) -> &[u8] {
    let mut s = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line).trim_ascii();
    if s == b"[" || s == b"]" || s == b"[]" {
        return &[];
    }
    if let Some(rest) = s.strip_prefix(b"[") {
        // A one-line array `[{…},{…}]` parses as an array; only strip an unbalanced `[`.
        if !s.ends_with(b"]") {
            s = rest.trim_ascii_start();
        }
    }
    if let Some(rest) = s.strip_suffix(b",") {
        s = rest.trim_ascii_end();
    }
    if s.ends_with(b"]") && !s.starts_with(b"[") && s.starts_with(b"{") {
        s = s.strip_suffix(b"]").unwrap_or(s).trim_ascii_end();
    }
    s
}

/// Splunk REST/CLI export: `{"preview":…, "offset":…, "lastrow":…, "result":{…}}`.
fn is_export(map: &serde_json::Map<String, Json>) -> bool {
    matches!(map.get("result"), Some(Json::Object(_)))
        && (map.contains_key("preview") || map.contains_key("lastrow") || map.contains_key("offset"))
        && map.keys().all(|k| matches!(k.as_str(), "preview" | "offset" | "lastrow" | "result" | "messages"))
}

/// The export's fields are already named (`a.b{}.c`); an array there is a multivalue field.
fn export_event(result: &serde_json::Map<String, Json>, line: &str) -> Event {
    let mut ev = Event::new();
    for (k, v) in result {
        match v {
            Json::Array(items) => {
                for item in items {
                    if let Some(a) = scalar(item) {
                        ev.push(k, a);
                    }
                }
            }
            other => flatten_json(k, other, &mut ev),
        }
    }
    if !ev.fields.contains_key("_raw") {
        ev.set("_raw", Value::str(line));
    }
    set_time(&mut ev);
    reorder(ev, &["source", "sourcetype", "host", "_raw"])
}

/// Splunk HTTP Event Collector's payload, as an OpenTelemetry Collector's `splunk_hec`
/// exporter or a HEC client writes it: `{"time":…, "host":…, "source":…, "sourcetype":…,
/// "index":…, "event":…, "fields":{…}}`, and nothing else.
pub(super) fn is_hec(map: &serde_json::Map<String, Json>) -> bool {
    map.contains_key("event")
        && matches!(map.get("fields"), None | Some(Json::Object(_)))
        && ["fields", "sourcetype", "index", "host", "source"].iter().any(|k| map.contains_key(*k))
        && map
            .keys()
            .all(|k| matches!(k.as_str(), "time" | "host" | "source" | "sourcetype" | "index" | "event" | "fields"))
}

/// A HEC payload as Splunk indexes it: the envelope's metadata, its `fields` as indexed fields
/// (an array is a multivalue field of that name), its `event` as `_raw` (an object's fields
/// extracted as JSON, a Windows `<Event>` record's as the XML reader extracts them; the
/// envelope's `time`, `host`, `source`, `sourcetype` and `index` win over the record's).
/// `"event":"metric"` is a metric data point: `metric_name:<name>` fields (or `metric_name` and
/// `_value`) and dimensions, read by `mstats`; its `_raw` is the line.
pub(super) fn hec_event(map: &serde_json::Map<String, Json>, line: &str, file: &str) -> Event {
    let event = map.get("event");
    let metric = matches!(event, Some(Json::String(s)) if s == "metric");
    // A Windows event forwarded as its XML text reads as the XML reader reads it.
    let xml = match event {
        Some(Json::String(s)) if s.trim_start().starts_with("<Event") => super::xml::parse_xml_event(s).ok(),
        _ => None,
    };
    let from_xml = xml.is_some();
    let mut ev = xml.unwrap_or_default();
    if let Some(t) = map.get("time").and_then(scalar).and_then(|a| super::parse_time(&a.as_str())) {
        ev.set("_time", Value::num(t));
    }
    match event {
        Some(obj @ Json::Object(_)) => flatten_json("", obj, &mut ev),
        // A JSON object sent as text (a log line that is JSON) is extracted as the object is.
        Some(Json::String(s)) if !from_xml && s.trim_start().starts_with('{') => {
            if let Ok(obj @ Json::Object(_)) = serde_json::from_str::<Json>(s) {
                flatten_json("", &obj, &mut ev);
            }
        }
        _ => {}
    }
    if let Some(Json::Object(fields)) = map.get("fields") {
        for (k, v) in fields {
            match v {
                Json::Array(items) => {
                    ev.remove(k);
                    items.iter().filter_map(scalar).for_each(|a| ev.push(k, a));
                }
                other => {
                    if let Some(a) = scalar(other) {
                        ev.set(k.as_str(), Value::One(a));
                    }
                }
            }
        }
    }
    let raw = match event {
        _ if from_xml => None,
        Some(Json::String(s)) if !metric => Some(s.clone()),
        Some(other) if !metric => Some(other.to_string()),
        _ => Some(line.to_string()),
    };
    for key in ["host", "source", "sourcetype", "index"] {
        if let Some(a) = map.get(key).and_then(scalar) {
            ev.set(key, Value::One(a));
        }
    }
    if !ev.fields.contains_key("source") {
        ev.set("source", Value::str(file));
    }
    if !ev.fields.contains_key("sourcetype") {
        // HEC's own default; an object event reads as JSON would.
        let st = if matches!(event, Some(Json::Object(_))) { "_json" } else { "httpevent" };
        ev.set("sourcetype", Value::str(st));
    }
    if let Some(raw) = raw {
        ev.set("_raw", Value::str(raw));
    }
    // `index` last, where extraction puts the index of events that name none.
    reorder(ev, &["source", "sourcetype", "host", "_raw", "index"])
}

fn json_event(value: &Json, line: &str, file: &str) -> Event {
    let mut ev = Event::new();
    flatten_json("", value, &mut ev);
    set_time(&mut ev);
    // The file is the source unless the JSON names one (Splunk's INDEX.tsv shows ingested
    // JSON whose `source` key became the source, e.g. pingid).
    if !ev.fields.contains_key("source") {
        ev.set("source", Value::str(file));
    }
    if !ev.fields.contains_key("sourcetype") {
        ev.set("sourcetype", Value::str("_json"));
    }
    ev.set("_raw", Value::str(line));
    reorder(ev, &["source", "sourcetype", "host", "_raw"])
}

/// `_time` as epoch seconds, from the first [`TIME_KEYS`] field that parses as a time.
fn set_time(ev: &mut Event) {
    let t = TIME_KEYS.iter().find_map(|k| ev.get_str(k).and_then(|s| super::parse_time(&s)));
    match t {
        Some(t) => ev.set("_time", Value::num(t)),
        None => {
            ev.remove("_time");
        }
    }
}

fn scalar(v: &Json) -> Option<Atom> {
    match v {
        // Splunk does not extract empty values; JSON null gives no field either.
        Json::Null => None,
        Json::String(s) if s.is_empty() => None,
        Json::String(s) => Some(Atom::from(s.as_str())),
        // Numbers keep their JSON text, as Splunk extracts it (`1.50`, `-0`, a 30-digit
        // integer; serde_json's `arbitrary_precision`), but for an exponent, written `1e+5`.
        Json::Number(n) => Some(Atom::from(n.to_string())),
        Json::Bool(b) => Some(Atom::from(b.to_string())),
        Json::Array(_) | Json::Object(_) => None,
    }
}

/// Flatten `value` into `ev` under `name`: `a.b` for objects, `a{}` for arrays (each element
/// appended, so arrays become multivalue). Depth is bounded by serde_json's recursion limit.
pub fn flatten_json(name: &str, value: &Json, ev: &mut Event) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                let key = if name.is_empty() { k.clone() } else { format!("{name}.{k}") };
                flatten_json(&key, v, ev);
            }
        }
        Json::Array(items) => {
            let key = format!("{name}{{}}");
            for item in items {
                flatten_json(&key, item, ev);
            }
        }
        other => {
            if let Some(a) = scalar(other) {
                let key = if name.is_empty() { "_value" } else { name };
                ev.push(key, a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(text: &str) -> Vec<Record> {
        records_at(Box::new(Cursor::new(text.as_bytes().to_vec())), "t.json".into(), 0, 0, false).collect()
    }

    fn events(recs: &[Record]) -> Vec<&Event> {
        recs.iter().filter_map(|r| if let Record::Event(e) = r { Some(e) } else { None }).collect()
    }

    #[test]
    fn hec_payloads_read_as_splunk_indexes_them() {
        let recs = read(concat!(
            r#"{"time":1764979200.5,"host":"w1","index":"k8s","event":"metric","fields":{"k8s.node.name":"w1","metric_name:cpu.idle":95.5,"metric_name:cpu.usr":1}}"#,
            "\n",
            r#"{"time":"1764979201","event":"metric","fields":{"metric_name":"io","_value":7,"region":"eu"}}"#,
            "\n",
            r#"{"time":1764979202,"sourcetype":"app","event":"user bob logged in","fields":{"tags":["a","b"]}}"#,
            "\n",
            r#"{"time":1764979203,"index":"main","event":{"user":"bob","n":[1,2]}}"#,
            "\n",
            r#"{"time":1764979205,"sourcetype":"_json","event":"{\"user\":\"eve\",\"ok\":true}"}"#,
            "\n",
            // An `event` key among others: a JSON log, not a HEC payload.
            r#"{"time":1764979204,"event":"login","user":"bob"}"#,
            "\n",
        ));
        let evs = events(&recs);
        let get = |i: usize, f: &str| evs[i].get(f).map(|v| v.to_string());
        assert_eq!(get(0, "_time").as_deref(), Some("1764979200.5"));
        assert_eq!(get(0, "metric_name:cpu.idle").as_deref(), Some("95.5"));
        assert_eq!(get(0, "metric_name:cpu.usr").as_deref(), Some("1"));
        assert_eq!(
            (get(0, "index"), get(0, "host"), get(0, "k8s.node.name")),
            (Some("k8s".into()), Some("w1".into()), Some("w1".into()))
        );
        assert_eq!(get(0, "sourcetype").as_deref(), Some("httpevent"));
        assert!(evs[0].get("event").is_none() && evs[0].get("fields.k8s.node.name").is_none());
        assert_eq!(
            (get(1, "metric_name"), get(1, "_value"), get(1, "region")),
            (Some("io".into()), Some("7".into()), Some("eu".into()))
        );
        assert_eq!(get(2, "_raw").as_deref(), Some("user bob logged in"));
        assert_eq!(evs[2].get("tags").map(|v| v.atoms().len()), Some(2), "an array field is multivalue");
        assert_eq!(get(2, "sourcetype").as_deref(), Some("app"));
        assert_eq!(get(3, "_raw").as_deref(), Some(r#"{"user":"bob","n":[1,2]}"#));
        assert_eq!((get(3, "user"), get(3, "sourcetype")), (Some("bob".into()), Some("_json".into())));
        assert_eq!(evs[3].get("n{}").map(|v| v.atoms().len()), Some(2));
        assert_eq!((get(4, "user"), get(4, "ok")), (Some("eve".into()), Some("true".into())));
        assert_eq!(get(4, "_raw").as_deref(), Some(r#"{"user":"eve","ok":true}"#));
        assert_eq!(get(5, "event").as_deref(), Some("login"));
        assert_eq!(get(5, "_raw").as_deref(), Some(r#"{"time":1764979204,"event":"login","user":"bob"}"#));
    }

    #[test]
    fn flatten_names() {
        let recs = read(
            r#"{"_time":"2020-10-08T11:03:46Z","a":{"b":1,"c":[1,2]},"Actor":[{"ID":"x"},{"ID":"y"}],"e":"","n":null}"#,
        );
        let ev = events(&recs)[0];
        assert_eq!(ev.time(), Some(1602155026.0));
        assert_eq!(ev.get_str("a.b").unwrap(), "1");
        assert_eq!(ev.get("a.c{}").unwrap(), &Value::Many(vec!["1".into(), "2".into()]));
        assert_eq!(ev.get("Actor{}.ID").unwrap(), &Value::Many(vec!["x".into(), "y".into()]));
        assert!(ev.get("e").is_none() && ev.get("n").is_none());
        assert_eq!(ev.get_str("sourcetype").unwrap(), "_json");
    }

    #[test]
    fn broken_lines_and_shapes() {
        let text = "{\"a\":1}\n{\"a\":2, \"b\n{\"a\":3}\n\n{\n  \"a\": 4\n}\n[{\"a\":5},{\"a\":6}]\n{\"a\":";
        let recs = read(text);
        let a: Vec<String> = events(&recs).iter().map(|e| e.get_str("a").unwrap().into_owned()).collect();
        assert_eq!(a, ["1", "3", "4", "5", "6"]);
        let bad: Vec<String> = recs
            .iter()
            .filter_map(|r| if let Record::Malformed(m) = r { Some(m.location.to_string()) } else { None })
            .collect();
        assert_eq!(bad, ["t.json:2", "t.json:9"]);
    }

    #[test]
    fn export_shape() {
        let recs = read(
            r#"{"preview":false,"result":{"_raw":"hello","_time":"2020-10-08T11:03:46.000+00:00","x{}":["1","2"],"sourcetype":"st"}}"#,
        );
        let ev = events(&recs)[0];
        assert_eq!(ev.get_str("_raw").unwrap(), "hello");
        assert_eq!(ev.get_str("sourcetype").unwrap(), "st");
        assert_eq!(ev.get("x{}").unwrap(), &Value::Many(vec!["1".into(), "2".into()]));
        assert_eq!(ev.time(), Some(1602155026.0));
    }

    #[test]
    fn numbers_keep_their_text() {
        let recs = read(r#"{"a":1.50,"b":-0,"c":123456789012345678901234567890,"d":0.10,"e":-12,"f":1E5}"#);
        let ev = events(&recs)[0];
        let got: Vec<String> =
            ["a", "b", "c", "d", "e", "f"].iter().map(|k| ev.get_str(k).unwrap().into_owned()).collect();
        assert_eq!(got, ["1.50", "-0", "123456789012345678901234567890", "0.10", "-12", "1e+5"]);
    }

    #[test]
    fn deep_nesting_is_malformed() {
        let deep = format!("{{\"a\":1}}\n{}{}\n{{\"a\":2}}\n", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        let recs = read(&deep);
        assert_eq!(events(&recs).len(), 2);
        assert_eq!(recs.len(), 3);
    }

    fn locations(recs: &[Record]) -> Vec<String> {
        recs.iter()
            .filter_map(
                |r| if let Record::Malformed(m) = r { Some(format!("{} {}", m.location, m.message)) } else { None },
            )
            .collect()
    }

    fn raws(recs: &[Record]) -> Vec<String> {
        events(recs).iter().map(|e| e.get_str("_raw").unwrap().into_owned()).collect()
    }

    /// A file that opens with an array gives each element as an event whatever the array's
    /// layout, `_raw` being the element's text (CRLF read as LF, as lines give it).
    #[test]
    fn an_array_gives_its_elements_in_every_layout() {
        let want = [r#"{"a":1,"s":"x],\"}{y"}"#, r#"{"a":2,"b":[{"c":1},{"c":2}]}"#];
        let one_line = format!("\u{feff}[{},{}]", want[0], want[1]);
        let by_lines = format!("[\n{},\n{}\n]\n", want[0], want[1]);
        let crlf = by_lines.replace('\n', "\r\n");
        for text in [one_line.as_str(), &by_lines, &crlf, &format!("  \n[ {} , {} ]", want[0], want[1])] {
            let recs = read(text);
            assert_eq!(raws(&recs), want, "{text:?}");
            assert_eq!(recs.len(), 2);
        }
        let pretty =
            "[\n  {\n    \"a\": 1,\n    \"b\": [\n      {\"c\": 1},\n      {\"c\": 2}\n    ]\n  },\n  {\"a\": 2}\n]";
        let recs = read(pretty);
        assert_eq!(
            raws(&recs),
            ["{\n    \"a\": 1,\n    \"b\": [\n      {\"c\": 1},\n      {\"c\": 2}\n    ]\n  }", "{\"a\": 2}"]
        );
        assert_eq!(events(&recs)[0].get("b{}.c").unwrap(), &Value::Many(vec!["1".into(), "2".into()]));
        // Scalars and arrays as elements are raw events, as on a line of their own.
        let recs = read("[1, \"two\", [3], null]");
        assert_eq!(raws(&recs), ["1", "\"two\"", "[3]", "null"]);
    }

    /// A bad element is reported where it starts and the next read; what follows the array is
    /// read by lines; an array the input ends inside is reported.
    #[test]
    fn an_array_reports_its_bad_elements_where_they_start() {
        let text = "[\n{\"a\":1},\n{\"a\":2 \"b\":3},\n}\n{\"a\":4}]\n{\"a\":5}\n[{\"a\":6}]\n";
        let recs = read(text);
        let a: Vec<String> = events(&recs).iter().map(|e| e.get_str("a").unwrap().into_owned()).collect();
        assert_eq!(a, ["1", "4", "5", "6"]);
        let bad = locations(&recs);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad[0].starts_with("t.json:3 invalid JSON"), "{bad:?}");
        assert!(bad[1].starts_with("t.json:4 invalid JSON"), "{bad:?}");

        let recs = read("[{\"a\":1},\n{\"a\":2},\n{\"a\":");
        assert_eq!(events(&recs).len(), 2);
        let bad = locations(&recs);
        assert!(bad[0].starts_with("t.json:3 incomplete JSON"), "{bad:?}");
        assert!(bad[1].contains("the array is not closed"), "{bad:?}");
    }

    /// One line of any length: each element is held alone; one longer than a line may be is
    /// reported and the rest read.
    #[test]
    fn a_one_line_array_longer_than_a_line_reads_element_by_element() {
        let element = format!("{{\"pad\":\"{}\"}}", "x".repeat(1000));
        let mut text = String::from("[");
        let n = (super::super::lines::MAX_LINE / element.len()) + 100;
        for i in 0..n {
            text.push_str(&format!("{{\"i\":{i}}},{element},"));
        }
        text.push_str(&format!("{{\"huge\":\"{}\"}},{{\"i\":{n}}}]", "y".repeat(super::super::lines::MAX_LINE)));
        let recs = read(&text);
        let evs = events(&recs);
        assert_eq!(evs.len(), 2 * n + 1);
        assert_eq!(evs.last().unwrap().get_str("i").unwrap(), n.to_string());
        let bad = locations(&recs);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].contains("array element longer than 16 MiB"), "{bad:?}");
    }

    /// Damaged arrays never panic or hang, and every byte is accounted for: each element is an
    /// event or a malformed entry.
    #[test]
    fn damaged_arrays_read_to_the_end() {
        let base = "[{\"a\":1,\"s\":\"q\\\"]}\"},\n {\"b\":[1,{\"c\":2}]}, 3, \"x\" ,null]\n{\"d\":4}\n";
        let bytes = base.as_bytes();
        let mut seed = 7u64;
        for _ in 0..3000 {
            let mut m = bytes.to_vec();
            for _ in 0..3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let at = (seed >> 33) as usize % m.len();
                let table = b"[]{},\"\\ \n:x";
                let b = table[(seed >> 20) as usize % table.len()];
                match (seed >> 8) % 3 {
                    0 => m[at] = b,
                    1 => m.insert(at, b),
                    _ => {
                        m.remove(at);
                    }
                }
            }
            let recs: Vec<Record> = records_at(Box::new(Cursor::new(m)), "t.json".into(), 0, 0, false).collect();
            assert!(recs.len() < 100, "{}", recs.len());
        }
    }
}
