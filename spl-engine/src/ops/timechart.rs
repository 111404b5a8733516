//! `timechart [span=<span>] [limit=<n>] [useother=<bool>] [usenull=<bool>] <aggs> [by <field>]`.
//!
//! Splunk's rules, as implemented:
//! * `_time` is bucketed by `span` like `bin`. Without `span` the default is `bins=100`: the
//!   smallest of Splunk's span steps (1s, 5s, 10s, 30s, 1m, 5m, 10m, 30m, 1h, 1d, 30d) that puts
//!   the time range into at most 100 buckets. Offline the time range is that of the input rows.
//! * One row per bucket, sorted by time; every bucket between the first and the last is present
//!   (an empty one has `count`/`dc` 0 and no value for the other aggregations).
//! * Without `by`, a column per aggregation. With `by f`, a column per value of `f`, named by the
//!   value when there is one aggregation and `<agg>: <value>` when there are several. Rows
//!   without `f` go to the series `NULL` (`usenull=true`, default).
//! * `limit=N` (default 10; 0 = no limit) keeps the N series with the largest total of their
//!   (first) aggregation; the rest are aggregated into `OTHER` (`useother=true`, default) or
//!   dropped.

use crate::event::Event;
use crate::exec::{Context, ExecError, Operator};
use crate::stats::{AggFunc, AggSpec, Grouper};
use crate::timefmt::{bucket_time_tz, Span};
use crate::value::{Atom, Value};

/// Splunk's span steps for the default `bins=100`, in seconds.
const STEPS: [f64; 11] = [1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 86400.0, 2_592_000.0];
/// Upper bound on the buckets one timechart fills in (a guard against a runaway range).
const MAX_BUCKETS: usize = 1_000_000;
/// The field a grouped row holds its series (split-by value) in (timechart, chart).
pub const SERIES: &str = "\u{0}series";

pub struct TimechartOp {
    pub span: Option<Span>,
    pub by: Option<String>,
    pub aggs: Vec<AggSpec>,
    pub limit: usize,
    pub useother: bool,
    pub usenull: bool,
    pub ctx: Context,
    rows: Vec<Event>,
}

/// The default span for rows spanning `range` seconds (`bins=100`).
pub fn default_span(range: f64) -> f64 {
    STEPS.iter().copied().find(|s| range / s <= 100.0).unwrap_or(STEPS.last().copied().unwrap_or(86_400.0))
}

impl TimechartOp {
    pub fn new(span: Option<Span>, by: Option<String>, aggs: Vec<AggSpec>, ctx: Context) -> Self {
        TimechartOp { span, by, aggs, limit: 10, useother: true, usenull: true, ctx, rows: Vec::new() }
    }

