//! `stats`, `eventstats`, `streamstats`.

use std::collections::{HashMap, VecDeque};

use crate::event::Event;
use crate::exec::{Context, ExecError, Flow, Operator};
use crate::spill::RowSpool;
use crate::stats::{Acc, AggSpec, Grouper};
use crate::value::Atom;

pub fn describe_aggs(aggs: &[AggSpec], by: &[String]) -> String {
    let a: Vec<String> = aggs
        .iter()
        .map(|s| {
            let input = match &s.input {
                crate::stats::AggInput::Events => String::new(),
                crate::stats::AggInput::Field(f) => f.clone(),
                crate::stats::AggInput::Eval(_) => "eval(..)".into(),
                crate::stats::AggInput::Wild(p) => p.text.clone(),
            };
            match &s.func {
                crate::stats::AggFunc::Sparkline(f) => {
                    let inner = format!("{:?}", f.func).to_lowercase();
                    format!("sparkline({inner}({input}), {}) AS {}", f.describe_span(), s.out)
                }
                func => format!("{}({input}) AS {}", format!("{func:?}").to_lowercase(), s.out),
            }
        })
        .collect();
    if by.is_empty() {
        a.join(", ")
    } else {
        format!("{} BY {}", a.join(", "), by.join(", "))
    }
}

/// `stats aggs [by fields]`: a transforming command; rows come out at the end.
pub struct StatsOp {
    pub grouper: Grouper,
    pub ctx: Context,
}

impl Operator for StatsOp {
    fn name(&self) -> &str {
        "stats"
    }
    fn describe(&self) -> String {
        format!("stats {}{}", describe_aggs(&self.grouper.aggs, &self.grouper.by), self.grouper.describe_gate())
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.grouper.add(&ev, &self.ctx.fns)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.grouper.add(ev, &self.ctx.fns)
    }
    fn grouper_mut(&mut self) -> Option<&mut Grouper> {
        Some(&mut self.grouper)
    }
    fn finish_each(
        &mut self,
        emit: &mut dyn FnMut(Event) -> Result<crate::exec::Flow, ExecError>,
    ) -> Result<(), ExecError> {
        self.grouper.rows_each(emit)
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.extend(self.grouper.rows());
        Ok(())
    }
}

/// `eventstats aggs [by fields]`: every row gets its group's aggregates; order is kept.
pub struct EventstatsOp {
    pub grouper: Grouper,
    pub ctx: Context,
    /// Every row until the end: spilled past the run's memory budget.
    held: RowSpool,
}

impl EventstatsOp {
    pub fn new(grouper: Grouper, ctx: Context) -> Self {
        EventstatsOp { grouper, ctx, held: RowSpool::default() }
    }
}

impl Operator for EventstatsOp {
    fn name(&self) -> &str {
        "eventstats"
    }
    fn describe(&self) -> String {
        format!("eventstats {}", describe_aggs(&self.grouper.aggs, &self.grouper.by))
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.grouper.add(&ev, &self.ctx.fns)?;
        self.held.push(&ev)
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let grouper = &self.grouper;
        self.held.drain(&mut |p| {
            let mut ev = p.unpack();
            // A multivalue by-field: the first group's values (Splunk annotates per row).
            if let Some(key) = grouper.keys_of(&ev).into_iter().next() {
                for (name, v) in grouper.values_of(&key) {
                    ev.set_opt(&name, v);
                }
            }
            emit(ev)
        })
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.finish_each(&mut |ev| {
            out.push(ev);
            Ok(Flow::Continue)
        })
    }
}

/// One event's aggregate inputs and time, kept while it is inside a streamstats window.
type WindowEntry = (Vec<Option<crate::value::Value>>, Option<f64>);

/// A group's window: its events in arrival order, and the aggregates over them while they can
/// be kept up to date (adding is exact for every function; removing for `count`, `dc`/`values`,
/// and sums of whole numbers: see `integral`).
#[derive(Default)]
struct Window {
    q: VecDeque<WindowEntry>,
    accs: Option<Vec<Acc>>,
    /// Per aggregation, how many of the window's events hold each text (`dc`/`values` only):
    /// a text leaves their set when its last event leaves. Valid while `accs` is.
    texts: Vec<HashMap<String, u32>>,
    /// The sums (`sum`, `avg`, `stdev` …) took only whole numbers and stayed below 2^53 since
    /// `accs` was built: every partial sum is exact, so taking a value out gives the bits
    /// adding the rest anew gives. Valid while `accs` is.
    integral: bool,
}

