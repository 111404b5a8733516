//! Small commands: `replace`, `addtotals`, `makeresults`, `top`/`rare`, `makemv`, `nomv`,
//! `mvcombine`.

use indexmap::IndexMap;

use crate::event::Event;
use crate::exec::{ExecError, Operator};
use crate::ops::fields::NamePattern;
use crate::ops::foreach::CapturePattern;
use crate::value::{Atom, Value};

/// `replace "old" WITH "new" [, ...] [IN f1, f2]`: whole-value glob replacement; each `*` in
/// the replacement takes the text the corresponding `*` of the pattern matched. The first
/// matching pair wins. Without `IN`, every field.
pub struct ReplaceOp {
    pub pairs: Vec<(CapturePattern, String)>,
    pub fields: Vec<NamePattern>,
}

fn fill_stars(repl: &str, segs: &[String]) -> String {
    let mut out = String::new();
    let mut it = segs.iter();
    for (i, part) in repl.split('*').enumerate() {
        if i > 0 {
            out.push_str(it.next().map_or("", |s| s.as_str()));
        }
        out.push_str(part);
    }
    out
}

impl ReplaceOp {
    fn replace(&self, v: &str) -> Option<String> {
        self.pairs.iter().find_map(|(p, r)| p.captures(v).map(|segs| fill_stars(r, &segs)))
    }
}

