//! Gzip (`.gz`, any format inside) and tar archives (plain or gzipped, `.tar.gz`/`.tgz`): each
//! member is read in turn by its own format, streaming — the archive is never unpacked to disk
//! or memory. Members are named `archive!member` in locations.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flate2::read::MultiGzDecoder;

use super::{open_stream_split, Location, Malformed, Opened, ReadOptions, Record, Records};

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

/// A member's path in the archive, and its bytes.
type Member = (String, Box<dyn Read + Send>);

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

pub(crate) fn tar_members(stream: Box<dyn Read + Send>, name: String, opts: ReadOptions) -> TarMembers {
    TarMembers {
        shared: Arc::new(Mutex::new(Shared { reader: stream, remaining: 0 })),
        padding: 0,
        name,
        opts,
        long_name: None,
        last_size: 0,
        done: false,
        offset: 0,
    }
}

/// The records of every member in turn.
pub(crate) fn tar_records(members: TarMembers) -> Records {
    Box::new(TarRecords { members, current: None })
}

/// The regular members of a tar archive, each opened by its own format in turn
/// (`next_member`), so that each is read as a file of that format is.
pub struct TarMembers {
    shared: Arc<Mutex<Shared>>,
    /// Zero bytes after the current member up to the next 512-byte block.
    padding: u64,
    name: String,
    opts: ReadOptions,
    /// Name from a GNU long-name or pax header, for the next member.
    long_name: Option<String>,
    /// Stored bytes of the member last opened.
    last_size: u64,
    done: bool,
    /// Archive offset of the next header, for error locations.
    offset: u64,
}

impl TarMembers {
    /// The next regular member, opened, once what the last one left unread is skipped. A
    /// member that cannot be opened gives a malformed record, and so does a broken archive
    /// (then the last); `None` at the end of the archive.
    pub fn next_member(&mut self) -> Option<Result<Opened, Malformed>> {
        if self.done {
            return None;
        }
        if let Err(e) = self.skip_rest() {
            return Some(Err(self.fail(e.to_string())));
        }
        match self.open_next() {
            Ok(Some(member)) => Some(member),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(message) => Some(Err(self.fail(message))),
        }
    }

    /// Stored bytes of the member `next_member` opened last.
    pub fn last_size(&self) -> u64 {
        self.last_size
    }

    fn fail(&mut self, message: String) -> Malformed {
        self.done = true;
        Malformed { location: Location { byte_offset: Some(self.offset), ..Location::file(&self.name) }, message }
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
    fn open_next(&mut self) -> Result<Option<Result<Opened, Malformed>>, String> {
        let Some((path, reader)) = self.next_stream()? else { return Ok(None) };
        let member = format!("{}!{}", self.name, path);
        Ok(Some(
            open_stream_split(&member, Path::new(&path), reader, &self.opts)
                .map_err(|e| Malformed { location: Location::file(&member), message: e.message }),
        ))
    }

    /// Advance to the next regular member: its path and its bytes.
    fn next_stream(&mut self) -> Result<Option<Member>, String> {
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
            // GNU sparse (what `tar -S` and the tar crate write for files with holes, EVTX
            // among them): the map of stored stretches, from the header and the blocks after it.
            let sparse = if kind.is_gnu_sparse() {
                Some(self.sparse_map(header).map_err(|e| format!("bad GNU sparse header: {e}"))?)
            } else {
                None
            };
            {
                let mut s = self.shared.lock().map_err(|_| "tar reader poisoned".to_string())?;
                s.remaining = size;
            }
            self.padding = pad(size);
            self.offset += size + pad(size);
            let regular = kind.is_file() || kind.is_contiguous() || sparse.is_some();
            if !regular || size == 0 || super::skipped_member(&path) {
                self.skip_rest().map_err(|e| e.to_string())?;
                continue;
            }
            let stored = MemberReader(Arc::clone(&self.shared));
            let reader: Box<dyn Read + Send> = match sparse {
                Some((stretches, real_size)) => Box::new(SparseReader { stored, stretches, real_size, pos: 0 }),
                None => Box::new(stored),
            };
            self.last_size = size;
            return Ok(Some((path, reader)));
        }
    }
}

