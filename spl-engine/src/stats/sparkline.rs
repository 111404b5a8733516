//! `sparkline([<func>(<field>)] [, <span>])` of `stats` and `chart`: an inline trend.
//!
//! Splunk's rules (Search Reference, stats and chart: sparkline-agg; Search Manual, "Add
//! sparklines to search results"), as implemented:
//! * The value is a multivalue field: the marker `##__SPARKLINE__##`, then the inner
//!   aggregation (`count` when bare) per time bucket, oldest first; a bucket without events of
//!   the group is 0.
//! * Every row shares one time axis: from the bucket of the earliest `_time` the command
//!   aggregated to that of the latest (offline the search's time range is its input's, as for
//!   `timechart`), bucketed as `timechart`/`bin` bucket, in the run's time zone.
//! * Without a span, `timechart`'s default for 100 buckets over that range.
//! * At most 100 buckets (`sparkline_maxsize`, default `list_maxsize` = 100). The reference is
//!   silent on which ones a longer axis keeps: we keep the latest 100.
//! * Events without `_time` are not drawn (they still count in the other aggregations).
//!
//! Memory: a group keeps the inner aggregation per bucket of a fine time step, at most about
//! 100 of them (see [`Spark`]); the buckets are cut to the axis when the rows are made.

use crate::ops::timechart::default_span;
use crate::packed::Reader;
use crate::stats::aggs::{Acc, AggFunc};
use crate::timefmt::{bucket_time_tz, Span};
use crate::value::{Atom, Value};

/// The first value of a sparkline, which tells Splunk Web to draw the rest.
pub const MARKER: &str = "##__SPARKLINE__##";

/// Buckets drawn at most (`sparkline_maxsize`).
pub const MAX_BUCKETS: usize = 100;

/// A sparkline's inner function, span and time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct SparkFunc {
    pub func: AggFunc,
    /// As given; `None`: `timechart`'s default over the command's time range.
    pub span: Option<Span>,
    /// The run's time zone offset in seconds (buckets align to local time).
    pub tz: i32,
}

impl SparkFunc {
    /// For `explain`: `300s`, `1 month`, or `auto`.
    pub fn describe_span(&self) -> String {
        match self.span {
            None => "auto".into(),
            Some(sp) => match (sp.seconds(), sp.unit) {
                (Some(secs), _) => format!("{secs}s"),
                (None, unit) => {
                    format!("{} {}", sp.count, unit.map(|u| format!("{u:?}").to_lowercase()).unwrap_or_default())
                }
            },
        }
    }
}

/// One group's sparkline: the inner aggregation per time key, keys ascending.
///
/// With a span the keys are its buckets; a group keeps its latest 100, as the axis ends at or
/// after its latest bucket. Without one, the span is known only once every group is: the keys
/// are buckets of `step`, the default span of the group's own range so far. The command's span
/// is at least that (its range holds the group's), and each of timechart's steps divides the
/// next, so its buckets are unions of ours; a group holds about 100 keys at most.
#[derive(Clone, Debug)]
pub struct Spark {
    spec: SparkFunc,
    step: f64,
    keys: Vec<(f64, Acc)>,
}

impl Spark {
    pub fn new(spec: &SparkFunc) -> Spark {
        Spark { spec: spec.clone(), step: 1.0, keys: Vec::new() }
    }

    /// The bucket span keys are made with.
    fn key_span(&self) -> Span {
        self.spec.span.unwrap_or(Span::of_seconds(self.step))
    }

    /// Whether the keys are the axis's buckets (the span is given, or the default can grow no
    /// more), so that only the latest `MAX_BUCKETS` can be drawn.
    fn keys_final(&self) -> bool {
        self.spec.span.is_some() || self.step >= default_span(f64::INFINITY, MAX_BUCKETS, 0.0)
    }

