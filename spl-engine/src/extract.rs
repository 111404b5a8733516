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

/// The index of events that name none (Splunk's default index); the prefilter relies on it.
pub const DEFAULT_INDEX: &str = "main";

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
                .enumerate()
                .filter(|(_, (t, _, _))| !skip.evals.contains(t))
                .map(|(j, (t, expr, _))| {
                    let compute = || interp.eval(expr, ev).ok().map(eval_to_value);
                    match rule.memo_inputs.get(j).and_then(Option::as_ref) {
                        Some(inputs) => (t, memoised(rule.id, j, inputs, ev, compute)),
                        None => (t, compute()),
                    }
                })
                .collect();
            // An evaluation error leaves the field as it was.
            for (target, v) in results {
                if let Some(v) = v {
                    ev.set_opt(target, v);
                }
            }
        }
    }
    if !content.eventtypes.is_empty() && !skip.eventtypes {
        let (types, tags) = match &content.eventtype_inputs {
            Some((id, inputs)) => (
                memoised(*id, 0, inputs, ev, || Some(eventtypes_of(content, ev).0)),
                memoised(*id, 1, inputs, ev, || Some(eventtypes_of(content, ev).1)),
            ),
            None => {
                let (types, tags) = eventtypes_of(content, ev);
                (Some(types), Some(tags))
            }
        };
        if let Some(v) = types.flatten() {
            ev.set("eventtype", v);
        }
        if let Some(v) = tags.flatten() {
            ev.set("tag", v);
        }
    }
    if ev.get("index").is_none() {
        ev.set("index", DEFAULT_INDEX);
    }
}

/// The `eventtype` and `tag` values of an event: the eventtypes whose search it matches, and
/// their tags, sorted and distinct.
fn eventtypes_of(content: &Content, ev: &Event) -> (Option<Value>, Option<Value>) {
    let mut types = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    for et in &content.eventtypes {
        if et.search.matches(ev) {
            types.push(Atom::from(et.name.as_str()));
            for t in &et.tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
        }
    }
    tags.sort();
    (Value::from_atoms(types), Value::from_atoms(tags.into_iter().map(Atom::from).collect()))
}

/// Functions whose result depends on their arguments alone (no clock, time zone, randomness or
/// other fields): an expression made of these and field references can be memoised.
const PURE: &[&str] = &[
    "case",
    "coalesce",
    "false",
    "if",
    "isnotnull",
    "isnull",
    "len",
    "like",
    "lower",
    "ltrim",
    "match",
    "mvcount",
    "mvindex",
    "mvjoin",
    "null",
    "nullif",
    "replace",
    "rtrim",
    "split",
    "substr",
    "tonumber",
    "tostring",
    "trim",
    "true",
    "upper",
    "urldecode",
];

/// The fields an expression reads, when its value depends on them alone; `None` otherwise.
pub fn memo_inputs(e: &spl_parser::ast::Expr) -> Option<Vec<String>> {
    fn walk(e: &spl_parser::ast::Expr, out: &mut Vec<String>) -> bool {
        use spl_parser::ast::ExprKind;
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Num(_) => true,
            ExprKind::Field(f) => {
                if !out.contains(f) {
                    out.push(f.clone());
                }
                true
            }
            ExprKind::Call { name, args } => PURE.contains(&name.as_str()) && args.iter().all(|a| walk(a, out)),
            ExprKind::Unary { expr, .. } => walk(expr, out),
            ExprKind::Binary { lhs, rhs, .. } => walk(lhs, out) && walk(rhs, out),
            ExprKind::In { expr, list } => walk(expr, out) && list.iter().all(|a| walk(a, out)),
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out).then_some(out)
}

pub fn new_rule_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Bytes of inputs one memo keeps at most (then it starts over).
const MEMO_BYTES: usize = 64 << 10;
/// Lookups after which a memo that rarely hits is turned off (inputs unique per event, such as
/// command lines, would only cost the key).
const MEMO_TRIAL: u32 = 2048;

