//! `chart <aggs> [over <row-field>] [by <column-field>]`, `chart <aggs> by <row-field> <column-field>`.
//!
//! Splunk's rules (Search Reference, chart:
//! https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/chart),
//! as implemented (the parser puts `over`'s field first in `by`):
//! * A row per value of the row field, sorted as `stats` sorts its by-values; a column per value
//!   of the column field. With the row field alone it is `stats <aggs> by <row-field>`; with no
//!   field, one row. Rows without the row field are left out, as by `stats`.
//! * Rows without the column field go to the column `NULL` (`nullstr=`) when `usenull=true`
//!   (default), else are left out. A multivalue column field counts by its first value.
//! * `limit=N` / `limit=topN` (default 10, 0 = no limit) keeps the N columns with the largest
//!   sum of their (first) aggregation over the rows, `limit=bottomN` the smallest; the others
//!   are aggregated into `OTHER` (`otherstr=`) with `useother=true` (default), else dropped.
//! * Column names: the column value with one aggregation, `<agg>: <value>` with several (`sep=`,
//!   or `format=` with `$AGG$` and `$VAL$`). Columns are in name order, OTHER and NULL last.
//! * An empty cell is 0 for `count`/`dc` and missing otherwise, as in `timechart` (whose series
//!   rules these are: the code is shared).
//!
//! Memory: the groups are `stats`'s, spilled past the run's budget. With a column field, a
//! `limit` and `useother=true`, the rows, cut to what the aggregations read, wait in a spool
//! (spilled likewise) for the second pass that folds the columns past `limit` into OTHER.

use std::collections::{HashMap, HashSet};

use crate::event::Event;
use crate::exec::{Context, ExecError, Flow, Operator};
use crate::ops::timechart::{fill_cell, order_series, pivot_columns, SeriesTotals, SERIES};
use crate::spill::RowSpool;
use crate::stats::{AggInput, AggSpec, Grouper};

/// The column field's options.
#[derive(Clone, Debug)]
pub struct ChartOpts {
    pub limit: usize,
    /// `limit=bottomN`: keep the smallest columns.
    pub bottom: bool,
    pub useother: bool,
    pub usenull: bool,
    pub otherstr: String,
    pub nullstr: String,
    pub sep: String,
    pub format: Option<String>,
}

impl Default for ChartOpts {
    fn default() -> Self {
        ChartOpts {
            limit: 10,
            bottom: false,
            useother: true,
            usenull: true,
            otherstr: "OTHER".into(),
            nullstr: "NULL".into(),
            sep: ": ".into(),
            format: None,
        }
    }
}

/// A column's name with several data series: `format` with `$AGG$`/`$VAL$`, else
/// `<agg><sep><value>` (chart, xyseries).
pub fn series_name(agg: &str, val: &str, sep: &str, format: Option<&str>) -> String {
    match format {
        Some(f) => f.replace("$AGG$", agg).replace("$VAL$", val),
        None => format!("{agg}{sep}{val}"),
    }
}

/// Rows that come sorted (or grouped) by a field, gathered per value of it (chart, xyseries).
pub struct Fold {
    field: String,
    key: Option<String>,
    group: Vec<Event>,
}

impl Fold {
    pub fn new(field: &str) -> Fold {
        Fold { field: field.to_string(), key: None, group: Vec::new() }
    }

    /// Take the next row; when it starts another value, the rows of the value before.
    pub fn next(&mut self, ev: Event) -> Option<Vec<Event>> {
        let key = ev.get_str(&self.field).map(|k| k.into_owned());
        let done = (key != self.key && !self.group.is_empty()).then(|| std::mem::take(&mut self.group));
        self.key = key;
        self.group.push(ev);
        done
    }

    /// The rows of the last value.
    pub fn end(&mut self) -> Option<Vec<Event>> {
        self.key = None;
        (!self.group.is_empty()).then(|| std::mem::take(&mut self.group))
    }
}

