//! Field values and their coercion rules, in one place (see jaq's `val.rs`).
//!
//! Splunk field values are strings; a field may hold several (multivalue). Eval can produce
//! numbers, which print back as canonical decimals (integers without `.0`). A missing field is
//! represented by the field's absence from the event, never by a value.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// The text of a value: inline up to 24 bytes (ids, names, numbers as read), so that making,
/// copying (into data-model rows, group keys) and freeing most values allocates nothing.
pub type Text = compact_str::CompactString;

/// One value of a field.
#[derive(Clone, Debug)]
pub enum Atom {
    Str(Text),
    Num(f64),
}

impl PartialEq for Atom {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Atom::Num(a), Atom::Num(b)) => a == b,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Atom {
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            Atom::Str(s) => Cow::Borrowed(s),
            Atom::Num(n) => Cow::Owned(format_num(*n)),
        }
    }

    /// The numeric reading of this value, when it has one: numbers, and strings that parse as
    /// decimal numbers after trimming (`"42"`, `"-1.5"`, `"1e3"`). Hex strings are not numbers.
    pub fn to_num(&self) -> Option<f64> {
        match self {
            Atom::Num(n) => Some(*n),
            Atom::Str(s) => parse_num(s),
        }
    }

    pub fn into_string(self) -> String {
        match self {
            Atom::Str(s) => s.into_string(),
            Atom::Num(n) => format_num(n),
        }
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Self {
        Atom::Str(s.into())
    }
}
impl From<String> for Atom {
    fn from(s: String) -> Self {
        Atom::Str(s.into())
    }
}
impl From<f64> for Atom {
    fn from(n: f64) -> Self {
        Atom::Num(n)
    }
}

/// Parse a string as a number the way eval and stats do: decimal, optional sign, fraction and
/// exponent, surrounding whitespace allowed. `inf`/`nan` words are not numbers.
/// Bytes as text, invalid UTF-8 replaced: `String::from_utf8_lossy` walks valid text a byte at a
/// time, where `str::from_utf8` checks a word of ASCII at once (spilled rows are read back
/// through this, hundreds of megabytes for a pack).
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

pub fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    let bytes = t.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if !bytes.iter().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Canonical decimal text of a number: integers without a fraction, others shortest round-trip.
pub fn format_num(n: f64) -> String {
    if n.is_nan() {
        return "nan".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    if n == n.trunc() && n.abs() < 1e17 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A present field value: one atom or several (multivalue, in order).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    One(Atom),
    Many(Vec<Atom>),
}

impl Value {
    pub fn str(s: impl Into<Text>) -> Value {
        Value::One(Atom::Str(s.into()))
    }
    pub fn num(n: f64) -> Value {
        Value::One(Atom::Num(n))
    }

    /// Build from a list: `None` when empty, a single value for one element.
    pub fn from_atoms(mut atoms: Vec<Atom>) -> Option<Value> {
        match atoms.len() {
            0 => None,
            1 => atoms.pop().map(Value::One),
            _ => Some(Value::Many(atoms)),
        }
    }

    pub fn atoms(&self) -> &[Atom] {
        match self {
            Value::One(a) => std::slice::from_ref(a),
            Value::Many(v) => v,
        }
    }

    pub fn into_atoms(self) -> Vec<Atom> {
        match self {
            Value::One(a) => vec![a],
            Value::Many(v) => v,
        }
    }

    pub fn is_multi(&self) -> bool {
        matches!(self, Value::Many(v) if v.len() > 1)
    }

    /// The first value (what a single-value context sees of a multivalue field).
    pub fn first(&self) -> &Atom {
        match self {
            Value::One(a) => a,
            Value::Many(v) => v.first().unwrap_or(EMPTY_ATOM),
        }
    }

    /// Single-value text; a multivalue joins with newlines, as Splunk displays it.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            Value::One(a) => a.as_str(),
            Value::Many(v) => Cow::Owned(v.iter().map(|a| a.as_str()).collect::<Vec<_>>().join("\n")),
        }
    }

    pub fn to_num(&self) -> Option<f64> {
        match self {
            Value::One(a) => a.to_num(),
            Value::Many(_) => None,
        }
    }
}

static EMPTY_ATOM: &Atom = &Atom::Num(f64::NAN);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::str(s)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::num(n)
    }
}

/// Ordering used by `sort`, `min`/`max` and relational operators on two atoms: numbers compare
/// numerically when both sides are numeric, otherwise byte-wise lexicographic; a number sorts
/// before a string.
pub fn compare_atoms(a: &Atom, b: &Atom) -> Ordering {
    match (a.to_num(), b.to_num()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.as_str().as_ref().cmp(b.as_str().as_ref()),
    }
}

/// Byte-wise lexicographic order (what `values()`, `dc()` and by-grouping use).
pub fn compare_lexical(a: &Atom, b: &Atom) -> Ordering {
    a.as_str().as_ref().cmp(b.as_str().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_print_without_fraction() {
        assert_eq!(format_num(3.0), "3");
        assert_eq!(format_num(-0.0), "0");
        assert_eq!(format_num(2.5), "2.5");
        assert_eq!(format_num(10.0 / 3.0), "3.3333333333333335");
    }

    #[test]
    fn numeric_strings_are_numbers_hex_is_not() {
        assert_eq!(parse_num(" 42 "), Some(42.0));
        assert_eq!(parse_num("-1.5"), Some(-1.5));
        assert_eq!(parse_num("1e3"), Some(1000.0));
        assert_eq!(parse_num("0x1F"), None);
        assert_eq!(parse_num("inf"), None);
        assert_eq!(parse_num(""), None);
        assert_eq!(parse_num("1.2.3"), None);
    }

    #[test]
    fn numbers_compare_numerically_strings_lexically() {
        assert_eq!(compare_atoms(&"10".into(), &"9".into()), Ordering::Greater);
        assert_eq!(compare_lexical(&"10".into(), &"9".into()), Ordering::Less);
        assert_eq!(compare_atoms(&"10".into(), &"abc".into()), Ordering::Less);
        assert_eq!(compare_lexical(&"Z".into(), &"a".into()), Ordering::Less);
    }
}
