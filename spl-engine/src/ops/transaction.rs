//! `transaction <fields> [startswith=] [endswith=] [maxspan=] [maxpause=] [maxevents=]`:
//! groups events with equal field values into transactions, in time order.
//!
//! The common subset: every listed field must be present; `startswith` opens a new
//! transaction, `endswith` closes one, and with either given an unfinished transaction is
//! evicted (dropped, `keepevicted=false`). The merged row has the union of the fields
//! (distinct values, multivalue), `_time` = earliest, `duration`, `eventcount` and the
//! `_raw`s joined by newlines. Transactions are emitted newest first, as Splunk does.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::event::Event;
use crate::exec::{ExecError, Flow, Operator};
use crate::ops::sort::{SortKey, Sorter};
use crate::search::Matcher;
use crate::value::{Atom, Value};

pub struct TransactionOp {
    pub fields: Vec<String>,
    pub starts_with: Option<Matcher>,
    pub ends_with: Option<Matcher>,
    pub maxspan: Option<f64>,
    pub maxpause: Option<f64>,
    pub maxevents: usize,
    pub text: String,
    /// Every grouped event, to be read back in time order (input order on equal times),
    /// within the run's memory budget: a transaction over logon events keeps them all until
    /// the end.
    events: Sorter,
    /// Events taken so far.
    taken: usize,
    max_buffer: usize,
}

impl TransactionOp {
    pub fn new(
        fields: Vec<String>,
        starts_with: Option<Matcher>,
        ends_with: Option<Matcher>,
        text: String,
    ) -> TransactionOp {
        TransactionOp {
            fields,
            starts_with,
            ends_with,
            maxspan: None,
            maxpause: None,
            maxevents: 1000,
            text,
            events: Sorter::new(vec![SortKey::num("_time", false)], None),
            taken: 0,
            max_buffer: 5_000_000,
        }
    }
}

#[derive(Default)]
struct Open {
    events: Vec<Event>,
    first: f64,
    last: f64,
    started: bool,
    /// Transactions opened before it.
    opened: u64,
}

fn merge(events: Vec<Event>, first: f64, last: f64) -> Event {
    let mut fields: IndexMap<crate::event::Name, Vec<Atom>> = IndexMap::new();
    let mut raws = Vec::new();
    let n = events.len();
    for ev in events {
        for (k, v) in ev.fields {
            if k == "_raw" {
                raws.push(v.as_str().into_owned());
                continue;
            }
            if k == "_time" {
                continue;
            }
            let slot = fields.entry(k).or_default();
            for a in v.into_atoms() {
                if !slot.contains(&a) {
                    slot.push(a);
                }
            }
        }
    }
    let mut out = Event::new();
    out.set("_time", first);
    if !raws.is_empty() {
        out.set("_raw", raws.join("\n"));
    }
    for (k, atoms) in fields {
        if let Some(v) = Value::from_atoms(atoms) {
            out.set(k, v);
        }
    }
    out.set("duration", last - first);
    out.set("eventcount", n as f64);
    out
}

