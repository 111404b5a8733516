//! Eval function library: every eager SPL eval function, dispatched by name.
//!
//! The interpreter evaluates the lazy functions itself (`if`, `case`, `validate`, `mvfilter`,
//! `mvmap`, `searchmatch`); they are listed here for their arity only. Families live in
//! `functions/*.rs`. General rules, following Splunk's eval reference:
//! - a null required argument gives null (except `coalesce`, `isnull`/`isnotnull`, `mvappend`,
//!   `typeof`, `in`, `json_*` builders, which look at nulls on purpose);
//! - numeric arguments read strings as numbers (`"42"` is 42);
//! - string functions (`lower`, `upper`, `trim`, `replace`, `substr`, `len`, `urldecode`) map
//!   over every value of a multivalue argument; other functions read its first value;
//! - no input makes a function panic: bad input is null, bad patterns/formats are errors.

mod conv;
mod json;
mod math;
mod mv;
mod string;
mod time;

pub use math::reseed_random;
pub use string::shannon_entropy;

use super::{EvalValue, FnContext};
use crate::value::{Atom, Value};

type Func = fn(&[EvalValue], &FnContext) -> Result<EvalValue, String>;

/// `(name, min args, max args (None = unbounded), implementation (None = lazy, interpreter))`.
const TABLE: &[(&str, usize, Option<usize>, Option<Func>)] = &[
    // lazy: the interpreter evaluates these
    ("if", 3, Some(3), None),
    ("case", 2, None, None),
    ("validate", 2, None, None),
    ("mvfilter", 1, Some(1), None),
    ("mvmap", 2, Some(2), None),
    ("searchmatch", 1, Some(1), None),
    // string
    ("lower", 1, Some(1), Some(string::lower)),
    ("upper", 1, Some(1), Some(string::upper)),
    ("len", 1, Some(1), Some(string::len)),
    ("substr", 2, Some(3), Some(string::substr)),
    ("replace", 3, Some(3), Some(string::replace)),
    ("trim", 1, Some(2), Some(string::trim)),
    ("ltrim", 1, Some(2), Some(string::ltrim)),
    ("rtrim", 1, Some(2), Some(string::rtrim)),
    ("urldecode", 1, Some(1), Some(string::urldecode)),
    ("split", 2, Some(2), Some(string::split)),
    ("printf", 1, None, Some(string::printf)),
    ("ut_shannon", 1, Some(1), Some(string::ut_shannon)),
    ("md5", 1, Some(1), Some(string::md5)),
    ("sha1", 1, Some(1), Some(string::sha1)),
    ("sha256", 1, Some(1), Some(string::sha256)),
    ("sha512", 1, Some(1), Some(string::sha512)),
    // matching, conditions, conversion, information
    ("like", 2, Some(2), Some(conv::like)),
    ("match", 2, Some(2), Some(conv::match_)),
    ("cidrmatch", 2, Some(2), Some(conv::cidrmatch)),
    ("ipmask", 2, Some(2), Some(conv::ipmask)),
    ("in", 1, None, Some(conv::in_)),
    ("isnull", 1, Some(1), Some(conv::isnull)),
    ("isnotnull", 1, Some(1), Some(conv::isnotnull)),
    ("isnum", 1, Some(1), Some(conv::isnum)),
    ("isint", 1, Some(1), Some(conv::isint)),
    ("isstr", 1, Some(1), Some(conv::isstr)),
    ("isbool", 1, Some(1), Some(conv::isbool)),
    ("isarray", 1, Some(1), Some(json::isarray)),
    ("isobject", 1, Some(1), Some(json::isobject)),
    ("null", 0, Some(0), Some(conv::null)),
    ("true", 0, Some(0), Some(conv::true_)),
    ("false", 0, Some(0), Some(conv::false_)),
    ("coalesce", 1, None, Some(conv::coalesce)),
    ("nullif", 2, Some(2), Some(conv::nullif)),
    ("tostring", 1, Some(2), Some(conv::tostring)),
    ("tonumber", 1, Some(2), Some(conv::tonumber)),
    ("typeof", 1, Some(1), Some(conv::typeof_)),
    // multivalue
    ("mvcount", 1, Some(1), Some(mv::mvcount)),
    ("mvindex", 2, Some(3), Some(mv::mvindex)),
    ("mvappend", 1, None, Some(mv::mvappend)),
    ("mvdedup", 1, Some(1), Some(mv::mvdedup)),
    ("mvsort", 1, Some(1), Some(mv::mvsort)),
    ("mvfind", 2, Some(2), Some(mv::mvfind)),
    ("mvjoin", 2, Some(2), Some(mv::mvjoin)),
    ("mvzip", 2, Some(3), Some(mv::mvzip)),
    ("mvrange", 2, Some(3), Some(mv::mvrange)),
    ("mv_to_json_array", 1, Some(2), Some(mv::mv_to_json_array)),
    ("json_array_to_mv", 1, Some(2), Some(mv::json_array_to_mv)),
    ("commands", 1, Some(1), Some(mv::commands)),
    // math
    ("abs", 1, Some(1), Some(math::abs)),
    ("ceil", 1, Some(1), Some(math::ceil)),
    ("ceiling", 1, Some(1), Some(math::ceil)),
    ("floor", 1, Some(1), Some(math::floor)),
    ("round", 1, Some(2), Some(math::round)),
    ("log", 1, Some(2), Some(math::log)),
    ("ln", 1, Some(1), Some(math::ln)),
    ("exp", 1, Some(1), Some(math::exp)),
    ("pow", 2, Some(2), Some(math::pow)),
    ("sqrt", 1, Some(1), Some(math::sqrt)),
    ("pi", 0, Some(0), Some(math::pi)),
    ("random", 0, Some(0), Some(math::random)),
    ("exact", 1, Some(1), Some(math::exact)),
    ("sigfig", 1, Some(1), Some(math::sigfig)),
    ("min", 1, None, Some(math::min)),
    ("max", 1, None, Some(math::max)),
    ("avg", 1, None, Some(math::avg)),
    ("sum", 1, None, Some(math::sum)),
    ("acos", 1, Some(1), Some(math::acos)),
    ("acosh", 1, Some(1), Some(math::acosh)),
    ("asin", 1, Some(1), Some(math::asin)),
    ("asinh", 1, Some(1), Some(math::asinh)),
    ("atan", 1, Some(1), Some(math::atan)),
    ("atanh", 1, Some(1), Some(math::atanh)),
    ("atan2", 2, Some(2), Some(math::atan2)),
    ("cos", 1, Some(1), Some(math::cos)),
    ("cosh", 1, Some(1), Some(math::cosh)),
    ("sin", 1, Some(1), Some(math::sin)),
    ("sinh", 1, Some(1), Some(math::sinh)),
    ("tan", 1, Some(1), Some(math::tan)),
    ("tanh", 1, Some(1), Some(math::tanh)),
    ("hypot", 2, Some(2), Some(math::hypot)),
    ("bit_and", 2, None, Some(math::bit_and)),
    ("bit_or", 2, None, Some(math::bit_or)),
    ("bit_xor", 2, None, Some(math::bit_xor)),
    ("bit_not", 1, Some(2), Some(math::bit_not)),
    ("bit_shift_left", 2, Some(2), Some(math::bit_shift_left)),
    ("bit_shift_right", 2, Some(2), Some(math::bit_shift_right)),
    // time
    ("now", 0, Some(0), Some(time::now)),
    ("time", 0, Some(0), Some(time::time)),
    ("relative_time", 2, Some(2), Some(time::relative_time)),
    ("strftime", 2, Some(2), Some(time::strftime)),
    ("strptime", 2, Some(2), Some(time::strptime)),
    // json
    ("json_object", 0, None, Some(json::json_object)),
    ("json_array", 0, None, Some(json::json_array)),
    ("json_extract", 1, None, Some(json::json_extract)),
    ("json_extract_exact", 1, None, Some(json::json_extract_exact)),
    ("json_keys", 1, Some(1), Some(json::json_keys)),
    ("json_valid", 1, Some(1), Some(json::json_valid)),
    ("json_set", 3, None, Some(json::json_set)),
    ("json_set_exact", 3, None, Some(json::json_set_exact)),
    ("json_append", 3, None, Some(json::json_append)),
    ("json_extend", 3, None, Some(json::json_extend)),
    ("json_delete", 2, None, Some(json::json_delete)),
    ("json_entries", 1, Some(1), Some(json::json_entries)),
    ("json_has_key_exact", 2, Some(2), Some(json::json_has_key_exact)),
    ("spath", 2, Some(2), Some(json::spath)),
];

