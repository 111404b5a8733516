//! `foreach f1 f2* [ template ]`: for each field of the row matching the patterns (in
//! lexicographic order), substitute `<<FIELD>>`, `<<MATCHSTR>>`, `<<MATCHSEGn>>` into the
//! template and run it on the row. The template is planned once per field name and cached.

use std::collections::HashMap;

use crate::event::Event;
use crate::exec::{Context, ExecError, Operator, Pipeline};
use crate::ops::subsearch::run_over;

/// A field-name pattern whose `*`s capture (for `<<MATCHSTR>>`/`<<MATCHSEGn>>`).
#[derive(Clone, Debug)]
pub struct CapturePattern {
    pub text: String,
    parts: Vec<String>,
}

impl CapturePattern {
    pub fn new(text: &str) -> CapturePattern {
        CapturePattern { text: text.to_string(), parts: text.split('*').map(str::to_string).collect() }
    }

    /// The segments matched by each `*`, or `None` when the name does not match.
    pub fn captures(&self, name: &str) -> Option<Vec<String>> {
        let (first, rest) = self.parts.split_first()?;
        let tail = name.strip_prefix(first.as_str())?;
        let mut segs = Vec::new();
        if capture_rest(rest, tail, &mut segs) {
            Some(segs)
        } else {
            None
        }
    }
}

