//! Streaming commands that carry values from earlier results into later ones: `delta`,
//! `autoregress`, `accum`, `filldown`. Each sees the results in search order (an event search's
//! newest first, which the plan sets before them) and holds only what later results need.
//!
//! Rules, from Splunk's search reference (help.splunk.com: splunk-enterprise/spl-search-reference/
//! 9.4/search-commands/delta; splunk-enterprise/search/spl-search-reference/9.3/search-commands/
//! autoregress; splunk-cloud-platform/spl-search-reference/9.3.2408/search-commands/accum and
//! …/filldown; docs.splunk.com/Documentation/Splunk/7.0.1/SearchReference/Delta):
//! - `delta <f> [AS <new>] [p=<n>]`: for each result where `f` is a number, `f` minus the `f` of
//!   the result p results before it (p=1 and the name `delta(<f>)` by default). No output when
//!   either of the two is not a number (7.0.1's wording). The reference counts p among the
//!   results, not among the numeric ones, so a result without a number also leaves the result p
//!   after it without a delta.
//! - `autoregress <f> [AS <new>] [p=<n>|p=<a>-<b>]`: copies `f` of the n-th prior result into
//!   `<f>_p<n>` (or `<new>`, which a range forbids). The first results get no copy, their prior
//!   results not existing; nor does a result whose n-th prior one lacks `f`.
//! - `accum <f> [AS <new>]`: for each result where `f` is a number, the running total of those
//!   numbers, into `<new>` or back into `f`; other results get nothing.
//! - `filldown [<wc-field-list>]`: a null (missing) field takes the last non-null value it had;
//!   without a list, every field; with no earlier value it stays null.
//!
//! Multivalue: a multivalue field is not a number (as everywhere in `value.rs`), so `delta` and
//! `accum` skip it; `autoregress` and `filldown` copy it whole.

use std::collections::VecDeque;

use indexmap::IndexMap;

use crate::event::{Event, Name};
use crate::exec::{ExecError, Operator};
use crate::ops::fields::NamePattern;
use crate::value::Value;

/// A field's value as a number, when it is a single finite one.
fn number(ev: &Event, field: &str) -> Option<f64> {
    ev.get(field).and_then(Value::to_num).filter(|n| n.is_finite())
}

/// `delta <field> [AS <newfield>] [p=<n>]`.
pub struct DeltaOp {
    field: String,
    out: String,
    p: usize,
    /// The field's numbers in the last `p` results, newest first (`None`: not a number there).
    recent: VecDeque<Option<f64>>,
}

impl DeltaOp {
    /// `p` is at least 1 (the planner checks it).
    pub fn new(field: String, out: Option<String>, p: usize) -> Self {
        let out = out.unwrap_or_else(|| format!("delta({field})"));
        DeltaOp { field, out, p: p.max(1), recent: VecDeque::new() }
    }
}

impl Operator for DeltaOp {
    fn name(&self) -> &str {
        "delta"
    }

    fn describe(&self) -> String {
        format!("delta {} AS {} p={}", self.field, self.out, self.p)
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let current = number(&ev, &self.field);
        // The result p before this one, when there were p results before it.
        let prior = if self.recent.len() == self.p { self.recent.back().copied().flatten() } else { None };
        if let (Some(c), Some(b)) = (current, prior) {
            ev.set(self.out.as_str(), c - b);
        }
        self.recent.push_front(current);
        self.recent.truncate(self.p);
        out.push(ev);
        Ok(())
    }
}

/// `autoregress <field> [AS <newfield>] [p=<n> | p=<start>-<end>]`.
pub struct AutoregressOp {
    field: String,
    /// Only with a single p (the planner checks it).
    out: Option<String>,
    start: usize,
    end: usize,
    /// The field's value in the last `end` results, newest first.
    recent: VecDeque<Option<Value>>,
    /// The output field of the n-th prior result's value, for n = `start` ..= `end`: `out`, or
    /// `<field>_p<n>` (the planner bounds a range's width).
    names: Vec<Name>,
}

impl AutoregressOp {
    /// `1 <= start <= end` (the planner checks it).
    pub fn new(field: String, out: Option<String>, start: usize, end: usize) -> Self {
        let start = start.max(1);
        let end = end.max(start);
        let names = match &out {
            Some(out) => vec![Name::from(out.as_str())],
            None => (start..=end).map(|n| Name::from(format!("{field}_p{n}"))).collect(),
        };
        AutoregressOp { field, out, start, end, recent: VecDeque::new(), names }
    }
}