/// Below this magnitude every whole number and every sum of them is exact in an `f64`.
const EXACT_SUM: f64 = 9_007_199_254_740_992.0;

impl Window {
    /// Add an event's inputs to the aggregates kept up to date; false when a sum took a value
    /// that is not a whole number or grew past `EXACT_SUM`.
    fn add(accs: &mut [Acc], texts: &mut [HashMap<String, u32>], e: &WindowEntry) -> bool {
        let mut integral = true;
        for (i, (acc, v)) in accs.iter_mut().zip(&e.0).enumerate() {
            acc.add(v.as_ref(), e.1);
            if let (Acc::Moments { sum, sumsq, .. }, Some(v)) = (&*acc, v) {
                let whole = v.atoms().iter().filter_map(Atom::to_num).all(|x| x.fract() == 0.0);
                integral &= whole && sum.abs() < EXACT_SUM && *sumsq < EXACT_SUM;
            }
            if let (Acc::Distinct(..), Some(v), Some(t)) = (acc, v, texts.get_mut(i)) {
                for a in v.atoms() {
                    let text = a.as_str();
                    match t.get_mut(text.as_ref()) {
                        Some(n) => *n += 1,
                        None => {
                            t.insert(text.into_owned(), 1);
                        }
                    }
                }
            }
        }
        integral
    }

    fn push(&mut self, e: WindowEntry) {
        if let Some(accs) = &mut self.accs {
            self.integral &= Window::add(accs, &mut self.texts, &e);
        }
        self.q.push_back(e);
    }

    fn pop_front(&mut self) {
        let Some((vals, _)) = self.q.pop_front() else { return };
        let Some(accs) = &mut self.accs else { return };
        let (texts, integral) = (&mut self.texts, self.integral);
        let removed = accs.iter_mut().zip(&vals).enumerate().all(|(i, (acc, v))| match acc {
            Acc::Count(n) => {
                *n = n.saturating_sub(v.as_ref().map_or(0, |v| v.atoms().len() as u64));
                true
            }
            // Removing a text is exact: without it a dc/values window cost its size per event.
            Acc::Distinct(set, _) => {
                let Some(t) = texts.get_mut(i) else { return false };
                for a in v.iter().flat_map(|v| v.atoms()) {
                    let s = a.as_str();
                    if let Some(n) = t.get_mut(s.as_ref()) {
                        *n -= 1;
                        if *n == 0 {
                            t.remove(s.as_ref());
                            set.remove(&s);
                        }
                    }
                }
                true
            }
            // Exact while every sum is of whole numbers (`integral`), as it then was.
            Acc::Moments { n, sum, sumsq, .. } if integral => {
                for x in v.iter().flat_map(|v| v.atoms()).filter_map(Atom::to_num) {
                    *n = n.saturating_sub(1);
                    *sum -= x;
                    *sumsq -= x * x;
                }
                true
            }
            _ => false,
        });
        if !removed {
            // Rebuilt from the events left when next needed.
            self.accs = None;
        }
    }

    /// Drop the events that are `span` seconds or more from `t`: the oldest come first, as the
    /// input is in time order (either way).
    fn evict_by_time(&mut self, t: f64, span: f64) -> usize {
        let mut n = 0;
        while self.q.front().is_some_and(|(_, et)| et.is_none_or(|et| (et - t).abs() >= span)) {
            self.pop_front();
            n += 1;
        }
        n
    }

    fn results(&mut self, aggs: &[AggSpec]) -> Vec<Option<crate::value::Value>> {
        let (q, texts, integral) = (&self.q, &mut self.texts, &mut self.integral);
        let accs = self.accs.get_or_insert_with(|| {
            let mut accs: Vec<Acc> = aggs.iter().map(|a| Acc::new(&a.func)).collect();
            *texts = aggs.iter().map(|_| HashMap::new()).collect();
            *integral = true;
            for e in q {
                *integral &= Window::add(&mut accs, texts, e);
            }
            accs
        });
        accs.iter().map(Acc::finish).collect()
    }
}

