//! `rex`: named-group extraction (`max_match`, `field=`) and `mode=sed` substitution.

use crate::event::Event;
use crate::exec::{ExecError, Operator};
use std::sync::Arc;

use crate::regex_util::SplRegex;
use crate::value::{Atom, Value};

pub enum RexMode {
    Extract {
        max_match: usize,
    },
    /// `s/re/repl/flags`: replace the first match, the Nth, or all (`g`).
    Sed {
        replacement: String,
        global: bool,
        nth: usize,
    },
    /// `y/abc/xyz/`: character transliteration.
    Translit(Vec<(char, char)>),
}

pub struct RexOp {
    pub field: String,
    pub re: Option<Arc<SplRegex>>,
    pub mode: RexMode,
    pub text: String,
}

impl Operator for RexOp {
    fn name(&self) -> &str {
        "rex"
    }
    fn describe(&self) -> String {
        format!("rex field={} {}", self.field, self.text)
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(v) = ev.get(&self.field).cloned() else {
            out.push(ev);
            return Ok(());
        };
        match (&self.mode, &self.re) {
            (RexMode::Extract { max_match }, Some(re)) => {
                let limit = if *max_match == 0 { usize::MAX } else { *max_match };
                let mut found: indexmap::IndexMap<String, Vec<Atom>> = indexmap::IndexMap::new();
                let mut left = limit;
                for a in v.atoms() {
                    if left == 0 {
                        break;
                    }
                    let text = a.as_str();
                    for m in re.captures_iter(&text, left) {
                        left = left.saturating_sub(1);
                        for (name, val) in m.named() {
                            found.entry(name.to_string()).or_default().push(Atom::from(val));
                        }
                    }
                }
                for (name, vals) in found {
                    if let Some(nv) = Value::from_atoms(vals) {
                        ev.set(name, nv);
                    }
                }
            }
            (RexMode::Sed { replacement, global, nth }, Some(re)) => {
                let atoms: Vec<Atom> = v
                    .atoms()
                    .iter()
                    .map(|a| Atom::from(replace_sed(re, &a.as_str(), replacement, *global, *nth)))
                    .collect();
                if let Some(nv) = Value::from_atoms(atoms) {
                    ev.set(self.field.clone(), nv);
                }
            }
            (RexMode::Translit(map), _) => {
                let atoms: Vec<Atom> = v
                    .atoms()
                    .iter()
                    .map(|a| {
                        Atom::Str(
                            a.as_str()
                                .chars()
                                .map(|c| map.iter().find(|(f, _)| *f == c).map_or(c, |(_, t)| *t))
                                .collect(),
                        )
                    })
                    .collect();
                if let Some(nv) = Value::from_atoms(atoms) {
                    ev.set(self.field.clone(), nv);
                }
            }
            _ => {}
        }
        out.push(ev);
        Ok(())
    }
}

/// Parse a sed expression `s/re/repl/flags` or `y/from/to/` (any delimiter after s/y).
pub fn parse_sed(expr: &str) -> Result<(Option<String>, RexMode), String> {
    let mut chars = expr.chars();
    let cmd = chars.next().ok_or("empty sed expression")?;
    let delim = chars.next().ok_or("sed expression needs a delimiter")?;
    let rest: String = chars.collect();
    // Split on unescaped delimiters.
    let mut parts = vec![String::new()];
    let mut esc = false;
    for c in rest.chars() {
        if esc {
            if c != delim {
                if let Some(p) = parts.last_mut() {
                    p.push('\\');
                }
            }
            if let Some(p) = parts.last_mut() {
                p.push(c);
            }
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == delim {
            parts.push(String::new());
        } else if let Some(p) = parts.last_mut() {
            p.push(c);
        }
    }
    if esc {
        if let Some(p) = parts.last_mut() {
            p.push('\\');
        }
    }
    match cmd {
        's' => {
            if parts.len() < 3 {
                return Err(format!("sed expression `{expr}` must look like s/regex/replacement/flags"));
            }
            let flags = parts.get(2).cloned().unwrap_or_default();
            let global = flags.contains('g');
            let nth = flags.chars().filter(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap_or(1);
            Ok((
                parts.first().cloned(),
                RexMode::Sed { replacement: parts.get(1).cloned().unwrap_or_default(), global, nth },
            ))
        }
        'y' => {
            let from: Vec<char> = parts.first().map(|s| s.chars().collect()).unwrap_or_default();
            let to: Vec<char> = parts.get(1).map(|s| s.chars().collect()).unwrap_or_default();
            if from.len() != to.len() {
                return Err(format!("sed `y` expression `{expr}` needs equal-length character lists"));
            }
            Ok((None, RexMode::Translit(from.into_iter().zip(to).collect())))
        }
        _ => Err(format!("sed expression `{expr}` must start with s or y")),
    }
}

/// sed `s///` on one value: all matches (`g`), else only the Nth (1-based).
fn replace_sed(re: &SplRegex, text: &str, repl: &str, global: bool, nth: usize) -> String {
    if global {
        return re.replace_all(text, repl);
    }
    let caps = re.captures_iter(text, nth.max(1));
    let Some((s, e)) = caps.get(nth.max(1) - 1).and_then(|c| c.span(0)) else {
        return text.to_string();
    };
    let (Some(head), Some(mid), Some(tail)) = (text.get(..s), text.get(s..e), text.get(e..)) else {
        return text.to_string();
    };
    format!("{head}{}{tail}", re.replace_all(mid, repl))
}
