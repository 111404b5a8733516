//! The eval interpreter: evaluates an eval/where expression against one event.
//!
//! Splunk rules implemented here:
//! - comparisons are case-sensitive, numeric when both sides read as numbers;
//! - null propagates through arithmetic, concatenation and comparisons; `where` and `if`
//!   treat null as false; three-valued AND/OR/NOT;
//! - a comparison with a multivalue side succeeds when any value does;
//! - `"..."` is a string, `'...'` and bare names are fields (bare `null`/`true` are fields).

use std::cmp::Ordering;

use spl_parser::{BinOp, Expr, ExprKind, UnaryOp};

use super::functions;
use super::{EvalValue, FnContext};
use crate::event::Event;
use crate::search::Matcher;
use crate::value::{compare_atoms, Atom, Value};

/// Evaluation failure (a function's argument error); reported with the expression's span.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: spl_parser::Span,
}

/// Functions whose arguments are not all evaluated up front.
pub const LAZY_FUNCTIONS: &[&str] = &["if", "case", "validate", "mvfilter", "mvmap", "searchmatch"];

pub struct Interp<'a> {
    pub ctx: &'a FnContext,
}

impl Interp<'_> {
    pub fn eval(&self, expr: &Expr, ev: &Event) -> Result<EvalValue, EvalError> {
        Ok(match &expr.kind {
            ExprKind::Str(s) => EvalValue::str(s.clone()),
            ExprKind::Num(n) => EvalValue::num(*n),
            ExprKind::Field(name) => match ev.get(name) {
                Some(v) => EvalValue::Val(v.clone()),
                None => EvalValue::Null,
            },
            ExprKind::Unary { op: UnaryOp::Neg, expr: inner } => match self.eval(inner, ev)?.as_num() {
                Some(n) => EvalValue::num(-n),
                None => EvalValue::Null,
            },
            ExprKind::Unary { op: UnaryOp::Not, expr: inner } => match truth(&self.eval(inner, ev)?) {
                Some(b) => EvalValue::Bool(!b),
                None => EvalValue::Null,
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, ev)?,
            ExprKind::In { expr: inner, list } => {
                let v = self.eval(inner, ev)?;
                if v.is_null() {
                    return Ok(EvalValue::Null);
                }
                let mut found = false;
                for item in list {
                    let w = self.eval(item, ev)?;
                    if compare(&v, &w, |o| o.is_eq()) == Some(true) {
                        found = true;
                        break;
                    }
                }
                EvalValue::Bool(found)
            }
            ExprKind::Call { name, args } => self.call(name, args, ev, expr)?,
        })
    }

    /// Condition reading for `where`/`if`: null and non-boolean values are false.
    pub fn test(&self, expr: &Expr, ev: &Event) -> Result<bool, EvalError> {
        Ok(truth(&self.eval(expr, ev)?).unwrap_or(false))
    }

    fn binary(&self, op: BinOp, lhs: &Expr, rhs: &Expr, ev: &Event) -> Result<EvalValue, EvalError> {
        // Logical operators short-circuit with three-valued logic.
        match op {
            BinOp::And => {
                let l = truth(&self.eval(lhs, ev)?);
                if l == Some(false) {
                    return Ok(EvalValue::Bool(false));
                }
                let r = truth(&self.eval(rhs, ev)?);
                return Ok(match (l, r) {
                    (_, Some(false)) => EvalValue::Bool(false),
                    (Some(true), Some(true)) => EvalValue::Bool(true),
                    _ => EvalValue::Null,
                });
            }
            BinOp::Or => {
                let l = truth(&self.eval(lhs, ev)?);
                if l == Some(true) {
                    return Ok(EvalValue::Bool(true));
                }
                let r = truth(&self.eval(rhs, ev)?);
                return Ok(match (l, r) {
                    (_, Some(true)) => EvalValue::Bool(true),
                    (Some(false), Some(false)) => EvalValue::Bool(false),
                    _ => EvalValue::Null,
                });
            }
            BinOp::Xor => {
                let l = truth(&self.eval(lhs, ev)?);
                let r = truth(&self.eval(rhs, ev)?);
                return Ok(match (l, r) {
                    (Some(a), Some(b)) => EvalValue::Bool(a != b),
                    _ => EvalValue::Null,
                });
            }
            _ => {}
        }
        let l = self.eval(lhs, ev)?;
        let r = self.eval(rhs, ev)?;
        Ok(match op {
            BinOp::Add => match (l.as_num(), r.as_num()) {
                (Some(a), Some(b)) => EvalValue::num(a + b),
                // `+` concatenates two strings (Splunk eval reference, "+" operator).
                _ => match (&l, &r) {
                    (EvalValue::Val(_), EvalValue::Val(_)) => EvalValue::str(format!(
                        "{}{}",
                        l.as_text().unwrap_or_default(),
                        r.as_text().unwrap_or_default()
                    )),
                    _ => EvalValue::Null,
                },
            },
            BinOp::Sub => arith(&l, &r, |a, b| Some(a - b)),
            BinOp::Mul => arith(&l, &r, |a, b| Some(a * b)),
            BinOp::Div => arith(&l, &r, |a, b| if b == 0.0 { None } else { Some(a / b) }),
            BinOp::Mod => arith(&l, &r, |a, b| if b == 0.0 { None } else { Some(a % b) }),
            BinOp::Concat => match (l.as_text(), r.as_text()) {
                (Some(a), Some(b)) => EvalValue::str(a + &b),
                _ => EvalValue::Null,
            },
            BinOp::Eq => cmp_result(compare(&l, &r, |o| o.is_eq())),
            BinOp::Ne => cmp_result(compare(&l, &r, |o| o.is_ne())),
            BinOp::Lt => cmp_result(compare(&l, &r, |o| o.is_lt())),
            BinOp::Le => cmp_result(compare(&l, &r, |o| o.is_le())),
            BinOp::Gt => cmp_result(compare(&l, &r, |o| o.is_gt())),
            BinOp::Ge => cmp_result(compare(&l, &r, |o| o.is_ge())),
            BinOp::Like => match (l.is_null(), r.as_text()) {
                (false, Some(p)) => EvalValue::Bool(l.atoms().iter().any(|a| like_match(&a.as_str(), &p))),
                _ => EvalValue::Null,
            },
            BinOp::And | BinOp::Or | BinOp::Xor => EvalValue::Null,
        })
    }

    fn call(&self, name: &str, args: &[Expr], ev: &Event, whole: &Expr) -> Result<EvalValue, EvalError> {
        let err = |message: String| EvalError { message, span: whole.span };
        match name {
            "if" => {
                let [c, a, b] = args else { return Err(err("if() takes 3 arguments".into())) };
                return if self.test(c, ev)? { self.eval(a, ev) } else { self.eval(b, ev) };
            }
            "case" => {
                for pair in args.chunks(2) {
                    if let [c, v] = pair {
                        if self.test(c, ev)? {
                            return self.eval(v, ev);
                        }
                    }
                }
                return Ok(EvalValue::Null);
            }
            "validate" => {
                // validate(cond, msg, ...): the message of the first condition that is false.
                for pair in args.chunks(2) {
                    if let [c, v] = pair {
                        if !self.test(c, ev)? {
                            return self.eval(v, ev);
                        }
                    }
                }
                return Ok(EvalValue::Null);
            }
            "mvfilter" => {
                let [pred] = args else { return Err(err("mvfilter() takes 1 argument".into())) };
                // The predicate names exactly one field; it is tested on each of its values.
                let mut fields = Vec::new();
                expr_fields(pred, &mut fields);
                let Some(field) = fields.into_iter().next() else { return Ok(EvalValue::Null) };
                let Some(v) = ev.get(&field) else { return Ok(EvalValue::Null) };
                let mut kept = Vec::new();
                let mut scratch = ev.clone();
                for a in v.atoms() {
                    scratch.set(field.clone(), Value::One(a.clone()));
                    if self.test(pred, &scratch)? {
                        kept.push(a.clone());
                    }
                }
                return Ok(EvalValue::from_atoms(kept));
            }
            "mvmap" => {
                let [mv, f] = args else { return Err(err("mvmap() takes 2 arguments".into())) };
                let ExprKind::Field(field) = &mv.kind else {
                    let v = self.eval(mv, ev)?;
                    let mut scratch = ev.clone();
                    let mut out = Vec::new();
                    for a in v.atoms() {
                        scratch.set("__mvmap", Value::One(a));
                        out.extend(self.eval(f, &scratch)?.atoms());
                    }
                    return Ok(EvalValue::from_atoms(out));
                };
                let Some(v) = ev.get(field) else { return Ok(EvalValue::Null) };
                let mut scratch = ev.clone();
                let mut out = Vec::new();
                for a in v.atoms() {
                    scratch.set(field.clone(), Value::One(a.clone()));
                    out.extend(self.eval(f, &scratch)?.atoms());
                }
                return Ok(EvalValue::from_atoms(out));
            }
            "searchmatch" => {
                let [q] = args else { return Err(err("searchmatch() takes 1 argument".into())) };
                let Some(text) = self.eval(q, ev)?.as_text() else { return Ok(EvalValue::Null) };
                let parsed =
                    spl_parser::parse_search_expr(&text).map_err(|e| err(format!("searchmatch: {}", e.message)))?;
                let matcher = match parsed {
                    None => Matcher::True,
                    Some(expr) => Matcher::compile(
                        &expr,
                        &crate::search::CompileCtx { now: self.ctx.now, tz: self.ctx.tz.offset_seconds },
                    )
                    .map_err(|e| err(format!("searchmatch: {}", e.message)))?,
                };
                return Ok(EvalValue::Bool(matcher.matches(ev)));
            }
            _ => {}
        }
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a, ev)?);
        }
        functions::call(name, vals, self.ctx).map_err(|m| err(format!("{name}(): {m}")))
    }
}

