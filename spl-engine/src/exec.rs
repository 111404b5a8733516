//! The streaming executor: events flow one at a time through a chain of operators. Only
//! aggregating operators (stats, sort, dedup …) keep state; the rest pass events on at once,
//! so memory stays flat in the input size.
//!
//! Subsearches run first, to completion, over the same input (Splunk runs a subsearch before
//! its outer search); the executor re-scans the source for them.

use std::sync::Arc;

use crate::content::Content;
use crate::eval::FnContext;
use crate::event::Event;
use crate::packed::{Packed, Packer, Row};
use crate::prefilter::{RawFilter, Req, Verbatim};

/// Where events come from. `scan` feeds every event (fields already extracted) to `f` until it
/// returns `Flow::Stop`. It may be called more than once (subsearches re-scan).
pub trait EventSource: Sync {
    fn scan(&self, f: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError>;

    /// Like `scan`, but the source may skip records whose raw bytes the filter rejects without
    /// parsing them (they still count as read), and may route each event it hands out on its
    /// own threads (`Router::wanted_for`, given to `f` as `Some`). Sources that cannot test raw
    /// bytes ignore the filter; `f` routes the events given without routing itself.
    fn scan_filtered(
        &self,
        _filter: Option<&RawFilter>,
        _router: Option<&Router>,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<(), ExecError> {
        self.scan(&mut |ev| f(ev, None))
    }
}

/// What was worked out for an event ahead of the pass, on the thread that parsed it.
#[derive(Clone, Debug, Default)]
pub struct Routed {
    /// The pipelines that may want it (ascending); `None`: all.
    pub wanted: Option<Vec<usize>>,
    /// Its data-model rows, by row-cache slot.
    pub rows: Vec<(usize, crate::ops::tstats::Row)>,
}

/// The per-event work of a pass over many pipelines that a source may do on its worker
/// threads: routing, and the data-model rows of the datasets the routed `tstats` read.
pub struct Router {
    route: Option<crate::prefilter::Router>,
    /// The datasets first-operator `tstats` read, once each.
    views: Vec<crate::ops::tstats::DatasetView>,
    /// Per pipeline, the indices in `views` of the datasets it reads.
    views_of: Vec<Vec<usize>>,
    ctx: Context,
}

impl Router {
    /// `live`: per pipeline, whether it takes events at all.
    fn new(pipelines: &[&mut Pipeline], reqs: &[Req], live: &[bool], ctx: &Context) -> Router {
        let mut views: Vec<crate::ops::tstats::DatasetView> = Vec::new();
        let views_of = pipelines
            .iter()
            .map(|p| {
                let read = p.ops.first().map(|op| op.dataset_views()).unwrap_or_default();
                read.into_iter()
                    .map(|v| match views.iter().position(|x| x.slot() == v.slot()) {
                        Some(k) => k,
                        None => {
                            views.push(v);
                            views.len() - 1
                        }
                    })
                    .collect()
            })
            .collect();
        let route = crate::prefilter::Router::live(reqs, live);
        Router { route, views, views_of, ctx: ctx.clone() }
    }

    pub fn prepare(&self, ev: &Event) -> Routed {
        self.prepare_wanted(ev, self.route.as_ref().and_then(|r| r.wanted_for(ev)))
    }

    /// The pipelines that may want the record with this raw text (`Routed::wanted`), before
    /// it is parsed: an empty list means none does; `None`, no verdict (not XML, or nothing to
    /// route on). `sourcetype` is the one the reader will give it, `source` the one `--source`
    /// forces.
    pub fn wanted_xml(
        &self,
        raw: &[u8],
        sourcetype: &str,
        source: Option<&str>,
        scratch: &mut crate::prefilter::Scratch,
    ) -> Option<Vec<usize>> {
        self.route.as_ref().and_then(|r| r.wanted_xml(raw, sourcetype, source, scratch))
    }

    /// `wanted_xml` for a record of a line format judged on its text
    /// (`read::LineBlock::records_judged`), `heads` being its sourcetype, source and index
    /// where known before parsing.
    pub fn wanted_text(
        &self,
        text: &[u8],
        heads: [Option<&str>; 3],
        scratch: &mut crate::prefilter::Scratch,
    ) -> Option<Vec<usize>> {
        self.route.as_ref().and_then(|r| r.wanted_text(text, heads, scratch))
    }

    /// `prepare`, the routing being already known (`wanted_xml`).
    pub fn prepare_wanted(&self, ev: &Event, wanted: Option<Vec<usize>>) -> Routed {
        // The datasets some routed pipeline reads (all of them when every pipeline is).
        let mut needed = vec![wanted.is_none(); self.views.len()];
        for p in wanted.iter().flatten() {
            for &k in self.views_of.get(*p).map(Vec::as_slice).unwrap_or_default() {
                if let Some(n) = needed.get_mut(k) {
                    *n = true;
                }
            }
        }
        let mut rows = Vec::new();
        for (view, _) in self.views.iter().zip(needed).filter(|(_, n)| *n) {
            // An error is left for the pipeline to meet (the row is made again there).
            if let Ok(row) = view.row(ev, &self.ctx) {
                rows.push((view.slot(), row.map(std::sync::Arc::new)));
            }
        }
        Routed { wanted, rows }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// An execution error, with the span of the command (in the expanded text) when known.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecError {
    pub message: String,
    pub span: Option<spl_parser::Span>,
}

impl ExecError {
    pub fn new(message: impl Into<String>) -> Self {
        ExecError { message: message.into(), span: None }
    }
    pub fn at(message: impl Into<String>, span: spl_parser::Span) -> Self {
        ExecError { message: message.into(), span: Some(span) }
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}

/// Limits Splunk applies to subsearches (limits.conf defaults).
#[derive(Clone, Debug)]
pub struct Limits {
    /// `[subsearch] maxout`: rows a subsearch returns to a search expression.
    pub subsearch_maxout: usize,
    /// `[join] subsearch_maxout`.
    pub join_maxout: usize,
    /// `append` `maxout`.
    pub append_maxout: usize,
    /// `map` `maxsearches` default.
    pub map_maxsearches: usize,
    /// Packed bytes of events a pack's first pass keeps at most for its second (`EventSpool`;
    /// spelunk's own, not limits.conf's).
    pub kept_events_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            subsearch_maxout: 10_000,
            join_maxout: 50_000,
            append_maxout: 50_000,
            map_maxsearches: 10,
            kept_events_max: KEPT_EVENTS_MAX,
        }
    }
}

/// What every operator may read while running.
#[derive(Clone)]
pub struct Context {
    pub fns: FnContext,
    pub content: Arc<Content>,
    pub limits: Limits,
    /// Folder `outputlookup` may write to; `None` refuses writes.
    pub output_dir: Option<std::path::PathBuf>,
    /// MaxMind GeoIP2/GeoLite2 City database for `iplocation`; `None`: running it is an error.
    pub geoip: Option<std::path::PathBuf>,
    /// The run's search time range (`--earliest`/`--latest`); all time by default.
    pub range: TimeRange,
}

/// A search's time range, as Splunk's time picker sets it: events with `earliest <= _time <
/// latest` (an unset bound is open). Every search of the run, subsearches included, sees only
/// those events, as subsearches inherit the time range of their search.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeRange {
    pub earliest: Option<f64>,
    pub latest: Option<f64>,
}

impl TimeRange {
    /// No bound: every event, with or without a time.
    pub fn is_all_time(&self) -> bool {
        self.earliest.is_none() && self.latest.is_none()
    }

    /// Whether an event of this time is in the range. With a bound, an event without a time is
    /// not: nothing places it inside.
    pub fn admits(&self, time: Option<f64>) -> bool {
        if self.is_all_time() {
            return true;
        }
        time.is_some_and(|t| self.earliest.is_none_or(|e| t >= e) && self.latest.is_none_or(|l| t < l))
    }
}

impl Context {
    pub fn new(content: Arc<Content>, now: f64) -> Self {
        Context {
            fns: FnContext { now, tz: Default::default() },
            content,
            limits: Limits::default(),
            output_dir: None,
            geoip: None,
            range: TimeRange::default(),
        }
    }
}

/// One command of a planned pipeline: configuration resolved at plan time, state while running.
pub trait Operator: Send {
    /// The command name as the user wrote it (`stats`, `search` …).
    fn name(&self) -> &str;
    /// One line for `explain`.
    fn describe(&self) -> String;
    /// Run subsearches this operator needs (before the main pass).
    fn prepare(&mut self, _rt: &Runtime<'_>) -> Result<(), ExecError> {
        Ok(())
    }
    /// Consume one event, emitting zero or more.
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError>;
    /// Consume an event that is shared with other pipelines. Operators that only read it
    /// (filters, tstats) override this to avoid a copy per pipeline.
    fn push_ref(&mut self, ev: &Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push(ev.clone(), out)
    }
    /// For a command that passes rows on unchanged or drops them (`search`, `where`): whether
    /// it keeps this one. `None`: not such a command. A shared event then goes on by reference
    /// to the command after it, copied only where a command needs its own.
    fn keeps(&mut self, _ev: &Event) -> Option<Result<bool, ExecError>> {
        None
    }
    /// End of input: emit what was held back.
    fn finish(&mut self, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        Ok(())
    }
    /// `finish`, one row at a time: `emit` gets the same rows in the same order and may stop
    /// them. Aggregations build each row only when it is taken, so a big one never holds all
    /// its rows besides its groups (nor builds the rows a limit would drop).
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let mut out = Vec::new();
        self.finish(&mut out)?;
        for e in out {
            if emit(e)? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }
    /// True once the operator will emit nothing more whatever it is fed (`head`).
    fn exhausted(&self) -> bool {
        false
    }
    /// Nested pipelines, for explain.
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        Vec::new()
    }
    /// Whether `push` could emit anything for this event, decided without taking it. Lets a
    /// pass over many pipelines skip the copy of an event a filter would drop at once.
    fn accepts(&self, _ev: &Event) -> bool {
        true
    }
    /// Subsearch pipelines `prepare` would run, so that a pack can run all of them together in
    /// one pass over the input; empty once their rows were given.
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        Vec::new()
    }
    /// The rows of `subsearches_mut`'s pipelines, in the same order; `prepare` then does not
    /// run them again.
    fn give_subsearch_rows(&mut self, _rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        Ok(())
    }
    /// `give_subsearch_rows`, the rows as kept by the pass (past the spill threshold, in the
    /// spill file): operators that can use them there (a join's right side, a map's events)
    /// take them so, the others read them back.
    fn give_subsearch_kept(&mut self, rows: Vec<crate::spill::Kept>) -> Result<(), ExecError> {
        let rows = rows.into_iter().map(crate::spill::Kept::into_rows).collect::<Result<Vec<_>, _>>()?;
        self.give_subsearch_rows(rows)
    }
    /// The grouping of a `stats`/`tstats`, for pushing filters below it at plan time.
    fn grouper_mut(&mut self) -> Option<&mut crate::stats::Grouper> {
        None
    }
    /// The data-model datasets a `tstats` reads, whose rows a pass may build ahead of it.
    fn dataset_views(&self) -> Vec<crate::ops::tstats::DatasetView> {
        Vec::new()
    }
    /// Per data-model view it reads rows of (by slot): the row fields it reads, `None` when it
    /// may read any. Operators that do not say read them whole.
    fn view_fields(&self) -> Vec<(usize, Option<Vec<String>>)> {
        self.dataset_views().iter().map(|v| (v.slot(), None)).collect()
    }
    /// Read rows holding only the fields given for a view's slot (`restrict_views`).
    fn restrict_views(&mut self, _kept: &std::collections::HashMap<usize, std::collections::HashSet<String>>) {}
    /// For a `tstats` over one dataset whose fields read are all known: that dataset and the
    /// row fields it reads. A pass may then keep those rows for it (`ViewSpool`) and feed it
    /// them later, each installed as the current event's row.
    fn spooled_view(&self) -> Option<(crate::ops::tstats::DatasetView, Vec<String>)> {
        None
    }
    /// An inner join's right side, once its subsearch has run (for the copy of the join pushed
    /// below an aggregation).
    fn join_side(&self) -> Option<std::sync::Arc<crate::ops::subsearch::JoinSide>> {
        None
    }
    /// Give a join its right side; false for other operators.
    fn set_join_side(&mut self, _side: std::sync::Arc<crate::ops::subsearch::JoinSide>) -> bool {
        false
    }
    /// True when, as prepared, the operator emits nothing whatever it is fed (an inner `join`
    /// whose subsearch found no rows): what comes before it need not run.
    fn emits_nothing(&self) -> bool {
        false
    }
    /// Literals the raw record of any event this operator accepts must contain (first
    /// operators only; see `prefilter`).
    fn raw_requirement(&self, _verbatim: &Verbatim) -> Req {
        Req::True
    }
}

