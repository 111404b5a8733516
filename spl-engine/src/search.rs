//! The search language, compiled: `field=value` globs compared case-insensitively, CIDR values,
//! `IN`, `!=` vs `NOT`, relational operators, and bare terms against `_raw`.
//!
//! Splunk rules implemented here (see docs/semantics.md):
//! - values match the whole field value, ignoring case, `*` matching any sequence;
//! - `f!=v` is false when `f` is missing, `NOT f=v` is true;
//! - a multivalue field matches when any value does (`!=` when any value differs);
//! - a CIDR value (`10.0.0.0/8`) matches IP values inside the range;
//! - bare terms match `_raw` at token boundaries.

use std::net::IpAddr;

use ipnet::IpNet;
use regex::Regex;
use spl_parser::{CmpOp, SearchExpr, SearchValue, Span, TermKind};

use crate::event::Event;
use crate::value::{compare_atoms, parse_num, Atom, Value};

/// A compiled search expression.
#[derive(Clone, Debug)]
pub enum Matcher {
    True,
    False,
    And(Vec<Matcher>),
    Or(Vec<Matcher>),
    Not(Box<Matcher>),
    /// `field=pattern` (any value matches).
    Eq {
        field: String,
        pat: Pattern,
    },
    /// `field!=pattern`: field present and some value does not match.
    Ne {
        field: String,
        pat: Pattern,
    },
    /// `field<v` etc.
    Rel {
        field: String,
        op: CmpOp,
        value: Atom,
    },
    /// A bare term or phrase against `_raw`.
    Raw(RawTerm),
    /// `_time` bounds from `earliest=`/`latest=`.
    TimeGe(f64),
    TimeLt(f64),
}

/// A search value pattern: glob (case-insensitive unless `case`), or CIDR range.
#[derive(Clone, Debug)]
pub enum Pattern {
    /// `*` alone: the field exists.
    Any,
    Glob(Glob),
    Cidr(IpNet),
}

impl Pattern {
    pub fn new(text: &str) -> Pattern {
        Pattern::with_case(text, false)
    }

    pub fn with_case(text: &str, case_sensitive: bool) -> Pattern {
        if text == "*" {
            return Pattern::Any;
        }
        if text.contains('/') {
            if let Ok(net) = text.trim().parse::<IpNet>() {
                return Pattern::Cidr(net);
            }
        }
        Pattern::Glob(Glob::new(text, case_sensitive))
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Glob(g) => g.matches(value),
            Pattern::Cidr(net) => value.trim().parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        }
    }

    /// Any value of a (possibly multivalue) field matches.
    pub fn matches_value(&self, value: &Value) -> bool {
        value.atoms().iter().any(|a| self.matches(&a.as_str()))
    }
}

/// A `*` glob over a whole value. No other character is special (`?` and `[` are literal,
/// and `\*` is a backslash followed by a wildcard: Splunk cannot escape `*`).
#[derive(Clone, Debug)]
pub struct Glob {
    /// Literal pieces between `*`s, lower-cased unless case-sensitive.
    parts: Vec<String>,
    has_star: bool,
    case_sensitive: bool,
}

impl Glob {
    pub fn new(text: &str, case_sensitive: bool) -> Glob {
        let norm = if case_sensitive { text.to_string() } else { fold(text) };
        Glob { has_star: norm.contains('*'), parts: norm.split('*').map(str::to_string).collect(), case_sensitive }
    }

    pub fn matches(&self, value: &str) -> bool {
        // ASCII values (nearly all) compare without building a lower-case copy.
        if !self.case_sensitive && value.is_ascii() {
            return glob_match_ascii_ci(&self.parts, self.has_star, value.as_bytes());
        }
        let folded;
        let v = if self.case_sensitive {
            value
        } else {
            folded = fold(value);
            folded.as_str()
        };
        glob_match(&self.parts, self.has_star, v)
    }

    /// The literal pieces between `*`s (folded unless case-sensitive), for prefilters.
    pub fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(String::as_str)
    }

    /// The longest literal piece (for prefilters).
    pub fn longest_literal(&self) -> &str {
        self.parts.iter().max_by_key(|p| p.len()).map_or("", |s| s.as_str())
    }
}

impl std::fmt::Display for Glob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.parts.join("*"))
    }
}

