//! Commands that combine the results with another pipeline: `join`, `append`, `appendcols`
//! (subsearches that run first, in `prepare`) and `appendpipe` (a sub-pipeline run over the
//! current results at the end).

use std::collections::HashSet;

use crate::event::Event;
use crate::exec::{self, ExecError, Flow, Operator, Pipeline, Runtime};
use crate::packed::{Packed, Packer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    /// `left` and `outer` are the same in Splunk: unmatched main rows are kept.
    Left,
}

/// A subsearch whose rows an operator needs before the main pass: run by `prepare`, or handed
/// over after a pack ran all its subsearches together (`Operator::give_subsearch_rows`).
pub struct Subsearch {
    /// Its `max_rows` is Splunk's subsearch output limit for the command: a pass stops it there.
    pub pipeline: Pipeline,
    given: bool,
}

impl Subsearch {
    pub fn new(mut pipeline: Pipeline, maxout: usize) -> Self {
        pipeline.max_rows = Some(maxout);
        Subsearch { pipeline, given: false }
    }

    /// Run it, unless its rows were already given (then `None`).
    pub fn run(&mut self, rt: &Runtime<'_>) -> Result<Option<Vec<Event>>, ExecError> {
        if self.given {
            return Ok(None);
        }
        Ok(Some(rt.collect(&mut self.pipeline)?))
    }

    /// `run`, handing each row to `f` as it is made instead of gathering them (`false`: the
    /// rows were already given).
    pub fn run_each(
        &mut self,
        rt: &Runtime<'_>,
        f: &mut dyn FnMut(Event) -> Result<(), ExecError>,
    ) -> Result<bool, ExecError> {
        if self.given {
            return Ok(false);
        }
        rt.run(&mut self.pipeline, &mut |row| f(row).map(|()| Flow::Continue))?;
        Ok(true)
    }

    pub fn pending_mut(&mut self) -> Vec<&mut Pipeline> {
        if self.given {
            Vec::new()
        } else {
            vec![&mut self.pipeline]
        }
    }

    /// The rows given for it (one pipeline's worth).
    pub fn accept_packed(&mut self, rows: Vec<Vec<Packed>>) -> Vec<Packed> {
        self.given = true;
        let mut rows = rows.into_iter().next().unwrap_or_default();
        rows.truncate(self.pipeline.max_rows.unwrap_or(usize::MAX));
        rows
    }

    /// `accept_packed`, the rows as the pass kept them.
    pub fn accept_kept(&mut self, rows: Vec<crate::spill::Kept>) -> crate::spill::Kept {
        self.given = true;
        let mut rows = rows.into_iter().next().unwrap_or_default();
        rows.truncate(self.pipeline.max_rows.unwrap_or(usize::MAX));
        rows
    }

    /// `accept_packed`, as events.
    pub fn accept(&mut self, rows: Vec<Vec<Packed>>) -> Vec<Event> {
        self.accept_packed(rows).iter().map(Packed::unpack).collect()
    }
}

/// `join [type=] [max=] [overwrite=] f1, f2 [subsearch]`.
pub struct JoinOp {
    pub fields: Vec<String>,
    pub kind: JoinType,
    /// Right rows used per main row; 0 = all.
    pub max: usize,
    pub overwrite: bool,
    pub maxout: usize,
    pub sub: Subsearch,
    /// The right side, once the subsearch ran or its rows were given.
    side: Option<std::sync::Arc<JoinSide>>,
}

/// A join's right-hand rows and their index, shared with the copy of the join pushed below an
/// aggregation (`pushdown`) rather than copied.
#[derive(Debug, Default)]
pub struct JoinSide {
    /// Packed: a pack's joins keep up to `maxout` (50,000) rows each through the main pass.
    /// Empty when they went to the spill file.
    rows: Vec<Packed>,
    /// The rows, when big enough to spill: only those a key matches are read back.
    spilled: Option<crate::spill::RowFile>,
    /// The join fields `index` was built for.
    fields: Vec<String>,
    /// Per right row with a key (when join fields are listed), the hash of its key text and
    /// its index, sorted: only hashes are kept (a 50,000-row side's keys as strings took
    /// ~8 MB, a hash map of them ~2 MB); a hit is checked on the row.
    index: Vec<(u64, u32)>,
    hasher: ahash::RandomState,
    /// Every field name seen in the right rows (joins without a field list only).
    right_fields: HashSet<String>,
}

