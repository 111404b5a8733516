//! `stats`, `eventstats`, `streamstats`.

use std::collections::{HashMap, VecDeque};

use crate::event::Event;
use crate::exec::{Context, ExecError, Flow, Operator};
use crate::spill::RowSpool;
use crate::stats::{Acc, AggSpec, Grouper};

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
            format!("{}({input}) AS {}", format!("{:?}", s.func).to_lowercase(), s.out)
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

/// `streamstats [window=N] [current=bool] [global=bool] aggs [by fields]`: running aggregates.
pub struct StreamstatsOp {
    pub aggs: Vec<AggSpec>,
    pub by: Vec<String>,
    pub window: usize,
    pub current: bool,
    pub ctx: Context,
    groups: HashMap<Vec<String>, VecDeque<WindowEntry>>,
    running: HashMap<Vec<String>, Vec<Acc>>,
    keyer: Grouper,
}

impl StreamstatsOp {
    pub fn new(aggs: Vec<AggSpec>, by: Vec<String>, window: usize, current: bool, ctx: Context) -> Self {
        let keyer = Grouper::new(by.clone(), None, Vec::new());
        StreamstatsOp { aggs, by, window, current, ctx, groups: HashMap::new(), running: HashMap::new(), keyer }
    }
}

impl Operator for StreamstatsOp {
    fn name(&self) -> &str {
        "streamstats"
    }
    fn describe(&self) -> String {
        format!("streamstats window={} current={} {}", self.window, self.current, describe_aggs(&self.aggs, &self.by))
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(key) = self.keyer.keys_of(&ev).into_iter().next() else {
            out.push(ev);
            return Ok(());
        };
        let mut vals = Vec::with_capacity(self.aggs.len());
        for a in &self.aggs {
            vals.push(a.value_of(&ev, &self.ctx.fns)?);
        }
        let time = ev.time();
        let results: Vec<Option<crate::value::Value>> = if self.window == 0 {
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
            let q = self.groups.entry(key).or_default();
            if self.current {
                q.push_back((vals.clone(), time));
                if q.len() > self.window {
                    q.pop_front();
                }
            }
            let mut accs: Vec<Acc> = self.aggs.iter().map(|a| Acc::new(&a.func)).collect();
            for (vs, t) in q.iter() {
                for (acc, v) in accs.iter_mut().zip(vs) {
                    acc.add(v.as_ref(), *t);
                }
            }
            if !self.current {
                q.push_back((vals, time));
                if q.len() > self.window {
                    q.pop_front();
                }
            }
            accs.iter().map(|a| a.finish()).collect()
        };
        for (a, v) in self.aggs.iter().zip(results) {
            ev.set_opt(&a.out, v);
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
