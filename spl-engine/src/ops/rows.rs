//! Row-level commands: `head`, `tail`, `dedup`, `mvexpand`, `bin`/`bucket` (`sort`: `sort.rs`).

use crate::event::Event;
use crate::exec::{ExecError, Operator};
use crate::value::{Atom, Value};

/// `head N` (default 10) and `head (expr)` handled by the planner as count only.
pub struct HeadOp {
    pub limit: usize,
    pub seen: usize,
}

impl Operator for HeadOp {
    fn name(&self) -> &str {
        "head"
    }
    fn describe(&self) -> String {
        format!("head {}", self.limit)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.seen < self.limit {
            self.seen += 1;
            out.push(ev);
        }
        Ok(())
    }
    fn exhausted(&self) -> bool {
        self.seen >= self.limit
    }
}

/// `tail N`: the last N rows, in reverse order (Splunk returns them latest first).
pub struct TailOp {
    pub limit: usize,
    held: std::collections::VecDeque<Event>,
}

impl TailOp {
    pub fn new(limit: usize) -> Self {
        TailOp { limit, held: Default::default() }
    }
}

impl Operator for TailOp {
    fn name(&self) -> &str {
        "tail"
    }
    fn describe(&self) -> String {
        format!("tail {}", self.limit)
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.held.push_back(ev);
        if self.held.len() > self.limit {
            self.held.pop_front();
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.extend(self.held.drain(..).rev());
        Ok(())
    }
}

/// `dedup [N] f1 f2 [keepempty=bool] [consecutive=bool]`: the first N rows of each distinct
/// combination; rows missing any field are dropped unless keepempty=true.
pub struct DedupOp {
    pub fields: Vec<String>,
    pub limit: usize,
    pub keepempty: bool,
    pub consecutive: bool,
    /// Per key seen, its rows kept so far. Keys are held as 128-bit keyed digests (`Digest`),
    /// not their text: a `dedup _raw` over a big input holds 16 bytes a distinct event, not the
    /// event.
    seen: std::collections::HashMap<u128, u32, ahash::RandomState>,
    last: Option<u128>,
    digest: Digest,
}

impl DedupOp {
    pub fn new(fields: Vec<String>, limit: usize, keepempty: bool, consecutive: bool) -> Self {
        DedupOp {
            fields,
            limit: limit.max(1),
            keepempty,
            consecutive,
            seen: Default::default(),
            last: None,
            digest: Digest::new(),
        }
    }
}

/// A 128-bit digest of a key: two SipHash-1-3 hashes under keys drawn at random for the run.
/// Two distinct keys share one with odds of about n²/2¹²⁹ for n keys (below 10⁻²⁴ for a billion),
/// and input crafted to collide cannot be, as the keys are not known in advance.
pub(crate) struct Digest(std::hash::RandomState, std::hash::RandomState);

impl Digest {
    pub(crate) fn new() -> Self {
        Digest(std::hash::RandomState::new(), std::hash::RandomState::new())
    }

    /// The digest of a key: per field, its value count, then each value framed by its length
    /// (so that `ab`,`c` and `a`,`bc` differ, and `[a, b]` from `a`,`b`).
    fn of(&self, values: &[&Value]) -> u128 {
        use std::hash::{BuildHasher, Hasher};
        let one = |state: &std::hash::RandomState| {
            let mut h = state.build_hasher();
            for v in values {
                h.write_usize(v.atoms().len());
                for a in v.atoms() {
                    let text = a.as_str();
                    h.write_usize(text.len());
                    h.write(text.as_bytes());
                }
            }
            h.finish()
        };
        (u128::from(one(&self.0)) << 64) | u128::from(one(&self.1))
    }

