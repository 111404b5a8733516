//! JSON functions and the eval form of `spath`. Paths use Splunk's spath syntax: keys separated
//! by `.`, `{N}` for an array element (0-based) and `{}` for every element (`a.b{}.c`).

use serde_json::{Map, Value as Json};

use super::{text, EvalValue, FnContext};
use crate::value::{Atom, Value};

type R = Result<EvalValue, String>;

/// JSON for one value. With `infer`, numeric text becomes a number and `true`/`false`/`null`
/// text the JSON literal; text that is itself a JSON object or array is embedded (so nested
/// `json_object` calls compose).
pub(super) fn atom_to_json(a: &Atom, infer: bool) -> Json {
    match a {
        Atom::Num(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, |num| {
            if n.fract() == 0.0 && n.abs() < 9e15 {
                Json::from(*n as i64)
            } else {
                Json::Number(num)
            }
        }),
        Atom::Str(s) => {
            if infer {
                if let Some(n) = crate::value::parse_num(s) {
                    return atom_to_json(&Atom::Num(n), false);
                }
                match s.as_str() {
                    "true" => return Json::Bool(true),
                    "false" => return Json::Bool(false),
                    "null" => return Json::Null,
                    _ => {}
                }
            }
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Ok(j @ (Json::Object(_) | Json::Array(_))) = serde_json::from_str::<Json>(s) {
                    return j;
                }
            }
            Json::String(s.to_string())
        }
    }
}

/// An eval argument as JSON: null, booleans, numbers, strings; multivalue as an array.
fn eval_to_json(v: &EvalValue) -> Json {
    match v {
        EvalValue::Null => Json::Null,
        EvalValue::Bool(b) => Json::Bool(*b),
        EvalValue::Val(Value::One(a)) => atom_to_json(a, false),
        EvalValue::Val(Value::Many(l)) => Json::Array(l.iter().map(|a| atom_to_json(a, false)).collect()),
    }
}

/// A JSON value as a field value: strings unquoted, numbers as numbers, booleans as
/// `true`/`false`, objects/arrays as compact JSON text; JSON null is no value.
pub(super) fn json_to_atom(j: &Json) -> Option<Atom> {
    Some(match j {
        Json::Null => return None,
        Json::Bool(b) => Atom::from(b.to_string()),
        Json::Number(n) => match n.as_f64() {
            Some(f) => Atom::Num(f),
            None => Atom::from(n.to_string()),
        },
        Json::String(s) => Atom::from(s.as_str()),
        other => Atom::from(other.to_string()),
    })
}

fn parse(a: &[EvalValue], i: usize) -> Option<Json> {
    serde_json::from_str(&text(a, i)?).ok()
}

pub(super) fn json_valid(a: &[EvalValue], _: &FnContext) -> R {
    Ok(match text(a, 0) {
        None => EvalValue::Null,
        Some(s) => EvalValue::Bool(serde_json::from_str::<Json>(&s).is_ok()),
    })
}

pub(super) fn isarray(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(matches!(parse(a, 0), Some(Json::Array(_)))))
}

pub(super) fn isobject(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::Bool(matches!(parse(a, 0), Some(Json::Object(_)))))
}

/// `json_object(k1, v1, k2, v2, ...)`.
pub(super) fn json_object(a: &[EvalValue], _: &FnContext) -> R {
    if !a.len().is_multiple_of(2) {
        return Err("json_object() takes key/value pairs".into());
    }
    let mut m = Map::new();
    for pair in a.chunks(2) {
        let Some(k) = pair.first().and_then(EvalValue::as_text) else {
            return Err("json_object() keys must not be null".into());
        };
        m.insert(k, pair.get(1).map_or(Json::Null, eval_to_json));
    }
    Ok(EvalValue::str(Json::Object(m).to_string()))
}

/// `json_array(v1, v2, ...)`.
pub(super) fn json_array(a: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::str(Json::Array(a.iter().map(eval_to_json).collect()).to_string()))
}

/// One step of a spath path.
#[derive(Clone, Debug, PartialEq)]
pub enum PathSeg {
    Key(String),
    Index(i64),
    All,
}