impl Pipeline {
    /// Whether running it reads the input: it or a pipeline nested in it (a subsearch, a
    /// `map` template) searches events. `| makeresults …` and `| inputlookup …` alone do not.
    pub fn needs_input(&self) -> bool {
        self.reads_events || self.ops.iter().any(|op| op.children().iter().any(|(_, p)| p.needs_input()))
    }

    /// What the raw record of an event this pipeline can use must contain.
    pub fn raw_requirement(&self, verbatim: &Verbatim) -> Req {
        match self.ops.first() {
            Some(op) if self.reads_events => op.raw_requirement(verbatim),
            _ => Req::True,
        }
    }
}

/// A planned pipeline: operators in order. `reads_events` is false when the first command
/// generates its own rows (`| inputlookup`, `| makeresults`) and the input need not be scanned.
pub struct Pipeline {
    pub ops: Vec<Box<dyn Operator>>,
    pub reads_events: bool,
    /// Rows its consumer keeps at most (a subsearch's output limit): a pass stops it once it
    /// gave that many, instead of collecting rows only to drop them.
    pub max_rows: Option<usize>,
    /// The (expanded) text it was planned from, when it is a subsearch: subsearches with the
    /// same text and limit give the same rows, so a pack runs such twins once.
    pub text: Option<String>,
}

/// What one pipeline of a pass cost (`spelunk run --profile`).
#[derive(Clone, Debug, Default)]
pub struct PipeCost {
    /// Events offered to it (after routing).
    pub events: u64,
    /// Time spent feeding them through its operators.
    pub feed: std::time::Duration,
    /// Time spent finishing (aggregations and what follows them).
    pub finish: std::time::Duration,
    /// Rows its first operator held until the end of input and emitted then (the groups of a
    /// leading `stats`/`tstats`): what it kept in memory.
    pub held: u64,
    /// Rows its subsearches gave (join right sides, `append` rows …), kept through the main pass.
    pub sub_rows: u64,
    /// It took its data-model rows as kept by the subsearches' pass (`ViewSpool`) instead of
    /// reading the input a second time.
    pub from_kept_rows: bool,
    /// It read the events kept by the subsearches' pass (`EventSpool`) instead of the input.
    pub from_kept_events: bool,
}

/// Runs pipelines over a source.
pub struct Runtime<'a> {
    pub source: &'a dyn EventSource,
    pub ctx: &'a Context,
}