impl Operator for AutoregressOp {
    fn name(&self) -> &str {
        "autoregress"
    }

    fn describe(&self) -> String {
        let into = match &self.out {
            Some(out) => out.clone(),
            None if self.start == self.end => format!("{}_p{}", self.field, self.start),
            None => format!("{f}_p{} … {f}_p{}", self.start, self.end, f = self.field),
        };
        format!("autoregress {} p={}-{} into {into}", self.field, self.start, self.end)
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        // Read before writing: `autoregress x AS x` keeps this result's own x for later ones.
        let current = ev.get(&self.field).cloned();
        for n in self.start..=self.end.min(self.recent.len()) {
            let Some(Some(v)) = self.recent.get(n - 1) else { continue };
            let Some(name) = self.names.get(n - self.start) else { continue };
            ev.set(name.clone(), v.clone());
        }
        self.recent.push_front(current);
        self.recent.truncate(self.end);
        out.push(ev);
        Ok(())
    }
}

/// `accum <field> [AS <newfield>]`.
pub struct AccumOp {
    field: String,
    out: String,
    total: f64,
}

impl AccumOp {
    pub fn new(field: String, out: Option<String>) -> Self {
        let out = out.unwrap_or_else(|| field.clone());
        AccumOp { field, out, total: 0.0 }
    }
}

impl Operator for AccumOp {
    fn name(&self) -> &str {
        "accum"
    }

    fn describe(&self) -> String {
        format!("accum {} AS {}", self.field, self.out)
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(n) = number(&ev, &self.field) {
            self.total += n;
            ev.set(self.out.as_str(), self.total);
        }
        out.push(ev);
        Ok(())
    }
}

/// `filldown [<wc-field-list>]`.
pub struct FilldownOp {
    /// Empty: every field but the internal `_` ones (as `fillnull` without a list).
    fields: Vec<NamePattern>,
    /// Each filled field's last value so far.
    last: IndexMap<Name, Value>,
}

impl FilldownOp {
    pub fn new(fields: Vec<NamePattern>) -> Self {
        FilldownOp { fields, last: IndexMap::new() }
    }

    fn fills(&self, name: &str) -> bool {
        if self.fields.is_empty() {
            !name.starts_with('_')
        } else {
            self.fields.iter().any(|p| p.matches(name))
        }
    }
}

impl Operator for FilldownOp {
    fn name(&self) -> &str {
        "filldown"
    }

