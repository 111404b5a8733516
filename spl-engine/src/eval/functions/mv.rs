//! Multivalue functions. A single value is a one-element multivalue; null is empty.

use super::json::{atom_to_json, json_to_atom};
use super::{arg, num, text, truthy, EvalValue, FnContext};
use crate::regex_util;
use crate::timefmt;
use crate::value::{compare_lexical, Atom};

type R = Result<EvalValue, String>;

/// Largest multivalue `mvrange` builds.
pub const MAX_RANGE: usize = 100_000;

/// `mvcount(x)`: number of values; null for a null (missing) field.
pub(super) fn mvcount(a: &[EvalValue], _: &FnContext) -> R {
    Ok(match arg(a, 0) {
        EvalValue::Null => EvalValue::Null,
        v => EvalValue::num(v.atoms().len() as f64),
    })
}

/// `mvindex(mv, start[, end])`: 0-based, negative counts from the end, `end` inclusive; null
/// when `start` is out of range (an `end` past the last value is clamped).
pub(super) fn mvindex(a: &[EvalValue], _: &FnContext) -> R {
    let atoms = arg(a, 0).atoms();
    let Some(start) = num(a, 1) else {
        return Ok(EvalValue::Null);
    };
    let n = atoms.len() as i64;
    let norm = |i: f64| -> i64 {
        let i = i.trunc().clamp(-1e15, 1e15) as i64;
        if i < 0 {
            n + i
        } else {
            i
        }
    };
    let s = norm(start);
    if s < 0 || s >= n {
        return Ok(EvalValue::Null);
    }
    let e = if a.len() >= 3 {
        match num(a, 2) {
            Some(e) => norm(e).min(n - 1),
            None => return Ok(EvalValue::Null),
        }
    } else {
        s
    };
    if e < s {
        return Ok(EvalValue::Null);
    }
    Ok(EvalValue::from_atoms(atoms.get(s as usize..=e as usize).unwrap_or(&[]).to_vec()))
}

/// `mvappend(...)`: all values of all arguments, in order; nulls are skipped.
pub(super) fn mvappend(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::from_atoms(a.iter().flat_map(|v| v.atoms()).collect()))
}

/// `mvdedup(mv)`: first occurrence of each value kept, order preserved.
pub(super) fn mvdedup(a: &[EvalValue], _: &FnContext) -> R {
    let mut seen = std::collections::HashSet::new();
    let atoms = arg(a, 0).atoms().into_iter().filter(|x| seen.insert(x.as_str().into_owned())).collect();
    Ok(EvalValue::from_atoms(atoms))
}

/// `mvsort(mv)`: lexicographic (byte) order, so `"10"` sorts before `"9"`.
pub(super) fn mvsort(a: &[EvalValue], _: &FnContext) -> R {
    let mut atoms = arg(a, 0).atoms();
    atoms.sort_by(compare_lexical);
    Ok(EvalValue::from_atoms(atoms))
}

/// `mvfind(mv, regex)`: index of the first value matching, or null.
pub(super) fn mvfind(a: &[EvalValue], _: &FnContext) -> R {
    let Some(p) = text(a, 1) else {
        return Ok(EvalValue::Null);
    };
    let re = regex_util::compile(&p)?;
    Ok(arg(a, 0)
        .atoms()
        .iter()
        .position(|x| re.is_match(&x.as_str()))
        .map_or(EvalValue::Null, |i| EvalValue::num(i as f64)))
}