/// Fields an expression reads.
pub fn expr_fields(expr: &Expr, out: &mut Vec<String>) {
    if let ExprKind::Field(f) = &expr.kind {
        if !out.contains(f) {
            out.push(f.clone())
        }
    }
    expr.children().into_iter().for_each(|c| expr_fields(c, out));
}

/// Truth of a condition: booleans as they are; null (and other values) have none.
pub fn truth(v: &EvalValue) -> Option<bool> {
    match v {
        EvalValue::Bool(b) => Some(*b),
        _ => None,
    }
}

fn cmp_result(r: Option<bool>) -> EvalValue {
    r.map_or(EvalValue::Null, EvalValue::Bool)
}

fn arith(l: &EvalValue, r: &EvalValue, f: impl Fn(f64, f64) -> Option<f64>) -> EvalValue {
    match (l.as_num(), r.as_num()) {
        (Some(a), Some(b)) => f(a, b).map_or(EvalValue::Null, EvalValue::num),
        _ => EvalValue::Null,
    }
}

/// Compare two eval values: null → no answer; any value pair satisfying `ok` → true.
/// Numbers compare numerically when both read as numbers, else case-sensitive strings.
fn compare(l: &EvalValue, r: &EvalValue, ok: impl Fn(Ordering) -> bool) -> Option<bool> {
    if l.is_null() || r.is_null() {
        return None;
    }
    let la = l.atoms();
    let ra = r.atoms();
    Some(la.iter().any(|a| ra.iter().any(|b| ok(cmp_atoms_eval(a, b)))))
}

