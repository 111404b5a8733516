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

use crate::event::{Event, FieldRef};
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
        field: FieldRef,
        pat: Pattern,
    },
    /// `field!=pattern`: field present and some value does not match.
    Ne {
        field: FieldRef,
        pat: Pattern,
    },
    /// `field<v` etc.
    Rel {
        field: FieldRef,
        op: CmpOp,
        value: Atom,
    },
    /// A bare term or phrase against `_raw`.
    Raw(RawTerm),
    /// `_time` bounds from `earliest=`/`latest=`.
    TimeGe(f64),
    TimeLt(f64),
    /// An `Or` of many alternatives that each set literal values on the same fields (a
    /// subsearch's rows, `(pid=1 AND dest=a) OR (pid=2 AND dest=b) …`, or a long `IN` list),
    /// tested by one set look-up instead of alternative by alternative. Means what `Or` of its
    /// `alts` means, and reads as that everywhere else.
    AnyOf(Box<AnyOf>),
}

/// See `Matcher::AnyOf`.
#[derive(Clone, Debug)]
pub struct AnyOf {
    pub alts: Vec<Matcher>,
    /// The fields every alternative sets, sorted.
    fields: Vec<String>,
    /// Per alternative, its values in `fields` order, folded as search values are, encoded by
    /// `encode_key_into`.
    keys: std::collections::HashSet<Box<[u8]>, ahash::RandomState>,
}

/// Alternatives in an `Or` from which a set look-up pays (below, comparing one by one is as
/// quick).
const ANY_OF_MIN: usize = 8;

/// Value combinations of a row's multivalue fields looked up one by one at most; a row with
/// more is tested alternative by alternative (a hostile row cannot blow up the work).
const ANY_OF_MAX_COMBOS: usize = 64;