impl Operator for ReplaceOp {
    fn name(&self) -> &str {
        "replace"
    }
    fn describe(&self) -> String {
        let pairs: Vec<String> = self.pairs.iter().map(|(p, r)| format!("{:?} WITH {:?}", p.text, r)).collect();
        let fields: Vec<&str> = self.fields.iter().map(|f| f.text.as_str()).collect();
        format!(
            "replace {} IN {}",
            pairs.join(", "),
            if fields.is_empty() { "*".to_string() } else { fields.join(", ") }
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let names: Vec<String> = ev
            .fields
            .keys()
            .filter(|k| self.fields.is_empty() || self.fields.iter().any(|p| p.matches(k)))
            .map(|k| k.to_string())
            .collect();
        for name in names {
            let Some(v) = ev.get(&name) else { continue };
            let mut changed = false;
            let atoms: Vec<Atom> = v
                .atoms()
                .iter()
                .map(|a| match self.replace(&a.as_str()) {
                    Some(r) => {
                        changed = true;
                        Atom::from(r)
                    }
                    None => a.clone(),
                })
                .collect();
            if changed {
                ev.set_opt(&name, Value::from_atoms(atoms));
            }
        }
        out.push(ev);
        Ok(())
    }
}

/// `addtotals [fieldname=Total] [f1 f2 ...]`: the sum of the numeric values of the listed
/// fields (default: every numeric field), per row. Non-numeric values are ignored.
pub struct AddtotalsOp {
    pub fieldname: String,
    pub fields: Vec<NamePattern>,
}

impl Operator for AddtotalsOp {
    fn name(&self) -> &str {
        "addtotals"
    }
    fn describe(&self) -> String {
        format!(
            "addtotals fieldname={} {}",
            self.fieldname,
            self.fields.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join(" ")
        )
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut sum = 0.0;
        let mut any = false;
        for (k, v) in &ev.fields {
            if *k == self.fieldname || (self.fields.is_empty() && k.starts_with('_')) {
                continue;
            }
            if !self.fields.is_empty() && !self.fields.iter().any(|p| p.matches(k)) {
                continue;
            }
            for a in v.atoms() {
                if let Some(n) = a.to_num() {
                    sum += n;
                    any = true;
                }
            }
        }
        if any {
            ev.set(self.fieldname.clone(), sum);
        }
        out.push(ev);
        Ok(())
    }
}

/// `makeresults [count=N]`: N rows holding only `_time` (the search time).
pub struct MakeresultsOp {
    pub count: usize,
    pub now: f64,
}

impl Operator for MakeresultsOp {
    fn name(&self) -> &str {
        "makeresults"
    }
    fn describe(&self) -> String {
        format!("makeresults count={}", self.count)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        // Not first in the pipeline: Splunk's makeresults still only generates.
        let _ = (ev, out);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for _ in 0..self.count {
            let mut e = Event::new();
            e.set("_time", self.now.floor());
            out.push(e);
        }
        Ok(())
    }
}

/// Per value combination its count, and the group's total.
type GroupCounts = (IndexMap<Vec<String>, u64>, u64);

/// The first row of a group and the values collected so far.
type Combined = (Event, Vec<Atom>);

/// `top`/`rare [limit=N] f1 [f2] [by g]`: the most (least) common value combinations with
/// `count` and `percent` (of the group's rows that have all the fields), `limit` per group.
pub struct TopOp {
    pub rare: bool,
    pub fields: Vec<String>,
    pub by: Vec<String>,
    /// 0 = all.
    pub limit: usize,
    pub countfield: String,
    pub percentfield: String,
    pub showcount: bool,
    pub showperc: bool,
    /// group → (combination → count), in first-seen order.
    groups: IndexMap<Vec<String>, GroupCounts>,
}

impl TopOp {
    pub fn new(rare: bool, fields: Vec<String>, by: Vec<String>, limit: usize) -> TopOp {
        TopOp {
            rare,
            fields,
            by,
            limit,
            countfield: "count".into(),
            percentfield: "percent".into(),
            showcount: true,
            showperc: true,
            groups: IndexMap::new(),
        }
    }
}

impl Operator for TopOp {
    fn name(&self) -> &str {
        if self.rare {
            "rare"
        } else {
            "top"
        }
    }
    fn describe(&self) -> String {
        format!(
            "{} limit={} {}{}",
            self.name(),
            self.limit,
            self.fields.join(", "),
            if self.by.is_empty() { String::new() } else { format!(" by {}", self.by.join(", ")) }
        )
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        let text = |f: &String| ev.get(f).map(|v| v.as_str().into_owned());
        let (Some(g), Some(k)) = (
            self.by.iter().map(text).collect::<Option<Vec<_>>>(),
            self.fields.iter().map(text).collect::<Option<Vec<_>>>(),
        ) else {
            return Ok(());
        };
        let (counts, total) = self.groups.entry(g).or_default();
        *counts.entry(k).or_insert(0) += 1;
        *total += 1;
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (g, (counts, total)) in std::mem::take(&mut self.groups) {
            let mut rows: Vec<(Vec<String>, u64)> = counts.into_iter().collect();
            // Stable: ties keep first-seen order.
            if self.rare {
                rows.sort_by_key(|r| r.1);
            } else {
                rows.sort_by_key(|r| std::cmp::Reverse(r.1));
            }
            let limit = if self.limit == 0 { usize::MAX } else { self.limit };
            for (k, c) in rows.into_iter().take(limit) {
                let mut e = Event::new();
                for (f, v) in self.by.iter().zip(&g) {
                    e.set(f.clone(), v.as_str());
                }
                for (f, v) in self.fields.iter().zip(&k) {
                    e.set(f.clone(), v.as_str());
                }
                if self.showcount {
                    e.set(self.countfield.clone(), c as f64);
                }
                if self.showperc && total > 0 {
                    // Splunk prints the percentage with six decimals.
                    let p = (c as f64 * 100.0 / total as f64 * 1e6).round() / 1e6;
                    e.set(self.percentfield.clone(), format!("{p:.6}"));
                }
                out.push(e);
            }
        }
        Ok(())
    }
}

/// `makemv [delim=" "] [tokenizer=re] [allowempty=f] f`: split a single value into multivalue.
pub struct MakemvOp {
    pub field: String,
    pub delim: String,
    pub tokenizer: Option<std::sync::Arc<crate::regex_util::SplRegex>>,
    pub allowempty: bool,
}

impl Operator for MakemvOp {
    fn name(&self) -> &str {
        "makemv"
    }
    fn describe(&self) -> String {
        match &self.tokenizer {
            Some(t) => format!("makemv tokenizer={:?} {}", t.as_str(), self.field),
            None => format!("makemv delim={:?} {}", self.delim, self.field),
        }
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(v) = ev.get(&self.field) {
            let text = v.as_str().into_owned();
            let parts: Vec<String> = match &self.tokenizer {
                // Each match gives its first capture group (the whole match without groups).
                Some(re) => re
                    .captures_iter(&text, usize::MAX)
                    .iter()
                    .filter_map(|c| c.get(1).or_else(|| c.get(0)).map(str::to_string))
                    .collect(),
                None if self.delim.is_empty() => vec![text],
                None => text.split(self.delim.as_str()).map(str::to_string).collect(),
            };
            let atoms: Vec<Atom> =
                parts.into_iter().filter(|p| self.allowempty || !p.is_empty()).map(Atom::from).collect();
            ev.set_opt(&self.field, Value::from_atoms(atoms));
        }
        out.push(ev);
        Ok(())
    }
}

/// `nomv f`: a multivalue field becomes one value, values joined by newlines.
pub struct NomvOp {
    pub field: String,
}

impl Operator for NomvOp {
    fn name(&self) -> &str {
        "nomv"
    }
    fn describe(&self) -> String {
        format!("nomv {}", self.field)
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(v) = ev.get(&self.field) {
            let s = v.as_str().into_owned();
            ev.set(self.field.clone(), s);
        }
        out.push(ev);
        Ok(())
    }
}

/// `mvcombine [delim=" "] f`: rows equal in every other field become one row whose `f` holds
/// all their values (multivalue), in first-seen order.
pub struct MvcombineOp {
    pub field: String,
    groups: IndexMap<Vec<(String, String)>, Combined>,
    passthrough: Vec<Event>,
}

impl MvcombineOp {
    pub fn new(field: String) -> MvcombineOp {
        MvcombineOp { field, groups: IndexMap::new(), passthrough: Vec::new() }
    }
}

impl Operator for MvcombineOp {
    fn name(&self) -> &str {
        "mvcombine"
    }
    fn describe(&self) -> String {
        format!("mvcombine {}", self.field)
    }
    fn push(&mut self, mut ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(v) = ev.remove(&self.field) else {
            self.passthrough.push(ev);
            return Ok(());
        };
        let key: Vec<(String, String)> = ev
            .fields
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, v)| (k.to_string(), v.as_str().into_owned()))
            .collect();
        let slot = self.groups.entry(key).or_insert_with(|| (ev, Vec::new()));
        slot.1.extend(v.into_atoms());
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (_, (mut ev, atoms)) in std::mem::take(&mut self.groups) {
            ev.set_opt(&self.field, Value::from_atoms(atoms));
            out.push(ev);
        }
        out.append(&mut self.passthrough);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op as run;

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    #[test]
    fn replace_whole_value_glob_with_star_capture() {
        let mut op = ReplaceOp {
            pairs: vec![
                (CapturePattern::new("::ffff:*"), "*".into()),
                (CapturePattern::new("%%14674"), "Value Added".into()),
            ],
            fields: vec![NamePattern::new("src"), NamePattern::new("OperationType")],
        };
        let out = run(
            &mut op,
            vec![
                ev(&[("src", "::ffff:10.1.1.1"), ("OperationType", "%%14674"), ("other", "::ffff:1")]),
                ev(&[("src", "x::ffff:1")]),
            ],
        );
        assert_eq!(out[0].get_str("src").as_deref(), Some("10.1.1.1"));
        assert_eq!(out[0].get_str("OperationType").as_deref(), Some("Value Added"));
        assert_eq!(out[0].get_str("other").as_deref(), Some("::ffff:1"), "only IN fields");
        assert_eq!(out[1].get_str("src").as_deref(), Some("x::ffff:1"), "whole value, anchored");
    }

