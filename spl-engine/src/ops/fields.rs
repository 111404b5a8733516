//! Field-shaping commands: `eval`, `rename`, `table`, `fields`, `fillnull`, `convert`.

use spl_parser::Expr;

use crate::eval::interp::Interp;
use crate::eval::EvalValue;
use crate::event::Event;
use crate::exec::{Context, ExecError, Operator};
use crate::search::Glob;
use crate::value::{Atom, Value};

/// `eval a=expr, b=expr`: assignments run left to right, each seeing the previous ones.
pub struct EvalOp {
    pub assignments: Vec<(String, Expr, String)>,
    pub ctx: Context,
}

impl Operator for EvalOp {
    fn name(&self) -> &str {
        "eval"
    }
    fn describe(&self) -> String {
        format!(
            "eval {}",
            self.assignments.iter().map(|(f, _, t)| format!("{f}={}", t.trim())).collect::<Vec<_>>().join(", ")
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        apply_evals(&self.assignments, &mut ev, &self.ctx)?;
        out.push(ev);
        Ok(())
    }
}

/// Evaluate assignments into an event; a null result removes the field.
pub fn apply_evals(assignments: &[(String, Expr, String)], ev: &mut Event, ctx: &Context) -> Result<(), ExecError> {
    let interp = Interp { ctx: &ctx.fns };
    for (field, expr, _) in assignments {
        let v = interp.eval(expr, ev).map_err(|e| ExecError::at(e.message, e.span))?;
        ev.set_opt(field, eval_to_value(v));
    }
    Ok(())
}

/// What a field stores from an eval result (booleans are stored as text).
pub fn eval_to_value(v: EvalValue) -> Option<Value> {
    match v {
        EvalValue::Null => None,
        EvalValue::Bool(b) => Some(Value::str(if b { "true" } else { "false" })),
        EvalValue::Val(v) => Some(v),
    }
}

/// A field-name pattern with `*` wildcards (rename, table, fields). Case-sensitive.
#[derive(Clone, Debug)]
pub struct NamePattern {
    pub text: String,
    prefix: String,
    suffix: String,
    star: bool,
    glob: Glob,
}

impl NamePattern {
    pub fn new(text: &str) -> NamePattern {
        let (prefix, suffix, star) = match text.split_once('*') {
            Some((p, s)) if !s.contains('*') => (p.to_string(), s.to_string(), true),
            _ => (text.to_string(), String::new(), text.contains('*')),
        };
        NamePattern { text: text.to_string(), prefix, suffix, star, glob: Glob::new(text, true) }
    }
    pub fn is_wild(&self) -> bool {
        self.star
    }
    pub fn matches(&self, name: &str) -> bool {
        if self.star {
            self.glob.matches(name)
        } else {
            name == self.text
        }
    }
    /// The part `*` matched (one-star patterns), for rename targets.
    pub fn capture<'a>(&self, name: &'a str) -> Option<&'a str> {
        if !self.star {
            return None;
        }
        if self.prefix.len() + 1 + self.suffix.len() == self.text.len() {
            // One star: the match is the affixes, and what lies between them is the capture.
            let rest = name.strip_prefix(self.prefix.as_str())?;
            // `X.* AS *`, the usual case: no suffix to compare (a call per field otherwise).
            return if self.suffix.is_empty() { Some(rest) } else { rest.strip_suffix(self.suffix.as_str()) };
        }
        if !self.matches(name) {
            return None;
        }
        name.get(self.prefix.len()..name.len().checked_sub(self.suffix.len())?)
    }
}

/// `rename a AS b, X.* AS *`. A wildcard rename moves every matching field; renaming onto an
/// existing field replaces it. Renaming a missing field removes the target (Splunk rule, see
/// docs/semantics.md "rename").
pub struct RenameOp {
    pub pairs: Vec<(NamePattern, String)>,
}

