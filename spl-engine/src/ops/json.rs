//! Structured-text extraction: `spath` (JSON and XML), `fromjson`, `xmlkv`.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::event::Event;
use crate::exec::{ExecError, Operator};
use crate::value::{Atom, Value};

/// One step of an spath path: `name`, `{}` (every element), `{n}` (n-th element, 1-based).
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    All,
    Index(usize),
    /// `{@attr}` (XML attributes).
    Attr(String),
}

/// Parse `a.b{}.c{2}`; `None` when malformed.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut name = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !name.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut name)));
                }
            }
            '{' => {
                if !name.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut name)));
                }
                let mut inner = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        x => inner.push(x),
                    }
                }
                let inner = inner.trim();
                steps.push(if inner.is_empty() {
                    Step::All
                } else if let Some(a) = inner.strip_prefix('@') {
                    Step::Attr(a.to_string())
                } else {
                    Step::Index(inner.parse().ok()?)
                });
            }
            c => name.push(c),
        }
    }
    if !name.is_empty() {
        steps.push(Step::Key(name));
    }
    Some(steps)
}

fn json_atom(v: &Json) -> Atom {
    match v {
        Json::String(s) => Atom::from(s.as_str()),
        Json::Number(n) => Atom::from(n.to_string()),
        Json::Bool(b) => Atom::from(b.to_string()),
        Json::Null => Atom::Str("null".into()),
        // Objects and arrays are written as their JSON text.
        other => Atom::from(other.to_string()),
    }
}

/// Values at `steps` in a JSON document.
pub fn json_path<'a>(root: &'a Json, steps: &[Step]) -> Vec<&'a Json> {
    let mut cur = vec![root];
    for s in steps {
        let mut next = Vec::new();
        for v in cur {
            match (s, v) {
                (Step::Key(k), Json::Object(m)) => next.extend(m.get(k)),
                (Step::All, Json::Array(a)) => next.extend(a.iter()),
                (Step::Index(i), Json::Array(a)) => next.extend(i.checked_sub(1).and_then(|i| a.get(i))),
                _ => {}
            }
        }
        cur = next;
    }
    cur
}

/// Every leaf with its flattened name (`a.b`, `a{}.c`), values in document order.
pub fn json_flatten(v: &Json, prefix: &str, out: &mut IndexMap<String, Vec<Atom>>) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                json_flatten(x, &name, out);
            }
        }
        Json::Array(a) => {
            let name = format!("{prefix}{{}}");
            for x in a {
                json_flatten(x, &name, out);
            }
        }
        leaf => {
            if !prefix.is_empty() {
                out.entry(prefix.to_string()).or_default().push(json_atom(leaf));
            }
        }
    }
}

/// A parsed XML element (enough for spath's flattening).
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

/// Parse XML leniently; `None` when it is not XML we can read.
fn parse_xml(text: &str) -> Option<Vec<Element>> {
    use quick_xml::events::Event as X;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<Element> = Vec::new();
    let mut roots = Vec::new();
    let element = |e: &quick_xml::events::BytesStart| {
        let mut el = Element { name: e.name().as_ref().to_string(), ..Default::default() };
        for a in e.attributes().flatten() {
            let v = unescape_xml(&a.value);
            el.attrs.push((a.key.as_ref().to_string(), v));
        }
        el
    };
    let mut depth_guard = 0usize;
    loop {
        match reader.read_event() {
            Ok(X::Start(e)) => {
                depth_guard += 1;
                if depth_guard > 256 {
                    return None;
                }
                stack.push(element(&e));
            }
            Ok(X::Empty(e)) => {
                let el = element(&e);
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => roots.push(el),
                }
            }
            Ok(X::End(_)) => {
                depth_guard = depth_guard.saturating_sub(1);
                let el = stack.pop()?;
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => roots.push(el),
                }
            }
            Ok(X::Text(t)) => {
                if let Some(p) = stack.last_mut() {
                    let raw: &str = &t;
                    p.text.push_str(&unescape_xml(raw));
                }
            }
            Ok(X::CData(t)) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&t);
                }
            }
            Ok(X::GeneralRef(r)) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&unescape_xml(&format!("&{};", &*r)));
                }
            }
            Ok(X::Eof) => break,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    if roots.is_empty() {
        None
    } else {
        Some(roots)
    }
}

