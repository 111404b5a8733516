//! Grouped aggregation shared by `stats`, `tstats`, `eventstats` and `streamstats`.
//!
//! Splunk rules: `by` splits multivalue by-fields into one group per value; a row whose
//! by-field is missing is dropped (tstats with `fillnull_value` keeps it under that string);
//! output rows are sorted by the by-values; with no `by` and no input, one row comes out
//! (count=0).

pub mod aggs;
pub mod sparkline;

use std::borrow::Cow;

use indexmap::map::raw_entry_v1::{RawEntryApiV1, RawEntryMut};

use spl_parser::Expr;

use crate::eval::interp::Interp;
use crate::eval::{EvalValue, FnContext};
use crate::event::Event;
use crate::exec::{ExecError, Flow};
use crate::value::Value;
pub use aggs::{Acc, AggFunc};

/// One aggregation: function, what it reads, output name.
#[derive(Clone, Debug)]
pub struct AggSpec {
    pub func: AggFunc,
    pub input: AggInput,
    pub out: String,
}

#[derive(Clone, Debug)]
pub enum AggInput {
    /// Bare `count`: one per event.
    Events,
    Field(String),
    /// `count(eval(...))`: the expression's value per event (false counts as missing).
    Eval(Expr),
    /// `values(*) as *`, `latest(req.*) as *`: one aggregate per matching field, named by
    /// putting what `*` matched into the output template.
    Wild(crate::ops::fields::NamePattern),
}

impl AggSpec {
    pub fn value_of(&self, ev: &Event, fns: &FnContext) -> Result<Option<Value>, ExecError> {
        Ok(self.value_in(ev, fns)?.map(std::borrow::Cow::into_owned))
    }

    /// The aggregated value of one event, borrowed from it when it is a plain field.
    pub fn value_in<'e>(&self, ev: &'e Event, fns: &FnContext) -> Result<Option<Cow<'e, Value>>, ExecError> {
        Ok(match &self.input {
            AggInput::Events => Some(Cow::Owned(Value::num(1.0))),
            AggInput::Field(f) => ev.get(f).map(Cow::Borrowed),
            AggInput::Eval(e) => {
                match (Interp { ctx: fns }).eval(e, ev).map_err(|e| ExecError::at(e.message, e.span))? {
                    EvalValue::Null | EvalValue::Bool(false) => None,
                    EvalValue::Bool(true) => Some(Cow::Owned(Value::str("true"))),
                    EvalValue::Val(v) => Some(Cow::Owned(v)),
                }
            }
            AggInput::Wild(_) => None,
        })
    }
}

/// Per-group state: one accumulator per fixed aggregation, and per wildcard aggregation one per
/// output field seen.
#[derive(Clone, Debug)]
struct GroupState {
    fixed: Vec<Acc>,
    wild: Vec<indexmap::IndexMap<String, Acc>>,
}

/// A group's encoded key and state.
type Group = (Box<[u8]>, GroupState);

/// Groups by encoded key, in first-seen order.
type GroupMap = indexmap::IndexMap<Box<[u8]>, GroupState, ahash::RandomState>;

/// Held groups handed to a merge, by key once sorted.
type HeldGroups = indexmap::map::IntoIter<Box<[u8]>, GroupState>;

/// Groups and their accumulators.
pub struct Grouper {
    pub by: Vec<String>,
    /// `by`, looked up through index hints: each event's by-values are read per aggregation.
    by_refs: Vec<crate::event::FieldRef>,
    /// tstats `fillnull_value`: missing by-fields take this string instead of dropping the row.
    pub fill: Option<String>,
    pub aggs: Vec<AggSpec>,
    /// Groups in first-seen order (stable output among equal keys), keyed by the by-values in
    /// one allocation (`encode_key`): a hunting search over a big input keeps a group per
    /// process, and a `Vec<String>` key cost an allocation per by-field.
    groups: GroupMap,
    /// Filters of the commands after this aggregation that depend on by-values alone: groups
    /// they would drop are never made (see `pushdown`).
    pub gate: Option<crate::pushdown::Gate>,
    /// Only the groups with this many smallest keys can reach the output (the pipeline keeps
    /// its first rows only, and rows come out in key order): a join subsearch over every
    /// process needs 50,000 groups, not one per process.
    pub keep_smallest: Option<usize>,
    /// Keys at or above this cannot be among the smallest `keep_smallest` (that many smaller
    /// ones are held).
    bound: Option<Box<[u8]>>,
    /// Groups may go to spill files past the run's memory budget (`stats`, `tstats`; not
    /// `eventstats`, which looks groups up by key).
    pub spillable: bool,
    /// What the groups hold, counted in the run's budget.
    pub held: crate::spill::Held,
    /// Runs of groups written out, each sorted by key, oldest first, with its level (how many
    /// merges made it; see `write_run`).
    runs: Vec<(u32, crate::spill::RunReader)>,
    /// Where `add` encodes an event's keys, and where each ends (reused: most events fall into
    /// a group that exists, and need no allocation).
    key_buf: Vec<u8>,
    key_ends: Vec<(usize, usize)>,
    /// `None` without a sparkline; else the earliest and latest `_time` of the events grouped
    /// so far, its time axis (kept here, not in the groups: spilled runs need no share of it).
    times: Option<Option<(f64, f64)>>,
    /// Each aggregation's sparkline axis, made when the rows are.
    axes: Vec<Option<sparkline::Axis>>,
}

