//! Regular expressions as Splunk uses them (PCRE), shared by `match`, `replace`, `mvfind`,
//! `rex` and `regex`.
//!
//! Patterns compile with the linear-time `regex` crate when its syntax accepts them; patterns
//! that need PCRE-only features (backreferences, lookarounds, atomic groups, possessive
//! quantifiers) fall back to `fancy-regex` with a backtracking limit. Compiled patterns are
//! cached per thread, since eval calls `match()` once per event.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Upper bound on the compiled program size of one pattern.
pub const SIZE_LIMIT: usize = 10 * 1024 * 1024;
/// Backtracking steps allowed to one fancy-regex search before it gives up (as no match).
pub const BACKTRACK_LIMIT: usize = 1_000_000;
const CACHE_CAPACITY: usize = 512;

/// A compiled pattern: the fast engine when possible, the backtracking one when needed.
#[derive(Debug)]
pub enum SplRegex {
    Std(regex::Regex),
    Fancy(fancy_regex::Regex),
}

/// Byte spans of one match's groups (index 0 = whole match), with the regex's group names.
#[derive(Clone, Debug)]
pub struct Captures<'t> {
    text: &'t str,
    spans: Vec<Option<(usize, usize)>>,
    names: Vec<Option<String>>,
}

impl<'t> Captures<'t> {
    /// Text of group `i` when it participated in the match.
    pub fn get(&self, i: usize) -> Option<&'t str> {
        let (s, e) = (*self.spans.get(i)?)?;
        self.text.get(s..e)
    }
    /// Byte span of group `i`.
    pub fn span(&self, i: usize) -> Option<(usize, usize)> {
        *self.spans.get(i)?
    }
    /// Text of the named group.
    pub fn name(&self, name: &str) -> Option<&'t str> {
        let i = self.names.iter().position(|n| n.as_deref() == Some(name))?;
        self.get(i)
    }
    /// Number of groups including group 0.
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// `(name, text)` of every named group that matched, in pattern order.
    pub fn named(&self) -> Vec<(&str, &'t str)> {
        self.names.iter().enumerate().filter_map(|(i, n)| Some((n.as_deref()?, self.get(i)?))).collect()
    }
}

impl SplRegex {
    pub fn as_str(&self) -> &str {
        match self {
            SplRegex::Std(r) => r.as_str(),
            SplRegex::Fancy(r) => r.as_str(),
        }
    }

    /// Unanchored search. A fancy-regex search that exceeds the backtracking limit counts as no
    /// match (PCRE in Splunk likewise fails the match when it hits its match limit).
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            SplRegex::Std(r) => r.is_match(text),
            SplRegex::Fancy(r) => r.is_match(text).unwrap_or(false),
        }
    }

    /// Span of the first match.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        match self {
            SplRegex::Std(r) => r.find(text).map(|m| (m.start(), m.end())),
            SplRegex::Fancy(r) => r.find(text).ok().flatten().map(|m| (m.start(), m.end())),
        }
    }

    /// Group names by index (index 0 is the whole match, never named).
    pub fn capture_names(&self) -> Vec<Option<String>> {
        match self {
            SplRegex::Std(r) => r.capture_names().map(|n| n.map(str::to_string)).collect(),
            SplRegex::Fancy(r) => r.capture_names().map(|n| n.map(str::to_string)).collect(),
        }
    }

    /// Groups of the first match.
    pub fn captures<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        self.captures_iter(text, 1).into_iter().next()
    }

    /// Groups of up to `limit` successive non-overlapping matches (`limit` 0 = all).
    pub fn captures_iter<'t>(&self, text: &'t str, limit: usize) -> Vec<Captures<'t>> {
        let limit = if limit == 0 { usize::MAX } else { limit };
        let names = self.capture_names();
        let mut out = Vec::new();
        match self {
            SplRegex::Std(r) => {
                for c in r.captures_iter(text).take(limit) {
                    let spans = (0..c.len()).map(|i| c.get(i).map(|m| (m.start(), m.end()))).collect();
                    out.push(Captures { text, spans, names: names.clone() });
                }
            }
            SplRegex::Fancy(r) => {
                for c in r.captures_iter(text).take(limit) {
                    let Ok(c) = c else { break };
                    let spans = (0..c.len()).map(|i| c.get(i).map(|m| (m.start(), m.end()))).collect();
                    out.push(Captures { text, spans, names: names.clone() });
                }
            }
        }
        out
    }

    /// Replace every match with `repl`, where `\N` (N = 0..99) inserts group N and `\\` a
    /// backslash, as Splunk's `replace()` and `rex mode=sed` do. `$` is literal.
    pub fn replace_all(&self, text: &str, repl: &str) -> String {
        let pieces = parse_replacement(repl);
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in self.captures_iter(text, 0) {
            let Some((s, e)) = caps.span(0) else { continue };
            out.push_str(text.get(last..s).unwrap_or(""));
            for p in &pieces {
                match p {
                    ReplPiece::Lit(l) => out.push_str(l),
                    ReplPiece::Group(g) => out.push_str(caps.get(*g).unwrap_or("")),
                }
            }
            last = e;
        }
        out.push_str(text.get(last..).unwrap_or(""));
        out
    }
}

enum ReplPiece {
    Lit(String),
    Group(usize),
}