/// Match `text` against `*p1*p2...` (each part preceded by a star), shortest segments first.
fn capture_rest(parts: &[String], text: &str, segs: &mut Vec<String>) -> bool {
    let Some((part, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    if rest.is_empty() {
        // Last star: the segment must end right before the final literal.
        return match text.strip_suffix(part.as_str()) {
            Some(seg) => {
                segs.push(seg.to_string());
                true
            }
            None => false,
        };
    }
    let mut start = 0;
    while let Some(off) = text.get(start..).and_then(|t| t.find(part.as_str())) {
        let at = start + off;
        segs.push(text.get(..at).unwrap_or("").to_string());
        if capture_rest(rest, text.get(at + part.len()..).unwrap_or(""), segs) {
            return true;
        }
        segs.pop();
        start = at + part.len().max(1);
        if start > text.len() {
            break;
        }
        while !text.is_char_boundary(start) {
            start += 1;
        }
    }
    false
}

/// Substitute the foreach tokens for one field.
pub fn substitute(template: &str, field: &str, segs: &[String]) -> String {
    let mut s = template.replace("<<FIELD>>", field).replace("<<MATCHSTR>>", &segs.join(""));
    // Highest index first so `<<MATCHSEG1>>` does not eat the start of `<<MATCHSEG10>>`.
    for (i, seg) in segs.iter().enumerate().rev() {
        s = s.replace(&format!("<<MATCHSEG{}>>", i + 1), seg);
    }
    s
}

/// Commands a foreach template may hold: row-wise ones, so a per-row run is meaningful.
pub const TEMPLATE_COMMANDS: &[&str] = &["eval", "where", "rex", "search", "fillnull", "rename", "fields"];

pub struct ForeachOp {
    pub patterns: Vec<CapturePattern>,
    pub template: String,
    pub ctx: Context,
    plans: HashMap<String, Pipeline>,
}

impl ForeachOp {
    pub fn new(patterns: Vec<CapturePattern>, template: String, ctx: Context) -> ForeachOp {
        ForeachOp { patterns, template, ctx, plans: HashMap::new() }
    }

    fn plan_for(&mut self, field: &str, segs: &[String]) -> Result<&mut Pipeline, ExecError> {
        if !self.plans.contains_key(field) {
            // A leading `|`: without it the parser reads an implicit `search`.
            let text = format!(
                "| {}",
                substitute(&self.template, field, segs).trim_start_matches(|c: char| c == '|' || c.is_whitespace())
            );
            let parsed = spl_parser::parse_pipeline(&text)
                .map_err(|e| ExecError::new(format!("foreach template for `{field}`: `{text}`: {}", e.message)))?;
            if let Some(c) = parsed.commands.iter().find(|c| !TEMPLATE_COMMANDS.contains(&c.name.as_str())) {
                return Err(ExecError::new(format!("foreach template command `{}` is not supported", c.name)));
            }
            let p = crate::plan::plan(&parsed, &text, &self.ctx)
                .map_err(|e| ExecError::new(format!("foreach template for `{field}`: {e}")))?;
            self.plans.insert(field.to_string(), p);
        }
        self.plans.get_mut(field).ok_or_else(|| ExecError::new("foreach: template plan lost"))
    }
}

impl Operator for ForeachOp {
    fn name(&self) -> &str {
        "foreach"
    }
    fn describe(&self) -> String {
        format!(
            "foreach {} [{}] (fields in lexicographic order)",
            self.patterns.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" "),
            self.template
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        // Internal fields (`_time`, `_raw`) only match patterns that start with `_`.
        let mut fields: Vec<(String, Vec<String>)> = Vec::new();
        for name in ev.fields.keys() {
            for p in &self.patterns {
                if name.starts_with('_') && !p.text.starts_with('_') {
                    continue;
                }
                if let Some(segs) = p.captures(name) {
                    fields.push((name.to_string(), segs));
                    break;
                }
            }
        }
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        let mut row = ev;
        for (field, segs) in fields {
            let p = self.plan_for(&field, &segs)?;
            match run_over(&mut p.ops, vec![row])?.into_iter().next() {
                Some(r) => row = r,
                None => return Ok(()),
            }
        }
        out.push(row);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::new(Default::default(), 0.0)
    }

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    #[test]
    fn foreach_matchstr_and_matchseg_capture_wildcards() {
        assert_eq!(CapturePattern::new("stdev_*").captures("stdev_count"), Some(vec!["count".to_string()]));
        assert_eq!(CapturePattern::new("a*_*").captures("ab_c_d"), Some(vec!["b".to_string(), "c_d".to_string()]));
        assert_eq!(CapturePattern::new("a*").captures("b"), None);
        assert_eq!(CapturePattern::new("x").captures("x"), Some(vec![]));
        assert_eq!(substitute("<<FIELD>>=<<MATCHSEG1>>+<<MATCHSTR>>", "a_b", &["b".into()]), "a_b=b+b");
    }

    #[test]
    fn foreach_visits_fields_in_lexicographic_order() {
        // Rule (linux_auditd macros): a10 comes before a2, and argc also matches a*.
        let mut op =
            ForeachOp::new(vec![CapturePattern::new("a*")], "eval joined=joined.'<<FIELD>>'.\",\"".into(), ctx());
        let mut out = Vec::new();
        op.push(ev(&[("a0", "x"), ("a2", "z"), ("a10", "y"), ("argc", "3"), ("_a", "no"), ("joined", "")]), &mut out)
            .unwrap();
        assert_eq!(out[0].get_str("joined").as_deref(), Some("x,y,z,3,"));
    }

    #[test]
    fn foreach_template_assigning_null_removes_the_field() {
        let mut op = ForeachOp::new(
            vec![CapturePattern::new("*")],
            "eval <<FIELD>> = if(<<FIELD>>=\"null\",no_such_field,<<FIELD>>)".into(),
            ctx(),
        );
        let mut out = Vec::new();
        op.push(ev(&[("a", "null"), ("b", "keep"), ("_time", "1")]), &mut out).unwrap();
        assert!(out[0].get("a").is_none());
        assert_eq!(out[0].get_str("b").as_deref(), Some("keep"));
        assert_eq!(out[0].get_str("_time").as_deref(), Some("1"));
    }

    #[test]
    fn foreach_matchstr_inside_quoted_field_names() {
        let t = "eval anomalies=if('<<MATCHSTR>>' > ('avg_<<MATCHSTR>>' + 3*'stdev_<<MATCHSTR>>'), anomalies.\"<<MATCHSTR>>\", anomalies)";
        let mut op = ForeachOp::new(vec![CapturePattern::new("stdev_*")], t.into(), ctx());
        let mut out = Vec::new();
        op.push(
            ev(&[
                ("n", "100"),
                ("avg_n", "10"),
                ("stdev_n", "5"),
                ("m", "1"),
                ("avg_m", "1"),
                ("stdev_m", "1"),
                ("anomalies", ""),
            ]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out[0].get_str("anomalies").as_deref(), Some("n"));
    }
}
