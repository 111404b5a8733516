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

// ---- editing: json_set, json_set_exact, json_append, json_extend, json_delete ----
//
// After https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/evaluation-functions/json-functions
// (same text in the 10.0 reference): the document is parsed, edited and written back as compact
// JSON text; `<json>` that is not valid JSON gives null ("the function outputs nothing"); path/value
// pairs apply from left to right, each to the document the previous one left; a path that does
// not fit the document (a key under a string, an index past the end, …) skips that pair without
// an error. Values are typed as `json_object` types them: numbers, booleans (`true()`), null,
// strings as JSON strings, JSON object/array text and multivalue fields as JSON containers.

/// Apply `edit` to every node `path` leads to. `{N}` picks one element (negative counts from
/// the end), `{}` every element; a key step needs an object (unlike `select`, it does not search
/// the elements of an array: `{}` says so explicitly). With `create`, a missing key is added when
/// only keys follow it (as JSON null for the last step, which `edit` then replaces, and as empty
/// objects on the way), so a path never leaves half-built nodes behind when it cannot be followed.
fn edit_at(node: &mut Json, path: &[PathSeg], create: bool, edit: &mut dyn FnMut(&mut Json)) {
    let Some((seg, rest)) = path.split_first() else {
        edit(node);
        return;
    };
    match (seg, node) {
        (PathSeg::Key(k), Json::Object(m)) => {
            if !m.contains_key(k) {
                if !create || !rest.iter().all(|s| matches!(s, PathSeg::Key(_))) {
                    return;
                }
                let fresh = if rest.is_empty() { Json::Null } else { Json::Object(Map::new()) };
                m.insert(k.clone(), fresh);
            }
            if let Some(child) = m.get_mut(k) {
                edit_at(child, rest, create, edit);
            }
        }
        (PathSeg::Index(i), Json::Array(items)) => {
            let idx = if *i < 0 { items.len() as i64 + i } else { *i };
            if let Some(child) = usize::try_from(idx).ok().and_then(|i| items.get_mut(i)) {
                edit_at(child, rest, create, edit);
            }
        }
        (PathSeg::All, Json::Array(items)) => {
            for child in items {
                edit_at(child, rest, create, edit);
            }
        }
        _ => {}
    }
}

/// `f(json, path, value, path, value, ...)`: every pair applied in turn by `edit` (which gets the
/// node at the path and the value). A path that is null skips its pair.
fn edit_pairs(
    name: &str,
    a: &[EvalValue],
    to_path: impl Fn(&str) -> Vec<PathSeg>,
    create: bool,
    edit: impl Fn(&mut Json, &Json),
) -> R {
    if a.len() < 3 || a.len().is_multiple_of(2) {
        return Err(format!("{name}() takes a JSON value followed by path/value pairs"));
    }
    let Some(mut root) = parse(a, 0) else {
        return Ok(EvalValue::Null);
    };
    for pair in a.get(1..).unwrap_or_default().chunks(2) {
        let (Some(path), Some(value)) = (pair.first().and_then(EvalValue::as_text), pair.get(1)) else {
            continue;
        };
        let value = eval_to_json(value);
        edit_at(&mut root, &to_path(&path), create, &mut |node| edit(node, &value));
    }
    Ok(EvalValue::str(root.to_string()))
}

/// `json_set(json, path, value, ...)`: inserts or overwrites the value at each path; missing keys
/// along the path are created ("all of the keys in the chain are created"); a mismatch between
/// the document and the path (`a.c` when `a` is a string) skips the pair. Docs are silent on an
/// index past the end of an array: skipped too (nothing is created inside arrays). An empty path
/// is the whole document, as for `json_extract`.
pub(super) fn json_set(a: &[EvalValue], _: &FnContext) -> R {
    edit_pairs("json_set", a, parse_path, true, |node, v| *node = v.clone())
}

/// `json_set_exact(json, key, value, ...)`: like `json_set` with each key taken literally as a
/// top-level key (`"system.splunk.path"` is one key, not a path). The reference also says that
/// several pairs make the function "output an array" without saying of what; every example and
/// the function's description ("generates or overwrites a JSON object") give the updated
/// document, which is what this returns.
pub(super) fn json_set_exact(a: &[EvalValue], _: &FnContext) -> R {
    edit_pairs("json_set_exact", a, |k| vec![PathSeg::Key(k.to_string())], true, |node, v| *node = v.clone())
}