impl Runtime<'_> {
    /// Run a pipeline to completion and collect its rows.
    pub fn collect(&self, pipeline: &mut Pipeline) -> Result<Vec<Event>, ExecError> {
        let mut rows = Vec::new();
        self.run(pipeline, &mut |ev| {
            rows.push(ev);
            Ok(Flow::Continue)
        })?;
        Ok(rows)
    }

    /// Run several pipelines in one pass over the source: each event is read and parsed once
    /// and offered to every pipeline (`run DIR` over a whole pack). `sink(i, row)` gets the
    /// rows of pipeline `i`. An error in one pipeline stops only that one (its slot in the
    /// returned list); an error of the source (unreadable input, `--strict`) stops all.
    pub fn run_many(
        &self,
        pipelines: &mut [&mut Pipeline],
        sink: &mut dyn FnMut(usize, Row) -> Result<Flow, ExecError>,
    ) -> Result<Vec<Option<ExecError>>, ExecError> {
        self.run_many_profiled(pipelines, sink, None)
    }

    /// `run_many`, also adding to `profile[i]` what pipeline `i` cost (not its subsearches),
    /// in whichever pass it ran.
    pub fn run_many_profiled(
        &self,
        pipelines: &mut [&mut Pipeline],
        sink: &mut dyn FnMut(usize, Row) -> Result<Flow, ExecError>,
        mut profile: Option<&mut [PipeCost]>,
    ) -> Result<Vec<Option<ExecError>>, ExecError> {
        restrict_views(pipelines);
        let mut errors: Vec<Option<ExecError>> = vec![None; pipelines.len()];
        let mut stopped = vec![false; pipelines.len()];
        // Rows each pipeline gave (for `max_rows`).
        let mut emitted = vec![0usize; pipelines.len()];
        // Pipelines no subsearch feeds run to the end in the subsearch pass (they come back
        // stopped): the pass below re-reads the input only for those that need its rows.
        let (spools, event_spool) =
            self.run_subsearches_together(pipelines, &mut errors, &mut stopped, &mut *sink, profile.as_deref_mut())?;
        for ((p, err), stop) in pipelines.iter_mut().zip(errors.iter_mut()).zip(stopped.iter_mut()) {
            if *stop {
                continue;
            }
            for op in p.ops.iter_mut() {
                if let Err(e) = op.prepare(self) {
                    *err = Some(e);
                    *stop = true;
                    break;
                }
            }
        }
        for p in pipelines.iter_mut().zip(&stopped).filter(|(_, s)| !**s).map(|(p, _)| p) {
            // Rows that cannot get past an operator need not be made: drop what precedes it.
            if let Some(j) = p.ops.iter().rposition(|op| op.emits_nothing()) {
                p.ops.drain(..=j);
                p.reads_events = false;
            }
            give_pushed_joins_their_rows(&mut p.ops);
            if let Some(n) = p.max_rows {
                limit_groups(&mut p.ops, n);
            }
        }
        self.feed_spools(
            spools,
            pipelines,
            &mut errors,
            &mut stopped,
            &mut emitted,
            &mut *sink,
            profile.as_deref_mut(),
        );
        if pipelines.iter().zip(&stopped).any(|(p, s)| p.reads_events && !*s) {
            let verbatim = Verbatim::from_content(&self.ctx.content);
            let all: Vec<Req> = pipelines.iter().map(|p| p.raw_requirement(&verbatim)).collect();
            let live: Vec<bool> = pipelines.iter().zip(&stopped).map(|(p, s)| p.reads_events && !*s).collect();
            // The events the first pass kept for these pipelines, when it kept all they can
            // want: read those, not the whole input again.
            let kept_events = event_spool.and_then(|s| s.take_if_covers(&all, &live));
            let kept_source = kept_events.as_ref().map(crate::packed::PackedSource);
            let source: &dyn EventSource = match &kept_source {
                Some(k) => k,
                None => self.source,
            };
            if let (true, Some(pr)) = (kept_source.is_some(), profile.as_deref_mut()) {
                for (c, _) in pr.iter_mut().zip(&live).filter(|(_, l)| **l) {
                    c.from_kept_events = true;
                }
            }
            // With several pipelines, one automaton pass per record decides which may want it
            // (and so whether any does: the filter's own pass is then not needed), and the
            // data-model rows of the tstats among them are built with the event.
            let router = (pipelines.len() > 1).then(|| Router::new(pipelines, &all, &live, self.ctx));
            let live_reqs: Vec<Req> = all.iter().zip(&live).filter(|(_, l)| **l).map(|(r, _)| r.clone()).collect();
            let filter = match router {
                Some(_) => RawFilter::for_bulk_skip(Req::any(live_reqs)),
                None => RawFilter::new(Req::any(live_reqs)),
            };
            // Pipelines that will take no more events: stopped, not reading, or exhausted.
            let mut done: Vec<bool> = pipelines
                .iter()
                .zip(&stopped)
                .map(|(p, s)| *s || !p.reads_events || p.ops.first().is_some_and(|op| op.exhausted()))
                .collect();
            let mut live = done.iter().filter(|d| !**d).count();
            let mut still = live;
            let n = pipelines.len();
            let emitted = &mut emitted;
            // Per pipeline, the events of the batch it wants (indices into the batch), and the
            // pipelines that want some.
            let mut wants: Vec<Vec<u32>> = vec![Vec::new(); n];
            let mut wanting: Vec<usize> = Vec::new();
            let mut flush = |batch: &mut Vec<Pending>| -> usize {
                for (k, item) in batch.iter().enumerate() {
                    let mut note = |i: usize| {
                        if let Some(w) = wants.get_mut(i) {
                            if w.is_empty() {
                                wanting.push(i);
                            }
                            w.push(k as u32);
                        }
                    };
                    match &item.wanted {
                        Some(list) => list.iter().for_each(|&i| note(i)),
                        None => (0..n).for_each(note),
                    }
                }
                // In pipeline order, as event by event: a spool's markers follow its keeper.
                wanting.sort_unstable();
                for &i in &wanting {
                    let (Some(p), Some(err), Some(stop), Some(d), Some(list)) = (
                        pipelines.get_mut(i),
                        errors.get_mut(i),
                        stopped.get_mut(i),
                        done.get_mut(i),
                        wants.get_mut(i),
                    ) else {
                        continue;
                    };
                    for k in list.drain(..) {
                        let Some(item) = batch.get(k as usize) else { continue };
                        if *d {
                            continue;
                        }
                        set_event_serial(item.serial);
                        crate::ops::tstats::give_rows(item.rows.as_ref());
                        if !p.ops.first().is_none_or(|op| op.accepts(&item.ev)) {
                            continue;
                        }
                        let t0 = profile.is_some().then(std::time::Instant::now);
                        let (limit, mut given) = (p.max_rows, emitted.get_mut(i));
                        let fed = feed_shared(&mut p.ops, &item.ev, &mut |row| {
                            limited(limit, given.as_deref_mut(), row, |r| sink(i, Row::Map(r)))
                        });
                        if let (Some(t0), Some(c)) = (t0, profile.as_deref_mut().and_then(|pr| pr.get_mut(i))) {
                            c.events += 1;
                            c.feed += t0.elapsed();
                        }
                        match fed {
                            Ok(Flow::Continue) => {}
                            Ok(Flow::Stop) => *stop = true,
                            Err(e) => {
                                *err = Some(e);
                                *stop = true;
                            }
                        }
                        if *stop || p.ops.first().is_some_and(|op| op.exhausted()) {
                            *d = true;
                            live -= 1;
                        }
                    }
                }
                wanting.clear();
                batch.clear();
                live
            };
            let mut batch: Vec<Pending> = Vec::with_capacity(FEED_BATCH);
            source.scan_filtered(filter.as_ref(), router.as_ref(), &mut |ev, routed| {
                next_event_serial();
                let routed = match routed {
                    Some(r) => Some(r),
                    None => router.as_ref().map(|r| r.prepare(&ev)),
                };
                let (wanted, rows) = routed.map_or((None, Vec::new()), |r| (r.wanted, r.rows));
                let rows = (!rows.is_empty()).then(|| crate::ops::tstats::GivenRows::from(rows));
                batch.push(Pending { ev, serial: event_serial(), wanted, rows });
                if batch.len() >= FEED_BATCH {
                    still = flush(&mut batch);
                }
                Ok(if still > 0 { Flow::Continue } else { Flow::Stop })
            })?;
            flush(&mut batch);
        }
        if pipelines.iter().zip(&stopped).filter(|(_, s)| !**s).count() > 1 {
            self.finish_parallel(pipelines, &stopped, &mut emitted, &mut errors, sink, profile);
        } else {
            // One pipeline: its rows stream to the sink as they are made.
            for (i, ((p, err), stop)) in pipelines.iter_mut().zip(errors.iter_mut()).zip(&stopped).enumerate() {
                if *stop {
                    continue;
                }
                let t0 = std::time::Instant::now();
                let (limit, mut given) = (p.max_rows, emitted.get_mut(i));
                let held = match finish(&mut p.ops, &mut |row| {
                    limited(limit, given.as_deref_mut(), row, |r| sink(i, Row::Map(r)))
                }) {
                    Ok(held) => held,
                    Err(e) => {
                        *err = Some(e);
                        0
                    }
                };
                if let Some(c) = profile.as_deref_mut().and_then(|pr| pr.get_mut(i)) {
                    c.finish += t0.elapsed();
                    c.held += held as u64;
                }
            }
        }
        Ok(errors)
    }

    /// End of input for several pipelines: they finish on all cores (their aggregations are
    /// independent), then their rows go to `sink` in pipeline order, as a serial finish gives
    /// them.
    fn finish_parallel(
        &self,
        pipelines: &mut [&mut Pipeline],
        stopped: &[bool],
        emitted: &mut [usize],
        errors: &mut [Option<ExecError>],
        sink: &mut dyn FnMut(usize, Row) -> Result<Flow, ExecError>,
        mut profile: Option<&mut [PipeCost]>,
    ) {
        use rayon::prelude::*;
        type Finished = (crate::spill::RowSpool, Result<usize, ExecError>, std::time::Duration);
        let done: Vec<Option<Finished>> = pipelines
            .par_iter_mut()
            .zip(stopped.par_iter())
            .zip(emitted.par_iter_mut())
            .map(|((p, stop), given)| {
                if *stop {
                    return None;
                }
                // `random()` after an aggregation gives the same values whichever thread runs it.
                crate::eval::functions::reseed_random();
                let t0 = std::time::Instant::now();
                // Packed here, and spilled past the budget: every row is held until all
                // pipelines finished.
                let (limit, mut rows) = (p.max_rows, crate::spill::RowSpool::default());
                let held = finish(&mut p.ops, &mut |row| {
                    limited(limit, Some(&mut *given), row, |r| {
                        rows.push(&r)?;
                        Ok(Flow::Continue)
                    })
                });
                Some((rows, held, t0.elapsed()))
            })
            .collect();
        for (i, (finished, err)) in done.into_iter().zip(errors.iter_mut()).enumerate() {
            let Some((mut rows, held, took)) = finished else { continue };
            let mut sink_err = None;
            let drained = rows.drain(&mut |row| match sink(i, Row::Packed(row)) {
                Err(e) => {
                    sink_err = Some(e);
                    Ok(Flow::Stop)
                }
                flow => flow,
            });
            if let Some(e) = sink_err.or(drained.err()) {
                *err = Some(e);
            }
            let held = match held {
                Ok(held) => held,
                Err(e) => {
                    err.get_or_insert(e);
                    0
                }
            };
            if let Some(c) = profile.as_deref_mut().and_then(|pr| pr.get_mut(i)) {
                c.finish += took;
                c.held += held as u64;
            }
        }
    }

    /// The subsearches of several pipelines, run in one pass (each would otherwise re-read the
    /// input); their rows go back to the operators that own them. A subsearch's error stops only
    /// its pipeline. The pipelines that own no subsearch (riders) run whole in the same pass,
    /// their rows to `sink`: they come back `stopped`, with their errors in `errors`.
    fn run_subsearches_together(
        &self,
        pipelines: &mut [&mut Pipeline],
        errors: &mut [Option<ExecError>],
        stopped: &mut [bool],
        sink: &mut dyn FnMut(usize, Row) -> Result<Flow, ExecError>,
        mut profile: Option<&mut [PipeCost]>,
    ) -> Result<(Vec<ViewSpool>, Option<EventSpool>), ExecError> {
        if pipelines.len() < 2 {
            return Ok((Vec::new(), None)); // a single pipeline's operators prepare themselves
        }
        self.run_event_free_subsearches(pipelines, errors, stopped);
        // A `where [| inputlookup …]` now says what it reads.
        restrict_views(pipelines);
        // (pipeline, operator, how many subsearches), in traversal order.
        let mut owners: Vec<(usize, usize, usize)> = Vec::new();
        for (pi, p) in pipelines.iter_mut().enumerate() {
            for (oi, op) in p.ops.iter_mut().enumerate() {
                let n = op.subsearches_mut().len();
                if n > 0 {
                    owners.push((pi, oi, n));
                }
            }
        }
        if owners.is_empty() {
            return Ok((Vec::new(), None));
        }
        // Gathered as the operators will keep them (`Keeper`: past a small threshold, in the
        // spill file as they come): a pack's joins gather up to 50,000 rows each in this pass,
        // and gathering them in a spool first copied each row again, on one thread, after it.
        let (mut rows, mut packer): (Vec<crate::spill::Keeper>, _) = (Vec::new(), Packer::default());
        let owns: Vec<bool> = (0..pipelines.len()).map(|pi| owners.iter().any(|o| o.0 == pi)).collect();
        let verbatim = Verbatim::from_content(&self.ctx.content);
        let mut spools = view_spools(pipelines, &owns, stopped, &verbatim);
        let mut spool_runs: Vec<Pipeline> = spools.iter().map(|s| s.keeper(self.ctx)).collect();
        // After the keepers: a marker marks the row its keeper kept for the same event.
        spool_runs.extend(spools.iter().flat_map(ViewSpool::markers));
        let event_spool =
            EventSpool::for_owners(pipelines, &owns, stopped, &spools, &verbatim, self.ctx.limits.kept_events_max);
        spool_runs.extend(event_spool.as_ref().map(EventSpool::keeper));
        let (sub_errors, twin_of) = {
            let mut subs: Vec<&mut Pipeline> = Vec::new();
            // (index in `pipelines`, the pipeline) of the riders.
            let mut riders: Vec<(usize, &mut Pipeline)> = Vec::new();
            for (pi, p) in pipelines.iter_mut().enumerate() {
                if owns.get(pi).copied().unwrap_or(true) {
                    subs.extend(p.ops.iter_mut().flat_map(|op| op.subsearches_mut()));
                } else if !stopped.get(pi).copied().unwrap_or(true) {
                    riders.push((pi, &mut **p));
                }
            }
            // Twins (same text, same limit) run once; the others take the first one's rows.
            let mut first: std::collections::HashMap<(String, Option<usize>), usize> = Default::default();
            let mut twin_of = vec![None; subs.len()];
            let mut unique = Vec::new();
            for (i, p) in subs.into_iter().enumerate() {
                if let Some(text) = &p.text {
                    if let Some(&j) = first.get(&(text.clone(), p.max_rows)) {
                        if let Some(t) = twin_of.get_mut(i) {
                            *t = Some(j);
                        }
                        continue;
                    }
                    first.insert((text.clone(), p.max_rows), i);
                }
                unique.push((i, p));
            }
            let index: Vec<usize> = unique.iter().map(|(i, _)| *i).collect();
            let rider_of: Vec<usize> = riders.iter().map(|(pi, _)| *pi).collect();
            let mut runs: Vec<&mut Pipeline> = unique.into_iter().map(|(_, p)| p).collect();
            let n_subs = runs.len();
            runs.extend(riders.into_iter().map(|(_, p)| p));
            // Then the keepers of data-model rows and their markers (they give no rows).
            runs.extend(spool_runs.iter_mut());
            rows.resize_with(twin_of.len(), Default::default);
            let mut costs = profile.is_some().then(|| vec![PipeCost::default(); runs.len()]);
            let run_errors = self.run_many_profiled(
                &mut runs,
                &mut |k, row| match k.checked_sub(n_subs) {
                    None => {
                        if let Some(r) = index.get(k).and_then(|&i| rows.get_mut(i)) {
                            r.push(row.into_packed(&mut packer))?;
                        }
                        Ok(Flow::Continue)
                    }
                    Some(r) => match rider_of.get(r) {
                        Some(&pi) => sink(pi, row),
                        None => Ok(Flow::Continue),
                    },
                },
                costs.as_deref_mut(),
            )?;
            let mut all = vec![None; twin_of.len()];
            for (k, e) in run_errors.into_iter().enumerate() {
                match k.checked_sub(n_subs) {
                    None => {
                        if let Some(slot) = index.get(k).and_then(|&i| all.get_mut(i)) {
                            *slot = e;
                        }
                    }
                    Some(r) => {
                        let Some(&pi) = rider_of.get(r) else {
                            // A keeper that failed: its owners read the input again instead
                            // (the event keeper never fails: it gives up, and says so itself).
                            if let (Some(_), Some(s)) =
                                (e, r.checked_sub(rider_of.len()).and_then(|j| spools.get_mut(j)))
                            {
                                s.failed = true;
                            }
                            continue;
                        };
                        if let Some(s) = stopped.get_mut(pi) {
                            *s = true;
                        }
                        if let Some(slot) = errors.get_mut(pi) {
                            *slot = e;
                        }
                        let (Some(c), Some(mine)) = (
                            costs.as_ref().and_then(|c| c.get(k)),
                            profile.as_deref_mut().and_then(|pr| pr.get_mut(pi)),
                        ) else {
                            continue;
                        };
                        mine.events += c.events;
                        mine.feed += c.feed;
                        mine.finish += c.finish;
                        mine.held += c.held;
                    }
                }
            }
            (all, twin_of)
        };
        let mut sub_errors = sub_errors;
        for (i, twin) in twin_of.iter().enumerate() {
            if let Some(j) = *twin {
                let e = sub_errors.get(j).cloned().flatten();
                if let Some(es) = sub_errors.get_mut(i) {
                    *es = e;
                }
            }
        }
        // The rows of each subsearch, as kept (never all in memory at once). A subsearch that
        // has twins keeps them for them (in the file, or packed rows sharing their bytes: a
        // twin's copy costs a pointer per row).
        let sources: std::collections::HashSet<usize> = twin_of.iter().flatten().copied().collect();
        let mut shared: std::collections::HashMap<usize, crate::spill::Kept> = Default::default();
        let mut rows_of = |k: usize| -> Result<crate::spill::Kept, ExecError> {
            if let Some(j) = twin_of.get(k).copied().flatten() {
                return Ok(shared.get(&j).cloned().unwrap_or_default());
            }
            let kept = rows.get_mut(k).map(std::mem::take).unwrap_or_default().finish()?;
            if sources.contains(&k) {
                shared.insert(k, kept.clone());
            }
            Ok(kept)
        };
        let mut next = 0;
        let mut sub_errors = sub_errors.into_iter();
        for (pi, oi, n) in owners {
            let mut mine: Vec<crate::spill::Kept> = Vec::with_capacity(n);
            let mut read_err = None;
            for k in next..next + n {
                match rows_of(k) {
                    Ok(v) => mine.push(v),
                    Err(e) => {
                        read_err.get_or_insert(e);
                        mine.push(Default::default());
                    }
                }
            }
            next += n;
            if let Some(c) = profile.as_deref_mut().and_then(|pr| pr.get_mut(pi)) {
                c.sub_rows += mine.iter().map(|r| r.len() as u64).sum::<u64>();
            }
            let failed = sub_errors.by_ref().take(n).flatten().next().or(read_err);
            let (Some(err), Some(stop)) = (errors.get_mut(pi), stopped.get_mut(pi)) else { continue };
            if let Some(e) = failed {
                *err = Some(e);
                *stop = true;
                continue;
            }
            let Some(op) = pipelines.get_mut(pi).and_then(|p| p.ops.get_mut(oi)) else { continue };
            if let Err(e) = op.give_subsearch_kept(mine) {
                *err = Some(e);
                *stop = true;
            }
        }
        Ok((spools, event_spool))
    }

    /// Feed the pipelines whose data-model rows the first pass kept (`ViewSpool`) those rows,
    /// each installed as an event's row as a pass installs it, in the order the pass met
    /// them: they then take no events from the second pass over the input. A pipeline whose
    /// first commands were dropped meanwhile (an inner join with no rows) is left out. The
    /// pipelines of a spool are independent: each chunk of rows feeds them on all cores.
    #[allow(clippy::too_many_arguments)]
    fn feed_spools(
        &self,
        spools: Vec<ViewSpool>,
        pipelines: &mut [&mut Pipeline],
        errors: &mut [Option<ExecError>],
        stopped: &mut [bool],
        emitted: &mut [usize],
        sink: &mut dyn FnMut(usize, Row) -> Result<Flow, ExecError>,
        mut profile: Option<&mut [PipeCost]>,
    ) {
        use rayon::prelude::*;
        /// Rows unpacked at once, then fed to every pipeline of the spool.
        const CHUNK: usize = 4096;
        let timed = profile.is_some();
        for spool in spools {
            if spool.failed {
                continue;
            }
            let mine = |i: usize| spool.owners.contains(&i);
            let marks = spool.marks.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default();
            let mut fed: Vec<SpoolFed<'_>> = pipelines
                .iter_mut()
                .enumerate()
                .filter(|(i, p)| {
                    mine(*i)
                        && p.reads_events
                        && p.ops.first().is_some_and(|op| op.spooled_view().is_some())
                        && !stopped.get(*i).copied().unwrap_or(true)
                })
                .map(|(i, p)| {
                    p.reads_events = false;
                    let pos = spool.owners.iter().position(|&o| o == i).unwrap_or(usize::MAX);
                    SpoolFed { i, pos, p, stop: false, err: None, out: Vec::new(), events: 0, feed: Default::default() }
                })
                .collect();
            if fed.is_empty() {
                continue;
            }
            let slot = spool.view.slot();
            let mut rows = spool.take_rows();
            let (mut packed, mut chunk): (Vec<Packed>, Vec<Arc<Event>>) =
                (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
            // The index of the chunk's first row among the spool's rows.
            let mut first = 0;
            let mut deliver = |fed: &mut [SpoolFed<'_>], packed: &mut Vec<Packed>| {
                // Unpacked on all cores too: one thread unpacking left the other idle.
                packed.par_drain(..).map(|p| Arc::new(p.unpack())).collect_into_vec(&mut chunk);
                fed.par_iter_mut().for_each(|f| f.take(&chunk, first, &marks, slot, timed));
                first += chunk.len();
                chunk.par_drain(..).for_each(drop);
                // What the pipelines gave (nothing while their `tstats` aggregates), in order.
                for f in fed.iter_mut() {
                    let (limit, mut given) = (f.p.max_rows, emitted.get_mut(f.i));
                    for row in f.out.drain(..) {
                        match limited(limit, given.as_deref_mut(), row, |r| sink(f.i, Row::Map(r))) {
                            Ok(Flow::Continue) => {}
                            Ok(Flow::Stop) => f.stop = true,
                            Err(e) => (f.stop, f.err) = (true, Some(e)),
                        }
                        if f.stop {
                            break;
                        }
                    }
                }
            };
            let drained = rows.drain(&mut |row| {
                packed.push(row);
                if packed.len() >= CHUNK {
                    deliver(&mut fed, &mut packed);
                }
                Ok(Flow::Continue)
            });
            if !packed.is_empty() {
                deliver(&mut fed, &mut packed);
            }
            for f in fed {
                if let Some(c) = profile.as_deref_mut().and_then(|pr| pr.get_mut(f.i)) {
                    c.from_kept_rows = true;
                    c.events += f.events;
                    c.feed += f.feed;
                }
                let (Some(err), Some(stop)) = (errors.get_mut(f.i), stopped.get_mut(f.i)) else { continue };
                *err = f.err.or_else(|| drained.as_ref().err().cloned());
                *stop = f.stop || drained.is_err();
            }
        }
    }

    /// The subsearches that read no events (`[| inputlookup …]`, a macro that expands to one),
    /// run before the pass: an operator whose subsearches all are such has its rows at once,
    /// and its pipeline, owning no subsearch left, rides the pass instead of needing a second
    /// one. A subsearch's error stops only its pipeline, as in the pass.
    fn run_event_free_subsearches(
        &self,
        pipelines: &mut [&mut Pipeline],
        errors: &mut [Option<ExecError>],
        stopped: &mut [bool],
    ) {
        fn event_free(p: &mut Pipeline) -> bool {
            !p.reads_events && p.ops.iter_mut().all(|op| op.subsearches_mut().is_empty())
        }
        for ((p, err), stop) in pipelines.iter_mut().zip(errors.iter_mut()).zip(stopped.iter_mut()) {
            for op in p.ops.iter_mut() {
                let mut subs = op.subsearches_mut();
                if subs.is_empty() || !subs.iter_mut().all(|s| event_free(s)) {
                    continue;
                }
                let mut kept = Vec::with_capacity(subs.len());
                let mut failed = None;
                for sub in subs {
                    let mut keeper = crate::spill::Keeper::default();
                    let mut packer = Packer::default();
                    let ran = self.run_many(&mut [sub], &mut |_, row| {
                        keeper.push(row.into_packed(&mut packer)).map(|()| Flow::Continue)
                    });
                    match ran.map(|errs| errs.into_iter().flatten().next()) {
                        Ok(None) => {}
                        Ok(Some(e)) | Err(e) => {
                            failed.get_or_insert(e);
                        }
                    }
                    match keeper.finish() {
                        Ok(k) => kept.push(k),
                        Err(e) => {
                            failed.get_or_insert(e);
                        }
                    }
                }
                let given = match failed {
                    Some(e) => Err(e),
                    None => op.give_subsearch_kept(kept),
                };
                if let Err(e) = given {
                    *err = Some(e);
                    *stop = true;
                    break;
                }
            }
        }
    }

    /// Run a pipeline, handing each output row to `sink` as soon as it is final.
    pub fn run(
        &self,
        pipeline: &mut Pipeline,
        sink: &mut dyn FnMut(Event) -> Result<Flow, ExecError>,
    ) -> Result<(), ExecError> {
        let errors = self.run_many(&mut [pipeline], &mut |_, row| sink(row.into_event()))?;
        match errors.into_iter().flatten().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Commands that give one row per row, in order: after an aggregation its rows keep their
/// key order and number.
/// (`delta`, `autoregress`, `accum` and `filldown` read earlier rows only, so the first `n` rows
/// come out the same.)
const ONE_TO_ONE: &[&str] = &[
    "eval",
    "rename",
    "table",
    "fields",
    "fillnull",
    "convert",
    "lookup",
    "bin",
    "makemv",
    "nomv",
    "delta",
    "autoregress",
    "accum",
    "filldown",
];

/// A pipeline that keeps only its first `n` rows, whose first aggregation (rows in key order)
/// is followed only by one-row-per-row commands, needs only that aggregation's `n` groups with
/// the smallest keys.
fn limit_groups(ops: &mut [Box<dyn Operator>], n: usize) {
    let Some(j) = ops.iter_mut().position(|op| op.grouper_mut().is_some()) else { return };
    if !ops.iter().skip(j + 1).all(|op| ONE_TO_ONE.contains(&op.name())) {
        return;
    }
    if let Some(g) = ops.get_mut(j).and_then(|op| op.grouper_mut()) {
        g.keep_smallest = Some(n);
    }
}

/// Hand `row` to `sink` unless `limit` rows were given already; stop the pipeline once the
/// limit is reached (the rows kept are the first `limit`, as truncating afterwards keeps).
fn limited(
    limit: Option<usize>,
    given: Option<&mut usize>,
    row: Event,
    sink: impl FnOnce(Event) -> Result<Flow, ExecError>,
) -> Result<Flow, ExecError> {
    let (Some(limit), Some(given)) = (limit, given) else { return sink(row) };
    if *given >= limit {
        return Ok(Flow::Stop);
    }
    *given += 1;
    let flow = sink(row)?;
    Ok(if *given >= limit { Flow::Stop } else { flow })
}

/// A pipeline being fed a `ViewSpool`'s rows, and what that did.
struct SpoolFed<'p> {
    i: usize,
    /// Its position among the spool's owners (`OwnerMarks`).
    pos: usize,
    p: &'p mut Pipeline,
    /// It wants no more rows (done, or `err`).
    stop: bool,
    err: Option<ExecError>,
    /// Rows it gave, handed on after the chunk.
    out: Vec<Event>,
    events: u64,
    feed: std::time::Duration,
}

impl SpoolFed<'_> {
    /// Feed the rows of `chunk` marked for it; `first` is the index of the chunk's first row.
    fn take(&mut self, chunk: &[Arc<Event>], first: usize, marks: &OwnerMarks, slot: usize, timed: bool) {
        for (k, row) in chunk.iter().enumerate() {
            if self.stop {
                return;
            }
            if !marks.has(first + k, self.pos) {
                continue;
            }
            let t0 = timed.then(std::time::Instant::now);
            let out = &mut self.out;
            let fed = feed_row(&mut self.p.ops, slot, row.clone(), &mut |r| {
                out.push(r);
                Ok(Flow::Continue)
            });
            if let Some(t0) = t0 {
                self.events += 1;
                self.feed += t0.elapsed();
            }
            match fed {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop) => self.stop = true,
                Err(e) => (self.stop, self.err) = (true, Some(e)),
            }
        }
    }
}