/// Parse `a.b{}.c{0}` into segments.
pub fn parse_path(path: &str) -> Vec<PathSeg> {
    let mut segs = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    segs.push(PathSeg::Key(std::mem::take(&mut key)));
                }
            }
            '{' => {
                if !key.is_empty() {
                    segs.push(PathSeg::Key(std::mem::take(&mut key)));
                }
                let inner: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let inner = inner.trim();
                if inner.is_empty() {
                    segs.push(PathSeg::All);
                } else if let Ok(i) = inner.parse::<i64>() {
                    segs.push(PathSeg::Index(i));
                } else {
                    segs.push(PathSeg::Key(inner.to_string()));
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        segs.push(PathSeg::Key(key));
    }
    segs
}

/// Every node at `path` (arrays met by a key step are searched element-wise, as spath does).
pub fn select<'j>(root: &'j Json, path: &[PathSeg]) -> Vec<&'j Json> {
    let mut cur = vec![root];
    for seg in path {
        let mut next = Vec::new();
        for node in cur {
            step(node, seg, &mut next);
        }
        cur = next;
    }
    cur
}

fn step<'j>(node: &'j Json, seg: &PathSeg, out: &mut Vec<&'j Json>) {
    match (seg, node) {
        (PathSeg::Key(k), Json::Object(m)) => out.extend(m.get(k)),
        (PathSeg::Key(_), Json::Array(items)) => items.iter().for_each(|i| step(i, seg, out)),
        (PathSeg::Index(i), Json::Array(items)) => {
            let idx = if *i < 0 { items.len() as i64 + i } else { *i };
            if idx >= 0 {
                out.extend(items.get(idx as usize));
            }
        }
        (PathSeg::All, Json::Array(items)) => out.extend(items.iter()),
        _ => {}
    }
}

/// A selected node as an eval value: scalars as values, containers as JSON text, null dropped.
fn nodes_to_eval(nodes: &[&Json]) -> EvalValue {
    EvalValue::from_atoms(nodes.iter().filter_map(|j| json_to_atom(j)).collect())
}

/// `json_extract(json[, path...])`: no path returns the whole JSON; one path its value(s); several
/// paths a JSON array of their values. Invalid JSON or a missing path gives null.
pub(super) fn json_extract(a: &[EvalValue], _: &FnContext) -> R {
    extract(a, parse_path)
}

/// `json_extract_exact(json, key...)`: like `json_extract` with keys taken literally (dots and
/// braces are part of the key).
pub(super) fn json_extract_exact(a: &[EvalValue], _: &FnContext) -> R {
    extract(a, |p| vec![PathSeg::Key(p.to_string())])
}

fn extract(a: &[EvalValue], to_path: impl Fn(&str) -> Vec<PathSeg>) -> R {
    let Some(root) = parse(a, 0) else {
        return Ok(EvalValue::Null);
    };
    let paths: Vec<String> = a.iter().skip(1).filter_map(EvalValue::as_text).collect();
    match paths.as_slice() {
        [] => Ok(EvalValue::str(root.to_string())),
        [p] => {
            let nodes = select(&root, &to_path(p));
            Ok(if nodes.len() > 1 {
                EvalValue::str(Json::Array(nodes.into_iter().cloned().collect()).to_string())
            } else {
                nodes_to_eval(&nodes)
            })
        }
        many => {
            let out: Vec<Json> = many
                .iter()
                .map(|p| {
                    let nodes = select(&root, &to_path(p));
                    match nodes.as_slice() {
                        [] => Json::Null,
                        [one] => (*one).clone(),
                        _ => Json::Array(nodes.into_iter().cloned().collect()),
                    }
                })
                .collect();
            Ok(EvalValue::str(Json::Array(out).to_string()))
        }
    }
}

/// `json_keys(json)`: a JSON array of the top-level keys of an object.
pub(super) fn json_keys(a: &[EvalValue], _: &FnContext) -> R {
    Ok(match parse(a, 0) {
        Some(Json::Object(m)) => {
            EvalValue::str(Json::Array(m.keys().map(|k| Json::String(k.clone())).collect()).to_string())
        }
        _ => EvalValue::Null,
    })
}