impl Operator for TransactionOp {
    fn name(&self) -> &str {
        "transaction"
    }
    fn describe(&self) -> String {
        self.text.trim().to_string()
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.fields.iter().any(|f| ev.get(f).is_none()) {
            return Ok(());
        }
        if self.taken >= self.max_buffer {
            return Err(ExecError::new(format!("transaction: more than {} events to group", self.max_buffer)));
        }
        self.taken += 1;
        self.events.push(vec![Some(Atom::Num(ev.time().unwrap_or(0.0)))], &ev)
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let bounded = self.starts_with.is_some() || self.ends_with.is_some();
        let mut open: HashMap<Vec<String>, Open> = HashMap::new();
        // Transactions closed, to be given newest first (as Splunk returns them), held as
        // sorted rows are: within the budget.
        let mut done = Sorter::new(vec![SortKey::num("_time", true)], None);
        let close = |o: Open, done: &mut Sorter, complete: bool| -> Result<(), ExecError> {
            // With startswith/endswith, only complete transactions are kept (keepevicted=false).
            if !o.events.is_empty() && (!bounded || complete) {
                let merged = merge(o.events, o.first, o.last);
                done.push(vec![merged.time().map(Atom::Num)], &merged)?;
            }
            Ok(())
        };
        let mut opened = 0;
        let mut events = std::mem::replace(&mut self.events, Sorter::new(vec![SortKey::num("_time", false)], None));
        events.finish(&mut |packed| {
            let ev = packed.unpack();
            let t = ev.time().unwrap_or(0.0);
            let key: Vec<String> =
                self.fields.iter().map(|f| ev.get(f).map(|v| v.as_str().into_owned()).unwrap_or_default()).collect();
            let is_start = self.starts_with.as_ref().is_some_and(|m| m.matches(&ev));
            let is_end = self.ends_with.as_ref().is_some_and(|m| m.matches(&ev));
            // Close the open transaction when this event cannot join it.
            if let Some(o) = open.get(&key) {
                let too_long = self.maxspan.is_some_and(|s| t - o.first > s);
                let paused = self.maxpause.is_some_and(|p| t - o.last > p);
                let full = o.events.len() >= self.maxevents;
                if too_long || paused || full || is_start {
                    if let Some(o) = open.remove(&key) {
                        let complete = self.ends_with.is_none() && o.started;
                        close(o, &mut done, complete)?;
                    }
                }
            }
            if !open.contains_key(&key) {
                // With startswith, a transaction only begins at a matching event.
                if self.starts_with.is_some() && !is_start {
                    return Ok(Flow::Continue);
                }
                open.insert(key.clone(), Open { events: Vec::new(), first: t, last: t, started: true, opened });
                opened += 1;
            }
            if let Some(o) = open.get_mut(&key) {
                o.events.push(ev);
                o.last = t;
            }
            if is_end {
                if let Some(o) = open.remove(&key) {
                    close(o, &mut done, true)?;
                }
            }
            Ok(Flow::Continue)
        })?;
        // Those still open, in the order they opened (the map's order is not the input's).
        let mut left: Vec<Open> = open.into_values().collect();
        left.sort_by_key(|o| o.opened);
        for o in left {
            let complete = self.ends_with.is_none() && o.started;
            close(o, &mut done, complete)?;
        }
        done.finish(&mut |p| emit(p.unpack()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op as run;
    use crate::search::CompileCtx;

    fn m(s: &str) -> Matcher {
        Matcher::compile(&spl_parser::parse_search_expr(s).unwrap().unwrap(), &CompileCtx { now: 0.0, tz: 0 }).unwrap()
    }

    fn ev(t: f64, user: &str, code: &str) -> Event {
        let mut e = Event::new();
        e.set("_time", t);
        e.set("user", user);
        e.set("EventCode", code);
        e.set("_raw", format!("{t} {user} {code}"));
        e
    }

    #[test]
    fn transaction_events_spilled_past_the_budget_group_as_in_memory() {
        let input: Vec<Event> =
            (0..300).map(|i| ev(f64::from((i * 37) % 300), &format!("u{}", i % 7), &(i % 3).to_string())).collect();
        let run_with = |limit: Option<usize>| {
            let mut op = TransactionOp::new(vec!["user".into()], Some(m("EventCode=0")), None, "user".into());
            op.maxpause = Some(20.0);
            op.events.held_limit(limit);
            run(&mut op, input.clone())
        };
        let want = run_with(None);
        assert!(want.len() > 7, "several transactions per user: {}", want.len());
        assert_eq!(run_with(Some(1)), want);
    }

    #[test]
    fn transaction_groups_by_field_with_duration_eventcount_and_earliest_time() {
        let mut op = TransactionOp::new(vec!["user".into()], None, None, "user".into());
        let out = run(&mut op, vec![ev(10.0, "a", "1"), ev(5.0, "b", "1"), ev(30.0, "a", "2")]);
        assert_eq!(out.len(), 2);
        let a = out.iter().find(|e| e.get_str("user").as_deref() == Some("a")).unwrap();
        assert_eq!(a.time(), Some(10.0));
        assert_eq!(a.get_str("duration").as_deref(), Some("20"));
        assert_eq!(a.get_str("eventcount").as_deref(), Some("2"));
        assert_eq!(a.get("EventCode").unwrap().atoms().len(), 2);
        assert_eq!(a.get_str("_raw").as_deref(), Some("10 a 1\n30 a 2"));
        assert_eq!(out[0].time(), Some(10.0), "newest transaction first");
    }

    #[test]
    fn transaction_maxspan_and_maxpause_split_groups() {
        let mut op = TransactionOp::new(vec!["user".into()], None, None, "user maxspan=60s".into());
        op.maxspan = Some(60.0);
        assert_eq!(run(&mut op, vec![ev(0.0, "a", "1"), ev(50.0, "a", "1"), ev(70.0, "a", "1")]).len(), 2);
        let mut op = TransactionOp::new(vec!["user".into()], None, None, "user maxpause=10s".into());
        op.maxpause = Some(10.0);
        assert_eq!(run(&mut op, vec![ev(0.0, "a", "1"), ev(5.0, "a", "1"), ev(30.0, "a", "1")]).len(), 2);
    }

    #[test]
    fn transaction_startswith_endswith_keep_only_complete_transactions() {
        let mut op = TransactionOp::new(
            vec!["user".into()],
            Some(m("EventCode=4698")),
            Some(m("EventCode=4699")),
            "user".into(),
        );
        let out = run(
            &mut op,
            vec![
                ev(0.0, "a", "4699"),
                ev(1.0, "a", "4698"),
                ev(2.0, "a", "1"),
                ev(3.0, "a", "4699"),
                ev(4.0, "b", "4698"),
                ev(5.0, "b", "1"),
            ],
        );
        assert_eq!(out.len(), 1, "b never ended: evicted");
        assert_eq!(out[0].get_str("eventcount").as_deref(), Some("3"));
        assert_eq!(out[0].get_str("duration").as_deref(), Some("2"));
    }

    #[test]
    fn transaction_events_missing_a_field_are_not_grouped() {
        let mut op = TransactionOp::new(vec!["user".into()], None, None, "user".into());
        let mut e = Event::new();
        e.set("_time", 1.0);
        assert!(run(&mut op, vec![e]).is_empty());
    }
}