/// Feed a `tstats`-led chain one data-model row made ahead (`slot`'s row of a new current
/// event, which itself holds nothing): what a pass that kept rows does instead of reading events.
pub(crate) fn feed_row(
    ops: &mut [Box<dyn Operator>],
    slot: usize,
    row: Arc<Event>,
    sink: &mut dyn FnMut(Event) -> Result<Flow, ExecError>,
) -> Result<Flow, ExecError> {
    next_event_serial();
    crate::ops::tstats::install_row(slot, Some(row));
    feed_shared(ops, &Event::new(), sink)
}

/// The data-model rows one dataset gives, kept through the first pass for the pipelines that
/// own subsearches and begin with a `tstats` over that dataset alone (`spooled_view`): the
/// second pass feeds them these instead of reading, parsing and routing the input again. Only
/// the fields those `tstats` read are kept; past the memory budget, the rows spill.
pub struct ViewSpool {
    view: crate::ops::tstats::DatasetView,
    fields: Vec<crate::event::Name>,
    /// What the owners' first commands require of a raw record.
    reqs: Vec<Req>,
    owners: Vec<usize>,
    rows: Arc<std::sync::Mutex<crate::spill::RowSpool>>,
    /// Per kept row, which owners' requirements its record met (`SpoolMark`).
    marks: Arc<std::sync::Mutex<OwnerMarks>>,
    /// Its keeper failed (a spill file error): the owners read the input instead.
    failed: bool,
}

/// Per kept row of a `ViewSpool`, one bit per owner: set when the row's record met that
/// owner's raw requirement. The pass routes each record to the keeper when some owner's
/// requirement holds, so without these every owner was fed every kept row, including those
/// the router would never have given it in a pass of its own (a `tstats` over all process
/// events keeps them all, for every owner).
#[derive(Default)]
struct OwnerMarks {
    /// Words per row.
    words: usize,
    bits: Vec<u64>,
    /// The event serials of the last rows kept (ascending), with their row: a pass feeds its
    /// pipelines a batch of events at a time, the keeper its events before the markers theirs.
    recent: std::collections::VecDeque<(u64, usize)>,
}

impl OwnerMarks {
    fn for_owners(n: usize) -> OwnerMarks {
        OwnerMarks { words: n.div_ceil(64), ..Default::default() }
    }

    /// A row was kept for the current event (`SpoolOp`).
    fn keep(&mut self) {
        let row = self.bits.len().checked_div(self.words).unwrap_or(0);
        self.bits.extend(std::iter::repeat_n(0, self.words));
        if self.recent.len() >= 2 * FEED_BATCH {
            self.recent.pop_front();
        }
        self.recent.push_back((event_serial(), row));
    }

