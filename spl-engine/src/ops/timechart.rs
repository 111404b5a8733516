//! `timechart [span=<span> | bins=<n> [minspan=<span>]] [limit=[top|bottom]<n>] [useother=<bool>]
//! [usenull=<bool>] [otherstr=<s>] [nullstr=<s>] [sep=<s>] [format=<s>] [cont=<bool>] <aggs> [by <field>]`.
//!
//! Splunk's rules (Search Reference, timechart:
//! https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/timechart),
//! as implemented:
//! * `_time` is bucketed by `span` like `bin`. Without `span` the default is `bins=100`: the
//!   smallest of Splunk's span steps (1s, 5s, 10s, 30s, 1m, 5m, 10m, 30m, 1h, 1d, 30d) that puts
//!   the time range into at most `bins` buckets and is at least `minspan`. Offline the time range
//!   is that of the input rows.
//! * One row per bucket, sorted by time; with `cont=true` (default) every bucket between the
//!   first and the last is present (an empty one has `count`/`dc` 0 and no value for the other
//!   aggregations).
//! * The split-by field's series are `chart`'s columns (the code is `chart`'s): a column per
//!   value, named by the value with one aggregation and `<agg>: <value>` with several (`sep=`,
//!   `format=` with `$AGG$`/`$VAL$`); rows without the field go to `NULL` (`nullstr=`) with
//!   `usenull=true`; `limit` (default 10, 0 = all) keeps the series with the largest (or with
//!   `bottomN` smallest) total of the first aggregation, the rest fold into `OTHER`
//!   (`otherstr=`) with `useother=true`.
//!
//! Memory: the groups are `chart`'s, spilled past the run's budget. Without `span` the rows
//! wait in a spool (spilled likewise) until the time range, and so the span, is known.

use crate::event::Event;
use crate::exec::{Context, ExecError, Flow, Operator};
use crate::ops::chart::{ChartOp, ChartOpts};
use crate::spill::RowSpool;
use crate::stats::{AggFunc, AggSpec};
use crate::timefmt::{bucket_time_tz, Span};
use crate::value::{Atom, Value};

/// Splunk's span steps for the default `bins=100`, in seconds.
const STEPS: [f64; 11] = [1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 86400.0, 2_592_000.0];
/// Upper bound on the buckets one timechart fills in (a guard against a runaway range).
const MAX_BUCKETS: usize = 1_000_000;
/// The field a grouped row holds its series (split-by value) in (timechart, chart).
pub const SERIES: &str = "\u{0}series";

/// Where the chart under a timechart holds each row's time bucket (renamed `_time` on output).
const BUCKET: &str = "\u{0}bucket";

pub struct TimechartOp {
    pub span: Option<Span>,
    /// The default span's most buckets, and its least span in seconds.
    pub bins: usize,
    pub minspan: f64,
    pub by: Option<String>,
    pub aggs: Vec<AggSpec>,
    pub opts: ChartOpts,
    /// Fill the buckets between the first and the last.
    pub cont: bool,
    pub ctx: Context,
    /// Once the span is known.
    chart: Option<ChartOp>,
    /// Without a span: the rows, and their time range, until the end.
    rows: RowSpool,
    range: (f64, f64),
    /// Tests: spill past this many bytes of each holder, whatever the run's total.
    held_limit: Option<usize>,
}

/// The default span for rows spanning `range` seconds: the smallest step giving at most `bins`
/// buckets and at least `minspan` seconds.
pub fn default_span(range: f64, bins: usize, minspan: f64) -> f64 {
    let bins = bins.max(1) as f64;
    STEPS
        .iter()
        .copied()
        .find(|s| *s >= minspan && range / s <= bins)
        .unwrap_or(STEPS.last().copied().unwrap_or(86_400.0))
}

impl TimechartOp {
    pub fn new(span: Option<Span>, by: Option<String>, aggs: Vec<AggSpec>, ctx: Context) -> Self {
        TimechartOp {
            span,
            bins: 100,
            minspan: 0.0,
            by,
            aggs,
            opts: ChartOpts::default(),
            cont: true,
            ctx,
            chart: None,
            rows: RowSpool::default(),
            range: (f64::INFINITY, f64::NEG_INFINITY),
            held_limit: None,
        }
    }