    /// Add one event's value at its time (none: not drawn). Returns about how many bytes the
    /// state grew by.
    pub fn add(&mut self, value: Option<&Value>, time: Option<f64>) -> usize {
        let (Some(value), Some(t)) = (value, time.filter(|t| t.is_finite())) else { return 0 };
        let key = bucket_time_tz(t, &self.key_span(), self.spec.tz);
        match self.keys.binary_search_by(|(k, _)| k.total_cmp(&key)) {
            Ok(at) => self.keys.get_mut(at).map_or(0, |(_, acc)| acc.add(Some(value), time)),
            Err(at) => {
                let mut acc = Acc::new(&self.spec.func);
                let mut grew = acc.add(Some(value), time) + std::mem::size_of::<(f64, Acc)>();
                if self.keys.is_empty() {
                    grew += std::mem::size_of::<Spark>();
                }
                self.keys.insert(at, (key, acc));
                self.settle();
                grew
            }
        }
    }

    /// Merge a later partial state of the same group.
    pub fn merge(&mut self, other: Spark) {
        if other.step > self.step {
            self.rekey(other.step);
        }
        let step = self.step;
        let mut merged = Vec::with_capacity(self.keys.len() + other.keys.len());
        let mut mine = std::mem::take(&mut self.keys).into_iter().peekable();
        let mut theirs = other.keys.into_iter().peekable();
        loop {
            let next = match (mine.peek(), theirs.peek()) {
                (Some((a, _)), Some((b, _))) if a.total_cmp(b).is_le() => mine.next(),
                (_, Some(_)) => theirs.next(),
                (Some(_), None) => mine.next(),
                (None, None) => break,
            };
            let Some((mut key, acc)) = next else { break };
            if self.spec.span.is_none() {
                key = bucket_time_tz(key, &Span::of_seconds(step), self.spec.tz);
            }
            push_merged(&mut merged, key, acc);
        }
        self.keys = merged;
        self.settle();
    }

    /// Keep the invariants after keys were added: the step at least the default span of the
    /// keys' range, and at most `MAX_BUCKETS` final keys.
    fn settle(&mut self) {
        if self.spec.span.is_none() {
            if let (Some((lo, _)), Some((hi, _))) = (self.keys.first(), self.keys.last()) {
                let want = default_span(hi - lo, MAX_BUCKETS, 0.0);
                if want > self.step {
                    self.rekey(want);
                }
            }
        }
        if self.keys_final() && self.keys.len() > MAX_BUCKETS {
            let drop = self.keys.len() - MAX_BUCKETS;
            self.keys.drain(..drop);
        }
    }

    /// Re-bucket the keys by a coarser `step`, merging those that fall together (in order).
    fn rekey(&mut self, step: f64) {
        self.step = step;
        let span = Span::of_seconds(step);
        let mut merged: Vec<(f64, Acc)> = Vec::with_capacity(self.keys.len());
        for (key, acc) in std::mem::take(&mut self.keys) {
            push_merged(&mut merged, bucket_time_tz(key, &span, self.spec.tz), acc);
        }
        self.keys = merged;
    }

    /// The value drawn on `axis` (none: no event had a time, nothing to draw but the marker).
    pub fn finish(&self, axis: Option<&Axis>) -> Option<Value> {
        let mut atoms = vec![Atom::from(MARKER)];
        let Some(axis) = axis else { return Value::from_atoms(atoms) };
        let mut cells: Vec<Option<Acc>> = vec![None; axis.starts.len()];
        for (key, acc) in &self.keys {
            // Given a span, the keys are the axis's buckets already.
            let b = if self.spec.span.is_some() { *key } else { bucket_time_tz(*key, &axis.span, self.spec.tz) };
            let Ok(at) = axis.starts.binary_search_by(|s| s.total_cmp(&b)) else { continue };
            match cells.get_mut(at) {
                Some(Some(cell)) => cell.merge(acc.clone()),
                Some(cell) => *cell = Some(acc.clone()),
                None => {}
            }
        }
        atoms.extend(cells.iter().map(|c| {
            let n = c.as_ref().and_then(Acc::finish).and_then(|v| v.atoms().first().and_then(Atom::to_num));
            Atom::Num(n.unwrap_or(0.0))
        }));
        Value::from_atoms(atoms)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.step.to_le_bytes());
        crate::packed::put_len(out, self.keys.len());
        for (key, acc) in &self.keys {
            out.extend_from_slice(&key.to_le_bytes());
            acc.encode(out);
        }
    }

    pub(crate) fn decode(&mut self, r: &mut Reader<'_>) -> Option<()> {
        self.step = r.f64()?;
        for _ in 0..r.len()? {
            let key = r.f64()?;
            self.keys.push((key, Acc::decode(&self.spec.func, r)?));
        }
        // Sorted as written; damaged bytes must not break the binary searches.
        self.keys.sort_by(|a, b| a.0.total_cmp(&b.0));
        Some(())
    }
}

