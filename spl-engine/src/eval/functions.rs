//! Eval function library (stub: the real library replaces this file).
use super::{EvalValue, FnContext};

/// Number of arguments a function takes (`min`, `max`; `None` = unbounded).
pub fn arity(_name: &str) -> Option<(usize, Option<usize>)> {
    None
}

/// Call a function whose arguments are already evaluated.
pub fn call(name: &str, _args: Vec<EvalValue>, _ctx: &FnContext) -> Result<EvalValue, String> {
    Err(format!("unknown function {name}"))
}