/// A join key's hash; 0xFF never occurs in UTF-8, so it separates the parts unambiguously.
fn key_hash(hasher: &ahash::RandomState, parts: &[String]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = hasher.build_hasher();
    for p in parts {
        h.write(p.as_bytes());
        h.write_u8(0xFF);
    }
    h.finish()
}

impl JoinSide {
    fn len(&self) -> usize {
        self.spilled.as_ref().map_or(self.rows.len(), crate::spill::RowFile::len)
    }

    fn row(&self, i: usize) -> Result<Option<std::borrow::Cow<'_, Packed>>, ExecError> {
        match &self.spilled {
            Some(file) => Ok(file.get(i)?.map(std::borrow::Cow::Owned)),
            None => Ok(self.rows.get(i).map(std::borrow::Cow::Borrowed)),
        }
    }

    fn all_rows(&self) -> Result<Vec<Packed>, ExecError> {
        match &self.spilled {
            Some(file) => (0..file.len()).filter_map(|i| file.get(i).transpose()).collect(),
            None => Ok(self.rows.clone()),
        }
    }
}

impl JoinOp {
    pub fn new(
        fields: Vec<String>,
        kind: JoinType,
        max: usize,
        overwrite: bool,
        maxout: usize,
        sub: Pipeline,
    ) -> JoinOp {
        JoinOp { fields, kind, max, overwrite, maxout, sub: Subsearch::new(sub, maxout), side: None }
    }

    /// Set the right-hand rows (what `prepare` does after running the subsearch).
    pub fn set_right(&mut self, rows: Vec<Event>) {
        let mut packer = Packer::default();
        self.set_right_packed(rows.iter().take(self.maxout).map(|r| packer.pack(r)).collect());
    }

    fn set_right_packed(&mut self, mut rows: Vec<Packed>) {
        rows.truncate(self.maxout);
        let hasher = ahash::RandomState::new();
        let mut right_fields = HashSet::new();
        let mut index = Vec::new();
        if self.fields.is_empty() {
            right_fields = rows.iter().flat_map(|r| r.names().iter().map(|k| k.to_string())).collect();
        } else {
            for (i, r) in rows.iter().enumerate() {
                self.index_row(&hasher, &mut index, i, r);
            }
        }
        let mut spilled = None;
        // Rows found by key can wait on disk; a join on every common field scans them all.
        if !self.fields.is_empty() && crate::spill::worth_spilling(rows.iter().map(Packed::heap_bytes).sum()) {
            // Should the file fail, the rows simply stay in memory.
            if let Ok(file) = crate::spill::RowFile::write(&rows) {
                spilled = Some(file);
                rows = Vec::new();
            }
        }
        self.set_side(rows, spilled, index, hasher, right_fields);
    }

    /// The right side from rows the pass kept: when they are in the spill file and found by
    /// key, they stay there and only their keys are read.
    fn set_right_kept(&mut self, mut rows: crate::spill::Kept) -> Result<(), ExecError> {
        rows.truncate(self.maxout);
        match rows {
            crate::spill::Kept::File(file) if !self.fields.is_empty() => {
                let hasher = ahash::RandomState::new();
                let (mut index, mut i) = (Vec::new(), 0);
                file.for_each(&mut |r| {
                    self.index_row(&hasher, &mut index, i, &r);
                    i += 1;
                    Ok(Flow::Continue)
                })?;
                self.set_side(Vec::new(), Some(file), index, hasher, HashSet::new());
            }
            rows => self.set_right_packed(rows.into_rows()?),
        }
        Ok(())
    }

    /// Add row `i`'s key hash to `index` (maxout, at most 50,000 by default and bounded by
    /// limits.conf, fits a u32).
    fn index_row(&self, hasher: &ahash::RandomState, index: &mut Vec<(u64, u32)>, i: usize, r: &Packed) {
        if let (Some(k), Ok(i)) = (packed_key(r, &self.fields), u32::try_from(i)) {
            index.push((key_hash(hasher, &k), i));
        }
    }

