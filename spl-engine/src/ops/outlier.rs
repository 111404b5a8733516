//! `outlier`: removes or truncates outlying numeric values (Splunk's search reference,
//! "outlier"). For each field, the inter-quartile range IQR = p75 − p25 over all rows; a value
//! above p75 + param·IQR (or, with `uselower=true`, below p25 − param·IQR) is an outlier.
//! `action=remove` drops the row holding it; `action=transform` (the default) truncates it to
//! that threshold, prefixed with "000" when `mark=true`.

use indexmap::IndexMap;

use crate::event::Event;
use crate::exec::{ExecError, Flow, Operator};
use crate::spill::{Held, RowSpool};
use crate::stats::aggs::percentile;
use crate::value::{format_num, Atom, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutlierAction {
    Remove,
    Transform,
}

pub struct OutlierOp {
    pub action: OutlierAction,
    pub mark: bool,
    pub param: f64,
    pub uselower: bool,
    /// The fields to look at; empty: every field but the internal `_` ones.
    pub fields: Vec<String>,
    /// Every row until the end: spilled past the run's memory budget.
    held: RowSpool,
    /// Each field's numeric values, for its quartiles.
    numbers: IndexMap<String, Vec<f64>>,
    /// The numbers' bytes, counted in the run's total: they cannot spill, so the holders that
    /// can spill sooner.
    numbers_held: Held,
}

impl OutlierOp {
    pub fn new(action: OutlierAction, mark: bool, param: f64, uselower: bool, fields: Vec<String>) -> Self {
        OutlierOp {
            action,
            mark,
            param,
            uselower,
            fields,
            held: RowSpool::default(),
            numbers: IndexMap::new(),
            numbers_held: Held::default(),
        }
    }

    fn considers(&self, name: &str) -> bool {
        if self.fields.is_empty() {
            // `_time` and `_raw` are not measurements; a timechart's rows keep their times.
            !name.starts_with('_')
        } else {
            self.fields.iter().any(|f| f == name)
        }
    }

    /// Each field's (lower, upper) threshold.
    fn thresholds(&mut self) -> IndexMap<String, (f64, f64)> {
        let param = self.param;
        self.numbers
            .iter_mut()
            .filter_map(|(name, v)| {
                v.sort_by(f64::total_cmp);
                let (q1, q3) = (percentile(v, 25.0)?, percentile(v, 75.0)?);
                let iqr = q3 - q1;
                Some((name.clone(), (q1 - param * iqr, q3 + param * iqr)))
            })
            .collect()
    }
}

impl Operator for OutlierOp {
    fn name(&self) -> &str {
        "outlier"
    }

    fn describe(&self) -> String {
        let action = match self.action {
            OutlierAction::Remove => "remove",
            OutlierAction::Transform => "transform",
        };
        let fields = if self.fields.is_empty() { "every field".to_string() } else { self.fields.join(" ") };
        format!(
            "outlier action={action} param={} uselower={} mark={} ({fields}; quartiles as perc25/perc75)",
            format_num(self.param),
            self.uselower,
            self.mark
        )
    }

    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (name, v) in &ev.fields {
            if !self.considers(name) {
                continue;
            }
            let nums = v.atoms().iter().filter_map(Atom::to_num).filter(|n| n.is_finite());
            let mut nums = nums.peekable();
            if nums.peek().is_some() {
                let v = self.numbers.entry(name.to_string()).or_default();
                let before = v.len();
                v.extend(nums);
                // Whether to spill now: the numbers cannot, the rows spill on their own count.
                let _ = self.numbers_held.grow((v.len() - before) * std::mem::size_of::<f64>());
            }
        }
        self.held.push(&ev)
    }

    fn finish_each(&mut self, emit: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        let bounds = self.thresholds();
        self.numbers = IndexMap::new();
        self.numbers_held.clear();
        let (action, mark, uselower) = (self.action, self.mark, self.uselower);
        // The threshold a value is past, if it is an outlier.
        let past = |n: f64, (lo, hi): (f64, f64)| {
            if n > hi {
                Some(hi)
            } else if uselower && n < lo {
                Some(lo)
            } else {
                None
            }
        };
        self.held.drain(&mut |p| {
            let mut ev = p.unpack();
            for (name, &bound) in &bounds {
                let Some(v) = ev.get(name) else { continue };
                let limits: Vec<Option<f64>> =
                    v.atoms().iter().map(|a| a.to_num().and_then(|n| past(n, bound))).collect();
                if limits.iter().all(Option::is_none) {
                    continue;
                }
                if action == OutlierAction::Remove {
                    return Ok(Flow::Continue);
                }
                let atoms = v
                    .atoms()
                    .iter()
                    .zip(limits)
                    .map(|(a, limit)| match limit {
                        Some(t) if mark => Atom::from(format!("000{}", format_num(t))),
                        Some(t) => Atom::Num(t),
                        None => a.clone(),
                    })
                    .collect();
                ev.set_opt(name, Value::from_atoms(atoms));
            }
            emit(ev)
        })
    }

    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        crate::exec::finish_through_each(self, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(op: &mut OutlierOp, counts: &[&str]) -> Vec<Option<String>> {
        for (i, c) in counts.iter().enumerate() {
            let mut ev = Event::from_pairs(&[("count", c)]);
            ev.set("row", i as f64);
            ev.set("_time", 1000.0 + i as f64);
            op.push(ev, &mut Vec::new()).unwrap();
        }
        let mut out = Vec::new();
        op.finish(&mut out).unwrap();
        out.iter().map(|e| e.get_str("count").map(|c| c.into_owned())).collect()
    }

    // Splunk's reference: an outlier lies above p75 + param*IQR (or below p25 - param*IQR with
    // uselower=true); remove drops its row, transform truncates it to that threshold.
    #[test]
    fn outlier_removes_or_truncates_values_past_param_times_the_interquartile_range() {
        // Numbers -50 1 2 3 4 5 100: p25 = 2, p75 = 5 (nearest rank), IQR = 3; thresholds
        // -5.5 and 12.5 with param=2.5.
        let counts = ["1", "2", "3", "4", "5", "100", "-50", "text"];
        let mut rm = OutlierOp::new(OutlierAction::Remove, false, 2.5, false, vec!["count".into()]);
        assert_eq!(run(&mut rm, &counts).len(), 7, "only the row above the upper threshold goes");
        let mut both = OutlierOp::new(OutlierAction::Remove, false, 2.5, true, vec!["count".into()]);
        let kept = run(&mut both, &counts);
        assert_eq!(kept.len(), 6, "uselower also drops the low outlier");
        assert!(kept.contains(&Some("text".into())), "a value that is not a number is no outlier");

        let mut tf = OutlierOp::new(OutlierAction::Transform, false, 2.5, false, vec![]);
        let got = run(&mut tf, &counts);
        assert_eq!(got[5].as_deref(), Some("12.5"), "truncated to p75 + 2.5*IQR");
        assert_eq!(got[6].as_deref(), Some("-50"), "below the median only with uselower");
        let mut marked = OutlierOp::new(OutlierAction::Transform, true, 1.0, true, vec![]);
        let got = run(&mut marked, &counts);
        assert_eq!((got[5].as_deref(), got[6].as_deref()), (Some("0008"), Some("000-1")), "5 + 3, 2 - 3");
    }

    #[test]
    fn without_fields_outlier_looks_at_every_field_but_the_internal_ones() {
        let mut op = OutlierOp::new(OutlierAction::Remove, false, 0.0, false, vec![]);
        for (i, t) in [(1.0, 1.0), (2.0, 2.0), (3.0, 1e12)] {
            let mut ev = Event::new();
            ev.set("n", i);
            ev.set("_time", t);
            op.push(ev, &mut Vec::new()).unwrap();
        }
        let mut out = Vec::new();
        op.finish(&mut out).unwrap();
        // n: p25 = 2, p75 = 3, so 3 is not above 3 + 0·IQR; `_time`'s 1e12 would be.
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn a_single_row_is_never_an_outlier() {
        let mut op = OutlierOp::new(OutlierAction::Remove, false, 2.5, true, vec!["count".into()]);
        assert_eq!(run(&mut op, &["7"]), vec![Some("7".to_string())]);
    }
}