    fn chart(&self, span: Span) -> ChartOp {
        let tz = self.ctx.fns.tz.offset_seconds;
        let (row, by) = (Some(BUCKET.to_string()), self.by.clone());
        let mut c =
            ChartOp::with_bucket(row, by, self.aggs.clone(), self.opts.clone(), self.ctx.clone(), Some((span, tz)));
        c.held_limit(self.held_limit);
        c
    }

    /// Tests: spill past this many bytes of each holder, whatever the run's total.
    pub fn held_limit(&mut self, limit: Option<usize>) {
        self.held_limit = limit;
        self.rows.held_limit(limit);
    }

    /// A table row with `_time` first, from a chart row.
    fn table_row(mut r: Event, t: f64) -> Event {
        let mut ev = Event::with_capacity(r.fields.len());
        ev.set("_time", Value::num(t));
        r.fields.shift_remove(BUCKET);
        for (k, v) in r.fields {
            ev.fields.insert(k, v);
        }
        ev
    }
}

fn zero_when_empty(f: &AggFunc) -> bool {
    matches!(f, AggFunc::Count | AggFunc::Dc)
}

/// Each series' total of its first aggregation over the grouped rows, for `limit`
/// (timechart, chart).
#[derive(Default)]
pub struct SeriesTotals(std::collections::HashMap<String, f64>);

impl SeriesTotals {
    /// Count a grouped row: its `SERIES` and its `first` aggregation (0 when not a number).
    pub fn add(&mut self, row: &Event, first: &str) {
        let s = row.get_str(SERIES).unwrap_or_default().into_owned();
        let v = row.get(first).and_then(|v| v.atoms().first().and_then(Atom::to_num)).unwrap_or(0.0);
        *self.0.entry(s).or_insert(0.0) += v;
    }

    /// The series kept by `limit` (0 = all): the largest totals (the smallest with `bottom`),
    /// ties by name; and whether some were left out.
    pub fn pick(self, limit: usize, bottom: bool) -> (Vec<String>, bool) {
        let mut totals: Vec<(String, f64)> = self.0.into_iter().collect();
        totals.sort_by(|a, b| {
            let by_total = if bottom { a.1.total_cmp(&b.1) } else { b.1.total_cmp(&a.1) };
            by_total.then_with(|| a.0.cmp(&b.0))
        });
        let capped = limit > 0 && totals.len() > limit;
        if capped {
            totals.truncate(limit);
        }
        (totals.into_iter().map(|t| t.0).collect(), capped)
    }
}

/// Series in column order: by name, `other` and `null` last.
pub fn order_series(series: &mut [String], other: &str, null: &str) {
    series.sort_by(|a, b| {
        let rank = |s: &str| (s == other || s == null) as u8;
        rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
    });
}

/// A pivot's columns: (aggregation index, series, column name). With series, one per
/// aggregation and series, named by the series or, with several aggregations, by `name(agg,
/// series)`; without, one per aggregation.
pub fn pivot_columns(
    aggs: &[AggSpec],
    series: Option<&[String]>,
    name: &dyn Fn(&str, &str) -> String,
) -> Vec<(usize, Option<String>, String)> {
    let several = aggs.len() > 1;
    let mut columns = Vec::new();
    for (i, a) in aggs.iter().enumerate() {
        match series {
            Some(series) => {
                for s in series {
                    columns.push((i, Some(s.clone()), if several { name(&a.out, s) } else { s.clone() }));
                }
            }
            None => columns.push((i, None, a.out.clone())),
        }
    }
    columns
}

/// One cell of a pivot: the group's value; without one, 0 for `count`/`dc` (no events), else
/// nothing.
pub fn fill_cell(ev: &mut Event, name: &str, spec: &AggSpec, v: Option<&Value>) {
    match v {
        Some(v) => ev.set(name, v.clone()),
        None if zero_when_empty(&spec.func) => ev.set(name, Value::num(0.0)),
        None => {}
    }
}