struct Memo {
    /// Input values → the field's value (`None` inside: unset), or `None`: an error.
    map: crate::memo::BoundedMemo<String, Option<Option<Value>>>,
    lookups: u32,
    hits: u32,
    off: bool,
}

impl Default for Memo {
    fn default() -> Self {
        Memo { map: crate::memo::BoundedMemo::new(MEMO_BYTES), lookups: 0, hits: 0, off: false }
    }
}

/// The memos of one thread, and a buffer their keys are built in (a hit allocates nothing).
#[derive(Default)]
struct Memos {
    /// Per (rule id, eval index).
    by: std::collections::HashMap<(u64, usize), Memo, ahash::RandomState>,
    key: String,
}

thread_local! {
    /// On each parsing thread.
    static MEMOS: std::cell::RefCell<Memos> = Default::default();
}

/// The values of `inputs` as one key, into `key`; the type is part of it, as eval compares
/// numbers and strings differently.
fn memo_key(inputs: &[String], ev: &Event, key: &mut String) {
    use std::fmt::Write;
    key.clear();
    for f in inputs {
        let Some(v) = ev.get(f) else {
            key.push_str("\u{0}\u{3}");
            continue;
        };
        for a in v.atoms() {
            match a {
                Atom::Num(n) => {
                    let _ = write!(key, "\u{1}{}", n.to_bits());
                }
                Atom::Str(s) => {
                    key.push('\u{2}');
                    key.push_str(s);
                }
            }
        }
        key.push('\u{3}');
    }
}