/// The node as an array to add to: itself, or (a scalar, object or null) wrapped in one
/// ("autowraps the scalar or object value within an array").
fn as_array(node: &mut Json) -> &mut Vec<Json> {
    if !node.is_array() {
        *node = Json::Array(vec![node.take()]);
    }
    match node {
        Json::Array(items) => items,
        _ => unreachable!("made an array above"),
    }
}

/// `json_append(json, path, value, ...)`: adds each value at the end of the array at its path,
/// an array value as one element (`[1,2]` + `[3]` is `[1,2,[3]]`); a scalar or object at the path
/// is wrapped in an array first; a path that leads nowhere is ignored (nothing is created).
pub(super) fn json_append(a: &[EvalValue], _: &FnContext) -> R {
    edit_pairs("json_append", a, parse_path, false, |node, v| as_array(node).push(v.clone()))
}

/// `json_extend(json, path, array, ...)`: like `json_append`, with the elements of the array
/// added one by one (`[1,2]` + `[3]` is `[1,2,3]`). "The `<value>` must be an array": a value
/// that is not one (a single-value field, a number, an object) skips its pair, leaving the target
/// untouched.
pub(super) fn json_extend(a: &[EvalValue], _: &FnContext) -> R {
    edit_pairs("json_extend", a, parse_path, false, |node, v| {
        if let Json::Array(values) = v {
            as_array(node).extend(values.iter().cloned());
        }
    })
}

/// Remove the key at the end of `path` (keys only) from the object holding it.
fn delete_at(node: &mut Json, path: &[PathSeg]) {
    let (Some((PathSeg::Key(k), rest)), Json::Object(m)) = (path.split_first(), node) else {
        return;
    };
    if rest.is_empty() {
        // `retain` keeps the order of the other keys (`remove` may swap the last key in).
        m.retain(|key, _| key != k);
    } else if let Some(child) = m.get_mut(k) {
        delete_at(child, rest);
    }
}

