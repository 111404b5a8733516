//! `sort` and `reverse`: commands that emit nothing before their input ends. Their rows are
//! held packed (a field map costs several times its text) and, past `--memory-budget`,
//! written to the spill file a run at a time, so that what they hold in memory does not grow
//! with the input. `sort N` (10000 without N) holds at most twice N rows: the others can no
//! longer be among the first N.

use std::cmp::Ordering;

use crate::event::Event;
use crate::exec::{ExecError, Flow, Operator};
use crate::packed::{put_atom, put_len, Packed, Packer, Reader};
use crate::spill::{self, Held, RowFile, RunReader, RunWriter};
use crate::value::{compare_atoms, compare_lexical, Atom};

#[derive(Clone, Debug)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
    /// `num`, `str`, `ip`, `auto` (default).
    pub how: String,
}

impl SortKey {
    /// A numeric key (a time, a position) given with each row rather than read from a field.
    pub(crate) fn num(field: &str, descending: bool) -> Self {
        SortKey { field: field.into(), descending, how: "num".into() }
    }
}

/// A row's sort keys: the first value of each key field, `None` where it has none.
type Keys = Vec<Option<Atom>>;

fn keys_of(keys: &[SortKey], value_of: impl Fn(&str) -> Option<Atom>) -> Keys {
    keys.iter().map(|k| value_of(&k.field)).collect()
}