/// Append `(key, acc)` to keys ascending, merging it into the last when the key is the same.
fn push_merged(keys: &mut Vec<(f64, Acc)>, key: f64, acc: Acc) {
    match keys.last_mut() {
        Some((k, last)) if *k == key => last.merge(acc),
        _ => keys.push((key, acc)),
    }
}

/// The command's time axis for one sparkline: its span and bucket starts, oldest first.
#[derive(Clone, Debug)]
pub struct Axis {
    span: Span,
    starts: Vec<f64>,
}

impl Axis {
    /// The axis over the events' time range `(earliest, latest)`: the latest `MAX_BUCKETS`
    /// buckets from that of `earliest` to that of `latest`.
    pub fn new(spec: &SparkFunc, (lo, hi): (f64, f64)) -> Axis {
        let span = spec.span.unwrap_or_else(|| Span::of_seconds(default_span(hi - lo, MAX_BUCKETS, 0.0)));
        let first = bucket_time_tz(lo, &span, spec.tz);
        let mut at = bucket_time_tz(hi, &span, spec.tz);
        // Back one bucket: from inside the one before (calendar buckets are 28 days or more).
        let back = span.seconds().map_or(43_200.0, |len| len / 2.0);
        let mut starts = vec![at];
        while starts.len() < MAX_BUCKETS && at > first {
            let before = bucket_time_tz(at - back, &span, spec.tz);
            if before >= at || !before.is_finite() {
                break;
            }
            at = before;
            starts.push(at);
        }
        starts.reverse();
        Axis { span, starts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(func: AggFunc, span: Option<&str>) -> SparkFunc {
        SparkFunc { func, span: span.and_then(crate::timefmt::parse_span), tz: 0 }
    }

    fn drawn(v: Option<Value>) -> Vec<String> {
        v.map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect()).unwrap_or_default()
    }

    #[test]
    fn sparkline_buckets_are_at_most_100_and_the_latest() {
        let s = spec(AggFunc::Count, Some("1s"));
        let axis = Axis::new(&s, (0.0, 1000.0));
        assert_eq!(axis.starts.len(), 100);
        let mut g = Spark::new(&s);
        for t in 0..=1000 {
            g.add(Some(&Value::num(1.0)), Some(f64::from(t)));
        }
        assert_eq!(g.keys.len(), MAX_BUCKETS, "older keys are dropped as they come");
        let got = drawn(g.finish(Some(&axis)));
        assert_eq!(got.len(), 101);
        assert_eq!(got[0], MARKER);
        assert!(got[1..].iter().all(|v| v == "1"));
    }

    #[test]
    fn sparkline_without_a_span_keeps_about_100_keys_whatever_the_range() {
        let s = spec(AggFunc::Count, None);
        let mut g = Spark::new(&s);
        // A week of events, one a minute, in reverse time order.
        let times: Vec<f64> = (0..7 * 24 * 60).rev().map(|m| f64::from(m) * 60.0 + 7.0).collect();
        for t in &times {
            g.add(Some(&Value::num(1.0)), Some(*t));
            assert!(g.keys.len() <= MAX_BUCKETS + 1, "{}", g.keys.len());
        }
        let axis = Axis::new(&s, (times[times.len() - 1], times[0]));
        assert_eq!(axis.span.seconds(), Some(86_400.0));
        let got = drawn(g.finish(Some(&axis)));
        assert_eq!(got[1..], ["1440", "1440", "1440", "1440", "1440", "1440", "1440"]);
    }

    #[test]
    fn sparkline_partial_states_merge_into_the_state_of_the_whole() {
        let s = spec(AggFunc::Sum, None);
        let (mut whole, mut a, mut b) = (Spark::new(&s), Spark::new(&s), Spark::new(&s));
        for i in 0..3000u32 {
            let (t, v) = (f64::from(i * 37 % 9000), Value::num(f64::from(i % 7)));
            whole.add(Some(&v), Some(t));
            if i < 1000 {
                a.add(Some(&v), Some(t))
            } else {
                b.add(Some(&v), Some(t))
            };
        }
        let mut bytes = Vec::new();
        a.encode(&mut bytes);
        let mut back = Spark::new(&s);
        back.decode(&mut Reader::new(&bytes)).unwrap();
        back.merge(b);
        let axis = Axis::new(&s, (0.0, 8999.0));
        assert_eq!(drawn(back.finish(Some(&axis))), drawn(whole.finish(Some(&axis))));
    }

    use crate::event::Event;
    use crate::exec::{plan_error_at, run_spl};

    /// An event of `host` at `t` (none: no `_time`), with `x` when given.
    fn ev(t: Option<f64>, host: &str, x: Option<&str>) -> Event {
        let mut e = Event::new();
        if let Some(t) = t {
            e.set("_time", Value::num(t));
        }
        e.set("host", host);
        if let Some(x) = x {
            e.set("x", x);
        }
        e
    }

    /// A row's field as its texts.
    fn texts(row: &Event, f: &str) -> Vec<String> {
        row.get(f).map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect()).unwrap_or_default()
    }