/// Where a cut row holds aggregation `i`'s input.
fn slot(i: usize) -> String {
    format!("\u{0}v{i}")
}

pub struct ChartOp {
    row: Option<String>,
    column: Option<String>,
    /// As written: output names, and what they read from the input rows.
    aggs: Vec<AggSpec>,
    /// The same, reading cut rows (with a column field).
    cut: Vec<AggSpec>,
    pub opts: ChartOpts,
    ctx: Context,
    groups: Grouper,
    /// Cut rows, for the OTHER pass.
    rows: RowSpool,
    /// `timechart`: the row value is the event's time bucketed by this span (and time zone
    /// offset), not a field's value.
    bucket: Option<(crate::timefmt::Span, i32)>,
    /// The table's columns (aggregation index, series, name), once known at the end.
    pub columns: Vec<(usize, Option<String>, String)>,
}

impl ChartOp {
    pub fn new(row: Option<String>, column: Option<String>, aggs: Vec<AggSpec>, opts: ChartOpts, ctx: Context) -> Self {
        Self::with_bucket(row, column, aggs, opts, ctx, None)
    }

    /// A chart whose row value, held in the field `row`, is the time bucket of each event
    /// (`timechart`).
    pub fn with_bucket(
        row: Option<String>,
        column: Option<String>,
        aggs: Vec<AggSpec>,
        opts: ChartOpts,
        ctx: Context,
        bucket: Option<(crate::timefmt::Span, i32)>,
    ) -> Self {
        let cut: Vec<AggSpec> = aggs
            .iter()
            .enumerate()
            .map(|(i, a)| AggSpec {
                func: a.func.clone(),
                input: match a.input {
                    AggInput::Events => AggInput::Events,
                    _ => AggInput::Field(slot(i)),
                },
                out: a.out.clone(),
            })
            .collect();
        let keys = row.iter().cloned().chain(column.as_ref().map(|_| SERIES.to_string())).collect();
        let groups =
            Grouper::new(keys, None, if column.is_some() || bucket.is_some() { cut.clone() } else { aggs.clone() })
                .spilling();
        ChartOp { row, column, aggs, cut, opts, ctx, groups, rows: RowSpool::default(), bucket, columns: Vec::new() }
    }

    /// Tests: spill past this many bytes of its groups or its rows, whatever the run's total.
    pub fn held_limit(&mut self, limit: Option<usize>) {
        self.groups.held.own_limit = limit;
        self.rows.held_limit(limit);
    }

    /// An input row cut to what the chart reads: row value, column (`SERIES`), each
    /// aggregation's input, `_time`; `None` when the row is left out.
    fn cut_row(&self, ev: &Event) -> Result<Option<Event>, ExecError> {
        let mut p = Event::with_capacity(self.aggs.len() + 3);
        if let Some(r) = &self.row {
            match &self.bucket {
                Some((span, tz)) => {
                    let Some(t) = ev.time() else { return Ok(None) };
                    p.set(r.as_str(), crate::value::Value::num(crate::timefmt::bucket_time_tz(t, span, *tz)));
                }
                None => {
                    let Some(v) = ev.get(r) else { return Ok(None) };
                    p.set(r.as_str(), v.clone());
                }
            }
        }
        if let Some(column) = &self.column {
            match ev.get(column) {
                Some(v) => p.set(SERIES, v.first().as_str().as_ref()),
                None if self.opts.usenull => p.set(SERIES, self.opts.nullstr.as_str()),
                None => return Ok(None),
            }
        }
        if let Some(t) = ev.get("_time") {
            p.set("_time", t.clone());
        }
        for (i, a) in self.aggs.iter().enumerate() {
            if !matches!(a.input, AggInput::Events) {
                p.set_opt(&slot(i), a.value_of(ev, &self.ctx.fns)?);
            }
        }
        Ok(Some(p))
    }
}