fn lookup(name: &str) -> Option<&'static (&'static str, usize, Option<usize>, Option<Func>)> {
    TABLE.iter().find(|(n, ..)| *n == name)
}

/// Whether a call may fail on some row (names and arity were checked when planning): the
/// functions that compile a pattern argument, unless it is a literal that compiles (then it
/// compiles on every row), and those that refuse some inputs. Kept beside the table, so that a
/// function that can fail is added to both.
pub fn may_fail(name: &str, args: &[spl_parser::Expr]) -> bool {
    let pattern_ok = |as_regex: fn(&str) -> String| match args.get(1).map(|a| &a.kind) {
        Some(spl_parser::ExprKind::Str(p)) => crate::regex_util::compile(&as_regex(p)).is_ok(),
        _ => false,
    };
    match name.to_ascii_lowercase().as_str() {
        "match" | "replace" | "mvfind" => !pattern_ok(str::to_string),
        "like" => !pattern_ok(conv::like_to_regex),
        "searchmatch" | "json_object" | "mvrange" => true,
        // a path without its value
        "json_set" | "json_set_exact" | "json_append" | "json_extend" => args.len().is_multiple_of(2),
        _ => false,
    }
}

/// Number of arguments a function takes (`min`, `max`; `None` = unbounded). `None` for an
/// unknown function.
pub fn arity(name: &str) -> Option<(usize, Option<usize>)> {
    lookup(name).map(|(_, min, max, _)| (*min, *max))
}