    fn set_side(
        &mut self,
        rows: Vec<Packed>,
        spilled: Option<crate::spill::RowFile>,
        mut index: Vec<(u64, u32)>,
        hasher: ahash::RandomState,
        right_fields: HashSet<String>,
    ) {
        // By hash, then row: the rows of a key stay in their order (`max=1` takes the first).
        index.sort_unstable();
        index.shrink_to_fit();
        self.side = Some(std::sync::Arc::new(JoinSide {
            rows,
            spilled,
            fields: self.fields.clone(),
            index,
            hasher,
            right_fields,
        }));
    }

    fn merge(&self, left: &Event, right: &Packed) -> Event {
        let mut ev = left.clone();
        for (k, v) in right.fields() {
            if self.overwrite || ev.get(k).is_none() {
                ev.set(k.clone(), v);
            }
        }
        ev
    }
}

/// The values of `fields` as exact text; `None` when one is missing (no match).
fn key(ev: &Event, fields: &[String]) -> Option<Vec<String>> {
    fields.iter().map(|f| ev.get(f).map(|v| v.as_str().into_owned())).collect()
}

/// `key` of a packed row.
fn packed_key(row: &Packed, fields: &[String]) -> Option<Vec<String>> {
    fields.iter().map(|f| row.get(f).map(|v| v.as_str().into_owned())).collect()
}

impl Operator for JoinOp {
    fn name(&self) -> &str {
        "join"
    }
    fn describe(&self) -> String {
        format!(
            "join type={} max={} on {} (right side at most {} rows)",
            if self.kind == JoinType::Inner { "inner" } else { "left" },
            self.max,
            if self.fields.is_empty() { "all common fields".to_string() } else { self.fields.join(", ") },
            self.maxout
        )
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        if let Some(rows) = self.sub.run(rt)? {
            self.set_right(rows);
        }
        Ok(())
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.sub.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        let rows = self.sub.accept_packed(rows);
        self.set_right_packed(rows);
        Ok(())
    }
    fn give_subsearch_kept(&mut self, rows: Vec<crate::spill::Kept>) -> Result<(), ExecError> {
        let rows = self.sub.accept_kept(rows);
        self.set_right_kept(rows)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let limit = if self.max == 0 { usize::MAX } else { self.max };
        let mut matched = 0;
        let empty = JoinSide::default();
        let side = self.side.as_deref().unwrap_or(&empty);
        if self.fields.is_empty() {
            // No field list: join on every field both sides have.
            let common: Vec<String> =
                ev.fields.keys().filter(|k| side.right_fields.contains(k.as_str())).map(|k| k.to_string()).collect();
            if !common.is_empty() {
                let lk = key(&ev, &common);
                for r in &side.rows {
                    if matched >= limit {
                        break;
                    }
                    if lk.is_some() && packed_key(r, &common) == lk {
                        out.push(self.merge(&ev, r));
                        matched += 1;
                    }
                }
            }
        } else if let Some(k) = key(&ev, &self.fields) {
            let h = key_hash(&side.hasher, &k);
            let from = side.index.partition_point(|&(x, _)| x < h);
            let slots = side.index.get(from..).unwrap_or_default().iter().take_while(|&&(x, _)| x == h);
            for &(_, i) in slots {
                if matched >= limit {
                    break;
                }
                match side.row(i as usize)? {
                    // Another key with the same hash.
                    Some(r) if packed_key(&r, &self.fields).as_ref() == Some(&k) => {
                        out.push(self.merge(&ev, &r));
                        matched += 1;
                    }
                    _ => {}
                }
            }
        }
        if matched == 0 && self.kind == JoinType::Left {
            out.push(ev);
        }
        Ok(())
    }
    fn emits_nothing(&self) -> bool {
        self.kind == JoinType::Inner && self.side.as_ref().is_some_and(|s| s.len() == 0)
    }
    fn join_side(&self) -> Option<std::sync::Arc<JoinSide>> {
        // Only once the subsearch has run (or been given): a pending one has no rows yet.
        self.side.clone().filter(|_| self.kind == JoinType::Inner)
    }
    fn set_join_side(&mut self, side: std::sync::Arc<JoinSide>) -> bool {
        if side.fields == self.fields {
            self.side = Some(side);
        } else {
            match side.all_rows() {
                Ok(rows) => self.set_right_packed(rows),
                Err(_) => return false,
            }
        }
        true
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        vec![("subsearch", &self.sub.pipeline)]
    }
}