/// What a group costs besides its key and accumulators: its map entry and state vectors.
const GROUP_COST: usize = 96;

/// Runs of one level merged into one of the next.
const FAN_IN: usize = 8;

impl Grouper {
    pub fn new(by: Vec<String>, fill: Option<String>, aggs: Vec<AggSpec>) -> Self {
        let sparkline = aggs.iter().any(|a| matches!(a.func, AggFunc::Sparkline(_)));
        Grouper {
            times: sparkline.then_some(None),
            axes: Vec::new(),
            by_refs: by.iter().map(|b| b.as_str().into()).collect(),
            by,
            fill,
            aggs,
            groups: Default::default(),
            gate: None,
            keep_smallest: None,
            bound: None,
            spillable: false,
            held: Default::default(),
            runs: Vec::new(),
            key_buf: Vec::new(),
            key_ends: Vec::new(),
        }
    }

    /// Groups may spill past the run's memory budget (the grouper is only read by `rows`).
    pub fn spilling(mut self) -> Self {
        self.spillable = true;
        self
    }

    /// The group keys an event falls into (several when a by-field is multivalue).
    pub fn keys_of(&self, ev: &Event) -> Vec<Vec<String>> {
        key_parts(&self.by_refs, self.fill.as_deref(), ev)
            .into_iter()
            .map(|k| k.into_iter().map(Cow::into_owned).collect())
            .collect()
    }