/// `limits.conf [streamstats] max_stream_window`: the most events a `time_window` holds.
pub const MAX_STREAM_WINDOW: usize = 10_000;

/// `streamstats [window=N] [time_window=span] [current=bool] [global=bool] [reset_*] aggs [by
/// fields]`: running aggregates. Splunk's reference (help.splunk.com, SPL search reference 9.4,
/// search-commands/streamstats) is the spec; see docs/unsupported.md for the choices it leaves.
pub struct StreamstatsOp {
    pub aggs: Vec<AggSpec>,
    pub by: Vec<String>,
    pub window: usize,
    pub current: bool,
    /// `global=true` (the default): with `window=N` and `by` fields, one window of the last N
    /// results, each result's statistics over those of its own group; `false`, a window per
    /// group. Time windows are per group either way.
    pub global: bool,
    /// `time_window=` in seconds: only events less than this far in `_time` from the current one.
    pub time_window: Option<f64>,
    /// `reset_on_change=true`: everything restarts when an event's by-values differ from the
    /// last event's that had them all.
    pub reset_on_change: bool,
    /// `reset_before="(expr)"`, `reset_after="(expr)"`, with their text for `explain` and where
    /// each was written (its errors at run time point there).
    pub reset_before: Option<(spl_parser::Expr, String, spl_parser::Span)>,
    pub reset_after: Option<(spl_parser::Expr, String, spl_parser::Span)>,
    /// Where `time_window` was written: its errors at run time point there.
    pub span: spl_parser::Span,
    pub ctx: Context,
    groups: HashMap<Vec<String>, Window>,
    /// With a global window, the groups of the results in it, oldest first.
    order: VecDeque<Vec<String>>,
    running: HashMap<Vec<String>, Vec<Acc>>,
    keyer: Grouper,
    last_key: Option<Vec<String>>,
    /// The last `_time` and whether times rise (`Some(true)`) or fall, once seen.
    last_time: Option<f64>,
    rising: Option<bool>,
    /// Events in all windows, and the count past which stale windows are swept.
    held: usize,
    sweep_at: usize,
}

impl StreamstatsOp {
    pub fn new(aggs: Vec<AggSpec>, by: Vec<String>, window: usize, current: bool, ctx: Context) -> Self {
        let keyer = Grouper::new(by.clone(), None, Vec::new());
        StreamstatsOp {
            aggs,
            by,
            window,
            current,
            global: true,
            time_window: None,
            reset_on_change: false,
            reset_before: None,
            reset_after: None,
            span: spl_parser::Span::default(),
            ctx,
            groups: HashMap::new(),
            order: VecDeque::new(),
            running: HashMap::new(),
            keyer,
            last_key: None,
            last_time: None,
            rising: None,
            held: 0,
            sweep_at: SWEEP_MIN,
        }
    }

    fn reset(&mut self) {
        self.groups.clear();
        self.order.clear();
        self.running.clear();
        self.held = 0;
    }

    fn test(
        &self,
        reset: &Option<(spl_parser::Expr, String, spl_parser::Span)>,
        ev: &Event,
    ) -> Result<bool, ExecError> {
        let Some((expr, text, at)) = reset else { return Ok(false) };
        let interp = crate::eval::interp::Interp { ctx: &self.ctx.fns };
        interp.test(expr, ev).map_err(|e| ExecError::at(format!("streamstats `{text}`: {}", e.message), *at))
    }

    /// The event's `_time`, checked to keep the order the time window needs (Splunk requires the
    /// results sorted by time, ascending or descending).
    fn time_in_order(&mut self, ev: &Event) -> Result<f64, ExecError> {
        let Some(t) = ev.time() else {
            return Err(ExecError::at("streamstats time_window needs `_time` on every result", self.span));
        };
        if let Some(prev) = self.last_time {
            if t != prev {
                let rising = t > prev;
                if *self.rising.get_or_insert(rising) != rising {
                    return Err(ExecError::at(
                        "streamstats time_window needs the results in time order (ascending or descending)",
                        self.span,
                    ));
                }
            }
        }
        self.last_time = Some(t);
        Ok(t)
    }