impl TarMembers {
    /// A GNU sparse member's stored stretches (offset, length) in the file, in order, and the
    /// file's size. The header holds 4 entries; while the extension flag is set, a 512-byte
    /// block of 21 more follows it.
    fn sparse_map(&mut self, header: &tar::Header) -> io::Result<(VecDeque<(u64, u64)>, u64)> {
        let gnu = header.as_gnu().ok_or_else(|| io::Error::other("not a GNU header"))?;
        let pair = |e: &tar::GnuSparseHeader| -> io::Result<Option<(u64, u64)>> {
            Ok(if e.is_empty() { None } else { Some((e.offset()?, e.length()?)) })
        };
        let mut entries = Vec::new();
        for e in &gnu.sparse {
            entries.extend(pair(e)?);
        }
        let mut extended = gnu.is_extended();
        while extended {
            let mut block = [0u8; 512];
            if !self.read_block(&mut block)? {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive cut short in a sparse map"));
            }
            self.offset += 512;
            if entries.len() > 1 << 20 {
                return Err(io::Error::other("sparse map of over a million stretches"));
            }
            for e in block.chunks_exact(24).take(21) {
                let mut h = tar::GnuSparseHeader { offset: [0; 12], numbytes: [0; 12] };
                h.offset.copy_from_slice(e.get(..12).unwrap_or(&[0; 12]));
                h.numbytes.copy_from_slice(e.get(12..24).unwrap_or(&[0; 12]));
                entries.extend(pair(&h)?);
            }
            extended = block.get(504) == Some(&1);
        }
        let real_size = gnu.real_size()?;
        let mut stretches = VecDeque::new();
        let mut end = 0;
        for (offset, length) in entries {
            let stop = offset.checked_add(length).filter(|&s| offset >= end && s <= real_size);
            end = stop.ok_or_else(|| io::Error::other("stretches out of order or past the file's size"))?;
            if length > 0 {
                stretches.push_back((offset, length));
            }
        }
        // Holes cost nothing to store: a map could make a few bytes read as exabytes of zeros.
        let stored: u64 = stretches.iter().map(|s| s.1).sum();
        if real_size - stored > MAX_HOLES.max(stored.saturating_mul(1024)) {
            let message = format!("{real_size} bytes of which {stored} stored: more holes than a real file has");
            return Err(io::Error::other(message));
        }
        Ok((stretches, real_size))
    }
}

/// Bytes of holes a sparse member may have past 1024 times its stored bytes (a 64 MiB EVTX
/// log with one chunk written has 1023 times).
const MAX_HOLES: u64 = 1 << 30;

/// A GNU sparse member's file: its stored stretches where the map puts them, zeros between.
struct SparseReader {
    stored: MemberReader,
    stretches: VecDeque<(u64, u64)>,
    real_size: u64,
    pos: u64,
}

impl Read for SparseReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = |upto: u64, pos: u64| buf.len().min(usize::try_from(upto - pos).unwrap_or(usize::MAX));
        match self.stretches.front().copied() {
            _ if self.pos >= self.real_size || buf.is_empty() => Ok(0),
            Some((offset, length)) if self.pos >= offset => {
                let n = want(offset + length, self.pos);
                let n = self.stored.read(buf.get_mut(..n).unwrap_or_default())?;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "tar member cut short"));
                }
                self.pos += n as u64;
                if self.pos >= offset + length {
                    self.stretches.pop_front();
                }
                Ok(n)
            }
            next => {
                let hole_end = next.map_or(self.real_size, |(offset, _)| offset);
                let n = want(hole_end, self.pos);
                buf.get_mut(..n).unwrap_or_default().fill(0);
                self.pos += n as u64;
                Ok(n)
            }
        }
    }
}

fn pad(size: u64) -> u64 {
    (512 - size % 512) % 512
}

struct TarRecords {
    members: TarMembers,
    current: Option<Records>,
}

