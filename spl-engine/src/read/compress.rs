//! Gzip (`.gz`, any format inside) and tar archives (plain or gzipped, `.tar.gz`/`.tgz`): each
//! member is read in turn by its own format, streaming — the archive is never unpacked to disk
//! or memory. Members are named `archive!member` in locations.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flate2::read::MultiGzDecoder;

use super::{open_stream, Location, Malformed, ReadOptions, Record, Records};

pub(crate) fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// POSIX/GNU tar: `ustar` magic at offset 257 of the first header block.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar".as_slice())
}

pub(crate) fn gunzip(stream: Box<dyn Read + Send>) -> MultiGzDecoder<Box<dyn Read + Send>> {
    // Multi-member gzip (concatenated `.gz` files) is valid gzip; read all members.
    MultiGzDecoder::new(stream)
}

/// `x.log.gz` → `x.log`; `x.tgz` → `x.tar`, so the inner extension still hints the format.
pub(crate) fn strip_gz(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("gz") => path.with_extension(""),
        Some("tgz") => path.with_extension("tar"),
        _ => path.to_path_buf(),
    }
}

/// The archive stream, shared between the archive walker and the current member's reader.
struct Shared {
    reader: Box<dyn Read + Send>,
    /// Bytes of the current member not yet read.
    remaining: u64,
}

struct MemberReader(Arc<Mutex<Shared>>);

impl Read for MemberReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.0.lock().map_err(|_| io::Error::other("tar reader poisoned"))?;
        if s.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(s.remaining).unwrap_or(usize::MAX));
        let n = s.reader.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "tar member cut short"));
        }
        s.remaining -= n as u64;
        Ok(n)
    }
}

pub(crate) fn tar_records(stream: Box<dyn Read + Send>, name: String, opts: ReadOptions) -> Records {
    Box::new(TarRecords {
        shared: Arc::new(Mutex::new(Shared { reader: stream, remaining: 0 })),
        padding: 0,
        current: None,
        name,
        opts,
        long_name: None,
        done: false,
        offset: 0,
    })
}

struct TarRecords {
    shared: Arc<Mutex<Shared>>,
    /// Zero bytes after the current member up to the next 512-byte block.
    padding: u64,
    current: Option<Records>,
    name: String,
    opts: ReadOptions,
    /// Name from a GNU long-name or pax header, for the next member.
    long_name: Option<String>,
    done: bool,
    /// Archive offset of the next header, for error locations.
    offset: u64,
}

impl TarRecords {
    fn fail(&mut self, message: String) -> Record {
        self.done = true;
        Record::Malformed(Malformed {
            location: Location { byte_offset: Some(self.offset), ..Location::file(&self.name) },
            message,
        })
    }

    /// Skip what is left of the current member and its padding.
    fn skip_rest(&mut self) -> io::Result<()> {
        let mut s = self.shared.lock().map_err(|_| io::Error::other("tar reader poisoned"))?;
        let n = s.remaining + self.padding;
        s.remaining = 0;
        self.padding = 0;
        let copied = io::copy(&mut (&mut s.reader).take(n), &mut io::sink())?;
        if copied < n {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive cut short"));
        }
        Ok(())
    }

    fn read_block(&mut self, block: &mut [u8; 512]) -> io::Result<bool> {
        let mut s = self.shared.lock().map_err(|_| io::Error::other("tar reader poisoned"))?;
        let mut got = 0;
        while got < block.len() {
            match s.reader.read(block.get_mut(got..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        match got {
            0 => Ok(false),
            512 => Ok(true),
            _ => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive cut short in a header")),
        }
    }

    /// Read a small member's data (long names, pax headers) whole.
    fn read_small(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > 1024 * 1024 {
            return Err(io::Error::other("tar extension header larger than 1 MiB"));
        }
        let mut data = Vec::new();
        {
            let mut s = self.shared.lock().map_err(|_| io::Error::other("tar reader poisoned"))?;
            (&mut s.reader).take(size).read_to_end(&mut data)?;
        }
        if (data.len() as u64) < size {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive cut short"));
        }
        self.padding = pad(size);
        self.skip_rest()?;
        Ok(data)
    }

    /// Advance to the next regular member and open it; `None` at the end of the archive.
    fn next_member(&mut self) -> Result<Option<Records>, String> {
        loop {
            let mut block = [0u8; 512];
            if !self.read_block(&mut block).map_err(|e| e.to_string())? || block.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            self.offset += 512;
            let header = tar::Header::from_byte_slice(&block);
            let size = header.entry_size().map_err(|e| format!("bad tar header: {e}"))?;
            let kind = header.entry_type();
            if kind.is_gnu_longname() {
                let data = self.read_small(size).map_err(|e| e.to_string())?;
                self.offset += size + pad(size);
                let name = data.split(|&b| b == 0).next().unwrap_or_default();
                self.long_name = Some(String::from_utf8_lossy(name).into_owned());
                continue;
            }
            if kind.is_pax_local_extensions() {
                let data = self.read_small(size).map_err(|e| e.to_string())?;
                self.offset += size + pad(size);
                for ext in tar::PaxExtensions::new(&data).flatten() {
                    if ext.key() == Ok("path") {
                        self.long_name = Some(String::from_utf8_lossy(ext.value_bytes()).into_owned());
                    }
                }
                continue;
            }
            let path =
                self.long_name.take().unwrap_or_else(|| String::from_utf8_lossy(&header.path_bytes()).into_owned());
            {
                let mut s = self.shared.lock().map_err(|_| "tar reader poisoned".to_string())?;
                s.remaining = size;
            }
            self.padding = pad(size);
            self.offset += size + pad(size);
            if !(kind.is_file() || kind.is_contiguous()) || size == 0 {
                self.skip_rest().map_err(|e| e.to_string())?;
                continue;
            }
            let member = format!("{}!{}", self.name, path);
            let reader: Box<dyn Read + Send> = Box::new(MemberReader(Arc::clone(&self.shared)));
            return match open_stream(&member, Path::new(&path), reader, &self.opts) {
                Ok(records) => Ok(Some(records)),
                Err(e) => Ok(Some(Box::new(std::iter::once(Record::Malformed(Malformed {
                    location: Location::file(&member),
                    message: e.message,
                }))))),
            };
        }
    }
}

fn pad(size: u64) -> u64 {
    (512 - size % 512) % 512
}

impl Iterator for TarRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(cur) = self.current.as_mut() {
                if let Some(r) = cur.next() {
                    return Some(r);
                }
                self.current = None;
                if let Err(e) = self.skip_rest() {
                    return Some(self.fail(e.to_string()));
                }
            }
            if self.done {
                return None;
            }
            match self.next_member() {
                Ok(Some(records)) => self.current = Some(records),
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(message) => return Some(self.fail(message)),
            }
        }
    }
}
