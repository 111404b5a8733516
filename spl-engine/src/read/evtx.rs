//! Binary EVTX files, read with the `evtx` crate chunk by chunk. Each record is rendered as XML
//! and parsed by the same code as XmlWinEventLog text ([`super::xml::parse_xml_event`]), so both
//! give the same fields for the same event; `_raw` is that XML. A chunk is parsed on its own
//! ([`ChunkJob::render`]), so a caller may parse chunks on several threads and judge each
//! rendered record before parsing it, as XML text is judged.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use super::xml::parse_xml_text;
use super::{Location, Malformed, Record, Records, Source};
use crate::spill;

pub const MAGIC: &[u8] = b"ElfFile\0";

type Chunks = Box<dyn Iterator<Item = Result<EvtxChunkData, EvtxError>> + Send>;

/// EVTX read from a stream up to this many bytes is held in memory; a longer one is copied to an
/// anonymous temporary file first. Chunks are read in record order, and a wrapped log's oldest
/// chunk can be anywhere in it, so the whole stream must be at hand before the first record.
const IN_MEMORY: usize = 32 << 20;

/// The chunks of an EVTX stream (standard input, a gzip, a tar member).
pub(crate) fn chunks_from_stream(src: Source, file: &str) -> EvtxChunks {
    chunks_from_stream_within(src, file, IN_MEMORY)
}

/// `chunks_from_stream`, holding at most `in_memory` bytes of the stream. A stream that fails
/// part way (a cut gzip) gives the whole chunks read before, then the error.
fn chunks_from_stream_within(mut src: Source, file: &str, in_memory: usize) -> EvtxChunks {
    let mut buf = Vec::new();
    let limit = u64::try_from(in_memory).unwrap_or(u64::MAX).saturating_add(1);
    let mut read_error = (&mut src).take(limit).read_to_end(&mut buf).err();
    let mut len = buf.len() as u64;
    let parser = if read_error.is_some() || buf.len() <= in_memory {
        EvtxParser::from_buffer(buf).map(|p| Box::new(p.into_chunks()) as Chunks)
    } else {
        let copied = spill::temp_file().and_then(|mut tmp| {
            tmp.write_all(&buf)?;
            drop(buf);
            read_error = std::io::copy(&mut src, &mut tmp).err();
            len = tmp.stream_position()?;
            tmp.seek(SeekFrom::Start(0))?;
            Ok(tmp)
        });
        match copied {
            Ok(tmp) => EvtxParser::from_read_seek(tmp).map(|p| Box::new(p.into_chunks()) as Chunks),
            Err(e) => {
                let message = format!("copying the stream to a temporary file: {e} (see --temp-dir)");
                return EvtxChunks::failed(file, message);
            }
        }
    };
    let mut chunks = match parser {
        Ok(chunks) => EvtxChunks::new(chunks, file),
        Err(e) => {
            let why =
                read_error.map_or_else(|| format!("not a readable EVTX file: {e}"), |r| format!("read error: {r}"));
            return EvtxChunks::failed(file, why);
        }
    };
    chunks.trailing = match read_error {
        Some(e) => Some(format!("read error after the last whole chunk: {e}")),
        None => incomplete_tail(len),
    };
    chunks
}

/// An EVTX file is a 4 KiB header and 64 KiB chunks: bytes past the last whole chunk are one cut
/// short (a log copied while it was written), which the parser leaves out unsaid.
fn incomplete_tail(len: u64) -> Option<String> {
    const CHUNK: u64 = 64 << 10;
    let rest = len.checked_sub(4 << 10)? % CHUNK;
    (rest != 0).then(|| format!("the file ends in an incomplete chunk ({rest} of {CHUNK} bytes), not read"))
}

/// A file's records, its chunks parsed one after the other.
pub(crate) fn records(chunks: EvtxChunks) -> Records {
    Box::new(EvtxRecords { chunks, out: VecDeque::new() })
}