    /// A result of group `key` enters the global window: the oldest leaves it (and its
    /// group's window) once the window holds more than `window` results.
    fn enter_global(&mut self, key: &[String]) {
        self.order.push_back(key.to_vec());
        if self.order.len() <= self.window {
            return;
        }
        let Some(old) = self.order.pop_front() else { return };
        if let Some(w) = self.groups.get_mut(&old) {
            w.pop_front();
            if w.q.is_empty() {
                self.groups.remove(&old);
            }
        }
    }

    /// Drop what no later event's time window can hold, once the windows hold twice what they
    /// did after the last sweep: groups seen no more would keep their events otherwise.
    fn sweep(&mut self, t: f64, span: f64) {
        if self.held <= self.sweep_at {
            return;
        }
        let mut dropped = 0;
        self.groups.retain(|_, w| {
            dropped += w.evict_by_time(t, span);
            !w.q.is_empty()
        });
        self.held -= dropped.min(self.held);
        self.sweep_at = (self.held * 2).max(SWEEP_MIN);
    }
}

/// Events held before time windows are first swept.
const SWEEP_MIN: usize = 4096;

impl Operator for StreamstatsOp {
    fn name(&self) -> &str {
        "streamstats"
    }
    fn describe(&self) -> String {
        let mut opts = format!("window={} current={}", self.window, self.current);
        if !self.global {
            opts.push_str(" global=false");
        }
        if let Some(s) = self.time_window {
            opts.push_str(&format!(" time_window={s}s"));
        }
        if self.reset_on_change {
            opts.push_str(" reset_on_change=true");
        }
        for (name, r) in [("reset_before", &self.reset_before), ("reset_after", &self.reset_after)] {
            if let Some((_, text, _)) = r {
                opts.push_str(&format!(" {name}={text}"));
            }
        }
        format!("streamstats {opts} {}", describe_aggs(&self.aggs, &self.by))
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let time = match self.time_window {
            Some(_) => Some(self.time_in_order(&ev)?),
            None => ev.time(),
        };
        if self.test(&self.reset_before, &ev)? {
            self.reset();
        }
        let Some(key) = self.keyer.keys_of(&ev).into_iter().next() else {
            if self.test(&self.reset_after, &ev)? {
                self.reset();
            }
            out.push(ev);
            return Ok(());
        };
        if self.reset_on_change && !self.by.is_empty() {
            if self.last_key.as_ref().is_some_and(|k| *k != key) {
                self.reset();
            }
            self.last_key = Some(key.clone());
        }
        let mut vals = Vec::with_capacity(self.aggs.len());
        for a in &self.aggs {
            vals.push(a.value_of(&ev, &self.ctx.fns)?);
        }
        let global = self.global && self.window > 0 && !self.by.is_empty() && self.time_window.is_none();
        let results: Vec<Option<crate::value::Value>> = if global {
            if self.current {
                self.enter_global(&key);
                let w = self.groups.entry(key).or_default();
                w.push((vals, time));
                w.results(&self.aggs)
            } else {
                let r = self.groups.get_mut(&key).map(|w| w.results(&self.aggs));
                let r = r.unwrap_or_else(|| Window::default().results(&self.aggs));
                self.enter_global(&key);
                self.groups.entry(key).or_default().push((vals, time));
                r
            }
        } else if self.window == 0 && self.time_window.is_none() {
            let accs = self.running.entry(key).or_insert_with(|| self.aggs.iter().map(|a| Acc::new(&a.func)).collect());
            let before: Vec<_> = accs.iter().map(|a| a.finish()).collect();
            for (acc, v) in accs.iter_mut().zip(&vals) {
                acc.add(v.as_ref(), time);
            }
            if self.current {
                accs.iter().map(|a| a.finish()).collect()
            } else {
                before
            }
        } else {
            // A time window alone holds at most max_stream_window events (Splunk's default).
            let cap = if self.window > 0 { self.window } else { MAX_STREAM_WINDOW };
            let w = self.groups.entry(key).or_default();
            let mut gone = 0;
            if let (Some(span), Some(t)) = (self.time_window, time) {
                gone += w.evict_by_time(t, span);
            }
            let mut hold = |w: &mut Window, e: WindowEntry| {
                w.push(e);
                if w.q.len() > cap {
                    w.pop_front();
                    gone += 1;
                }
            };
            let results = if self.current {
                hold(w, (vals, time));
                w.results(&self.aggs)
            } else {
                let r = w.results(&self.aggs);
                hold(w, (vals, time));
                r
            };
            self.held = (self.held + 1).saturating_sub(gone);
            if let (Some(span), Some(t)) = (self.time_window, time) {
                self.sweep(t, span);
            }
            results
        };
        for (a, v) in self.aggs.iter().zip(results) {
            ev.set_opt(&a.out, v);
        }
        if self.test(&self.reset_after, &ev)? {
            self.reset();
        }
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::stats::{AggFunc, AggInput};

    fn eventstats(limit: Option<usize>) -> EventstatsOp {
        let aggs = vec![
            AggSpec { func: AggFunc::Avg, input: AggInput::Field("n".into()), out: "avg".into() },
            AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() },
        ];
        let mut op =
            EventstatsOp::new(Grouper::new(vec!["dest".into()], None, aggs), Context::new(Default::default(), 0.0));
        op.held.held_limit(limit);
        op
    }