    /// The current event's record met owner `pos`'s requirement (`SpoolMark`): mark its row,
    /// if one was kept.
    fn mark(&mut self, pos: usize) {
        let serial = event_serial();
        let Ok(k) = self.recent.binary_search_by_key(&serial, |&(s, _)| s) else { return };
        let Some(&(_, row)) = self.recent.get(k) else { return };
        if let Some(w) = self.bits.get_mut(row * self.words + pos / 64) {
            *w |= 1 << (pos % 64);
        }
    }

    /// Whether row `row` was marked for owner `pos`; a row without marks (none kept for it)
    /// is fed, as before marks existed.
    fn has(&self, row: usize, pos: usize) -> bool {
        let at = row.checked_mul(self.words).and_then(|r| r.checked_add(pos / 64));
        at.and_then(|at| self.bits.get(at)).is_none_or(|w| w & (1 << (pos % 64)) != 0)
    }
}

impl ViewSpool {
    /// The pipeline that keeps the rows in the first pass.
    fn keeper(&self, ctx: &Context) -> Pipeline {
        let op = SpoolOp {
            view: self.view.clone(),
            fields: self.fields.clone(),
            req: Req::any(self.reqs.clone()),
            rows: self.rows.clone(),
            marks: self.marks.clone(),
            ctx: ctx.clone(),
        };
        Pipeline { ops: vec![Box::new(op)], reads_events: true, max_rows: None, text: None }
    }

    /// One pipeline per owner, routed as the owner would be, marking the row the keeper kept
    /// for the same event. They must come after the keeper in the pass: a pass visits the
    /// pipelines routed to an event in order.
    fn markers(&self) -> Vec<Pipeline> {
        (self.reqs.iter().enumerate())
            .map(|(pos, req)| {
                let op = SpoolMark { pos, req: req.clone(), marks: self.marks.clone() };
                Pipeline { ops: vec![Box::new(op)], reads_events: true, max_rows: None, text: None }
            })
            .collect()
    }

    fn take_rows(&self) -> crate::spill::RowSpool {
        self.rows.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
    }
}

/// Data-model rows hold only the fields the pipelines read of them (`DatasetView::restricted`),
/// unless one may read any: a hunting search reads 5 of Processes' 45 fields and `_raw`, which
/// made most of a row's cost. The subsearches to run with them count too, as they share the
/// rows of the pass. Views restricted once stay so (a nested run sees them restricted); a view
/// left whole for a `where` waiting for a subsearch that reads no events is restricted once
/// that subsearch has run, before the pass.
fn restrict_views(pipelines: &mut [&mut Pipeline]) {
    use std::collections::{HashMap, HashSet};
    fn needs(p: &mut Pipeline, into: &mut HashMap<usize, Option<HashSet<String>>>) {
        for op in p.ops.iter_mut() {
            for (slot, fields) in op.view_fields() {
                let need = into.entry(slot).or_insert_with(|| Some(HashSet::new()));
                match (need.as_mut(), fields) {
                    (Some(set), Some(fields)) => set.extend(fields),
                    _ => *need = None,
                }
            }
            for sub in op.subsearches_mut() {
                needs(sub, into);
            }
        }
    }
    fn apply(p: &mut Pipeline, kept: &HashMap<usize, HashSet<String>>) {
        for op in p.ops.iter_mut() {
            op.restrict_views(kept);
            for sub in op.subsearches_mut() {
                apply(sub, kept);
            }
        }
    }
    let mut all = HashMap::new();
    for p in pipelines.iter_mut() {
        needs(p, &mut all);
    }
    let kept: HashMap<usize, HashSet<String>> = all.into_iter().filter_map(|(slot, f)| Some((slot, f?))).collect();
    if kept.is_empty() {
        return;
    }
    for p in pipelines.iter_mut() {
        apply(p, &kept);
    }
}

/// The spools for the owners (`owns`, not `stopped`) that read events and begin with a
/// `tstats` over one dataset, one per dataset.
fn view_spools(pipelines: &[&mut Pipeline], owns: &[bool], stopped: &[bool], verbatim: &Verbatim) -> Vec<ViewSpool> {
    let mut spools: Vec<ViewSpool> = Vec::new();
    for (pi, p) in pipelines.iter().enumerate() {
        if !owns.get(pi).copied().unwrap_or(false) || stopped.get(pi).copied().unwrap_or(true) || !p.reads_events {
            continue;
        }
        let Some((view, fields)) = p.ops.first().and_then(|op| op.spooled_view()) else { continue };
        let req = p.raw_requirement(verbatim);
        let spool = match spools.iter_mut().position(|s| s.view.slot() == view.slot()) {
            Some(j) => spools.get_mut(j),
            None => {
                spools.push(ViewSpool {
                    view,
                    fields: Vec::new(),
                    reqs: Vec::new(),
                    owners: Vec::new(),
                    rows: Default::default(),
                    marks: Default::default(),
                    failed: false,
                });
                spools.last_mut()
            }
        };
        let Some(spool) = spool else { continue };
        for f in fields {
            if !spool.fields.iter().any(|x| *x == f) {
                spool.fields.push(f.into());
            }
        }
        spool.reqs.push(req);
        spool.owners.push(pi);
    }
    for s in &mut spools {
        s.marks = Arc::new(std::sync::Mutex::new(OwnerMarks::for_owners(s.owners.len())));
    }
    spools
}

/// Keeps a dataset's rows for a `ViewSpool`.
struct SpoolOp {
    view: crate::ops::tstats::DatasetView,
    fields: Vec<crate::event::Name>,
    req: Req,
    rows: Arc<std::sync::Mutex<crate::spill::RowSpool>>,
    marks: Arc<std::sync::Mutex<OwnerMarks>>,
    ctx: Context,
}

impl Operator for SpoolOp {
    fn name(&self) -> &str {
        "spool"
    }

    fn describe(&self) -> String {
        format!("spool: the rows of {} ({} fields) for the second pass", self.view.describe(), self.fields.len())
    }

    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }

    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(row) = self.view.cached_row(ev, &self.ctx)? else { return Ok(()) };
        let mut kept = Event::with_capacity(self.fields.len());
        for f in &self.fields {
            if let Some(v) = row.fields.get(f) {
                kept.fields.insert(f.clone(), v.clone());
            }
        }
        match self.rows.lock() {
            Ok(mut rows) => rows.push(&kept)?,
            Err(_) => return Err(ExecError::new("a data-model row spool was poisoned".to_string())),
        }
        if let Ok(mut m) = self.marks.lock() {
            m.keep();
        }
        Ok(())
    }

    fn accepts(&self, ev: &Event) -> bool {
        self.view.cached_row(ev, &self.ctx).ok().flatten().is_some()
    }

    fn dataset_views(&self) -> Vec<crate::ops::tstats::DatasetView> {
        vec![self.view.clone()]
    }

    fn raw_requirement(&self, _verbatim: &Verbatim) -> Req {
        self.req.clone()
    }
}

/// Marks, for one owner of a `ViewSpool`, the row its keeper kept for this event.
struct SpoolMark {
    pos: usize,
    req: Req,
    marks: Arc<std::sync::Mutex<OwnerMarks>>,
}

impl Operator for SpoolMark {
    fn name(&self) -> &str {
        "spool mark"
    }

    fn describe(&self) -> String {
        format!("spool mark: the rows kept for owner {}", self.pos)
    }

    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }

    fn push_ref(&mut self, _ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Ok(mut m) = self.marks.lock() {
            m.mark(self.pos);
        }
        Ok(())
    }

    fn raw_requirement(&self, _verbatim: &Verbatim) -> Req {
        self.req.clone()
    }
}

/// Packed bytes of events an `EventSpool` keeps at most by default (records the router cannot
/// judge, such as JSON lines, all go to it): past that, reading the input again costs no more
/// than reading them back, and the spill file stays bounded.
const KEPT_EVENTS_MAX: usize = 256 << 20;

/// The events that the owners of subsearches no `ViewSpool` serves may read in the second
/// pass, kept by the first (which routes each record to the keeper when some owner's raw
/// requirement holds): the second pass then reads these instead of the whole input again.
pub struct EventSpool {
    /// Per pipeline of the pass, the raw requirement of an owner it keeps for (else `None`).
    reqs: Vec<Option<Req>>,
    kept: Arc<std::sync::Mutex<KeptEvents>>,
    /// Past this many packed bytes it gives up (`Limits::kept_events_max`).
    max_bytes: usize,
}

#[derive(Default)]
struct KeptEvents {
    keeper: crate::spill::Keeper,
    packer: Packer,
    bytes: usize,
    /// Past its `max_bytes`, or a spill file error: the owners read the input instead.
    given_up: bool,
}

impl EventSpool {
    /// For the owners (`owns`, not `stopped`) that read events and take no `ViewSpool`'s rows;
    /// `None` when there are none, or one of them may want any record (keeping every event
    /// would copy the input).
    fn for_owners(
        pipelines: &[&mut Pipeline],
        owns: &[bool],
        stopped: &[bool],
        spools: &[ViewSpool],
        verbatim: &Verbatim,
        max_bytes: usize,
    ) -> Option<EventSpool> {
        let mut reqs = vec![None; pipelines.len()];
        for (pi, p) in pipelines.iter().enumerate() {
            let owner = owns.get(pi).copied().unwrap_or(false) && !stopped.get(pi).copied().unwrap_or(true);
            if !owner || !p.reads_events || spools.iter().any(|s| s.owners.contains(&pi)) {
                continue;
            }
            let req = p.raw_requirement(verbatim);
            if req == Req::True {
                return None;
            }
            if let Some(slot) = reqs.get_mut(pi) {
                *slot = Some(req);
            }
        }
        reqs.iter().any(Option::is_some).then(|| EventSpool { reqs, kept: Default::default(), max_bytes })
    }

    /// The pipeline that keeps the events in the first pass.
    fn keeper(&self) -> Pipeline {
        let req = Req::any(self.reqs.iter().flatten().cloned().collect());
        let op = EventKeep { req, kept: self.kept.clone(), max_bytes: self.max_bytes };
        Pipeline { ops: vec![Box::new(op)], reads_events: true, max_rows: None, text: None }
    }

    /// The kept events, when every pipeline `live` for the second pass is an owner kept for,
    /// whose requirement now (`all`: a search given its subsearch's terms requires more)
    /// implies the one its events were kept by.
    fn take_if_covers(self, all: &[Req], live: &[bool]) -> Option<crate::spill::Kept> {
        let covered = all
            .iter()
            .zip(live)
            .zip(&self.reqs)
            .all(|((now, live), kept_for)| !*live || kept_for.as_ref().is_some_and(|r| now.implies(r)));
        let mut kept = self.kept.lock().ok()?;
        if !covered || kept.given_up {
            return None;
        }
        std::mem::take(&mut kept.keeper).finish().ok()
    }
}

/// Keeps, packed, the events of the first pass an `EventSpool`'s owners may want.
struct EventKeep {
    req: Req,
    kept: Arc<std::sync::Mutex<KeptEvents>>,
    max_bytes: usize,
}

impl Operator for EventKeep {
    fn name(&self) -> &str {
        "keep events"
    }

    fn describe(&self) -> String {
        "keep events: those the searches with subsearches may read, for the second pass".to_string()
    }

    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }

    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Ok(mut kept) = self.kept.lock() else { return Ok(()) };
        if kept.given_up {
            return Ok(());
        }
        let p = kept.packer.pack(ev);
        kept.bytes += p.heap_bytes();
        if kept.bytes > self.max_bytes || kept.keeper.push(p).is_err() {
            // Given up: what was kept is dropped (its spill file deleted) and the owners read
            // the input again, as they did before events were kept.
            *kept = KeptEvents { given_up: true, ..Default::default() };
        }
        Ok(())
    }

    fn exhausted(&self) -> bool {
        self.kept.lock().map_or(true, |k| k.given_up)
    }

    fn raw_requirement(&self, _verbatim: &Verbatim) -> Req {
        self.req.clone()
    }
}

