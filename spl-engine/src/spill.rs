//! Spilling to a temporary file. Aggregation groups and rows kept to the end of input grow
//! with the input (a hunting search keeps a group per command line); past a budget shared by
//! the whole run, the holders of a fair share of it write what they hold to one anonymous
//! temporary file and read it back at the end. Results are the same as without spilling:
//! aggregation runs are merged in the order they were written, so first/last/list/earliest
//! keep event order.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use crate::event::Event;
use crate::exec::{ExecError, Flow};
use crate::packed::{put_len, Packed, Packer, Reader};

/// What spillable structures may hold together before those holding a fair share of it spill
/// (`--memory-budget`).
pub const DEFAULT_BUDGET: usize = 32 << 20;

static HELD: AtomicUsize = AtomicUsize::new(0);
static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET);
static DIR: RwLock<Option<PathBuf>> = RwLock::new(None);
static SPILLS: AtomicU64 = AtomicU64::new(0);
static WRITTEN: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The run's budget in bytes; 0 never spills.
pub fn set_budget(bytes: usize) {
    BUDGET.store(bytes, Ordering::Relaxed);
}

/// Where temporary files go (default: the system's temporary folder, `TMPDIR`).
pub fn set_dir(dir: Option<PathBuf>) {
    if let Ok(mut d) = DIR.write() {
        *d = dir;
    }
}

/// Spills so far and the bytes they wrote, for the run's summary.
pub fn totals() -> (u64, u64) {
    (SPILLS.load(Ordering::Relaxed), WRITTEN.load(Ordering::Relaxed))
}

/// A holder wrote what it held (merges of runs already written are not counted).
pub fn count_spill() {
    SPILLS.fetch_add(1, Ordering::Relaxed);
}

/// The most that spillable structures held at once, in bytes (`--profile`).
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Smallest holding worth spilling: many small holders never spill one by one.
fn min_spill(budget: usize) -> usize {
    (budget / 32).max(16 << 10)
}

/// Whether a holder of this many bytes that does not count itself (a join's right side) is
/// spilled.
pub fn worth_spilling(bytes: usize) -> bool {
    let budget = BUDGET.load(Ordering::Relaxed);
    budget != 0 && bytes >= min_spill(budget)
}

/// What holders count is the data they add (a group's key and accumulators, a row's packed
/// bytes); what that costs the process is more: vectors and hash tables grown by doubling,
/// allocator size classes, table control bytes. Measured on the endpoint pack over 256 MiB,
/// each 16 MiB of budget held 1.5-1.73x that in RSS (mean ~1.6), so counts are scaled by 8/5:
/// `--memory-budget` then bounds about that much memory, not that much data.
const OVERHEAD_NUM: usize = 8;
const OVERHEAD_DEN: usize = 5;

/// The bytes one structure holds, counted in the run's total while it lives.
#[derive(Debug, Default)]
pub struct Held {
    bytes: usize,
    /// Tests: spill past this many bytes of this holder, whatever the run's total.
    pub own_limit: Option<usize>,
}

impl Held {
    /// Count `n` more bytes (a holder's estimate of what it allocated); true when this holder
    /// should spill now.
    pub fn grow(&mut self, n: usize) -> bool {
        let n = n.saturating_mul(OVERHEAD_NUM) / OVERHEAD_DEN;
        self.bytes += n;
        if let Some(limit) = self.own_limit {
            HELD.fetch_add(n, Ordering::Relaxed);
            return self.bytes > limit;
        }
        let total = HELD.fetch_add(n, Ordering::Relaxed) + n;
        PEAK.fetch_max(total, Ordering::Relaxed);
        let budget = BUDGET.load(Ordering::Relaxed);
        budget != 0 && total > budget && self.bytes >= min_spill(budget)
    }

    /// Everything held was written out or freed.
    pub fn clear(&mut self) {
        HELD.fetch_sub(self.bytes, Ordering::Relaxed);
        self.bytes = 0;
    }

    /// `n` bytes counted by `grow` were freed.
    pub fn shrink(&mut self, n: usize) {
        let n = (n.saturating_mul(OVERHEAD_NUM) / OVERHEAD_DEN).min(self.bytes);
        HELD.fetch_sub(n, Ordering::Relaxed);
        self.bytes -= n;
    }

