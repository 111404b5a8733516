//! Shared lexical pieces: the parser's error type, position tracking, whitespace, keywords,
//! quoted strings, balanced groups, option and field-name tokens.

use crate::ast::{FieldName, Opt, Span};
use nom::IResult;
use std::cell::Cell;

/// Nesting (parentheses, subsearches, NOT chains, eval sub-expressions) allowed before the
/// parser gives up with an error instead of risking the stack.
pub const MAX_DEPTH: usize = 100;

/// nom error: where, and, once the parser has committed, what was expected.
#[derive(Debug)]
pub struct PErr<'a> {
    pub input: &'a str,
    pub message: Option<String>,
    pub len: usize,
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _: nom::error::ErrorKind) -> Self {
        PErr { input, message: None, len: 0 }
    }
    fn append(_: &'a str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

pub type PResult<'a, T> = IResult<&'a str, T, PErr<'a>>;

/// A committed error at `at` covering `len` bytes.
pub fn fail<'a, T>(at: &'a str, len: usize, message: impl Into<String>) -> PResult<'a, T> {
    Err(err(at, len, message))
}

/// The committed error itself, for code outside nom's `IResult`.
pub fn err<'a>(at: &'a str, len: usize, message: impl Into<String>) -> nom::Err<PErr<'a>> {
    nom::Err::Failure(PErr { input: at, message: Some(message.into()), len })
}

/// A recoverable "not this alternative".
pub fn no<'a, T>(at: &'a str) -> PResult<'a, T> {
    Err(nom::Err::Error(PErr { input: at, message: None, len: 0 }))
}

/// Parsing context: the whole text (to turn slices into byte offsets) and the nesting depth.
pub struct Cx<'a> {
    pub text: &'a str,
    depth: Cell<usize>,
}

pub struct DepthGuard<'c>(&'c Cell<usize>, usize);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(self.1));
    }
}

/// Depth cost of one subsearch level (at most `MAX_DEPTH / SUBSEARCH_WEIGHT` nested).
pub const SUBSEARCH_WEIGHT: usize = 5;

impl<'a> Cx<'a> {
    pub fn new(text: &'a str) -> Self {
        Cx { text, depth: Cell::new(0) }
    }
    /// Byte offset of `s`, a slice of `self.text`.
    pub fn pos(&self, s: &str) -> usize {
        (s.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize).min(self.text.len())
    }
    /// From the start of `from` to the start of `rest`.
    pub fn span(&self, from: &str, rest: &str) -> Span {
        Span::new(self.pos(from), self.pos(rest))
    }
    /// Enter one nesting level; the guard leaves it.
    pub fn enter<'c>(&'c self, at: &'a str) -> Result<DepthGuard<'c>, nom::Err<PErr<'a>>> {
        self.enter_weighted(at, 1)
    }

    /// Enter a nesting level that costs `weight` levels (a subsearch recurses through the
    /// whole pipeline grammar, so its stack frames are much larger).
    pub fn enter_weighted<'c>(&'c self, at: &'a str, weight: usize) -> Result<DepthGuard<'c>, nom::Err<PErr<'a>>> {
        if self.depth.get() + weight > MAX_DEPTH {
            return Err(nom::Err::Failure(PErr {
                input: at,
                message: Some(format!("nested more than {MAX_DEPTH} levels deep")),
                len: 1,
            }));
        }
        self.depth.set(self.depth.get() + weight);
        Ok(DepthGuard(&self.depth, weight))
    }
}

/// Skip whitespace.
pub fn sp(i: &str) -> &str {
    i.trim_start()
}

/// Skip whitespace and commas.
pub fn sp_commas(i: &str) -> &str {
    i.trim_start_matches(|c: char| c.is_whitespace() || c == ',')
}

pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A keyword, case-insensitive, not followed by a word character.
pub fn kw<'a>(word: &str, i: &'a str) -> Option<&'a str> {
    let head = i.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &i[word.len()..];
    match rest.chars().next() {
        Some(c) if is_word_char(c) => None,
        _ => Some(rest),
    }
}

/// A run of word characters (command names, function names).
pub fn ident(i: &str) -> PResult<'_, &str> {
    nom::bytes::complete::take_while1(is_word_char)(i)
}

/// `"..."`: SPL escapes `\\` → `\`, `\"` → `"`; with `eval_escapes` also `\t` and `\n`.
/// Any other `\x` stays two characters.
pub fn quoted(i: &str, eval_escapes: bool) -> PResult<'_, String> {
    let Some(body) = i.strip_prefix('"') else {
        return no(i);
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((&body[at + 1..], out)),
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, 't')) if eval_escapes => out.push('\t'),
                Some((_, 'n')) if eval_escapes => out.push('\n'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    fail(i, 1, "unterminated `\"`")
}

/// End (exclusive, relative to `i`) of the quoted string starting at `i[0] == '"'`.
fn quoted_end(i: &str) -> Option<usize> {
    let b = i.as_bytes();
    let mut k = 1;
    while k < b.len() {
        match b.get(k) {
            Some(b'\\') => k += 2,
            Some(b'"') => return Some(k + 1),
            _ => k += 1,
        }
    }
    None
}