    pub fn add(&mut self, ev: &Event, fns: &FnContext) -> Result<(), ExecError> {
        // Keys are encoded into one reused buffer and copied only for a new group.
        let (mut keys, mut ends) = (std::mem::take(&mut self.key_buf), std::mem::take(&mut self.key_ends));
        keys.clear();
        ends.clear();
        encode_event_keys(&self.by_refs, self.fill.as_deref(), ev, &mut keys, &mut ends);
        // Before the bound and the gate: what later commands keep must not move the axis.
        if let (Some(times), false) = (&mut self.times, ends.is_empty()) {
            if let Some(t) = ev.time().filter(|t| t.is_finite()) {
                *times = Some(times.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
            }
        }
        // The bound first: a byte comparison, where the gate may run its probe.
        if let Some(bound) = self.bound.as_deref() {
            ends.retain(|&(from, to)| keys.get(from..to).is_some_and(|key| key < bound));
        }
        if let Some(gate) = &mut self.gate {
            let by = &self.by;
            ends.retain(|&(from, to)| gate.admits_key(by, keys.get(from..to).unwrap_or_default(), &restore_number));
        }
        if ends.is_empty() {
            (self.key_buf, self.key_ends) = (keys, ends);
            return Ok(());
        }
        let time = ev.time();
        let mut vals = Vec::with_capacity(self.aggs.len());
        for a in &self.aggs {
            vals.push(a.value_in(ev, fns)?);
        }
        // Wildcard aggregations: (spec index, output name, value) for every matching field;
        // by-fields and internal fields are not aggregated.
        let mut wild_vals: Vec<(usize, String, Value)> = Vec::new();
        for (i, a) in self.aggs.iter().enumerate() {
            if let AggInput::Wild(p) = &a.input {
                for (name, v) in &ev.fields {
                    if name.starts_with('_') || self.by.iter().any(|b| b == name) {
                        continue;
                    }
                    if let Some(cap) = p.capture(name) {
                        wild_vals.push((i, a.out.replacen('*', cap, 1), v.clone()));
                    }
                }
            }
        }
        let any_wild = self.aggs.iter().any(|a| matches!(a.input, AggInput::Wild(_)));
        let mut grew = 0;
        for &(from, to) in &ends {
            let aggs = &self.aggs;
            let key = keys.get(from..to).unwrap_or_default();
            // Hashed once whether the group is found or made (keys are hundreds of bytes).
            let hash = self.groups.hasher().hash_one(key);
            let state = match self.groups.raw_entry_mut_v1().from_key_hashed_nocheck(hash, key) {
                RawEntryMut::Occupied(o) => o.into_mut(),
                RawEntryMut::Vacant(v) => {
                    grew += key.len() + GROUP_COST + aggs.len() * std::mem::size_of::<Acc>();
                    let fresh = GroupState {
                        fixed: aggs.iter().map(|a| Acc::new(&a.func)).collect(),
                        // Only wildcard aggregations use these: no allocation per group otherwise.
                        wild: if any_wild {
                            aggs.iter().map(|_| indexmap::IndexMap::new()).collect()
                        } else {
                            Vec::new()
                        },
                    };
                    v.insert_hashed_nocheck(hash, key.into(), fresh).1
                }
            };
            for ((acc, v), spec) in state.fixed.iter_mut().zip(&vals).zip(&self.aggs) {
                if !matches!(spec.input, AggInput::Wild(_)) {
                    grew += acc.add(v.as_deref(), time);
                }
            }
            for (i, out, v) in &wild_vals {
                let (Some(spec), Some(m)) = (self.aggs.get(*i), state.wild.get_mut(*i)) else { continue };
                let func = &spec.func;
                let acc = m.entry(out.clone()).or_insert_with(|| {
                    grew += out.len() + GROUP_COST + std::mem::size_of::<Acc>();
                    Acc::new(func)
                });
                grew += acc.add(Some(v), time);
            }
        }
        (self.key_buf, self.key_ends) = (keys, ends);
        self.bound_groups();
        if grew > 0 && self.held.grow(grew) && self.spillable {
            self.write_run()?;
        }
        Ok(())
    }

    /// Write the groups held to the spill file as a run sorted by key, and free them.
    fn write_run(&mut self) -> Result<(), ExecError> {
        // Sorted where they are: collecting them into a vector first held them twice.
        let mut groups = std::mem::take(&mut self.groups);
        groups.sort_unstable_keys();
        let mut w = crate::spill::RunWriter::new()?;
        let mut buf = Vec::new();
        for (key, state) in &groups {
            buf.clear();
            encode_group(key, state, &mut buf);
            w.record(&buf)?;
        }
        drop(groups);
        crate::spill::count_spill();
        self.runs.push((0, w.finish()?));
        self.held.clear();
        // Tiered merging, like an LSM tree: FAN_IN neighbouring runs of one level become one run
        // of the next, so a long input keeps a few runs and each byte is rewritten a few times.
        // Runs merged are adjacent, so the order events came in is kept.
        while let Some(tail) = self.runs.len().checked_sub(FAN_IN).and_then(|at| self.runs.get(at..)) {
            let Some(&(level, _)) = tail.first() else { break };
            if tail.iter().any(|(l, _)| *l != level) {
                break;
            }
            let at = self.runs.len() - FAN_IN;
            let merging: Vec<_> = self.runs.drain(at..).map(|(_, r)| r).collect();
            let mut merge = Merge::new(merging, GroupMap::default().into_iter(), &self.aggs)?;
            let mut w = crate::spill::RunWriter::new()?;
            while let Some((key, state)) = merge.next(&self.aggs)? {
                buf.clear();
                encode_group(&key, &state, &mut buf);
                w.record(&buf)?;
            }
            self.runs.push((level + 1, w.finish()?));
        }
        Ok(())
    }

    /// With `keep_smallest`, drop the groups that can no longer be among the smallest once
    /// there are twice as many as needed (amortised: one pass per that many new groups).
    fn bound_groups(&mut self) {
        let Some(n) = self.keep_smallest else { return };
        if self.groups.len() <= n + n.max(1024) {
            return;
        }
        let mut keys: Vec<&[u8]> = self.groups.keys().map(|k| k.as_ref()).collect();
        let (_, nth, _) = keys.select_nth_unstable(n);
        let cut: Box<[u8]> = (*nth).into();
        let before = self.groups.len();
        self.groups.retain(|k, _| k.as_ref() < cut.as_ref());
        self.bound = Some(cut);
        // Groups are alike in size: what is left holds its share of the bytes.
        let kept = self.held.bytes() / before.max(1) * self.groups.len();
        self.held.set(kept);
    }

    /// The aggregate fields of one group, by output name.
    pub fn values_of(&self, key: &[String]) -> Vec<(String, Option<Value>)> {
        self.groups.get(&encode_key(key)).map(|state| self.finish_state(state)).unwrap_or_default()
    }

    fn finish_state(&self, state: &GroupState) -> Vec<(String, Option<Value>)> {
        let mut out = Vec::new();
        for (i, (a, acc)) in self.aggs.iter().zip(&state.fixed).enumerate() {
            if matches!(a.input, AggInput::Wild(_)) {
                if let Some(m) = state.wild.get(i) {
                    out.extend(m.iter().map(|(name, acc)| (name.clone(), acc.finish())));
                }
            } else {
                out.push((a.out.clone(), acc.finish_on(self.axes.get(i).and_then(Option::as_ref))));
            }
        }
        out
    }

    /// For `explain`: the filters pushed below this aggregation.
    pub fn describe_gate(&self) -> String {
        match &self.gate {
            None => String::new(),
            Some(g) => {
                let names =
                    |ix: &[usize]| ix.iter().filter_map(|&i| self.by.get(i)).cloned().collect::<Vec<_>>().join(", ");
                let stages = g.stage_inputs();
                let staged = if stages.len() > 1 {
                    format!(
                        "; judged in stages, on {}",
                        stages.iter().map(|s| names(s)).collect::<Vec<_>>().join("; then on ")
                    )
                } else {
                    String::new()
                };
                format!(" [groups pass `{}` first, on {}{staged}]", g.text, names(&g.inputs()))
            }
        }
    }

    /// Final rows: by-fields then aggregates, sorted by the by-values.
    pub fn rows(&mut self) -> Vec<Event> {
        let mut out = Vec::with_capacity(self.groups.len().max(1));
        // Collecting never fails nor stops.
        let _ = self.rows_each(&mut |ev| {
            out.push(ev);
            Ok(Flow::Continue)
        });
        out
    }

    /// `rows`, handed out one at a time: each is built when taken and its group freed, and
    /// `emit` may stop them.
    pub fn rows_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        if let Some(times) = self.times {
            self.axes = self
                .aggs
                .iter()
                .map(|a| match (&a.func, times) {
                    (AggFunc::Sparkline(spec), Some(range)) => Some(sparkline::Axis::new(spec, range)),
                    _ => None,
                })
                .collect();
        }
        if self.by.is_empty() && self.groups.is_empty() && self.runs.is_empty() {
            let fresh = GroupState {
                fixed: self.aggs.iter().map(|a| Acc::new(&a.func)).collect(),
                wild: self.aggs.iter().map(|_| Default::default()).collect(),
            };
            self.groups.insert(encode_key::<&str>(&[]), fresh);
        }
        let mut groups = std::mem::take(&mut self.groups);
        // Encoded keys order as the by-value lists do, element by element, each by bytes: the
        // lexicographic by-value order of values(). Keys are distinct, so an unstable sort
        // gives that order too; in place, the groups are not held twice while they are sorted.
        groups.sort_unstable_keys();
        let result = if self.runs.is_empty() {
            let mut result = Ok(());
            for (key, state) in groups {
                match emit(self.row_of(&key, &state)) {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Stop) => break,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            result
        } else {
            // Spilled: the files and what is still held, merged by key, oldest first.
            let runs = std::mem::take(&mut self.runs).into_iter().map(|(_, r)| r).collect();
            let mut merge = Merge::new(runs, groups.into_iter(), &self.aggs)?;
            loop {
                let Some((key, state)) = merge.next(&self.aggs)? else { break Ok(()) };
                if emit(self.row_of(&key, &state))? == Flow::Stop {
                    break Ok(());
                }
            }
        };
        self.held.clear();
        result
    }

    /// A group's row: by-fields then aggregates.
    fn row_of(&self, key: &[u8], state: &GroupState) -> Event {
        let mut ev = Event::with_capacity(self.by.len() + state.fixed.len());
        for (f, v) in self.by.iter().zip(decode_key(key)) {
            // Names and values of up to 24 bytes are made inline: no allocation.
            ev.set(f.as_str(), restore_number(f, &v));
        }
        for (name, v) in self.finish_state(state) {
            if let Some(v) = v {
                ev.set(name, v);
            }
        }
        ev
    }
}

/// A group as a spill record: its key, each fixed accumulator, then the wildcard ones by name.
fn encode_group(key: &[u8], state: &GroupState, out: &mut Vec<u8>) {
    crate::packed::put_len(out, key.len());
    out.extend_from_slice(key);
    for acc in &state.fixed {
        acc.encode(out);
    }
    for m in &state.wild {
        crate::packed::put_len(out, m.len());
        for (name, acc) in m {
            crate::packed::put_len(out, name.len());
            out.extend_from_slice(name.as_bytes());
            acc.encode(out);
        }
    }
}

fn decode_group(rec: &[u8], aggs: &[AggSpec]) -> Option<Group> {
    let mut r = crate::packed::Reader::new(rec);
    let n = r.len()?;
    let key: Box<[u8]> = r.take(n)?.into();
    let mut fixed = Vec::with_capacity(aggs.len());
    for a in aggs {
        fixed.push(Acc::decode(&a.func, &mut r)?);
    }
    let mut wild = Vec::new();
    if !r.data.is_empty() {
        for a in aggs {
            let mut m = indexmap::IndexMap::new();
            for _ in 0..r.len()? {
                let name = r.string()?;
                m.insert(name, Acc::decode(&a.func, &mut r)?);
            }
            wild.push(m);
        }
    }
    Some((key, GroupState { fixed, wild }))
}

/// Fold a later partial state of the same group into an earlier one.
fn merge_state(into: &mut GroupState, later: GroupState, aggs: &[AggSpec]) {
    for (a, b) in into.fixed.iter_mut().zip(later.fixed) {
        a.merge(b);
    }
    for ((m, later), spec) in into.wild.iter_mut().zip(later.wild).zip(aggs) {
        for (name, acc) in later {
            m.entry(name).or_insert_with(|| Acc::new(&spec.func)).merge(acc);
        }
    }
}

/// Where merged groups come from: spill files, then the groups still held.
enum RunSource {
    File(crate::spill::RunReader),
    Held(HeldGroups),
}

impl RunSource {
    fn next(&mut self, aggs: &[AggSpec]) -> Result<Option<Group>, ExecError> {
        match self {
            RunSource::File(r) => match r.next_record()? {
                None => Ok(None),
                Some(rec) => decode_group(rec, aggs).map(Some).ok_or_else(crate::spill::corrupt),
            },
            RunSource::Held(it) => Ok(it.next()),
        }
    }
}

/// Sorted runs merged by key; a key's states fold in run order (the order events came in).
struct Merge {
    sources: Vec<RunSource>,
    heads: Vec<Option<Group>>,
}

impl Merge {
    fn new(runs: Vec<crate::spill::RunReader>, held: HeldGroups, aggs: &[AggSpec]) -> Result<Merge, ExecError> {
        let mut sources: Vec<RunSource> = runs.into_iter().map(RunSource::File).collect();
        sources.push(RunSource::Held(held));
        let mut heads = Vec::with_capacity(sources.len());
        for s in &mut sources {
            heads.push(s.next(aggs)?);
        }
        Ok(Merge { sources, heads })
    }