/// A table row from the grouped rows of one row value.
fn table_row(row: &str, aggs: &[AggSpec], columns: &[(usize, Option<String>, String)], group: Vec<Event>) -> Event {
    let mut ev = Event::with_capacity(columns.len() + 1);
    if let Some(v) = group.first().and_then(|g| g.get(row)) {
        ev.set(row, v.clone());
    }
    let at: HashMap<String, usize> =
        group.iter().enumerate().map(|(k, g)| (g.get_str(SERIES).unwrap_or_default().into_owned(), k)).collect();
    for (i, s, name) in columns {
        let Some(spec) = aggs.get(*i) else { continue };
        let cell = s.as_ref().and_then(|s| at.get(s)).and_then(|&k| group.get(k));
        fill_cell(&mut ev, name, spec, cell.and_then(|c| c.get(&spec.out)));
    }
    ev
}

impl Operator for ChartOp {
    fn name(&self) -> &str {
        "chart"
    }
    fn describe(&self) -> String {
        let aggs: Vec<&str> = self.aggs.iter().map(|a| a.out.as_str()).collect();
        let mut d = format!("chart {}", aggs.join(", "));
        if let Some(r) = &self.row {
            d.push_str(&format!(" OVER {r}"));
        }
        if let Some(c) = &self.column {
            let o = &self.opts;
            let lim = if o.bottom { format!("bottom{}", o.limit) } else { o.limit.to_string() };
            d.push_str(&format!(" BY {c} limit={lim} useother={} usenull={}", o.useother, o.usenull));
        }
        d
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.column.is_none() && self.bucket.is_none() {
            return self.groups.add(ev, &self.ctx.fns);
        }
        let Some(p) = self.cut_row(ev)? else { return Ok(()) };
        self.groups.add(&p, &self.ctx.fns)?;
        // Rows are read again only to fold the columns past `limit` into OTHER.
        if self.column.is_some() && self.opts.limit > 0 && self.opts.useother {
            self.rows.push(&p)?;
        }
        Ok(())
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        if self.column.is_none() {
            self.columns = pivot_columns(&self.aggs, None, &|a, _| a.to_string());
            return self.groups.rows_each(emit);
        }
        let keys = self.groups.by.clone();
        let mut groups = std::mem::replace(&mut self.groups, Grouper::new(Vec::new(), None, Vec::new()));
        let mut rows = std::mem::take(&mut self.rows);
        // First pass: the columns' totals; the grouped rows wait in a spool.
        let first = self.aggs.first().map(|a| a.out.clone()).unwrap_or_default();
        let (mut totals, mut cells) = (SeriesTotals::default(), RowSpool::default());
        groups.rows_each(&mut |r| {
            totals.add(&r, &first);
            cells.push(&r)?;
            Ok(Flow::Continue)
        })?;
        drop(groups);
        let o = &self.opts;
        let (keep, capped) = totals.pick(o.limit, o.bottom);
        let mut series = keep.clone();
        if capped && o.useother {
            series.push(o.otherstr.clone());
        }
        order_series(&mut series, &o.otherstr, &o.nullstr);
        let columns = pivot_columns(&self.aggs, Some(&series), &|a, v| series_name(a, v, &o.sep, o.format.as_deref()));
        self.columns = columns.clone();
        let row = self.row.clone().unwrap_or_default();
        let mut fold = Fold::new(&row);
        let mut stopped = false;
        let mut take = |r: Event| -> Result<Flow, ExecError> {
            let Some(group) = fold.next(r) else { return Ok(Flow::Continue) };
            let flow = emit(table_row(&row, &self.aggs, &columns, group))?;
            stopped = flow == Flow::Stop;
            Ok(flow)
        };
        let keep: HashSet<String> = keep.into_iter().collect();
        let kept = |ev: &Event| ev.get_str(SERIES).is_some_and(|s| keep.contains(s.as_ref()));
        if capped && o.useother {
            // Second pass: the columns left out go to OTHER, aggregated anew.
            drop(cells);
            let mut other = Grouper::new(keys, None, self.cut.clone()).spilling();
            rows.drain(&mut |p| {
                let mut ev = p.unpack();
                if !kept(&ev) {
                    ev.set(SERIES, o.otherstr.as_str());
                }
                other.add(&ev, &self.ctx.fns)?;
                Ok(Flow::Continue)
            })?;
            other.rows_each(&mut take)?;
        } else {
            // Without OTHER the kept columns' cells are those of the first pass.
            drop(rows);
            cells.drain(&mut |p| {
                let ev = p.unpack();
                if capped && !kept(&ev) {
                    return Ok(Flow::Continue);
                }
                take(ev)
            })?;
        }
        if let (false, Some(group)) = (stopped, fold.end()) {
            emit(table_row(&row, &self.aggs, &columns, group))?;
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::exec::run_op as run;
    use crate::stats::AggFunc;

    fn ctx() -> Context {
        Context::new(std::sync::Arc::new(crate::content::Content::default()), 0.0)
    }

    fn count() -> AggSpec {
        AggSpec { func: AggFunc::Count, input: AggInput::Events, out: "count".into() }
    }

    fn max_n() -> AggSpec {
        AggSpec { func: AggFunc::Max, input: AggInput::Field("n".into()), out: "max(n)".into() }
    }

    /// Rows as `host kind n` triples ("-" = no field).
    fn rows(spec: &[(&str, &str, &str)]) -> Vec<Event> {
        spec.iter()
            .map(|(h, k, n)| {
                let pairs: Vec<(&str, &str)> =
                    [("host", *h), ("kind", *k), ("n", *n)].into_iter().filter(|(_, v)| *v != "-").collect();
                Event::from_pairs(&pairs)
            })
            .collect()
    }

    /// Each row as `field=value` pairs in field order.
    fn show(out: &[Event]) -> Vec<String> {
        out.iter()
            .map(|e| e.fields.iter().map(|(k, v)| format!("{k}={}", v.as_str())).collect::<Vec<_>>().join(" "))
            .collect()
    }

    fn chart(aggs: Vec<AggSpec>, by: &[&str], opts: ChartOpts, input: Vec<Event>) -> Vec<String> {
        let mut op =
            ChartOp::new(by.first().map(|s| s.to_string()), by.get(1).map(|s| s.to_string()), aggs, opts, ctx());
        show(&run(&mut op, input))
    }

    #[test]
    fn chart_over_by_makes_a_row_per_row_value_and_a_column_per_column_value_with_count_zero_filled() {
        // Splunk: rows sorted by the over field, one column per by value, named by the value;
        // an empty count cell is 0.
        let input = rows(&[("b", "x", "1"), ("a", "y", "2"), ("a", "x", "3"), ("a", "x", "4")]);
        let out = chart(vec![count()], &["host", "kind"], ChartOpts::default(), input);
        assert_eq!(out, ["host=a x=2 y=1", "host=b x=1 y=0"]);
    }

    #[test]
    fn chart_several_aggregations_name_columns_agg_colon_value_and_leave_other_empty_cells_out() {
        let input = rows(&[("a", "x", "3"), ("b", "y", "5")]);
        let out = chart(vec![count(), max_n()], &["host", "kind"], ChartOpts::default(), input.clone());
        assert_eq!(out, ["host=a count: x=1 count: y=0 max(n): x=3", "host=b count: x=0 count: y=1 max(n): y=5"]);
        let opts = ChartOpts { format: Some("$VAL$-$AGG$".into()), ..ChartOpts::default() };
        let out = chart(vec![count(), max_n()], &["host", "kind"], opts, input);
        assert_eq!(out[0], "host=a x-count=1 y-count=0 x-max(n)=3");
    }

    #[test]
    fn chart_limit_keeps_the_columns_with_the_largest_sums_and_the_rest_become_other() {
        // Counts: x 3, y 2, w 1, z 1 (ties by name): limit=2 keeps x and y; w and z are
        // aggregated into OTHER anew (the max over their rows, not a sum of maxima).
        let input = rows(&[
            ("a", "x", "1"),
            ("a", "x", "1"),
            ("b", "x", "1"),
            ("a", "y", "1"),
            ("b", "y", "1"),
            ("a", "z", "9"),
            ("a", "w", "4"),
        ]);
        let opts = ChartOpts { limit: 2, ..ChartOpts::default() };
        assert_eq!(
            chart(vec![count()], &["host", "kind"], opts.clone(), input.clone()),
            ["host=a x=2 y=1 OTHER=2", "host=b x=1 y=1 OTHER=0"]
        );
        let out = chart(vec![count(), max_n()], &["host", "kind"], opts.clone(), input.clone());
        assert_eq!(out[0], "host=a count: x=2 count: y=1 count: OTHER=2 max(n): x=1 max(n): y=1 max(n): OTHER=9");
        let no_other = ChartOpts { useother: false, ..opts.clone() };
        assert_eq!(
            chart(vec![count()], &["host", "kind"], no_other, input.clone()),
            ["host=a x=2 y=1", "host=b x=1 y=1"]
        );
        let bottom = ChartOpts { bottom: true, limit: 1, otherstr: "rest".into(), ..opts };
        assert_eq!(
            chart(vec![count()], &["host", "kind"], bottom, input.clone()),
            ["host=a w=1 rest=4", "host=b w=0 rest=2"]
        );
        let all = ChartOpts { limit: 0, ..ChartOpts::default() };
        assert_eq!(chart(vec![count()], &["host", "kind"], all, input)[1], "host=b w=0 x=1 y=1 z=0");
    }

    #[test]
    fn chart_rows_without_the_column_field_go_to_null_and_without_the_row_field_are_left_out() {
        let input = rows(&[("a", "-", "1"), ("a", "x", "1"), ("-", "x", "1")]);
        assert_eq!(chart(vec![count()], &["host", "kind"], ChartOpts::default(), input.clone()), ["host=a x=1 NULL=1"]);
        let opts = ChartOpts { usenull: false, ..ChartOpts::default() };
        assert_eq!(chart(vec![count()], &["host", "kind"], opts, input.clone()), ["host=a x=1"]);
        let opts = ChartOpts { nullstr: "none".into(), ..ChartOpts::default() };
        assert_eq!(chart(vec![count()], &["host", "kind"], opts, input.clone()), ["host=a x=1 none=1"]);
        // Without a column field chart is stats by the row field; with none, one row.
        assert_eq!(chart(vec![count()], &["host"], ChartOpts::default(), input.clone()), ["host=a count=2"]);
        assert_eq!(chart(vec![count()], &[], ChartOpts::default(), input), ["count=3"]);
    }

    #[test]
    fn chart_past_the_memory_budget_gives_the_rows_it_gives_in_memory() {
        let input: Vec<Event> = (0..4_000u32)
            .map(|i| {
                let (h, k, n) = (format!("h{}", i % 50), format!("k{}", i % 13), (i % 7).to_string());
                Event::from_pairs(&[("host", &h), ("kind", &k), ("n", &n)])
            })
            .collect();
        let opts = ChartOpts { limit: 5, ..ChartOpts::default() };
        let mut held = ChartOp::new(Some("host".into()), Some("kind".into()), vec![max_n()], opts.clone(), ctx());
        let want = show(&run(&mut held, input.clone()));
        assert_eq!(want.len(), 50);
        let mut op = ChartOp::new(Some("host".into()), Some("kind".into()), vec![max_n()], opts, ctx());
        op.groups.held.own_limit = Some(8_000);
        op.rows.held_limit(Some(8_000));
        assert_eq!(show(&run(&mut op, input)), want);
    }
}