/// `spath(json, path)`: the value(s) at `path`, arrays (via `{}`) as multivalue.
pub(super) fn spath(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(root), Some(path)) = (parse(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    Ok(nodes_to_eval(&select(&root, &parse_path(&path))))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use EvalValue::{Bool, Null};

    const DOC: &str =
        r#"{"user":{"name":"bob","roles":["admin","dev"]},"items":[{"id":1},{"id":2}],"n":3.5,"ok":true,"z":null}"#;

    #[test]
    fn json_object_and_array_build_json() {
        assert_eq!(t("json_object", vec![s("a"), n(1.0), s("b"), s("x"), s("c"), Null]), r#"{"a":1,"b":"x","c":null}"#);
        assert_eq!(t("json_array", vec![n(1.0), s("two"), Bool(true)]), r#"[1,"two",true]"#);
        let inner = c("json_object", vec![s("k"), s("v")]);
        assert_eq!(t("json_object", vec![s("o"), inner]), r#"{"o":{"k":"v"}}"#);
        assert!(super::super::call("json_object", vec![s("a")], &ctx()).is_err());
    }

    #[test]
    fn json_extract_paths() {
        assert_eq!(t("json_extract", vec![s(DOC), s("user.name")]), "bob");
        assert_eq!(t("json_extract", vec![s(DOC), s("user.roles{1}")]), "dev");
        assert_eq!(t("json_extract", vec![s(DOC), s("user.roles")]), r#"["admin","dev"]"#);
        assert_eq!(t("json_extract", vec![s(DOC), s("items{}.id")]), "[1,2]");
        assert_eq!(t("json_extract", vec![s(DOC), s("n")]), "3.5");
        assert_eq!(t("json_extract", vec![s(DOC), s("ok")]), "true");
        assert_eq!(t("json_extract", vec![s(DOC), s("user.name"), s("n")]), r#"["bob",3.5]"#);
        assert_eq!(c("json_extract", vec![s(DOC), s("missing")]), Null);
        assert_eq!(c("json_extract", vec![s(DOC), s("z")]), Null);
        assert_eq!(c("json_extract", vec![s("not json"), s("a")]), Null);
        assert_eq!(t("json_extract", vec![s(r#"{"a": 1}"#)]), r#"{"a":1}"#);
        assert_eq!(t("json_extract_exact", vec![s(r#"{"a.b":5}"#), s("a.b")]), "5");
    }

    #[test]
    fn json_keys_and_valid() {
        assert_eq!(t("json_keys", vec![s(r#"{"b":1,"a":2}"#)]), r#"["b","a"]"#);
        assert_eq!(c("json_keys", vec![s("[1]")]), Null);
        assert_eq!(c("json_valid", vec![s("{}")]), Bool(true));
        assert_eq!(c("json_valid", vec![s("{")]), Bool(false));
        assert_eq!(c("isarray", vec![s("[1, 2, 3]")]), Bool(true));
        assert_eq!(c("isarray", vec![n(1.0)]), Bool(false));
    }

    #[test]
    fn spath_arrays_become_multivalue() {
        assert_eq!(texts(&c("spath", vec![s(DOC), s("user.roles{}")])), ["admin", "dev"]);
        assert_eq!(texts(&c("spath", vec![s(DOC), s("items{}.id")])), ["1", "2"]);
        assert_eq!(t("spath", vec![s(DOC), s("items{0}.id")]), "1");
        assert_eq!(t("spath", vec![s(DOC), s("user.name")]), "bob");
        assert_eq!(c("spath", vec![s(DOC), s("nope.x")]), Null);
    }

    #[test]
    fn path_parsing() {
        assert_eq!(
            parse_path("a.b{}.c{2}"),
            vec![
                PathSeg::Key("a".into()),
                PathSeg::Key("b".into()),
                PathSeg::All,
                PathSeg::Key("c".into()),
                PathSeg::Index(2)
            ]
        );
    }
}
