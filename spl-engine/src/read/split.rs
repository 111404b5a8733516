//! Line-based input (JSON, classic WinEventLog, text, CSV) cut into blocks of whole records, so
//! that blocks are parsed apart, on all cores, and give the records reading the whole input
//! gives, with the same line numbers and offsets.
//!
//! Each format says where its records may be cut (`LineFormat::find_cut`). Where no cut is
//! found within `CUT_SEARCH_MAX` bytes, the rest of the input is read record by record, as it
//! was before: memory stays bounded whatever the input.

use std::io::{BufRead, Read};
use std::sync::Arc;

use super::{Location, Malformed, ReadOptions, Record, Records, Source};

/// A record judge: given a record's text (lower-cased), whether it is read; `false` leaves
/// it unparsed.
pub type Keep<'j> = &'j mut (dyn FnMut(&[u8]) -> bool + Send);

/// A reader whose records a `Keep` judges, and how many it left unparsed.
pub(crate) trait Judged: Iterator<Item = Record> {
    fn skipped(&self) -> u64;
}

/// Every record of a judged reader, and how many its judge left unparsed.
fn read_judged(mut records: impl Judged) -> (Vec<Record>, u64) {
    let read: Vec<Record> = records.by_ref().collect();
    (read, records.skipped())
}

/// A cut is looked for this far past a block's size at most.
const CUT_SEARCH_MAX: usize = 16 << 20;

/// The line-based formats read in blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    Json,
    /// JSON starting between two elements of the array its file opens with.
    JsonArray,
    WinEventLog,
    Text,
    /// Rows under a header row, which the splitter reads first and gives every block.
    Csv,
}

impl LineFormat {
    /// The records of a stream that starts after `line` lines and `offset` bytes of its file.
    /// CSV: the rows under `headers`; without them the stream starts with its header row.
    fn records_at(self, src: Source, file: String, line: u64, offset: u64, headers: Option<&Arc<[String]>>) -> Records {
        match self {
            LineFormat::Csv => match headers {
                Some(h) => super::csv::rows_at(src, file, h.clone(), line, offset),
                None => super::csv::records(src, file),
            },
            LineFormat::Json | LineFormat::JsonArray => {
                super::json::records_at(src, file, line, offset, self == LineFormat::JsonArray)
            }
            LineFormat::WinEventLog => Box::new(super::wineventlog::WinEventLogRecords::at(src, file, line, offset)),
            LineFormat::Text => Box::new(super::text::TextRecords::at(src, file, line, offset)),
        }
    }

    /// The first cut in `buf` after a newline at or past `from` (where the next block starts),
    /// or where to look again once more is read.
    fn find_cut(self, buf: &[u8], from: usize) -> Result<usize, usize> {
        match self {
            // Cuts in an array are found by the splitter's `ArrayCuts`.
            LineFormat::Json | LineFormat::JsonArray => super::json::find_cut(buf, from),
            LineFormat::WinEventLog => super::wineventlog::find_cut(buf, from),
            LineFormat::Csv => super::csv::find_cut(buf, from),
            // One record a line.
            LineFormat::Text => {
                let from = from.min(buf.len());
                match memchr::memchr(b'\n', buf.get(from..).unwrap_or_default()) {
                    Some(p) => Ok(from + p + 1),
                    None => Err(buf.len()),
                }
            }
        }
    }
}

/// Cuts line-based input into blocks of whole records (`next_job`).
pub struct LineSplitter {
    format: LineFormat,
    src: Source,
    file: String,
    opts: ReadOptions,
    /// Read, not yet handed out; starts after `line` lines and `offset` bytes of the file.
    buf: Vec<u8>,
    line: u64,
    offset: u64,
    /// Where in `buf` to look for a cut next (what precedes was searched).
    search_from: usize,
    eof: bool,
    /// A read error, reported after what was read before it.
    failed: Option<Malformed>,
    /// Past a stretch with no cut, the rest read record by record.
    rest: Option<Records>,
    /// CSV: the header row's names, once the first block is taken.
    headers: Option<Arc<[String]>>,
    /// The format `buf` starts in: `format`, or `JsonArray` between two elements of the array
    /// a JSON file opens with.
    block_format: LineFormat,
    /// JSON opening with an array: where it may be cut, until its `]`.
    array: Option<super::json::ArrayCuts>,
    /// Whether a JSON file was looked at for an opening array.
    array_checked: bool,
}