    /// A sparkline's bucket values (what follows the marker, which must be first).
    fn buckets(row: &Event, f: &str) -> Vec<String> {
        let t = texts(row, f);
        assert_eq!(t.first().map(String::as_str), Some(MARKER), "{f}: {t:?}");
        t[1..].to_vec()
    }

    #[test]
    fn sparkline_bare_counts_each_rows_events_per_bucket_on_one_axis() {
        let events = vec![
            ev(Some(0.0), "a", None),
            ev(Some(10.0), "a", None),
            ev(Some(250.0), "a", None),
            ev(Some(130.0), "b", None),
            // Counted by `count`, not drawn.
            ev(None, "a", None),
            // Not grouped (no host): outside the axis.
            {
                let mut e = Event::new();
                e.set("_time", Value::num(10_000.0));
                e
            },
        ];
        let rows = run_spl("search * | stats sparkline count by host", events);
        assert_eq!(rows.len(), 2);
        // 250 s: timechart's default span is 5 s, buckets 0 … 250.
        assert_eq!(default_span(250.0, MAX_BUCKETS, 0.0), 5.0);
        let (a, b) = (buckets(&rows[0], "sparkline"), buckets(&rows[1], "sparkline"));
        assert_eq!((a.len(), b.len()), (51, 51));
        let ones = |v: &[String]| {
            v.iter().enumerate().filter(|(_, c)| *c != "0").map(|(i, c)| (i, c.clone())).collect::<Vec<_>>()
        };
        assert_eq!(ones(&a), [(0, "1".to_string()), (2, "1".to_string()), (50, "1".to_string())]);
        assert_eq!(ones(&b), [(26, "1".to_string())]);
        assert_eq!(texts(&rows[0], "count"), ["4"]);
        assert_eq!(texts(&rows[1], "count"), ["1"]);
        assert_eq!(rows[0].fields.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["host", "sparkline", "count"]);
    }