    /// Some of what was held was freed: `n` bytes remain.
    pub fn set(&mut self, n: usize) {
        if n < self.bytes {
            HELD.fetch_sub(self.bytes - n, Ordering::Relaxed);
        } else {
            HELD.fetch_add(n - self.bytes, Ordering::Relaxed);
        }
        self.bytes = n;
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.clear();
    }
}

fn io_error(e: io::Error) -> ExecError {
    ExecError::new(format!("spilling to a temporary file: {e} (see --temp-dir, --memory-budget)"))
}

/// An anonymous file in the folder for temporary files (`--temp-dir`, else `TMPDIR`), removed by
/// the system once closed.
pub fn temp_file() -> io::Result<File> {
    match DIR.read().ok().and_then(|d| d.clone()) {
        Some(d) => tempfile::tempfile_in(d),
        None => tempfile::tempfile(),
    }
}

/// The run's one spill file, shared by every holder (one descriptor however many spill),
/// append-only; removed by the system when the run ends.
struct Shared {
    file: File,
    end: u64,
}

static SHARED: Mutex<Option<Shared>> = Mutex::new(None);

/// Append bytes to the spill file; where they start.
pub fn append(bytes: &[u8]) -> Result<u64, ExecError> {
    let mut guard = SHARED.lock().map_err(|_| ExecError::new("spill file lock poisoned"))?;
    let shared = match &mut *guard {
        Some(s) => s,
        None => guard.insert(Shared { file: temp_file().map_err(io_error)?, end: 0 }),
    };
    let at = shared.end;
    shared.file.seek(SeekFrom::Start(at)).and_then(|_| shared.file.write_all(bytes)).map_err(io_error)?;
    shared.end += bytes.len() as u64;
    WRITTEN.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    Ok(at)
}

/// Read `buf.len()` bytes of the spill file from `at`.
pub fn read_at(at: u64, buf: &mut [u8]) -> Result<(), ExecError> {
    let mut guard = SHARED.lock().map_err(|_| ExecError::new("spill file lock poisoned"))?;
    let shared = guard.as_mut().ok_or_else(corrupt)?;
    shared.file.seek(SeekFrom::Start(at)).and_then(|_| shared.file.read_exact(buf)).map_err(io_error)
}

/// Bytes a spill writer gathers before appending them (a record never straddles two).
const CHUNK: usize = 64 << 10;

/// A run being written: length-framed records, appended to the spill file a chunk at a time.
pub struct RunWriter {
    buf: Vec<u8>,
    chunks: Vec<(u64, usize)>,
}

impl RunWriter {
    pub fn new() -> Result<Self, ExecError> {
        Ok(RunWriter { buf: Vec::with_capacity(CHUNK), chunks: Vec::new() })
    }

    /// Add a record.
    pub fn record(&mut self, rec: &[u8]) -> Result<(), ExecError> {
        put_len(&mut self.buf, rec.len());
        self.buf.extend_from_slice(rec);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExecError> {
        if !self.buf.is_empty() {
            let at = append(&self.buf)?;
            self.chunks.push((at, self.buf.len()));
            self.buf.clear();
        }
        Ok(())
    }

    /// The written run, to be read from its start.
    pub fn finish(mut self) -> Result<RunReader, ExecError> {
        self.flush()?;
        Ok(RunReader { chunks: self.chunks.into_iter(), cur: Vec::new(), pos: 0 })
    }
}

/// A run read back, record by record, one chunk in memory.
pub struct RunReader {
    chunks: std::vec::IntoIter<(u64, usize)>,
    cur: Vec<u8>,
    pos: usize,
}

impl RunReader {
    /// The next record; `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>, ExecError> {
        if self.pos >= self.cur.len() {
            let Some((at, len)) = self.chunks.next() else {
                self.cur = Vec::new();
                return Ok(None);
            };
            self.cur.resize(len, 0);
            read_at(at, &mut self.cur)?;
            self.pos = 0;
        }
        let rest = self.cur.get(self.pos..).ok_or_else(corrupt)?;
        let mut r = Reader::new(rest);
        let n = r.len().ok_or_else(corrupt)?;
        let head = rest.len() - r.data.len();
        let rec = r.take(n).ok_or_else(corrupt)?;
        self.pos += head + n;
        Ok(Some(rec))
    }
}

