//! Event readers, one module per input format, behind one small interface: a file (or stdin)
//! becomes a stream of [`Record`]s. A malformed record is reported as [`Record::Malformed`] and
//! the reader goes on with the next one; nothing already read is lost.
// PLACEHOLDER API (the readers branch replaces this file).
use crate::event::Event;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub sourcetype: Option<String>,
    pub source: Option<String>,
    pub host: Option<String>,
}
pub enum Record {
    Event(Event),
    Malformed(Malformed),
}
pub struct Malformed {
    pub location: Location,
    pub message: String,
}
pub struct Location {
    pub file: String,
    pub line: Option<u64>,
    pub byte_offset: Option<u64>,
    pub record: Option<u64>,
}
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)
    }
}
#[derive(Debug)]
pub struct ReadError(pub String);
impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    Ok(paths.to_vec())
}
pub fn open(_path: &Path, _opts: &ReadOptions) -> Result<Box<dyn Iterator<Item = Record> + Send>, ReadError> {
    Ok(Box::new(std::iter::empty()))
}
