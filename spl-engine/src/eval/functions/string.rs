//! String functions: case, length, substrings, regex replace, trimming, URL decoding, split,
//! printf, entropy and hashes.

use super::{arg, map_values, num, text, EvalValue, FnContext};
use crate::regex_util;
use crate::value::{format_num, Atom, Value};

type R = Result<EvalValue, String>;

pub(super) fn lower(a: &[EvalValue], _: &FnContext) -> R {
    Ok(map_values(arg(a, 0), |s| Some(Atom::from(s.to_lowercase()))))
}

pub(super) fn upper(a: &[EvalValue], _: &FnContext) -> R {
    Ok(map_values(arg(a, 0), |s| Some(Atom::from(s.to_uppercase()))))
}

/// Length in characters (not bytes).
pub(super) fn len(a: &[EvalValue], _: &FnContext) -> R {
    Ok(map_values(arg(a, 0), |s| Some(Atom::Num(s.chars().count() as f64))))
}

/// `substr(s, start[, length])`: 1-based; a negative start counts from the end (-1 = last
/// character); positions outside the string are dropped, as in SQL.
pub(super) fn substr(a: &[EvalValue], _: &FnContext) -> R {
    let Some(start) = num(a, 1) else {
        return Ok(EvalValue::Null);
    };
    let length = match arg(a, 2) {
        EvalValue::Null if a.len() < 3 => None,
        v => match v.as_num() {
            Some(l) => Some(l.trunc()),
            None => return Ok(EvalValue::Null),
        },
    };
    if length.is_some_and(|l| l < 0.0) {
        return Ok(EvalValue::Null);
    }
    let start = start.trunc();
    Ok(map_values(arg(a, 0), |s| {
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len() as f64;
        let from = if start < 0.0 { n + start } else { start - 1.0 };
        let to = match length {
            Some(l) => from + l,
            None => n,
        };
        let (from, to) = (from.clamp(0.0, n) as usize, to.clamp(0.0, n) as usize);
        Some(Atom::Str(chars.get(from..to.max(from)).unwrap_or(&[]).iter().collect()))
    }))
}

/// `replace(s, regex, replacement)`: every match replaced; `\1` inserts a group.
pub(super) fn replace(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(re), Some(rep)) = (text(a, 1), text(a, 2)) else {
        return Ok(EvalValue::Null);
    };
    let re = regex_util::compile(&re)?;
    Ok(map_values(arg(a, 0), |s| Some(Atom::from(re.replace_all(s, &rep)))))
}

fn trim_with(a: &[EvalValue], left: bool, right: bool) -> R {
    let chars: Option<Vec<char>> = match arg(a, 1) {
        EvalValue::Null if a.len() < 2 => None,
        v => match v.as_text() {
            Some(t) => Some(t.chars().collect()),
            None => return Ok(EvalValue::Null),
        },
    };
    // Default trim set: spaces and tabs (Splunk's reference), plus newlines.
    let is_trim = |c: char| match &chars {
        Some(set) => set.contains(&c),
        None => c == ' ' || c == '\t' || c == '\n' || c == '\r',
    };
    Ok(map_values(arg(a, 0), |s| {
        let mut t = s;
        if left {
            t = t.trim_start_matches(is_trim);
        }
        if right {
            t = t.trim_end_matches(is_trim);
        }
        Some(Atom::from(t))
    }))
}

pub(super) fn trim(a: &[EvalValue], _: &FnContext) -> R {
    trim_with(a, true, true)
}
pub(super) fn ltrim(a: &[EvalValue], _: &FnContext) -> R {
    trim_with(a, true, false)
}
pub(super) fn rtrim(a: &[EvalValue], _: &FnContext) -> R {
    trim_with(a, false, true)
}

/// Percent-decoding; `+` decodes to a space (form encoding); invalid UTF-8 is replaced.
pub(super) fn urldecode(a: &[EvalValue], _: &FnContext) -> R {
    Ok(map_values(arg(a, 0), |s| {
        let plus = s.replace('+', " ");
        Some(Atom::from(percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()))
    }))
}

/// `split(s, delim)`: every piece, empty ones included; an empty delimiter splits characters.
pub(super) fn split(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(s), Some(d)) = (text(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    let parts: Vec<Atom> = if d.is_empty() {
        s.chars().map(|c| Atom::from(c.to_string())).collect()
    } else {
        s.split(d.as_str()).map(Atom::from).collect()
    };
    Ok(EvalValue::from_atoms(parts))
}

/// Shannon entropy of the characters of `s`, in bits per character (URL Toolbox `ut_shannon`).
pub fn shannon_entropy(s: &str) -> f64 {
    // Ordered by character: the float sum must not depend on a hash map's random order, or
    // the same input prints different last digits from run to run.
    let mut counts: std::collections::BTreeMap<char, usize> = std::collections::BTreeMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let t = total as f64;
    let h: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / t;
            -p * p.log2()
        })
        .sum();
    h.max(0.0)
}

