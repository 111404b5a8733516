//! Eval expressions: the value type eval computes with, the interpreter over the AST, and the
//! function library (`functions.rs`).

pub mod functions;
pub mod interp;

use crate::value::{Atom, Value};

/// What an eval expression evaluates to. Booleans exist only inside expressions (conditions);
/// `Null` is SPL's null (a missing field, `null()`), which propagates through most operators.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalValue {
    Null,
    Bool(bool),
    Val(Value),
}

impl EvalValue {
    pub fn str(s: impl Into<crate::value::Text>) -> Self {
        EvalValue::Val(Value::str(s))
    }
    pub fn num(n: f64) -> Self {
        EvalValue::Val(Value::num(n))
    }
    pub fn from_atoms(atoms: Vec<Atom>) -> Self {
        Value::from_atoms(atoms).map_or(EvalValue::Null, EvalValue::Val)
    }
    pub fn is_null(&self) -> bool {
        matches!(self, EvalValue::Null)
    }
    /// The values of a (possibly multivalue) result; empty for null. Booleans read as
    /// `true`/`false` text.
    pub fn atoms(&self) -> Vec<Atom> {
        match self {
            EvalValue::Null => Vec::new(),
            EvalValue::Bool(b) => vec![Atom::Str(if *b { "true" } else { "false" }.into())],
            EvalValue::Val(v) => v.atoms().to_vec(),
        }
    }
    /// Single-value text (first value of a multivalue); `None` for null.
    pub fn as_text(&self) -> Option<String> {
        match self {
            EvalValue::Null => None,
            EvalValue::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
            EvalValue::Val(v) => Some(v.first().as_str().into_owned()),
        }
    }
    /// Numeric reading of a single value; `None` for null, non-numeric or multivalue.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            EvalValue::Val(v) => v.first().to_num(),
            _ => None,
        }
    }
}

/// What functions may read besides their arguments: the run's fixed "now" (Splunk keeps `now()`
/// constant for a search) and the time zone used by `strftime`/`strptime`.
#[derive(Clone, Debug)]
pub struct FnContext {
    pub now: f64,
    pub tz: chrono_tz_offset::Tz,
}

/// Time zone handling kept minimal: a fixed UTC offset in seconds (UTC by default).
pub mod chrono_tz_offset {
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Tz {
        pub offset_seconds: i32,
    }
}
