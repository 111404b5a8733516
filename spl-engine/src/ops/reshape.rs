//! `xyseries` and `untable`: a table of rows × series to one row per cell and back.
//!
//! `xyseries [grouped=<bool>] <x-field> <y-name-field> <y-data-field>... [sep=] [format=]`
//! (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.3/search-commands/xyseries):
//! * One row per value of `<x-field>`, with a column per value of `<y-name-field>` holding
//!   `<y-data-field>`; with several data fields a column is `<data-field>: <name>` (`sep=`, or
//!   `format=` with `$AGG$` for the data field and `$VAL$` for the name), as chart names them.
//! * Rows without the x or the y-name field give nothing; a multivalue y-name counts by its first
//!   value. Where two rows give the same cell, the first one's value is kept (the reference says
//!   only that duplicates are removed).
//! * Rows come sorted by x as `stats` sorts (the Search Manual's `chart n by x,y` = `stats n by
//!   x,y | xyseries x y n`), each with its cells by name. The rows wait in `stats`'s groups,
//!   spilled past the run's memory budget. `grouped=true` (input already grouped by x) holds only
//!   the current x's rows and gives a row each time x changes, in input order.
//!
//! `untable <x-field> <y-name-field> <y-data-field>`
//! (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/untable):
//! streaming; each row gives one row per field other than `<x-field>` that it has, in its field
//! order: `<x-field>` (when the row has it), `<y-name-field>` = the field's name, `<y-data-field>`
//! = its value. Internal `_` fields (`_time`, `_raw`, timechart's `_span`) are not cells.

use std::collections::HashSet;

use crate::event::Event;
use crate::exec::{Context, ExecError, Flow, Operator};
use crate::ops::chart::{series_name, Fold};
use crate::stats::{AggFunc, AggInput, AggSpec, Grouper};

/// Where a cut row holds its y-name.
const NAME: &str = "\u{0}name";

/// Where a cut row holds data field `j`.
fn data(j: usize) -> String {
    format!("\u{0}d{j}")
}

pub struct XyseriesOp {
    x: String,
    yname: String,
    ydata: Vec<String>,
    grouped: bool,
    sep: String,
    format: Option<String>,
    ctx: Context,
    /// By x and y-name, the first value of each data field (`grouped=false`).
    groups: Grouper,
    /// The current x's rows (`grouped=true`).
    fold: Fold,
}

impl XyseriesOp {
    pub fn new(
        x: String,
        yname: String,
        ydata: Vec<String>,
        grouped: bool,
        sep: String,
        format: Option<String>,
        ctx: Context,
    ) -> Self {
        let firsts =
            (0..ydata.len()).map(|j| AggSpec { func: AggFunc::First, input: AggInput::Field(data(j)), out: data(j) });
        let groups = Grouper::new(vec![x.clone(), NAME.to_string()], None, firsts.collect()).spilling();
        let fold = Fold::new(&x);
        XyseriesOp { x, yname, ydata, grouped, sep, format, ctx, groups, fold }
    }

    /// An input row cut to x, y-name and the data fields; `None` without x or y-name.
    fn cut(&self, ev: &Event) -> Option<Event> {
        let (x, name) = (ev.get(&self.x)?, ev.get(&self.yname)?);
        let mut p = Event::with_capacity(self.ydata.len() + 2);
        p.set(self.x.as_str(), x.clone());
        p.set(NAME, name.first().as_str().as_ref());
        for (j, d) in self.ydata.iter().enumerate() {
            p.set_opt(&data(j), ev.get(d).cloned());
        }
        Some(p)
    }

    /// The row of one x from its cut (or grouped) rows: per data field, the first value of each
    /// y-name.
    fn row(&self, group: Vec<Event>) -> Event {
        let mut ev = Event::with_capacity(1 + group.len() * self.ydata.len());
        if let Some(x) = group.first().and_then(|g| g.get(&self.x)) {
            ev.set(self.x.as_str(), x.clone());
        }
        let several = self.ydata.len() > 1;
        for (j, d) in self.ydata.iter().enumerate() {
            let slot = data(j);
            let mut seen = HashSet::new();
            for g in &group {
                let (Some(name), Some(v)) = (g.get_str(NAME), g.get(&slot)) else { continue };
                if seen.insert(name.to_string()) {
                    let column = if several {
                        series_name(d, &name, &self.sep, self.format.as_deref())
                    } else {
                        name.into_owned()
                    };
                    ev.set(column, v.clone());
                }
            }
        }
        ev
    }
}