/// Case folding for search comparisons. ASCII-only input (the usual case) avoids Unicode tables.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// Match pre-split glob pieces against a value; greedy leftmost placement of middle pieces is
/// correct because `*` matches any run.
fn glob_match(parts: &[String], has_star: bool, v: &str) -> bool {
    if !has_star {
        return parts.first().is_some_and(|p| p == v);
    }
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return true;
    };
    if v.len() < first.len() + last.len() || !v.starts_with(first.as_str()) || !v.ends_with(last.as_str()) {
        return false;
    }
    let mut rest = &v[first.len()..v.len() - last.len()];
    for mid in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        match rest.find(mid.as_str()) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// `glob_match` for an ASCII value against lower-cased pieces, ignoring ASCII case.
fn glob_match_ascii_ci(parts: &[String], has_star: bool, v: &[u8]) -> bool {
    let eq = |a: &[u8], b: &[u8]| a.eq_ignore_ascii_case(b);
    if !has_star {
        return parts.first().is_some_and(|p| eq(p.as_bytes(), v));
    }
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return true;
    };
    let (f, l) = (first.as_bytes(), last.as_bytes());
    if v.len() < f.len() + l.len()
        || !v.get(..f.len()).is_some_and(|x| eq(x, f))
        || !v.get(v.len() - l.len()..).is_some_and(|x| eq(x, l))
    {
        return false;
    }
    let mut rest = v.get(f.len()..v.len() - l.len()).unwrap_or_default();
    for mid in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        let m = mid.as_bytes();
        if m.is_empty() {
            continue;
        }
        match rest.windows(m.len()).position(|w| eq(w, m)) {
            Some(i) => rest = rest.get(i + m.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

/// A bare term or phrase matched against `_raw`, ignoring case, at token boundaries: Splunk
/// indexes text split at breakers, so `error` does not match `errors`.
#[derive(Clone, Debug)]
pub struct RawTerm {
    pub text: String,
    re: Option<Regex>,
}

impl RawTerm {
    pub fn new(text: &str, case_sensitive: bool) -> RawTerm {
        let t = text.trim_matches(|c: char| c.is_whitespace());
        if t.is_empty() || t.chars().all(|c| c == '*') {
            return RawTerm { text: t.to_string(), re: None };
        }
        let mut pat = String::new();
        if !case_sensitive {
            pat.push_str("(?i)");
        }
        if !t.starts_with('*') && t.chars().next().is_some_and(char::is_alphanumeric) {
            pat.push_str(r"(?:^|[^\p{Alphabetic}\p{Nd}])");
        }
        let pieces: Vec<String> = t.split('*').map(regex::escape).collect();
        pat.push_str(&pieces.join(".*?"));
        if !t.ends_with('*') && t.chars().last().is_some_and(char::is_alphanumeric) {
            pat.push_str(r"(?:$|[^\p{Alphabetic}\p{Nd}])");
        }
        RawTerm { text: t.to_string(), re: Regex::new(&pat).ok() }
    }

    pub fn matches(&self, ev: &Event) -> bool {
        let Some(re) = &self.re else {
            // `*` matches every result, with or without `_raw`.
            return true;
        };
        match ev.get("_raw") {
            Some(raw) => raw.atoms().iter().any(|a| re.is_match(&a.as_str())),
            None => false,
        }
    }
}

/// Why a search expression cannot be compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub message: String,
    pub span: Span,
}

/// Compile options: the run's "now" for `earliest=-7d` style modifiers.
#[derive(Clone, Copy, Debug)]
pub struct CompileCtx {
    pub now: f64,
}

impl Matcher {
    pub fn compile(expr: &SearchExpr, ctx: &CompileCtx) -> Result<Matcher, CompileError> {
        Ok(match expr {
            SearchExpr::And(items) => Matcher::And(compile_all(items, ctx)?).simplify(),
            SearchExpr::Or(items) => Matcher::Or(compile_all(items, ctx)?).simplify(),
            SearchExpr::Not(inner, _) => Matcher::Not(Box::new(Matcher::compile(inner, ctx)?)),
            SearchExpr::Compare { field, op, value, span } => compile_compare(&field.name, *op, value, *span, ctx)?,
            SearchExpr::In { field, values, .. } => Matcher::Or(
                values.iter().map(|v| Matcher::Eq { field: field.name.clone(), pat: Pattern::new(&v.text) }).collect(),
            ),
            SearchExpr::Term { value, kind, .. } => match kind {
                TermKind::Case => Matcher::Raw(RawTerm::new(&value.text, true)),
                _ if value.text == "*" => Matcher::True,
                _ => Matcher::Raw(RawTerm::new(&value.text, false)),
            },
            SearchExpr::Subsearch(_, span) => {
                return Err(CompileError {
                    message: "subsearch must be resolved before compiling the search".into(),
                    span: *span,
                })
            }
        })
    }

    fn simplify(self) -> Matcher {
        match self {
            Matcher::And(mut v) if v.len() == 1 => v.pop().unwrap_or(Matcher::True),
            Matcher::Or(mut v) if v.len() == 1 => v.pop().unwrap_or(Matcher::False),
            Matcher::And(v) => {
                let v: Vec<Matcher> = v.into_iter().filter(|m| !matches!(m, Matcher::True)).collect();
                if v.is_empty() {
                    Matcher::True
                } else if v.len() == 1 {
                    v.into_iter().next().unwrap_or(Matcher::True)
                } else {
                    Matcher::And(v)
                }
            }
            m => m,
        }
    }

    pub fn matches(&self, ev: &Event) -> bool {
        match self {
            Matcher::True => true,
            Matcher::False => false,
            Matcher::And(v) => v.iter().all(|m| m.matches(ev)),
            Matcher::Or(v) => v.iter().any(|m| m.matches(ev)),
            Matcher::Not(m) => !m.matches(ev),
            Matcher::Eq { field, pat } => ev.get(field).is_some_and(|v| pat.matches_value(v)),
            Matcher::Ne { field, pat } => {
                ev.get(field).is_some_and(|v| v.atoms().iter().any(|a| !pat.matches(&a.as_str())))
            }
            Matcher::Rel { field, op, value } => ev.get(field).is_some_and(|v| {
                v.atoms().iter().any(|a| {
                    let ord = compare_atoms(a, value);
                    match op {
                        CmpOp::Lt => ord.is_lt(),
                        CmpOp::Le => ord.is_le(),
                        CmpOp::Gt => ord.is_gt(),
                        CmpOp::Ge => ord.is_ge(),
                        CmpOp::Eq => ord.is_eq(),
                        CmpOp::Ne => ord.is_ne(),
                    }
                })
            }),
            Matcher::Raw(t) => t.matches(ev),
            Matcher::TimeGe(t) => ev.time().is_some_and(|x| x >= *t),
            Matcher::TimeLt(t) => ev.time().is_some_and(|x| x < *t),
        }
    }

    /// Every field this matcher reads (for explain and field pruning).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Matcher::And(v) | Matcher::Or(v) => v.iter().for_each(|m| m.fields(out)),
            Matcher::Not(m) => m.fields(out),
            Matcher::Eq { field, .. } | Matcher::Ne { field, .. } | Matcher::Rel { field, .. } => {
                if !out.contains(field) {
                    out.push(field.clone())
                }
            }
            Matcher::Raw(_) => {
                if !out.iter().any(|f| f == "_raw") {
                    out.push("_raw".into())
                }
            }
            Matcher::TimeGe(_) | Matcher::TimeLt(_) => {
                if !out.iter().any(|f| f == "_time") {
                    out.push("_time".into())
                }
            }
            Matcher::True | Matcher::False => {}
        }
    }
}

