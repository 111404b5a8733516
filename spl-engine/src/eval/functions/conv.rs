//! Matching (`like`, `match`, `cidrmatch`, `in`), null and type tests, `coalesce`/`nullif`,
//! `tostring`/`tonumber`/`typeof`, `ipmask`.

use std::net::{IpAddr, Ipv4Addr};

use super::string::group_thousands;
use super::{arg, num, text, EvalValue, FnContext};
use crate::regex_util;
use crate::value::{compare_atoms, parse_num, Atom, Value};

type R = Result<EvalValue, String>;

/// Regex equivalent of a SQL LIKE pattern: `%` any run, `_` one character, `\%`/`\_` literal.
pub fn like_to_regex(pattern: &str) -> String {
    let mut re = String::from("(?s)^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            '\\' if matches!(chars.peek(), Some('%' | '_' | '\\')) => {
                if let Some(n) = chars.next() {
                    re.push_str(&regex::escape(&n.to_string()));
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

/// `like(s, pattern)`: whole-string SQL LIKE, case-sensitive; true when any value matches.
pub(super) fn like(a: &[EvalValue], _: &FnContext) -> R {
    let (v, Some(p)) = (arg(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    if v.is_null() {
        return Ok(EvalValue::Null);
    }
    let re = regex_util::compile(&like_to_regex(&p))?;
    Ok(EvalValue::Bool(v.atoms().iter().any(|x| re.is_match(&x.as_str()))))
}

/// `match(s, regex)`: unanchored regex search; true when any value matches.
pub(super) fn match_(a: &[EvalValue], _: &FnContext) -> R {
    let (v, Some(p)) = (arg(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    if v.is_null() {
        return Ok(EvalValue::Null);
    }
    let re = regex_util::compile(&p)?;
    Ok(EvalValue::Bool(v.atoms().iter().any(|x| re.is_match(&x.as_str()))))
}

/// Does `ip` fall in `cidr` (IPv4 or IPv6; a bare address is a single-host network)?
/// Anything unparsable is simply no match.
pub fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let Ok(addr) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let cidr = cidr.trim();
    if let Ok(net) = cidr.parse::<ipnet::IpNet>() {
        return net.contains(&addr);
    }
    cidr.parse::<IpAddr>().is_ok_and(|c| c == addr)
}

pub(super) fn cidrmatch(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(cidr), ip) = (text(a, 0), arg(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    if ip.is_null() {
        return Ok(EvalValue::Null);
    }
    Ok(EvalValue::Bool(ip.atoms().iter().any(|x| cidr_contains(&cidr, &x.as_str()))))
}

/// `ipmask(mask, ip)`: IPv4 address ANDed with the dotted mask; null when either is invalid.
pub(super) fn ipmask(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(m), Some(ip)) = (text(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    match (m.trim().parse::<Ipv4Addr>(), ip.trim().parse::<Ipv4Addr>()) {
        (Ok(m), Ok(ip)) => Ok(EvalValue::str(Ipv4Addr::from(u32::from(m) & u32::from(ip)).to_string())),
        _ => Ok(EvalValue::Null),
    }
}

fn atoms_equal(x: &Atom, y: &Atom) -> bool {
    match (x.to_num(), y.to_num()) {
        (Some(a), Some(b)) => a == b,
        _ => x.as_str() == y.as_str(),
    }
}

/// `in(field, v1, v2, ...)`: true when a value of `field` equals one of the listed values
/// (numbers numerically, strings exactly); false for a null field.
pub(super) fn in_(a: &[EvalValue], _: &FnContext) -> R {
    let field = arg(a, 0).atoms();
    let cands: Vec<Atom> = a.iter().skip(1).flat_map(|v| v.atoms()).collect();
    Ok(EvalValue::Bool(field.iter().any(|f| cands.iter().any(|c| atoms_equal(f, c)))))
}

pub(super) fn isnull(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(arg(a, 0).is_null()))
}
pub(super) fn isnotnull(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(!arg(a, 0).is_null()))
}

fn single(v: &EvalValue) -> Option<&Atom> {
    match v {
        EvalValue::Val(Value::One(a)) => Some(a),
        EvalValue::Val(Value::Many(l)) => l.first(),
        _ => None,
    }
}

/// Field values are untyped text, so a numeric-looking string counts as a number (as Splunk
/// types extracted field values).
pub(super) fn isnum(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(single(arg(a, 0)).and_then(Atom::to_num).is_some()))
}
pub(super) fn isint(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(single(arg(a, 0)).and_then(Atom::to_num).is_some_and(|n| n.fract() == 0.0)))
}
pub(super) fn isstr(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(single(arg(a, 0)).is_some_and(|x| x.to_num().is_none())))
}
pub(super) fn isbool(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(matches!(arg(a, 0), EvalValue::Bool(_))))
}

pub(super) fn null(_: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Null)
}
pub(super) fn true_(_: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(true))
}
pub(super) fn false_(_: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(false))
}

