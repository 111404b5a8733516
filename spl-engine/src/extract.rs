//! Search-time field extraction driven by content: sourcetype mappings (aliases and evals)
//! and eventtypes (which set the multivalue `eventtype` and `tag` fields data models select on).

use crate::content::Content;
use crate::eval::interp::Interp;
use crate::eval::FnContext;
use crate::event::Event;
use crate::needed::Skip;
use crate::ops::fields::eval_to_value;
use crate::value::{Atom, Value};

/// Apply every matching mapping, then eventtypes. Evaluation errors in content leave the field
/// unset rather than losing the event.
pub fn extract(content: &Content, fns: &FnContext, ev: &mut Event) {
    extract_with(content, fns, ev, &Skip::none());
}

/// `extract`, leaving out what no search of the run reads (see `needed`).
pub fn extract_with(content: &Content, fns: &FnContext, ev: &mut Event, skip: &Skip) {
    // Plain text events carry nothing but `_raw`: Splunk's default KV_MODE=auto pulls
    // `key=value` and `key="value"` pairs out of them before any mapping runs.
    if is_bare_text(ev) {
        if let Some(raw) = ev.get_str("_raw").map(|r| r.into_owned()) {
            for (k, v) in auto_kv(&raw) {
                if ev.get(&k).is_none() {
                    ev.set(k, v);
                }
            }
        }
    }
    // Every Splunk event has a host; inputs that name none (text, many JSON logs) get the
    // reading machine's name, as a forwarder's default `host` does.
    if ev.get("host").is_none() {
        ev.set("host", default_host());
    }
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
            let results: Vec<_> = rule
                .eval
                .iter()
                .filter(|(t, _, _)| !skip.evals.contains(t))
                .map(|(t, expr, _)| (t, interp.eval(expr, ev)))
                .collect();
            for (target, v) in results {
                if let Ok(v) = v {
                    ev.set_opt(target, eval_to_value(v));
                }
            }
        }
    }
    if !content.eventtypes.is_empty() && !skip.eventtypes {
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

/// This machine's name: `$HOSTNAME`, else /etc/hostname, else `localhost`.
pub fn default_host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_string())
    })
}

/// An event with no fields besides `_raw` and metadata (what the text reader gives).
fn is_bare_text(ev: &Event) -> bool {
    ev.get("_raw").is_some()
        && ev.fields.keys().all(|k| {
            k.starts_with('_') || matches!(k.as_str(), "source" | "sourcetype" | "host" | "index" | "linecount")
        })
}

/// Splunk's automatic key-value extraction: `key=value` (value up to whitespace or `,`/`;`) and
/// `key="quoted value"`. Keys are word characters (`.` and `-` allowed inside); the first
/// occurrence of a key wins, as Splunk keeps the first.
pub fn auto_kv(raw: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let b = raw.as_bytes();
    // Out-of-range reads give NUL, which no test below accepts.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while i < b.len() {
        if at(i) != b'=' || i == 0 {
            i += 1;
            continue;
        }
        // Key: word characters right before `=`.
        let mut k = i;
        while k > 0 && (at(k - 1).is_ascii_alphanumeric() || matches!(at(k - 1), b'_' | b'.' | b'-')) {
            k -= 1;
        }
        let key = raw.get(k..i).unwrap_or("").trim_matches(|c| c == '.' || c == '-');
        let mut j = i + 1;
        let value;
        if j < b.len() && at(j) == b'"' {
            j += 1;
            let start = j;
            while j < b.len() && at(j) != b'"' {
                if at(j) == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            value = raw.get(start..j.min(b.len())).unwrap_or("").to_string();
            j += 1;
        } else {
            let start = j;
            while j < b.len() && !at(j).is_ascii_whitespace() && !matches!(at(j), b',' | b';' | b'&') {
                j += 1;
            }
            value = raw.get(start..j).unwrap_or("").to_string();
        }
        let key_ok = key.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_');
        if key_ok && !value.is_empty() && !out.iter().any(|(x, _)| x == key) {
            out.push((key.to_string(), value));
        }
        i = j.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_kv_extracts_plain_and_quoted_pairs_first_wins() {
        let kv =
            auto_kv(r#"1700000000, search_name="Log4Shell Attack", risk_score=80, user=bob user=eve msg="a \"q\" b""#);
        assert_eq!(
            kv,
            vec![
                ("search_name".to_string(), "Log4Shell Attack".to_string()),
                ("risk_score".to_string(), "80".to_string()),
                ("user".to_string(), "bob".to_string()),
                ("msg".to_string(), r#"a \"q\" b"#.to_string()),
            ]
        );
        assert!(auto_kv("no pairs here = at all").is_empty());
    }
}