/// Packed rows written to the spill file, each read back on its own (a join's right side:
/// only the rows a key matches are read), or all in order (`for_each`).
#[derive(Clone, Debug, Default)]
pub struct RowFile {
    at: Vec<(u64, u32)>,
}

impl RowFile {
    pub fn write(rows: &[Packed]) -> Result<RowFile, ExecError> {
        let mut w = RowFileWriter::new();
        for p in rows {
            w.push(p)?;
        }
        w.finish()
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// Keep only the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        self.at.truncate(n);
    }

    /// Every row in order, read back a stretch of adjacent rows at a time (one read per
    /// chunk written, not per row); `f` may stop them.
    pub fn for_each(&self, f: &mut dyn FnMut(Packed) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let mut buf = Vec::new();
        let mut i = 0;
        while let Some(&(start, _)) = self.at.get(i) {
            // The rows from `i` that follow one another in the file, up to a chunk's worth.
            let (mut j, mut end) = (i, start);
            while let Some(&(at, len)) = self.at.get(j) {
                if at != end || (end - start) as usize >= CHUNK {
                    break;
                }
                end = at + u64::from(len);
                j += 1;
            }
            buf.resize((end - start) as usize, 0);
            read_at(start, &mut buf)?;
            for &(at, len) in self.at.get(i..j).unwrap_or_default() {
                let from = (at - start) as usize;
                let bytes = buf.get(from..from + len as usize).ok_or_else(corrupt)?;
                let p = Packed::decode(&mut Reader::new(bytes), &mut None).ok_or_else(corrupt)?;
                if f(p)? == Flow::Stop {
                    return Ok(());
                }
            }
            i = j;
        }
        Ok(())
    }

    /// Row `i`, read back; `None` past the end.
    pub fn get(&self, i: usize) -> Result<Option<Packed>, ExecError> {
        let Some(&(at, len)) = self.at.get(i) else { return Ok(None) };
        let mut buf = vec![0u8; len as usize];
        read_at(at, &mut buf)?;
        Packed::decode(&mut Reader::new(&buf), &mut None).map(Some).ok_or_else(corrupt)
    }
}

/// A `RowFile` written one row at a time, a chunk at a time.
pub struct RowFileWriter {
    at: Vec<(u64, u32)>,
    buf: Vec<u8>,
    /// Rows in `buf`: where each starts in it, and its length.
    pending: Vec<(usize, u32)>,
}

impl RowFileWriter {
    pub fn new() -> RowFileWriter {
        SPILLS.fetch_add(1, Ordering::Relaxed);
        RowFileWriter { at: Vec::new(), buf: Vec::with_capacity(CHUNK), pending: Vec::new() }
    }