/// First non-null argument; the empty string is a value, not null.
pub(super) fn coalesce(a: &[EvalValue], _: &FnContext) -> R {
    Ok(a.iter().find(|v| !v.is_null()).cloned().unwrap_or(EvalValue::Null))
}

/// `nullif(a, b)`: null when the two are equal, else `a`.
pub(super) fn nullif(a: &[EvalValue], _: &FnContext) -> R {
    let (x, y) = (arg(a, 0), arg(a, 1));
    let same = match (x, y) {
        (EvalValue::Null, EvalValue::Null) => true,
        (EvalValue::Null, _) | (_, EvalValue::Null) => false,
        _ => {
            let (xa, ya) = (x.atoms(), y.atoms());
            xa.len() == ya.len() && xa.iter().zip(&ya).all(|(p, q)| atoms_equal(p, q))
        }
    };
    Ok(if same { EvalValue::Null } else { x.clone() })
}

/// `D+HH:MM:SS` (days only when non-zero), fraction appended when present.
pub fn format_duration(secs: f64) -> String {
    let neg = secs < 0.0;
    let s = secs.abs();
    let whole = s.trunc();
    let frac = s - whole;
    let w = whole as u64;
    let (d, h, m, sec) = (w / 86400, (w / 3600) % 24, (w / 60) % 60, w % 60);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if d > 0 {
        out.push_str(&format!("{d}+"));
    }
    out.push_str(&format!("{h:02}:{m:02}:{sec:02}"));
    if frac > 0.0 {
        let f = format!("{frac:.6}");
        out.push_str(f.get(1..).unwrap_or(""));
    }
    out
}

/// `tostring(x[, "hex"|"commas"|"duration"])`. Booleans give `True`/`False`. With a format, a
/// number is rendered: `hex` as `0x` + upper-case hex of the integer part, `commas` with
/// thousands separators and at most two decimals, `duration` as `[D+]HH:MM:SS`.
pub(super) fn tostring(a: &[EvalValue], _: &FnContext) -> R {
    let v = arg(a, 0);
    let fmt = text(a, 1).map(|f| f.to_ascii_lowercase());
    if a.len() >= 2 && fmt.is_none() {
        return Ok(EvalValue::Null);
    }
    let one = |x: &Atom| -> Atom {
        let Some(fmt) = fmt.as_deref() else {
            return Atom::from(x.as_str().as_ref());
        };
        let Some(n) = x.to_num() else {
            return Atom::from(x.as_str().as_ref());
        };
        Atom::from(match fmt {
            "hex" => {
                let i = n.trunc();
                if i < 0.0 {
                    format!("-0x{:X}", (-i) as u64)
                } else {
                    format!("0x{:X}", i as u64)
                }
            }
            "commas" => {
                // Splunk: commas rounds to two decimals when the number has a fraction.
                let body = if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.2}") };
                group_thousands(&body)
            }
            "duration" => format_duration(n),
            _ => x.as_str().into_owned(),
        })
    };
    Ok(match v {
        EvalValue::Null => EvalValue::Null,
        EvalValue::Bool(b) => EvalValue::str(if *b { "True" } else { "False" }),
        EvalValue::Val(Value::One(x)) => EvalValue::Val(Value::One(one(x))),
        EvalValue::Val(Value::Many(l)) => EvalValue::Val(Value::Many(l.iter().map(one).collect())),
    })
}

/// `tonumber(s[, base])`: base 10 reads decimals (`"1e3"`, `" 42 "`); bases 2–36 read integers,
/// with an optional `0x` prefix in base 16. Null when not a number.
pub(super) fn tonumber(a: &[EvalValue], _: &FnContext) -> R {
    let base = if a.len() >= 2 {
        match num(a, 1) {
            Some(b) if (2.0..=36.0).contains(&b) && b.fract() == 0.0 => b as u32,
            _ => return Ok(EvalValue::Null),
        }
    } else {
        10
    };
    let v = arg(a, 0);
    if let EvalValue::Val(Value::One(Atom::Num(n))) = v {
        if base == 10 {
            return Ok(EvalValue::num(*n));
        }
    }
    let Some(s) = v.as_text().filter(|_| !matches!(v, EvalValue::Bool(_))) else {
        return Ok(EvalValue::Null);
    };
    if base == 10 {
        return Ok(parse_num(&s).map_or(EvalValue::Null, EvalValue::num));
    }
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = if base == 16 { t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t) } else { t };
    Ok(match u128::from_str_radix(t, base) {
        Ok(u) if !t.starts_with('+') => {
            let f = u as f64;
            EvalValue::num(if neg { -f } else { f })
        }
        _ => EvalValue::Null,
    })
}

