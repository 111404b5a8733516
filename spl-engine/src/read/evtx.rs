//! Binary EVTX files, read with the `evtx` crate chunk by chunk. Each record is rendered as XML
//! and parsed by the same code as XmlWinEventLog text ([`super::xml::parse_xml_event`]), so both
//! give the same fields for the same event; `_raw` is that XML.

use std::collections::VecDeque;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use super::xml::parse_xml_event;
use super::{Location, Malformed, Record, Records, Source};

pub(crate) const MAGIC: &[u8] = b"ElfFile\0";

type Chunks = Box<dyn Iterator<Item = Result<EvtxChunkData, EvtxError>> + Send>;

pub(crate) fn records_from_path(path: &Path, file: &str) -> Records {
    match EvtxParser::from_path(path) {
        Ok(parser) => Box::new(EvtxRecords::new(Box::new(parser.into_chunks()), file.to_string())),
        Err(e) => failed(file, format!("not a readable EVTX file: {e}")),
    }
}

/// EVTX from a stream (stdin, gzip, tar member): the parser seeks, so the bytes are buffered.
pub(crate) fn records_from_stream(mut src: Source, file: String) -> Records {
    let mut buf = Vec::new();
    if let Err(e) = src.read_to_end(&mut buf) {
        return failed(&file, format!("read error: {e}"));
    }
    match EvtxParser::from_buffer(buf) {
        Ok(parser) => Box::new(EvtxRecords::new(Box::new(parser.into_chunks()), file)),
        Err(e) => failed(&file, format!("not a readable EVTX file: {e}")),
    }
}

fn failed(file: &str, message: String) -> Records {
    Box::new(std::iter::once(Record::Malformed(Malformed { location: Location::file(file), message })))
}

struct EvtxRecords {
    chunks: Chunks,
    settings: Arc<ParserSettings>,
    file: String,
    out: VecDeque<Record>,
    chunk_no: u64,
    /// Last good record id, to place records that fail before their id is known.
    last_id: u64,
}

impl EvtxRecords {
    fn new(chunks: Chunks, file: String) -> EvtxRecords {
        // Compact XML, like Splunk's rendering (one line per record).
        let settings = Arc::new(ParserSettings::new().indent(false).num_threads(1));
        EvtxRecords { chunks, settings, file, out: VecDeque::new(), chunk_no: 0, last_id: 0 }
    }

    fn malformed(&self, record: u64, message: String) -> Record {
        Record::Malformed(Malformed { location: Location::record(&self.file, record), message })
    }

    fn read_chunk(&mut self, mut data: EvtxChunkData) {
        let settings = Arc::clone(&self.settings);
        let mut out = Vec::new();
        let mut last_id = self.last_id;
        let file = self.file.clone();
        // The evtx crate parses untrusted binary; a panic in it costs this chunk, not the run.
        let result = catch_unwind(AssertUnwindSafe(|| match data.parse(settings) {
            Err(e) => Err(e.to_string()),
            Ok(mut chunk) => {
                for rec in chunk.iter() {
                    match rec {
                        Ok(r) => {
                            let id = r.event_record_id;
                            last_id = id;
                            let loc = Location::record(&file, id);
                            out.push(match r.into_xml() {
                                Ok(x) => match parse_xml_event(strip_decl(&x.data)) {
                                    Ok(ev) => Record::Event(ev),
                                    Err(message) => Record::Malformed(Malformed { location: loc, message }),
                                },
                                Err(e) => Record::Malformed(Malformed { location: loc, message: e.to_string() }),
                            });
                        }
                        Err(e) => out.push(Record::Malformed(Malformed {
                            location: Location::record(&file, last_id + 1),
                            message: e.to_string(),
                        })),
                    }
                }
                Ok(())
            }
        }));
        self.last_id = last_id;
        self.out.extend(out);
        match result {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                let m = self.malformed(last_id + 1, format!("chunk {}: {message}", self.chunk_no));
                self.out.push_back(m);
            }
            Err(_) => {
                let m = self.malformed(last_id + 1, format!("chunk {}: EVTX parser panicked", self.chunk_no));
                self.out.push_back(m);
            }
        }
    }
}

/// The rendered record without its `<?xml …?>` declaration, as Splunk's `_raw` has none.
fn strip_decl(xml: &str) -> &str {
    let t = xml.trim_start();
    match t.strip_prefix("<?xml").and_then(|r| r.find("?>").and_then(|i| r.get(i + 2..))) {
        Some(rest) => rest.trim_start(),
        None => t,
    }
    .trim_end()
}

impl Iterator for EvtxRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.out.pop_front() {
                return Some(r);
            }
            let chunk = catch_unwind(AssertUnwindSafe(|| self.chunks.next()));
            self.chunk_no += 1;
            match chunk {
                Ok(None) => return None,
                Ok(Some(Ok(data))) => self.read_chunk(data),
                Ok(Some(Err(e))) => {
                    let m = self.malformed(self.last_id + 1, format!("chunk {}: {e}", self.chunk_no));
                    self.out.push_back(m);
                }
                Err(_) => {
                    // A panicking chunk iterator cannot be trusted to continue.
                    self.chunks = Box::new(std::iter::empty());
                    let m = self.malformed(self.last_id + 1, "EVTX parser panicked".to_string());
                    self.out.push_back(m);
                }
            }
        }
    }
}