impl Operator for RenameOp {
    fn name(&self) -> &str {
        "rename"
    }
    fn describe(&self) -> String {
        format!(
            "rename {}",
            self.pairs.iter().map(|(a, b)| format!("{} AS {b}", a.text)).collect::<Vec<_>>().join(", ")
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (from, to) in &self.pairs {
            if from.is_wild() {
                // Renamed where they stand while no target exists yet (`Processes.* AS *` on a
                // data-model row: the usual case); from the first that does, name by name.
                let from_index = rename_wild_in_place(&mut ev, from, to);
                let names: Vec<crate::event::Name> =
                    ev.fields.keys().skip(from_index).filter(|k| from.matches(k)).cloned().collect();
                for name in names {
                    let Some(cap) = from.capture(&name) else { continue };
                    let target = wild_target(to, cap);
                    if target == name {
                        continue;
                    }
                    rename_in_place(&mut ev, &name, &target);
                }
            } else {
                match ev.fields.get_index_of(from.text.as_str()) {
                    Some(_) if from.text == *to => {}
                    Some(_) => rename_in_place(&mut ev, &from.text, to),
                    None => {
                        ev.remove(to);
                    }
                }
            }
        }
        out.push(ev);
        Ok(())
    }
}

/// The wildcard rename of the fields in field order, each replaced where it stands, up to the
/// first whose target is already a field: returns its index (the field count when there is
/// none). Up to there this is what renaming name by name does, without a lookup per name.
fn rename_wild_in_place(ev: &mut Event, from: &NamePattern, to: &str) -> usize {
    let mut i = 0;
    while let Some((name, _)) = ev.fields.get_index(i) {
        let Some(cap) = from.capture(name) else {
            i += 1;
            continue;
        };
        let target = wild_target(to, cap);
        if target != *name && ev.fields.replace_index(i, target).is_err() {
            return i;
        }
        i += 1;
    }
    i
}

/// The name a wildcard rename gives: `to` with its `*` replaced by what the pattern's `*`
/// matched.
fn wild_target(to: &str, cap: &str) -> crate::event::Name {
    if to == "*" {
        cap.into()
    } else {
        to.replacen('*', cap, 1).into()
    }
}

/// Rename keeping the field's position (Splunk shows renamed columns where they were); an
/// existing target is replaced.
fn rename_in_place(ev: &mut Event, old: &str, target: &str) {
    let Some(idx) = ev.fields.get_index_of(old) else {
        ev.fields.shift_remove(target);
        return;
    };
    // The key is replaced where it stands (no shifting), unless the target is elsewhere:
    // that one goes first.
    if let Err((other, key)) = ev.fields.replace_index(idx, target.into()) {
        ev.fields.shift_remove_index(other);
        let _ = ev.fields.replace_index(if other < idx { idx - 1 } else { idx }, key);
    }
}

/// `table a, b*`: only these fields, in this order (wildcards expand in field order).
pub struct TableOp {
    pub patterns: Vec<NamePattern>,
}

impl Operator for TableOp {
    fn name(&self) -> &str {
        "table"
    }
    fn describe(&self) -> String {
        format!("table {}", self.patterns.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(", "))
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut row = Event::new();
        for p in &self.patterns {
            if p.is_wild() {
                let names: Vec<crate::event::Name> = ev
                    .fields
                    .keys()
                    .filter(|k| (p.text.starts_with('_') || !k.starts_with('_')) && p.matches(k))
                    .cloned()
                    .collect();
                for n in names {
                    if let Some(v) = ev.remove(&n) {
                        row.fields.insert(n, v);
                    }
                }
            } else if let Some(v) = ev.remove(&p.text) {
                row.fields.insert(p.text.as_str().into(), v);
            }
        }
        out.push(row);
        Ok(())
    }
}

/// `fields [+] a b*` keeps, `fields - a b*` removes.
pub struct FieldsOp {
    pub remove: bool,
    pub patterns: Vec<NamePattern>,
}

impl Operator for FieldsOp {
    fn name(&self) -> &str {
        "fields"
    }
    fn describe(&self) -> String {
        format!(
            "fields {}{}",
            if self.remove { "- " } else { "" },
            self.patterns.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(", ")
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.remove {
            ev.fields.retain(|k, _| !self.patterns.iter().any(|p| p.matches(k)));
        } else {
            // Internal fields (`_time`, `_raw`) stay unless removed explicitly.
            ev.fields.retain(|k, _| k.starts_with('_') || self.patterns.iter().any(|p| p.matches(k)));
            let mut ordered = Event::new();
            for p in &self.patterns {
                let names: Vec<crate::event::Name> = ev.fields.keys().filter(|k| p.matches(k)).cloned().collect();
                for n in names {
                    if let Some(v) = ev.remove(&n) {
                        ordered.fields.insert(n, v);
                    }
                }
            }
            for (k, v) in ev.fields.drain(..) {
                ordered.fields.insert(k, v);
            }
            ev = ordered;
        }
        out.push(ev);
        Ok(())
    }
}

/// `fillnull [value=X] [fields]`. Without a field list Splunk fills every field that appears in
/// any result, so the rows are held until the end.
pub struct FillnullOp {
    pub value: String,
    pub fields: Vec<String>,
    held: Vec<Event>,
}

impl FillnullOp {
    pub fn new(value: String, fields: Vec<String>) -> Self {
        FillnullOp { value, fields, held: Vec::new() }
    }
}

impl Operator for FillnullOp {
    fn name(&self) -> &str {
        "fillnull"
    }
    fn describe(&self) -> String {
        format!(
            "fillnull value={:?} {}",
            self.value,
            if self.fields.is_empty() { "(all fields)".to_string() } else { self.fields.join(" ") }
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.fields.is_empty() {
            self.held.push(ev);
        } else {
            for f in &self.fields {
                if ev.get(f).is_none() {
                    ev.set(f.clone(), Value::str(self.value.clone()));
                }
            }
            out.push(ev);
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut all: indexmap::IndexSet<String> = indexmap::IndexSet::new();
        for e in &self.held {
            for k in e.fields.keys() {
                if !k.starts_with('_') {
                    all.insert(k.to_string());
                }
            }
        }
        for mut e in self.held.drain(..) {
            for f in &all {
                if e.get(f).is_none() {
                    e.set(f.clone(), Value::str(self.value.clone()));
                }
            }
            out.push(e);
        }
        Ok(())
    }
}

/// `convert [timeformat=...] ctime(f) [AS g] ...`. Default time format `%m/%d/%Y %H:%M:%S`.
pub struct ConvertOp {
    pub timeformat: String,
    /// (function, field pattern, alias)
    pub conversions: Vec<(String, NamePattern, Option<String>)>,
    pub ctx: Context,
}

impl Operator for ConvertOp {
    fn name(&self) -> &str {
        "convert"
    }
    fn describe(&self) -> String {
        format!(
            "convert timeformat={:?} {}",
            self.timeformat,
            self.conversions
                .iter()
                .map(|(f, p, a)| format!(
                    "{f}({}){}",
                    p.text,
                    a.as_ref().map(|a| format!(" AS {a}")).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (func, pat, alias) in &self.conversions {
            let names: Vec<String> = if pat.is_wild() {
                ev.fields.keys().filter(|k| pat.matches(k)).map(|k| k.to_string()).collect()
            } else {
                vec![pat.text.clone()]
            };
            for name in names {
                let Some(v) = ev.get(&name) else { continue };
                let converted: Vec<Atom> =
                    v.atoms().iter().filter_map(|a| convert_atom(func, a, &self.timeformat, &self.ctx)).collect();
                let target = alias.clone().unwrap_or_else(|| name.clone());
                // A value that does not convert is left as it was (Splunk keeps it).
                if let Some(nv) = Value::from_atoms(converted) {
                    ev.set(target, nv);
                }
            }
        }
        out.push(ev);
        Ok(())
    }
}

fn convert_atom(func: &str, a: &Atom, timeformat: &str, ctx: &Context) -> Option<Atom> {
    use crate::timefmt;
    match func {
        "ctime" => {
            let t = a.to_num()?;
            timefmt::strftime(t, timeformat, ctx.fns.tz.offset_seconds).map(Atom::from)
        }
        "mktime" => timefmt::strptime(&a.as_str(), timeformat, ctx.fns.tz.offset_seconds).map(Atom::Num),
        "num" | "auto" => match a.to_num() {
            Some(n) => Some(Atom::Num(n)),
            None if func == "auto" => Some(a.clone()),
            None => None,
        },
        "dur2sec" => {
            // [D+]HH:MM:SS
            let s = a.as_str();
            let (days, rest) = match s.split_once('+') {
                Some((d, r)) => (d.trim().parse::<f64>().ok()?, r.to_string()),
                None => (0.0, s.to_string()),
            };
            let parts: Vec<f64> = rest.split(':').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
            let secs = parts.iter().fold(0.0, |acc, p| acc * 60.0 + p);
            Some(Atom::Num(days * 86400.0 + secs))
        }
        "rmunit" => {
            let s = a.as_str();
            let end = s
                .char_indices()
                .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            s.get(..end).and_then(crate::value::parse_num).map(Atom::Num)
        }
        "rmcomma" => crate::value::parse_num(&a.as_str().replace(',', "")).map(Atom::Num),
        "none" => Some(a.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_wildcard_moves_prefixed_fields_only() {
        let mut ev = Event::new();
        ev.set("Processes.dest", "h");
        ev.set("values(Processes.process)", "x");
        ev.set("count", 1.0);
        let mut op = RenameOp { pairs: vec![(NamePattern::new("Processes.*"), "*".into())] };
        let mut out = Vec::new();
        op.push(ev, &mut out).unwrap();
        let keys: Vec<&str> = out[0].fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(keys[0], "dest", "renamed fields keep their position");
        assert!(keys.contains(&"values(Processes.process)"), "rename X.* must not touch values(X.y)");
    }

    #[test]
    fn fillnull_without_fields_fills_every_field_seen_in_any_result() {
        let mut op = FillnullOp::new("0".into(), Vec::new());
        let mut out = Vec::new();
        op.push(Event::from_pairs(&[("a", "1")]), &mut out).unwrap();
        op.push(Event::from_pairs(&[("b", "2"), ("_raw", "x")]), &mut out).unwrap();
        assert!(out.is_empty(), "held until the end");
        op.finish(&mut out).unwrap();
        assert_eq!(out[0].get_str("b").as_deref(), Some("0"));
        assert_eq!(out[1].get_str("a").as_deref(), Some("0"));
        assert!(out[0].get("_raw").is_none(), "internal fields are not filled");
    }

    #[test]
    fn rename_of_a_missing_field_removes_an_existing_target() {
        // Splunk (and OpenSearch PPL, which copies it): the target takes the source's absence.
        let mut ev = Event::new();
        ev.set("user", "bob");
        let mut op = RenameOp { pairs: vec![(NamePattern::new("src_user"), "user".into())] };
        let mut out = Vec::new();
        op.push(ev, &mut out).unwrap();
        assert!(out[0].get("user").is_none());
    }

    #[test]
    fn a_renamed_field_keeps_its_place_and_replaces_the_target_wherever_it_was() {
        let rename = |names: &[&str], from: &str, to: &str| -> Vec<(String, String)> {
            let mut ev = Event::new();
            for n in names {
                ev.set(*n, format!("v_{n}"));
            }
            let mut op = RenameOp { pairs: vec![(NamePattern::new(from), to.into())] };
            let mut out = Vec::new();
            op.push(ev, &mut out).unwrap();
            out[0].fields.iter().map(|(k, v)| (k.to_string(), v.first().as_str().into_owned())).collect()
        };
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        // The target before the source, after it, and absent.
        assert_eq!(rename(&["a", "x", "P.x", "c"], "P.x", "x"), pairs(&[("a", "v_a"), ("x", "v_P.x"), ("c", "v_c")]));
        assert_eq!(rename(&["P.x", "a", "x"], "P.*", "*"), pairs(&[("x", "v_P.x"), ("a", "v_a")]));
        assert_eq!(rename(&["a", "P.x", "P.y"], "P.*", "*"), pairs(&[("a", "v_a"), ("x", "v_P.x"), ("y", "v_P.y")]));
        // Targets that exist, before and after their source, with renames on either side.
        assert_eq!(
            rename(&["P.a", "x", "P.x", "P.b", "b", "P.c"], "P.*", "*"),
            pairs(&[("a", "v_P.a"), ("x", "v_P.x"), ("b", "v_P.b"), ("c", "v_P.c")])
        );
        assert_eq!(
            rename(&["P.x", "Q", "P.xy"], "P.*y", "*_y"),
            pairs(&[("P.x", "v_P.x"), ("Q", "v_Q"), ("x_y", "v_P.xy")])
        );
        // A target that itself matches, renamed name by name as the fields were listed first.
        assert_eq!(rename(&["x11", "x1"], "*1", "*"), pairs(&[("x", "v_x11")]));
    }

    #[test]
    fn name_pattern_captures_star() {
        let p = NamePattern::new("Processes.*");
        assert_eq!(p.capture("Processes.dest"), Some("dest"));
        assert_eq!(p.capture("Registry.dest"), None);
        assert_eq!(p.capture("Processes."), Some(""));
        let p = NamePattern::new("a*b");
        assert_eq!(
            (p.capture("axxb"), p.capture("ab"), p.capture("a"), p.capture("ba")),
            (Some("xx"), Some(""), None, None)
        );
    }
}