/// Names of every known function (eager and lazy), for diagnostics and tests.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(n, ..)| *n)
}

/// Call a function whose arguments are already evaluated. `name` is lower-case.
pub fn call(name: &str, args: Vec<EvalValue>, ctx: &FnContext) -> Result<EvalValue, String> {
    let Some((_, min, max, f)) = lookup(name) else {
        return Err(format!("unknown function {name}()"));
    };
    if args.len() < *min || max.is_some_and(|m| args.len() > m) {
        let want = match max {
            Some(m) if m == min => format!("{min}"),
            Some(m) => format!("{min} to {m}"),
            None => format!("at least {min}"),
        };
        return Err(format!("{name}() takes {want} arguments, got {}", args.len()));
    }
    match f {
        Some(f) => f(&args, ctx),
        None => Err(format!("{name}() is evaluated by the interpreter, not the function library")),
    }
}

// ---- shared helpers for the families ----

static NULL: EvalValue = EvalValue::Null;

/// Argument `i`, or null when absent.
fn arg(args: &[EvalValue], i: usize) -> &EvalValue {
    args.get(i).unwrap_or(&NULL)
}

/// Single-value text of argument `i`.
fn text(args: &[EvalValue], i: usize) -> Option<String> {
    arg(args, i).as_text()
}

/// Numeric reading of argument `i` (first value; strings parse as numbers).
fn num(args: &[EvalValue], i: usize) -> Option<f64> {
    arg(args, i).as_num()
}

/// A number result; NaN/infinite become null (e.g. `sqrt(-1)`, `ln(0)`).
fn num_or_null(n: f64) -> EvalValue {
    if n.is_finite() {
        EvalValue::num(n)
    } else {
        EvalValue::Null
    }
}