    #[test]
    fn sparkline_of_a_function_draws_it_per_bucket_and_is_named_as_written() {
        let events = vec![
            ev(Some(0.0), "a", Some("2")),
            ev(Some(30.0), "a", Some("4")),
            ev(Some(59.0), "a", Some("2")),
            ev(Some(61.0), "a", None),
            ev(Some(125.0), "a", Some("7")),
        ];
        let spl = "search * | stats sparkline(avg(x), 1m), sparkline(dc(x),1h) AS s, sparkline(max(x),1m), \
                   sparkline(sum(x), 1m) AS total, sparkline(count(x), 1m) by host";
        let rows = run_spl(spl, events);
        let r = &rows[0];
        let names: Vec<&str> = r.fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            ["host", "sparkline(avg(x), 1m)", "s", "sparkline(max(x),1m)", "total", "sparkline(count(x), 1m)"]
        );
        // Minutes 0, 1, 2: the minute with no `x` is 0.
        assert_eq!(buckets(r, "sparkline(avg(x), 1m)"), ["2.6666666666666665", "0", "7"]);
        assert_eq!(buckets(r, "s"), ["3"], "one hour: 2, 4 and 7");
        assert_eq!(buckets(r, "sparkline(max(x),1m)"), ["4", "0", "7"]);
        assert_eq!(buckets(r, "total"), ["8", "0", "7"]);
        assert_eq!(buckets(r, "sparkline(count(x), 1m)"), ["3", "0", "1"]);
    }

    #[test]
    fn sparkline_without_a_span_uses_timecharts_default_span_and_buckets() {
        // Two hours: 5-minute buckets, the same as `timechart count` draws.
        let events: Vec<Event> =
            (0..200u32).map(|i| ev(Some(f64::from(i * 37 % 7200) + 1_700_000_000.0), "a", None)).collect();
        let (lo, hi) = (1_700_000_000.0, 1_700_007_199.0);
        assert_eq!(default_span(hi - lo, MAX_BUCKETS, 0.0), 300.0);
        let rows = run_spl("search * | stats sparkline", events.clone());
        let drawn = buckets(&rows[0], "sparkline");
        let chart = run_spl("search * | timechart count", events);
        assert_eq!(drawn, chart.iter().map(|r| texts(r, "count")[0].clone()).collect::<Vec<_>>());
        assert_eq!(drawn.len(), 25, "1,700,000,000 is 200 s into a 5-minute bucket");
        assert_eq!(chart[1].time(), Some(chart[0].time().unwrap() + 300.0));
    }

    #[test]
    fn sparkline_with_a_span_giving_more_than_100_buckets_keeps_the_latest_100() {
        // One event in minute 0, two in minute 1, … for 150 minutes; another host holds the end.
        let mut events = Vec::new();
        for m in 0..150u32 {
            for _ in 0..(m % 3 + 1) {
                events.push(ev(Some(f64::from(m * 60 + 5)), "a", None));
            }
        }
        events.push(ev(Some(f64::from(160 * 60)), "b", None));
        let rows = run_spl("search * | stats sparkline(count, 1m) AS s by host", events);
        let a = buckets(&rows[0], "s");
        assert_eq!(a.len(), 100);
        // Minutes 61 … 160.
        let want: Vec<String> =
            (61..=160u32).map(|m| if m < 150 { (m % 3 + 1).to_string() } else { "0".into() }).collect();
        assert_eq!(a, want);
        assert_eq!(buckets(&rows[1], "s").iter().filter(|c| *c != "0").count(), 1);
        assert_eq!(buckets(&rows[1], "s").last().map(String::as_str), Some("1"));
    }

    #[test]
    fn sparkline_spilled_past_the_budget_gives_the_rows_held_in_memory() {
        let events: Vec<Event> = (0..6_000u32)
            .map(|i| {
                let t = f64::from(1_700_000_000 + (i * 7919) % 90_000);
                ev(Some(t), &format!("{:03}", (i * 31) % 300), Some(&((i * 13) % 17).to_string()))
            })
            .collect();
        let spl = "search * | stats sparkline, sparkline(avg(x), 10m), sparkline(dc(x)) AS d, count by host";
        let want = run_spl(spl, events.clone());
        assert_eq!(want.len(), 300);
        let ctx = crate::exec::Context::new(Default::default(), 0.0);
        let mut p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let aggs = p.ops.iter_mut().find_map(|op| op.grouper_mut()).unwrap().aggs.clone();
        for limit in [20_000, 2_000] {
            let mut g = crate::stats::Grouper::new(vec!["host".into()], None, aggs.clone()).spilling();
            g.held.own_limit = Some(limit);
            let fns = crate::eval::FnContext { now: 0.0, tz: Default::default() };
            for e in &events {
                g.add(e, &fns).unwrap();
            }
            assert!(!g.runs.is_empty(), "{limit}: spilled");
            let got = g.rows();
            assert_eq!(got, want, "{limit}");
        }
        // Every row drawn on the same axis, its buckets summing to its count.
        for r in &want {
            let b = buckets(r, "sparkline");
            assert_eq!(b.len(), 51, "25 hours by the half hour");
            let sum: f64 = b.iter().map(|c| c.parse::<f64>().unwrap()).sum();
            assert_eq!(sum.to_string(), texts(r, "count")[0]);
        }
    }

    #[test]
    fn sparkline_in_chart_shares_one_axis_over_every_cell() {
        let events =
            vec![ev(Some(0.0), "a", Some("k")), ev(Some(120.0), "b", Some("k")), ev(Some(60.0), "a", Some("j"))];
        let rows = run_spl("search * | chart sparkline(count, 1m) over host by x", events.clone());
        assert_eq!(rows.len(), 2);
        assert_eq!(buckets(&rows[0], "k"), ["1", "0", "0"]);
        assert_eq!(buckets(&rows[0], "j"), ["0", "1", "0"]);
        assert_eq!(buckets(&rows[1], "k"), ["0", "0", "1"]);
        // A cell without events is empty, not a line of zeros (our choice; the reference is silent).
        assert!(rows[1].get("j").is_none(), "{:?}", rows[1]);
        let rows = run_spl("search * | chart sparkline(count, 1m) count over host", events.clone());
        assert_eq!(buckets(&rows[1], "sparkline(count, 1m)"), ["0", "0", "1"]);
        // A plain number span is seconds (our choice): `60` draws as `1m` does.
        let rows = run_spl("search * | chart sparkline(count, 60) AS s over host", events);
        assert_eq!(buckets(&rows[1], "s"), ["0", "0", "1"]);
    }

    #[test]
    fn sparkline_errors_name_what_is_wrong_where_it_is_written() {
        let at = |spl: &str| plan_error_at(spl).map(|(m, at)| (m.split(' ').take(3).collect::<Vec<_>>().join(" "), at));
        let e = |m: &str, at: &str| Some((m.to_string(), at.to_string()));
        assert_eq!(at("search * | stats sparkline(values(x))"), e("sparkline cannot draw", "values(x)"));
        assert_eq!(at("search * | stats sparkline(avg) by h"), e("sparkline(avg) needs a", "avg"));
        assert_eq!(at("search * | stats sparkline(count(x), nonsense)"), e("cannot read sparkline", "nonsense"));
        assert_eq!(at("search * | stats sparkline(max(x*), 1h)"), e("sparkline takes a", "x*"));
        assert_eq!(at("search * | stats sparkline(sparkline)"), e("sparkline cannot draw", "sparkline"));
        for cmd in ["eventstats", "streamstats", "timechart"] {
            let spl = format!("search * | {cmd} sparkline(count, 1h) AS s");
            assert_eq!(at(&spl), e("`sparkline` is an", "sparkline(count, 1h) AS s"), "{cmd}");
        }
        let unsupported = plan_error_at("search * | stats sparkline(count(eval(x>1)))").unwrap().0;
        assert!(unsupported.contains("sparkline over `eval(...)`"), "{unsupported}");
        assert_eq!(plan_error_at("search * | stats sparkline(c(x), 1d) sparkline(mean(x), 10)"), None);
    }

    #[test]
    fn sparkline_buckets_align_to_the_runs_local_time() {
        // UTC+1: 23:30 UTC and 00:30 UTC the next day are both in the local day that starts
        // at 23:00 UTC; with or without a span (a 2-day range takes 30-minute buckets).
        for span in [Some("1d"), None] {
            let s = SparkFunc { tz: 3600, ..spec(AggFunc::Count, span) };
            let times = [86_400.0 - 1800.0, 86_400.0 + 1800.0, 3.0 * 86_400.0 - 7200.0];
            let mut g = Spark::new(&s);
            for t in times {
                g.add(Some(&Value::num(1.0)), Some(t));
            }
            let axis = Axis::new(&s, (times[0], times[2]));
            assert_eq!(axis.starts[0], 86_400.0 - if span.is_some() { 3600.0 } else { 1800.0 });
            let got = drawn(g.finish(Some(&axis)));
            if span.is_some() {
                assert_eq!(got[1..], ["2", "1"]);
            } else {
                assert_eq!(got.len(), 1 + 94, "from 23:30 to 22:00 two days on, by 30 minutes");
            }
        }
    }

    #[test]
    fn sparkline_calendar_spans_step_back_by_calendar_buckets() {
        // 2024-01-15 to 2024-04-02 by month: Jan, Feb, Mar, Apr.
        let s = spec(AggFunc::Count, Some("1mon"));
        let axis = Axis::new(&s, (1_705_276_800.0, 1_712_016_000.0));
        assert_eq!(axis.starts, [1_704_067_200.0, 1_706_745_600.0, 1_709_251_200.0, 1_711_929_600.0]);
    }
}