impl Operator for XyseriesOp {
    fn name(&self) -> &str {
        "xyseries"
    }
    fn describe(&self) -> String {
        format!("xyseries grouped={} {} {} {}", self.grouped, self.x, self.yname, self.ydata.join(", "))
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(p) = self.cut(&ev) else { return Ok(()) };
        if !self.grouped {
            return self.groups.add(&p, &self.ctx.fns);
        }
        if let Some(group) = self.fold.next(p) {
            out.push(self.row(group));
        }
        Ok(())
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let mut fold = std::mem::replace(&mut self.fold, Fold::new(&self.x));
        if !self.grouped {
            let mut groups = std::mem::replace(&mut self.groups, Grouper::new(Vec::new(), None, Vec::new()));
            let mut stopped = false;
            groups.rows_each(&mut |r| {
                let Some(group) = fold.next(r) else { return Ok(Flow::Continue) };
                let flow = emit(self.row(group))?;
                stopped = flow == Flow::Stop;
                Ok(flow)
            })?;
            if stopped {
                return Ok(());
            }
        }
        if let Some(group) = fold.end() {
            emit(self.row(group))?;
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
}

pub struct UntableOp {
    pub x: String,
    pub yname: String,
    pub ydata: String,
}

impl Operator for UntableOp {
    fn name(&self) -> &str {
        "untable"
    }
    fn describe(&self) -> String {
        format!("untable {} {} {}", self.x, self.yname, self.ydata)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let x = ev.get(&self.x);
        for (name, v) in &ev.fields {
            if name.as_str() == self.x || name.starts_with('_') {
                continue;
            }
            let mut row = Event::with_capacity(3);
            if let Some(x) = x {
                row.set(self.x.as_str(), x.clone());
            }
            row.set(self.yname.as_str(), name.as_str());
            row.set(self.ydata.as_str(), v.clone());
            out.push(row);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::exec::run_op as run;

    fn ctx() -> Context {
        Context::new(std::sync::Arc::new(crate::content::Content::default()), 0.0)
    }

    fn show(out: &[Event]) -> Vec<String> {
        out.iter()
            .map(|e| e.fields.iter().map(|(k, v)| format!("{k}={}", v.as_str())).collect::<Vec<_>>().join(" "))
            .collect()
    }

    fn xyseries(data: &[&str], grouped: bool, input: Vec<Event>) -> Vec<String> {
        let data = data.iter().map(|d| d.to_string()).collect();
        let mut op = XyseriesOp::new("host".into(), "kind".into(), data, grouped, ": ".into(), None, ctx());
        show(&run(&mut op, input))
    }

    fn stats_rows() -> Vec<Event> {
        [
            ("b", "x", "1", "10"),
            ("a", "y", "2", "20"),
            ("a", "x", "3", "30"),
            ("a", "x", "9", "90"),
            ("c", "-", "1", "1"),
        ]
        .iter()
        .map(|(h, k, c, b)| {
            let pairs: Vec<(&str, &str)> = [("host", *h), ("kind", *k), ("count", *c), ("bytes", *b)]
                .into_iter()
                .filter(|(_, v)| *v != "-")
                .collect();
            Event::from_pairs(&pairs)
        })
        .collect()
    }

    #[test]
    fn xyseries_gives_a_row_per_x_and_a_column_per_y_name_keeping_the_first_duplicate() {
        // Splunk: x values become rows, y-name values columns holding y-data; a duplicate cell
        // is removed; a row without the y-name gives nothing.
        assert_eq!(xyseries(&["count"], false, stats_rows()), ["host=a x=3 y=2", "host=b x=1"]);
    }

    #[test]
    fn xyseries_several_data_fields_name_columns_data_colon_name() {
        assert_eq!(
            xyseries(&["count", "bytes"], false, stats_rows())[0],
            "host=a count: x=3 count: y=2 bytes: x=30 bytes: y=20"
        );
    }

    #[test]
    fn xyseries_grouped_gives_a_row_each_time_x_changes_in_input_order() {
        assert_eq!(xyseries(&["count"], true, stats_rows()), ["host=b x=1", "host=a y=2 x=3"]);
    }

    #[test]
    fn untable_gives_a_row_per_cell_and_xyseries_turns_it_back() {
        let table = vec![
            Event::from_pairs(&[("host", "a"), ("x", "2"), ("y", "1"), ("_time", "5")]),
            Event::from_pairs(&[("host", "b"), ("x", "0")]),
        ];
        let mut untable = UntableOp { x: "host".into(), yname: "kind".into(), ydata: "count".into() };
        let cells = run(&mut untable, table);
        assert_eq!(
            show(&cells),
            ["host=a kind=x count=2", "host=a kind=y count=1", "host=b kind=x count=0"],
            "one row per cell, internal fields left out"
        );
        let mut op =
            XyseriesOp::new("host".into(), "kind".into(), vec!["count".into()], false, ": ".into(), None, ctx());
        assert_eq!(show(&run(&mut op, cells)), ["host=a x=2 y=1", "host=b x=0"]);
    }

    #[test]
    fn xyseries_past_the_memory_budget_gives_the_rows_it_gives_in_memory() {
        let input: Vec<Event> = (0..4_000u32)
            .map(|i| {
                let (h, k, c) = (format!("h{}", i % 97), format!("k{}", i % 11), i.to_string());
                Event::from_pairs(&[("host", h.as_str()), ("kind", k.as_str()), ("count", c.as_str())])
            })
            .collect();
        let want = xyseries(&["count"], false, input.clone());
        assert_eq!(want.len(), 97);
        let mut op =
            XyseriesOp::new("host".into(), "kind".into(), vec!["count".into()], false, ": ".into(), None, ctx());
        op.groups.held.own_limit = Some(8_000);
        assert_eq!(show(&run(&mut op, input)), want);
    }
}