    fn group(&self, rows: &[Event], series_of: &dyn Fn(&Event) -> Option<String>) -> Result<Vec<Event>, ExecError> {
        let mut by = vec!["_time".to_string()];
        if self.by.is_some() {
            by.push(SERIES.to_string());
        }
        let mut g = Grouper::new(by, None, self.aggs.clone());
        for ev in rows {
            let mut e = ev.clone();
            if self.by.is_some() {
                match series_of(ev) {
                    Some(s) => e.set(SERIES, s.as_str()),
                    None => continue,
                }
            }
            g.add(&e, &self.ctx.fns)?;
        }
        Ok(g.rows())
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
        format!(
            "timechart span={} {}{} limit={} useother={}",
            self.span.as_ref().and_then(|s| s.seconds()).map_or("auto(bins=100)".to_string(), |s| format!("{s}s")),
            self.aggs.iter().map(|a| a.out.clone()).collect::<Vec<_>>().join(", "),
            self.by.as_ref().map_or(String::new(), |b| format!(" by {b}")),
            self.limit,
            self.useother
        )
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        // Rows without a time cannot be charted.
        if ev.time().is_some() {
            self.rows.push(ev);
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut rows = std::mem::take(&mut self.rows);
        if rows.is_empty() {
            return Ok(());
        }
        let tz = self.ctx.fns.tz.offset_seconds;
        let span = match &self.span {
            Some(s) => *s,
            None => {
                let times = rows.iter().filter_map(Event::time);
                let (lo, hi) = times.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| (lo.min(t), hi.max(t)));
                Span { count: default_span(hi - lo), unit: None }
            }
        };
        for ev in rows.iter_mut() {
            if let Some(t) = ev.time() {
                ev.set("_time", Value::num(bucket_time_tz(t, &span, tz)));
            }
        }
        let by = self.by.clone();
        let usenull = self.usenull;
        let raw_series = |ev: &Event| -> Option<String> {
            match by.as_ref().and_then(|b| ev.get(b)) {
                Some(v) => v.atoms().first().map(|a| a.as_str().into_owned()),
                None if usenull => Some("NULL".to_string()),
                None => None,
            }
        };
        let mut grouped = self.group(&rows, &raw_series)?;
        // Series filtering: keep the `limit` largest series, the rest become OTHER.
        let mut series: Vec<String> = Vec::new();
        if self.by.is_some() {
            let first = self.aggs.first().map(|a| a.out.clone()).unwrap_or_default();
            let mut totals = SeriesTotals::default();
            for r in &grouped {
                totals.add(r, &first);
            }
            let (keep, capped) = totals.pick(self.limit, false);
            if capped {
                let useother = self.useother;
                let capped = |ev: &Event| -> Option<String> {
                    let s = raw_series(ev)?;
                    if keep.contains(&s) {
                        Some(s)
                    } else if useother {
                        Some("OTHER".to_string())
                    } else {
                        None
                    }
                };
                grouped = self.group(&rows, &capped)?;
                series = keep;
                if useother {
                    series.push("OTHER".to_string());
                }
            } else {
                series = keep;
            }
            order_series(&mut series, "OTHER", "NULL");
        }
        let columns =
            pivot_columns(&self.aggs, self.by.is_some().then_some(series.as_slice()), &|a, s| format!("{a}: {s}"));
        // Buckets, in time order, with the gaps filled.
        let mut buckets: Vec<f64> = grouped
            .iter()
            .filter_map(|r| r.get("_time").and_then(|v| v.atoms().first().and_then(Atom::to_num)))
            .collect();
        buckets.sort_by(f64::total_cmp);
        buckets.dedup();
        if let (Some(len), Some(&lo), Some(&hi)) = (span.seconds(), buckets.first(), buckets.last()) {
            if len > 0.0 && ((hi - lo) / len) < MAX_BUCKETS as f64 {
                let n = ((hi - lo) / len).round() as usize;
                let filled: Vec<f64> = (0..=n).map(|k| bucket_time_tz(lo + k as f64 * len, &span, tz)).collect();
                buckets = filled;
                buckets.dedup();
            }
        }
        for b in buckets {
            let mut ev = Event::new();
            ev.set("_time", Value::num(b));
            for (i, s, name) in &columns {
                let Some(spec) = self.aggs.get(*i) else { continue };
                let cell = grouped.iter().find(|r| {
                    r.get("_time").and_then(|v| v.atoms().first().and_then(Atom::to_num)) == Some(b)
                        && s.as_ref().is_none_or(|s| r.get_str(SERIES).as_deref() == Some(s.as_str()))
                });
                fill_cell(&mut ev, name, spec, cell.and_then(|r| r.get(&spec.out)));
            }
            out.push(ev);
        }
        Ok(())
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
        op.limit = 2;
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
        assert_eq!(default_span(50.0), 1.0);
        assert_eq!(default_span(3600.0), 60.0);
        assert_eq!(default_span(4.0 * 3600.0), 300.0);
        assert_eq!(default_span(86400.0), 1800.0);
        assert_eq!(default_span(7.0 * 86400.0), 86400.0);
    }
}