fn cmp_atoms_eval(a: &Atom, b: &Atom) -> Ordering {
    match (a.to_num(), b.to_num()) {
        (Some(_), Some(_)) => compare_atoms(a, b),
        _ => a.as_str().as_ref().cmp(b.as_str().as_ref()),
    }
}

/// SQL LIKE: `%` any run, `_` one character; case-sensitive, whole value.
pub fn like_match(value: &str, pattern: &str) -> bool {
    let v: Vec<char> = value.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative wildcard matching with backtracking to the last `%` (linear-ish, no recursion).
    let (mut vi, mut pi) = (0usize, 0usize);
    let (mut star_p, mut star_v): (Option<usize>, usize) = (None, 0);
    while vi < v.len() {
        match p.get(pi) {
            Some('%') => {
                star_p = Some(pi);
                star_v = vi;
                pi += 1;
            }
            Some(c) if *c == '_' || Some(c) == v.get(vi) => {
                vi += 1;
                pi += 1;
            }
            _ => match star_p {
                Some(sp) => {
                    pi = sp + 1;
                    star_v += 1;
                    vi = star_v;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|c| *c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::chrono_tz_offset::Tz;

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    fn eval(src: &str, e: &Event) -> EvalValue {
        let ctx = FnContext { now: 1000.0, tz: Tz::default() };
        let expr = spl_parser::parse_eval_expr(src).expect("parses");
        Interp { ctx: &ctx }.eval(&expr, e).expect("evaluates")
    }

    #[test]
    fn where_comparisons_are_case_sensitive() {
        let e = ev(&[("p", "RegAsm.exe")]);
        assert_eq!(eval(r#"p="regasm.exe""#, &e), EvalValue::Bool(false));
        assert_eq!(eval(r#"p="RegAsm.exe""#, &e), EvalValue::Bool(true));
    }

    #[test]
    fn comparisons_are_numeric_when_both_sides_are_numbers() {
        let e = ev(&[("n", "10")]);
        assert_eq!(eval("n > 9", &e), EvalValue::Bool(true), "10 > 9 numerically");
        assert_eq!(eval(r#"n > "9""#, &e), EvalValue::Bool(true));
        let s = ev(&[("s", "abc")]);
        assert_eq!(eval(r#"s < "abd""#, &s), EvalValue::Bool(true));
    }

    #[test]
    fn null_propagates_through_arithmetic_and_concatenation() {
        let e = ev(&[("a", "1")]);
        assert_eq!(eval("a + missing", &e), EvalValue::Null);
        assert_eq!(eval(r#"a . missing"#, &e), EvalValue::Null);
        assert_eq!(eval("missing = 1", &e), EvalValue::Null);
        assert_eq!(eval("NOT missing = 1", &e), EvalValue::Null, "where drops it either way");
    }

    #[test]
    fn where_treats_null_as_false_three_valued_logic() {
        let e = ev(&[("a", "1")]);
        assert_eq!(eval("missing = 1 OR a = 1", &e), EvalValue::Bool(true));
        assert_eq!(eval("missing = 1 AND a = 1", &e), EvalValue::Null);
        assert_eq!(eval("missing = 1 AND a = 2", &e), EvalValue::Bool(false));
    }

    #[test]
    fn multivalue_comparison_succeeds_when_any_value_does() {
        let mut e = Event::new();
        e.push("m", "x".into());
        e.push("m", "y".into());
        assert_eq!(eval(r#"m = "y""#, &e), EvalValue::Bool(true));
    }

    #[test]
    fn double_quotes_are_strings_single_quotes_and_bare_names_are_fields() {
        let e = ev(&[("a.b", "v")]);
        assert_eq!(eval(r#"'a.b'"#, &e), EvalValue::str("v"));
        assert_eq!(eval(r#""a.b""#, &e), EvalValue::str("a.b"));
        assert_eq!(eval("null", &e), EvalValue::Null, "bare null is a field that does not exist");
    }

    #[test]
    fn plus_adds_numbers_and_concatenates_strings() {
        let e = ev(&[("a", "2"), ("s", "x")]);
        assert_eq!(eval("a + 3", &e), EvalValue::num(5.0));
        assert_eq!(eval(r#"s + "y""#, &e), EvalValue::str("xy"));
    }

    #[test]
    fn if_and_case_evaluate_lazily_and_default_to_null() {
        let e = ev(&[("a", "2")]);
        assert_eq!(eval(r#"if(a > 1, "big", "small")"#, &e), EvalValue::str("big"));
        assert_eq!(eval(r#"case(a = 1, "one")"#, &e), EvalValue::Null);
        assert_eq!(eval(r#"case(a = 1, "one", true(), "other")"#, &e), EvalValue::str("other"));
    }

    #[test]
    fn mvfilter_tests_each_value() {
        let mut e = Event::new();
        e.push("m", "a.exe".into());
        e.push("m", "b.dll".into());
        assert_eq!(eval(r#"mvfilter(match(m, "exe$"))"#, &e), EvalValue::str("a.exe"));
    }

    #[test]
    fn like_is_case_sensitive_with_percent_and_underscore() {
        assert!(like_match("regasm.exe", "%asm%"));
        assert!(like_match("regasm.exe", "reg_sm.exe"));
        assert!(!like_match("RegAsm.exe", "regasm%"));
        assert!(like_match("", "%"));
        assert!(!like_match("abc", "ab"));
        assert!(like_match("abcabc", "%abc"));
    }
}