/// `append [subsearch]`: the subsearch's rows (at most `maxout`) after the main rows.
pub struct AppendOp {
    pub maxout: usize,
    pub sub: Subsearch,
    rows: Vec<Event>,
}

impl AppendOp {
    pub fn new(maxout: usize, sub: Pipeline) -> AppendOp {
        AppendOp { maxout, sub: Subsearch::new(sub, maxout), rows: Vec::new() }
    }
}

impl Operator for AppendOp {
    fn name(&self) -> &str {
        "append"
    }
    fn describe(&self) -> String {
        format!("append (subsearch rows after the results, at most {})", self.maxout)
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        if let Some(rows) = self.sub.run(rt)? {
            self.rows = rows;
        }
        Ok(())
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.sub.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        self.rows = self.sub.accept(rows);
        Ok(())
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.push(ev);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.append(&mut self.rows);
        Ok(())
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        vec![("subsearch", &self.sub.pipeline)]
    }
}

/// `appendcols [override=f] [subsearch]`: the n-th subsearch row's fields are added to the n-th
/// result row (existing fields kept unless `override=true`); extra subsearch rows follow.
pub struct AppendcolsOp {
    pub maxout: usize,
    pub overwrite: bool,
    pub sub: Subsearch,
    rows: std::collections::VecDeque<Event>,
}

impl AppendcolsOp {
    pub fn new(maxout: usize, overwrite: bool, sub: Pipeline) -> AppendcolsOp {
        AppendcolsOp { maxout, overwrite, sub: Subsearch::new(sub, maxout), rows: Default::default() }
    }
}

impl Operator for AppendcolsOp {
    fn name(&self) -> &str {
        "appendcols"
    }
    fn describe(&self) -> String {
        format!("appendcols override={} (subsearch columns beside the results)", self.overwrite)
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        if let Some(rows) = self.sub.run(rt)? {
            self.rows = rows.into();
        }
        Ok(())
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.sub.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        self.rows = self.sub.accept(rows).into();
        Ok(())
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(r) = self.rows.pop_front() {
            for (k, v) in r.fields {
                if self.overwrite || ev.get(&k).is_none() {
                    ev.set(k, v);
                }
            }
        }
        out.push(ev);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.extend(self.rows.drain(..));
        Ok(())
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        vec![("subsearch", &self.sub.pipeline)]
    }
}

/// `appendpipe [subpipeline]`: pass the results on, and at the end run the sub-pipeline over
/// them (it reads no events) and append its output.
pub struct AppendpipeOp {
    pub sub: Pipeline,
    /// Rows above which we refuse to buffer (memory guard).
    pub max_rows: usize,
    rows: Vec<Event>,
}

impl AppendpipeOp {
    pub fn new(sub: Pipeline, max_rows: usize) -> AppendpipeOp {
        AppendpipeOp { sub, max_rows, rows: Vec::new() }
    }
}

/// Run planned operators over `rows` directly (no source scan) and collect what they emit.
pub fn run_over(ops: &mut [Box<dyn Operator>], rows: Vec<Event>) -> Result<Vec<Event>, ExecError> {
    let mut out = Vec::new();
    let mut sink = |e: Event| {
        out.push(e);
        Ok(Flow::Continue)
    };
    let mut stopped = false;
    for ev in rows {
        if ops.is_empty() {
            sink(ev)?;
            continue;
        }
        if exec::feed(ops, 0, ev, &mut sink)? == Flow::Stop {
            stopped = true;
            break;
        }
    }
    if !stopped {
        exec::finish(ops, &mut sink)?;
    }
    Ok(out)
}