/// An EVTX file's chunks, read in order but not parsed. Parsing a chunk (binary XML, rendering,
/// the costly part) needs nothing but the chunk, so callers may parse chunks on several threads
/// ([`ChunkJob::render`]); each gives the same records wherever it is parsed.
pub struct EvtxChunks {
    chunks: Chunks,
    settings: Arc<ParserSettings>,
    file: Arc<str>,
    chunk_no: u64,
    /// The last record id the chunk headers announced, to place errors between chunks.
    last_id: u64,
    /// Why the file could not be opened, given once as the only job.
    failed: Option<Malformed>,
    /// Why the input ended early (a read error, a cut chunk), given after its last whole chunk.
    trailing: Option<String>,
}

/// Open an EVTX file for reading chunk by chunk.
pub fn chunks_from_path(path: &Path, file: &str) -> EvtxChunks {
    match std::fs::File::open(path) {
        Ok(f) => chunks_from_file(f, file),
        Err(e) => EvtxChunks::failed(file, format!("not a readable EVTX file: {e}")),
    }
}

/// `chunks_from_path` of an open file, read from its start.
pub fn chunks_from_file(mut f: std::fs::File, file: &str) -> EvtxChunks {
    let len = f.metadata().map(|m| m.len()).ok();
    let parser = f.seek(SeekFrom::Start(0)).map_err(EvtxError::from).and_then(|_| EvtxParser::from_read_seek(f));
    match parser {
        Ok(parser) => {
            let mut chunks = EvtxChunks::new(Box::new(parser.into_chunks()), file);
            chunks.trailing = len.and_then(incomplete_tail);
            chunks
        }
        Err(e) => EvtxChunks::failed(file, format!("not a readable EVTX file: {e}")),
    }
}

impl EvtxChunks {
    fn new(chunks: Chunks, file: &str) -> EvtxChunks {
        // Compact XML, like Splunk's rendering (one line per record).
        let settings = Arc::new(ParserSettings::new().indent(false).num_threads(1));
        EvtxChunks { chunks, settings, file: Arc::from(file), chunk_no: 0, last_id: 0, failed: None, trailing: None }
    }

    fn failed(file: &str, message: String) -> EvtxChunks {
        let mut c = EvtxChunks::new(Box::new(std::iter::empty()), file);
        c.failed = Some(Malformed { location: Location::file(file), message });
        c
    }

    fn malformed(&self, message: String) -> ChunkJob {
        ChunkJob::Failed(Malformed { location: Location::record(&self.file, self.last_id + 1), message })
    }
}

impl Iterator for EvtxChunks {
    type Item = ChunkJob;

    fn next(&mut self) -> Option<ChunkJob> {
        if let Some(m) = self.failed.take() {
            return Some(ChunkJob::Failed(m));
        }
        let chunk = catch_unwind(AssertUnwindSafe(|| self.chunks.next()));
        self.chunk_no += 1;
        match chunk {
            Ok(None) => self.trailing.take().map(|m| self.malformed(m)),
            Ok(Some(Ok(data))) => {
                // Records that fail before their id is known are placed after the last id of
                // the chunks before (as the header says, not as parsing found: chunks may be
                // parsed out of order).
                let before = data.header.first_event_record_id.saturating_sub(1).max(self.last_id);
                self.last_id = self.last_id.max(data.header.last_event_record_id);
                Some(ChunkJob::Data {
                    data: Box::new(data),
                    number: self.chunk_no,
                    before,
                    settings: Arc::clone(&self.settings),
                    file: Arc::clone(&self.file),
                })
            }
            Ok(Some(Err(e))) => Some(self.malformed(format!("chunk {}: {e}", self.chunk_no))),
            Err(_) => {
                // A panicking chunk iterator cannot be trusted to continue.
                self.chunks = Box::new(std::iter::empty());
                Some(self.malformed("EVTX parser panicked".to_string()))
            }
        }
    }
}

/// One chunk of an EVTX file to parse, or why the next could not be read.
pub enum ChunkJob {
    Data { data: Box<EvtxChunkData>, number: u64, before: u64, settings: Arc<ParserSettings>, file: Arc<str> },
    Failed(Malformed),
}

/// A record rendered as XmlWinEventLog text (declaration stripped), not yet parsed.
pub struct Rendered {
    pub xml: String,
    pub location: Location,
}