/// An aggregation whose pushed-down filters end in a join (see `pushdown`) gets the right-side
/// rows of that join: the first join after it in the pipeline.
fn give_pushed_joins_their_rows(ops: &mut [Box<dyn Operator>]) {
    for k in 0..ops.len() {
        let waiting = ops
            .get_mut(k)
            .and_then(|op| op.grouper_mut())
            .and_then(|g| g.gate.as_ref())
            .is_some_and(|g| g.awaits_join_rows());
        if !waiting {
            continue;
        }
        let side = ops.get(k + 1..).and_then(|rest| rest.iter().find_map(|op| op.join_side()));
        if let (Some(side), Some(gate)) =
            (side, ops.get_mut(k).and_then(|op| op.grouper_mut()).and_then(|g| g.gate.as_mut()))
        {
            gate.give_join_side(side);
        }
    }
}

thread_local! {
    /// The current event's serial.
    static EVENT_SERIAL: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The last serial handed out: a batch's events are made current again out of order, and
    /// a new event must never take a serial an earlier one had (rows cached under it would be
    /// taken for its own).
    static SERIALS_GIVEN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A number that changes with every event a scan hands out: lets operators of different
/// pipelines share work done on the same event (tstats data-model rows).
pub fn event_serial() -> u64 {
    EVENT_SERIAL.with(|s| s.get())
}

pub(crate) fn next_event_serial() {
    let next = SERIALS_GIVEN.with(|g| {
        g.set(g.get().wrapping_add(1));
        g.get()
    });
    EVENT_SERIAL.with(|s| s.set(next));
}

/// Make `serial` the current event's again (a batch's events are fed pipeline by pipeline).
fn set_event_serial(serial: u64) {
    EVENT_SERIAL.with(|s| s.set(serial));
}

/// Events a pass hands to its pipelines a batch at a time, each pipeline taking in turn all the
/// events of the batch it wants: its plan, matchers and caches then stay warm from one event to
/// the next. Fed event by event through the ~20 pipelines each wants, a pack's searches took
/// about three times as long per event as the same search alone.
const FEED_BATCH: usize = 128;

/// An event of a batch, with its serial and what the router said of it.
struct Pending {
    ev: Event,
    serial: u64,
    wanted: Option<Vec<usize>>,
    rows: Option<crate::ops::tstats::GivenRows>,
}

/// Offer a shared event by reference to the filters that lead the chain and to the operator
/// after them, then feed what that one emits on.
pub(crate) fn feed_shared(
    ops: &mut [Box<dyn Operator>],
    ev: &Event,
    sink: &mut dyn FnMut(Event) -> Result<Flow, ExecError>,
) -> Result<Flow, ExecError> {
    let mut k = 0;
    loop {
        let Some(op) = ops.get_mut(k) else {
            return sink(ev.clone());
        };
        if op.exhausted() {
            return Ok(Flow::Continue);
        }
        match op.keeps(ev) {
            None => break,
            Some(Ok(true)) => k += 1,
            Some(Ok(false)) => return Ok(Flow::Continue),
            Some(Err(e)) => return Err(e),
        }
    }
    let Some((op, rest)) = ops.get_mut(k..).and_then(|s| s.split_first_mut()) else {
        return sink(ev.clone());
    };
    let mut out = Vec::new();
    op.push_ref(ev, &mut out)?;
    for e in out {
        if feed_rest(rest, e, sink)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

/// Push one event into operator `idx` and everything it emits further down the chain.
pub fn feed(
    ops: &mut [Box<dyn Operator>],
    idx: usize,
    ev: Event,
    sink: &mut dyn FnMut(Event) -> Result<Flow, ExecError>,
) -> Result<Flow, ExecError> {
    let Some((op, rest)) = ops.get_mut(idx..).and_then(|s| s.split_first_mut()) else {
        return sink(ev);
    };
    if op.exhausted() {
        return Ok(Flow::Continue);
    }
    let mut out = Vec::new();
    op.push(ev, &mut out)?;
    for e in out {
        if feed_rest(rest, e, sink)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

fn feed_rest(
    rest: &mut [Box<dyn Operator>],
    ev: Event,
    sink: &mut dyn FnMut(Event) -> Result<Flow, ExecError>,
) -> Result<Flow, ExecError> {
    if rest.is_empty() {
        sink(ev)
    } else {
        feed(rest, 0, ev, sink)
    }
}

/// End of input: finish each operator in order, feeding what it emits to the ones after it.
/// Returns how many rows the first operator to emit any at the end emitted (what the first
/// aggregation held).
pub fn finish(
    ops: &mut [Box<dyn Operator>],
    sink: &mut dyn FnMut(Event) -> Result<Flow, ExecError>,
) -> Result<usize, ExecError> {
    let mut first = 0;
    for i in 0..ops.len() {
        let Some((op, rest)) = ops.get_mut(i..).and_then(|s| s.split_first_mut()) else { break };
        let (mut n, mut stopped) = (0, false);
        op.finish_each(&mut |e| {
            n += 1;
            let flow = feed_rest(rest, e, sink)?;
            stopped = flow == Flow::Stop;
            Ok(flow)
        })?;
        if first == 0 {
            first = n;
        }
        if stopped {
            return Ok(first);
        }
    }
    Ok(first)
}

/// `finish` of an operator that emits through `finish_each` (its rows, collected).
pub(crate) fn finish_through_each(op: &mut dyn Operator, out: &mut Vec<Event>) -> Result<(), ExecError> {
    op.finish_each(&mut |ev| {
        out.push(ev);
        Ok(Flow::Continue)
    })
}

/// Push every row through one operator, then finish it: what an operator's unit tests run.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn run_op(op: &mut dyn Operator, rows: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    for r in rows {
        op.push(r, &mut out).unwrap();
    }
    op.finish(&mut out).unwrap();
    out
}

/// Plan `spl` and run it over `events`: what tests of a command's planned form run.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn run_spl(spl: &str, events: Vec<Event>) -> Vec<Event> {
    let ctx = Context::new(Default::default(), 0.0);
    let mut p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
    let src = VecSource(events);
    Runtime { source: &src, ctx: &ctx }.collect(&mut p).unwrap()
}

/// The planner's error for `spl` and the text its span points at; `None` when it plans.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn plan_error_at(spl: &str) -> Option<(String, String)> {
    let ctx = Context::new(Default::default(), 0.0);
    match crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx) {
        Ok(_) => None,
        Err(crate::plan::PlanError::Invalid { message, span }) => {
            Some((message, spl.get(span.start..span.end).unwrap_or("").to_string()))
        }
        Err(e) => Some((e.to_string(), String::new())),
    }
}

/// An in-memory source (tests, subsearch results, `map`).
pub struct VecSource(pub Vec<Event>);

