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
    seen: std::collections::HashMap<Vec<Vec<String>>, usize>,
    last: Option<Vec<Vec<String>>>,
}

impl DedupOp {
    pub fn new(fields: Vec<String>, limit: usize, keepempty: bool, consecutive: bool) -> Self {
        DedupOp { fields, limit: limit.max(1), keepempty, consecutive, seen: Default::default(), last: None }
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
        let mut key = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            match ev.get(f) {
                Some(v) => key.push(v.atoms().iter().map(|a| a.as_str().into_owned()).collect()),
                None if self.keepempty => {
                    out.push(ev);
                    return Ok(());
                }
                None => return Ok(()),
            }
        }
        if self.consecutive {
            if self.last.as_ref() != Some(&key) {
                self.last = Some(key);
                out.push(ev);
            }
            return Ok(());
        }
        let n = self.seen.entry(key).or_insert(0);
        if *n < self.limit {
            *n += 1;
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