    // streamstats: Splunk's search reference (help.splunk.com, SPL search reference 9.4,
    // search-commands/streamstats) and the reset example of the SPL2 reference
    // (docs.splunk.com/Documentation/SCS/current/SearchReference/StreamstatsCommandUsage).

    fn count_of(out: &str) -> AggSpec {
        AggSpec { func: AggFunc::Count, input: AggInput::Events, out: out.into() }
    }

    fn streamstats(aggs: Vec<AggSpec>, by: &[&str], window: usize, current: bool) -> StreamstatsOp {
        let by = by.iter().map(|b| b.to_string()).collect();
        StreamstatsOp::new(aggs, by, window, current, Context::new(Default::default(), 0.0))
    }

    /// Events at these times, newest first as an event search gives them, by user.
    fn logons() -> Vec<Event> {
        [(1000, "a"), (990, "b"), (900, "a"), (700, "a"), (699, "a"), (400, "b"), (100, "a")]
            .iter()
            .enumerate()
            .map(|(i, (t, u))| {
                Event::from_pairs(&[("_time", &t.to_string()), ("user", u), ("src", &format!("10.0.0.{}", i % 3))])
            })
            .collect()
    }

    fn column(rows: &[Event], field: &str) -> Vec<String> {
        rows.iter().map(|e| e.get_str(field).map(|s| s.to_string()).unwrap_or_default()).collect()
    }

    /// time_window: the window is the events whose `_time` is within the span of the current
    /// event's, per `by` group; newest first, those are the ones less than the span after it.
    /// Exactly the span apart is outside (1000 and 700).
    #[test]
    fn streamstats_time_window_counts_only_events_within_the_span_per_by_group() {
        let mut op = streamstats(vec![count_of("n")], &["user"], 0, true);
        op.time_window = Some(300.0);
        let out = crate::exec::run_op(&mut op, logons());
        assert_eq!(column(&out, "n"), ["1", "1", "2", "2", "3", "1", "1"]);
        // Oldest first (`sort 0 _time` before it) the window looks back the same span.
        let mut op = streamstats(vec![count_of("n")], &["user"], 0, true);
        op.time_window = Some(300.0);
        let mut rev = logons();
        rev.reverse();
        let out = crate::exec::run_op(&mut op, rev);
        assert_eq!(column(&out, "n"), ["1", "1", "1", "2", "3", "1", "2"]);
    }