/// The five XML entities and numeric references.
pub fn unescape_xml(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i..).unwrap_or("");
        let Some(end) = after.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = after.get(1..).unwrap_or("");
            continue;
        };
        let ent = after.get(1..end).unwrap_or("");
        let rep = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match rep {
            Some(c) => {
                out.push(c);
                rest = after.get(end + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// spath's XML flattening: element paths joined with dots from the root element, attributes as
/// `path{@name}`; repeated paths give multivalue fields.
fn xml_flatten(el: &Element, prefix: &str, out: &mut IndexMap<String, Vec<Atom>>) {
    let name = if prefix.is_empty() { el.name.clone() } else { format!("{prefix}.{}", el.name) };
    for (k, v) in &el.attrs {
        out.entry(format!("{name}{{@{k}}}")).or_default().push(Atom::from(v.as_str()));
    }
    let text = el.text.trim();
    if !text.is_empty() {
        out.entry(name.clone()).or_default().push(Atom::from(text));
    }
    for c in &el.children {
        xml_flatten(c, &name, out);
    }
}

/// Path text as spath names XML fields (`{n}` indexes are not supported for XML: dropped).
fn xml_path_name(steps: &[Step]) -> String {
    let mut s = String::new();
    for st in steps {
        match st {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Attr(a) => s.push_str(&format!("{{@{a}}}")),
            Step::All | Step::Index(_) => {}
        }
    }
    s
}

/// `spath [input=f] [output=o] [path=p]`.
pub struct SpathOp {
    pub input: String,
    pub output: Option<String>,
    pub path: Option<String>,
    steps: Option<Vec<Step>>,
}

impl SpathOp {
    pub fn new(input: String, output: Option<String>, path: Option<String>) -> Result<SpathOp, String> {
        let steps = match &path {
            Some(p) => Some(parse_path(p).ok_or_else(|| format!("spath: cannot read path `{p}`"))?),
            None => None,
        };
        Ok(SpathOp { input, output, path, steps })
    }

    fn extract(&self, text: &str, out: &mut IndexMap<String, Vec<Atom>>) {
        let t = text.trim_start();
        if t.starts_with('<') {
            let Some(roots) = parse_xml(t) else { return };
            let mut all = IndexMap::new();
            for r in &roots {
                xml_flatten(r, "", &mut all);
            }
            match &self.steps {
                None => {
                    for (k, v) in all {
                        out.entry(k).or_default().extend(v);
                    }
                }
                Some(steps) => {
                    let want = xml_path_name(steps);
                    if let Some(v) = all.shift_remove(&want) {
                        out.entry(self.out_name()).or_default().extend(v);
                    }
                }
            }
            return;
        }
        // Invalid JSON gives no fields and no error.
        let Ok(doc) = serde_json::from_str::<Json>(t) else {
            return;
        };
        match &self.steps {
            None => json_flatten(&doc, "", out),
            Some(steps) => {
                let vals = json_path(&doc, steps);
                if !vals.is_empty() {
                    out.entry(self.out_name()).or_default().extend(vals.into_iter().map(json_atom));
                }
            }
        }
    }

    fn out_name(&self) -> String {
        self.output.clone().or_else(|| self.path.clone()).unwrap_or_default()
    }
}

fn write_fields(ev: &mut Event, fields: IndexMap<String, Vec<Atom>>) {
    for (k, atoms) in fields {
        if let Some(v) = Value::from_atoms(atoms) {
            ev.set(k, v);
        }
    }
}

impl Operator for SpathOp {
    fn name(&self) -> &str {
        "spath"
    }
    fn describe(&self) -> String {
        format!(
            "spath input={}{}{}",
            self.input,
            self.output.as_ref().map(|o| format!(" output={o}")).unwrap_or_default(),
            self.path.as_ref().map_or(" (all leaves)".to_string(), |p| format!(" path={p}"))
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut fields = IndexMap::new();
        if let Some(v) = ev.get(&self.input) {
            for a in v.atoms() {
                self.extract(&a.as_str(), &mut fields);
            }
        }
        write_fields(&mut ev, fields);
        out.push(ev);
        Ok(())
    }
}

/// `fromjson <field> [prefix=p]`: each top-level key of the JSON object becomes a field;
/// arrays become multivalue fields, nested objects their JSON text.
pub struct FromjsonOp {
    pub field: String,
    pub prefix: String,
}

impl Operator for FromjsonOp {
    fn name(&self) -> &str {
        "fromjson"
    }
    fn describe(&self) -> String {
        format!("fromjson {} prefix={:?}", self.field, self.prefix)
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let doc = ev.get(&self.field).and_then(|v| serde_json::from_str::<Json>(&v.first().as_str()).ok());
        if let Some(Json::Object(m)) = doc {
            for (k, v) in m {
                let atoms = match &v {
                    Json::Array(a) => a.iter().map(json_atom).collect(),
                    other => vec![json_atom(other)],
                };
                if let Some(val) = Value::from_atoms(atoms) {
                    ev.set(format!("{}{k}", self.prefix), val);
                }
            }
        }
        out.push(ev);
        Ok(())
    }
}

/// `xmlkv [field]`: every simple element `<tag>value</tag>` (no child elements) in the field
/// (default `_raw`) sets `tag=value`; attributes are ignored; a repeated tag gives multivalue.
pub struct XmlkvOp {
    pub field: String,
}

fn simple_element_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>([^<]*)</([A-Za-z_][\w.:-]*)\s*>")
            .unwrap_or_else(|_| unreachable!())
    })
}

pub fn xmlkv_pairs(text: &str) -> IndexMap<String, Vec<Atom>> {
    let mut out: IndexMap<String, Vec<Atom>> = IndexMap::new();
    for c in simple_element_re().captures_iter(text) {
        let (Some(open), Some(val), Some(close)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        if open.as_str() != close.as_str() {
            continue;
        }
        out.entry(open.as_str().to_string()).or_default().push(Atom::from(unescape_xml(val.as_str())));
    }
    out
}

impl Operator for XmlkvOp {
    fn name(&self) -> &str {
        "xmlkv"
    }
    fn describe(&self) -> String {
        format!("xmlkv {}", self.field)
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let pairs = ev.get(&self.field).map(|v| xmlkv_pairs(&v.as_str())).unwrap_or_default();
        write_fields(&mut ev, pairs);
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(op: &mut dyn Operator, ev: Event) -> Event {
        let mut out = Vec::new();
        op.push(ev, &mut out).unwrap();
        out.pop().unwrap()
    }

    fn raw(field: &str, text: &str) -> Event {
        let mut e = Event::new();
        e.set(field, text);
        e
    }

    fn vals(e: &Event, f: &str) -> Vec<String> {
        e.get(f).map(|v| v.atoms().iter().map(|a| a.to_string()).collect()).unwrap_or_default()
    }

    #[test]
    fn spath_without_path_flattens_all_leaves_with_braces_for_arrays() {
        let mut op = SpathOp::new("_raw".into(), None, None).unwrap();
        let e = run(&mut op, raw("_raw", r#"{"a":{"b":1,"c":[true,"x"]},"d":[{"e":"y"},{"e":"z"}],"n":null}"#));
        assert_eq!(vals(&e, "a.b"), vec!["1"]);
        assert_eq!(vals(&e, "a.c{}"), vec!["true", "x"]);
        assert_eq!(vals(&e, "d{}.e"), vec!["y", "z"]);
        assert_eq!(vals(&e, "n"), vec!["null"]);
    }

    #[test]
    fn spath_path_with_braces_gives_multivalue_and_objects_as_json_text() {
        let doc = r#"{"r":{"f":[{"s":"HIGH"},{"s":"LOW"}]},"Action":["a","b"]}"#;
        let mut op = SpathOp::new("_raw".into(), Some("findings".into()), Some("r.f{}".into())).unwrap();
        let e = run(&mut op, raw("_raw", doc));
        assert_eq!(vals(&e, "findings"), vec![r#"{"s":"HIGH"}"#, r#"{"s":"LOW"}"#]);
        let mut op = SpathOp::new("_raw".into(), None, Some("r.f{}.s".into())).unwrap();
        assert_eq!(vals(&run(&mut op, raw("_raw", doc)), "r.f{}.s"), vec!["HIGH", "LOW"]);
        let mut op = SpathOp::new("_raw".into(), Some("a1".into()), Some("Action".into())).unwrap();
        assert_eq!(vals(&run(&mut op, raw("_raw", doc)), "a1"), vec![r#"["a","b"]"#]);
        let mut op = SpathOp::new("_raw".into(), Some("a2".into()), Some("Action{}".into())).unwrap();
        assert_eq!(vals(&run(&mut op, raw("_raw", doc)), "a2"), vec!["a", "b"]);
        let mut op = SpathOp::new("_raw".into(), Some("a3".into()), Some("Action{2}".into())).unwrap();
        assert_eq!(vals(&run(&mut op, raw("_raw", doc)), "a3"), vec!["b"], "{{n}} is 1-based");
    }

    #[test]
    fn spath_invalid_json_or_missing_input_gives_no_fields() {
        let mut op = SpathOp::new("j".into(), Some("o".into()), Some("a".into())).unwrap();
        assert!(run(&mut op, raw("j", "{not json")).get("o").is_none());
        assert!(run(&mut op, raw("other", "{\"a\":1}")).get("o").is_none());
    }

    #[test]
    fn spath_xml_names_fields_by_element_path_and_attributes() {
        let mut op = SpathOp::new("UserData_Xml".into(), None, None).unwrap();
        let x = r#"<RuleAndFileData xmlns="http://x"><PolicyName>EXE</PolicyName><FilePath>%SYSTEM32%\a.exe</FilePath><T>1</T><T>2</T></RuleAndFileData>"#;
        let e = run(&mut op, raw("UserData_Xml", x));
        assert_eq!(vals(&e, "RuleAndFileData.PolicyName"), vec!["EXE"]);
        assert_eq!(vals(&e, "RuleAndFileData.T"), vec!["1", "2"]);
        assert_eq!(vals(&e, "RuleAndFileData{@xmlns}"), vec!["http://x"]);
    }

    #[test]
    fn fromjson_top_level_keys_become_fields_arrays_multivalue() {
        let mut op = FromjsonOp { field: "Data".into(), prefix: "p_".into() };
        let e = run(&mut op, raw("Data", r#"{"sev":3,"tags":["a","b"],"o":{"k":1}}"#));
        assert_eq!(vals(&e, "p_sev"), vec!["3"]);
        assert_eq!(vals(&e, "p_tags"), vec!["a", "b"]);
        assert_eq!(vals(&e, "p_o"), vec![r#"{"k":1}"#]);
    }

    #[test]
    fn xmlkv_extracts_simple_elements_ignoring_attributes() {
        let mut op = XmlkvOp { field: "Message".into() };
        let m = "A scheduled task was created. Task Content: <?xml version=\"1.0\"?><Task version=\"1.2\"><RegistrationInfo><Author>DOM\\admin</Author></RegistrationInfo><Exec><Command>rundll32.exe</Command><Arguments>a &amp; b</Arguments></Exec></Task>";
        let e = run(&mut op, raw("Message", m));
        assert_eq!(vals(&e, "Author"), vec!["DOM\\admin"]);
        assert_eq!(vals(&e, "Command"), vec!["rundll32.exe"]);
        assert_eq!(vals(&e, "Arguments"), vec!["a & b"]);
        assert!(e.get("Task").is_none());
    }

    #[test]
    fn spath_path_parsing() {
        assert_eq!(
            parse_path("a.b{}.c{3}").unwrap(),
            vec![Step::Key("a".into()), Step::Key("b".into()), Step::All, Step::Key("c".into()), Step::Index(3)]
        );
        assert_eq!(parse_path("{}").unwrap(), vec![Step::All]);
        assert!(parse_path("a{").is_none());
    }
}