    fn next(&mut self, aggs: &[AggSpec]) -> Result<Option<Group>, ExecError> {
        // A handful of runs: a linear look for the smallest key is as cheap as a heap.
        let Some(min) = self.heads.iter().flatten().map(|(k, _)| k).min().cloned() else { return Ok(None) };
        let mut out: Option<GroupState> = None;
        for (head, source) in self.heads.iter_mut().zip(&mut self.sources) {
            if head.as_ref().is_some_and(|(k, _)| *k == min) {
                let next = source.next(aggs)?;
                if let Some((_, state)) = std::mem::replace(head, next) {
                    match &mut out {
                        None => out = Some(state),
                        Some(into) => merge_state(into, state, aggs),
                    }
                }
            }
        }
        Ok(out.map(|state| (min, state)))
    }
}

/// The by-values of the groups an event falls into (several when a by-field is multivalue),
/// borrowed from the event; none when a by-field is missing and there is no fill value.
fn key_parts<'e>(by: &[crate::event::FieldRef], fill: Option<&'e str>, ev: &'e Event) -> Vec<Vec<Cow<'e, str>>> {
    // Usual case: every by-field has one value (or is filled): one key, no combinations, one
    // look-up per field (a multivalue one sends us to the general case below).
    let mut key = Vec::with_capacity(by.len());
    for f in by {
        match (ev.get_ref(f), fill) {
            (Some(v), _) if v.atoms().len() == 1 => key.push(v.first().as_str()),
            (Some(_), _) => return key_combinations(by, fill, ev),
            (None, Some(fill)) => key.push(Cow::Borrowed(fill)),
            (None, None) => return Vec::new(),
        }
    }
    vec![key]
}

/// The encoded keys of the groups an event falls into, appended to `out`, each one's range in
/// `ends`: `key_parts` without building the lists in the usual case (one value per by-field).
fn encode_event_keys(
    by: &[crate::event::FieldRef],
    fill: Option<&str>,
    ev: &Event,
    out: &mut Vec<u8>,
    ends: &mut Vec<(usize, usize)>,
) {
    let from = out.len();
    for f in by {
        match (ev.get_ref(f), fill) {
            (Some(v), _) if v.atoms().len() == 1 => encode_key_into([v.first().as_str()], out),
            (Some(_), _) => {
                out.truncate(from);
                for k in key_combinations(by, fill, ev) {
                    let start = out.len();
                    encode_key_into(&k, out);
                    ends.push((start, out.len()));
                }
                return;
            }
            (None, Some(fill)) => encode_key_into([fill], out),
            (None, None) => {
                out.truncate(from);
                return;
            }
        }
    }
    ends.push((from, out.len()));
}

/// Where each by-value of an encoded key lies in it (its escaped bytes, without the end mark),
/// into `out`.
pub(crate) fn key_part_ranges(key: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    out.extend(key_part_bounds(key));
}

/// `key_part_ranges`, one at a time. Bytes after the last end mark (a damaged key) are no value.
fn key_part_bounds(key: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let (mut start, mut at) = (0, 0);
    std::iter::from_fn(move || loop {
        let zero = at + memchr::memchr(0, key.get(at..)?)?;
        at = zero + 2;
        // 0 0 ends a value; 0 0xFF is a 0 inside one.
        if key.get(zero + 1) != Some(&0xFF) {
            let part = (start, zero);
            start = at;
            return Some(part);
        }
    })
}

/// One by-value of an encoded key, from its escaped bytes: borrowed unless it held a 0 byte.
pub(crate) fn decode_key_part(part: &[u8]) -> Cow<'_, str> {
    if memchr::memchr(0, part).is_none() {
        return crate::value::lossy(part);
    }
    let mut s = Vec::with_capacity(part.len());
    let mut rest = part;
    while let Some(i) = memchr::memchr(0, rest) {
        s.extend_from_slice(rest.get(..=i).unwrap_or_default());
        rest = rest.get(i + 2..).unwrap_or_default();
    }
    s.extend_from_slice(rest);
    Cow::Owned(String::from_utf8(s).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// `key_parts` when some by-field is multivalued: one key per combination of distinct values.
fn key_combinations<'e>(by: &[crate::event::FieldRef], fill: Option<&'e str>, ev: &'e Event) -> Vec<Vec<Cow<'e, str>>> {
    let mut combos: Vec<Vec<Cow<'e, str>>> = vec![Vec::new()];
    for f in by {
        let vals: Vec<Cow<'e, str>> = match ev.get(f) {
            Some(v) => {
                let mut seen: Vec<Cow<'e, str>> = Vec::new();
                for a in v.atoms() {
                    let s = a.as_str();
                    if !seen.contains(&s) {
                        seen.push(s);
                    }
                }
                seen
            }
            None => match fill {
                Some(fill) => vec![Cow::Borrowed(fill)],
                None => return Vec::new(),
            },
        };
        let mut next = Vec::with_capacity(combos.len() * vals.len());
        for c in &combos {
            for v in &vals {
                let mut k = c.clone();
                k.push(v.clone());
                next.push(k);
            }
        }
        combos = next;
    }
    combos
}

/// By-values as one byte string that sorts as the list does: each value's bytes with 0 written
/// as 0 0xFF, then 0 0 (a shorter value ends first, and the end mark sorts before any byte).
pub(crate) fn encode_key<S: AsRef<str>>(parts: &[S]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.as_ref().len() + 2).sum());
    encode_key_into(parts, &mut out);
    out.into_boxed_slice()
}