    /// current=false leaves the current event out; window=N also caps the time window's events;
    /// values() and dc() leave with the events that leave the window.
    #[test]
    fn streamstats_time_window_with_current_false_window_and_values() {
        let mut op = streamstats(vec![count_of("n")], &["user"], 0, false);
        op.time_window = Some(300.0);
        let out = crate::exec::run_op(&mut op, logons());
        assert_eq!(column(&out, "n"), ["0", "0", "1", "1", "2", "0", "0"]);
        let mut op = streamstats(vec![count_of("n")], &["user"], 2, true);
        op.time_window = Some(300.0);
        let out = crate::exec::run_op(&mut op, logons());
        assert_eq!(column(&out, "n"), ["1", "1", "2", "2", "2", "1", "1"]);
        let aggs = vec![
            AggSpec { func: AggFunc::Dc, input: AggInput::Field("src".into()), out: "d".into() },
            AggSpec { func: AggFunc::Values, input: AggInput::Field("src".into()), out: "v".into() },
        ];
        let mut op = streamstats(aggs, &["user"], 0, true);
        op.time_window = Some(300.0);
        let out = crate::exec::run_op(&mut op, logons());
        // a: 1000 (.0), 900 (.2), 700 (.0), 699 (.1), 100 (.0).
        assert_eq!(column(&out, "d"), ["1", "1", "2", "2", "3", "1", "1"]);
        assert_eq!(out[4].get("v").map(|v| v.atoms().len()), Some(3));
        assert_eq!(out[6].get_str("v").as_deref(), Some("10.0.0.0"));
    }

    /// The counts kept by adding and removing are those of counting each window afresh, for
    /// time windows and `window=N` alike.
    #[test]
    fn streamstats_window_counts_are_those_of_each_window_counted_afresh() {
        let rows: Vec<Event> = (0..400u64)
            .map(|i| {
                let t = 100_000 - (i / 2) * 3 - (i / 5) * 4; // falling, with ties and gaps
                let u = format!("u{}", (i * 13 + i / 7) % 6);
                Event::from_pairs(&[("_time", &t.to_string()), ("g", &format!("g{}", i % 3)), ("u", &u)])
            })
            .collect();
        for (span, window, current) in
            [(Some(30.0), 0, true), (Some(30.0), 0, false), (Some(100.0), 4, true), (None, 5, true), (None, 5, false)]
        {
            let aggs = vec![
                count_of("n"),
                AggSpec { func: AggFunc::List, input: AggInput::Field("g".into()), out: "l".into() },
                AggSpec { func: AggFunc::Dc, input: AggInput::Field("u".into()), out: "d".into() },
                AggSpec { func: AggFunc::Values, input: AggInput::Field("u".into()), out: "v".into() },
            ];
            // Per-group windows here (`global=false`); the global window has its own test.
            let mut op = streamstats(aggs, &["g"], window, current);
            op.global = false;
            op.time_window = span;
            let out = crate::exec::run_op(&mut op, rows.clone());
            for (i, e) in out.iter().enumerate() {
                let (t, g) = (rows[i].time().unwrap(), rows[i].get_str("g"));
                let near = |r: &&Event| span.is_none_or(|s| (r.time().unwrap() - t).abs() < s);
                let before = rows[..i].iter().filter(|r| r.get_str("g") == g).filter(near).count();
                let mut want = before + usize::from(current);
                if window > 0 {
                    want = want.min(window);
                }
                assert_eq!(e.get_str("n").as_deref(), Some(want.to_string().as_str()), "{span:?} {window} row {i}");
                let listed = e.get("l").map_or(0, |v| v.atoms().len());
                assert_eq!(listed, want.min(100), "row {i}");
                // dc/values drop a text when its last event leaves: as counted afresh.
                let end = if current { i + 1 } else { i };
                let mut inside: Vec<&Event> = rows[..end].iter().filter(|r| r.get_str("g") == g).filter(near).collect();
                inside.drain(..inside.len() - want);
                let mut us: Vec<String> = inside.iter().filter_map(|r| r.get_str("u").map(|u| u.to_string())).collect();
                us.sort();
                us.dedup();
                assert_eq!(e.get_str("d").as_deref(), Some(us.len().to_string().as_str()), "dc row {i}");
                let vals: Vec<String> =
                    e.get("v").map(|v| v.atoms().iter().map(|a| a.as_str().to_string()).collect()).unwrap_or_default();
                assert_eq!(vals, us, "values row {i}");
            }
        }
    }