    fn describe(&self) -> String {
        if self.fields.is_empty() {
            "filldown (every field but the internal `_` ones)".to_string()
        } else {
            let fields: Vec<&str> = self.fields.iter().map(|p| p.text.as_str()).collect();
            format!("filldown {}", fields.join(" "))
        }
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (name, v) in &ev.fields {
            if self.fills(name) {
                self.last.insert(name.clone(), v.clone());
            }
        }
        for (name, v) in &self.last {
            if ev.get(name).is_none() {
                ev.set(name.clone(), v.clone());
            }
        }
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Context;

    /// Rows holding `x` as given (`None`: no `x`), with `n` = 1, 2, … to tell them apart.
    fn rows(xs: &[Option<&str>]) -> Vec<Event> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| {
                let mut ev = Event::new();
                ev.set("n", (i + 1) as f64);
                if let Some(x) = x {
                    ev.set("x", *x);
                }
                ev
            })
            .collect()
    }

    fn run(op: &mut dyn Operator, rows: Vec<Event>) -> Vec<Event> {
        let mut out = Vec::new();
        for ev in rows {
            op.push(ev, &mut out).unwrap();
        }
        op.finish(&mut out).unwrap();
        out
    }

    /// One field of each output row as text.
    fn column(out: &[Event], field: &str) -> Vec<Option<String>> {
        out.iter().map(|e| e.get(field).map(|v| v.to_string())).collect()
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| if *s == "-" { None } else { Some(s.to_string()) }).collect()
    }

    #[test]
    fn delta_is_this_results_value_minus_the_previous_ones_into_delta_of_field() {
        let out = run(&mut DeltaOp::new("x".into(), None, 1), rows(&[Some("10"), Some("15"), Some("12.5")]));
        assert_eq!(column(&out, "delta(x)"), some(&["-", "5", "-2.5"]), "the first result has none before it");
        assert_eq!(column(&out, "x"), some(&["10", "15", "12.5"]), "the field itself is unchanged");
    }

    #[test]
    fn delta_p_compares_with_the_result_p_before_and_as_names_the_output() {
        let xs = rows(&[Some("1"), Some("4"), Some("9"), Some("16"), Some("25")]);
        let out = run(&mut DeltaOp::new("x".into(), Some("d".into()), 2), xs);
        assert_eq!(column(&out, "d"), some(&["-", "-", "8", "12", "16"]), "the first p results get none");
        assert!(out.iter().all(|e| e.get("delta(x)").is_none()));
    }

    // The reference (7.0.1): no output when either of the two values is not a number; the
    // result without one still counts as one of the p before.
    #[test]
    fn delta_gives_nothing_when_either_value_is_not_a_number() {
        let xs = rows(&[Some("1"), None, Some("5"), Some("text"), Some("7"), Some("8")]);
        let out = run(&mut DeltaOp::new("x".into(), None, 1), xs);
        assert_eq!(column(&out, "delta(x)"), some(&["-", "-", "-", "-", "-", "1"]));
        let xs = rows(&[Some("1"), None, Some("5"), Some("6")]);
        let out = run(&mut DeltaOp::new("x".into(), None, 2), xs);
        assert_eq!(column(&out, "delta(x)"), some(&["-", "-", "4", "-"]), "2 before the 4th lacks x");
    }

    #[test]
    fn delta_and_accum_take_a_multivalue_field_as_not_a_number() {
        let mut mv = Event::from_pairs(&[("x", "2"), ("x", "3")]);
        mv.set("n", 2.0);
        let input = || vec![Event::from_pairs(&[("x", "1")]), mv.clone(), Event::from_pairs(&[("x", "10")])];
        let out = run(&mut DeltaOp::new("x".into(), None, 1), input());
        assert_eq!(column(&out, "delta(x)"), some(&["-", "-", "-"]));
        let out = run(&mut AccumOp::new("x".into(), Some("t".into())), input());
        assert_eq!(column(&out, "t"), some(&["1", "-", "11"]));
    }

    #[test]
    fn autoregress_copies_the_previous_results_value_into_field_p1() {
        let out = run(&mut AutoregressOp::new("x".into(), None, 1, 1), rows(&[Some("a"), Some("b"), Some("c")]));
        assert_eq!(column(&out, "x_p1"), some(&["-", "a", "b"]), "the first result lacks a prior value");
    }

    #[test]
    fn autoregress_p_range_copies_each_prior_result_into_field_p_n() {
        let xs = rows(&[Some("1"), Some("2"), Some("3"), Some("4")]);
        let out = run(&mut AutoregressOp::new("x".into(), None, 2, 3), xs);
        assert_eq!(column(&out, "x_p2"), some(&["-", "-", "1", "2"]));
        assert_eq!(column(&out, "x_p3"), some(&["-", "-", "-", "1"]));
        assert!(out.iter().all(|e| e.get("x_p1").is_none()), "only the range asked for");
    }

    #[test]
    fn autoregress_as_names_the_single_copy_and_a_prior_result_without_the_field_gives_none() {
        let xs = rows(&[Some("1"), None, Some("3"), Some("4")]);
        let out = run(&mut AutoregressOp::new("x".into(), Some("prev".into()), 1, 1), xs);
        assert_eq!(column(&out, "prev"), some(&["-", "1", "-", "3"]));
        // `AS x` itself: each result gets the value the one before had, not the copy it got.
        let xs = rows(&[Some("1"), Some("2"), Some("3")]);
        let out = run(&mut AutoregressOp::new("x".into(), Some("x".into()), 1, 1), xs);
        assert_eq!(column(&out, "x"), some(&["1", "1", "2"]));
    }

    #[test]
    fn autoregress_copies_a_multivalue_value_whole() {
        let input = vec![Event::from_pairs(&[("x", "a"), ("x", "b")]), Event::from_pairs(&[("x", "c")])];
        let out = run(&mut AutoregressOp::new("x".into(), None, 1, 1), input);
        assert_eq!(out.get(1).and_then(|e| e.get("x_p1")), Some(&Value::Many(vec!["a".into(), "b".into()])));
    }

    #[test]
    fn accum_keeps_a_running_total_over_results_where_the_field_is_a_number() {
        let xs = rows(&[Some("1"), Some("2"), None, Some("oops"), Some("3.5")]);
        let out = run(&mut AccumOp::new("x".into(), None), xs.clone());
        assert_eq!(column(&out, "x"), some(&["1", "3", "-", "oops", "6.5"]), "into the field itself");
        let out = run(&mut AccumOp::new("x".into(), Some("total".into())), xs);
        assert_eq!(column(&out, "total"), some(&["1", "3", "-", "-", "6.5"]), "non-numeric results get none");
        assert_eq!(column(&out, "x"), some(&["1", "2", "-", "oops", "3.5"]));
    }

    #[test]
    fn filldown_replaces_null_values_with_the_last_non_null_value() {
        let xs = rows(&[None, Some("a"), None, None, Some("b"), None]);
        let out = run(&mut FilldownOp::new(vec![NamePattern::new("x")]), xs);
        assert_eq!(column(&out, "x"), some(&["-", "a", "a", "a", "b", "b"]), "no previous value: left null");
    }

    #[test]
    fn filldown_without_a_field_list_fills_every_field_but_the_internal_ones() {
        let mut first = Event::from_pairs(&[("a", "1"), ("b", "x"), ("_raw", "raw one")]);
        first.set("_time", 1.0);
        let second = Event::from_pairs(&[("c", "3")]);
        let out = run(&mut FilldownOp::new(vec![]), vec![first, second]);
        let second = out.get(1).unwrap();
        assert_eq!((second.get_str("a").as_deref(), second.get_str("b").as_deref()), (Some("1"), Some("x")));
        assert!(second.get("_raw").is_none() && second.get("_time").is_none());
        assert!(out.first().unwrap().get("c").is_none(), "nothing before it to fill from");
    }

    #[test]
    fn filldown_wildcards_name_every_matching_field() {
        let input = vec![
            Event::from_pairs(&[("score1", "5"), ("score2", "6"), ("other", "o")]),
            Event::from_pairs(&[("score2", "7")]),
        ];
        let out = run(&mut FilldownOp::new(vec![NamePattern::new("score*")]), input);
        let second = out.get(1).unwrap();
        assert_eq!(second.get_str("score1").as_deref(), Some("5"));
        assert_eq!(second.get_str("score2").as_deref(), Some("7"), "a value present is kept");
        assert!(second.get("other").is_none(), "not in the list");
    }

    /// The planner's message for `spl`, or `None` when it plans.
    fn plan_error(spl: &str) -> Option<String> {
        let ctx = Context::new(Default::default(), 0.0);
        crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).err().map(|e| e.to_string())
    }

    // The reference: delta works on the events in the order the search returns them, an event
    // search's newest first; as for streamstats, the plan sets that order before them.
    #[test]
    fn streaming_commands_get_an_event_searchs_events_newest_first() {
        let ctx = Context::new(Default::default(), 0.0);
        for cmd in ["delta n", "autoregress n", "accum n", "filldown n"] {
            let spl = format!("search a=1 | eval n=1 | {cmd}");
            let p = crate::plan::plan(&spl_parser::parse_pipeline(&spl).unwrap(), &spl, &ctx).unwrap();
            let ops: Vec<String> = p.ops.iter().map(|o| o.describe()).collect();
            assert!(ops.get(2).is_some_and(|d| d.starts_with("newest first")), "{spl}: {ops:?}");
        }
    }

    #[test]
    fn streaming_commands_check_their_arguments_where_written() {
        for ok in [
            "| makeresults | delta x",
            "| makeresults | delta x AS d p=3",
            "| makeresults | autoregress x p=2-5",
            "| makeresults | autoregress x as y p=4",
            "| makeresults | autoregress x AS y p=3-3",
            "| makeresults | accum x",
            "| makeresults | accum x AS \"running total\"",
            "| makeresults | filldown",
            "| makeresults | filldown a, score*",
        ] {
            assert_eq!(plan_error(ok), None, "{ok}");
        }
        for (bad, what) in [
            ("| makeresults | delta", "delta needs a field"),
            ("| makeresults | delta x p=0", "delta p `0`"),
            ("| makeresults | delta x p=two", "delta p `two`"),
            ("| makeresults | delta x window=2", "delta option `window=2`"),
            ("| makeresults | delta x y", "delta argument `y`"),
            ("| makeresults | delta x AS", "delta: `AS` needs a new field name"),
            ("| makeresults | autoregress x p=4-2", "autoregress p `4-2`"),
            ("| makeresults | autoregress x p=0-2", "autoregress p `0-2`"),
            ("| makeresults | autoregress x p=1-1000000000", "at most 1000"),
            ("| makeresults | autoregress x AS y p=2-4", "autoregress AS with the range p=2-4"),
            ("| makeresults | accum x p=2", "accum option `p=2`"),
            ("| makeresults | filldown mode=all", "filldown option `mode=all`"),
        ] {
            let got = plan_error(bad);
            assert!(got.as_deref().is_some_and(|m| m.contains(what)), "{bad}: {got:?}");
        }
    }
}