impl Iterator for TarRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(r) = self.current.as_mut().and_then(Iterator::next) {
                return Some(r);
            }
            self.current = None;
            match self.members.next_member()? {
                Ok(opened) => self.current = Some(opened.into_records()),
                Err(m) => return Some(Record::Malformed(m)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members_of(archive: Vec<u8>) -> TarMembers {
        tar_members(Box::new(io::Cursor::new(archive)), "a.tar".into(), ReadOptions::default())
    }

    /// A file with holes as GNU tar (`-S`) and the tar crate store it: GNU sparse, only the
    /// stretches holding data, with a map longer than the header's four entries (one extension
    /// block). Read back byte for byte, holes as zeros.
    #[test]
    fn a_gnu_sparse_member_reads_back_whole() {
        let stretches: Vec<(usize, usize)> = (0..7).map(|i| (i * 8192 + 1000 * (i % 2), 512 + 300 * i)).collect();
        let real_size = 7 * 8192 + 100;
        let mut file = vec![0u8; real_size];
        let mut stored = Vec::new();
        for (i, &(at, len)) in stretches.iter().enumerate() {
            file[at..at + len].fill(b'a' + i as u8);
            stored.extend_from_slice(&file[at..at + len]);
        }
        let octal = |n: usize| {
            let mut f = [0u8; 12];
            f[..11].copy_from_slice(format!("{n:011o}").as_bytes());
            f
        };
        let mut header = tar::Header::new_gnu();
        header.set_path("holes.bin").unwrap();
        header.set_entry_type(tar::EntryType::GNUSparse);
        header.set_size(stored.len() as u64);
        header.set_mode(0o644);
        let gnu = header.as_gnu_mut().unwrap();
        for (e, &(at, len)) in gnu.sparse.iter_mut().zip(&stretches) {
            (e.offset, e.numbytes) = (octal(at), octal(len));
        }
        gnu.realsize = octal(real_size);
        gnu.isextended = [1];
        header.set_cksum();
        let mut ext = [0u8; 512];
        for (k, &(at, len)) in stretches.iter().skip(4).enumerate() {
            ext[k * 24..k * 24 + 12].copy_from_slice(&octal(at));
            ext[k * 24 + 12..k * 24 + 24].copy_from_slice(&octal(len));
        }
        let mut archive = header.as_bytes().to_vec();
        archive.extend_from_slice(&ext);
        archive.extend_from_slice(&stored);
        archive.resize(archive.len().div_ceil(512) * 512, 0);
        let mut builder = tar::Builder::new(Vec::new());
        let mut next = tar::Header::new_gnu();
        next.set_size(4);
        builder.append_data(&mut next, "after.txt", &b"next"[..]).unwrap();
        archive.extend(builder.into_inner().unwrap());

        let mut members = members_of(archive.clone());
        let (name, mut reader) = members.next_stream().unwrap().unwrap();
        let mut back = Vec::new();
        reader.read_to_end(&mut back).unwrap();
        assert_eq!(name, "holes.bin");
        assert!(back == file, "{} bytes back of {}", back.len(), file.len());
        // The member after it starts where the sparse one ends.
        members.skip_rest().unwrap();
        let (name, mut reader) = members.next_stream().unwrap().unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!((name.as_str(), text.as_str()), ("after.txt", "next"));

        // Cut short inside the stored stretches: an error, not a short file read as whole.
        let mut members = members_of(archive[..4096].to_vec());
        let (_, mut reader) = members.next_stream().unwrap().unwrap();
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
        // A map out of order is refused, and one of more holes than a real file has.
        let mut bad = archive.clone();
        bad[512..512 + 12].copy_from_slice(&octal(0));
        let mut members = members_of(bad);
        assert!(members.next_stream().is_err_and(|e| e.contains("bad GNU sparse header")));
        let mut bomb = header.clone();
        bomb.as_gnu_mut().unwrap().realsize = octal(0o77_777_777_777);
        bomb.set_cksum();
        let mut bad = archive.clone();
        bad[..512].copy_from_slice(bomb.as_bytes());
        let mut members = members_of(bad);
        assert!(members.next_stream().is_err_and(|e| e.contains("more holes than a real file has")), "a bomb");
    }

    /// Members follow each other whatever of each was read; a broken archive ends in one
    /// malformed record.
    #[test]
    fn members_come_in_turn_and_a_cut_archive_is_reported() {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, text) in [("a.json", "{\"n\":1}\n{\"n\":2}\n"), ("b.log", "one\ntwo\nthree\n")] {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            builder.append_data(&mut h, name, text.as_bytes()).unwrap();
        }
        // Left out as a folder walk leaves them out: hidden files, a data folder's README and
        // INDEX.tsv, anything in a hidden folder.
        for name in [".hidden.log", "data/README.md", "data/INDEX.tsv", ".git/objects/x"] {
            let mut h = tar::Header::new_gnu();
            h.set_size(4);
            builder.append_data(&mut h, name, &b"doc\n"[..]).unwrap();
        }
        let archive = builder.into_inner().unwrap();
        let mut members = members_of(archive.clone());
        let first = members.next_member().unwrap().unwrap().into_records().next();
        assert!(matches!(first, Some(Record::Event(_))), "one record of a.json read");
        let second: Vec<Record> = members.next_member().unwrap().unwrap().into_records().collect();
        assert_eq!(second.len(), 3, "b.log whole");
        assert!(members.next_member().is_none());

        let cut: Vec<Record> = tar_records(members_of(archive[..700].to_vec())).collect();
        assert!(matches!(cut.last(), Some(Record::Malformed(m)) if m.message.contains("cut short")), "{cut:?}");
    }
}
