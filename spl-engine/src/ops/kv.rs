//! `extract pairdelim="<chars>" kvdelim="<chars>"`: key/value extraction from `_raw` with the
//! given delimiters (Splunk's `extract` / `kv` with inline delimiters). Each character of
//! `pairdelim` separates pairs, the first character of `kvdelim` found in a pair separates key
//! from value; keys and values are trimmed, surrounding quotes dropped. A field the event
//! already has is not overwritten (search-time extraction does not replace existing fields);
//! pairs without a delimiter or with an empty key are skipped.

use crate::event::Event;
use crate::exec::{ExecError, Operator};

pub struct ExtractOp {
    pub pairdelim: String,
    pub kvdelim: String,
}

/// A field name Splunk would create from a key: spaces and other characters become `_`.
fn clean_key(k: &str) -> String {
    k.chars().map(|c| if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' { c } else { '_' }).collect()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(s)
}

impl ExtractOp {
    pub fn pairs(&self, raw: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for pair in raw.split(|c: char| self.pairdelim.contains(c)) {
            let Some(i) = pair.find(|c: char| self.kvdelim.contains(c)) else {
                continue;
            };
            let (k, v) = (pair[..i].trim(), &pair[i + pair[i..].chars().next().map_or(1, char::len_utf8)..]);
            if k.is_empty() {
                continue;
            }
            out.push((clean_key(unquote(k)), unquote(v).to_string()));
        }
        out
    }
}

impl Operator for ExtractOp {
    fn name(&self) -> &str {
        "extract"
    }
    fn describe(&self) -> String {
        format!("extract pairdelim={:?} kvdelim={:?} (from _raw)", self.pairdelim, self.kvdelim)
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if let Some(raw) = ev.get_str("_raw").map(|r| r.into_owned()) {
            for (k, v) in self.pairs(&raw) {
                if ev.get(&k).is_none() {
                    ev.set(k, v.as_str());
                }
            }
        }
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_with_pairdelim_and_kvdelim_splits_raw_into_fields() {
        // Splunk: `extract pairdelim=";" kvdelim=":"` reads `k:v;k2:v2` pairs from _raw.
        let mut op = ExtractOp { pairdelim: ";".into(), kvdelim: ":".into() };
        let mut e = Event::new();
        e.set("_raw", "RescanVerdict:Phish; tsd:Bob <bob@x.com>;ms:\"hi: there\";bad;:x");
        e.set("ms", "keep");
        let mut out = Vec::new();
        op.push(e, &mut out).unwrap();
        let e = &out[0];
        assert_eq!(e.get_str("RescanVerdict").as_deref(), Some("Phish"));
        assert_eq!(e.get_str("tsd").as_deref(), Some("Bob <bob@x.com>"));
        assert_eq!(e.get_str("ms").as_deref(), Some("keep"), "existing fields stay");
        assert!(e.get("bad").is_none());
    }
}
