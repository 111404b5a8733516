//! Search-time field extraction driven by content: sourcetype mappings (aliases and evals)
//! and eventtypes (which set the multivalue `eventtype` and `tag` fields data models select on).

use crate::content::Content;
use crate::eval::interp::Interp;
use crate::eval::FnContext;
use crate::event::Event;
use crate::ops::fields::eval_to_value;
use crate::value::{Atom, Value};

/// Apply every matching mapping, then eventtypes. Evaluation errors in content leave the field
/// unset rather than losing the event.
pub fn extract(content: &Content, fns: &FnContext, ev: &mut Event) {
    let interp = Interp { ctx: fns };
    for m in &content.sourcetypes {
        let applies = m.matchers.iter().all(|(field, pat)| ev.get(field).is_some_and(|v| pat.matches_value(v)));
        if !applies {
            continue;
        }
        for rule in &m.rules {
            if rule.when.as_ref().is_some_and(|w| !w.matches(ev)) {
                continue;
            }
            for (target, source) in &rule.alias {
                if let Some(v) = ev.get(source).cloned() {
                    ev.set(target.clone(), v);
                }
            }
            // EVAL- rules of one stanza all see the event as it was before them (Splunk
            // computes them independently), so evaluate first, assign after.
            let results: Vec<_> = rule.eval.iter().map(|(t, expr, _)| (t, interp.eval(expr, ev))).collect();
            for (target, v) in results {
                if let Ok(v) = v {
                    ev.set_opt(target, eval_to_value(v));
                }
            }
        }
    }
    if !content.eventtypes.is_empty() {
        let mut types = Vec::new();
        let mut tags: Vec<String> = Vec::new();
        for et in &content.eventtypes {
            if et.search.matches(ev) {
                types.push(Atom::Str(et.name.clone()));
                for t in &et.tags {
                    if !tags.contains(t) {
                        tags.push(t.clone());
                    }
                }
            }
        }
        if let Some(v) = Value::from_atoms(types) {
            ev.set("eventtype", v);
        }
        tags.sort();
        if let Some(v) = Value::from_atoms(tags.into_iter().map(Atom::Str).collect()) {
            ev.set("tag", v);
        }
    }
    if ev.get("index").is_none() {
        ev.set("index", "main");
    }
}