    #[test]
    fn addtotals_sums_numeric_values_of_listed_fields() {
        let mut op = AddtotalsOp {
            fieldname: "Score".into(),
            fields: vec![NamePattern::new("a"), NamePattern::new("b"), NamePattern::new("c")],
        };
        let out = run(&mut op, vec![ev(&[("a", "1"), ("b", "2.5"), ("c", "x"), ("d", "100")])]);
        assert_eq!(out[0].get_str("Score").as_deref(), Some("3.5"));
    }

    #[test]
    fn top_counts_and_percent_sorted_by_count_with_limit() {
        let mut op = TopOp::new(false, vec!["f".into()], vec![], 1);
        let out = run(&mut op, vec![ev(&[("f", "a")]), ev(&[("f", "b")]), ev(&[("f", "b")]), ev(&[])]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].get_str("f").as_deref(), Some("b"));
        assert_eq!(out[0].get_str("count").as_deref(), Some("2"));
        assert_eq!(out[0].get_str("percent").as_deref(), Some("66.666667"));
        let mut op = TopOp::new(true, vec!["f".into()], vec![], 10);
        let out = run(&mut op, vec![ev(&[("f", "a")]), ev(&[("f", "b")]), ev(&[("f", "b")])]);
        assert_eq!(out[0].get_str("f").as_deref(), Some("a"), "rare: least common first");
    }

    #[test]
    fn makemv_delim_and_tokenizer() {
        let mut op = MakemvOp { field: "Scope".into(), delim: " ".into(), tokenizer: None, allowempty: false };
        let out = run(&mut op, vec![ev(&[("Scope", "a  b c")])]);
        assert_eq!(out[0].get("Scope").unwrap().atoms().len(), 3, "empty values dropped without allowempty");
        let re = crate::regex_util::compile(r"([\w\d\-]+)").unwrap();
        let mut op = MakemvOp { field: "p".into(), delim: " ".into(), tokenizer: Some(re), allowempty: false };
        let out = run(&mut op, vec![ev(&[("p", "cmd.exe /c whoami-x")])]);
        let v: Vec<String> = out[0].get("p").unwrap().atoms().iter().map(|a| a.to_string()).collect();
        assert_eq!(v, vec!["cmd", "exe", "c", "whoami-x"]);
    }

    #[test]
    fn mvcombine_merges_rows_equal_in_other_fields_and_nomv_joins() {
        let mut op = MvcombineOp::new("v".into());
        let out = run(
            &mut op,
            vec![ev(&[("k", "1"), ("v", "a")]), ev(&[("k", "2"), ("v", "b")]), ev(&[("k", "1"), ("v", "c")])],
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].get("v").unwrap().atoms().len(), 2);
        let mut op = NomvOp { field: "v".into() };
        let out = run(&mut op, out);
        assert_eq!(out[0].get_str("v").as_deref(), Some("a\nc"));
    }

    #[test]
    fn makeresults_generates_count_rows_with_time() {
        let mut op = MakeresultsOp { count: 2, now: 100.5 };
        let out = run(&mut op, vec![]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].get_str("_time").as_deref(), Some(crate::value::format_num(100.0).as_str()));
    }
}
