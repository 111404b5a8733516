//! Event readers, one module per input format, behind one small interface: a file (or stdin)
//! becomes a stream of [`Record`]s. A malformed record is reported as [`Record::Malformed`] and
//! the reader goes on with the next one; nothing already read is lost.
//!
//! Layering: [`open`] opens the bytes (file, stdin, gzip, tar members), [`detect_format`] picks
//! a format from the first bytes, and each format module turns a `BufRead` into records. The
//! line-based formats stream; EVTX needs random access and is read by the `evtx` crate.

mod compress;
mod csv;
mod detect;
pub mod evtx;
mod json;
mod lines;
mod otlp;
mod split;
mod text;
mod time;
mod wineventlog;
pub mod xml;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::event::Event;
use crate::value::Value;

pub use compress::TarMembers;
pub use detect::{detect_format, format_for_sourcetype};
pub use json::flatten_json;
pub use split::{LineBlock, LineFormat, LineJob, LineSplitter};
pub use time::parse_time;
pub use xml::{parse_xml_event, split_xml_records, XmlRecords};

/// Overrides given on the command line. `sourcetype` also forces the format when it names one.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub sourcetype: Option<String>,
    pub source: Option<String>,
    pub host: Option<String>,
    /// The index every event is in (`--index`; Splunk's inputs.conf `index`).
    pub index: Option<String>,
}

/// One item of a reader's output.
#[derive(Clone, Debug)]
pub enum Record {
    Event(Event),
    Malformed(Malformed),
}

/// A record that could not be read; the reader went on after it.
#[derive(Clone, Debug)]
pub struct Malformed {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Where a record starts. `line` is 1-based; `record` is the EVTX record id (or index).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<u64>,
    pub byte_offset: Option<u64>,
    pub record: Option<u64>,
}

impl Location {
    pub fn file(file: &str) -> Location {
        Location { file: file.to_string(), ..Location::default() }
    }
    pub fn line(file: &str, line: u64, byte_offset: u64) -> Location {
        Location { file: file.to_string(), line: Some(line), byte_offset: Some(byte_offset), record: None }
    }
    pub fn record(file: &str, record: u64) -> Location {
        Location { file: file.to_string(), record: Some(record), ..Location::default() }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.byte_offset, self.record) {
            (Some(line), _, _) => write!(f, "{}:{}", self.file, line),
            (None, Some(off), _) => write!(f, "{}@{}", self.file, off),
            (None, None, Some(rec)) => write!(f, "{}#record {}", self.file, rec),
            (None, None, None) => f.write_str(&self.file),
        }
    }
}

/// Input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Splunk's XML rendering of Windows events: one `<Event>` element per record.
    XmlWinEventLog,
    /// Binary Windows event log files.
    Evtx,
    /// One JSON object per line (also a JSON array of objects, and Splunk's export shape).
    JsonLines,
    /// CSV with a header row.
    Csv,
    /// Classic multi-line `key=value` WinEventLog text.
    WinEventLog,
    /// Any other text: one event per line.
    Text,
}

/// A file-level error: the file as a whole cannot be read.
#[derive(Debug)]
pub struct ReadError {
    pub path: String,
    pub message: String,
    pub source: Option<io::Error>,
}

