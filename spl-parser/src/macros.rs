//! Backtick macro expansion with a source map back to the original text.
//!
//! Expansion is textual (Splunk adds no whitespace). ```` ```...``` ```` comments are removed in
//! the same pass (each becomes one space) because they may contain backticks and pipes.

use crate::ast::Span;
use crate::error::render_caret;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// Nested macro calls deeper than this are refused (a runaway definition, not a real search).
pub const MAX_DEPTH: usize = 50;
/// Expanded text larger than this is refused.
pub const MAX_OUTPUT: usize = 1 << 20;
/// YAML with more anchors plus aliases than this is refused ("billion laughs").
pub const MAX_YAML_ALIASES: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub struct MacroDef {
    pub name: String,
    pub arguments: Vec<String>,
    pub definition: String,
}

#[derive(Clone, Debug, Default)]
pub struct MacroTable {
    pub defs: HashMap<(String, usize), MacroDef>,
}

/// One macro file as security_content writes it.
#[derive(Deserialize)]
struct MacroYaml {
    name: String,
    definition: String,
    #[serde(default)]
    arguments: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

impl MacroTable {
    pub fn insert(&mut self, def: MacroDef) {
        self.defs.insert((def.name.clone(), def.arguments.len()), def);
    }
    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.defs.get(&(name.to_string(), arity))
    }

    /// Add every definition of a YAML text (see [`MacroTable::from_yaml_str`]); returns how many.
    pub fn insert_yaml(&mut self, text: &str) -> Result<usize, String> {
        let defs = Self::from_yaml_str(text)?;
        let n = defs.len();
        defs.into_iter().for_each(|d| self.insert(d));
        Ok(n)
    }

    /// Macro definitions from security_content YAML: one mapping (`name`, `definition`,
    /// optional `arguments`, `description`) or a list of such mappings.
    pub fn from_yaml_str(text: &str) -> Result<Vec<MacroDef>, String> {
        let aliases = count_yaml_aliases(text);
        if aliases > MAX_YAML_ALIASES {
            return Err(format!("refusing YAML with {aliases} anchors/aliases (limit {MAX_YAML_ALIASES})"));
        }
        let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| format!("invalid macro YAML: {e}"))?;
        let items = match value {
            serde_yaml::Value::Sequence(items) => items,
            other => vec![other],
        };
        items
            .into_iter()
            .map(|item| {
                let m: MacroYaml =
                    serde_yaml::from_value(item).map_err(|e| format!("invalid macro definition: {e}"))?;
                Ok(MacroDef { name: m.name, arguments: m.arguments.unwrap_or_default(), definition: m.definition })
            })
            .collect()
    }
}

/// Counts `&anchor` and `*alias` tokens where YAML allows a node to start (after `: `, `- `,
/// at a line start, or after `[`, `{`, `,` in a flow collection). Over-counting is harmless:
/// real macro files have none.
fn count_yaml_aliases(text: &str) -> usize {
    let mut count = 0;
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut in_quote: Option<u8> = None;
        let mut flow = 0usize;
        let mut node_start = true;
        for (i, &b) in bytes.iter().enumerate() {
            if let Some(q) = in_quote {
                if b == q {
                    in_quote = None;
                }
                continue;
            }
            let next_is_name = bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-');
            match b {
                b'&' | b'*' if node_start && next_is_name => {
                    count += 1;
                    node_start = false;
                }
                b'\'' | b'"' if node_start => in_quote = Some(b),
                b'[' | b'{' => {
                    flow += 1;
                    node_start = true;
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                b',' if flow > 0 => node_start = true,
                b':' | b'-' => node_start = bytes.get(i + 1).is_none_or(|c| *c == b' '),
                b' ' | b'\t' => {}
                _ => node_start = false,
            }
        }
    }
    count
}

#[derive(Clone, Debug, PartialEq)]
pub struct MacroError {
    pub message: String,
    /// Span in the original text (the macro call, or the top-level call it came from).
    pub span: Span,
}