impl Operator for AppendpipeOp {
    fn name(&self) -> &str {
        "appendpipe"
    }
    fn describe(&self) -> String {
        "appendpipe (sub-pipeline over the current results, output appended)".into()
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        for op in self.sub.ops.iter_mut() {
            op.prepare(rt)?;
        }
        Ok(())
    }
    /// Its commands' subsearches (a `map`'s gathering search): a pack runs them in its one
    /// subsearch pass rather than each in a scan of its own.
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.sub.ops.iter_mut().flat_map(|op| op.subsearches_mut()).collect()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        self.give_subsearch_kept(rows.into_iter().map(crate::spill::Kept::Mem).collect())
    }
    fn give_subsearch_kept(&mut self, rows: Vec<crate::spill::Kept>) -> Result<(), ExecError> {
        let mut rows = rows.into_iter();
        for op in self.sub.ops.iter_mut() {
            let n = op.subsearches_mut().len();
            if n > 0 {
                op.give_subsearch_kept(rows.by_ref().take(n).collect())?;
            }
        }
        Ok(())
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.rows.len() >= self.max_rows {
            return Err(ExecError::new(format!("appendpipe: more than {} rows to buffer", self.max_rows)));
        }
        self.rows.push(ev.clone());
        out.push(ev);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        out.extend(run_over(&mut self.sub.ops, rows)?);
        Ok(())
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        vec![("subpipeline", &self.sub)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op as push_all;
    use crate::exec::{Context, VecSource};

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    fn empty() -> Pipeline {
        Pipeline { ops: Vec::new(), reads_events: false, max_rows: None, text: None }
    }

    fn join(fields: &[&str], kind: JoinType, max: usize, right: Vec<Event>) -> JoinOp {
        let mut j = JoinOp::new(fields.iter().map(|s| s.to_string()).collect(), kind, max, true, 50_000, empty());
        j.set_right(right);
        j
    }

    #[test]
    fn join_inner_drops_unmatched_and_max1_takes_first_right_row() {
        let mut j =
            join(&["g"], JoinType::Inner, 1, vec![ev(&[("g", "a"), ("x", "1")]), ev(&[("g", "a"), ("x", "2")])]);
        let out = push_all(&mut j, vec![ev(&[("g", "a")]), ev(&[("g", "b")])]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].get_str("x").as_deref(), Some("1"));
    }

    #[test]
    fn a_join_key_hash_hit_is_checked_on_the_row() {
        let mut j =
            join(&["g"], JoinType::Inner, 0, vec![ev(&[("g", "a"), ("x", "1")]), ev(&[("g", "b"), ("x", "2")])]);
        // Make "c" collide with both rows' hashes: neither row's key is "c".
        let side = j.side.as_mut().and_then(std::sync::Arc::get_mut).unwrap();
        let h = key_hash(&side.hasher, &["c".to_string()]);
        side.index.extend([(h, 0), (h, 1)]);
        side.index.sort_unstable();
        assert!(push_all(&mut j, vec![ev(&[("g", "c")])]).is_empty());
        assert_eq!(push_all(&mut j, vec![ev(&[("g", "b")])]).len(), 1);
    }

    /// 3,000 right rows over 1,000 keys, 1,200 left rows (200 without a match), what a left
    /// join of them in memory gives, and the right rows packed.
    fn spill_fixture() -> (Vec<Event>, Vec<Event>, Vec<Event>, Vec<Packed>) {
        let right: Vec<Event> =
            (0..3_000).map(|i| ev(&[("g", &format!("k{}", i % 1_000)), ("x", &i.to_string())])).collect();
        let left: Vec<Event> = (0..1_200).map(|i| ev(&[("g", &format!("k{i}"))])).collect();
        let mut mem = join(&["g"], JoinType::Left, 0, right.clone());
        let want = push_all(&mut mem, left.clone());
        let mut packer = Packer::default();
        let rows: Vec<Packed> = right.iter().map(|r| packer.pack(r)).collect();
        (right, left, want, rows)
    }

    #[test]
    fn a_spilled_join_side_gives_the_rows_of_one_in_memory() {
        let (_, left, want, rows) = spill_fixture();
        let mut j = join(&["g"], JoinType::Left, 0, Vec::new());
        let file = crate::spill::RowFile::write(&rows).unwrap();
        j.set_right_packed(rows);
        let side = j.side.as_mut().and_then(std::sync::Arc::get_mut).unwrap();
        side.rows = Vec::new();
        side.spilled = Some(file);
        assert_eq!(push_all(&mut j, left), want);
        assert_eq!(want.len(), 3_000 + 200);
    }

    #[test]
    fn a_join_given_rows_in_the_spill_file_reads_only_their_keys_and_joins_as_in_memory() {
        let (right, left, want, rows) = spill_fixture();
        for max in [0, 1] {
            let mut j = join(&["g"], JoinType::Left, max, Vec::new());
            j.maxout = 2_500;
            let file = crate::spill::RowFile::write(&rows).unwrap();
            j.set_right_kept(crate::spill::Kept::File(file)).unwrap();
            assert!(j.side.as_ref().is_some_and(|s| s.spilled.is_some() && s.rows.is_empty() && s.len() == 2_500));
            let got = push_all(&mut j, left.clone());
            // Rows past maxout (2,500 of 3,000) are not joined; max=1 takes each key's first.
            let mut m = join(&["g"], JoinType::Left, max, right.get(..2_500).unwrap().to_vec());
            assert_eq!(got, push_all(&mut m, left.clone()));
            if max == 0 {
                assert_eq!(got.len(), want.len() - 500);
            }
        }
    }

    #[test]
    fn join_max0_gives_one_row_per_match() {
        let mut j =
            join(&["g"], JoinType::Inner, 0, vec![ev(&[("g", "a"), ("x", "1")]), ev(&[("g", "a"), ("x", "2")])]);
        assert_eq!(push_all(&mut j, vec![ev(&[("g", "a")])]).len(), 2);
    }

    #[test]
    fn join_left_keeps_unmatched_rows_and_right_fields_overwrite() {
        let mut j = join(&["g"], JoinType::Left, 1, vec![ev(&[("g", "a"), ("x", "right")])]);
        let out = push_all(&mut j, vec![ev(&[("g", "a"), ("x", "left")]), ev(&[("g", "b")])]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].get_str("x").as_deref(), Some("right"));
        assert!(out[1].get("x").is_none());
    }

    #[test]
    fn join_is_case_sensitive_and_missing_field_never_matches() {
        let mut j = join(&["g"], JoinType::Inner, 1, vec![ev(&[("g", "A")])]);
        assert!(push_all(&mut j, vec![ev(&[("g", "a")]), ev(&[("h", "A")])]).is_empty());
    }

    #[test]
    fn join_without_fields_uses_common_fields() {
        let mut j = join(&[], JoinType::Inner, 1, vec![ev(&[("g", "a"), ("h", "1"), ("x", "y")])]);
        let out = push_all(&mut j, vec![ev(&[("g", "a"), ("h", "1")]), ev(&[("g", "a"), ("h", "2")])]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].get_str("x").as_deref(), Some("y"));
    }

    #[test]
    fn join_right_side_limited_to_maxout() {
        let mut j = JoinOp::new(vec!["g".into()], JoinType::Inner, 0, true, 1, empty());
        j.set_right(vec![ev(&[("g", "a")]), ev(&[("g", "a")])]);
        assert_eq!(push_all(&mut j, vec![ev(&[("g", "a")])]).len(), 1);
    }

    #[test]
    fn append_adds_subsearch_rows_after_results() {
        let ctx = Context::new(Default::default(), 0.0);
        let src = VecSource(vec![ev(&[("a", "1")]), ev(&[("a", "2")])]);
        let rt = Runtime { source: &src, ctx: &ctx };
        let sub = Pipeline { ops: Vec::new(), reads_events: true, max_rows: None, text: None };
        let mut a = AppendOp::new(1, sub);
        a.prepare(&rt).unwrap();
        let out = push_all(&mut a, vec![ev(&[("m", "x")])]);
        assert_eq!(out.len(), 2, "maxout=1 keeps one subsearch row");
        assert_eq!(out[1].get_str("a").as_deref(), Some("1"));
    }

    #[test]
    fn appendcols_adds_fields_row_by_row_without_overriding() {
        let mut a = AppendcolsOp::new(100, false, empty());
        a.rows = vec![ev(&[("c", "1"), ("m", "sub")]), ev(&[("c", "2")]), ev(&[("c", "3")])].into();
        let out = push_all(&mut a, vec![ev(&[("m", "main")]), ev(&[("m", "x")])]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].get_str("m").as_deref(), Some("main"));
        assert_eq!(out[0].get_str("c").as_deref(), Some("1"));
    }

    #[test]
    fn appendpipe_runs_subpipeline_over_current_results() {
        let head = Box::new(crate::ops::rows::HeadOp { limit: 1, seen: 0 });
        let mut a =
            AppendpipeOp::new(Pipeline { ops: vec![head], reads_events: false, max_rows: None, text: None }, 1000);
        let out = push_all(&mut a, vec![ev(&[("a", "1")]), ev(&[("a", "2")])]);
        let vals: Vec<String> = out.iter().map(|e| e.get_str("a").unwrap().into_owned()).collect();
        assert_eq!(vals, vec!["1", "2", "1"]);
    }
}