/// A piece of input: a block to parse (`LineBlock::records`), or records parsed already.
pub enum LineJob {
    Block(LineBlock),
    Parsed(Vec<Record>),
}

/// Whole records of an input, where they start in its file.
pub struct LineBlock {
    format: LineFormat,
    bytes: Vec<u8>,
    file: String,
    opts: ReadOptions,
    line: u64,
    offset: u64,
    headers: Option<Arc<[String]>>,
}

impl LineBlock {
    /// The block's records, as reading the whole input gives them (overrides applied).
    pub fn records(self) -> Vec<Record> {
        let LineBlock { format, bytes, file, opts, line, offset, headers } = self;
        let src: Source = Box::new(std::io::Cursor::new(bytes));
        format.records_at(src, file, line, offset, headers.as_ref()).map(|r| super::overridden(r, &opts)).collect()
    }

    /// `records`, each record judged by `keep` on its text before it is parsed, where the
    /// format allows; with the number of records left unparsed. `keep` gets the text lower-
    /// cased: a JSON line that is one whole object as `prefilter::json_record_text` gives it, a
    /// text line as it is, a classic WinEventLog block's lines joined by newlines, a CSV row's
    /// cells and the row re-joined (`csv::row_text`).
    pub fn records_judged(self, keep: Keep<'_>) -> (Vec<Record>, u64) {
        let LineBlock { format, bytes, file, opts, line, offset, headers } = self;
        let src: Source = Box::new(std::io::Cursor::new(bytes));
        let mut text = Vec::new();
        let (records, skipped) = match format {
            LineFormat::Json | LineFormat::JsonArray => {
                let mut judge = |raw: &[u8]| !crate::prefilter::json_record_text(raw, &mut text) || keep(&text);
                let in_array = format == LineFormat::JsonArray;
                read_judged(super::json::judged(src, file, line, offset, in_array, &mut judge))
            }
            LineFormat::Text => {
                let mut judge = |raw: &[u8]| {
                    text.clear();
                    text.extend(raw.iter().map(u8::to_ascii_lowercase));
                    keep(&text)
                };
                read_judged(super::text::judged(src, file, line, offset, &mut judge))
            }
            LineFormat::WinEventLog => read_judged(super::wineventlog::judged(src, file, line, offset, keep)),
            LineFormat::Csv => match headers {
                Some(headers) => super::csv::judged(src, file, headers, line, offset, keep),
                None => (format.records_at(src, file, line, offset, None).collect(), 0),
            },
        };
        (records.into_iter().map(|r| super::overridden(r, &opts)).collect(), skipped)
    }
}

pub(crate) fn split(format: LineFormat, src: Source, file: String, opts: ReadOptions) -> LineSplitter {
    LineSplitter {
        format,
        src,
        file,
        opts,
        buf: Vec::new(),
        line: 0,
        offset: 0,
        search_from: 0,
        eof: false,
        failed: None,
        rest: None,
        headers: None,
        block_format: format,
        array: None,
        array_checked: format != LineFormat::Json,
    }
}

