//! `| multisearch [search …] [search …] …`: several streaming event searches over the same
//! input at once, their results together.
//!
//! Splunk's rules (Search Reference, multisearch:
//! https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/multisearch):
//! a generating command, so the first of the search; at least two subsearches, each an event
//! search (`search <expression>`) followed only by streaming commands ("search, eval, where,
//! fields, and rex"; the planner's list is Splunk's distributable streaming commands the engine
//! runs). No subsearch limits apply (its subsearches are not `append`'s, limited to 50,000
//! rows). An event two subsearches find is a result of each. Results are in the order events
//! are read, one event's results in the order of the subsearches; where that order matters
//! (`head`, `dedup`, `streamstats` …) they are first sorted newest first, as an event
//! search's are.
//!
//! Each event is read and parsed once and offered to every subsearch, which holds nothing.
//!
//! `| union [search …] [search …] …` with streaming subsearches is the same (Search Reference,
//! union, "Optimized syntax for streaming datasets": such a union is processed as a
//! multisearch; its `maxtime`/`maxout`/`timeout` "apply only when the subsearch is treated as a
//! non-streaming search").

use crate::event::Event;
use crate::exec::{feed_shared, ExecError, Flow, Operator, Pipeline, Runtime};
use crate::packed::Packed;
use crate::prefilter::{Req, Verbatim};

pub struct MultisearchOp {
    /// `multisearch`, or `union` of streaming subsearches (which Splunk runs as a multisearch).
    command: &'static str,
    subs: Vec<Pipeline>,
}

impl MultisearchOp {
    pub fn new(command: &'static str, subs: Vec<Pipeline>) -> MultisearchOp {
        MultisearchOp { command, subs }
    }
}

impl Operator for MultisearchOp {
    fn name(&self) -> &str {
        self.command
    }
    fn describe(&self) -> String {
        format!("{} ({} event searches, each event offered to each)", self.command, self.subs.len())
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        for op in self.subs.iter_mut().flat_map(|p| p.ops.iter_mut()) {
            op.prepare(rt)?;
        }
        Ok(())
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for p in &mut self.subs {
            feed_shared(&mut p.ops, ev, &mut |e| {
                out.push(e);
                Ok(Flow::Continue)
            })?;
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for p in &mut self.subs {
            crate::exec::finish(&mut p.ops, &mut |e| {
                out.push(e);
                Ok(Flow::Continue)
            })?;
        }
        Ok(())
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        self.subs.iter().map(|p| ("subsearch", p)).collect()
    }
    fn accepts(&self, ev: &Event) -> bool {
        self.subs.iter().any(|p| p.ops.first().is_none_or(|op| op.accepts(ev)))
    }
    fn raw_requirement(&self, verbatim: &Verbatim) -> Req {
        Req::any(self.subs.iter().map(|p| p.raw_requirement(verbatim)).collect())
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.subs.iter_mut().flat_map(|p| p.ops.iter_mut()).flat_map(|op| op.subsearches_mut()).collect()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        // In the order `subsearches_mut` listed them: each operator's own, in turn.
        let mut rows = rows.into_iter();
        for op in self.subs.iter_mut().flat_map(|p| p.ops.iter_mut()) {
            let n = op.subsearches_mut().len();
            if n > 0 {
                op.give_subsearch_rows(rows.by_ref().take(n).collect())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use crate::event::Event;
    use crate::exec::{Context, Flow, Pipeline, Runtime, VecSource};

    fn events() -> Vec<Event> {
        (0..200)
            .map(|i| {
                let (g, n) = (format!("g{}", i % 10), (i % 7).to_string());
                let mut e = Event::from_pairs(&[("g", &g), ("n", &n)]);
                e.set("_time", crate::value::Value::num(f64::from(i)));
                e
            })
            .collect()
    }

    #[test]
    fn multisearch_with_subsearches_gives_in_a_pack_what_it_gives_alone() {
        // A pack runs every subsearch in one pass first (`subsearches_mut`) and hands their
        // rows back in order (`give_subsearch_rows`): each subsearch of a multisearch must get
        // its own rows.
        let ctx = Context::new(Default::default(), 0.0);
        let spls = [
            "| multisearch [search n=1 [search g=g1 OR g=g2 | dedup g | fields g]] [search n=2 [search g=g3 | head 1 | fields g] | eval k=2] | stats count by g n",
            "| multisearch [search n=3] [search n=3 g=g3] | stats count",
            "search n=3 | stats count",
        ];
        let plan = |spl: &str| crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let src = VecSource(events());
        let rt = Runtime { source: &src, ctx: &ctx };
        let alone: Vec<Vec<Event>> = spls.iter().map(|s| rt.collect(&mut plan(s)).unwrap()).collect();
        let mut plans: Vec<Pipeline> = spls.iter().map(|s| plan(s)).collect();
        let mut refs: Vec<&mut Pipeline> = plans.iter_mut().collect();
        let mut got: Vec<Vec<Event>> = vec![Vec::new(); spls.len()];
        let errors = rt
            .run_many(&mut refs, &mut |i, row| {
                got[i].push(row.into_event());
                Ok(Flow::Continue)
            })
            .unwrap();
        assert!(errors.iter().all(Option::is_none));
        assert_eq!(got, alone);
        let show = |e: &Event| format!("{:?}", e.fields.iter().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>());
        assert_eq!(alone[0].len(), 3, "{:?}", alone[0].iter().map(show).collect::<Vec<_>>());
        // An event both subsearches find is a result of each.
        let n3 = alone[2][0].get_str("count").unwrap().parse::<usize>().unwrap();
        let both = alone[1][0].get_str("count").unwrap().parse::<usize>().unwrap();
        assert!(n3 > 0 && both > n3);
    }
}
