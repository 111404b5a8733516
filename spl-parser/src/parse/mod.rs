//! SPL parser: pipelines here, the two expression languages in [`search`] and [`eval`], typed
//! command bodies in [`command`], shared tokens in [`lex`].

mod command;
mod eval;
mod lex;
mod search;
#[cfg(test)]
mod tests;

use crate::ast::*;
use crate::error::ParseError;
use lex::{Cx, PErr, PResult};

/// Commands that may open a subsearch without a leading `|` (`[tstats ...]`, `[inputlookup x]`).
const GENERATING: &[&str] = &[
    "tstats",
    "mstats",
    "inputlookup",
    "from",
    "rest",
    "makeresults",
    "summary",
    "metadata",
    "datamodel",
    "search",
    "dbinspect",
    "eventcount",
    "inputcsv",
    "loadjob",
    "savedsearch",
    "multisearch",
    "union",
    "set",
    "pivot",
    "metasearch",
    "mcatalog",
    "inputintelligence",
];

/// How the first segment of a pipeline is read.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Start {
    /// Top level: an implicit `search` unless the text starts with `|` (or `search`).
    Top,
    /// `[ ... ]`: a known generating command may come without `|`.
    Subsearch,
    /// `appendpipe [ ... ]`: a plain command chain.
    Commands,
}

fn to_parse_error(cx: &Cx<'_>, e: nom::Err<PErr<'_>>) -> ParseError {
    match e {
        nom::Err::Incomplete(_) => ParseError::new("unexpected end of input", Span::new(cx.text.len(), cx.text.len())),
        nom::Err::Error(p) | nom::Err::Failure(p) => {
            let start = cx.pos(p.input);
            let end = (start + p.len.max(1)).min(cx.text.len());
            let end = cx.text.ceil_char_boundary(end);
            let message = p.message.unwrap_or_else(|| format!("unexpected {}", lex::shown(p.input)));
            ParseError::new(message, Span::new(start, end))
        }
    }
}

pub fn pipeline(text: &str) -> Result<Pipeline, ParseError> {
    let cx = Cx::new(text);
    pipeline_in(&cx, text, Start::Top).map_err(|e| to_parse_error(&cx, e))
}

pub fn search_expr_only(text: &str) -> Result<Option<SearchExpr>, ParseError> {
    let cx = Cx::new(text);
    search::search_body(&cx, text).map_err(|e| to_parse_error(&cx, e))
}

pub fn eval_expr_only(text: &str) -> Result<Expr, ParseError> {
    let cx = Cx::new(text);
    eval::whole_expr(&cx, text).map_err(|e| to_parse_error(&cx, e))
}

/// Split `s` at top-level `|` (outside double quotes, brackets and parentheses).
fn split_pipes<'a>(s: &'a str) -> Result<Vec<&'a str>, nom::Err<PErr<'a>>> {
    match split_with(s, true)? {
        Some(parts) => Ok(parts),
        // Unbalanced parentheses (e.g. inside an unquoted value): split ignoring them.
        None => Ok(split_with(s, false)?.unwrap_or_else(|| vec![s])),
    }
}

/// `None` when parentheses do not balance and `parens` is set.
fn split_with<'a>(s: &'a str, parens: bool) -> Result<Option<Vec<&'a str>>, nom::Err<PErr<'a>>> {
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut k) = (0, 0);
    let mut brackets: Vec<usize> = Vec::new();
    let mut paren = 0isize;
    while k < b.len() {
        match b.get(k).copied().unwrap_or(0) {
            // `\"` outside quotes is an escaped quote, not a string.
            b'\\' => k += 1,
            b'"' => {
                let q = k;
                k += 1;
                loop {
                    match b.get(k) {
                        None => return Err(lex::err(&s[q..], 1, "unterminated `\"`")),
                        Some(b'\\') => k += 2,
                        Some(b'"') => break,
                        _ => k += 1,
                    }
                }
            }
            b'[' => brackets.push(k),
            // The guard pops the matching `[`; an unmatched `]` is an error.
            b']' if brackets.pop().is_none() => {
                return Err(lex::err(&s[k..], 1, "unbalanced `]`"));
            }
            b'(' if parens => paren += 1,
            b')' if parens => paren -= 1,
            b'|' if brackets.is_empty() && paren <= 0 => {
                parts.push(s.get(start..k).unwrap_or(""));
                start = k + 1;
            }
            _ => {}
        }
        k += 1;
    }
    if let Some(&open) = brackets.first() {
        return Err(lex::err(&s[open..], 1, "unbalanced `[`"));
    }
    if parens && paren != 0 {
        return Ok(None);
    }
    parts.push(s.get(start..).unwrap_or(""));
    Ok(Some(parts))
}