/// Rows missing a key field sort after those that have it, whichever the direction.
fn compare_keys(a: &[Option<Atom>], b: &[Option<Atom>], keys: &[SortKey]) -> Ordering {
    for ((x, y), k) in a.iter().zip(b).zip(keys) {
        let o = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let o = match k.how.as_str() {
                    "str" => compare_lexical(x, y),
                    "ip" => compare_ip(x, y),
                    "num" => compare_atoms(x, y),
                    _ => compare_auto(x, y),
                };
                if k.descending {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// The number a sort key starts with: the whole value when it is a number, else its leading
/// `[-+]digits[.digits]` (`10.0.0.5` → 10.0, `443/tcp` → 443); `None` when it starts otherwise.
fn leading_number(a: &Atom) -> Option<f64> {
    if let Some(n) = a.to_num() {
        return Some(n);
    }
    let s = a.as_str();
    let b = s.as_bytes();
    let sign = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int = b.iter().skip(sign).take_while(|c| c.is_ascii_digit()).count();
    if int == 0 {
        return None;
    }
    let mut end = sign + int;
    if b.get(end) == Some(&b'.') {
        let frac = b.iter().skip(end + 1).take_while(|c| c.is_ascii_digit()).count();
        if frac > 0 {
            end += 1 + frac;
        }
    }
    s.get(..end)?.parse().ok()
}

/// `sort`'s default (`auto`) order, as Splunk documents it: numbers numerically; a string that
/// starts with a number by that number alone (then, on equal numbers, as text: `9.1.1.1`
/// before `10.0.0.5`, `10.0.0.12` before `10.0.0.5`); other strings lexicographically, after
/// the numbers.
fn compare_auto(a: &Atom, b: &Atom) -> Ordering {
    match (leading_number(a), leading_number(b)) {
        (Some(x), Some(y)) => {
            x.partial_cmp(&y).unwrap_or(Ordering::Equal).then_with(|| match (a.to_num(), b.to_num()) {
                // Equal numbers both written as numbers (`1` and `1.0`) are equal.
                (Some(_), Some(_)) => Ordering::Equal,
                _ => compare_lexical(a, b),
            })
        }
        _ => compare_atoms(a, b),
    }
}

fn compare_ip(a: &Atom, b: &Atom) -> Ordering {
    match (a.as_str().parse::<std::net::IpAddr>(), b.as_str().parse::<std::net::IpAddr>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => compare_lexical(a, b),
    }
}

/// Bytes a held row counts for: its packed text and its keys.
fn row_bytes(keys: &Keys, p: &Packed) -> usize {
    p.heap_bytes() + keys.iter().map(|k| 32 + k.as_ref().map_or(0, |a| a.as_str().len())).sum::<usize>()
}

/// Rows held at least before `sort N` drops those past the first N (a small N would otherwise
/// sort its few rows again every few rows).
const COMPACT_MIN: usize = 1024;

/// Rows sorted stably on keys given with each, within the memory budget: what `sort` does, and
/// `transaction` to put its events in time order.
pub(crate) struct Sorter {
    spec: Vec<SortKey>,
    limit: Option<usize>,
    /// Rows since the last run was written, in input order.
    held: Vec<(Keys, Packed)>,
    packer: Packer,
    bytes: Held,
    /// With a limit N, once N rows were sorted: the keys of the Nth. A later row whose keys are
    /// not less cannot be among the first N (on equal keys the earlier rows come first), and
    /// is dropped as it comes.
    cutoff: Option<Keys>,
    /// Runs written to the spill file, each sorted, in input order (on equal keys a row of an
    /// earlier run comes first: the sort is stable).
    runs: Vec<Run>,
}

impl Sorter {
    /// Rows compared on keys of `spec`'s directions and kinds (its field names are not read),
    /// the first `limit` kept.
    pub(crate) fn new(spec: Vec<SortKey>, limit: Option<usize>) -> Self {
        Sorter {
            spec,
            limit,
            held: Vec::new(),
            packer: Packer::default(),
            bytes: Held::default(),
            cutoff: None,
            runs: Vec::new(),
        }
    }

    /// Tests: spill past this many bytes, whatever the run's total.
    #[cfg(test)]
    pub(crate) fn held_limit(&mut self, limit: Option<usize>) {
        self.bytes.own_limit = limit;
    }

    /// Add a row with its keys (one per key of the spec).
    pub(crate) fn push(&mut self, keys: Keys, ev: &Event) -> Result<(), ExecError> {
        if self.cutoff.as_ref().is_some_and(|c| compare_keys(&keys, c, &self.spec) != Ordering::Less) {
            return Ok(());
        }
        let p = self.packer.pack(ev);
        let over = self.bytes.grow(row_bytes(&keys, &p));
        self.held.push((keys, p));
        if let Some(n) = self.limit {
            if self.held.len() >= n.saturating_mul(2).max(COMPACT_MIN) {
                self.sort_held();
                self.bytes.clear();
                let left: usize = self.held.iter().map(|(k, p)| row_bytes(k, p)).sum();
                let _ = self.bytes.grow(left);
                return Ok(());
            }
        }
        if over {
            self.spill()?;
        }
        Ok(())
    }

    /// The rows in order, the first `limit`; `emit` may stop them.
    pub(crate) fn finish(&mut self, emit: &mut dyn FnMut(Packed) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        self.sort_held();
        let (held, runs) = (std::mem::take(&mut self.held), std::mem::take(&mut self.runs));
        merge(runs.into_iter().map(|r| r.reader).collect(), held, &self.spec, self.limit, &mut |_, p| emit(p))?;
        self.bytes.clear();
        Ok(())
    }

    /// Sort the rows held (stably) and drop those past the limit.
    fn sort_held(&mut self) {
        let keys = &self.spec;
        self.held.sort_by(|a, b| compare_keys(&a.0, &b.0, keys));
        if let Some(n) = self.limit {
            self.held.truncate(n);
            // Held rows all passed the cutoff: the Nth of them is below it.
            if self.held.len() == n {
                self.cutoff = self.held.last().map(|(k, _)| k.clone());
            }
        }
    }

    /// Write the rows held, sorted, as a run.
    fn spill(&mut self) -> Result<(), ExecError> {
        self.sort_held();
        let mut out = RunOut::new()?;
        for (k, p) in self.held.drain(..) {
            out.push(&k, &p)?;
        }
        self.runs.push(out.finish(0)?);
        self.held = Vec::new();
        self.bytes.clear();
        spill::count_spill();
        if let Some(n) = self.limit {
            // Once the runs hold N rows, they merge into one of the first N, whose last gives
            // the cutoff: a sort whose N rows outgrow the budget still drops what cannot be
            // among them (all of a sort ascending over ascending input). Then only every
            // `FAN_IN` runs: on input that keeps beating the cutoff (descending over
            // ascending), each merge would write N rows again for little.
            let total: usize = self.runs.iter().map(|r| r.rows).sum();
            if self.runs.len() >= FAN_IN || (self.cutoff.is_none() && self.runs.len() > 1 && total >= n) {
                self.merge_last(self.runs.len())?;
            }
            return Ok(());
        }
        // `FAN_IN` runs of one level are merged into one of the next: however many runs a big
        // input makes, a merge reads few at once, and each row is written again only once a
        // level. They are the latest runs, so the runs stay in input order.
        while let Some(level) = self.runs.last().map(|r| r.level) {
            let same = self.runs.iter().rev().take_while(|r| r.level == level).count();
            if same < FAN_IN {
                break;
            }
            self.merge_last(same)?;
        }
        Ok(())
    }

    /// Merge the last `count` runs into one, a level up; with a limit, its last row (the Nth
    /// of them) may tighten the cutoff.
    fn merge_last(&mut self, count: usize) -> Result<(), ExecError> {
        let from = self.runs.len().saturating_sub(count);
        let taken: Vec<Run> = self.runs.drain(from..).collect();
        let level = taken.iter().map(|r| r.level).max().unwrap_or(0) + 1;
        let (mut out, mut last) = (RunOut::new()?, None);
        merge(taken.into_iter().map(|r| r.reader).collect(), Vec::new(), &self.spec, self.limit, &mut |k, p| {
            out.push(&k, &p)?;
            last = Some(k);
            Ok(Flow::Continue)
        })?;
        let run = out.finish(level)?;
        let rows = run.rows;
        self.runs.push(run);
        if let (Some(n), Some(k)) = (self.limit, last) {
            if rows == n && self.cutoff.as_ref().is_none_or(|c| compare_keys(&k, c, &self.spec) == Ordering::Less) {
                self.cutoff = Some(k);
            }
        }
        Ok(())
    }
}

/// A sorted run in the spill file: its merge level and how many rows it holds.
struct Run {
    level: u32,
    rows: usize,
    reader: RunReader,
}

/// A run being written: rows with their keys (`encode`), counted.
struct RunOut {
    w: RunWriter,
    buf: Vec<u8>,
    rows: usize,
}

impl RunOut {
    fn new() -> Result<Self, ExecError> {
        Ok(RunOut { w: RunWriter::new()?, buf: Vec::new(), rows: 0 })
    }

    fn push(&mut self, keys: &Keys, p: &Packed) -> Result<(), ExecError> {
        self.buf.clear();
        encode(keys, p, &mut self.buf);
        self.rows += 1;
        self.w.record(&self.buf)
    }

    fn finish(self, level: u32) -> Result<Run, ExecError> {
        Ok(Run { level, rows: self.rows, reader: self.w.finish()? })
    }
}

/// Runs a merge reads at once: each holds a chunk of the spill file and its first row.
const FAN_IN: usize = 32;

/// A run record: the row's keys, then the row.
fn encode(keys: &Keys, p: &Packed, out: &mut Vec<u8>) {
    put_len(out, keys.len());
    for k in keys {
        match k {
            None => out.push(0),
            Some(a) => {
                out.push(1);
                put_atom(out, a);
            }
        }
    }
    p.encode(out);
}

/// A run's next row and its keys.
fn next_of(run: &mut RunReader) -> Result<Option<(Keys, Packed)>, ExecError> {
    let Some(rec) = run.next_record()? else { return Ok(None) };
    let mut r = Reader::new(rec);
    let decoded = (|| {
        let n = r.len()?;
        let mut keys = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            keys.push(match r.byte()? {
                0 => None,
                _ => Some(r.atom()?),
            });
        }
        Some((keys, Packed::decode(&mut r, &mut None)?))
    })();
    decoded.map(Some).ok_or_else(|| ExecError::new("sort: a row read back from the spill file is corrupt"))
}

/// Merge sorted runs and then `mem` (sorted, the latest rows), giving `emit` the first `limit`
/// rows in order, with their keys; on equal keys the earlier run's row comes first (the sort
/// stays stable).
fn merge(
    mut runs: Vec<RunReader>,
    mem: Vec<(Keys, Packed)>,
    spec: &[SortKey],
    limit: Option<usize>,
    emit: &mut dyn FnMut(Keys, Packed) -> Result<Flow, ExecError>,
) -> Result<(), ExecError> {
    let mut mem = mem.into_iter();
    let mut heads = Vec::with_capacity(runs.len() + 1);
    for run in runs.iter_mut() {
        heads.push(next_of(run)?);
    }
    heads.push(mem.next());
    for _ in 0..limit.unwrap_or(usize::MAX) {
        // The least head, the earliest on equal keys: a scan, as they are few (`FAN_IN` a
        // merge level).
        let mut best: Option<(usize, &Keys)> = None;
        for (i, head) in heads.iter().enumerate() {
            if let Some((k, _)) = head {
                if best.is_none_or(|(_, b)| compare_keys(k, b, spec) == Ordering::Less) {
                    best = Some((i, k));
                }
            }
        }
        let Some((i, _)) = best else { break };
        let next = match runs.get_mut(i) {
            Some(run) => next_of(run)?,
            None => mem.next(),
        };
        let Some((k, p)) = heads.get_mut(i).and_then(|h| std::mem::replace(h, next)) else { break };
        if emit(k, p)? == Flow::Stop {
            break;
        }
    }
    Ok(())
}

/// `sort [N] [+|-]f ...`: stable; numbers numerically, strings lexicographically; rows missing
/// the field sort last. Without N Splunk keeps 10000 rows; `sort 0` keeps all.
pub struct SortOp {
    pub keys: Vec<SortKey>,
    pub limit: Option<usize>,
    sorter: Sorter,
    /// `newest_first`: rows taken so far, instead of `keys`.
    implied: Option<u64>,
}

impl SortOp {
    pub fn new(keys: Vec<SortKey>, limit: Option<usize>) -> Self {
        SortOp { sorter: Sorter::new(keys.clone(), limit), keys, limit, implied: None }
    }

    /// Splunk's order of events, newest first, put before the first command of an event search
    /// whose result depends on order (`head`, `dedup`, `list()` …; `plan::order_use`): a
    /// historical search returns events latest first, and those commands see them so. Events
    /// of equal times come last read first (Splunk does not document their order; so a file in
    /// time order reads back reversed), events without a time last. `head N` right after it needs only N rows (`limit`).
    pub fn newest_first(limit: Option<usize>) -> Self {
        let keys = vec![SortKey::num("_time", true), SortKey::num("(input position)", true)];
        SortOp { sorter: Sorter::new(keys.clone(), limit), keys, limit, implied: Some(0) }
    }

    fn hold(&mut self, ev: &Event) -> Result<(), ExecError> {
        let keys = match &mut self.implied {
            Some(seen) => {
                *seen += 1;
                vec![ev.time().map(Atom::Num), Some(Atom::Num(*seen as f64))]
            }
            None => keys_of(&self.keys, |f| ev.get(f).map(|v| v.first().clone())),
        };
        self.sorter.push(keys, ev)
    }
}

impl Operator for SortOp {
    fn name(&self) -> &str {
        "sort"
    }
    fn describe(&self) -> String {
        if self.implied.is_some() {
            return "newest first (implied: Splunk gives a search's events latest first)".to_string();
        }
        format!(
            "sort limit={} {}",
            self.limit.map_or("none".to_string(), |l| l.to_string()),
            self.keys
                .iter()
                .map(|k| format!("{}{}({})", if k.descending { "-" } else { "+" }, k.how, k.field))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.hold(&ev)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.hold(ev)
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        self.sorter.finish(&mut |p| emit(p.unpack()))
    }
}

/// The implied newest-first order fused with the `dedup` after it (not `consecutive`): per key
/// only its `limit` newest events are held, then given newest first for the `dedup` to pass on.
/// An event that is not among the newest of its key when it arrives never will be, so dropping
/// it changes nothing. Past the memory budget (keys nearly unique: `dedup _raw`) it falls back
/// to the sort, which spills, for all it held and all that follows.
pub struct DedupNewestOp {
    fields: Vec<String>,
    limit: usize,
    keepempty: bool,
    digest: super::rows::Digest,
    /// Per key, its newest events so far: (has a time, time, arrival, event), newest first.
    newest: std::collections::HashMap<u128, Vec<Entry>, ahash::RandomState>,
    /// Events missing a dedup field, kept by `keepempty=true`.
    empty: Vec<Entry>,
    seen: u64,
    packer: Packer,
    held: Held,
    /// The sort it fell back to.
    sort: Option<SortOp>,
}

type Entry = (bool, f64, u64, Packed);

fn entry_bytes(e: &Entry) -> usize {
    e.3.heap_bytes() + std::mem::size_of::<Entry>()
}

impl DedupNewestOp {
    pub fn new(fields: Vec<String>, limit: usize, keepempty: bool) -> Self {
        DedupNewestOp {
            fields,
            limit: limit.max(1),
            keepempty,
            digest: super::rows::Digest::new(),
            newest: Default::default(),
            empty: Vec::new(),
            seen: 0,
            packer: Packer::default(),
            held: Held::default(),
            sort: None,
        }
    }

    /// Tests: fall back past this many bytes, whatever the run's total.
    pub fn held_limit(&mut self, limit: Option<usize>) {
        self.held.own_limit = limit;
    }

    /// Count `n` more bytes held; past the budget, fall back.
    fn grown(&mut self, n: usize) -> Result<(), ExecError> {
        if self.held.grow(n) {
            return self.fall_back();
        }
        Ok(())
    }

    /// Everything held, in arrival order, into the sort; it takes every event from now on.
    fn fall_back(&mut self) -> Result<(), ExecError> {
        let mut all: Vec<Entry> = self.newest.drain().flat_map(|(_, v)| v).chain(self.empty.drain(..)).collect();
        all.sort_by_key(|e| e.2);
        let mut sort = SortOp::newest_first(None);
        for (_, _, _, p) in all {
            sort.push(p.unpack(), &mut Vec::new())?;
        }
        self.held.clear();
        self.sort = Some(sort);
        Ok(())
    }
}

impl Operator for DedupNewestOp {
    fn name(&self) -> &str {
        "sort"
    }
    fn describe(&self) -> String {
        format!(
            "newest first (implied), holding per {} only its {} newest (the dedup after it)",
            self.fields.join(" "),
            self.limit
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(sort) = &mut self.sort {
            return sort.push_ref(ev, out);
        }
        self.seen += 1;
        let time = ev.time();
        let rank = (time.is_some(), time.unwrap_or(0.0), self.seen);
        let newer = |a: &Entry| (a.0, a.1, a.2) > rank;
        let Some(key) = self.digest.key_of(&self.fields, ev) else {
            if !self.keepempty {
                return Ok(());
            }
            let e = (rank.0, rank.1, rank.2, self.packer.pack(ev));
            let grew = entry_bytes(&e);
            self.empty.push(e);
            return self.grown(grew);
        };
        let kept = self.newest.entry(key).or_default();
        // Kept newest first; an event older than the last of `limit` is never given.
        let at = kept.iter().take_while(|e| newer(e)).count();
        if at >= self.limit {
            return Ok(());
        }
        let e = (rank.0, rank.1, rank.2, self.packer.pack(ev));
        // A new key also costs its slot in the table.
        let grew = entry_bytes(&e) + if kept.is_empty() { 48 } else { 0 };
        kept.insert(at, e);
        if kept.len() > self.limit {
            if let Some(old) = kept.pop() {
                self.held.shrink(entry_bytes(&old));
            }
        }
        self.grown(grew)
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        // What is held is within the budget: the sort orders it as it would all.
        if self.sort.is_none() {
            self.fall_back()?;
        }
        match &mut self.sort {
            Some(sort) => sort.finish_each(emit),
            None => Ok(()),
        }
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
}

/// `reverse`: the rows in the opposite order. Held packed; past the budget written out a
/// stretch at a time and read back a stretch at a time, the last first.
#[derive(Default)]
pub struct ReverseOp {
    held: Vec<Packed>,
    packer: Packer,
    bytes: Held,
    /// Stretches written to the spill file, in input order.
    written: Vec<RowFile>,
}

impl ReverseOp {
    fn hold(&mut self, ev: &Event) -> Result<(), ExecError> {
        let p = self.packer.pack(ev);
        let over = self.bytes.grow(p.heap_bytes());
        self.held.push(p);
        if over {
            self.written.push(RowFile::write(&self.held)?);
            self.held = Vec::new();
            self.bytes.clear();
        }
        Ok(())
    }
}

impl Operator for ReverseOp {
    fn name(&self) -> &str {
        "reverse"
    }
    fn describe(&self) -> String {
        "reverse".to_string()
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.hold(&ev)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.hold(ev)
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let mut stretch = std::mem::take(&mut self.held);
        let mut written = std::mem::take(&mut self.written);
        loop {
            while let Some(p) = stretch.pop() {
                if emit(p.unpack())? == Flow::Stop {
                    self.bytes.clear();
                    return Ok(());
                }
            }
            // The stretch before: one in memory at a time (each is about the budget's share).
            let Some(file) = written.pop() else { break };
            file.for_each(&mut |p| {
                stretch.push(p);
                Ok(Flow::Continue)
            })?;
        }
        self.bytes.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op;

    fn row(i: usize, g: Option<&str>) -> Event {
        let mut ev = Event::new();
        ev.set("i", i as f64);
        if let Some(g) = g {
            ev.set("g", g);
        }
        ev.set("text", format!("row {i} {}", "x".repeat(i % 50)));
        ev
    }

    fn rows(n: usize) -> Vec<Event> {
        // `g` repeats (ties keep input order), some rows lack it (they sort last).
        (0..n).map(|i| row(i, (i % 7 != 3).then(|| ["b", "a", "c", "B"][(i * 7919) % 4]))).collect()
    }

    fn key(field: &str, descending: bool) -> SortKey {
        SortKey { field: field.into(), descending, how: "auto".into() }
    }

    fn ids(rows: &[Event]) -> Vec<String> {
        rows.iter().map(|r| r.get("i").map(|v| v.first().as_str().into_owned()).unwrap_or_default()).collect()
    }

    /// The order a stable sort of all rows in memory gives, the first `limit`.
    fn expected(input: &[Event], keys: &[SortKey], limit: Option<usize>) -> Vec<String> {
        let mut all: Vec<(Keys, &Event)> =
            input.iter().map(|e| (keys_of(keys, |f| e.get(f).map(|v| v.first().clone())), e)).collect();
        all.sort_by(|a, b| compare_keys(&a.0, &b.0, keys));
        let sorted: Vec<Event> = all.into_iter().map(|(_, e)| e.clone()).take(limit.unwrap_or(usize::MAX)).collect();
        ids(&sorted)
    }

    /// Splunk's sort reference ("Sort field options"): alphanumeric strings sort by the type of
    /// their first character; one starting with a number, numerically by that number alone;
    /// others lexicographically; numbers before strings. `num()` compares whole numbers (a
    /// string that is not one sorts after them, as text), `str()` text only.
    #[test]
    fn auto_sort_orders_strings_that_start_with_a_number_by_that_number() {
        let atoms = |v: &[&str]| v.iter().map(|s| Atom::from(*s)).collect::<Vec<_>>();
        let sorted = |how: &str, v: &[&str]| {
            let mut a = atoms(v);
            let spec = [SortKey { field: "f".into(), descending: false, how: how.into() }];
            a.sort_by(|x, y| compare_keys(&[Some(x.clone())], &[Some(y.clone())], &spec));
            a.iter().map(|x| x.as_str().into_owned()).collect::<Vec<_>>()
        };
        let input = ["10.0.0.5", "abc", "9.1.1.1", "10.0.0.12", "100", "443/tcp", "-2x", "Zed", "25"];
        assert_eq!(
            sorted("auto", &input),
            ["-2x", "9.1.1.1", "10.0.0.12", "10.0.0.5", "25", "100", "443/tcp", "Zed", "abc"]
        );
        assert_eq!(
            sorted("str", &input),
            ["-2x", "10.0.0.12", "10.0.0.5", "100", "25", "443/tcp", "9.1.1.1", "Zed", "abc"]
        );
        assert_eq!(
            sorted("num", &input),
            ["25", "100", "-2x", "10.0.0.12", "10.0.0.5", "443/tcp", "9.1.1.1", "Zed", "abc"]
        );
        assert_eq!(sorted("ip", &["10.0.0.5", "9.1.1.1", "10.0.0.12"]), ["9.1.1.1", "10.0.0.5", "10.0.0.12"]);
    }

    /// Newest first then `dedup`: the fused order holding only each key's newest gives the
    /// rows the sort of every event does, within the budget and past it (falling back).
    #[test]
    fn newest_per_key_gives_what_sorting_all_then_dedup_gives() {
        // Times with ties and gaps, some events without a time or without `g`.
        let input: Vec<Event> = rows(300)
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| {
                if i % 11 != 5 {
                    e.set("_time", ((i * 37) % 60) as f64);
                }
                e
            })
            .collect();
        for (limit, keepempty) in [(1, false), (2, false), (1, true), (3, true)] {
            let dedup = || super::super::rows::DedupOp::new(vec!["g".into()], limit, keepempty, false);
            let mut want_sort = SortOp::newest_first(None);
            let sorted = run_op(&mut want_sort, input.clone());
            let want = ids(&run_op(&mut dedup(), sorted));
            assert!(want.len() >= 4 * limit, "four keys: {want:?}");
            for budget in [None, Some(2_000)] {
                let mut fused = DedupNewestOp::new(vec!["g".into()], limit, keepempty);
                fused.held_limit(budget);
                let got = ids(&run_op(&mut dedup(), run_op(&mut fused, input.clone())));
                assert_eq!(got, want, "limit {limit} keepempty {keepempty} budget {budget:?}");
                assert!(fused.sort.is_some(), "finished through the sort");
            }
        }
        // The small budget is passed while events arrive: the fallback runs mid-stream.
        let mut fused = DedupNewestOp::new(vec!["g".into()], 1, true);
        fused.held_limit(Some(2_000));
        for e in input.iter().take(100) {
            fused.push(e.clone(), &mut Vec::new()).unwrap();
        }
        assert!(fused.sort.is_some(), "fell back before the end");
    }

    /// `dedup host sortby -n`: Splunk's dedup reference ("dedup source sortby -_size" removes
    /// duplicates, then sorts by _size descending; SPL2 writes it `dedup host | sort -_size`).
    /// The sort does not pick which event a key keeps (h1 keeps n=5, not its later n=50); equal
    /// keys keep the dedup's order; `auto` compares 10 and 9 as numbers; no `n` sorts last.
    #[test]
    fn dedup_sortby_sorts_what_dedup_kept_with_ties_in_dedup_order() {
        let input: Vec<Event> = [("h1", "5"), ("h2", "10"), ("h1", "50"), ("h3", "10"), ("h4", "9"), ("h2", "1")]
            .iter()
            .chain(&[("h5", "")])
            .enumerate()
            .map(|(i, (h, n))| {
                let mut ev = Event::from_pairs(&[("i", &i.to_string()), ("host", h)]);
                if !n.is_empty() {
                    ev.set("n", *n);
                }
                ev
            })
            .collect();
        let dedup_sortby = |keys: Vec<SortKey>| {
            let kept =
                run_op(&mut super::super::rows::DedupOp::new(vec!["host".into()], 1, false, false), input.clone());
            ids(&run_op(&mut SortOp::new(keys, None), kept))
        };
        assert_eq!(dedup_sortby(vec![key("n", true)]), ["1", "3", "4", "0", "6"]);
        assert_eq!(dedup_sortby(vec![key("n", false)]), ["0", "4", "1", "3", "6"]);
        assert_eq!(dedup_sortby(vec![key("n", true), key("host", true)]), ["3", "1", "4", "0", "6"]);
    }

    #[test]
    fn sort_is_stable_and_puts_rows_missing_the_field_last_in_both_directions() {
        let input = rows(40);
        for desc in [false, true] {
            let keys = vec![key("g", desc)];
            let out = run_op(&mut SortOp::new(keys.clone(), None), input.clone());
            assert_eq!(ids(&out), expected(&input, &keys, None));
            let last: Vec<bool> = out.iter().map(|r| r.get("g").is_none()).collect();
            let first_missing = last.iter().position(|&m| m).unwrap();
            assert!(last[first_missing..].iter().all(|&m| m), "desc={desc}: {last:?}");
        }
    }

    #[test]
    fn sort_spilled_in_runs_gives_the_order_and_rows_of_a_sort_in_memory() {
        let input = rows(5_000);
        let keys = vec![key("g", true), key("i", false)];
        // ~150 bytes a row: a run every ~80 rows (60 runs: one merge of 32), or every ~8 (600
        // runs: merges of merges).
        for (limit, own_limit) in [(None, 20_000), (None, 2_000), (Some(10), 2_000), (Some(3_000), 20_000)] {
            let mut op = SortOp::new(keys.clone(), limit);
            op.sorter.bytes.own_limit = Some(own_limit);
            let mut out = Vec::new();
            for ev in input.clone() {
                op.push(ev, &mut out).unwrap();
                assert!(op.sorter.held.len() <= 1_024, "{} rows held", op.sorter.held.len());
            }
            assert!(op.sorter.runs.len() < 2 * FAN_IN, "{} runs", op.sorter.runs.len());
            op.finish(&mut out).unwrap();
            assert_eq!(ids(&out), expected(&input, &keys, limit), "limit {limit:?}, {own_limit} bytes");
            // Whole rows come back, fields in order.
            let i: usize = ids(&out)[0].parse().unwrap();
            assert_eq!(out[0], input[i]);
        }
        // Ties across runs keep input order: sort on `g` alone.
        let keys = vec![key("g", false)];
        let mut op = SortOp::new(keys.clone(), None);
        op.sorter.bytes.own_limit = Some(20_000);
        assert_eq!(ids(&run_op(&mut op, input.clone())), expected(&input, &keys, None));
    }

    #[test]
    fn sort_with_a_limit_holds_at_most_twice_it() {
        let keys = vec![key("i", true)];
        let mut op = SortOp::new(keys.clone(), Some(1_500));
        let mut out = Vec::new();
        for ev in rows(20_000) {
            op.push(ev, &mut out).unwrap();
            assert!(op.sorter.held.len() <= 3_000);
        }
        assert!(op.sorter.runs.is_empty());
        let mut out = Vec::new();
        op.finish(&mut out).unwrap();
        assert_eq!(ids(&out), (18_500..20_000).rev().map(|i| i.to_string()).collect::<Vec<_>>());
        // Rows past the first N's last are not even held: ascending over ascending input, the
        // first N rows are all it ever holds.
        let mut op = SortOp::new(vec![key("i", false)], Some(1_500));
        for ev in rows(20_000) {
            op.push(ev, &mut out).unwrap();
            assert!(op.sorter.held.len() <= 3_000);
        }
        assert_eq!(op.sorter.held.len(), 1_500);
    }

    #[test]
    fn rows_with_the_keys_of_the_nth_come_after_it_and_are_dropped() {
        // Keys 0..10 repeated: `sort 25 k` keeps the 5 of keys 0..4 (in input order) and the
        // first five of key 5.
        let input: Vec<Event> = (0..600)
            .map(|i| {
                let mut ev = row(i, None);
                ev.set("k", (i % 10) as f64);
                ev
            })
            .collect();
        let keys = vec![key("k", false)];
        for own_limit in [None, Some(2_000)] {
            let mut op = SortOp::new(keys.clone(), Some(25));
            op.sorter.bytes.own_limit = own_limit;
            let out = run_op(&mut op, input.clone());
            assert_eq!(ids(&out), expected(&input, &keys, Some(25)), "{own_limit:?}");
        }
    }

    #[test]
    fn reverse_gives_the_rows_last_first_whether_or_not_it_spilled() {
        let input = rows(3_000);
        let want: Vec<String> = ids(&input).into_iter().rev().collect();
        for own_limit in [None, Some(10_000)] {
            let mut op = ReverseOp::default();
            op.bytes.own_limit = own_limit;
            let mut out = Vec::new();
            for ev in input.clone() {
                op.push(ev, &mut out).unwrap();
                assert!(own_limit.is_none() || op.held.len() <= 200, "{} rows held", op.held.len());
            }
            assert_eq!(own_limit.is_some(), !op.written.is_empty());
            op.finish(&mut out).unwrap();
            assert_eq!(ids(&out), want);
            assert_eq!(out[0], input[2_999]);
        }
    }
}