impl fmt::Display for MacroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.span.start)
    }
}

impl std::error::Error for MacroError {}

/// A piece of the expanded text and where it came from.
#[derive(Clone, Debug, PartialEq)]
struct Segment {
    /// Range in the expanded text.
    expanded: Span,
    /// Range in the original text.
    original: Span,
    /// Copied byte for byte (positions map one to one); otherwise it came from a macro body
    /// or replaces a comment, and maps to the whole call or comment.
    verbatim: bool,
}

#[derive(Clone, Debug)]
pub struct Expanded {
    pub original: String,
    pub text: String,
    segments: Vec<Segment>,
}

impl Expanded {
    /// Map a span of the expanded text back to the original text.
    pub fn original_span(&self, span: Span) -> Span {
        let start = self.map(span.start, false);
        if span.end <= span.start {
            return start;
        }
        let end = self.map(span.end, true);
        Span::new(start.start.min(end.start), start.end.max(end.end))
    }

    /// `pos` as a span in the original: one point for verbatim text, the whole call otherwise.
    fn map(&self, pos: usize, is_end: bool) -> Span {
        let found = self.segments.iter().find(|s| {
            if is_end {
                s.expanded.start < pos && pos <= s.expanded.end
            } else {
                s.expanded.start <= pos && pos < s.expanded.end
            }
        });
        match found {
            Some(s) if s.verbatim => {
                let p = s.original.start + (pos - s.expanded.start);
                Span::new(p, p)
            }
            Some(s) => s.original,
            None => {
                let p = self.original.len();
                Span::new(p, p)
            }
        }
    }

    /// Render `message` with a caret under the original text for a span of the expanded text.
    pub fn render_error(&self, span_in_expanded: Span, message: &str) -> String {
        render_caret(&self.original, self.original_span(span_in_expanded), message)
    }
}

/// Expand comments and backtick macros in `text`.
pub fn expand(text: &str, table: &MacroTable) -> Result<Expanded, MacroError> {
    let mut ex = Expander { table, out: String::new(), segments: Vec::new(), stack: Vec::new() };
    ex.run(text, None)?;
    Ok(Expanded { original: text.to_string(), text: ex.out, segments: ex.segments })
}

struct Expander<'t> {
    table: &'t MacroTable,
    out: String,
    segments: Vec<Segment>,
    /// Macros being expanded, outermost first, as `name(N)`.
    stack: Vec<String>,
}