impl LineSplitter {
    /// The next job: a block of `block_bytes` or a little more, or up to `batch` records read
    /// here once no cut was found; `None` at the end of input.
    pub fn next_job(&mut self, block_bytes: usize, batch: usize) -> Option<LineJob> {
        loop {
            if let Some(rest) = &mut self.rest {
                let records: Vec<Record> = rest.by_ref().take(batch.max(1)).collect();
                return (!records.is_empty()).then_some(LineJob::Parsed(records));
            }
            if self.buf.len() >= block_bytes {
                match self.find_cut(self.search_from.max(block_bytes.saturating_sub(1))) {
                    Ok(cut) => {
                        let in_array = self.array.is_some();
                        let mut block = self.take_block(cut);
                        if in_array {
                            // Cut between two elements: the block's array is closed where it
                            // ends (nothing follows), not left open as at the end of input.
                            block.bytes.push(b']');
                        }
                        return Some(LineJob::Block(block));
                    }
                    Err(resume) => self.search_from = resume,
                }
                if self.buf.len() > block_bytes + CUT_SEARCH_MAX {
                    self.read_the_rest();
                    continue;
                }
            }
            if self.eof {
                if !self.buf.is_empty() {
                    return Some(LineJob::Block(self.take_block(self.buf.len())));
                }
                return self.failed.take().map(|m| LineJob::Parsed(vec![Record::Malformed(m)]));
            }
            if let Err(e) = self.fill(block_bytes) {
                // What was read before it is parsed first; the error ends the input, as when
                // reading record by record.
                self.eof = true;
                let message = format!("read error: {e}");
                self.failed = Some(Malformed { location: Location::file(&self.file), message });
            }
        }
    }

    /// `LineFormat::find_cut` in `buf`, or within the array the input opens with.
    fn find_cut(&mut self, from: usize) -> Result<usize, usize> {
        if !self.array_checked {
            // Decided on the first bytes (blanks only so far: read on).
            let Some(array) = super::json::opens_array(&self.buf) else { return Err(self.buf.len()) };
            self.array = array.then(super::json::ArrayCuts::default);
            self.array_checked = true;
        }
        let Some(array) = self.array.as_mut() else { return self.format.find_cut(&self.buf, from) };
        match array.scan(&self.buf, from) {
            super::json::ArrayCut::At(cut) => Ok(cut),
            super::json::ArrayCut::More => Err(self.buf.len()),
            super::json::ArrayCut::Closed(end) => {
                self.array = None;
                self.format.find_cut(&self.buf, from.max(end))
            }
        }
    }