/// `typeof(x)`: `Number`, `String`, `Boolean`, `Multivalue`, or `Invalid` for null. Numeric
/// text is a `Number` (field values are auto-typed).
pub(super) fn typeof_(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::str(match arg(a, 0) {
        EvalValue::Null => "Invalid",
        EvalValue::Bool(_) => "Boolean",
        EvalValue::Val(v) if v.is_multi() => "Multivalue",
        EvalValue::Val(v) => {
            if v.first().to_num().is_some() {
                "Number"
            } else {
                "String"
            }
        }
    }))
}

/// `min`/`max` order over atoms, re-exported for the math family.
pub(super) fn order(x: &Atom, y: &Atom) -> std::cmp::Ordering {
    compare_atoms(x, y)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::eval::EvalValue;
    use EvalValue::{Bool, Null};

    #[test]
    fn like_is_case_sensitive() {
        assert_eq!(c("like", vec![s("Hello"), s("H%")]), Bool(true));
        assert_eq!(c("like", vec![s("Hello"), s("h%")]), Bool(false));
        assert_eq!(c("like", vec![s("abc"), s("a_c")]), Bool(true));
        assert_eq!(c("like", vec![s("abbc"), s("a_c")]), Bool(false));
        // LIKE is anchored on both ends; regex metacharacters are literal.
        assert_eq!(c("like", vec![s("xabc"), s("abc")]), Bool(false));
        assert_eq!(c("like", vec![s("a.c"), s("a.c")]), Bool(true));
        assert_eq!(c("like", vec![s("abc"), s("a.c")]), Bool(false));
        assert_eq!(c("like", vec![s("50%"), s(r"50\%")]), Bool(true));
        assert_eq!(c("like", vec![Null, s("%")]), Null);
        assert_eq!(c("like", vec![mv(&["x", "cmd.exe"]), s("%.exe")]), Bool(true));
    }

    #[test]
    fn match_is_unanchored_and_case_sensitive() {
        assert_eq!(c("match", vec![s("C:\\Windows\\cmd.exe"), s(r"cmd\.exe$")]), Bool(true));
        assert_eq!(c("match", vec![s("CMD.EXE"), s(r"cmd")]), Bool(false));
        assert_eq!(c("match", vec![s("CMD.EXE"), s(r"(?i)cmd")]), Bool(true));
        assert_eq!(c("match", vec![Null, s("x")]), Null);
    }

    #[test]
    fn cidrmatch_ipv4_ipv6_and_garbage() {
        assert_eq!(c("cidrmatch", vec![s("10.0.0.0/8"), s("10.1.2.3")]), Bool(true));
        assert_eq!(c("cidrmatch", vec![s("10.0.0.0/8"), s("11.1.2.3")]), Bool(false));
        assert_eq!(c("cidrmatch", vec![s("2001:db8::/32"), s("2001:db8::1")]), Bool(true));
        assert_eq!(c("cidrmatch", vec![s("10.0.0.0/8"), s("not-an-ip")]), Bool(false));
        assert_eq!(c("cidrmatch", vec![s("garbage"), s("10.0.0.1")]), Bool(false));
        assert_eq!(c("cidrmatch", vec![s("10.0.0.1"), s("10.0.0.1")]), Bool(true));
    }

    #[test]
    fn ipmask_ands_octets() {
        // Splunk: ipmask("255.255.255.0", "192.168.1.5") = "192.168.1.0".
        assert_eq!(t("ipmask", vec![s("255.255.255.0"), s("192.168.1.5")]), "192.168.1.0");
        assert_eq!(c("ipmask", vec![s("x"), s("192.168.1.5")]), Null);
    }

    #[test]
    fn in_compares_each_value() {
        assert_eq!(c("in", vec![s("error"), s("warn"), s("error")]), Bool(true));
        assert_eq!(c("in", vec![s("Error"), s("error")]), Bool(false));
        assert_eq!(c("in", vec![s("404"), n(404.0)]), Bool(true));
        assert_eq!(c("in", vec![mv(&["a", "b"]), s("b")]), Bool(true));
        assert_eq!(c("in", vec![Null, s("b")]), Bool(false));
    }

    #[test]
    fn null_tests_and_constants() {
        assert_eq!(c("isnull", vec![Null]), Bool(true));
        assert_eq!(c("isnull", vec![s("")]), Bool(false));
        assert_eq!(c("isnotnull", vec![s("")]), Bool(true));
        assert_eq!(c("null", vec![]), Null);
        assert_eq!(c("true", vec![]), Bool(true));
        assert_eq!(c("false", vec![]), Bool(false));
        assert_eq!(c("isnum", vec![s("1e3")]), Bool(true));
        assert_eq!(c("isnum", vec![s("0x1F")]), Bool(false));
        assert_eq!(c("isint", vec![s("3")]), Bool(true));
        assert_eq!(c("isint", vec![s("3.5")]), Bool(false));
        assert_eq!(c("isstr", vec![s("abc")]), Bool(true));
        assert_eq!(c("isstr", vec![Null]), Bool(false));
        assert_eq!(c("isbool", vec![Bool(false)]), Bool(true));
        assert_eq!(c("isbool", vec![s("true")]), Bool(false));
    }

    #[test]
    fn coalesce_skips_null_not_empty() {
        assert_eq!(t("coalesce", vec![Null, s(""), s("x")]), "");
        assert_eq!(t("coalesce", vec![Null, Null, s("x")]), "x");
        assert_eq!(c("coalesce", vec![Null]), Null);
    }

    #[test]
    fn nullif_equal_gives_null() {
        assert_eq!(c("nullif", vec![s("a"), s("a")]), Null);
        assert_eq!(c("nullif", vec![s("1"), n(1.0)]), Null);
        assert_eq!(t("nullif", vec![s("a"), s("b")]), "a");
    }

    #[test]
    fn tostring_commas() {
        // Splunk: tostring(12345.6789, "commas") = "12,345.68"; integers get no decimals.
        assert_eq!(t("tostring", vec![n(12345.6789), s("commas")]), "12,345.68");
        assert_eq!(t("tostring", vec![n(1234567.0), s("commas")]), "1,234,567");
        assert_eq!(t("tostring", vec![n(-1234.5), s("commas")]), "-1,234.50");
        assert_eq!(t("tostring", vec![n(999.0), s("commas")]), "999");
    }

    #[test]
    fn tostring_hex_duration_and_bools() {
        // Splunk: tostring(15, "hex") = "0xF"; tostring(615, "duration") = "00:10:15".
        assert_eq!(t("tostring", vec![n(15.0), s("hex")]), "0xF");
        assert_eq!(t("tostring", vec![n(615.0), s("duration")]), "00:10:15");
        assert_eq!(t("tostring", vec![n(90061.0), s("duration")]), "1+01:01:01");
        assert_eq!(t("tostring", vec![Bool(true)]), "True");
        assert_eq!(t("tostring", vec![n(2.50)]), "2.5");
        assert_eq!(t("tostring", vec![s("abc"), s("hex")]), "abc");
        assert_eq!(c("tostring", vec![Null]), Null);
    }

    #[test]
    fn tonumber_bases() {
        // Splunk: tonumber("0A4", 16) = 164.
        assert_eq!(t("tonumber", vec![s("0A4"), n(16.0)]), "164");
        assert_eq!(t("tonumber", vec![s("0xff"), n(16.0)]), "255");
        assert_eq!(t("tonumber", vec![s("101"), n(2.0)]), "5");
        assert_eq!(t("tonumber", vec![s(" 42 ")]), "42");
        assert_eq!(t("tonumber", vec![s("1e3")]), "1000");
        assert_eq!(c("tonumber", vec![s("abc")]), Null);
        assert_eq!(c("tonumber", vec![s("12"), n(1.0)]), Null);
        assert_eq!(c("tonumber", vec![s("2"), n(2.0)]), Null);
    }

    #[test]
    fn typeof_names() {
        assert_eq!(t("typeof", vec![n(12.0)]), "Number");
        assert_eq!(t("typeof", vec![s("abc")]), "String");
        assert_eq!(t("typeof", vec![Bool(false)]), "Boolean");
        assert_eq!(t("typeof", vec![Null]), "Invalid");
        assert_eq!(t("typeof", vec![mv(&["a", "b"])]), "Multivalue");
    }
}