    /// Sums of whole numbers leave the window by subtraction (exact below 2^53); the results are
    /// bit for bit those of summing each window afresh, and so are those of fractional values,
    /// summed afresh once one is in the window.
    #[test]
    fn streamstats_window_sums_are_those_of_each_window_summed_afresh() {
        let rows: Vec<Event> = (0..300u32)
            .map(|i| {
                let x = match i % 50 {
                    7 => "0.1".to_string(),
                    13 => "-3".to_string(),
                    17 => "x".to_string(),
                    _ => (u64::from(i) * 7_919 % 1_000).to_string(),
                };
                Event::from_pairs(&[("g", &format!("g{}", i % 2)), ("x", &x)])
            })
            .collect();
        let agg = |f: AggFunc, out: &str| AggSpec { func: f, input: AggInput::Field("x".into()), out: out.into() };
        for (window, current) in [(5, true), (5, false), (40, true)] {
            let aggs = vec![agg(AggFunc::Sum, "s"), agg(AggFunc::Avg, "a"), agg(AggFunc::Stdev, "d")];
            let mut op = streamstats(aggs.clone(), &["g"], window, current);
            op.global = false;
            let out = crate::exec::run_op(&mut op, rows.clone());
            for (i, e) in out.iter().enumerate() {
                let g = rows[i].get_str("g");
                let end = if current { i + 1 } else { i };
                let mut inside: Vec<&Event> = rows[..end].iter().filter(|r| r.get_str("g") == g).collect();
                inside.drain(..inside.len().saturating_sub(window));
                let mut accs: Vec<Acc> = aggs.iter().map(|a| Acc::new(&a.func)).collect();
                for r in inside {
                    for acc in &mut accs {
                        acc.add(r.get("x"), None);
                    }
                }
                for (acc, a) in accs.iter().zip(&aggs) {
                    let want = acc.finish().map(|v| v.first().as_str().into_owned());
                    assert_eq!(e.get_str(&a.out).map(|v| v.into_owned()), want, "{} window {window} row {i}", a.out);
                }
            }
        }
    }

    /// global=true, the default with `window=N` (Splunk's reference: "a single window"): each
    /// result's statistics are over the results of its own group among the last N, whatever
    /// their groups; `global=false` keeps a window per group.
    #[test]
    fn streamstats_global_window_is_one_window_over_all_groups() {
        let rows: Vec<Event> = ["a", "b", "a", "a", "b"].iter().map(|u| Event::from_pairs(&[("user", u)])).collect();
        let run = |global: bool, current: bool| {
            let mut op = streamstats(vec![count_of("n")], &["user"], 2, current);
            op.global = global;
            column(&crate::exec::run_op(&mut op, rows.clone()), "n")
        };
        assert_eq!(run(true, true), ["1", "1", "1", "2", "1"]);
        assert_eq!(run(true, false), ["0", "0", "1", "1", "0"]);
        assert_eq!(run(false, true), ["1", "1", "2", "2", "2"]);
        // Against counting each window afresh, over many groups and window sizes.
        let many: Vec<Event> =
            (0..300u64).map(|i| Event::from_pairs(&[("g", &format!("g{}", (i * 7 + i / 3) % 5))])).collect();
        for (window, current) in [(1, true), (1, false), (3, true), (7, false), (50, true)] {
            let mut op = streamstats(vec![count_of("n")], &["g"], window, current);
            let out = crate::exec::run_op(&mut op, many.clone());
            for (i, e) in out.iter().enumerate() {
                let end = if current { i + 1 } else { i };
                let seen = &many[end.saturating_sub(window)..end];
                let want = seen.iter().filter(|r| r.get_str("g") == many[i].get_str("g")).count();
                assert_eq!(e.get_str("n").as_deref(), Some(want.to_string().as_str()), "{window} {current} row {i}");
            }
        }
    }

    /// Splunk requires the results sorted by time for time_window: a result out of order, or
    /// without `_time`, is an error rather than a wrong window.
    #[test]
    fn streamstats_time_window_needs_times_in_one_order() {
        let mut op = streamstats(vec![count_of("n")], &[], 0, true);
        op.time_window = Some(60.0);
        let mut out = Vec::new();
        for t in ["50", "40", "40"] {
            op.push(Event::from_pairs(&[("_time", t)]), &mut out).unwrap();
        }
        let err = op.push(Event::from_pairs(&[("_time", "45")]), &mut out).unwrap_err();
        assert!(err.message.contains("time order"), "{}", err.message);
        let err = op.push(Event::from_pairs(&[("x", "1")]), &mut out).unwrap_err();
        assert!(err.message.contains("_time"), "{}", err.message);
    }