    pub fn push(&mut self, p: &Packed) -> Result<(), ExecError> {
        let pos = self.buf.len();
        p.encode(&mut self.buf);
        let len = u32::try_from(self.buf.len() - pos).map_err(|_| ExecError::new("a row too big to spill"))?;
        self.pending.push((pos, len));
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExecError> {
        if !self.buf.is_empty() {
            let base = append(&self.buf)?;
            self.at.extend(self.pending.drain(..).map(|(pos, len)| (base + pos as u64, len)));
            self.buf.clear();
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<RowFile, ExecError> {
        self.flush()?;
        self.at.shrink_to_fit();
        Ok(RowFile { at: self.at })
    }
}

impl Default for RowFileWriter {
    fn default() -> Self {
        RowFileWriter::new()
    }
}

/// Rows kept whole until read back: in memory, or in the spill file.
#[derive(Clone)]
pub enum Kept {
    Mem(Vec<Packed>),
    File(RowFile),
}

impl Default for Kept {
    fn default() -> Self {
        Kept::Mem(Vec::new())
    }
}

impl Kept {
    pub fn len(&self) -> usize {
        match self {
            Kept::Mem(v) => v.len(),
            Kept::File(f) => f.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keep only the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        match self {
            Kept::Mem(v) => v.truncate(n),
            Kept::File(f) => f.truncate(n),
        }
    }

    /// Every row in order (from the file a stretch at a time); `f` may stop them.
    pub fn for_each(&self, f: &mut dyn FnMut(&Packed) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        match self {
            Kept::Mem(rows) => {
                for p in rows {
                    if f(p)? == Flow::Stop {
                        break;
                    }
                }
                Ok(())
            }
            Kept::File(file) => file.for_each(&mut |p| f(&p)),
        }
    }

    /// The rows, in memory.
    pub fn into_rows(self) -> Result<Vec<Packed>, ExecError> {
        match self {
            Kept::Mem(v) => Ok(v),
            Kept::File(f) => {
                let mut v = Vec::with_capacity(f.len());
                f.for_each(&mut |p| {
                    v.push(p);
                    Ok(Flow::Continue)
                })?;
                Ok(v)
            }
        }
    }
}

/// Gathers rows one at a time into a `Kept`: in memory while they are few, then, once they
/// are worth spilling (`worth_spilling`), in the spill file as they come, so that a holder
/// that does not count itself (a map's gathered events) never holds them all at once.
#[derive(Default)]
pub struct Keeper {
    mem: Vec<Packed>,
    bytes: usize,
    file: Option<RowFileWriter>,
    len: usize,
}

impl Keeper {
    pub fn push(&mut self, p: Packed) -> Result<(), ExecError> {
        self.len += 1;
        if let Some(w) = &mut self.file {
            return w.push(&p);
        }
        self.bytes += p.heap_bytes() + std::mem::size_of::<Packed>();
        self.mem.push(p);
        if worth_spilling(self.bytes) {
            let mut w = RowFileWriter::new();
            for p in self.mem.drain(..) {
                w.push(&p)?;
            }
            self.mem = Vec::new();
            self.file = Some(w);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> Result<Kept, ExecError> {
        match self.file {
            Some(w) => Ok(Kept::File(w.finish()?)),
            None => Ok(Kept::Mem(self.mem)),
        }
    }
}

pub fn corrupt() -> ExecError {
    ExecError::new("a temporary spill file was changed while the run read it".to_string())
}

/// Rows kept in arrival order until the end, packed; past the budget the oldest go to a file.
#[derive(Default)]
pub struct RowSpool {
    mem: Vec<Packed>,
    file: Option<RunWriter>,
    packer: Packer,
    held: Held,
    len: usize,
    buf: Vec<u8>,
}

impl RowSpool {
    pub fn push(&mut self, ev: &Event) -> Result<(), ExecError> {
        let p = self.packer.pack(ev);
        self.push_packed(p)
    }

    pub fn push_packed(&mut self, p: Packed) -> Result<(), ExecError> {
        self.len += 1;
        let spill = self.held.grow(p.heap_bytes() + std::mem::size_of::<Packed>());
        self.mem.push(p);
        if spill {
            count_spill();
            let w = match &mut self.file {
                Some(w) => w,
                None => self.file.insert(RunWriter::new()?),
            };
            for p in self.mem.drain(..) {
                self.buf.clear();
                p.encode(&mut self.buf);
                w.record(&self.buf)?;
            }
            self.mem = Vec::new();
            self.held.clear();
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Tests: spill past this many bytes of this spool, whatever the run's total.
    pub fn held_limit(&mut self, limit: Option<usize>) {
        self.held.own_limit = limit;
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every row in arrival order, each freed as it is handed out; `f` may stop them.
    pub fn drain(&mut self, f: &mut dyn FnMut(Packed) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        self.len = 0;
        if let Some(w) = self.file.take() {
            let mut r = w.finish()?;
            let mut last = None;
            while let Some(rec) = r.next_record()? {
                let p = Packed::decode(&mut Reader::new(rec), &mut last).ok_or_else(corrupt)?;
                if f(p)? == Flow::Stop {
                    self.mem.clear();
                    self.held.clear();
                    return Ok(());
                }
            }
        }
        let mem = std::mem::take(&mut self.mem);
        self.held.clear();
        for p in mem {
            if f(p)? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Event> {
        (0..n)
            .map(|i| {
                let mut e = Event::from_pairs(&[("i", &i.to_string()), ("cmd", &"x".repeat(i % 300))]);
                if i % 7 == 0 {
                    e.push("mv", "a".into());
                    e.push("mv", crate::value::Atom::Num(i as f64));
                }
                e
            })
            .collect()
    }

    #[test]
    fn a_spooled_row_list_gives_back_every_row_in_order_spilled_or_not() {
        for limit in [None, Some(1), Some(10_000)] {
            let mut spool = RowSpool::default();
            spool.held.own_limit = limit;
            let want = rows(2_000);
            for e in &want {
                spool.push(e).unwrap();
            }
            assert_eq!(spool.len(), 2_000);
            assert_eq!(spool.file.is_some(), limit.is_some(), "{limit:?}");
            let mut got = Vec::new();
            spool
                .drain(&mut |p| {
                    got.push(p.unpack());
                    Ok(Flow::Continue)
                })
                .unwrap();
            assert_eq!(got, want, "{limit:?}");
            assert_eq!(spool.held.bytes(), 0);
        }
    }

    #[test]
    fn spilled_rows_are_read_back_one_by_one() {
        let mut packer = Packer::default();
        let want = rows(3_000);
        let packed: Vec<Packed> = want.iter().map(|e| packer.pack(e)).collect();
        let file = RowFile::write(&packed).unwrap();
        assert_eq!(file.len(), 3_000);
        for i in [0, 1, 1_234, 2_999] {
            assert_eq!(file.get(i).unwrap().map(|p| p.unpack()).as_ref(), want.get(i));
        }
        assert!(file.get(3_000).unwrap().is_none());
    }

    #[test]
    fn a_keeper_gives_back_every_row_in_order_from_memory_or_the_file() {
        let mut packer = Packer::default();
        // Few rows stay in memory; ~4 MB of them pass the default threshold (1 MiB) and go
        // to the file as they come (a run's budget of 0 would keep them in memory: same rows).
        for (n, wide) in [(10, 1), (2_000, 2_000)] {
            let want: Vec<Event> = rows(n)
                .into_iter()
                .map(|mut e| {
                    e.set("pad", "p".repeat(wide));
                    e
                })
                .collect();
            let mut keeper = Keeper::default();
            for e in &want {
                keeper.push(packer.pack(e)).unwrap();
            }
            assert_eq!(keeper.len(), n);
            let got: Vec<Event> = match keeper.finish().unwrap() {
                Kept::Mem(rows) => rows.iter().map(Packed::unpack).collect(),
                Kept::File(file) => (0..file.len()).map(|i| file.get(i).unwrap().unwrap().unpack()).collect(),
            };
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_row_file_reads_back_every_row_in_order_a_stretch_at_a_time() {
        let mut packer = Packer::default();
        let want = rows(3_000);
        let packed: Vec<Packed> = want.iter().map(|e| packer.pack(e)).collect();
        // Another writer between the two halves: the rows are not all adjacent in the file.
        let mut file = RowFile::write(packed.get(..1_500).unwrap()).unwrap();
        let other = RowFile::write(packed.get(..10).unwrap()).unwrap();
        let second = RowFile::write(packed.get(1_500..).unwrap()).unwrap();
        file.at.extend(second.at);
        let mut got = Vec::new();
        file.for_each(&mut |p| {
            got.push(p.unpack());
            Ok(Flow::Continue)
        })
        .unwrap();
        assert_eq!(got, want);
        let mut first = Vec::new();
        other
            .for_each(&mut |p| {
                first.push(p.unpack());
                Ok(if first.len() == 3 { Flow::Stop } else { Flow::Continue })
            })
            .unwrap();
        assert_eq!(first, want.get(..3).unwrap());
        file.truncate(7);
        assert_eq!(Kept::File(file).into_rows().unwrap().len(), 7);
    }

    #[test]
    fn a_drained_spool_can_be_stopped() {
        let mut spool = RowSpool::default();
        spool.held.own_limit = Some(5_000);
        for e in &rows(500) {
            spool.push(e).unwrap();
        }
        let mut n = 0;
        spool
            .drain(&mut |_| {
                n += 1;
                Ok(if n == 3 { Flow::Stop } else { Flow::Continue })
            })
            .unwrap();
        assert_eq!(n, 3);
    }
}