fn compile_all(items: &[SearchExpr], ctx: &CompileCtx) -> Result<Vec<Matcher>, CompileError> {
    items.iter().map(|e| Matcher::compile(e, ctx)).collect()
}

fn compile_compare(
    field: &str,
    op: CmpOp,
    value: &SearchValue,
    span: Span,
    ctx: &CompileCtx,
) -> Result<Matcher, CompileError> {
    // earliest/latest are time-range modifiers, not fields.
    let lower = field.to_ascii_lowercase();
    if (lower == "earliest" || lower == "latest") && op == CmpOp::Eq {
        let t = crate::timefmt::relative_time(ctx.now, &value.text, 0).ok_or_else(|| CompileError {
            message: format!("cannot read time modifier `{}={}`", field, value.text),
            span,
        })?;
        return Ok(if lower == "earliest" { Matcher::TimeGe(t) } else { Matcher::TimeLt(t) });
    }
    Ok(match op {
        CmpOp::Eq => Matcher::Eq { field: field.to_string(), pat: Pattern::new(&value.text) },
        CmpOp::Ne => Matcher::Ne { field: field.to_string(), pat: Pattern::new(&value.text) },
        _ => {
            let atom = match parse_num(&value.text) {
                Some(n) => Atom::Num(n),
                None => Atom::from(value.text.as_str()),
            };
            Matcher::Rel { field: field.to_string(), op, value: atom }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    fn eq(f: &str, p: &str) -> Matcher {
        Matcher::Eq { field: f.into(), pat: Pattern::new(p) }
    }
    fn ne(f: &str, p: &str) -> Matcher {
        Matcher::Ne { field: f.into(), pat: Pattern::new(p) }
    }

    #[test]
    fn search_values_ignore_case_and_match_whole_value() {
        let e = ev(&[("process_name", "RegAsm.EXE")]);
        assert!(eq("process_name", "regasm.exe").matches(&e));
        assert!(!eq("process_name", "regasm").matches(&e));
        assert!(!eq("Process_Name", "regasm.exe").matches(&e), "field names are case-sensitive");
    }

    #[test]
    fn wildcards_match_any_run_including_empty() {
        let e = ev(&[("p", "C:\\Windows\\Temp\\x.exe")]);
        assert!(eq("p", "*\\windows\\temp\\*").matches(&e));
        assert!(eq("p", "c:*x.exe").matches(&e));
        assert!(eq("p", "c:\\windows\\temp\\x.exe*").matches(&e));
        assert!(!eq("p", "*\\system32\\*").matches(&e));
        assert!(eq("p", "*").matches(&e));
        let ab = ev(&[("p", "ab")]);
        assert!(!eq("p", "ab*b").matches(&ab), "pieces may not overlap");
    }

    #[test]
    fn ascii_fast_path_agrees_with_folding() {
        for (pat, val, want) in [
            ("*reg*.exe", "C:\\REGASM.EXE", true),
            ("a*b*c", "AxxBxxC", true),
            ("a*b*c", "acb", false),
            ("abc", "ABC", true),
            ("*", "", true),
            ("ab*", "a", false),
        ] {
            assert_eq!(Glob::new(pat, false).matches(val), want, "{pat} vs {val}");
        }
        assert!(
            !Glob::new("straße", false).matches("STRASSE") && Glob::new("é*", false).matches("É"),
            "non-ASCII folds"
        );
    }

    #[test]
    fn question_mark_and_brackets_are_literal() {
        let e = ev(&[("p", "a?b")]);
        assert!(eq("p", "a?b").matches(&e));
        assert!(!eq("p", "a?c").matches(&ev(&[("p", "axc")])));
    }

    #[test]
    fn not_equal_excludes_missing_field_but_not_keeps_it() {
        let missing = ev(&[("other", "x")]);
        assert!(!ne("user", "bob").matches(&missing));
        assert!(Matcher::Not(Box::new(eq("user", "bob"))).matches(&missing));
        let bob = ev(&[("user", "BOB")]);
        assert!(!ne("user", "bob").matches(&bob));
        assert!(ne("user", "alice").matches(&bob));
    }

    #[test]
    fn cidr_value_matches_ips_in_range() {
        let pat = Pattern::new("172.16.0.0/12");
        assert!(pat.matches("172.16.0.1"));
        assert!(pat.matches("172.31.255.255"));
        assert!(!pat.matches("172.32.0.1"));
        assert!(!pat.matches("172.15.255.255"));
        assert!(!pat.matches("not-an-ip"));
        let e = ev(&[("dest_ip", "10.1.2.3")]);
        assert!(!ne("dest_ip", "10.0.0.0/8").matches(&e));
        assert!(ne("dest_ip", "192.168.0.0/16").matches(&e));
        assert!(Pattern::new("fe80::/10").matches("fe80::1"));
    }

    #[test]
    fn multivalue_matches_if_any_value_does() {
        let mut e = Event::new();
        e.push("f", "a".into());
        e.push("f", "b".into());
        assert!(eq("f", "B").matches(&e));
        assert!(ne("f", "a").matches(&e), "!= is existential over values");
        assert!(!Matcher::Not(Box::new(eq("f", "a"))).matches(&e));
    }

    #[test]
    fn relational_compares_numbers_numerically() {
        let e = ev(&[("count", "10")]);
        let gt = |v: f64| Matcher::Rel { field: "count".into(), op: CmpOp::Gt, value: Atom::Num(v) };
        assert!(gt(9.0).matches(&e));
        assert!(!gt(10.0).matches(&e));
        assert!(!gt(1.0).matches(&Event::new()), "missing field is false");
    }

    #[test]
    fn bare_terms_match_raw_at_token_boundaries() {
        let e = ev(&[("_raw", "<Data Name='ImageLoaded'>C:\\x\\errors.dll</Data>")]);
        assert!(RawTerm::new("imageloaded", false).matches(&e));
        assert!(!RawTerm::new("error", false).matches(&e));
        assert!(RawTerm::new("error*", false).matches(&e));
        assert!(RawTerm::new("errors.dll", false).matches(&e));
        assert!(!RawTerm::new("x", false).matches(&Event::new()), "no _raw, no match");
        assert!(RawTerm::new("*", false).matches(&Event::new()));
    }
}