impl AnyOf {
    /// The (field, folded literal) pairs of an alternative that is a conjunction of
    /// case-insensitive literal equalities on distinct fields, sorted by field.
    fn literals(m: &Matcher) -> Option<Vec<(&str, &str)>> {
        fn one(m: &Matcher) -> Option<(&str, &str)> {
            match m {
                Matcher::Eq { field, pat: Pattern::Glob(g) } => Some((field.as_str(), g.literal()?)),
                _ => None,
            }
        }
        let mut out = match m {
            Matcher::And(v) => v.iter().map(one).collect::<Option<Vec<_>>>()?,
            m => vec![one(m)?],
        };
        out.sort_unstable_by_key(|(f, _)| *f);
        if out.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return None;
        }
        Some(out)
    }

    /// Replace, in the alternatives of an `Or`, each group of at least `ANY_OF_MIN` literal
    /// conjunctions on the same fields by one `AnyOf`; the others stay as they are.
    fn gather(alts: Vec<Matcher>) -> Vec<Matcher> {
        if alts.len() < ANY_OF_MIN {
            return alts;
        }
        // Per alternative that is a literal conjunction: its fields and its key.
        type Shape = Option<(Vec<String>, Box<[u8]>)>;
        let shapes: Vec<Shape> = alts
            .iter()
            .map(|m| {
                let lits = AnyOf::literals(m)?;
                let mut key = Vec::new();
                crate::stats::encode_key_into(lits.iter().map(|(_, v)| *v), &mut key);
                Some((lits.iter().map(|(f, _)| f.to_string()).collect(), key.into()))
            })
            .collect();
        let mut sizes: std::collections::HashMap<&[String], usize> = Default::default();
        for (fields, _) in shapes.iter().flatten() {
            *sizes.entry(fields.as_slice()).or_default() += 1;
        }
        let big: std::collections::HashSet<Vec<String>> =
            sizes.into_iter().filter(|(_, n)| *n >= ANY_OF_MIN).map(|(f, _)| f.to_vec()).collect();
        // Each set stands where its first member stood: the order of the rest is kept.
        let mut out = Vec::new();
        let mut set_at: std::collections::HashMap<Vec<String>, usize> = Default::default();
        for (m, shape) in alts.into_iter().zip(shapes) {
            let Some((fields, key)) = shape.filter(|(f, _)| big.contains(f)) else {
                out.push(m);
                continue;
            };
            let at = *set_at.entry(fields.clone()).or_insert_with(|| {
                let keys = std::collections::HashSet::default();
                out.push(Matcher::AnyOf(Box::new(AnyOf { alts: Vec::new(), fields, keys })));
                out.len() - 1
            });
            if let Some(Matcher::AnyOf(set)) = out.get_mut(at) {
                set.keys.insert(key);
                set.alts.push(m);
            }
        }
        out
    }

    fn matches(&self, ev: &Event) -> bool {
        let mut values: Vec<Vec<String>> = Vec::with_capacity(self.fields.len());
        let mut combos = 1usize;
        for f in &self.fields {
            let Some(v) = ev.get(f) else { return false };
            let mut folded: Vec<String> = v.atoms().iter().map(|a| fold(&a.as_str())).collect();
            if folded.is_empty() {
                // No value at all: no `field=value` matches it (as `Eq` says).
                return false;
            }
            folded.sort_unstable();
            folded.dedup();
            combos = combos.saturating_mul(folded.len());
            values.push(folded);
        }
        if combos > ANY_OF_MAX_COMBOS {
            return self.alts.iter().any(|m| m.matches(ev));
        }
        // Every combination of one value per field (a multivalue field matches when any
        // value does), looked up in turn.
        let mut pick = vec![0usize; values.len()];
        let mut key = Vec::new();
        loop {
            key.clear();
            let parts = values.iter().zip(&pick).map(|(vals, &i)| vals.get(i).map_or("", String::as_str));
            crate::stats::encode_key_into(parts, &mut key);
            if self.keys.contains(key.as_slice()) {
                return true;
            }
            // Next combination, odometer-wise; done when every position wrapped.
            let mut k = 0;
            loop {
                let (Some(p), Some(vals)) = (pick.get_mut(k), values.get(k)) else { return false };
                *p += 1;
                if *p < vals.len() {
                    break;
                }
                *p = 0;
                k += 1;
            }
        }
    }
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

    /// Whether some value starting with `prefix` may match (`false` is sure): a CIDR range
    /// matches no text that does not read as an address.
    pub fn may_match_starting_with(&self, prefix: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Glob(g) => g.may_match_starting_with(prefix),
            Pattern::Cidr(_) => prefix.trim().parse::<IpAddr>().is_ok(),
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

    /// The value this glob matches (folded unless case-sensitive) when it has no `*` and
    /// ignores case: matching it is then comparing folded values.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [one] if !self.has_star && !self.case_sensitive => Some(one),
            _ => None,
        }
    }

    /// Whether some value starting with `prefix` may match: the piece before the first `*`
    /// (the whole text without one) must agree with it as far as both go. `false` is sure.
    pub fn may_match_starting_with(&self, prefix: &str) -> bool {
        let prefix = if self.case_sensitive { prefix.to_string() } else { fold(prefix) };
        let first = self.parts.first().map_or("", String::as_str);
        if self.has_star {
            first.starts_with(&prefix) || prefix.starts_with(first)
        } else {
            first.starts_with(&prefix)
        }
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
        match find_ascii_ci(rest, m) {
            Some(i) => rest = rest.get(i + m.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

/// The first position of `needle` in `hay`, ASCII case ignored: candidates are found by their
/// first byte (either case) with memchr, then compared. `*-m local*` over command lines tested
/// every position of each one in turn.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last_start = hay.len().checked_sub(needle.len())?;
    let mut at = 0;
    while at <= last_start {
        let window = hay.get(at..=last_start)?;
        let i = if lo == up { memchr::memchr(lo, window) } else { memchr::memchr2(lo, up, window) }?;
        let start = at + i;
        if hay.get(start + 1..start + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(tail)) {
            return Some(start);
        }
        at = start + 1;
    }
    None
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
    /// The run's time zone offset: `earliest=-1d@d` snaps to local midnight.
    pub tz: i32,
}

impl Matcher {
    pub fn compile(expr: &SearchExpr, ctx: &CompileCtx) -> Result<Matcher, CompileError> {
        Ok(match expr {
            SearchExpr::And(items) => Matcher::And(compile_all(items, ctx)?).simplify(),
            SearchExpr::Or(items) => Matcher::Or(AnyOf::gather(compile_all(items, ctx)?)).simplify(),
            SearchExpr::Not(inner, _) => Matcher::Not(Box::new(Matcher::compile(inner, ctx)?)),
            SearchExpr::Compare { field, op, value, span } => compile_compare(&field.name, *op, value, *span, ctx)?,
            SearchExpr::In { field, values, .. } => Matcher::Or(AnyOf::gather(
                values
                    .iter()
                    .map(|v| Matcher::Eq { field: field.name.as_str().into(), pat: Pattern::new(&v.text) })
                    .collect(),
            )),
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
            Matcher::Eq { field, pat } => ev.get_ref(field).is_some_and(|v| pat.matches_value(v)),
            Matcher::Ne { field, pat } => {
                ev.get_ref(field).is_some_and(|v| v.atoms().iter().any(|a| !pat.matches(&a.as_str())))
            }
            Matcher::Rel { field, op, value } => ev.get_ref(field).is_some_and(|v| {
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
            Matcher::AnyOf(set) => set.matches(ev),
        }
    }

    /// Every field this matcher reads (for explain and field pruning).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Matcher::And(v) | Matcher::Or(v) => v.iter().for_each(|m| m.fields(out)),
            Matcher::AnyOf(set) => set.alts.iter().for_each(|m| m.fields(out)),
            Matcher::Not(m) => m.fields(out),
            Matcher::Eq { field, .. } | Matcher::Ne { field, .. } | Matcher::Rel { field, .. } => {
                if !out.contains(field) {
                    out.push(field.to_string())
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
        let t = crate::timefmt::relative_time(ctx.now, &value.text, ctx.tz).ok_or_else(|| CompileError {
            message: format!("cannot read time modifier `{}={}`", field, value.text),
            span,
        })?;
        return Ok(if lower == "earliest" { Matcher::TimeGe(t) } else { Matcher::TimeLt(t) });
    }
    Ok(match op {
        CmpOp::Eq => Matcher::Eq { field: field.into(), pat: Pattern::new(&value.text) },
        CmpOp::Ne => Matcher::Ne { field: field.into(), pat: Pattern::new(&value.text) },
        _ => {
            let atom = match parse_num(&value.text) {
                Some(n) => Atom::Num(n),
                None => Atom::from(value.text.as_str()),
            };
            Matcher::Rel { field: field.into(), op, value: atom }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_case_blind_find_gives_the_first_position_a_window_by_window_scan_gives() {
        let naive = |h: &[u8], n: &[u8]| h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n));
        let hays =
            ["", "a", "cmd.exe /c -M LOCAL", "--m local -m Local", "é-m local", "xx-m", "-m localx-m local", "AAAAb"];
        let needles = ["-m local", "-", "m", "l", "aab", "é", "x-m", "local"];
        for h in hays {
            for n in needles {
                let (h, n) = (h.as_bytes(), n.as_bytes());
                assert_eq!(
                    super::find_ascii_ci(h, n),
                    naive(h, n),
                    "{:?} in {:?}",
                    String::from_utf8_lossy(n),
                    String::from_utf8_lossy(h)
                );
            }
        }
    }

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

    #[test]
    fn a_glob_may_match_values_of_a_prefix_only_when_its_first_piece_agrees() {
        let may = |glob: &str| Pattern::new(glob).may_match_starting_with("XmlWinEventLog:");
        for yes in ["*", "xmlwineventlog:*", "XmlWin*", "*Security", "XmlWinEventLog:Security", "x*y"] {
            assert!(may(yes), "{yes}");
        }
        for no in ["PINGID", "linux_secure", "WinEventLog:*", "xmlwin", "10.0.0.0/8"] {
            assert!(!may(no), "{no}");
        }
        // What it says is sure: no value of the prefix matches a glob it rules out.
        for glob in ["PINGID", "WinEventLog:*", "xmlwin", "XmlWin*", "*Security"] {
            let p = Pattern::new(glob);
            for v in
                ["XmlWinEventLog:Security", "XmlWinEventLog:", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"]
            {
                assert!(!p.matches(v) || p.may_match_starting_with("XmlWinEventLog:"), "{glob} {v}");
            }
        }
    }

    #[test]
    fn time_modifiers_snap_in_the_runs_time_zone() {
        // now = 1970-01-03 12:00 UTC; in UTC+2 the local day began at 1970-01-02 22:00 UTC.
        let bound = |text: &str, tz: i32| {
            let expr = spl_parser::parse_search_expr(text).unwrap().unwrap();
            match Matcher::compile(&expr, &CompileCtx { now: 216_000.0, tz }).unwrap() {
                Matcher::TimeGe(t) | Matcher::TimeLt(t) => t,
                m => panic!("{m:?}"),
            }
        };
        assert_eq!(bound("earliest=@d", 0), 172_800.0);
        assert_eq!(bound("earliest=@d", 7200), 172_800.0 - 7200.0);
        assert_eq!(bound("latest=-1d@d", 7200), 86_400.0 - 7200.0);
        assert_eq!(bound("earliest=86400", 7200), 86_400.0, "an epoch is not moved");
    }

    /// A search expression compiled as the engine compiles it, and as a plain `Or` of its
    /// alternatives (what `AnyOf` must mean).
    fn compiled_and_plain(text: &str) -> (Matcher, Matcher) {
        let expr = spl_parser::parse_search_expr(text).unwrap().unwrap();
        let m = Matcher::compile(&expr, &CompileCtx { now: 0.0, tz: 0 }).unwrap();
        fn plain(m: &Matcher) -> Matcher {
            match m {
                Matcher::AnyOf(set) => Matcher::Or(set.alts.iter().map(plain).collect()),
                Matcher::And(v) => Matcher::And(v.iter().map(plain).collect()),
                Matcher::Or(v) => Matcher::Or(v.iter().map(plain).collect()),
                Matcher::Not(x) => Matcher::Not(Box::new(plain(x))),
                m => m.clone(),
            }
        }
        let p = plain(&m);
        (m, p)
    }

    fn has_any_of(m: &Matcher) -> bool {
        match m {
            Matcher::AnyOf(_) => true,
            Matcher::And(v) | Matcher::Or(v) => v.iter().any(has_any_of),
            Matcher::Not(x) => has_any_of(x),
            _ => false,
        }
    }

    #[test]
    fn a_subsearch_sized_or_of_literal_rows_is_a_set_lookup_that_means_the_same() {
        // What `search [| … | table process_id dest]` expands to, with a wildcard row and a
        // row on other fields mixed in: those stay compared one by one.
        let mut rows: Vec<String> =
            (0..40).map(|i| format!(r#"( process_id="{i}" AND dest="Host-{}" )"#, i % 7)).collect();
        rows.push(r#"( process_id="9*" AND dest="wild" )"#.into());
        rows.push(r#"( user="ÄDMIN" )"#.into());
        rows.push(r#"( process_id="77" )"#.into());
        rows.push(r#"( process_id="" AND dest="empty" )"#.into());
        let (m, plain) = compiled_and_plain(&rows.join(" OR "));
        assert!(has_any_of(&m), "{m:?}");
        let cases: Vec<(Event, bool)> = vec![
            (ev(&[("process_id", "3"), ("dest", "host-3")]), true),
            (ev(&[("process_id", "3"), ("dest", "HOST-3")]), true),
            (ev(&[("process_id", "3"), ("dest", "host-4")]), false),
            (ev(&[("process_id", "3")]), false),
            (ev(&[("dest", "host-3")]), false),
            (ev(&[("process_id", "3"), ("dest", "host-3*")]), false),
            (ev(&[("process_id", "95"), ("dest", "WILD")]), true),
            (ev(&[("user", "ädmin")]), true),
            (ev(&[("process_id", "77"), ("dest", "anything")]), true),
            // A multivalue field matches when any value does.
            (ev(&[("process_id", "1000"), ("process_id", "10"), ("dest", "x"), ("dest", "host-3")]), true),
            (ev(&[("process_id", "1000"), ("process_id", "11"), ("dest", "x"), ("dest", "host-3")]), false),
        ];
        // A field holding no value at all is not one holding the empty string.
        let mut no_value = ev(&[("dest", "empty")]);
        no_value.fields.insert("process_id".into(), Value::Many(Vec::new()));
        let cases: Vec<(Event, bool)> = cases
            .into_iter()
            .chain([(no_value, false), (ev(&[("process_id", ""), ("dest", "EMPTY")]), true)])
            .collect();
        for (e, want) in &cases {
            assert_eq!(m.matches(e), *want, "{e:?}");
            assert_eq!(plain.matches(e), *want, "{e:?}");
        }
        // More value combinations than are looked up one by one: tested row by row, same verdict.
        let mut big = Event::new();
        for i in 100..200 {
            big.push("process_id", Atom::from(i.to_string().as_str()));
            big.push("dest", Atom::from(format!("h{i}").as_str()));
        }
        big.push("process_id", Atom::from("12"));
        big.push("dest", Atom::from("HOST-5"));
        assert!(m.matches(&big) && plain.matches(&big));
    }

    #[test]
    fn a_long_in_list_is_a_set_lookup_and_short_ones_stay_as_written() {
        let names: Vec<String> = (0..20).map(|i| format!("tool{i}.exe")).collect();
        let (m, _) = compiled_and_plain(&format!("process_name IN ({}, *.ps1)", names.join(", ")));
        assert!(has_any_of(&m));
        assert!(m.matches(&ev(&[("process_name", "TOOL7.EXE")])));
        assert!(m.matches(&ev(&[("process_name", "x.PS1")])));
        assert!(!m.matches(&ev(&[("process_name", "tool7.exe.bak")])));
        let (short, _) = compiled_and_plain("process_name IN (a.exe, b.exe)");
        assert!(!has_any_of(&short));
        // Case-sensitive values (`CASE(…)`) and CIDR ranges are never looked up as folded text.
        let cidrs: Vec<String> = (0..10).map(|i| format!("dest_ip=10.{i}.0.0/16")).collect();
        let (m, _) = compiled_and_plain(&cidrs.join(" OR "));
        assert!(!has_any_of(&m));
        assert!(m.matches(&ev(&[("dest_ip", "10.3.2.1")])));
    }
}