impl Operator for TimechartOp {
    fn name(&self) -> &str {
        "timechart"
    }
    fn describe(&self) -> String {
        let span = match self.span.as_ref().and_then(|s| s.seconds()) {
            Some(s) => format!("{s}s"),
            None if self.minspan > 0.0 => format!("auto(bins={}, minspan={}s)", self.bins, self.minspan),
            None => format!("auto(bins={})", self.bins),
        };
        let o = &self.opts;
        let lim = if o.bottom { format!("bottom{}", o.limit) } else { o.limit.to_string() };
        format!(
            "timechart span={span} {}{} limit={lim} useother={} usenull={} cont={}",
            self.aggs.iter().map(|a| a.out.clone()).collect::<Vec<_>>().join(", "),
            self.by.as_ref().map_or(String::new(), |b| format!(" by {b}")),
            o.useother,
            o.usenull,
            self.cont
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        // Rows without a time cannot be charted.
        let Some(t) = ev.time() else { return Ok(()) };
        if self.chart.is_none() {
            if let Some(span) = self.span {
                self.chart = Some(self.chart(span));
            }
        }
        match &mut self.chart {
            Some(chart) => chart.push_ref(ev, out),
            None => {
                self.range = (self.range.0.min(t), self.range.1.max(t));
                self.rows.push(ev)
            }
        }
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let mut chart = match self.chart.take() {
            Some(c) => c,
            None if self.rows.is_empty() => return Ok(()),
            None => {
                // In seconds, so that it aligns to local time as `span=1d` does (a bare number
                // would align to UTC).
                let secs = default_span(self.range.1 - self.range.0, self.bins, self.minspan);
                let span = Span::of_seconds(secs);
                self.span = Some(span);
                let mut chart = self.chart(span);
                let mut sink = Vec::new();
                self.rows.drain(&mut |p| {
                    chart.push_ref(&p.unpack(), &mut sink)?;
                    Ok(Flow::Continue)
                })?;
                chart
            }
        };
        let Some(span) = self.span else { return Ok(()) };
        // One row per bucket: as many as the output has, so held to sort them by time.
        let mut rows: Vec<(f64, Event)> = Vec::new();
        chart.finish_each(&mut |r| {
            let t = r.get(BUCKET).and_then(|v| v.atoms().first().and_then(Atom::to_num)).unwrap_or(0.0);
            rows.push((t, r));
            Ok(Flow::Continue)
        })?;
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        let tz = self.ctx.fns.tz.offset_seconds;
        let gap = |t: f64| {
            let mut ev = Event::with_capacity(chart.columns.len() + 1);
            ev.set("_time", Value::num(t));
            for (i, _, name) in &chart.columns {
                if let Some(spec) = self.aggs.get(*i) {
                    fill_cell(&mut ev, name, spec, None);
                }
            }
            ev
        };
        // Buckets of a fixed length are filled in (a calendar span, months, is not).
        let len = span.seconds().filter(|l| *l > 0.0);
        let (lo, hi) = (rows.first().map(|r| r.0), rows.last().map(|r| r.0));
        let fill = match (self.cont, len, lo, hi) {
            (true, Some(len), Some(lo), Some(hi)) => Some((lo, len)).filter(|_| ((hi - lo) / len) < MAX_BUCKETS as f64),
            _ => None,
        };
        let mut k = 0usize;
        for (t, r) in rows {
            if let Some((lo, len)) = fill {
                // The k-th bucket from the first, computed afresh each time (no drift).
                loop {
                    let at = bucket_time_tz(lo + k as f64 * len, &span, tz);
                    if at >= t - len / 2.0 {
                        break;
                    }
                    if emit(gap(at))? == Flow::Stop {
                        return Ok(());
                    }
                    k += 1;
                }
                k += 1;
            }
            if emit(Self::table_row(r, t))? == Flow::Stop {
                return Ok(());
            }
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op as run;
    use crate::stats::AggInput;

    fn ctx() -> Context {
        Context::new(std::sync::Arc::new(crate::content::Content::default()), 0.0)
    }

    fn count() -> AggSpec {
        AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() }
    }

    fn ev(t: f64, host: Option<&str>) -> Event {
        let mut e = Event::new();
        e.set("_time", Value::num(t));
        if let Some(h) = host {
            e.set("host", h);
        }
        e
    }

    fn s(e: &Event, f: &str) -> Option<String> {
        e.get_str(f).map(|c| c.into_owned())
    }

    #[test]
    fn timechart_span_buckets_sorted_and_empty_buckets_count_zero() {
        // Splunk: one row per span bucket in time order; buckets with no events show count 0.
        let span = crate::timefmt::parse_span("5m");
        let mut op = TimechartOp::new(span, None, vec![count()], ctx());
        let out = run(&mut op, vec![ev(1210.0, None), ev(10.0, None), ev(20.0, None)]);
        let rows: Vec<(Option<String>, Option<String>)> = out.iter().map(|e| (s(e, "_time"), s(e, "count"))).collect();
        let want = |t: &str, c: &str| (Some(t.to_string()), Some(c.to_string()));
        assert_eq!(rows, vec![want("0", "2"), want("300", "0"), want("600", "0"), want("900", "0"), want("1200", "1")]);
    }

    #[test]
    fn timechart_by_field_makes_a_column_per_value_with_null_and_other_series() {
        let span = crate::timefmt::parse_span("1m");
        let mut op = TimechartOp::new(span, Some("host".into()), vec![count()], ctx());
        op.opts.limit = 2;
        let evs = vec![
            ev(0.0, Some("a")),
            ev(1.0, Some("a")),
            ev(2.0, Some("a")),
            ev(3.0, Some("b")),
            ev(4.0, Some("b")),
            ev(5.0, Some("c")),
            ev(61.0, None),
        ];
        let out = run(&mut op, evs);
        assert_eq!(out.len(), 2);
        // a (3) and b (2) are kept; c and NULL (1 each) fold into OTHER.
        assert_eq!(s(&out[0], "a").as_deref(), Some("3"));
        assert_eq!(s(&out[0], "b").as_deref(), Some("2"));
        assert_eq!(s(&out[0], "OTHER").as_deref(), Some("1"));
        assert_eq!(s(&out[1], "OTHER").as_deref(), Some("1"));
        assert_eq!(s(&out[1], "a").as_deref(), Some("0"));
        assert!(out[0].get("c").is_none());
    }

    #[test]
    fn timechart_several_aggregations_by_field_name_columns_agg_colon_value() {
        let span = crate::timefmt::parse_span("1h");
        let max = AggSpec { func: AggFunc::Max, input: AggInput::Field("n".into()), out: "max(n)".into() };
        let mut op = TimechartOp::new(span, Some("host".into()), vec![count(), max], ctx());
        let mut e = ev(0.0, Some("a"));
        e.set("n", "7");
        let out = run(&mut op, vec![e]);
        assert_eq!(s(&out[0], "count: a").as_deref(), Some("1"));
        assert_eq!(s(&out[0], "max(n): a").as_deref(), Some("7"));
    }

    #[test]
    fn timechart_default_span_is_the_smallest_step_giving_at_most_100_buckets() {
        assert_eq!(default_span(50.0, 100, 0.0), 1.0);
        assert_eq!(default_span(3600.0, 100, 0.0), 60.0);
        assert_eq!(default_span(4.0 * 3600.0, 100, 0.0), 300.0);
        assert_eq!(default_span(86400.0, 100, 0.0), 1800.0);
        assert_eq!(default_span(7.0 * 86400.0, 100, 0.0), 86400.0);
    }

    use crate::exec::run_spl as planned;

    fn hosts() -> Vec<Event> {
        let mut evs = vec![ev(0.0, Some("a")), ev(30.0, Some("b")), ev(250.0, Some("a")), ev(260.0, None)];
        for (e, n) in evs.iter_mut().zip(["1", "5", "2", "9"]) {
            e.set("n", n);
        }
        evs
    }

    fn names(e: &Event) -> Vec<&str> {
        e.fields.keys().map(|k| k.as_str()).collect()
    }

    #[test]
    fn timechart_sep_format_otherstr_nullstr_name_series_as_chart_does() {
        // Search Reference, timechart: `sep`/`format` build the names of `<agg> by <field>`
        // columns when there are several aggregations; `otherstr`/`nullstr` name OTHER/NULL.
        let out = planned("search * | timechart span=1m sep=\"_\" count max(n) by host", hosts());
        // NULL last, as chart orders series; an empty cell of `max` is left out.
        assert_eq!(names(&out[0]), ["_time", "count_a", "count_b", "count_NULL", "max(n)_a", "max(n)_b"]);
        let out = planned("search * | timechart span=1m format=\"$VAL$-$AGG$\" count max(n) by host", hosts());
        assert_eq!(names(&out[0])[1..3], ["a-count", "b-count"]);
        let out = planned("search * | timechart span=1m limit=1 otherstr=rest nullstr=none count by host", hosts());
        assert_eq!(names(&out[0]), ["_time", "a", "rest"]);
        let out = planned("search * | timechart span=1m limit=bottom1 useother=f nullstr=none count by host", hosts());
        assert_eq!(names(&out[0]), ["_time", "b"], "bottom1: the smallest series, b or none (1 each; by name)");
    }

    #[test]
    fn timechart_cont_false_leaves_empty_buckets_out() {
        let times =
            |spl: &str| -> Vec<String> { planned(spl, hosts()).iter().map(|e| s(e, "_time").unwrap()).collect() };
        assert_eq!(times("search * | timechart span=1m count"), ["0", "60", "120", "180", "240"]);
        assert_eq!(times("search * | timechart span=1m cont=false count"), ["0", "240"]);
    }

    #[test]
    fn timechart_bins_and_minspan_choose_the_default_span() {
        // 260 s of data: bins=100 gives 5 s buckets, bins=10 30 s, minspan=2m the 5m step.
        let span = |spl: &str| -> Vec<String> {
            planned(spl, hosts()).iter().take(2).map(|e| s(e, "_time").unwrap()).collect()
        };
        assert_eq!(span("search * | timechart count"), ["0", "5"]);
        assert_eq!(span("search * | timechart bins=10 count"), ["0", "30"]);
        assert_eq!(span("search * | timechart minspan=2m count"), ["0"]);
        assert_eq!(default_span(250.0, 100, 120.0), 300.0);
    }

    #[test]
    fn timechart_default_span_aligns_to_the_runs_local_time_as_a_given_span_does() {
        // UTC+2, events over 8 days: the default is 1 day, whose buckets start at local
        // midnight (22:00 UTC), as `span=1d` does.
        let mut ctx = Context::new(Default::default(), 0.0);
        ctx.fns.tz.offset_seconds = 7200;
        let evs: Vec<Event> = (0..9).map(|d| ev(f64::from(d) * 86_400.0 + 43_200.0, Some("a"))).collect();
        let times = |spl: &str| -> Vec<String> {
            let mut p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
            let src = crate::exec::VecSource(evs.clone());
            let rows = crate::exec::Runtime { source: &src, ctx: &ctx }.collect(&mut p).unwrap();
            rows.iter().map(|r| s(r, "_time").unwrap()).collect()
        };
        let auto = times("search * | timechart count");
        assert_eq!(auto.first().map(String::as_str), Some("-7200"));
        assert_eq!(auto, times("search * | timechart span=1d count"));
    }

    #[test]
    fn timechart_aggregations_see_the_events_time_not_the_bucket() {
        // Splunk buckets `_time` for the rows, but `earliest`/`latest` read each event's time.
        let out = planned("search * | timechart span=5m latest(n) AS last earliest(n) AS first", hosts());
        assert_eq!((s(&out[0], "first").as_deref(), s(&out[0], "last").as_deref()), (Some("1"), Some("9")));
    }

    #[test]
    fn timechart_past_the_memory_budget_gives_the_rows_it_gives_in_memory() {
        let evs: Vec<Event> = (0..3000)
            .map(|i| {
                let mut e = ev(f64::from(i * 7 % 5000), Some(["a", "b", "c", "d"][i as usize % 4]));
                e.set("n", i.to_string().as_str());
                e
            })
            .collect();
        let by = Some("host".to_string());
        let max = AggSpec { func: AggFunc::Max, input: AggInput::Field("n".into()), out: "max(n)".into() };
        for span in [None, crate::timefmt::parse_span("10m")] {
            let mut op = TimechartOp::new(span, by.clone(), vec![count(), max.clone()], ctx());
            op.opts.limit = 2;
            let want = run(&mut op, evs.clone());
            assert!(want.len() > 5);
            let mut op = TimechartOp::new(span, by.clone(), vec![count(), max.clone()], ctx());
            op.opts.limit = 2;
            op.held_limit(Some(4_000));
            let got = run(&mut op, evs.clone());
            assert_eq!(got.len(), want.len());
            assert!(got.iter().zip(&want).all(|(a, b)| a.fields == b.fields));
        }
    }
}