    /// Groups no later event reaches leave the windows: what is held is what windows hold.
    #[test]
    fn streamstats_time_windows_of_groups_seen_no_more_are_dropped() {
        let mut op = streamstats(vec![count_of("n")], &["user"], 0, true);
        op.time_window = Some(10.0);
        let mut out = Vec::new();
        for i in 0..50_000u32 {
            let e = Event::from_pairs(&[("_time", &(1_000_000 - i).to_string()), ("user", &format!("u{i}"))]);
            op.push(e, &mut out).unwrap();
            out.clear();
        }
        assert!(op.held <= 2 * SWEEP_MIN && op.groups.len() <= 2 * SWEEP_MIN, "{} held", op.held);
    }

    fn bytes_by_host() -> Vec<Event> {
        [("x", "100", "LOGON"), ("y", "200", "APP_START"), ("x", "400", "FILE_DOWNLOAD"), ("x", "50", "REBOOT")]
            .iter()
            .chain(&[("y", "150", "LOGON"), ("x", "100", "LOGON")])
            .map(|(h, b, a)| Event::from_pairs(&[("host", h), ("bytes", b), ("action", a)]))
            .collect()
    }

    /// reset_after resets every group after the event's own result; reset_before before it.
    #[test]
    fn streamstats_reset_before_and_after_reset_every_group_as_splunks_example() {
        let sum = || vec![AggSpec { func: AggFunc::Sum, input: AggInput::Field("bytes".into()), out: "total".into() }];
        let reboot = || {
            Some((
                spl_parser::parse_eval_expr(r#"action="REBOOT""#).unwrap(),
                "action=REBOOT".into(),
                Default::default(),
            ))
        };
        let mut op = streamstats(sum(), &["host"], 0, true);
        op.reset_after = reboot();
        let out = crate::exec::run_op(&mut op, bytes_by_host());
        assert_eq!(column(&out, "total"), ["100", "200", "500", "550", "150", "100"]);
        let mut op = streamstats(sum(), &["host"], 0, true);
        op.reset_before = reboot();
        let out = crate::exec::run_op(&mut op, bytes_by_host());
        assert_eq!(column(&out, "total"), ["100", "200", "500", "50", "150", "150"]);
        // reset_after sees the fields streamstats gave the event.
        let mut op = streamstats(vec![count_of("n")], &[], 2, true);
        op.reset_after = Some((spl_parser::parse_eval_expr("n>=2").unwrap(), "n>=2".into(), Default::default()));
        let out = crate::exec::run_op(&mut op, bytes_by_host());
        assert_eq!(column(&out, "n"), ["1", "2", "1", "2", "1", "2"]);
    }

    /// reset_on_change: a change of the by-values resets; an event without them does not.
    #[test]
    fn streamstats_reset_on_change_resets_when_the_by_values_change() {
        let mut op = streamstats(vec![count_of("n")], &["host"], 0, true);
        op.reset_on_change = true;
        let mut rows = bytes_by_host();
        rows.insert(3, Event::from_pairs(&[("bytes", "1")]));
        let out = crate::exec::run_op(&mut op, rows);
        assert_eq!(column(&out, "n"), ["1", "1", "1", "", "2", "1", "1"]);
    }

    #[test]
    fn eventstats_annotates_every_row_in_order_its_rows_spilled_or_not() {
        let rows: Vec<Event> = (0..3_000u32)
            .map(|i| {
                Event::from_pairs(&[
                    ("dest", &format!("h{}", i % 7)),
                    ("n", &(i % 100).to_string()),
                    ("cmd", &"c".repeat((i % 200) as usize)),
                ])
            })
            .collect();
        let want = crate::exec::run_op(&mut eventstats(None), rows.clone());
        assert_eq!(want.len(), 3_000);
        assert_eq!(want[0].get_str("count").as_deref(), Some("429"), "h0: 429 of 3,000 rows");
        assert_eq!(want[5].get_str("dest").as_deref(), Some("h5"), "order kept");
        let got = crate::exec::run_op(&mut eventstats(Some(20_000)), rows);
        assert_eq!(got, want);
    }
}