impl ReadError {
    fn io(path: &str, err: io::Error) -> ReadError {
        ReadError { path: path.to_string(), message: err.to_string(), source: Some(err) }
    }
    fn msg(path: &str, message: impl Into<String>) -> ReadError {
        ReadError { path: path.to_string(), message: message.into(), source: None }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// The stream of records of one input.
pub type Records = Box<dyn Iterator<Item = Record> + Send>;

/// The bytes a format module reads.
pub(crate) type Source = Box<dyn BufRead + Send>;

const BUF_SIZE: usize = 64 * 1024;

/// Files and directories → the files to read. Directories are walked recursively in sorted
/// order; hidden entries and the corpus bookkeeping files (`INDEX.tsv`, `README*`) are skipped.
/// A path given explicitly is kept as given; `-` stands for stdin.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(path.clone());
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|e| ReadError::io(&path.display().to_string(), e))?;
        if meta.is_dir() {
            walk_dir(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let name = dir.display().to_string();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ReadError::io(&name, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !skipped_in_walk(p))
        .collect();
    entries.sort();
    for entry in entries {
        // `metadata` follows symlinks; a dangling link is skipped rather than failing the walk.
        match std::fs::metadata(&entry) {
            Ok(m) if m.is_dir() => walk_dir(&entry, out)?,
            Ok(m) if m.is_file() => out.push(entry),
            _ => {}
        }
    }
    Ok(())
}

/// A tar member left out as a folder walk leaves its file out (any folder on its path too).
pub(crate) fn skipped_member(path: &str) -> bool {
    Path::new(path).components().any(|c| matches!(c, std::path::Component::Normal(n) if skipped_in_walk(Path::new(n))))
}

fn skipped_in_walk(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.starts_with('.') || name == "INDEX.tsv" || name.starts_with("README")
}

/// Open one input (`-` = stdin) and stream its records. Gzip is undone transparently, a tar
/// archive (plain or gzipped) yields each member's records in turn, each by its own format.
pub fn open(path: &Path, opts: &ReadOptions) -> Result<Records, ReadError> {
    open_split(path, opts).map(Opened::into_records)
}

/// An opened input, in pieces the caller parses itself, so it can test their bytes first
/// (prefilter) and parse them on several cores: raw XmlWinEventLog records
/// ([`parse_raw_xml`]), blocks of line-based records, EVTX chunks, a tar's members in turn.
/// `into_records` reads any of them record by record.
pub enum Opened {
    RawXml {
        split: Box<xml::XmlSplitter>,
        file: String,
        opts: ReadOptions,
    },
    /// JSON, classic WinEventLog, text or CSV, to be cut into blocks parsed apart
    /// (`LineSplitter::next_job`).
    Lines(Box<LineSplitter>),
    /// A tar archive: its members, each opened in turn.
    Tar(Box<compress::TarMembers>),
    /// EVTX: its chunks, to be rendered and parsed apart (`ChunkJob::render`,
    /// [`parse_rendered_evtx`]).
    Evtx {
        chunks: Box<evtx::EvtxChunks>,
        opts: ReadOptions,
    },
}

impl Opened {
    pub fn into_records(self) -> Records {
        match self {
            Opened::RawXml { split, file, opts } => {
                with_overrides(Box::new(XmlRecords::from_splitter(*split, file)), &opts)
            }
            Opened::Lines(split) => split.into_records(),
            Opened::Tar(members) => compress::tar_records(*members),
            Opened::Evtx { chunks, opts } => with_overrides(evtx::records(*chunks), &opts),
        }
    }
}

/// Parse one raw XmlWinEventLog record as the reader would, overrides included.
pub fn parse_raw_xml(raw: &xml::RawXml, file: &str, opts: &ReadOptions) -> Record {
    overridden(xml::parse_raw(raw, file), opts)
}

/// Parse one EVTX record rendered as XML as the reader would, overrides included.
pub fn parse_rendered_evtx(rendered: evtx::Rendered, opts: &ReadOptions) -> Record {
    overridden(rendered.parse(), opts)
}

fn overridden(rec: Record, opts: &ReadOptions) -> Record {
    match rec {
        Record::Event(mut ev) => {
            apply_overrides(&mut ev, opts);
            Record::Event(ev)
        }
        other => other,
    }
}

/// The name standard input (`-`) is read under.
pub const STDIN: &str = "<stdin>";

/// Like [`open`], but hands XmlWinEventLog text back unparsed.
pub fn open_split(path: &Path, opts: &ReadOptions) -> Result<Opened, ReadError> {
    if path.as_os_str() == "-" {
        let stdin: Box<dyn Read + Send> = Box::new(io::stdin());
        return open_stream_split(STDIN, Path::new(""), stdin, opts);
    }
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| ReadError::io(&name, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(ReadError::msg(&name, "is a directory"));
    }
    open_file_split(&name, path, file, opts)
}

/// `open_split` of an open file named `name` (standard input copied to a temporary file is read
/// so), from its start; `ext_path` carries the extension used as a format hint.
pub fn open_file_split(name: &str, ext_path: &Path, mut file: File, opts: &ReadOptions) -> Result<Opened, ReadError> {
    // EVTX straight from disk: the parser seeks, no need to buffer the file.
    let mut head = Vec::new();
    (&mut file).take(8).read_to_end(&mut head).map_err(|e| ReadError::io(name, e))?;
    // EVTX magic wins over a `--sourcetype` format: the binary cannot be read as text anyway.
    if head.starts_with(evtx::MAGIC) {
        return Ok(Opened::Evtx { chunks: Box::new(evtx::chunks_from_file(file, name)), opts: opts.clone() });
    }
    let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(file));
    open_stream_split(name, ext_path, rest, opts)
}

/// Open a byte stream named `name`; `ext_path` carries the extension used as a format hint.
pub(crate) fn open_stream_split(
    name: &str,
    ext_path: &Path,
    raw: Box<dyn Read + Send>,
    opts: &ReadOptions,
) -> Result<Opened, ReadError> {
    let (head, stream) = peek(raw, 4096).map_err(|e| ReadError::io(name, e))?;
    if compress::is_gzip(&head) {
        let inner: Box<dyn Read + Send> = Box::new(compress::gunzip(stream));
        let stripped = compress::strip_gz(ext_path);
        return open_stream_split(name, &stripped, inner, opts);
    }
    if compress::is_tar(&head) {
        return Ok(Opened::Tar(Box::new(compress::tar_members(stream, name.to_string(), opts.clone()))));
    }
    let format = if head.starts_with(evtx::MAGIC) {
        Format::Evtx
    } else {
        opts.sourcetype.as_deref().and_then(format_for_sourcetype).unwrap_or_else(|| detect_format(ext_path, &head))
    };
    let src: Source = Box::new(BufReader::with_capacity(BUF_SIZE, stream));
    Ok(match format {
        Format::XmlWinEventLog => Opened::RawXml {
            split: Box::new(xml::split_xml_records(src, name.to_string())),
            file: name.to_string(),
            opts: opts.clone(),
        },
        Format::Evtx => Opened::Evtx { chunks: Box::new(evtx::chunks_from_stream(src, name)), opts: opts.clone() },
        Format::JsonLines => lines(LineFormat::Json, src, name, opts),
        Format::WinEventLog => lines(LineFormat::WinEventLog, src, name, opts),
        Format::Text => lines(LineFormat::Text, src, name, opts),
        Format::Csv => lines(LineFormat::Csv, src, name, opts),
    })
}

fn lines(format: LineFormat, src: Source, name: &str, opts: &ReadOptions) -> Opened {
    Opened::Lines(Box::new(split::split(format, src, name.to_string(), opts.clone())))
}

/// Read up to `n` bytes of the stream for format detection, and give back a stream that still
/// starts at the beginning.
fn peek(mut raw: Box<dyn Read + Send>, n: u64) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        match (&mut raw).take(n - head.len() as u64).read_to_end(&mut head) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted && head.len() > before => continue,
            Err(e) => return Err(e),
        }
    }
    let again: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(raw));
    Ok((head, again))
}