fn parse_replacement(repl: &str) -> Vec<ReplPiece> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let chars: Vec<char> = repl.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            if let Some(d) = n.to_digit(10) {
                let mut g = d as usize;
                i += 2;
                if let Some(d2) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    g = g * 10 + d2 as usize;
                    i += 1;
                }
                if !lit.is_empty() {
                    pieces.push(ReplPiece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(ReplPiece::Group(g));
                continue;
            }
            if n == '\\' {
                lit.push('\\');
                i += 2;
                continue;
            }
        }
        lit.push(c);
        i += 1;
    }
    if !lit.is_empty() {
        pieces.push(ReplPiece::Lit(lit));
    }
    pieces
}

/// Compile without the cache.
pub fn compile_uncached(pattern: &str) -> Result<SplRegex, String> {
    match regex::RegexBuilder::new(pattern).size_limit(SIZE_LIMIT).dfa_size_limit(SIZE_LIMIT).build() {
        Ok(r) => Ok(SplRegex::Std(r)),
        Err(regex::Error::CompiledTooBig(_)) => Err(format!("regex too large: {}", shorten(pattern))),
        Err(std_err) => {
            // PCRE-only syntax: try the backtracking engine.
            fancy_regex::RegexBuilder::new(pattern)
                .backtrack_limit(BACKTRACK_LIMIT)
                .delegate_size_limit(SIZE_LIMIT)
                .delegate_dfa_size_limit(SIZE_LIMIT)
                .build()
                .map(SplRegex::Fancy)
                .map_err(|fe| {
                    let msg = fe.to_string();
                    if msg.contains("too big") || msg.contains("size limit") {
                        format!("regex too large: {}", shorten(pattern))
                    } else {
                        format!("invalid regex {}: {}", shorten(pattern), first_line(&std_err.to_string(), &msg))
                    }
                })
        }
    }
}

fn first_line(std_msg: &str, fancy_msg: &str) -> String {
    // The regex crate's message is a multi-line caret diagram; its last line says what is wrong.
    let last = std_msg.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(fancy_msg);
    last.trim().trim_start_matches("error: ").to_string()
}

fn shorten(p: &str) -> String {
    if p.chars().count() > 60 {
        format!("{}…", p.chars().take(60).collect::<String>())
    } else {
        p.to_string()
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Arc<SplRegex>>> = RefCell::new(HashMap::new());
}

/// Compile (or fetch from this thread's cache) a Splunk/PCRE pattern.
pub fn compile(pattern: &str) -> Result<Arc<SplRegex>, String> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(r);
    }
    let r = Arc::new(compile_uncached(pattern)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAPACITY {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    });
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_named_groups_both_syntaxes() {
        let r = compile(r"(?<user>\w+)@(?P<dom>[\w.]+)").unwrap();
        let c = r.captures("mail bob@example.com now").unwrap();
        assert_eq!(c.name("user"), Some("bob"));
        assert_eq!(c.name("dom"), Some("example.com"));
        assert_eq!(c.named().len(), 2);
    }

    #[test]
    fn inline_case_insensitive_flag() {
        assert!(compile("(?i)powershell").unwrap().is_match("PowerShell.exe"));
        assert!(!compile("powershell").unwrap().is_match("PowerShell.exe"));
    }

    #[test]
    fn lookaround_and_backreference_fall_back_to_fancy() {
        let r = compile(r"(\w)\1").unwrap();
        assert!(matches!(*r, SplRegex::Fancy(_)));
        assert!(r.is_match("hello"));
        assert!(!r.is_match("abc"));
        let r = compile(r"foo(?!bar)").unwrap();
        assert!(r.is_match("foobaz"));
        assert!(!r.is_match("foobar"));
    }

    #[test]
    fn replacement_backrefs() {
        let r = compile(r"(\d+)-(\d+)").unwrap();
        assert_eq!(r.replace_all("1-2 and 30-40", r"\2-\1"), "2-1 and 40-30");
        assert_eq!(r.replace_all("1-2", r"$1\\"), r"$1\");
    }

    #[test]
    fn hostile_nested_quantifier_does_not_hang() {
        let text = format!("{}b", "a".repeat(50_000));
        let r = compile("(a+)+$").unwrap();
        assert!(!r.is_match(&text));
        // The backtracking engine is bounded too.
        let r = compile(r"(a+)+(?=c)").unwrap();
        assert!(!r.is_match(&"a".repeat(5_000)));
    }

    #[test]
    fn huge_alternation_errors_cleanly() {
        let pat = (0..100_000).map(|i| format!("w{i}x")).collect::<Vec<_>>().join("|");
        let err = compile(&format!("({pat}){{100}}")).unwrap_err();
        assert!(err.contains("regex too large"), "{err}");
    }

    #[test]
    fn security_content_pcre_idioms_compile() {
        // PCRE accepts a literal `{` that starts no quantifier; the regex crate does not, so
        // these (taken from ESCU detections) go through the fallback engine.
        let r = compile(r"(?i)({|%7b)(main|sys|env)").unwrap();
        assert!(r.is_match("${env:USER}"));
        let r = compile(r"(^%{|^)(?P<SidHistory>.*?)(}$|$)").unwrap();
        assert_eq!(r.captures("%{S-1-5-21}").unwrap().name("SidHistory"), Some("S-1-5-21"));
        let r = compile(r"(?<!\/)\b\w+(\.\w+)?:\w+$").unwrap();
        assert!(r.is_match("host.example:8080"));
    }

    #[test]
    fn invalid_regex_is_an_error() {
        assert!(compile("(unclosed").unwrap_err().contains("invalid regex"));
    }

    #[test]
    fn cache_returns_same_instance() {
        let a = compile("abc+").unwrap();
        let b = compile("abc+").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