/// `mvjoin(mv, delim)`.
pub(super) fn mvjoin(a: &[EvalValue], _: &FnContext) -> R {
    let (v, Some(d)) = (arg(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    if v.is_null() {
        return Ok(EvalValue::Null);
    }
    Ok(EvalValue::str(v.atoms().iter().map(|x| x.as_str()).collect::<Vec<_>>().join(&d)))
}

/// `mvzip(a, b[, delim])`: pairwise join (default `,`), as long as the shorter input.
pub(super) fn mvzip(a: &[EvalValue], _: &FnContext) -> R {
    let (x, y) = (arg(a, 0), arg(a, 1));
    if x.is_null() || y.is_null() {
        return Ok(EvalValue::Null);
    }
    let d = if a.len() >= 3 {
        match text(a, 2) {
            Some(d) => d,
            None => return Ok(EvalValue::Null),
        }
    } else {
        ",".to_string()
    };
    let out = x.atoms().iter().zip(y.atoms().iter()).map(|(p, q)| Atom::from(format!("{p}{d}{q}"))).collect();
    Ok(EvalValue::from_atoms(out))
}

/// `mvrange(start, end[, step])`: numbers from `start` up to but excluding `end`; the step may
/// be a time span such as `"7d"` (in seconds).
pub(super) fn mvrange(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(start), Some(end)) = (num(a, 0), num(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    let step = if a.len() >= 3 {
        match num(a, 2).or_else(|| text(a, 2).and_then(|s| timefmt::parse_span(&s)?.seconds())) {
            Some(s) => s,
            None => return Ok(EvalValue::Null),
        }
    } else {
        1.0
    };
    if !step.is_finite() || step <= 0.0 || !start.is_finite() || !end.is_finite() {
        return Ok(EvalValue::Null);
    }
    let count = ((end - start) / step).ceil();
    if count > MAX_RANGE as f64 {
        return Err(format!("mvrange would produce more than {MAX_RANGE} values"));
    }
    let count = count.max(0.0) as usize;
    Ok(EvalValue::from_atoms((0..count).map(|i| Atom::Num(start + step * i as f64)).collect()))
}

/// `mv_to_json_array(mv[, infer_types])`: a JSON array of the values, as strings, or with
/// `infer_types` true numbers/booleans/null as JSON types.
pub(super) fn mv_to_json_array(a: &[EvalValue], _: &FnContext) -> R {
    let v = arg(a, 0);
    if v.is_null() {
        return Ok(EvalValue::Null);
    }
    let infer = truthy(arg(a, 1));
    let items: Vec<serde_json::Value> = v
        .atoms()
        .iter()
        .map(|x| if infer { atom_to_json(x, true) } else { serde_json::Value::String(x.as_str().into_owned()) })
        .collect();
    Ok(EvalValue::str(serde_json::Value::Array(items).to_string()))
}

/// `json_array_to_mv(json[, keep_quotes])`: elements of a JSON array as values (strings without
/// their quotes unless `keep_quotes` is true; objects/arrays as JSON text).
pub(super) fn json_array_to_mv(a: &[EvalValue], _: &FnContext) -> R {
    let Some(s) = text(a, 0) else {
        return Ok(EvalValue::Null);
    };
    let keep_quotes = truthy(arg(a, 1));
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(&s) else {
        return Ok(EvalValue::Null);
    };
    let atoms = items
        .iter()
        .filter_map(|j| match j {
            serde_json::Value::String(_) if keep_quotes => Some(Atom::from(j.to_string())),
            j => json_to_atom(j),
        })
        .collect();
    Ok(EvalValue::from_atoms(atoms))
}

/// `commands(search)`: the names of the commands of a search string, in order, as a multivalue
/// (`"search foo | stats count | sort count"` gives search, stats, sort), after
/// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/evaluation-functions/multivalue-eval-functions.
/// The reference says no more; the choices here: the string is read by the project's SPL parser
/// after comments are removed, so a search not starting with `|` begins with `search` (as in
/// Splunk), names are lower-case, a command used twice is listed twice, and only the commands of
/// the main pipeline are listed (not those inside `[subsearches]`). Macros are not expanded (the
/// function does not see their definitions): a macro where a search term may be is read as one,
/// elsewhere the string does not parse. A string that does not parse, and a blank one, give null.
pub(super) fn commands(a: &[EvalValue], _: &FnContext) -> R {
    let Some(search) = text(a, 0) else {
        return Ok(EvalValue::Null);
    };
    if search.trim().is_empty() {
        return Ok(EvalValue::Null);
    }
    // Expanding with no macros removes comments; it fails on any macro call, then the text is
    // read as it is.
    let expanded = spl_parser::expand(&search, &spl_parser::MacroTable::default()).map(|e| e.text);
    let text = expanded.as_deref().unwrap_or(&search);
    Ok(match spl_parser::parse_pipeline(text) {
        Ok(p) => EvalValue::from_atoms(p.commands.iter().map(|c| Atom::from(c.name.as_str())).collect()),
        Err(_) => EvalValue::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::eval::EvalValue;
    use EvalValue::Null;

    #[test]
    fn commands_lists_the_pipeline() {
        assert_eq!(
            texts(&c("commands", vec![s("search foo | stats count | sort count")])),
            ["search", "stats", "sort"]
        );
        assert_eq!(texts(&c("commands", vec![s("foo bar | STATS count")])), ["search", "stats"]);
        assert_eq!(
            texts(&c("commands", vec![s("| makeresults | eval a=1 | eval b=2")])),
            ["makeresults", "eval", "eval"]
        );
        assert_eq!(
            texts(&c("commands", vec![s("index=x | join a [search b | stats count by a] | table a")])),
            ["search", "join", "table"]
        );
        assert_eq!(texts(&c("commands", vec![s(r#"search "a|b" | rex field=x "(?<a>\w+)|z""#)])), ["search", "rex"]);
        assert_eq!(texts(&c("commands", vec![s("foo ```a | comment``` | stats count")])), ["search", "stats"]);
        assert_eq!(texts(&c("commands", vec![s("`my_macro` | stats count")])), ["search", "stats"]);
        assert_eq!(texts(&c("commands", vec![s("| tstats count")])), ["tstats"]);
        assert_eq!(t("commands", vec![s("| inputlookup x.csv")]), "inputlookup");
        assert_eq!(c("commands", vec![s("foo | | stats")]), Null);
        assert_eq!(c("commands", vec![s("foo | `my_macro`")]), Null);
        assert_eq!(c("commands", vec![s("  ")]), Null);
        assert_eq!(c("commands", vec![Null]), Null);
    }

    #[test]
    fn mvcount_null_is_null_single_is_one() {
        assert_eq!(c("mvcount", vec![Null]), Null);
        assert_eq!(t("mvcount", vec![s("a")]), "1");
        assert_eq!(t("mvcount", vec![mv(&["a", "b", "c"])]), "3");
    }

    #[test]
    fn mvindex_negative_counts_from_end() {
        let m = || mv(&["a", "b", "c", "d"]);
        assert_eq!(t("mvindex", vec![m(), n(0.0)]), "a");
        assert_eq!(t("mvindex", vec![m(), n(-1.0)]), "d");
        // end is inclusive
        assert_eq!(texts(&c("mvindex", vec![m(), n(1.0), n(2.0)])), ["b", "c"]);
        assert_eq!(texts(&c("mvindex", vec![m(), n(-3.0), n(-2.0)])), ["b", "c"]);
        assert_eq!(texts(&c("mvindex", vec![m(), n(2.0), n(10.0)])), ["c", "d"]);
        assert_eq!(c("mvindex", vec![m(), n(4.0)]), Null);
        assert_eq!(c("mvindex", vec![m(), n(-5.0)]), Null);
        assert_eq!(c("mvindex", vec![m(), n(3.0), n(1.0)]), Null);
        assert_eq!(t("mvindex", vec![s("solo"), n(0.0)]), "solo");
        assert_eq!(c("mvindex", vec![Null, n(0.0)]), Null);
    }

    #[test]
    fn mvappend_flattens_and_skips_nulls() {
        assert_eq!(texts(&c("mvappend", vec![s("a"), Null, mv(&["b", "c"]), s("")])), ["a", "b", "c", ""]);
        assert_eq!(c("mvappend", vec![Null, Null]), Null);
    }

    #[test]
    fn mvdedup_keeps_first_occurrence_order() {
        assert_eq!(texts(&c("mvdedup", vec![mv(&["b", "a", "b", "c", "a"])])), ["b", "a", "c"]);
    }

    #[test]
    fn mvsort_is_lexicographic() {
        assert_eq!(texts(&c("mvsort", vec![mv(&["9", "10", "b", "A", "a"])])), ["10", "9", "A", "a", "b"]);
    }

    #[test]
    fn mvfind_returns_first_index_or_null() {
        assert_eq!(t("mvfind", vec![mv(&["abc", "x12", "y34"]), s(r"\d")]), "1");
        assert_eq!(c("mvfind", vec![mv(&["abc"]), s(r"\d")]), Null);
    }

    #[test]
    fn mvjoin_and_mvzip_default_comma() {
        assert_eq!(t("mvjoin", vec![mv(&["a", "b"]), s(";")]), "a;b");
        assert_eq!(texts(&c("mvzip", vec![mv(&["a", "b", "c"]), mv(&["1", "2"])])), ["a,1", "b,2"]);
        assert_eq!(texts(&c("mvzip", vec![s("a"), s("1"), s("=")])), ["a=1"]);
        assert_eq!(c("mvzip", vec![Null, s("1")]), Null);
    }

    #[test]
    fn mvrange_end_is_exclusive() {
        // Splunk: mvrange(1, 11, 2) = 1,3,5,7,9.
        assert_eq!(texts(&c("mvrange", vec![n(1.0), n(11.0), n(2.0)])), ["1", "3", "5", "7", "9"]);
        assert_eq!(texts(&c("mvrange", vec![n(0.0), n(3.0)])), ["0", "1", "2"]);
        assert_eq!(texts(&c("mvrange", vec![n(0.0), n(172800.0), s("1d")])), ["0", "86400"]);
        assert_eq!(c("mvrange", vec![n(0.0), n(3.0), n(0.0)]), Null);
        assert!(super::super::call("mvrange", vec![n(0.0), n(1e12)], &ctx()).is_err());
    }

    #[test]
    fn mv_json_round_trip() {
        assert_eq!(t("mv_to_json_array", vec![mv(&["a", "1", "true"])]), r#"["a","1","true"]"#);
        assert_eq!(t("mv_to_json_array", vec![mv(&["a", "1", "true"]), EvalValue::Bool(true)]), r#"["a",1,true]"#);
        assert_eq!(texts(&c("json_array_to_mv", vec![s(r#"["a",1,{"b":2}]"#)])), ["a", "1", r#"{"b":2}"#]);
        assert_eq!(texts(&c("json_array_to_mv", vec![s(r#"["a"]"#), EvalValue::Bool(true)])), [r#""a""#]);
        assert_eq!(c("json_array_to_mv", vec![s("nope")]), Null);
    }
}