pub(crate) fn pipeline_in<'a>(cx: &Cx<'a>, s: &'a str, start: Start) -> Result<Pipeline, nom::Err<PErr<'a>>> {
    let parts = split_pipes(s)?;
    let span = Span::new(cx.pos(s) + (s.len() - s.trim_start().len()), cx.pos(s) + s.trim_end().len());
    let mut commands = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let lead = part.len() - part.trim_start().len();
        let seg = &part[lead..lead + part.trim().len()];
        if n == 0 {
            if seg.is_empty() {
                if parts.len() == 1 && start == Start::Top {
                    // Empty text: an empty search.
                    let at = Span::new(cx.pos(seg), cx.pos(seg));
                    commands.push(Command {
                        name: "search".into(),
                        name_span: at,
                        body: CommandBody::Search(None),
                        span: at,
                    });
                }
                if parts.len() == 1 && start != Start::Top {
                    return Err(lex::err(seg, 1, "expected a search or command inside `[ ]`"));
                }
                continue;
            }
            let first = lex::ident(seg).map(|(_, w)| w.to_ascii_lowercase()).unwrap_or_default();
            let explicit = match start {
                Start::Top => first == "search" && lex::kw("search", seg).is_some(),
                Start::Subsearch => GENERATING.contains(&first.as_str()) && lex::kw(&first, seg).is_some(),
                Start::Commands => true,
            };
            if !explicit {
                let body = search::search_body(cx, seg)?;
                let at = Span::new(cx.pos(seg), cx.pos(seg));
                commands.push(Command {
                    name: "search".into(),
                    name_span: at,
                    body: CommandBody::Search(body),
                    span: Span::new(cx.pos(seg), cx.pos(seg) + seg.len()),
                });
                continue;
            }
        } else if seg.is_empty() {
            let at = cx.pos(part).saturating_sub(cx.pos(s)).saturating_sub(1);
            let bar = s.get(at..).unwrap_or(s);
            return Err(lex::err(bar, 1, "expected a command name after `|`"));
        }
        commands.push(command(cx, seg)?);
    }
    Ok(Pipeline { commands, span })
}

/// One command: `name body...` (`seg` is trimmed).
fn command<'a>(cx: &Cx<'a>, seg: &'a str) -> Result<Command, nom::Err<PErr<'a>>> {
    let (body, name) = match lex::ident(seg) {
        Ok(v) => v,
        Err(_) => return Err(lex::err(seg, 1, "expected a command name after `|`")),
    };
    let lname = name.to_ascii_lowercase();
    let name_span = cx.span(seg, body);
    let body = command::body(cx, &lname, body)?;
    Ok(Command { name: lname, name_span, body, span: Span::new(cx.pos(seg), cx.pos(seg) + seg.len()) })
}

/// Parse `[ ... ]` at the start of `i`: the inner pipeline and the rest after `]`.
pub(crate) fn subsearch<'a>(cx: &Cx<'a>, i: &'a str, start: Start) -> PResult<'a, (Pipeline, Span)> {
    let (rest, inner) = lex::balanced(i, '[', ']')?;
    let _guard = cx.enter_weighted(i, lex::SUBSEARCH_WEIGHT)?;
    let pipeline = pipeline_in(cx, inner, start)?;
    Ok((rest, (pipeline, cx.span(i, rest))))
}