pub(super) fn ut_shannon(a: &[EvalValue], _: &FnContext) -> R {
    Ok(text(a, 0).map_or(EvalValue::Null, |s| EvalValue::num(shannon_entropy(&s))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn md5(a: &[EvalValue], _: &FnContext) -> R {
    use md5::Digest;
    Ok(text(a, 0).map_or(EvalValue::Null, |s| EvalValue::str(hex(&md5::Md5::digest(s.as_bytes())))))
}
pub(super) fn sha1(a: &[EvalValue], _: &FnContext) -> R {
    use sha1::Digest;
    Ok(text(a, 0).map_or(EvalValue::Null, |s| EvalValue::str(hex(&sha1::Sha1::digest(s.as_bytes())))))
}
pub(super) fn sha256(a: &[EvalValue], _: &FnContext) -> R {
    use sha2::Digest;
    Ok(text(a, 0).map_or(EvalValue::Null, |s| EvalValue::str(hex(&sha2::Sha256::digest(s.as_bytes())))))
}
pub(super) fn sha512(a: &[EvalValue], _: &FnContext) -> R {
    use sha2::Digest;
    Ok(text(a, 0).map_or(EvalValue::Null, |s| EvalValue::str(hex(&sha2::Sha512::digest(s.as_bytes())))))
}

// ---- printf ----

/// Insert thousands separators into the integer digits of a formatted number.
pub(super) fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut out = String::new();
    let digits: Vec<char> = int.chars().collect();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*c);
    }
    format!("{sign}{out}{frac}")
}

/// C-style `%e`: mantissa with `prec` decimals, exponent with sign and at least two digits.
fn fmt_exp(v: f64, prec: usize, upper: bool) -> String {
    let s = format!("{v:.prec$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let sign = if e < 0 { '-' } else { '+' };
    let r = format!("{m}e{sign}{:02}", e.abs());
    if upper {
        r.to_uppercase()
    } else {
        r
    }
}

fn strip_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// C-style `%g`.
fn fmt_g(v: f64, prec: usize, upper: bool, alt: bool) -> String {
    let p = prec.max(1);
    if v == 0.0 {
        return if alt { format!("{:.*}", p - 1, 0.0) } else { "0".into() };
    }
    let x = v.abs().log10().floor() as i32;
    let x = {
        // Rounding can bump the exponent (9.9999 -> 10.0).
        let probe = fmt_exp(v, p - 1, false);
        probe.split_once('e').and_then(|(_, e)| e.parse::<i32>().ok()).unwrap_or(x)
    };
    if x < -4 || x >= p as i32 {
        let s = fmt_exp(v, p - 1, upper);
        if alt {
            return s;
        }
        let (m, e) = s.split_once(if upper { 'E' } else { 'e' }).unwrap_or((&s, ""));
        format!("{}{}{e}", strip_zeros(m), if upper { "E" } else { "e" })
    } else {
        let decimals = (p as i32 - 1 - x).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if alt {
            s
        } else {
            strip_zeros(&s)
        }
    }
}

struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    group: bool,
    width: usize,
    prec: Option<usize>,
}