impl Expander<'_> {
    /// Expand `text`. `call` is `None` for the original text, else the original span of the
    /// top-level macro call all of this text maps to.
    fn run(&mut self, text: &str, call: Option<Span>) -> Result<(), MacroError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut copied = 0; // start of the text not yet copied to `out`
        let mut in_quote = false;
        while i < bytes.len() {
            match bytes.get(i) {
                // `\"` is an escaped quote inside and outside strings (`*\"privileged\":true*`).
                Some(b'\\') => i += 2,
                Some(b'"') => {
                    in_quote = !in_quote;
                    i += 1;
                }
                Some(b'`') if !in_quote && text[i..].starts_with("```") => {
                    self.copy(text, copied, i, call)?;
                    let end = match text[i + 3..].find("```") {
                        Some(off) => i + 3 + off + 3,
                        None => {
                            let at = call.unwrap_or(Span::new(i, text.len()));
                            return Err(MacroError { message: "unterminated ``` comment".into(), span: at });
                        }
                    };
                    self.push(" ", call.unwrap_or(Span::new(i, end)), false)?;
                    i = end;
                    copied = end;
                }
                Some(b'`') if !in_quote => {
                    self.copy(text, copied, i, call)?;
                    let Some(off) = text[i + 1..].find('`') else {
                        return Err(MacroError {
                            message: "unterminated macro call: missing closing `` ` ``".into(),
                            span: call.unwrap_or(Span::new(i, text.len())),
                        });
                    };
                    let end = i + 1 + off + 1;
                    let here = call.unwrap_or(Span::new(i, end));
                    self.call(&text[i + 1..end - 1], here)?;
                    i = end;
                    copied = end;
                }
                _ => i += 1,
            }
        }
        self.copy(text, copied, text.len(), call)
    }

    fn copy(&mut self, text: &str, from: usize, to: usize, call: Option<Span>) -> Result<(), MacroError> {
        let Some(piece) = text.get(from..to.min(text.len())) else {
            return Ok(());
        };
        match call {
            None => self.push(piece, Span::new(from, from + piece.len()), true),
            Some(span) => self.push(piece, span, false),
        }
    }

    fn push(&mut self, piece: &str, original: Span, verbatim: bool) -> Result<(), MacroError> {
        if piece.is_empty() {
            return Ok(());
        }
        if self.out.len() + piece.len() > MAX_OUTPUT {
            return Err(MacroError {
                message: format!("macro expansion is larger than {MAX_OUTPUT} bytes"),
                span: original,
            });
        }
        let start = self.out.len();
        self.out.push_str(piece);
        let expanded = Span::new(start, self.out.len());
        // Merge with the previous segment when the mapping continues it.
        if let Some(last) = self.segments.last_mut() {
            let continues = if verbatim {
                last.verbatim && last.original.end == original.start
            } else {
                !last.verbatim && last.original == original
            };
            if continues && last.expanded.end == start {
                last.expanded.end = expanded.end;
                last.original.end = last.original.end.max(original.end);
                return Ok(());
            }
        }
        self.segments.push(Segment { expanded, original, verbatim });
        Ok(())
    }

    /// Expand the call whose text between the backticks is `inner`.
    fn call(&mut self, inner: &str, span: Span) -> Result<(), MacroError> {
        let (name, args) = split_call(inner).map_err(|message| MacroError { message, span })?;
        let Some(def) = self.table.get(&name, args.len()) else {
            return Err(MacroError {
                message: format!("undefined macro `{name}` (with {} arguments)", args.len()),
                span,
            });
        };
        let key = format!("{name}({})", args.len());
        if self.stack.contains(&key) {
            let mut cycle: Vec<&str> = self.stack.iter().map(String::as_str).collect();
            cycle.push(&key);
            return Err(MacroError { message: format!("macro cycle: {}", cycle.join(" -> ")), span });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(MacroError { message: format!("macros nested deeper than {MAX_DEPTH} levels"), span });
        }
        let body = substitute(&def.definition, &def.arguments, &args);
        if body.len() > MAX_OUTPUT {
            return Err(MacroError { message: format!("macro expansion is larger than {MAX_OUTPUT} bytes"), span });
        }
        self.stack.push(key);
        let result = self.run(&body, Some(span));
        self.stack.pop();
        result
    }
}