/// `i` starts with `open`; returns the text strictly inside the balanced group and the rest
/// after `close`. Double-quoted strings inside are skipped.
pub fn balanced(i: &str, open: char, close: char) -> PResult<'_, &str> {
    if !i.starts_with(open) {
        return no(i);
    }
    let mut depth = 0usize;
    let mut k = 0;
    let b = i.as_bytes();
    while k < b.len() {
        let c = b.get(k).copied().unwrap_or(0);
        if c == b'\\' {
            k += 2;
            continue;
        }
        if c == b'"' {
            match quoted_end(&i[k..]) {
                Some(n) => k += n,
                None => return fail(&i[k..], 1, "unterminated `\"`"),
            }
            continue;
        }
        if c == open as u8 {
            depth += 1;
        } else if c == close as u8 {
            depth -= 1;
            if depth == 0 {
                return Ok((i.get(k + 1..).unwrap_or(""), i.get(1..k).unwrap_or("")));
            }
        }
        k += 1;
    }
    fail(i, 1, format!("unbalanced `{open}`"))
}

/// A bare value: up to whitespace (or a `,` when `stop_comma`), keeping balanced parentheses
/// inside the word (`*GetCurrent()*`); an unmatched `)` ends it, and so does `[` (a subsearch)
/// when `stop_bracket`. `\x` outside quotes is kept whole (`*\"privileged\":true*`).
pub fn bare_value(i: &str, stop_comma: bool) -> (&str, &str) {
    bare_value_with(i, stop_comma, false)
}

pub fn bare_value_with(i: &str, stop_comma: bool, stop_bracket: bool) -> (&str, &str) {
    let mut depth = 0usize;
    let mut escaped = false;
    for (at, c) in i.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' if depth == 0 => return (&i[at..], &i[..at]),
            ')' => depth -= 1,
            ',' if stop_comma && depth == 0 => return (&i[at..], &i[..at]),
            '[' if stop_bracket && depth == 0 => return (&i[at..], &i[..at]),
            '"' if at > 0 && depth == 0 => return (&i[at..], &i[..at]),
            c if c.is_whitespace() && depth == 0 => return (&i[at..], &i[..at]),
            _ => {}
        }
    }
    ("", i)
}

/// Unquoted values keep their text apart from `\\` → `\`.
pub fn unescape_bare(s: &str) -> String {
    s.replace("\\\\", "\\")
}

/// `key=value` option. Not an option (recoverable) unless a word is directly followed by a
/// single `=`; then a missing value is an error.
pub fn opt<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, Opt> {
    let (rest, key) = nom::bytes::complete::take_while1(|c: char| is_word_char(c) || c == '.')(i)?;
    let Some(after) = rest.strip_prefix('=') else {
        return no(i);
    };
    if after.starts_with('=') {
        return no(i);
    }
    let (rest, value, quoted_) = if after.starts_with('"') {
        let (rest, v) = quoted(after, false)?;
        (rest, v, true)
    } else {
        let (rest, v) = bare_value_with(after, true, true);
        if v.is_empty() {
            return fail(after, 1, format!("expected a value after `{key}=`"));
        }
        (rest, unescape_bare(v), false)
    };
    Ok((rest, Opt { key: key.to_ascii_lowercase(), value, quoted: quoted_, span: cx.span(i, rest) }))
}

/// Try an option; `None` when the text is not one. Committed errors pass through.
pub fn try_opt<'a>(cx: &Cx<'a>, i: &'a str) -> Result<Option<(&'a str, Opt)>, nom::Err<PErr<'a>>> {
    match opt(cx, i) {
        Ok(v) => Ok(Some(v)),
        Err(nom::Err::Error(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A field name: `"quoted"` or bare up to whitespace, `,`, `=`, `"`, `[` or `]` (balanced
/// parentheses kept: `values(x)`).
pub fn field<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, FieldName> {
    if i.starts_with('"') {
        let (rest, name) = quoted(i, false)?;
        return Ok((rest, FieldName { name, span: cx.span(i, rest) }));
    }
    let mut depth = 0usize;
    let mut end = i.len();
    for (at, c) in i.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                end = at;
                break;
            }
            ')' => depth -= 1,
            ',' | '=' | '"' | '[' | ']' if depth == 0 => {
                end = at;
                break;
            }
            c if c.is_whitespace() && depth == 0 => {
                end = at;
                break;
            }
            _ => {}
        }
    }
    if end == 0 {
        return no(i);
    }
    let rest = &i[end..];
    Ok((rest, FieldName { name: i[..end].to_string(), span: cx.span(i, rest) }))
}

/// The first character of `i` for messages (`end of input` when empty).
pub fn shown(i: &str) -> String {
    match i.chars().next() {
        Some(c) => format!("`{c}`"),
        None => "end of input".to_string(),
    }
}