impl Rendered {
    /// The record as the reader gives it: parsed like XmlWinEventLog text.
    pub fn parse(self) -> Record {
        match parse_xml_text(self.xml) {
            Ok(ev) => Record::Event(ev),
            Err(message) => Record::Malformed(Malformed { location: self.location, message }),
        }
    }
}

impl ChunkJob {
    /// The chunk's records, rendered, in file order; records and chunks that cannot be read
    /// as malformed entries.
    pub fn render(self) -> Vec<Result<Rendered, Malformed>> {
        let (mut data, number, before, settings, file) = match self {
            ChunkJob::Failed(m) => return vec![Err(m)],
            ChunkJob::Data { data, number, before, settings, file } => (data, number, before, settings, file),
        };
        let mut out = Vec::new();
        let mut last_id = before;
        // The evtx crate parses untrusted binary; a panic in it costs this chunk, not the run.
        let result = catch_unwind(AssertUnwindSafe(|| match data.parse(settings) {
            Err(e) => Err(e.to_string()),
            Ok(mut chunk) => {
                for rec in chunk.iter() {
                    match rec {
                        Ok(r) => {
                            let id = r.event_record_id;
                            last_id = id;
                            let location = Location::record(&file, id);
                            out.push(match r.into_xml() {
                                Ok(x) => Ok(Rendered { xml: strip_decl(x.data), location }),
                                Err(e) => Err(Malformed { location, message: e.to_string() }),
                            });
                        }
                        Err(e) => out.push(Err(Malformed {
                            location: Location::record(&file, last_id + 1),
                            message: e.to_string(),
                        })),
                    }
                }
                Ok(())
            }
        }));
        let failure = match result {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(format!("chunk {number}: {message}")),
            Err(_) => Some(format!("chunk {number}: EVTX parser panicked")),
        };
        if let Some(message) = failure {
            out.push(Err(Malformed { location: Location::record(&file, last_id + 1), message }));
        }
        out
    }
}

/// An EVTX file's records, parsed one chunk after the other.
struct EvtxRecords {
    chunks: EvtxChunks,
    out: VecDeque<Record>,
}

/// The rendered record without its `<?xml …?>` declaration, as Splunk's `_raw` has none.
fn strip_decl(xml: String) -> String {
    let t = xml.trim_start();
    let body = match t.strip_prefix("<?xml").and_then(|r| r.find("?>").and_then(|i| r.get(i + 2..))) {
        Some(rest) => rest.trim_start(),
        None => t,
    }
    .trim_end();
    if body.len() == xml.len() {
        xml
    } else {
        body.to_string()
    }
}

impl Iterator for EvtxRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.out.pop_front() {
                return Some(r);
            }
            let job = self.chunks.next()?;
            self.out.extend(job.render().into_iter().map(|r| match r {
                Ok(rendered) => rendered.parse(),
                Err(m) => Record::Malformed(m),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_past_the_last_whole_chunk_are_a_cut_chunk() {
        assert_eq!(incomplete_tail(4096 + 3 * 65536), None);
        assert_eq!(incomplete_tail(4096), None);
        // Shorter than a header: the parser refuses the file itself.
        assert_eq!(incomplete_tail(100), None);
        let cut = incomplete_tail(4096 + 2 * 65536 + 10).unwrap_or_default();
        assert!(cut.contains("incomplete chunk (10 of 65536 bytes)"), "{cut}");
    }

    /// A stream that is not EVTX at all fails as a file does, however it is held.
    #[test]
    fn a_stream_that_is_no_evtx_is_one_malformed_entry_held_in_memory_or_not() {
        for in_memory in [0, 1 << 20] {
            let src: Source = Box::new(std::io::Cursor::new(b"ElfFile\0not really".repeat(1000)));
            let jobs: Vec<ChunkJob> = chunks_from_stream_within(src, "x.evtx", in_memory).collect();
            assert_eq!(jobs.len(), 1, "{in_memory}");
            match jobs.first() {
                Some(ChunkJob::Failed(m)) => assert!(m.message.contains("not a readable EVTX file"), "{}", m.message),
                _ => panic!("one failure expected"),
            }
        }
    }
}