/// Replace `$param$` with its argument in one pass, so an argument's own `$x$` text is kept.
fn substitute(definition: &str, params: &[String], args: &[String]) -> String {
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let hit =
            params.iter().zip(args).find(|(p, _)| after.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('$')));
        match hit {
            Some((p, a)) => {
                out.push_str(a);
                rest = &after[p.len() + 1..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `name` or `name(a, b)` → name and trimmed arguments. Arguments split on commas outside
/// double quotes and parentheses; an argument wholly in double quotes loses them
/// (`drop_dm_object_name("Authentication")`).
fn split_call(inner: &str) -> Result<(String, Vec<String>), String> {
    let inner = inner.trim();
    let Some(open) = inner.find('(') else {
        if inner.is_empty() {
            return Err("empty macro call ``".into());
        }
        return Ok((inner.to_string(), Vec::new()));
    };
    let name = inner[..open].trim().to_string();
    let Some(rest) = inner[open + 1..].strip_suffix(')') else {
        return Err(format!("macro call `{name}(`: unbalanced `(`"));
    };
    let mut args = Vec::new();
    let (mut depth, mut in_quote, mut escaped, mut start) = (0usize, false, false, 0);
    for (i, c) in rest.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth = depth.saturating_sub(1),
            ',' if !in_quote && depth == 0 => {
                args.push(rest[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(rest[start..].to_string());
    if args.len() == 1 && args.first().is_some_and(|a| a.trim().is_empty()) {
        args.clear();
    }
    let args = args
        .into_iter()
        .map(|a| {
            let a = a.trim();
            match a.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                Some(unq) if a.len() >= 2 => unq.to_string(),
                _ => a.to_string(),
            }
        })
        .collect();
    Ok((name, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(defs: &[(&str, &[&str], &str)]) -> MacroTable {
        let mut t = MacroTable::default();
        for (name, args, def) in defs {
            t.insert(MacroDef {
                name: name.to_string(),
                arguments: args.iter().map(|a| a.to_string()).collect(),
                definition: def.to_string(),
            });
        }
        t
    }

    #[test]
    fn simple_macro_is_replaced_textually() {
        let t = table(&[("sysmon", &[], "sourcetype=sysmon OR source=x")]);
        let e = expand("`sysmon` EventCode=1", &t).unwrap();
        assert_eq!(e.text, "sourcetype=sysmon OR source=x EventCode=1");
    }

    #[test]
    fn arguments_are_substituted_and_trimmed() {
        let t = table(&[("ct", &["field"], "convert ctime($field$)"), ("two", &["a", "b"], "$a$-$b$")]);
        let e = expand("| `ct(firstTime)` | `two( f(x, y) , \"q,r\" )`", &t).unwrap();
        assert_eq!(e.text, "| convert ctime(firstTime) | f(x, y)-q,r");
    }

    #[test]
    fn substitution_is_one_pass() {
        let t = table(&[("m", &["a", "b"], "$a$ $b$ $$ $c$")]);
        assert_eq!(expand("`m($b$, x)`", &t).unwrap().text, "$b$ x $$ $c$");
    }

    #[test]
    fn nested_macros_expand() {
        let t = table(&[("a", &[], "x `b` y"), ("b", &[], "inner")]);
        assert_eq!(expand("`a`", &t).unwrap().text, "x inner y");
    }

    #[test]
    fn macro_cycle_is_named() {
        let t = table(&[("a", &[], "`b`"), ("b", &[], "`a`")]);
        let err = expand("x `a`", &t).unwrap_err();
        assert_eq!(err.message, "macro cycle: a(0) -> b(0) -> a(0)");
        assert_eq!(err.span, Span::new(2, 5));
    }

    #[test]
    fn output_size_is_limited() {
        let t = table(&[
            ("a", &[], "`b``b``b``b``b``b``b``b``b``b`"),
            ("b", &[], "`c``c``c``c``c``c``c``c``c``c`"),
            ("c", &[], "`d``d``d``d``d``d``d``d``d``d`"),
            ("d", &[], "`e``e``e``e``e``e``e``e``e``e`"),
            ("e", &[], "`f``f``f``f``f``f``f``f``f``f`"),
            ("f", &[], "0123456789012345678901234567890123456789"),
        ]);
        let err = expand("`a`", &t).unwrap_err();
        assert!(err.message.contains("larger than"), "{}", err.message);
    }

    #[test]
    fn depth_is_limited() {
        let defs: Vec<(String, String)> = (0..60).map(|i| (format!("m{i}"), format!("`m{}`", i + 1))).collect();
        let mut t = MacroTable::default();
        for (n, d) in defs {
            t.insert(MacroDef { name: n, arguments: vec![], definition: d });
        }
        t.insert(MacroDef { name: "m60".into(), arguments: vec![], definition: "end".into() });
        let err = expand("`m0`", &t).unwrap_err();
        assert!(err.message.contains("deeper than 50"), "{}", err.message);
    }

    #[test]
    fn undefined_macro_points_at_call() {
        let err = expand("a | `nope(1,2)` | b", &MacroTable::default()).unwrap_err();
        assert_eq!(err.message, "undefined macro `nope` (with 2 arguments)");
        assert_eq!(err.span, Span::new(4, 15));
    }

    #[test]
    fn undefined_nested_macro_points_at_outer_call() {
        let t = table(&[("a", &[], "x `missing`")]);
        let err = expand("foo `a`", &t).unwrap_err();
        assert_eq!(err.message, "undefined macro `missing` (with 0 arguments)");
        assert_eq!(err.span, Span::new(4, 7));
    }

    #[test]
    fn backtick_inside_quotes_is_not_a_macro() {
        let e = expand(r#"eval x=split(process,"`") | eval y="\"`" "#, &MacroTable::default()).unwrap();
        assert_eq!(e.text, r#"eval x=split(process,"`") | eval y="\"`" "#);
    }

    #[test]
    fn comment_with_pipe_is_removed() {
        let e = expand("a ```| stats `x` count``` | b", &MacroTable::default()).unwrap();
        assert_eq!(e.text, "a   | b");
        assert_eq!(e.original_span(Span::new(2, 3)), Span::new(2, 25));
    }

    #[test]
    fn unterminated_comment_is_an_error() {
        assert!(expand("a ``` b", &MacroTable::default()).is_err());
    }

    #[test]
    fn source_map_maps_verbatim_and_macro_text() {
        let t = table(&[("m", &[], "LONGER TEXT")]);
        let e = expand("ab `m` cd", &t).unwrap();
        assert_eq!(e.text, "ab LONGER TEXT cd");
        // Verbatim text before and after.
        assert_eq!(e.original_span(Span::new(0, 2)), Span::new(0, 2));
        assert_eq!(e.original_span(Span::new(15, 17)), Span::new(7, 9));
        // Any part of the body maps to the whole call.
        assert_eq!(e.original_span(Span::new(5, 7)), Span::new(3, 6));
        // A span across body and verbatim text covers both.
        assert_eq!(e.original_span(Span::new(10, 17)), Span::new(3, 9));
        // End of text.
        assert_eq!(e.original_span(Span::new(17, 17)), Span::new(9, 9));
    }

    #[test]
    fn render_error_shows_original_text() {
        let t = table(&[("m", &[], "x=")]);
        let e = expand("`m` | stats", &t).unwrap();
        let r = e.render_error(Span::new(1, 2), "expected a value after `=`");
        assert_eq!(r, "error: expected a value after `=`\n  |\n1 | `m` | stats\n  | ^^^");
    }

    #[test]
    fn yaml_single_mapping_and_list() {
        let one = "name: sysmon\ndefinition: sourcetype=x OR source=*\ndescription: d\n";
        let defs = MacroTable::from_yaml_str(one).unwrap();
        assert_eq!(defs[0].name, "sysmon");
        assert!(defs[0].arguments.is_empty());
        let list = "- name: a\n  definition: x\n  arguments: [f]\n- name: b\n  definition: y\n";
        let defs = MacroTable::from_yaml_str(list).unwrap();
        assert_eq!(defs.len(), 2);
        assert_eq!(defs[0].arguments, vec!["f".to_string()]);
    }

    #[test]
    fn yaml_billion_laughs_is_refused() {
        let bomb = "a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
        let err = MacroTable::from_yaml_str(bomb).unwrap_err();
        assert!(err.contains("anchors/aliases"), "{err}");
    }

    #[test]
    fn yaml_spl_wildcards_are_not_aliases() {
        let y = "name: m\ndefinition: process IN (*foo*, *bar) | rename X.* AS *\n";
        assert_eq!(count_yaml_aliases(y), 0);
        assert!(MacroTable::from_yaml_str(y).is_ok());
    }
}