/// Truthiness of an optional boolean argument (`true()`, `"true"`, `1`).
fn truthy(v: &EvalValue) -> bool {
    match v {
        EvalValue::Bool(b) => *b,
        EvalValue::Null => false,
        EvalValue::Val(v) => {
            let s = v.first().as_str();
            s.eq_ignore_ascii_case("true")
                || s.eq_ignore_ascii_case("t")
                || v.first().to_num().is_some_and(|n| n != 0.0)
        }
    }
}

/// Apply `f` to every value's text; null stays null; all-`None` results give null.
fn map_values(v: &EvalValue, f: impl Fn(&str) -> Option<Atom>) -> EvalValue {
    match v {
        EvalValue::Null => EvalValue::Null,
        EvalValue::Bool(_) => {
            v.as_text().and_then(|t| f(&t)).map_or(EvalValue::Null, |a| EvalValue::Val(Value::One(a)))
        }
        EvalValue::Val(Value::One(a)) => f(&a.as_str()).map_or(EvalValue::Null, |a| EvalValue::Val(Value::One(a))),
        EvalValue::Val(Value::Many(list)) => {
            EvalValue::Val(Value::Many(list.iter().filter_map(|a| f(&a.as_str())).collect()))
        }
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::eval::chrono_tz_offset::Tz;

    pub fn ctx() -> FnContext {
        FnContext { now: 1_700_044_245.0, tz: Tz::default() }
    }
    pub fn s(x: &str) -> EvalValue {
        EvalValue::str(x)
    }
    pub fn n(x: f64) -> EvalValue {
        EvalValue::num(x)
    }
    pub fn mv(xs: &[&str]) -> EvalValue {
        EvalValue::Val(Value::Many(xs.iter().map(|x| Atom::from(*x)).collect()))
    }
    pub fn c(name: &str, args: Vec<EvalValue>) -> EvalValue {
        call(name, args, &ctx()).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
    /// Result as a list of texts (empty for null).
    pub fn texts(v: &EvalValue) -> Vec<String> {
        v.atoms().iter().map(|a| a.as_str().into_owned()).collect()
    }
    pub fn t(name: &str, args: Vec<EvalValue>) -> String {
        c(name, args).as_text().unwrap_or_else(|| "<null>".into())
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn arity_knows_lazy_and_eager_functions() {
        assert_eq!(arity("if"), Some((3, Some(3))));
        assert_eq!(arity("case"), Some((2, None)));
        assert_eq!(arity("mvfilter"), Some((1, Some(1))));
        assert_eq!(arity("searchmatch"), Some((1, Some(1))));
        assert_eq!(arity("substr"), Some((2, Some(3))));
        assert_eq!(arity("nosuchfn"), None);
    }

    #[test]
    fn call_checks_arity_and_unknown_names() {
        assert!(call("lower", vec![], &ctx()).unwrap_err().contains("takes 1 arguments"));
        assert!(call("nosuchfn", vec![], &ctx()).unwrap_err().contains("unknown function"));
        assert!(call("if", vec![s("a"), s("b"), s("c")], &ctx()).is_err());
    }

    /// Every function, every combination of awkward arguments up to its arity (capped at 3):
    /// no panic, whatever the result.
    #[test]
    fn fuzz_no_panics() {
        let samples = vec![
            EvalValue::Null,
            s(""),
            s("abc"),
            s("-1"),
            s("1e3"),
            mv(&["a", "10", ""]),
            EvalValue::Bool(true),
            n(f64::MAX),
            s("%"),
            s("{\"a\":[1,{\"b\":2}]}"),
            s("@w9"),
            s("((("),
        ];
        for (name, min, max, f) in TABLE {
            if f.is_none() {
                continue;
            }
            let hi = max.unwrap_or(3).min(3);
            for k in *min..=hi {
                let total = samples.len().pow(k as u32);
                for mut code in 0..total {
                    let mut args = Vec::with_capacity(k);
                    for _ in 0..k {
                        args.push(samples[code % samples.len()].clone());
                        code /= samples.len();
                    }
                    let _ = call(name, args, &ctx());
                }
            }
        }
    }
}