/// `json_delete(object, key, ...)`: the object without those keys (and their values). A key may
/// be a path through nested objects (`addresses.email`; a key containing a dot cannot be named,
/// and "array indexing is not supported", so a path with `{…}` steps deletes nothing). The keys
/// may also come as one JSON array (`json_array("SSN", "accounts")`) or as a multivalue field.
/// A key that is not there is ignored; invalid JSON gives null.
pub(super) fn json_delete(a: &[EvalValue], _: &FnContext) -> R {
    let Some(mut root) = parse(a, 0) else {
        return Ok(EvalValue::Null);
    };
    for v in a.iter().skip(1) {
        for atom in v.atoms() {
            let text = atom.as_str();
            let keys = match serde_json::from_str::<Json>(&text) {
                Ok(Json::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
                _ => vec![text.into_owned()],
            };
            for k in keys {
                delete_at(&mut root, &parse_path(&k));
            }
        }
    }
    Ok(EvalValue::str(root.to_string()))
}

/// `json_entries(object)`: the object's top-level members as a JSON array of
/// `{"key":…,"value":…}` objects, in the object's order (reference example:
/// `{"a": 1, "b": 2}` gives `[{"key":"a","value":1},{"key":"b","value":2}]`). Docs only speak of
/// objects: an array, a scalar or invalid JSON gives null.
pub(super) fn json_entries(a: &[EvalValue], _: &FnContext) -> R {
    Ok(match parse(a, 0) {
        Some(Json::Object(m)) => {
            let entries = m
                .into_iter()
                .map(|(k, v)| {
                    let mut e = Map::new();
                    e.insert("key".into(), Json::String(k));
                    e.insert("value".into(), v);
                    Json::Object(e)
                })
                .collect();
            EvalValue::str(Json::Array(entries).to_string())
        }
        _ => EvalValue::Null,
    })
}

/// `json_has_key_exact(object, key)`: whether the object has `key` as a top-level key, taken
/// literally (`"charlie.garcia"` is one key). Not an object (an array, a scalar, invalid JSON):
/// false. A null argument gives null, as for other functions.
pub(super) fn json_has_key_exact(a: &[EvalValue], _: &FnContext) -> R {
    let (Some(doc), Some(key)) = (text(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    Ok(EvalValue::Bool(matches!(serde_json::from_str::<Json>(&doc), Ok(Json::Object(m)) if m.contains_key(&key))))
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

    fn err(name: &str, args: Vec<EvalValue>) -> String {
        super::super::call(name, args, &ctx()).unwrap_err()
    }

    const GAMES: &str = r#"{"category":{"boardgames":{"cooperative":[{"name":"Pandemic"},{"name":"Forbidden Island"},{"name":"Castle Panic"}]}}}"#;

    #[test]
    fn json_set_creates_and_overwrites() {
        // The reference's examples on `games`.
        assert_eq!(
            t(
                "json_set",
                vec![
                    s(GAMES),
                    s("category.boardgames.cooperative{2}"),
                    c("json_object", vec![s("name"), s("Sherlock")])
                ]
            ),
            r#"{"category":{"boardgames":{"cooperative":[{"name":"Pandemic"},{"name":"Forbidden Island"},{"name":"Sherlock"}]}}}"#
        );
        let competitive = c(
            "json_array",
            vec![c("json_object", vec![s("name"), s("Catan")]), c("json_object", vec![s("name"), s("Mars")])],
        );
        let with = t("json_set", vec![s(GAMES), s("category.boardgames.competitive"), competitive]);
        assert_eq!(t("json_extract", vec![s(&with), s("category.boardgames.competitive{1}.name")]), "Mars");
        let avail = t("json_set", vec![s(&with), s("category.boardgames.competitive{}.available"), Bool(true)]);
        assert_eq!(t("json_extract", vec![s(&avail), s("category.boardgames.competitive{}.available")]), "[true,true]");
        let out = t("json_set", vec![s(&avail), s("category.boardgames.competitive{0}.available"), Bool(false)]);
        assert_eq!(t("json_extract", vec![s(&out), s("category.boardgames.competitive{}.available")]), "[false,true]");
        // missing keys along the path are created; dots are nesting
        assert_eq!(t("json_set", vec![s(r#"{"a":1}"#), s("b.c"), s("x")]), r#"{"a":1,"b":{"c":"x"}}"#);
        assert_eq!(
            t("json_set", vec![s("{}"), s("system.splunk.path"), s("/opt/splunk")]),
            r#"{"system":{"splunk":{"path":"/opt/splunk"}}}"#
        );
        // pairs left to right, each on the previous result; any type overwrites any other
        assert_eq!(t("json_set", vec![s(r#"{"a":1}"#), s("a"), s("one"), s("b"), n(2.5)]), r#"{"a":"one","b":2.5}"#);
        assert_eq!(t("json_set", vec![s(r#"{"a":1}"#), s("a"), Null]), r#"{"a":null}"#);
        assert_eq!(t("json_set", vec![s(r#"{"a":1}"#), s("a"), mv(&["x", "y"])]), r#"{"a":["x","y"]}"#);
        assert_eq!(t("json_set", vec![s(r#"{"a":1}"#), s("a"), s("5")]), r#"{"a":"5"}"#, "a string stays a string");
        // a mismatch skips the pair, without an error
        assert_eq!(t("json_set", vec![s(r#"{"a":"b"}"#), s("a.c"), s("d")]), r#"{"a":"b"}"#);
        assert_eq!(t("json_set", vec![s(r#"{"a":[1]}"#), s("a{5}"), n(2.0)]), r#"{"a":[1]}"#);
        assert_eq!(t("json_set", vec![s(r#"{"a":[1,2]}"#), s("a{-1}"), n(9.0)]), r#"{"a":[1,9]}"#);
        assert_eq!(t("json_set", vec![s("{}"), s("x.y{0}"), n(1.0)]), "{}", "nothing half-built");
        assert_eq!(t("json_set", vec![s("[1]"), s("a"), n(1.0)]), "[1]");
        assert_eq!(t("json_set", vec![s("{}"), Null, n(1.0)]), "{}");
        // invalid or missing JSON: no value
        assert_eq!(c("json_set", vec![s("{oops"), s("a"), n(1.0)]), Null);
        assert_eq!(c("json_set", vec![Null, s("a"), n(1.0)]), Null);
        assert!(err("json_set", vec![s("{}"), s("a"), n(1.0), s("b")]).contains("path/value pairs"));
    }

    #[test]
    fn json_set_exact_takes_keys_literally() {
        let obj = c("json_object", vec![]);
        assert_eq!(
            t("json_set_exact", vec![obj, s("system.splunk.path"), s("/opt/splunk")]),
            r#"{"system.splunk.path":"/opt/splunk"}"#
        );
        assert_eq!(
            t("json_set_exact", vec![s(r#"{"a":{"b":1},"c{0}":2}"#), s("a"), n(3.0), s("c{0}"), s("z")]),
            r#"{"a":3,"c{0}":"z"}"#
        );
        assert_eq!(t("json_set_exact", vec![s("[]"), s("k"), n(1.0)]), "[]");
        assert_eq!(c("json_set_exact", vec![s("nope"), s("k"), n(1.0)]), Null);
    }

    #[test]
    fn json_append_adds_one_element() {
        let ponies =
            c("json_object", vec![s("ponylist"), c("json_array", vec![s("Minty"), s("Rarity"), s("Buttercup")])]);
        assert_eq!(
            t("json_append", vec![ponies, s("ponylist"), s("Fluttershy")]),
            r#"{"ponylist":["Minty","Rarity","Buttercup","Fluttershy"]}"#
        );
        let details = c(
            "json_object",
            vec![
                s("Fluttershy"),
                c("json_object", vec![s("ponySkills"), c("json_array", vec![s("running"), s("jumping")])]),
            ],
        );
        assert_eq!(
            t("json_append", vec![details, s("Fluttershy.ponySkills"), s("codebreaking")]),
            r#"{"Fluttershy":{"ponySkills":["running","jumping","codebreaking"]}}"#
        );
        // an array value is one element
        let abc = r#"{"l":["a","b","c"]}"#;
        let def = c("json_array", vec![s("d"), s("e"), s("f")]);
        assert_eq!(t("json_append", vec![s(abc), s("l"), def]), r#"{"l":["a","b","c",["d","e","f"]]}"#);
        // empty array; scalar and object are wrapped; a missing path is ignored, not created
        assert_eq!(t("json_append", vec![s(r#"{"l":[]}"#), s("l"), n(1.0)]), r#"{"l":[1]}"#);
        assert_eq!(t("json_append", vec![s(r#"{"l":"x"}"#), s("l"), n(1.0)]), r#"{"l":["x",1]}"#);
        assert_eq!(t("json_append", vec![s(r#"{"l":{"k":1}}"#), s("l"), Bool(true)]), r#"{"l":[{"k":1},true]}"#);
        assert_eq!(t("json_append", vec![s(r#"{"l":[1]}"#), s("m"), n(2.0)]), r#"{"l":[1]}"#);
        assert_eq!(t("json_append", vec![s("[1]"), s(""), n(2.0)]), "[1,2]", "the empty path is the document");
        assert_eq!(t("json_append", vec![s(r#"{"l":[1]}"#), s("l"), n(2.0), s("l"), n(3.0)]), r#"{"l":[1,2,3]}"#);
        assert_eq!(c("json_append", vec![s("not json"), s("l"), n(1.0)]), Null);
        assert!(err("json_append", vec![s("{}"), s("l"), n(1.0), s("m")]).contains("path/value pairs"));
    }

    #[test]
    fn json_extend_flattens_one_level() {
        let bands = c("json_object", vec![s("list"), c("json_array", vec![s("Blues Brothers"), s("Spinal Tap")])]);
        let more = c("json_array", vec![s("Soggy Bottom Boys"), s("Weird Sisters")]);
        assert_eq!(
            t("json_extend", vec![bands, s("list"), more]),
            r#"{"list":["Blues Brothers","Spinal Tap","Soggy Bottom Boys","Weird Sisters"]}"#
        );
        let chars = c("json_object", vec![s("classes"), c("json_array", vec![s("wizard"), s("rogue")])]);
        let array2 = c("json_array", vec![c("json_object", vec![s("artifact"), s("deck")])]);
        assert_eq!(
            t("json_extend", vec![chars, s("classes"), array2]),
            r#"{"classes":["wizard","rogue",{"artifact":"deck"}]}"#
        );
        assert_eq!(t("json_extend", vec![s(r#"{"l":[]}"#), s("l"), mv(&["x", "y"])]), r#"{"l":["x","y"]}"#);
        assert_eq!(t("json_extend", vec![s(r#"{"l":7}"#), s("l"), s("[8,[9]]")]), r#"{"l":[7,8,[9]]}"#);
        // not an array value: the pair is skipped
        assert_eq!(t("json_extend", vec![s(r#"{"l":[1]}"#), s("l"), n(2.0)]), r#"{"l":[1]}"#);
        assert_eq!(t("json_extend", vec![s(r#"{"l":[1]}"#), s("nope"), s("[2]")]), r#"{"l":[1]}"#);
        assert_eq!(c("json_extend", vec![s(""), s("l"), s("[2]")]), Null);
    }

    #[test]
    fn json_delete_removes_keys() {
        let object =
            r#"{"name":"Wei Zhang","SSN":"123-45-6789","city":"Seattle","accounts":["Hagal Quartz","Caladan Water"]}"#;
        assert_eq!(
            t("json_delete", vec![s(object), s("SSN"), s("accounts")]),
            r#"{"name":"Wei Zhang","city":"Seattle"}"#
        );
        let keys = c("json_array", vec![s("SSN"), s("accounts")]);
        assert_eq!(t("json_delete", vec![s(object), keys]), r#"{"name":"Wei Zhang","city":"Seattle"}"#);
        assert_eq!(
            t("json_delete", vec![s(object), mv(&["name", "city"])]),
            r#"{"SSN":"123-45-6789","accounts":["Hagal Quartz","Caladan Water"]}"#
        );
        let employee = r#"{"name":"Celestino","addresses":{"email":"c@sample.com","office":"Panama"}}"#;
        assert_eq!(
            t("json_delete", vec![s(employee), s("addresses.email")]),
            r#"{"name":"Celestino","addresses":{"office":"Panama"}}"#
        );
        // a dotted key cannot be named; array indexing is not supported; missing keys are ignored
        assert_eq!(
            t("json_delete", vec![s(r#"{"student.name":"Claudia"}"#), s("student.name")]),
            r#"{"student.name":"Claudia"}"#
        );
        assert_eq!(t("json_delete", vec![s(r#"{"a":[{"b":1}]}"#), s("a{0}.b")]), r#"{"a":[{"b":1}]}"#);
        assert_eq!(t("json_delete", vec![s(r#"{"a":1}"#), s("zz"), Null]), r#"{"a":1}"#);
        assert_eq!(t("json_delete", vec![s(r#"{"a":1,"b":2,"c":3}"#), s("a")]), r#"{"b":2,"c":3}"#, "order kept");
        assert_eq!(c("json_delete", vec![s("{"), s("a")]), Null);
    }

    #[test]
    fn json_entries_lists_members() {
        assert_eq!(
            t("json_entries", vec![s(r#"{"a": 1, "b": 2}"#)]),
            r#"[{"key":"a","value":1},{"key":"b","value":2}]"#
        );
        assert_eq!(
            t("json_entries", vec![s(r#"{"name":"maria","age":25,"tags":["x"],"o":{"k":null}}"#)]),
            r#"[{"key":"name","value":"maria"},{"key":"age","value":25},{"key":"tags","value":["x"]},{"key":"o","value":{"k":null}}]"#
        );
        assert_eq!(t("json_entries", vec![s("{}")]), "[]");
        assert_eq!(c("json_entries", vec![s("[1,2]")]), Null);
        assert_eq!(c("json_entries", vec![s("3")]), Null);
        assert_eq!(c("json_entries", vec![s("x")]), Null);
        assert_eq!(c("json_entries", vec![Null]), Null);
    }

    #[test]
    fn json_has_key_exact_tests_top_level_keys() {
        assert_eq!(
            c("json_has_key_exact", vec![c("json_object", vec![s("name"), s("charlie")]), s("name")]),
            Bool(true)
        );
        assert_eq!(c("json_has_key_exact", vec![s(r#"{"charlie.garcia":10}"#), s("charlie.garcia")]), Bool(true));
        assert_eq!(c("json_has_key_exact", vec![s(r#"{"charlie":{"garcia":10}}"#), s("charlie.garcia")]), Bool(false));
        assert_eq!(c("json_has_key_exact", vec![s(r#"{"name":"maria","status":null}"#), s("status")]), Bool(true));
        assert_eq!(c("json_has_key_exact", vec![s(r#"{"name":"charlie"}"#), s("status")]), Bool(false));
        assert_eq!(c("json_has_key_exact", vec![s(r#"["status"]"#), s("status")]), Bool(false));
        assert_eq!(c("json_has_key_exact", vec![s("oops"), s("status")]), Bool(false));
        assert_eq!(c("json_has_key_exact", vec![Null, s("status")]), Null);
        assert_eq!(c("json_has_key_exact", vec![s("{}"), Null]), Null);
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