    /// Read about `want` more bytes (fewer at the end of input).
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        let target = self.buf.len() + want.max(1);
        while self.buf.len() < target {
            let chunk = match self.src.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let n = chunk.len().min(target - self.buf.len());
            self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            self.src.consume(n);
        }
        Ok(())
    }

    fn take_block(&mut self, cut: usize) -> LineBlock {
        let rest = self.buf.split_off(cut.min(self.buf.len()));
        let mut bytes = std::mem::replace(&mut self.buf, rest);
        let (mut line, mut offset) = (self.line, self.offset);
        self.line += newlines(&bytes);
        self.offset += bytes.len() as u64;
        self.search_from = 0;
        // The first CSV block starts with the header row: read here, as every block needs it.
        if self.format == LineFormat::Csv && self.headers.is_none() {
            let (headers, end) = super::csv::split_header(&bytes);
            let header = bytes.drain(..end.min(bytes.len()));
            line += newlines(header.as_slice());
            offset += header.len() as u64;
            drop(header);
            self.headers = Some(headers);
        }
        let (file, opts, headers) = (self.file.clone(), self.opts.clone(), self.headers.clone());
        let format = std::mem::replace(
            &mut self.block_format,
            if self.array.is_some() { LineFormat::JsonArray } else { self.format },
        );
        LineBlock { format, bytes, file, opts, line, offset, headers }
    }

    /// No cut nearby: the rest of the input is read record by record, from what is buffered.
    fn read_the_rest(&mut self) {
        let buffered = std::io::Cursor::new(std::mem::take(&mut self.buf));
        let src = std::mem::replace(&mut self.src, Box::new(std::io::empty()));
        let chained: Source = Box::new(std::io::BufReader::new(buffered.chain(src)));
        let opts = self.opts.clone();
        let records =
            self.block_format.records_at(chained, self.file.clone(), self.line, self.offset, self.headers.as_ref());
        let failed = self.failed.take().map(Record::Malformed);
        self.rest = Some(Box::new(records.map(move |r| super::overridden(r, &opts)).chain(failed)));
    }

    /// The input not handed out yet, read record by record (overrides applied).
    pub fn into_records(mut self) -> Records {
        if self.rest.is_none() {
            self.read_the_rest();
        }
        self.rest.unwrap_or_else(|| Box::new(std::iter::empty()))
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn source(text: &str) -> Source {
        Box::new(Cursor::new(text.as_bytes().to_vec()))
    }

    /// The records of `text` read whole, as before blocks.
    fn whole(format: LineFormat, text: &str) -> Vec<Record> {
        format.records_at(source(text), "t".into(), 0, 0, None).collect()
    }

    /// Every job of a splitter over `text`, cut at `block` bytes, as records.
    fn in_blocks(format: LineFormat, text: &str, block: usize, opts: &ReadOptions) -> Vec<Record> {
        let mut split = split(format, source(text), "t".into(), opts.clone());
        let mut out = Vec::new();
        while let Some(job) = split.next_job(block, 3) {
            match job {
                LineJob::Block(b) => out.extend(b.records()),
                LineJob::Parsed(r) => out.extend(r),
            }
        }
        out
    }

    /// Events by their fields, malformed records by location (and message when `messages`).
    fn shown(recs: &[Record], messages: bool) -> Vec<String> {
        recs.iter()
            .map(|r| match r {
                Record::Event(e) => format!("{:?}", e.fields),
                Record::Malformed(m) if messages => format!("{m}@{:?}", m.location.byte_offset),
                Record::Malformed(m) => format!("{}@{:?}", m.location, m.location.byte_offset),
            })
            .collect()
    }

    fn events(recs: &[Record]) -> Vec<&crate::event::Event> {
        recs.iter().filter_map(|r| if let Record::Event(e) = r { Some(e) } else { None }).collect()
    }

    /// At every block size, blocks give what reading the whole input gives.
    fn same_at_every_block_size(format: LineFormat, text: &str, messages: bool) {
        let expected = shown(&whole(format, text), messages);
        for block in 1..=text.len() + 1 {
            let got = shown(&in_blocks(format, text, block, &ReadOptions::default()), messages);
            assert_eq!(got, expected, "{format:?}, block {block} of {text:?}");
        }
    }

    #[test]
    fn json_blocks_read_as_the_whole_input_does() {
        let lines: String = (0..40).map(|i| format!("{{\"n\":{i},\"s\":\"a}}{{b\"}}\r\n")).collect();
        same_at_every_block_size(LineFormat::Json, &lines, true);
        // Pretty-printed objects, arrays one element a line, several objects a line, blank lines.
        same_at_every_block_size(
            LineFormat::Json,
            "{\n  \"a\": {\"b\": 1}\n}\n{\"a\":2}{\"a\":3}\n\n[{\"a\":4},\n{\"a\":5}]\n  {\"x\": [\n{\"y\":1},\n{\"y\":2}\n]}\n{\"z\":1}",
            true,
        );
        // A nested object closing a line, the next opening one: one record.
        same_at_every_block_size(LineFormat::Json, "{\"a\": [{\"b\": 1}\n, {\"c\": 2}\n]}\n{\"d\":3}\n", true);
        same_at_every_block_size(LineFormat::Json, "\u{feff}{\"bom\":1}\n{\"a\":2}\n", true);
        // Overrides apply in blocks as when reading whole.
        let forced = ReadOptions { sourcetype: Some("st".into()), ..Default::default() };
        let recs = in_blocks(LineFormat::Json, &lines, 64, &forced);
        assert_eq!(recs.len(), 40);
        assert!(events(&recs).iter().all(|e| e.get_str("sourcetype").as_deref() == Some("st")));
    }

    /// A file opening with an array is cut between its elements (after a `,` outside strings
    /// and brackets): blocks give what reading it whole gives, in every layout, with bad
    /// elements, after the array closes, and judged before parsing too.
    #[test]
    fn json_arrays_are_cut_between_their_elements() {
        let one_line: String = format!(
            "\u{feff} [{}]",
            (0..30).map(|i| format!("{{\"n\":{i},\"s\":\"a],{{\\\"b\"}}")).collect::<Vec<_>>().join(",")
        );
        same_at_every_block_size(LineFormat::Json, &one_line, true);
        let by_lines: String =
            format!("[\r\n{}\r\n]\r\n", (0..30).map(|i| format!("{{\"n\":{i}}}")).collect::<Vec<_>>().join(",\r\n"));
        same_at_every_block_size(LineFormat::Json, &by_lines, true);
        // Pretty-printed, a bad element, scalars, JSON lines after the array, a second array.
        let mixed = "[\n  {\n    \"a\": [1, {\"b\": \"],\"}],\n    \"c\": 2\n  },\n  {\"d\": 1 \"e\": 2},\n  }, 3, \"x,y\",\n  {\"f\": 4}\n]\n{\"g\":5}\n{\"g\":6}\n[{\"h\":7},{\"h\":8}]\n{\"g\":9}";
        let whole_mixed = whole(LineFormat::Json, mixed);
        assert_eq!(events(&whole_mixed).len(), 9, "{:?}", shown(&whole_mixed, true));
        same_at_every_block_size(LineFormat::Json, mixed, true);
        // An array the input ends inside.
        same_at_every_block_size(LineFormat::Json, "[{\"a\":1},{\"a\":2},{\"a\":", true);

        // Judged: every element whose text holds `n\":1` is parsed, the others left.
        let mut split = split(LineFormat::Json, source(&one_line), "t".into(), ReadOptions::default());
        let (mut kept, mut skipped) = (Vec::new(), 0);
        while let Some(job) = split.next_job(40, 3) {
            match job {
                LineJob::Block(b) => {
                    let mut keep = |t: &[u8]| t.windows(5).any(|w| w == b"\"n\":1");
                    let (r, s) = b.records_judged(&mut keep);
                    kept.extend(r);
                    skipped += s;
                }
                LineJob::Parsed(r) => kept.extend(r),
            }
        }
        let n: Vec<String> = events(&kept).iter().map(|e| e.get_str("n").unwrap().into_owned()).collect();
        assert_eq!(n, ["1", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19"]);
        assert_eq!(skipped, 19);
    }

    #[test]
    fn json_records_broken_before_a_cut_skip_the_same_lines() {
        // Line 2 never completes; line 4, a broken string before a cut, is reported as
        // incomplete (the next line is not in its block) where the whole input calls it invalid.
        let text = "{\"a\":1}\n{\"a\":2, \"b\n{\"a\":3}\n{\"s\": \"x}\n{\"a\":4}\n{\"a\":";
        assert_eq!(events(&whole(LineFormat::Json, text)).len(), 3);
        same_at_every_block_size(LineFormat::Json, text, false);
    }

    #[test]
    fn wineventlog_blocks_read_as_the_whole_input_does() {
        let event = |n: u32, code: u32| {
            format!(
                "04/22/2020 09:19:{n:02} PM\r\nLogName=Security\r\nEventCode={code}\r\nComputerName=dc1.acme.local\r\n\
                 Message=A new process has been created.\r\n\r\nCreator Subject:\r\n\tAccount Name:\t\tuser{n}\r\n\
                 04/22/2020 09:19:{n:02} PM\r\n"
            )
        };
        // Stray text first; a timestamp line inside a message (not followed by LogName=).
        let text = format!("stray\nmore stray\n{}{}{}", event(1, 4688), event(2, 4624), event(3, 4688));
        same_at_every_block_size(LineFormat::WinEventLog, &text, true);
        assert_eq!(events(&whole(LineFormat::WinEventLog, &text)).len(), 3);
    }

    #[test]
    fn text_blocks_read_as_the_whole_input_does() {
        let text = "one\r\n\r\n  \ntwo\nbin\u{0}ary\nthree";
        same_at_every_block_size(LineFormat::Text, text, true);
        assert_eq!(events(&whole(LineFormat::Text, text)).len(), 3);
    }

    #[test]
    fn csv_blocks_read_as_the_whole_input_does() {
        // Quoted commas, quotes, CRLF and bare LF inside values; blank lines; a lone CR ending
        // a row; a row longer than the header and one shorter; a binary row; a BOM.
        let text = "\u{feff}_time,user,cmd\r\n1602155026,bob,\"a,b\"\r\n\r\n1602155027,\"x\"\"y\",\"line1\r\nline2\nline3\"\r\n\
                    1602155028,eve,plain,extra\r1602155029\nbin,\u{0}ary,z\n1602155030,\"q\"\"\r\n\"\"\",end\n\n";
        same_at_every_block_size(LineFormat::Csv, text, true);
        let whole = whole(LineFormat::Csv, text);
        assert_eq!(events(&whole).len(), 5);
        assert_eq!(whole.len(), 6, "and the binary row, reported");
        // A header alone, a header with no newline, nothing at all, an unterminated quote.
        for text in ["a,b\n", "a,b", "", "\n\n", "h\n1,\"open\n2,3\n"] {
            same_at_every_block_size(LineFormat::Csv, text, true);
        }
        // Rows keep the file's line numbers and offsets in every block.
        let rows: String =
            std::iter::once("n,v\n".to_string()).chain((0..30).map(|i| format!("{i},\u{0}\n"))).collect();
        let recs = in_blocks(LineFormat::Csv, &rows, 16, &ReadOptions::default());
        let lines: Vec<Option<u64>> =
            recs.iter().map(|r| if let Record::Malformed(m) = r { m.location.line } else { None }).collect();
        assert_eq!(lines, (2..32).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn judged_records_are_those_read_whole_less_the_rejected() {
        let json = "{\"a\":\"Keep\"}\n{\"a\":\"drop\"}\n{\"a\":\n\"multi\"}\n{\"a\":1e5,\"b\":\"drop\"}\n";
        let text = "keep 1\ndrop 2\n\nKEEP 3\n";
        let classic = "04/22/2020 09:19:51 PM\r\nLogName=Security\r\nMessage=keep\r\n\
                       04/22/2020 09:19:52 PM\r\nLogName=Security\r\nMessage=drop\r\n";
        let csv = "v,w\nkeep,1\ndrop,2\n\"Keep \"\"q\"\"\",3\n";
        let cases = [
            (LineFormat::Json, json, 3, 1),
            (LineFormat::Text, text, 2, 1),
            (LineFormat::WinEventLog, classic, 1, 1),
            (LineFormat::Csv, csv, 2, 1),
        ];
        for (format, input, kept, skipped) in cases {
            let whole = whole(format, input);
            let mut seen = Vec::new();
            let mut keep = |t: &[u8]| {
                seen.push(String::from_utf8_lossy(t).into_owned());
                !String::from_utf8_lossy(t).contains("drop")
            };
            let mut split = split(format, source(input), "t".into(), ReadOptions::default());
            let Some(LineJob::Block(block)) = split.next_job(1 << 20, 8) else { panic!("one block") };
            let (got, left_out) = block.records_judged(&mut keep);
            assert_eq!((got.len(), left_out), (kept, skipped), "{format:?}");
            // What is kept is what reading whole gives, in order.
            let expected: Vec<String> =
                shown(&whole, true).into_iter().filter(|r| !r.contains("drop") || r.contains("1e+5")).collect();
            assert_eq!(shown(&got, true), expected, "{format:?}");
            // The judge sees text lower-cased: JSON only as one whole object, never with a number
            // written back differently, nor a piece of a multi-line record.
            assert!(seen.iter().all(|t| t == &t.to_lowercase()), "{seen:?}");
            let judged = match format {
                LineFormat::Json | LineFormat::JsonArray | LineFormat::WinEventLog => 2,
                LineFormat::Text | LineFormat::Csv => 3,
            };
            assert_eq!(seen.len(), judged, "{seen:?}");
        }
    }

    #[test]
    fn a_csv_row_is_judged_on_every_value_it_gives() {
        // Quotes are doubled in a row's text but not in its values; `_raw` spans cells.
        let csv = "a,b,c\r\n\"say \"\"Hi\"\"\",\"x,y\",\"two\r\nlines\"\r\n";
        let mut seen = Vec::new();
        let mut splitter = split(LineFormat::Csv, source(csv), "t".into(), ReadOptions::default());
        let Some(LineJob::Block(block)) = splitter.next_job(1 << 20, 8) else { panic!("one block") };
        let (got, _) = block.records_judged(&mut |t: &[u8]| {
            seen.push(String::from_utf8_lossy(t).into_owned());
            true
        });
        let [Record::Event(ev)] = got.as_slice() else { panic!("{got:?}") };
        let [text] = seen.as_slice() else { panic!("{seen:?}") };
        for (_, v) in ev.fields.iter().filter(|(k, _)| !["source", "sourcetype"].contains(&k.as_str())) {
            let v = v.to_string().to_lowercase();
            assert!(text.contains(&v), "{v:?} in {text:?}");
        }
        assert!(text.contains("\"x,y\",\"two"), "{text:?}");
        // A row with its own `_raw` is judged on its cells, `_raw` among them.
        let csv = "_raw,host\nthe raw text,h1\n";
        let mut splitter = split(LineFormat::Csv, source(csv), "t".into(), ReadOptions::default());
        let Some(LineJob::Block(block)) = splitter.next_job(1 << 20, 8) else { panic!("one block") };
        let mut seen = Vec::new();
        block.records_judged(&mut |t: &[u8]| {
            seen.push(String::from_utf8_lossy(t).into_owned());
            true
        });
        assert_eq!(seen, ["the raw text\nh1\n"]);
    }

    #[test]
    fn no_cut_in_reach_reads_the_rest_record_by_record() {
        // Lines ending in `},` (an array's elements without its brackets, which would be cut
        // between elements): never a cut; the splitter gives up past CUT_SEARCH_MAX.
        let mut text = String::new();
        let mut n = 0;
        while text.len() < CUT_SEARCH_MAX + 4096 {
            text.push_str(&format!("{{\"n\":{n},\"pad\":\"{}\"}},\n", "x".repeat(200)));
            n += 1;
        }
        text.push_str("{\"n\":-1}\n");
        let mut split = split(LineFormat::Json, source(&text), "t".into(), ReadOptions::default());
        let (mut blocks, mut batches, mut count) = (0, 0, 0);
        while let Some(job) = split.next_job(1024, 512) {
            match job {
                LineJob::Block(b) => {
                    blocks += 1;
                    count += b.records().len();
                }
                LineJob::Parsed(r) => {
                    batches += 1;
                    assert!(r.len() <= 512);
                    count += r.len();
                }
            }
        }
        assert_eq!(blocks, 0, "no block: no cut");
        assert!(batches > 1, "parsed a batch at a time");
        assert_eq!(count, n + 1);
    }

    #[test]
    fn a_read_error_comes_after_what_was_read() {
        struct Failing(Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(std::io::Error::other("disk gone")),
                    n => Ok(n),
                }
            }
        }
        let src: Source = Box::new(std::io::BufReader::new(Failing(Cursor::new(b"{\"a\":1}\n{\"a\":2}\n".to_vec()))));
        let mut split = split(LineFormat::Json, src, "t".into(), ReadOptions::default());
        let mut recs = Vec::new();
        while let Some(job) = split.next_job(4, 8) {
            match job {
                LineJob::Block(b) => recs.extend(b.records()),
                LineJob::Parsed(r) => recs.extend(r),
            }
        }
        assert_eq!(events(&recs).len(), 2);
        assert!(matches!(recs.last(), Some(Record::Malformed(m)) if m.message.contains("disk gone")));
    }
}
