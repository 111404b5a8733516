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
    /// The backtracking engine, with a linear-time pattern that matches a superset of what it
    /// matches (lookarounds dropped, backreferences widened): text the superset rejects is
    /// rejected at once, so hostile non-matching lines cannot drive backtracking.
    Fancy(fancy_regex::Regex, Option<regex::Regex>),
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
            SplRegex::Fancy(r, _) => r.as_str(),
        }
    }

    /// Unanchored search. A fancy-regex search that exceeds the backtracking limit counts as no
    /// match (PCRE in Splunk likewise fails the match when it hits its match limit).
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            SplRegex::Std(r) => r.is_match(text),
            SplRegex::Fancy(r, pre) => pre_admits(pre, text) && r.is_match(text).unwrap_or(false),
        }
    }

    /// Span of the first match.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        match self {
            SplRegex::Std(r) => r.find(text).map(|m| (m.start(), m.end())),
            SplRegex::Fancy(r, pre) => {
                if !pre_admits(pre, text) {
                    return None;
                }
                r.find(text).ok().flatten().map(|m| (m.start(), m.end()))
            }
        }
    }

    /// Group names by index (index 0 is the whole match, never named).
    pub fn capture_names(&self) -> Vec<Option<String>> {
        match self {
            SplRegex::Std(r) => r.capture_names().map(|n| n.map(str::to_string)).collect(),
            SplRegex::Fancy(r, _) => r.capture_names().map(|n| n.map(str::to_string)).collect(),
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
            SplRegex::Fancy(r, pre) => {
                if !pre_admits(pre, text) {
                    return out;
                }
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
    while let Some(&c) = chars.get(i) {
        if let (true, Some(&n)) = (c == '\\', chars.get(i + 1)) {
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
                .map(|r| SplRegex::Fancy(r, linear_superset(pattern)))
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

fn pre_admits(pre: &Option<regex::Regex>, text: &str) -> bool {
    pre.as_ref().is_none_or(|p| p.is_match(text))
}

/// A pattern for the linear engine that matches whenever `pattern` does: lookaround groups
/// removed (they only restrict), backreferences widened to "anything", atomic groups made plain
/// and possessive quantifiers greedy. `None` when the rewrite cannot be sure (a quantified
/// lookaround, conditionals, `\K`) or the result does not compile.
pub fn linear_superset(pattern: &str) -> Option<regex::Regex> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut class = false;
    while let Some(&c) = chars.get(i) {
        if class {
            out.push(c);
            if c == '\\' {
                out.push(*chars.get(i + 1)?);
                i += 1;
            } else if c == ']' {
                class = false;
            }
            i += 1;
            continue;
        }
        match c {
            '\\' => {
                let n = *chars.get(i + 1)?;
                if n.is_ascii_digit() && n != '0' {
                    out.push_str("(?s:.*)");
                    i += 2;
                    while chars.get(i).is_some_and(|d| d.is_ascii_digit()) {
                        i += 1;
                    }
                    continue;
                }
                if n == 'k' || n == 'g' {
                    // \k<name>, \k{name}, \k'name', \g1, \g{1}: backreferences.
                    out.push_str("(?s:.*)");
                    i += 2;
                    match chars.get(i) {
                        Some('<') => i = i + chars.get(i..)?.iter().position(|&x| x == '>')? + 1,
                        Some('{') => i = i + chars.get(i..)?.iter().position(|&x| x == '}')? + 1,
                        Some('\'') => i = i + 1 + chars.get(i + 1..)?.iter().position(|&x| x == '\'')? + 1,
                        _ => {
                            while chars.get(i).is_some_and(|d| d.is_ascii_digit() || *d == '-') {
                                i += 1;
                            }
                        }
                    }
                    continue;
                }
                if n == 'K' || n == 'G' {
                    return None;
                }
                out.push(c);
                out.push(n);
                i += 2;
            }
            '[' => {
                class = true;
                out.push(c);
                i += 1;
                // A leading `]` or `^]` is literal inside a class.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
            }
            '(' => {
                let rest: String = chars.get(i + 1..i + 4).map(|s| s.iter().collect()).unwrap_or_default();
                let look = rest.starts_with("?=")
                    || rest.starts_with("?!")
                    || rest.starts_with("?<=")
                    || rest.starts_with("?<!");
                if look {
                    let end = group_end(&chars, i)?;
                    // A quantifier after a lookaround would attach to the previous atom.
                    if matches!(chars.get(end + 1), Some('*' | '+' | '?' | '{')) {
                        return None;
                    }
                    i = end + 1;
                } else if rest.starts_with("?>") {
                    out.push_str("(?:");
                    i += 3;
                } else if rest.starts_with("?(") {
                    return None;
                } else {
                    out.push(c);
                    i += 1;
                }
            }
            '+' if out.ends_with(['*', '+', '?', '}']) && !out.ends_with("\\+") => {
                // Possessive quantifier: the plain greedy one matches at least as much.
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    regex::RegexBuilder::new(&out).size_limit(SIZE_LIMIT).dfa_size_limit(SIZE_LIMIT).build().ok()
}

/// Index of the `)` closing the group opened at `open`.
fn group_end(chars: &[char], open: usize) -> Option<usize> {
    let (mut depth, mut class, mut i) = (0usize, false, open);
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => i += 1,
            '[' if !class => class = true,
            ']' if class => class = false,
            '(' if !class => depth += 1,
            ')' if !class => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
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
    /// Looked up on every `match()`/`replace()` call with the whole pattern as key: aHash, as
    /// SipHash over a detection's 3 KB alternations cost more than some of the matches.
    static CACHE: RefCell<HashMap<String, Arc<SplRegex>, ahash::RandomState>> = RefCell::new(HashMap::default());
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
mod superset_tests {
    use super::*;

    fn sup(p: &str) -> String {
        linear_superset(p).map(|r| r.as_str().to_string()).unwrap_or_else(|| "<none>".into())
    }

    #[test]
    fn lookarounds_drop_backrefs_widen_atomic_groups_open() {
        assert_eq!(sup(r"(?<m>(?=a)(a+)+$)"), r"(?<m>(a+)+$)");
        assert_eq!(sup(r"(\w+) \1"), r"(\w+) (?s:.*)");
        assert_eq!(sup(r"(?>ab)c++"), r"(?:ab)c+");
        assert_eq!(sup(r"[(?=]x(?<!y)z"), r"[(?=]xz");
        assert_eq!(sup(r"a(?=b)+"), "<none>");
    }

    #[test]
    fn the_superset_matches_whatever_the_pattern_does() {
        for (p, texts) in [
            (r"foo(?!bar)", vec!["foobaz", "foobar", "xfoo"]),
            (r"(\w)\1", vec!["aa", "ab", "xyzzy"]),
            (r"(?<=\$)\d+", vec!["$12", "12"]),
            (r"(?i)(?=.*enc)powershell", vec!["PowerShell -enc", "powershell"]),
        ] {
            let fancy = fancy_regex::Regex::new(p).unwrap();
            let lin = linear_superset(p).unwrap();
            for t in texts {
                if fancy.is_match(t).unwrap() {
                    assert!(lin.is_match(t), "{p} on {t}");
                }
            }
        }
    }

    #[test]
    fn hostile_non_matching_line_is_rejected_in_linear_time() {
        let r = compile_uncached(r"(?<m>(?=a)(a+)+$)").unwrap();
        let line = format!("{}b", "a".repeat(50_000));
        let t = std::time::Instant::now();
        assert!(!r.is_match(&line));
        assert!(t.elapsed() < std::time::Duration::from_secs(2), "took {:?}", t.elapsed());
    }
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
        assert!(matches!(*r, SplRegex::Fancy(..)));
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