    /// The digest of a row's values of `fields` (`dedup`'s key); `None` when it lacks one.
    pub(crate) fn key_of(&self, fields: &[String], ev: &Event) -> Option<u128> {
        let values = fields.iter().map(|f| ev.get(f)).collect::<Option<Vec<&Value>>>()?;
        Some(self.of(&values))
    }
}

impl Operator for DedupOp {
    fn name(&self) -> &str {
        "dedup"
    }
    fn describe(&self) -> String {
        format!(
            "dedup {} {} keepempty={} consecutive={}",
            self.limit,
            self.fields.join(" "),
            self.keepempty,
            self.consecutive
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(key) = self.digest.key_of(&self.fields, &ev) else {
            if self.keepempty {
                out.push(ev);
            }
            return Ok(());
        };
        if self.consecutive {
            if self.last.as_ref() != Some(&key) {
                self.last = Some(key);
                out.push(ev);
            }
            return Ok(());
        }
        let n = self.seen.entry(key).or_insert(0);
        if (*n as usize) < self.limit {
            *n = n.saturating_add(1);
            out.push(ev);
        }
        Ok(())
    }
}

/// `mvexpand f [limit=N]`: one row per value; rows without the field are dropped.
pub struct MvexpandOp {
    pub field: String,
    pub limit: Option<usize>,
}

impl Operator for MvexpandOp {
    fn name(&self) -> &str {
        "mvexpand"
    }
    fn describe(&self) -> String {
        format!("mvexpand {}", self.field)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(v) = ev.get(&self.field) else { return Ok(()) };
        let atoms: Vec<Atom> = v.atoms().iter().take(self.limit.unwrap_or(usize::MAX)).cloned().collect();
        for a in atoms {
            let mut e = ev.clone();
            e.set(self.field.clone(), Value::One(a));
            out.push(e);
        }
        Ok(())
    }
}

/// `bin`/`bucket [span=..] f [AS g]`: floor to the span, aligned to the epoch (days, months
/// and years to calendar boundaries in the run's time zone).
pub struct BinOp {
    pub field: String,
    pub alias: Option<String>,
    pub span: crate::timefmt::Span,
    pub span_text: String,
    pub tz: i32,
}

impl Operator for BinOp {
    fn name(&self) -> &str {
        "bin"
    }
    fn describe(&self) -> String {
        format!(
            "bin span={} {}{}",
            self.span_text,
            self.field,
            self.alias.as_ref().map(|a| format!(" AS {a}")).unwrap_or_default()
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(v) = ev.get(&self.field) {
            let binned: Vec<Atom> = v
                .atoms()
                .iter()
                .filter_map(|a| a.to_num())
                .map(|x| Atom::Num(crate::timefmt::bucket_time_tz(x, &self.span, self.tz)))
                .collect();
            if let Some(nv) = Value::from_atoms(binned) {
                ev.set(self.alias.clone().unwrap_or_else(|| self.field.clone()), nv);
            }
        }
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op;

    fn ev(pairs: &[(&str, &[&str])], i: usize) -> Event {
        let mut e = Event::new();
        e.set("i", i as f64);
        for (k, vs) in pairs {
            match vs {
                [one] => e.set(*k, *one),
                many => e.set(*k, Value::Many(many.iter().map(|v| Atom::from(*v)).collect())),
            }
        }
        e
    }

    fn ids(rows: &[Event]) -> Vec<String> {
        rows.iter().map(|r| r.get("i").map(|v| v.first().as_str().into_owned()).unwrap_or_default()).collect()
    }

    #[test]
    fn dedup_keeps_the_first_n_rows_of_each_key_and_drops_rows_missing_a_field() {
        let rows = vec![
            ev(&[("x", &["a"])], 0),
            ev(&[("x", &["A"])], 1), // keys are compared as written: case counts
            ev(&[("x", &["a"])], 2),
            ev(&[], 3),
            ev(&[("x", &["b"])], 4),
            ev(&[("x", &["a"])], 5),
        ];
        let keep =
            |limit, keepempty| ids(&run_op(&mut DedupOp::new(vec!["x".into()], limit, keepempty, false), rows.clone()));
        assert_eq!(keep(1, false), ["0", "1", "4"]);
        assert_eq!(keep(2, false), ["0", "1", "2", "4"]);
        assert_eq!(keep(1, true), ["0", "1", "3", "4"]);
    }

    #[test]
    fn dedup_keys_tell_apart_fields_and_values_that_concatenate_alike() {
        let rows = vec![
            ev(&[("x", &["ab"]), ("y", &["c"])], 0),
            ev(&[("x", &["a"]), ("y", &["bc"])], 1),
            ev(&[("x", &["a", "b"]), ("y", &["c"])], 2),
            ev(&[("x", &["a"]), ("y", &["b", "c"])], 3),
            ev(&[("x", &["ab"]), ("y", &["c"])], 4),
            ev(&[("x", &["a", "b"]), ("y", &["c"])], 5),
        ];
        let out = run_op(&mut DedupOp::new(vec!["x".into(), "y".into()], 1, false, false), rows);
        assert_eq!(ids(&out), ["0", "1", "2", "3"]);
    }

    #[test]
    fn dedup_consecutive_removes_only_repeats_in_a_row() {
        let rows: Vec<Event> =
            ["a", "a", "b", "a", "a"].iter().enumerate().map(|(i, x)| ev(&[("x", &[x])], i)).collect();
        let out = run_op(&mut DedupOp::new(vec!["x".into()], 1, false, true), rows);
        assert_eq!(ids(&out), ["0", "2", "3"]);
    }
}