/// `compute()`, or what it gave before for the same values of `inputs`.
pub(crate) fn memoised(
    rule: u64,
    j: usize,
    inputs: &[String],
    ev: &Event,
    compute: impl FnOnce() -> Option<Option<Value>>,
) -> Option<Option<Value>> {
    enum Found {
        Hit(Option<Option<Value>>),
        /// Turned off: compute, remember nothing.
        Off,
        /// Compute and remember under this key.
        Miss(String),
    }
    // `compute` runs outside the borrow: nothing it calls may find the memos borrowed.
    let found = MEMOS.with(|m| {
        let mut m = m.borrow_mut();
        let Memos { by, key } = &mut *m;
        let memo = by.entry((rule, j)).or_default();
        // A memo turned off costs one lookup, not a key.
        if memo.off {
            return Found::Off;
        }
        memo_key(inputs, ev, key);
        memo.lookups += 1;
        if let Some(v) = memo.map.get(key.as_str()) {
            memo.hits += 1;
            return Found::Hit(v.clone());
        }
        if memo.lookups >= MEMO_TRIAL && memo.hits < memo.lookups / 4 {
            *memo = Memo { off: true, ..Memo::default() };
            return Found::Off;
        }
        Found::Miss(key.clone())
    });
    let key = match found {
        Found::Hit(v) => return v,
        Found::Off => return compute(),
        Found::Miss(key) => key,
    };
    let v = compute();
    MEMOS.with(|m| {
        if let Some(memo) = m.borrow_mut().by.get_mut(&(rule, j)) {
            let size = key.len() + 64;
            memo.map.insert(key, v.clone(), size);
        }
    });
    v
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
    fn only_expressions_of_fields_and_pure_functions_are_memoised() {
        let inputs = |t: &str| memo_inputs(&spl_parser::parse_eval_expr(t).unwrap());
        assert_eq!(
            inputs(r#"if(match(coalesce(Hashes, Hash), "MD5="), replace(Hashes, "^.*MD5=(\w+).*$", "\1"), null())"#),
            Some(vec!["Hashes".to_string(), "Hash".to_string()])
        );
        assert_eq!(inputs(r#"case(EventID="1", "a", EventID IN ("2", "3"), "b")"#), Some(vec!["EventID".to_string()]));
        assert_eq!(inputs("now()"), None, "the clock");
        assert_eq!(inputs(r#"strptime(t, "%Y")"#), None, "the time zone");
        assert_eq!(inputs("searchmatch(\"x\")"), None, "the whole event");
    }

    #[test]
    fn memoised_extraction_gives_what_evaluating_gives() {
        let mut c = Content::default();
        let yaml = "name: t\nmatch:\n  source: x\nrules:\n  - eval:\n      \
                    kind: 'case(n=1, \"one\", true(), \"other\") . \"/\" . tostring(n)'\n      \
                    up: 'upper(v)'\n";
        let file = crate::content::ContentFile { path: "m/sourcetypes/t.yml".into(), text: yaml.to_string() };
        c.load_files(std::path::Path::new("m"), vec![file]).unwrap();
        let fns = FnContext { now: 0.0, tz: Default::default() };
        let interp = Interp { ctx: &fns };
        let rule = c.sourcetypes[0].rules[0].clone();
        // Enough events to pass the trial: the unique `v` turns its memo off; `n` repeats, as a
        // number and as texts that compare equal to it but print differently.
        for i in 0..5000 {
            let mut ev = Event::from_pairs(&[("source", "x"), ("v", &format!("v{i}"))]);
            match i % 4 {
                0 => ev.set("n", 1.0),
                1 => ev.set("n", "01"),
                2 => ev.set("n", "1"),
                _ => {}
            }
            let plain: Vec<Option<Value>> =
                rule.eval.iter().map(|(_, e, _)| interp.eval(e, &ev).ok().and_then(eval_to_value)).collect();
            extract(&c, &fns, &mut ev);
            for ((name, _, _), want) in rule.eval.iter().zip(plain) {
                assert_eq!(ev.get(name), want.as_ref(), "{name} of event {i}");
            }
        }
        MEMOS.with(|m| {
            let m = m.borrow();
            assert!(!m.by[&(rule.id, 0)].off && m.by[&(rule.id, 0)].hits > 4000, "repeated inputs hit");
            assert!(m.by[&(rule.id, 1)].off, "unique inputs turn the memo off");
        });
    }

    #[test]
    fn memoised_eventtypes_and_tags_are_those_matching_gives() {
        let mut c = Content::default();
        let yaml = "- name: proc\n  search: 'source=\"*Sysmon*\" EventCode IN (1, 5)'\n  tags: [process, report]\n\
                    - name: net\n  search: 'source=\"*Sysmon*\" EventCode=3 NOT action=blocked'\n  tags: [network, communicate]\n\
                    - name: any\n  search: 'EventCode>2'\n  tags: [report, any]\n";
        let file = crate::content::ContentFile { path: "m/eventtypes/t.yml".into(), text: yaml.to_string() };
        c.load_files(std::path::Path::new("m"), vec![file]).unwrap();
        let (id, inputs) = c.eventtype_inputs.clone().expect("memoised on the fields the searches read");
        assert_eq!(inputs, ["source", "EventCode", "action"]);
        let mut unmemoised = c.clone();
        unmemoised.eventtype_inputs = None;
        let fns = FnContext { now: 0.0, tz: Default::default() };
        let mut tagged = [0; 3];
        for i in 0..3000 {
            let mut ev = Event::from_pairs(&[("source", if i % 5 == 0 { "Security" } else { "x:Sysmon/Op" })]);
            match i % 4 {
                0 => ev.set("EventCode", "1"),
                1 => ev.set("EventCode", 3.0),
                2 => ev.set("EventCode", "03"),
                _ => {}
            }
            if i % 3 == 0 {
                ev.set("action", "blocked");
            }
            let mut want = ev.clone();
            extract(&unmemoised, &fns, &mut want);
            extract(&c, &fns, &mut ev);
            assert_eq!((ev.get("eventtype"), ev.get("tag")), (want.get("eventtype"), want.get("tag")), "event {i}");
            for (n, t) in tagged.iter_mut().zip(["process", "network", "any"]) {
                *n += usize::from(want.get("tag").is_some_and(|v| v.atoms().iter().any(|a| a.as_str() == t)));
            }
        }
        assert!(tagged.iter().all(|&n| n > 200), "every eventtype matched some events: {tagged:?}");
        MEMOS.with(|m| assert!(m.borrow().by[&(id, 1)].hits > 2900, "the few distinct inputs hit"));
    }

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