fn pad(s: String, sp: &Spec, numeric: bool) -> String {
    let len = s.chars().count();
    if len >= sp.width {
        return s;
    }
    let fill = sp.width - len;
    if sp.left {
        format!("{s}{}", " ".repeat(fill))
    } else if sp.zero && numeric {
        let (sign, rest) = match s.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), s.get(1..).unwrap_or("").to_string()),
            _ => (String::new(), s.clone()),
        };
        let (px, rest) = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            Some(r) if sp.alt => (rest.get(..2).unwrap_or("").to_string(), r.to_string()),
            _ => (String::new(), rest),
        };
        format!("{sign}{px}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

const MAX_WIDTH: usize = 10_000;

/// `printf(format, args...)`: C-style conversions `%d %i %u %f %F %e %E %g %G %x %X %o %s %c %%`
/// with flags `- + space 0 # '` (`'` groups thousands), width and precision (`*` reads an
/// argument). Missing arguments format as empty/zero.
pub(super) fn printf(a: &[EvalValue], _: &FnContext) -> R {
    let Some(fmt) = text(a, 0) else {
        return Ok(EvalValue::Null);
    };
    let mut next = 1usize;
    let mut take = || {
        let v = arg(a, next).clone();
        next += 1;
        v
    };
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let start = i - 1;
        let mut sp = Spec {
            left: false,
            plus: false,
            space: false,
            zero: false,
            alt: false,
            group: false,
            width: 0,
            prec: None,
        };
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => sp.left = true,
                '+' => sp.plus = true,
                ' ' => sp.space = true,
                '0' => sp.zero = true,
                '#' => sp.alt = true,
                '\'' => sp.group = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            i += 1;
            let w = take().as_num().unwrap_or(0.0);
            if w < 0.0 {
                sp.left = true;
            }
            sp.width = (w.abs() as usize).min(MAX_WIDTH);
        } else {
            while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                sp.width = (sp.width * 10 + d as usize).min(MAX_WIDTH);
                i += 1;
            }
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = 0usize;
            if chars.get(i) == Some(&'*') {
                i += 1;
                p = (take().as_num().unwrap_or(0.0).max(0.0) as usize).min(MAX_WIDTH);
            } else {
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    p = (p * 10 + d as usize).min(MAX_WIDTH);
                    i += 1;
                }
            }
            sp.prec = Some(p);
        }
        // Length modifiers are accepted and ignored.
        while matches!(chars.get(i), Some('l' | 'h' | 'L' | 'q' | 'j' | 'z' | 't')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            out.extend(chars.get(start..).unwrap_or_default());
            break;
        };
        i += 1;
        let sign_of = |neg: bool, sp: &Spec| {
            if neg {
                "-"
            } else if sp.plus {
                "+"
            } else if sp.space {
                " "
            } else {
                ""
            }
        };
        match conv {
            '%' => out.push('%'),
            'd' | 'i' | 'u' => {
                let v = take().as_num().unwrap_or(0.0).trunc();
                let mut digits = format!("{}", v.abs() as u128);
                if let Some(p) = sp.prec {
                    if digits.len() < p {
                        digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                    }
                }
                if sp.group {
                    digits = group_thousands(&digits);
                }
                out.push_str(&pad(format!("{}{digits}", sign_of(v < 0.0, &sp)), &sp, true));
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let v = take().as_num().unwrap_or(0.0);
                let p = sp.prec.unwrap_or(6);
                let body = match conv {
                    'f' | 'F' => format!("{:.p$}", v.abs()),
                    'e' | 'E' => fmt_exp(v.abs(), p, conv == 'E'),
                    _ => fmt_g(v.abs(), p, conv == 'G', sp.alt),
                };
                let body = if sp.group { group_thousands(&body) } else { body };
                out.push_str(&pad(format!("{}{body}", sign_of(v < 0.0, &sp)), &sp, true));
            }
            'x' | 'X' | 'o' => {
                let v = take().as_num().unwrap_or(0.0).trunc();
                let u = if v < 0.0 { (v as i64) as u64 } else { v as u64 };
                let mut body = match conv {
                    'x' => format!("{u:x}"),
                    'X' => format!("{u:X}"),
                    _ => format!("{u:o}"),
                };
                if let Some(p) = sp.prec {
                    if body.len() < p {
                        body = format!("{}{body}", "0".repeat(p - body.len()));
                    }
                }
                if sp.alt && u != 0 {
                    body = match conv {
                        'x' => format!("0x{body}"),
                        'X' => format!("0X{body}"),
                        _ => format!("0{body}"),
                    };
                }
                out.push_str(&pad(body, &sp, true));
            }
            's' => {
                let v = take();
                let mut s = match &v {
                    EvalValue::Val(Value::One(Atom::Num(n))) => format_num(*n),
                    other => other.as_text().unwrap_or_default(),
                };
                if let Some(p) = sp.prec {
                    s = s.chars().take(p).collect();
                }
                out.push_str(&pad(s, &sp, false));
            }
            'c' => {
                let v = take();
                let s = match v.as_num().and_then(|n| char::from_u32(n as u32)) {
                    Some(ch) if matches!(v, EvalValue::Val(Value::One(Atom::Num(_)))) => ch.to_string(),
                    _ => v.as_text().and_then(|t| t.chars().next()).map(String::from).unwrap_or_default(),
                };
                out.push_str(&pad(s, &sp, false));
            }
            _ => out.extend(chars.get(start..i).unwrap_or_default()),
        }
    }
    Ok(EvalValue::str(out))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::eval::EvalValue;

    #[test]
    fn lower_upper_map_over_multivalue() {
        assert_eq!(t("lower", vec![s("AbC")]), "abc");
        assert_eq!(texts(&c("upper", vec![mv(&["a", "b"])])), ["A", "B"]);
        assert_eq!(c("lower", vec![EvalValue::Null]), EvalValue::Null);
    }

    #[test]
    fn len_counts_characters_not_bytes() {
        assert_eq!(t("len", vec![s("héllo")]), "5");
        assert_eq!(t("len", vec![n(123.0)]), "3");
    }

    #[test]
    fn substr_is_one_based() {
        // Splunk: substr("splunk", 1, 3) = "spl"; substr("splunk", -3) = "unk".
        assert_eq!(t("substr", vec![s("splunk"), n(1.0), n(3.0)]), "spl");
        assert_eq!(t("substr", vec![s("splunk"), n(2.0)]), "plunk");
        assert_eq!(t("substr", vec![s("splunk"), n(-3.0)]), "unk");
        assert_eq!(t("substr", vec![s("splunk"), n(-3.0), n(2.0)]), "un");
        assert_eq!(t("substr", vec![s("splunk"), n(10.0)]), "");
        assert_eq!(t("substr", vec![s("abc"), n(0.0), n(2.0)]), "a");
        assert_eq!(c("substr", vec![s("abc"), EvalValue::Null]), EvalValue::Null);
    }

    #[test]
    fn replace_uses_regex_with_backrefs() {
        // Splunk: replace(date, "^(\d{1,2})/(\d{1,2})/", "\2/\1/") swaps day and month.
        assert_eq!(t("replace", vec![s("1/14/2017"), s(r"^(\d{1,2})/(\d{1,2})/"), s(r"\2/\1/")]), "14/1/2017");
        assert_eq!(t("replace", vec![s("a.b.c"), s(r"\."), s("-")]), "a-b-c");
        assert!(super::super::call("replace", vec![s("x"), s("("), s("")], &ctx()).is_err());
    }

    #[test]
    fn trim_default_and_explicit_chars() {
        assert_eq!(t("trim", vec![s("  x y \t")]), "x y");
        assert_eq!(t("ltrim", vec![s("  x ")]), "x ");
        assert_eq!(t("rtrim", vec![s("  x ")]), "  x");
        // Splunk: trim("   ZZZZabcZZ ", " Z") = "abc".
        assert_eq!(t("trim", vec![s("   ZZZZabcZZ "), s(" Z")]), "abc");
    }

    #[test]
    fn urldecode_percent_and_plus() {
        assert_eq!(
            t("urldecode", vec![s("http%3A%2F%2Fwww.splunk.com%2Fdownload%3Fr%3Dheader")]),
            "http://www.splunk.com/download?r=header"
        );
        assert_eq!(t("urldecode", vec![s("a+b%20c%zz")]), "a b c%zz");
    }

    #[test]
    fn split_keeps_empty_pieces_and_splits_chars_on_empty_delim() {
        assert_eq!(texts(&c("split", vec![s("a,,b"), s(",")])), ["a", "", "b"]);
        assert_eq!(texts(&c("split", vec![s("abc"), s("")])), ["a", "b", "c"]);
        assert_eq!(texts(&c("split", vec![s("a::b"), s("::")])), ["a", "b"]);
    }

    #[test]
    fn printf_c_style_conversions() {
        let r = t(
            "printf",
            vec![s("%s %d %.2f %5s|%-5s|%x %o %%"), s("hi"), n(42.9), n(1.23456), s("ab"), s("cd"), n(255.0), n(8.0)],
        );
        assert_eq!(r, "hi 42 1.23    ab|cd   |ff 10 %");
        assert_eq!(t("printf", vec![s("%05d|%+d|%'d"), n(42.0), n(5.0), n(1234567.0)]), "00042|+5|1,234,567");
        assert_eq!(
            t("printf", vec![s("%e|%g|%g|%G"), n(12345.678), n(0.0001), n(1e20), n(1e-5)]),
            "1.234568e+04|0.0001|1e+20|1E-05"
        );
        assert_eq!(t("printf", vec![s("%*d|%.1s|%#x"), n(4.0), n(7.0), s("xyz"), n(255.0)]), "   7|x|0xff");
        assert_eq!(t("printf", vec![s("%d %s")]), "0 ");
        assert_eq!(t("printf", vec![s("%c%c"), n(65.0), s("bc")]), "Ab");
    }

    #[test]
    fn shannon_entropy_is_the_same_to_the_last_bit_every_time() {
        let first = super::shannon_entropy("DFS Namespace Server Filter Driver");
        for _ in 0..50 {
            assert_eq!(super::shannon_entropy("DFS Namespace Server Filter Driver").to_bits(), first.to_bits());
        }
    }

    #[test]
    fn ut_shannon_bits_per_character() {
        assert_eq!(t("ut_shannon", vec![s("aaaa")]), "0");
        assert_eq!(t("ut_shannon", vec![s("ab")]), "1");
        assert_eq!(t("ut_shannon", vec![s("abcd")]), "2");
        assert_eq!(t("ut_shannon", vec![s("")]), "0");
    }

    #[test]
    fn hashes_are_lowercase_hex() {
        assert_eq!(t("md5", vec![s("abc")]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(t("sha1", vec![s("abc")]), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(t("sha256", vec![s("abc")]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(t("sha512", vec![s("abc")]).starts_with("ddaf35a193617aba"));
    }
}