impl EventSource for VecSource {
    fn scan(&self, f: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        for ev in &self.0 {
            if f(ev.clone())? == Flow::Stop {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source that counts how often it is scanned.
    struct Counting(VecSource, AtomicUsize);

    impl EventSource for Counting {
        fn scan(&self, f: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.scan(f)
        }
    }

    fn run(spl: &str, events: Vec<Event>) -> (Vec<Event>, usize) {
        let ctx = Context::new(Default::default(), 0.0);
        let ast = spl_parser::parse_pipeline(spl).expect("parses");
        let mut p = crate::plan::plan(&ast, spl, &ctx).expect("plans");
        let src = Counting(VecSource(events), AtomicUsize::new(0));
        let rt = Runtime { source: &src, ctx: &ctx };
        let rows = rt.collect(&mut p).expect("runs");
        (rows, src.1.load(Ordering::SeqCst))
    }

    #[test]
    fn a_time_range_keeps_earliest_and_drops_latest_and_timeless_events_when_bounded() {
        // Splunk's time picker: earliest <= _time < latest.
        let r = TimeRange { earliest: Some(10.0), latest: Some(20.0) };
        assert!(r.admits(Some(10.0)) && r.admits(Some(19.999)));
        assert!(!r.admits(Some(9.999)) && !r.admits(Some(20.0)));
        // Our choice: nothing places an event without a time inside a bounded range.
        assert!(!r.admits(None));
        assert!(!TimeRange { earliest: None, latest: Some(20.0) }.admits(None));
        assert!(TimeRange { earliest: Some(10.0), latest: None }.admits(Some(1e12)));
        // All time keeps every event.
        assert!(TimeRange::default().admits(None) && TimeRange::default().is_all_time());
    }

    #[test]
    fn an_event_made_current_again_does_not_make_the_next_serial_an_old_one() {
        next_event_serial();
        let first = event_serial();
        next_event_serial();
        next_event_serial();
        let third = event_serial();
        set_event_serial(first);
        assert_eq!(event_serial(), first);
        next_event_serial();
        assert!(event_serial() > third, "{} after {third}", event_serial());
    }

    #[test]
    fn owner_marks_say_which_owners_a_kept_row_is_for_past_one_word() {
        // 70 owners: two words per row. A batch's events reach the keeper first, then each
        // marker: rows for events A and B are kept, then owners 3 and 69 mark A's row, 69 B's.
        let shared = Arc::new(std::sync::Mutex::new(OwnerMarks::for_owners(70)));
        let mut marks: Vec<SpoolMark> =
            [3, 69, 5].into_iter().map(|pos| SpoolMark { pos, req: Req::True, marks: shared.clone() }).collect();
        let mut serials = Vec::new();
        for _ in 0..2 {
            next_event_serial();
            serials.push(event_serial());
            shared.lock().unwrap().keep();
        }
        let mut out = Vec::new();
        for (serial, owners) in [(serials[0], vec![0, 1]), (serials[1], vec![1])] {
            set_event_serial(serial);
            for o in owners {
                marks[o].push_ref(&Event::new(), &mut out).unwrap();
            }
        }
        // A marker for an event no row was kept for marks nothing.
        next_event_serial();
        marks[2].push_ref(&Event::new(), &mut out).unwrap();
        let m = shared.lock().unwrap();
        let owners = |row: usize| (0..70).filter(|&p| m.has(row, p)).collect::<Vec<_>>();
        assert_eq!(owners(0), [3, 69]);
        assert_eq!(owners(1), [69]);
        assert!(m.has(2, 0), "a row without marks is fed to every owner");
    }

    #[test]
    fn filters_pushed_below_stats_give_the_rows_of_the_unpushed_search() {
        let mut events = Vec::new();
        for (a, b, n) in [("x", "1", 3), ("X", "2", 1), ("y", "1", 2), ("x", "1", 1), ("z", "3", 4)] {
            for _ in 0..n {
                events.push(Event::from_pairs(&[("a", a), ("b", b)]));
            }
        }
        let mut mv = Event::from_pairs(&[("a", "x"), ("b", "9")]);
        mv.push("a", "y".into());
        events.push(mv);
        let tail = "| eval u=upper(a) | search u=X | where count > 1 | rename b AS bb | search bb!=3";
        // `fields *` after stats ends the row-local prefix: nothing is pushed there.
        let (pushed, _) = run(&format!("search * | stats count by a, b {tail}"), events.clone());
        let (plain, _) = run(&format!("search * | stats count by a, b | fields * {tail}"), events);
        assert!(!pushed.is_empty());
        assert_eq!(pushed, plain);
        let ctx = Context::new(Default::default(), 0.0);
        let spl = format!("search * | stats count by a, b {tail}");
        let plan = crate::plan::plan(&spl_parser::parse_pipeline(&spl).unwrap(), &spl, &ctx).unwrap();
        let described = plan.ops.iter().map(|o| o.describe()).collect::<Vec<_>>().join("\n");
        assert!(
            described.contains("groups pass `eval u=upper(a) | search u=X | rename b AS bb | search bb!=3` first"),
            "{described}"
        );
    }

    #[test]
    fn a_failing_filter_pushed_below_stats_fails_the_search_as_the_unpushed_one_does() {
        // Row (x, "?") makes `match` fail; the later `search a=y` would drop it. The search
        // must fail pushed or not: the pipeline meets the error before the drop.
        let events: Vec<Event> =
            [("x", "?"), ("y", "y")].iter().map(|(a, b)| Event::from_pairs(&[("a", a), ("b", b)])).collect();
        let tail = "| where match(a, b) | search a=y";
        let ctx = Context::new(Default::default(), 0.0);
        let outcome = |spl: &str| {
            let ast = spl_parser::parse_pipeline(spl).expect("parses");
            let mut p = crate::plan::plan(&ast, spl, &ctx).expect("plans");
            let src = VecSource(events.clone());
            Runtime { source: &src, ctx: &ctx }.collect(&mut p).map_err(|e| e.message)
        };
        let pushed = outcome(&format!("search * | stats count by a, b {tail}"));
        let plain = outcome(&format!("search * | stats count by a, b | fields * {tail}"));
        assert!(pushed.as_ref().is_err_and(|m| m.contains("invalid regex")), "{pushed:?}");
        assert_eq!(pushed, plain);
    }

    #[test]
    fn an_inner_join_pushed_below_stats_gives_the_rows_of_the_unpushed_search() {
        let mut events = Vec::new();
        for (a, b) in [("x", "1"), ("y", "1"), ("y", "2"), ("z", "3"), ("X", "4"), ("w", "5")] {
            events.push(Event::from_pairs(&[("a", a), ("b", b)]));
        }
        for join in ["join a", "join max=0 a", "join a, bb"] {
            let tail =
                format!("| rename b AS bb | {join} [search a=x OR a=y OR b=3 | eval bb=b | stats count AS c by a, bb]");
            let (pushed, _) = run(&format!("search * | stats count by a, b {tail}"), events.clone());
            let (plain, _) = run(&format!("search * | stats count by a, b | fields * {tail}"), events.clone());
            assert!(!pushed.is_empty(), "{join}");
            assert_eq!(pushed, plain, "{join}");
            let spl = format!("search * | stats count by a, b {tail}");
            let ctx = Context::new(Default::default(), 0.0);
            let plan = crate::plan::plan(&spl_parser::parse_pipeline(&spl).unwrap(), &spl, &ctx).unwrap();
            let described = plan.ops.iter().map(|o| o.describe()).collect::<Vec<_>>().join("\n");
            assert!(described.contains(&format!("groups pass `rename b AS bb | {join} [")), "{described}");
        }
    }

    #[test]
    fn pipelines_finished_on_all_cores_give_their_rows_in_pipeline_order() {
        let ctx = Context::new(Default::default(), 0.0);
        let events: Vec<Event> = (0..3000)
            .map(|i| Event::from_pairs(&[("g", &format!("v{:04}", i % 1500)), ("n", &i.to_string())]))
            .collect();
        let spls = [
            "search g=* | stats count, sum(n) AS s by g",
            "search g=* | stats dc(g) AS d",
            "search g=v00* | eval h=g | stats values(n) AS ns by h | eval x=mvcount(ns)",
            "search nothing=here | stats count by g",
            "search g=* | stats count by g | sort - g | head 5",
            // Subsearch rows come back packed and are joined from that form.
            "search g=v00* | join type=left g [search g=v000* | stats count AS c, values(n) AS ns by g] | stats count by g, c, ns",
            // `map` gathers the events it re-searches in the subsearch pass too.
            "search g=v000* | stats count by g | map maxsearches=5 search=\"search g=$g$\" | stats count AS m by g",
            // A twin of pipeline 5's subsearch: run once, its rows given to both.
            "search g=v00* | join type=left g [search g=v000* | stats count AS c, values(n) AS ns by g] | stats count by g, c, ns",
            // A `map` inside `appendpipe` gathers in the subsearch pass too (pipeline 6's twin).
            "search g=v000* | stats count by g | appendpipe [map maxsearches=5 search=\"search g=$g$\" | stats count AS m by g]",
        ];
        let plan = |spl: &str| crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let src = VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        // Each alone (a serial finish), then all in one pass (finished in parallel).
        let alone: Vec<Vec<Event>> = spls.iter().map(|s| rt.collect(&mut plan(s)).unwrap()).collect();
        let mut plans: Vec<Pipeline> = spls.iter().map(|s| plan(s)).collect();
        plans[4].max_rows = Some(3);
        let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
        let mut got: Vec<(usize, Event)> = Vec::new();
        let errors = rt
            .run_many(&mut refs, &mut |i, row| {
                got.push((i, row.into_event()));
                // The sink may stop a pipeline: the rows after that are not given.
                Ok(if i == 1 { Flow::Stop } else { Flow::Continue })
            })
            .unwrap();
        assert!(errors.iter().all(Option::is_none));
        let order: Vec<usize> = got.iter().map(|(i, _)| *i).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "rows come pipeline by pipeline");
        for (i, want) in alone.iter().enumerate() {
            let mine: Vec<&Event> = got.iter().filter(|(p, _)| *p == i).map(|(_, e)| e).collect();
            let want: Vec<&Event> = want.iter().take(if i == 4 { 3 } else { usize::MAX }).collect();
            assert_eq!(mine, want, "pipeline {i}");
        }
        assert_eq!(got.iter().filter(|(i, _)| *i == 0).count(), 1500);
        // Ten groups joined, each with two values of `ns` (a row each).
        assert_eq!(got.iter().filter(|(i, _)| *i == 5).count(), 20);
        let mapped: Vec<String> =
            got.iter().filter(|(i, _)| *i == 6).map(|(_, e)| e.get_str("m").unwrap().into_owned()).collect();
        assert_eq!(mapped, ["2"; 5], "five searches, each finding its value's two events");
        assert_eq!(got.iter().filter(|(i, _)| *i == 7).count(), 20);
        // Ten groups, then the five `map` rows appended.
        assert_eq!(got.iter().filter(|(i, _)| *i == 8).count(), 15);
        let join = plan(spls[7]);
        let sub = join.ops.iter().flat_map(|op| op.children()).map(|(_, p)| p.text.clone()).next().flatten();
        assert_eq!(sub.as_deref(), Some("search g=v000* | stats count AS c, values(n) AS ns by g"));
    }

    #[test]
    fn data_model_rows_hold_the_fields_the_pass_reads_and_give_the_rows_of_whole_ones() {
        let files = [(
            "m/datamodels/e.yml",
            "name: E\ndatasets:\n  - name: P\n    parent: null\n    constraint: 'k=p'\n    fields: [a, b, c]\n    eval:\n      c: 'if(isnull(c), \"none\", c)'\n",
        )];
        let files = files
            .iter()
            .map(|(path, text)| crate::content::ContentFile { path: (*path).into(), text: (*text).into() })
            .collect();
        let mut content = crate::content::Content::default();
        content.load_files(std::path::Path::new("m"), files).unwrap();
        let ctx = Context::new(Arc::new(content), 0.0);
        let events: Vec<Event> = (0..200)
            .map(|i| {
                let mut e =
                    Event::from_pairs(&[("k", if i % 5 == 0 { "q" } else { "p" }), ("a", &format!("a{}", i % 3))]);
                e.set("_time", f64::from(i));
                if i % 2 == 0 {
                    e.set("b", format!("b{}", i % 4));
                }
                if i % 7 == 0 {
                    e.set("c", "seven");
                }
                e
            })
            .collect();
        let plan = |spl: &str| crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let src = VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        let spls = [
            "| tstats count from datamodel=E.P by P.a",
            "| tstats count min(_time) as t from datamodel=E.P where P.c=none by P.b",
            "| tstats values(P.c) as c from datamodel=E.P by P.a, P.b",
            // Its `where` is known once its subsearch (which reads no events) has run.
            "| tstats count from datamodel=E.P where [| makeresults | eval P.a=\"a1\" | table P.a] by P.b",
        ];
        let slots = |plans: &mut Vec<Pipeline>| -> Vec<usize> {
            let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
            restrict_views(&mut refs);
            plans.iter().flat_map(|p| p.ops.iter().flat_map(|op| op.dataset_views())).map(|v| v.slot()).collect()
        };
        // Together, one restricted row per event serves all three; alone, each its own.
        let whole = plan(spls[0]).ops.iter().flat_map(|op| op.dataset_views()).map(|v| v.slot()).next().unwrap();
        let mut together: Vec<Pipeline> = spls.iter().take(3).map(|s| plan(s)).collect();
        let shared = slots(&mut together);
        assert!(shared.windows(2).all(|w| w[0] == w[1]) && shared[0] != whole, "{shared:?} vs {whole}");
        let alone: Vec<usize> = spls.iter().take(3).flat_map(|s| slots(&mut vec![plan(s)])).collect();
        assert!(alone[0] != alone[1] && alone[1] != alone[2] && alone[0] != shared[0]);
        // A search reading rows whole keeps them whole for all.
        let mut with_whole: Vec<Pipeline> =
            spls.iter().take(3).map(|s| plan(s)).chain([plan("| datamodel E P search | stats count by P.a")]).collect();
        assert!(slots(&mut with_whole).iter().all(|s| *s == whole));
        // The rows are those of whole data-model rows (run beside the `datamodel` search),
        // alone and together.
        let want: Vec<Vec<Event>> = spls
            .iter()
            .map(|s| {
                let mut plans = [plan(s), plan("| datamodel E P search | stats count by P.a")];
                let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
                let mut rows = Vec::new();
                rt.run_many(&mut refs, &mut |i, row| {
                    if i == 0 {
                        rows.push(row.into_event());
                    }
                    Ok(Flow::Continue)
                })
                .unwrap();
                rows
            })
            .collect();
        assert_eq!(want[0].len(), 3);
        assert!(want[1].len() > 1 && !want[3].is_empty(), "{want:?}");
        let mut plans: Vec<Pipeline> = spls.iter().map(|s| plan(s)).collect();
        let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
        let mut got: Vec<Vec<Event>> = vec![Vec::new(); spls.len()];
        rt.run_many(&mut refs, &mut |i, row| {
            got[i].push(row.into_event());
            Ok(Flow::Continue)
        })
        .unwrap();
        // All four read one restricted row per event, the fourth's fields joining once known.
        let read: Vec<usize> =
            plans.iter().flat_map(|p| p.ops.iter().flat_map(|op| op.dataset_views())).map(|v| v.slot()).collect();
        assert!(read.windows(2).all(|w| w[0] == w[1]) && read[0] != whole, "{read:?}");
        for (i, s) in spls.iter().enumerate() {
            assert_eq!(got[i], want[i], "{s} together");
            assert_eq!(rt.collect(&mut plan(s)).unwrap(), want[i], "{s} alone");
        }
    }

    #[test]
    fn shared_events_pass_leading_filters_by_reference_and_give_the_rows_of_each_pipeline_alone() {
        let ctx = Context::new(Default::default(), 0.0);
        let events: Vec<Event> =
            (0..200).map(|i| Event::from_pairs(&[("g", &format!("v{}", i % 7)), ("n", &i.to_string())])).collect();
        let spls = [
            "search g=v1 OR g=v2 | where n > 50 | search n!=60 | stats count, values(n) AS ns by g",
            "search * | where n < 20 | search g=v3",
            "search g=v4 | where n > 100 | eval m=n*2 | table g m",
            "search g=* | where n >= 190 | head 3",
            "search g=none | where n > 1 | stats count",
            "search * | where n > 150 | where g=\"v5\" | search n=1*",
        ];
        let plan = |spl: &str| crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx);
        let src = VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        let alone: Vec<Result<Vec<Event>, String>> = spls
            .iter()
            .map(|s| match plan(s) {
                Ok(mut p) => rt.collect(&mut p).map_err(|e| e.message),
                Err(e) => Err(e.to_string()),
            })
            .collect();
        let mut plans: Vec<Pipeline> = spls.iter().filter_map(|s| plan(s).ok()).collect();
        assert_eq!(plans.len(), spls.len(), "every pipeline plans");
        let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
        let mut got: Vec<(usize, Event)> = Vec::new();
        let errors = rt
            .run_many(&mut refs, &mut |i, row| {
                got.push((i, row.into_event()));
                Ok(Flow::Continue)
            })
            .unwrap();
        for (i, want) in alone.iter().enumerate() {
            let mine: Vec<Event> = got.iter().filter(|(p, _)| *p == i).map(|(_, e)| e.clone()).collect();
            match (want, &errors[i]) {
                (Ok(rows), None) => assert_eq!(&mine, rows, "pipeline {i}"),
                (Err(alone), Some(e)) => assert_eq!(alone, &e.message, "pipeline {i}"),
                (want, got) => panic!("pipeline {i}: alone {want:?}, together {got:?}"),
            }
        }
        assert_eq!(got.iter().filter(|(i, _)| *i == 0).count(), 2);
        assert_eq!(got.iter().filter(|(i, _)| *i == 1).count(), 3);
        assert_eq!(got.iter().filter(|(i, _)| *i == 4).count(), 1, "stats count gives its row of 0");
        assert_eq!(got.iter().filter(|(i, _)| *i == 5).count(), 7);
    }

    #[test]
    fn the_profile_counts_the_rows_each_pipelines_subsearches_gave() {
        let ctx = Context::new(Default::default(), 0.0);
        let events: Vec<Event> = (0..10).map(|i| Event::from_pairs(&[("g", &format!("v{}", i % 4))])).collect();
        let spls = ["search g=* | join g [search g=v1 OR g=v2 | stats count by g]", "search g=* | stats count by g"];
        let mut plans: Vec<Pipeline> =
            spls.iter().map(|s| crate::plan::plan(&spl_parser::parse_pipeline(s).unwrap(), s, &ctx).unwrap()).collect();
        let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
        let src = VecSource(events);
        let mut costs = vec![PipeCost::default(); 2];
        Runtime { source: &src, ctx: &ctx }
            .run_many_profiled(&mut refs, &mut |_, _| Ok(Flow::Continue), Some(&mut costs))
            .unwrap();
        assert_eq!((costs[0].sub_rows, costs[0].held), (2, 0));
        assert_eq!((costs[1].sub_rows, costs[1].held), (0, 4));
    }

    #[test]
    fn a_pipeline_with_an_output_limit_stops_and_keeps_its_first_rows() {
        // The `g` of the rows `spl` gives when it may give 3.
        let first_three = |spl: &str, events: &[Event]| -> Vec<String> {
            let ctx = Context::new(Default::default(), 0.0);
            let mut p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
            p.max_rows = Some(3);
            let src = VecSource(events.to_vec());
            let rows = Runtime { source: &src, ctx: &ctx }.collect(&mut p).unwrap();
            rows.iter().map(|r| r.get_str("g").unwrap().into_owned()).collect()
        };
        let events: Vec<Event> = (0..10).map(|i| Event::from_pairs(&[("g", &format!("v{i}"))])).collect();
        assert_eq!(first_three("search g=*", &events), ["v0", "v1", "v2"]);
        assert_eq!(first_three("search g=* | stats count by g | sort - g", &events), ["v9", "v8", "v7"]);
        // Past 1,000 groups the aggregation keeps only the smallest keys, unless a command after
        // it may drop rows: then the first rows can come from anywhere.
        let mut many: Vec<Event> = (0..2000).map(|i| Event::from_pairs(&[("g", &format!("v{i:04}"))])).collect();
        many.extend((1990..2000).map(|i| Event::from_pairs(&[("g", &format!("v{i:04}"))])));
        assert_eq!(
            first_three("search g=* | stats count by g | eval x=1 | rename count AS n", &many),
            ["v0000", "v0001", "v0002"]
        );
        assert_eq!(first_three("search g=* | stats count by g | where count > 1", &many), ["v1990", "v1991", "v1992"]);
        // A join's subsearch keeps `maxout` rows.
        let (rows, _) =
            run("search g=* | join type=left maxout=2 g [search g=* | eval hit=1] | stats count(hit) AS hits", events);
        assert_eq!(rows[0].get_str("hits").as_deref(), Some("2"));
    }

    #[test]
    fn a_search_subsearch_gives_its_first_maxout_rows_limits_conf_subsearch_maxout() {
        // limits.conf [subsearch] maxout (10,000 by default): the expression is built from the
        // subsearch's first rows only; past 1,000 groups its stats keeps only the smallest keys.
        let mut events: Vec<Event> = (0..2000).map(|i| Event::from_pairs(&[("g", &format!("v{i:04}"))])).collect();
        events.push(Event::from_pairs(&[("g", "v0001")]));
        let mut ctx = Context::new(Default::default(), 0.0);
        ctx.limits.subsearch_maxout = 2;
        let spl = "search [search g=* | stats count by g | fields g] | stats count by g";
        let mut p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let src = VecSource(events);
        let rows = Runtime { source: &src, ctx: &ctx }.collect(&mut p).unwrap();
        let got: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.get_str("g").unwrap().into_owned(), r.get_str("count").unwrap().into_owned()))
            .collect();
        assert_eq!(got, [("v0000".to_string(), "1".to_string()), ("v0001".to_string(), "2".to_string())]);
    }

    #[test]
    fn pipelines_owning_no_subsearch_run_in_the_subsearch_pass_with_the_rows_they_give_alone() {
        // A source that records, per scan, how many events the pass took.
        struct Passes(VecSource, std::sync::Mutex<Vec<usize>>);
        impl EventSource for Passes {
            fn scan(&self, f: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
                let mut n = 0;
                let r = self.0.scan(&mut |ev| {
                    n += 1;
                    f(ev)
                });
                self.1.lock().unwrap().push(n);
                r
            }
        }
        let ctx = Context::new(Default::default(), 0.0);
        let events: Vec<Event> = (0..12).map(|i| Event::from_pairs(&[("g", &format!("v{}", i % 4))])).collect();
        let plan = |s: &str| crate::plan::plan(&spl_parser::parse_pipeline(s).unwrap(), s, &ctx).unwrap();
        // The rows of each pipeline run together, and the events each scan handed out.
        let together = |spls: &[&str]| {
            let mut plans: Vec<Pipeline> = spls.iter().map(|s| plan(s)).collect();
            let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
            let src = Passes(VecSource(events.clone()), Default::default());
            let mut rows: Vec<Vec<Event>> = vec![Vec::new(); spls.len()];
            let errors = Runtime { source: &src, ctx: &ctx }
                .run_many(&mut refs, &mut |i, row| {
                    rows[i].push(row.into_event());
                    Ok(Flow::Continue)
                })
                .unwrap();
            assert!(errors.iter().all(Option::is_none));
            let scans = src.1.lock().unwrap().clone();
            (rows, scans)
        };
        let alone = |spls: &[&str]| -> Vec<Vec<Event>> {
            spls.iter()
                .map(|s| Runtime { source: &VecSource(events.clone()), ctx: &ctx }.collect(&mut plan(s)).unwrap())
                .collect()
        };
        let mut spls = [
            "search g=* | stats count by g",
            "search g=* | join g [search g=v1 OR g=v2 | stats count AS c by g] | stats count by g",
            "search g=v3 | head 2",
            "search g=* | stats dc(g) AS n",
        ];
        let (rows, scans) = together(&spls);
        assert_eq!(rows, alone(&spls));
        assert_eq!(rows[1].len(), 2, "the join keeps v1 and v2");
        assert_eq!(scans, vec![12, 12], "the join's search reads the input after its subsearch");
        // An inner join whose subsearch gave nothing reads no events: the riders were done in
        // the subsearch pass, so no second pass is made.
        spls[1] = "search g=* | join g [search g=zzz] | stats count by g";
        let (rows, scans) = together(&spls);
        assert_eq!(rows, alone(&spls));
        assert_eq!(scans, vec![12]);
    }

    #[test]
    fn the_second_pass_reads_the_events_the_first_kept_for_its_searches_not_the_input() {
        struct Scans(VecSource, std::sync::Mutex<usize>);
        impl EventSource for Scans {
            fn scan(&self, f: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
                *self.1.lock().unwrap() += 1;
                self.0.scan(f)
            }
        }
        let ctx = Context::new(Default::default(), 0.0);
        let xml = |i: usize| {
            // Literals of three characters or more are searched for in raw records.
            let g = format!("val{}", i % 4);
            Event::from_pairs(&[("_raw", format!("<Event><Data Name='g'>{g}</Data></Event>").as_str()), ("g", &g)])
        };
        let together_in = |ctx: &Context, spls: &[&str], events: &[Event]| {
            let plan = |s: &str| crate::plan::plan(&spl_parser::parse_pipeline(s).unwrap(), s, ctx).unwrap();
            let mut plans: Vec<Pipeline> = spls.iter().map(|s| plan(s)).collect();
            let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
            let src = Scans(VecSource(events.to_vec()), Default::default());
            let mut rows: Vec<Vec<Event>> = vec![Vec::new(); spls.len()];
            let mut costs = vec![PipeCost::default(); spls.len()];
            let errors = Runtime { source: &src, ctx }
                .run_many_profiled(
                    &mut refs,
                    &mut |i, row| {
                        rows[i].push(row.into_event());
                        Ok(Flow::Continue)
                    },
                    Some(&mut costs),
                )
                .unwrap();
            assert!(errors.iter().all(Option::is_none));
            let alone: Vec<Vec<Event>> = spls
                .iter()
                .map(|s| Runtime { source: &VecSource(events.to_vec()), ctx }.collect(&mut plan(s)).unwrap())
                .collect();
            assert_eq!(rows, alone, "{spls:?}");
            assert!(rows.iter().all(|r| !r.is_empty()), "every search gives rows: {rows:?}");
            let scans = *src.1.lock().unwrap();
            (scans, costs.iter().map(|c| c.from_kept_events).collect::<Vec<bool>>())
        };
        let together = |spls: &[&str], events: &[Event]| together_in(&ctx, spls, events);
        let events: Vec<Event> = (0..12).map(xml).collect();
        let join = "search g=val1 | join g [search g=val1 OR g=val2 | stats count AS c by g] | stats count by g";
        let spls = ["search g=* | stats count by g", join];
        assert_eq!(together(&spls, &events), (1, vec![false, true]), "the join's events were kept");
        // An owner that may want any record: keeping every event would copy the input.
        let any = "search g=* | join g [search g=val2 | stats count AS c by g] | stats count by g";
        assert_eq!(together(&[spls[0], join, any], &events), (2, vec![false, false, false]));
        // Past the bytes it may keep, the keeper gives up and the input is read again.
        let mut small = Context::new(Default::default(), 0.0);
        small.limits.kept_events_max = 100;
        assert_eq!(together_in(&small, &spls, &events), (2, vec![false, false]));
        // Records the router cannot judge (not XML) go to every search, the keeper too: a
        // second read would hand them all out again.
        let plain: Vec<Event> = (0..12).map(|i| Event::from_pairs(&[("g", &format!("val{}", i % 4))])).collect();
        assert_eq!(together(&spls, &plain), (1, vec![false, true]));
    }

    #[test]
    fn an_inner_join_with_an_empty_subsearch_skips_the_main_scan_but_later_commands_still_finish() {
        let events = vec![Event::from_pairs(&[("g", "a")]), Event::from_pairs(&[("g", "b")])];
        let (rows, scans) = run("search g=* | join g [search g=zzz] | stats count", events.clone());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get_str("count").as_deref(), Some("0"));
        assert_eq!(scans, 1, "only the subsearch read the input");
        // A left join keeps the main rows, so the main scan still runs.
        let (rows, scans) = run("search g=* | join type=left g [search g=zzz] | stats count", events.clone());
        assert_eq!(rows[0].get_str("count").as_deref(), Some("2"));
        assert_eq!(scans, 2);
        let (rows, _) = run("search g=* | join g [search g=a] | stats count", events);
        assert_eq!(rows[0].get_str("count").as_deref(), Some("1"));
    }
}