fn with_overrides(records: Records, opts: &ReadOptions) -> Records {
    if opts.sourcetype.is_none() && opts.source.is_none() && opts.host.is_none() && opts.index.is_none() {
        return records;
    }
    let opts = opts.clone();
    Box::new(records.map(move |r| overridden(r, &opts)))
}

fn apply_overrides(ev: &mut Event, opts: &ReadOptions) {
    for (field, value) in
        [("source", &opts.source), ("sourcetype", &opts.sourcetype), ("host", &opts.host), ("index", &opts.index)]
    {
        if let Some(v) = value {
            ev.set(field, Value::str(v.as_str()));
        }
    }
}

/// Windows hosts: Splunk's Windows TA keeps the label of the computer name before the first dot
/// (cim-mapping.md §1.1), e.g. `win-dc-6764986.attackrange.local` → `win-dc-6764986`.
pub(crate) fn host_from_computer(computer: &str) -> &str {
    computer.split('.').next().unwrap_or(computer)
}

/// Put `_time` first, then the other fields in the order they came, with `tail` fields last.
/// In place: moving a few entries costs less than rebuilding (and rehashing) the whole map.
pub(crate) fn reorder(mut ev: Event, tail: &[&str]) -> Event {
    if let Some(i) = ev.fields.get_index_of("_time") {
        ev.fields.move_index(i, 0);
    }
    for name in tail {
        if let Some(i) = ev.fields.get_index_of(*name) {
            let last = ev.fields.len() - 1;
            ev.fields.move_index(i, last);
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    #[test]
    fn reorder_puts_time_first_and_the_tail_last_in_its_order() {
        let ev = crate::event::Event::from_pairs(&[
            ("a", "1"),
            ("_raw", "r"),
            ("host", "h"),
            ("_time", "0"),
            ("b", "2"),
            ("source", "s"),
        ]);
        let ev = super::reorder(ev, &["source", "sourcetype", "host", "_raw"]);
        let names: Vec<&str> = ev.fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["_time", "a", "b", "source", "host", "_raw"]);
    }
}