/// `encode_key`, appended to `out`.
pub(crate) fn encode_key_into<S: AsRef<str>>(parts: impl IntoIterator<Item = S>, out: &mut Vec<u8>) {
    for p in parts {
        // Copied in runs between 0 bytes (values rarely hold one): keys are hundreds of bytes.
        let mut rest = p.as_ref().as_bytes();
        while let Some(i) = memchr::memchr(0, rest) {
            out.extend_from_slice(rest.get(..i).unwrap_or_default());
            out.extend_from_slice(&[0, 0xFF]);
            rest = rest.get(i + 1..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
        out.extend_from_slice(&[0, 0]);
    }
}

/// The by-values of an `encode_key` key, borrowed from it unless a value held a 0 byte.
fn decode_key(key: &[u8]) -> Vec<Cow<'_, str>> {
    key_part_bounds(key).map(|(a, b)| decode_key_part(key.get(a..b).unwrap_or_default())).collect()
}

/// `_time` groups come back as numbers so later `convert ctime` and arithmetic work.
fn restore_number(field: &str, v: &str) -> Value {
    if field == "_time" {
        if let Some(n) = crate::value::parse_num(v) {
            return Value::num(n);
        }
    }
    Value::str(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::chrono_tz_offset::Tz;

    fn fns() -> FnContext {
        FnContext { now: 0.0, tz: Tz::default() }
    }

    fn count_by(by: &[&str], fill: Option<&str>, events: &[Event]) -> Vec<Event> {
        let aggs = vec![AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() }];
        let mut g = Grouper::new(by.iter().map(|s| s.to_string()).collect(), fill.map(str::to_string), aggs);
        for e in events {
            g.add(e, &fns()).expect("add");
        }
        g.rows()
    }

    fn e(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    #[test]
    fn encoded_keys_round_trip_and_sort_as_the_value_lists_do() {
        let lists: Vec<Vec<&str>> = vec![
            vec!["a", "b"],
            vec!["a", ""],
            vec!["", "z"],
            vec!["ab", "a"],
            vec!["a\0x", "b"],
            vec!["a", "b\0"],
            vec!["a\u{ff}", "b"],
            vec!["a", "b", ""],
            vec!["\0", "\0\0a\0"],
            vec![],
        ];
        let mut ranges = Vec::new();
        for l in &lists {
            let key = encode_key(l);
            assert_eq!(decode_key(&key), *l);
            // Each part found in place, as a gate reads it.
            key_part_ranges(&key, &mut ranges);
            let parts: Vec<Cow<str>> = ranges.iter().map(|&(a, b)| decode_key_part(&key[a..b])).collect();
            assert_eq!(parts, *l);
        }
        let mut by_list = lists.clone();
        by_list.sort();
        let mut by_key = lists.clone();
        by_key.sort_by_key(|l| encode_key(l));
        assert_eq!(by_key, by_list);
    }

    #[test]
    fn keeping_the_smallest_groups_gives_the_first_rows_of_the_full_aggregation() {
        // 5,000 distinct keys in scrambled order, each seen three times; the rows kept must
        // be the first 50 of the unbounded result, with the same counts.
        let events: Vec<Event> = (0..15_000u64)
            .map(|i| e(&[("k", &format!("{:05}", (i * 7919) % 5000)), ("m", if i % 2 == 0 { "a" } else { "b" })]))
            .collect();
        let aggs = || vec![AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() }];
        let mut all = Grouper::new(vec!["k".into(), "m".into()], None, aggs());
        let mut kept = Grouper::new(vec!["k".into(), "m".into()], None, aggs());
        kept.keep_smallest = Some(50);
        for ev in &events {
            all.add(ev, &fns()).unwrap();
            kept.add(ev, &fns()).unwrap();
            assert!(kept.groups.len() <= 50 + 1024 + 1);
        }
        let mut want = all.rows();
        want.truncate(50);
        let mut got = kept.rows();
        got.truncate(50);
        assert_eq!(got, want);
        assert_eq!(want.len(), 50);
    }

    #[test]
    fn rows_handed_out_one_at_a_time_are_the_rows_in_order_and_can_be_stopped() {
        let events: Vec<Event> = ["c", "a", "b", "a"].iter().map(|k| e(&[("k", k)])).collect();
        let aggs = || vec![AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() }];
        let mut all = Grouper::new(vec!["k".into()], None, aggs());
        let mut each = Grouper::new(vec!["k".into()], None, aggs());
        for ev in &events {
            all.add(ev, &fns()).unwrap();
            each.add(ev, &fns()).unwrap();
        }
        let mut got = Vec::new();
        each.rows_each(&mut |ev| {
            got.push(ev);
            Ok(if got.len() == 2 { Flow::Stop } else { Flow::Continue })
        })
        .unwrap();
        let mut want = all.rows();
        assert_eq!(want.len(), 3);
        want.truncate(2);
        assert_eq!(got, want);
        assert_eq!(got[0].get_str("count").as_deref(), Some("2"), "a, seen twice, first");
    }

    /// Every kind of accumulator, a wildcard one among them.
    fn every_agg() -> Vec<AggSpec> {
        let f = |func: &str, field: &str| AggSpec {
            func: AggFunc::parse(func).unwrap(),
            input: AggInput::Field(field.into()),
            out: format!("{func}_{field}"),
        };
        let mut aggs = vec![AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() }];
        for func in [
            "count",
            "dc",
            "values",
            "list",
            "min",
            "max",
            "sum",
            "avg",
            "stdev",
            "range",
            "median",
            "p90",
            "mode",
            "earliest",
            "latest",
            "earliest_time",
            "latest_time",
            "first",
            "last",
        ] {
            aggs.push(f(func, "v"));
        }
        aggs.push(f("min", "w"));
        aggs.push(AggSpec {
            func: AggFunc::Values,
            input: AggInput::Wild(crate::ops::fields::NamePattern::new("x*")),
            out: "vals_*".into(),
        });
        aggs
    }

    fn spill_events(n: u64) -> Vec<Event> {
        (0..n)
            .map(|i| {
                let mut ev = e(&[
                    ("k", &format!("{:03}", (i * 7919) % 300)),
                    ("v", &format!("{}", (i * 31) % 17)),
                    ("w", &format!("t{}", (i * 13) % 29)),
                    ("_time", &format!("{}", 1_700_000_000 + (i * 37) % 1000)),
                ]);
                if i % 3 == 0 {
                    ev.set(format!("x{}", i % 4), format!("y{}", i % 5));
                }
                if i % 5 == 0 {
                    ev.push("v", crate::value::Atom::from(format!("m{}", i % 7)));
                }
                ev
            })
            .collect()
    }

    #[test]
    fn a_spilled_aggregation_gives_the_rows_of_one_held_in_memory() {
        let events = spill_events(6_000);
        let mut all = Grouper::new(vec!["k".into()], None, every_agg());
        for ev in &events {
            all.add(ev, &fns()).unwrap();
        }
        let want = all.rows();
        assert_eq!(want.len(), 300);
        // A few runs, and enough to be merged on the way (several levels of them).
        for limit in [200_000, 20_000, 2_000] {
            let mut g = Grouper::new(vec!["k".into()], None, every_agg()).spilling();
            g.held.own_limit = Some(limit);
            let mut most_runs = 0;
            for ev in &events {
                g.add(ev, &fns()).unwrap();
                most_runs = most_runs.max(g.runs.len());
            }
            assert!(!g.runs.is_empty(), "{limit}: spilled");
            // FAN_IN - 1 runs of each level at most, and a few levels.
            assert!(most_runs < 5 * FAN_IN, "{limit}: runs merged: {most_runs}");
            if limit == 2_000 {
                assert!(g.runs.iter().any(|(level, _)| *level >= 2), "merged twice over");
            }
            assert_eq!(g.rows(), want, "{limit}");
            assert_eq!(g.held.bytes(), 0);
        }
    }

    #[test]
    fn a_grouper_that_is_looked_up_by_key_never_spills() {
        let mut g = Grouper::new(vec!["k".into()], None, every_agg());
        g.held.own_limit = Some(1);
        for ev in &spill_events(500) {
            g.add(ev, &fns()).unwrap();
        }
        assert!(g.runs.is_empty());
        assert!(!g.values_of(&["000".to_string()]).is_empty());
    }

    #[test]
    fn a_spilled_aggregation_keeping_its_smallest_groups_gives_the_first_rows() {
        let events = spill_events(6_000);
        let mut all = Grouper::new(vec!["k".into()], None, every_agg());
        let mut kept = Grouper::new(vec!["k".into()], None, every_agg()).spilling();
        kept.keep_smallest = Some(20);
        kept.held.own_limit = Some(5_000);
        for ev in &events {
            all.add(ev, &fns()).unwrap();
            kept.add(ev, &fns()).unwrap();
        }
        let mut want = all.rows();
        want.truncate(20);
        let mut got = Vec::new();
        kept.rows_each(&mut |ev| {
            got.push(ev);
            Ok(if got.len() == 20 { Flow::Stop } else { Flow::Continue })
        })
        .unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn stats_by_drops_rows_with_a_null_by_field() {
        let rows = count_by(&["user"], None, &[e(&[("user", "a")]), e(&[("other", "x")])]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("user"), Some(&Value::str("a")));
    }

    #[test]
    fn tstats_fillnull_value_keeps_rows_under_the_string() {
        let rows = count_by(&["user"], Some("null"), &[e(&[("user", "u")]), e(&[("other", "x")])]);
        let users: Vec<String> = rows.iter().filter_map(|r| r.get_str("user").map(|s| s.into_owned())).collect();
        assert_eq!(users, ["null", "u"], "sorted: \"null\" < \"u\"");
    }

    #[test]
    fn stats_by_splits_multivalue_by_fields() {
        let mut ev = e(&[("x", "1")]);
        ev.push("tag", "a".into());
        ev.push("tag", "b".into());
        let rows = count_by(&["tag"], None, &[ev]);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn stats_groups_sort_by_values_lexicographically() {
        let rows = count_by(&["n"], None, &[e(&[("n", "9")]), e(&[("n", "10")]), e(&[("n", "Z")]), e(&[("n", "a")])]);
        let got: Vec<String> = rows.iter().filter_map(|r| r.get_str("n").map(|s| s.into_owned())).collect();
        assert_eq!(got, ["10", "9", "Z", "a"]);
    }

    #[test]
    fn stats_without_by_and_without_input_gives_one_zero_row() {
        let rows = count_by(&[], None, &[]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("count"), Some(&Value::num(0.0)));
        assert!(count_by(&["x"], None, &[]).is_empty(), "with by: no rows");
    }
}

#[cfg(test)]
mod wildcard_tests {
    use super::*;
    use crate::eval::chrono_tz_offset::Tz;

    #[test]
    fn values_star_as_star_aggregates_every_field_but_the_by_fields() {
        let spec = AggSpec {
            func: AggFunc::Values,
            input: AggInput::Wild(crate::ops::fields::NamePattern::new("*")),
            out: "*".into(),
        };
        let mut g = Grouper::new(vec!["user".into()], None, vec![spec]);
        let fns = FnContext { now: 0.0, tz: Tz::default() };
        for (u, h) in [("a", "h2"), ("a", "h1")] {
            let mut e = Event::new();
            e.set("user", u);
            e.set("host", h);
            e.set("_raw", "x");
            g.add(&e, &fns).expect("add");
        }
        let rows = g.rows();
        assert_eq!(rows.len(), 1);
        let hosts: Vec<String> = rows[0]
            .get("host")
            .map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect())
            .unwrap_or_default();
        assert_eq!(hosts, ["h1", "h2"]);
        assert!(rows[0].get("_raw").is_none());
    }
}
