//! The search language (`search`, the implicit first search, tstats and inputlookup WHERE).
//!
//! Precedence, tightest first: parentheses, NOT, OR, AND (juxtaposition) — the opposite of
//! eval. `AND`/`OR`/`NOT` are operators only in uppercase; lowercase they are plain terms.

use super::lex::{self, fail, sp, Cx, PResult};
use super::Start;
use crate::ast::*;

/// A whole search expression; `None` when `s` is blank. All of `s` must be consumed.
pub fn search_body<'a>(cx: &Cx<'a>, s: &'a str) -> Result<Option<SearchExpr>, nom::Err<lex::PErr<'a>>> {
    let i = sp(s);
    if i.is_empty() {
        return Ok(None);
    }
    let (rest, e) = and_expr(cx, i)?;
    let rest = sp(rest);
    if rest.starts_with(')') {
        return Err(lex::err(rest, 1, "unbalanced `)`"));
    }
    if !rest.is_empty() {
        return Err(lex::err(rest, 1, format!("unexpected {}", lex::shown(rest))));
    }
    Ok(Some(e))
}

/// An uppercase boolean operator followed by a separator.
fn op_kw<'a>(word: &str, i: &'a str) -> Option<&'a str> {
    let rest = i.strip_prefix(word)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() || c == '(' || c == '"' || c == '[' => Some(rest),
        _ => None,
    }
}

fn ends_group(i: &str) -> bool {
    i.is_empty() || i.starts_with(')')
}

fn and_expr<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, SearchExpr> {
    let (mut i, first) = or_expr(cx, i)?;
    let mut items = vec![first];
    loop {
        let j = sp(i);
        if ends_group(j) {
            break;
        }
        let j = match op_kw("AND", j) {
            Some(after) => {
                let after = sp(after);
                if ends_group(after) {
                    return fail(j, 3, "expected a search term after `AND`");
                }
                after
            }
            None => j,
        };
        let (rest, e) = or_expr(cx, j)?;
        items.push(e);
        i = rest;
    }
    let e = if items.len() == 1 { items.pop().unwrap_or(SearchExpr::And(Vec::new())) } else { SearchExpr::And(items) };
    Ok((i, e))
}

fn or_expr<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, SearchExpr> {
    let (mut i, first) = not_expr(cx, i)?;
    let mut items = vec![first];
    loop {
        let j = sp(i);
        let Some(after) = op_kw("OR", j) else { break };
        let after = sp(after);
        if ends_group(after) {
            return fail(j, 2, "expected a search term after `OR`");
        }
        let (rest, e) = not_expr(cx, after)?;
        items.push(e);
        i = rest;
    }
    let e = if items.len() == 1 { items.pop().unwrap_or(SearchExpr::Or(Vec::new())) } else { SearchExpr::Or(items) };
    Ok((i, e))
}

/// `NOT` applies to the next primary only; chains are read in a loop, not by recursion.
fn not_expr<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, SearchExpr> {
    let mut nots = Vec::new();
    let mut i = i;
    while let Some(after) = op_kw("NOT", i) {
        nots.push(cx.pos(i));
        if nots.len() > lex::MAX_DEPTH {
            return fail(i, 3, format!("nested more than {} levels deep", lex::MAX_DEPTH));
        }
        let after = sp(after);
        if ends_group(after) {
            return fail(i, 3, "expected a search term after `NOT`");
        }
        i = after;
    }
    let (rest, mut e) = primary(cx, i)?;
    let end = cx.pos(rest);
    while let Some(start) = nots.pop() {
        e = SearchExpr::Not(Box::new(e), Span::new(start, end));
    }
    Ok((rest, e))
}

fn primary<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, SearchExpr> {
    if let Some(inner) = i.strip_prefix('(') {
        let _guard = cx.enter(i)?;
        let inner = sp(inner);
        if inner.starts_with(')') {
            return fail(inner, 1, "expected a search term after `(`");
        }
        let (rest, e) = and_expr(cx, inner)?;
        let rest = sp(rest);
        return match rest.strip_prefix(')') {
            Some(rest) => Ok((rest, e)),
            None => fail(i, 1, "unbalanced `(`"),
        };
    }
    if i.starts_with('[') {
        let (rest, (p, span)) = super::subsearch(cx, i, Start::Subsearch)?;
        return Ok((rest, SearchExpr::Subsearch(Box::new(p), span)));
    }
    if i.starts_with(']') {
        return fail(i, 1, "unbalanced `]`");
    }
    if i.starts_with(')') {
        return fail(i, 1, "unbalanced `)`");
    }
    if i.starts_with('"') {
        let (rest, text) = lex::quoted(i, false)?;
        let name = FieldName { name: text.clone(), span: cx.span(i, rest) };
        // A quoted string directly followed by an operator names a field.
        if let Some(r) = comparison(cx, i, &name, rest)? {
            return Ok(r);
        }
        let value = SearchValue { text, quoted: true, span: name.span };
        return Ok((rest, SearchExpr::Term { value, kind: TermKind::Phrase, span: name.span }));
    }
    for (word, kind) in [("TERM", TermKind::Term), ("CASE", TermKind::Case)] {
        if let Some(after) = lex::kw(word, i).filter(|a| a.starts_with('(')) {
            let (rest, inner) = lex::balanced(after, '(', ')')?;
            let t = inner.trim();
            let (text, quoted) = match lex::quoted(t, false) {
                Ok(("", v)) => (v, true),
                _ => (lex::unescape_bare(t), false),
            };
            let span = cx.span(i, rest);
            return Ok((rest, SearchExpr::Term { value: SearchValue { text, quoted, span }, kind, span }));
        }
    }
    // Uppercase OR/AND are operators, never terms: a search cannot begin with one, nor follow
    // one operator with another (`search OR a=1`, `(OR x)`, `x OR OR y` are syntax errors in
    // Splunk). Quote them to search for the words.
    for kw in ["OR", "AND"] {
        if op_kw(kw, i).is_some() {
            return fail(i, kw.len(), format!("expected a search term before `{kw}`"));
        }
    }
    let end = word_end(i);
    let (head, rest) = i.split_at(end);
    if head.is_empty() {
        if i.starts_with(['=', '<', '>', '!']) {
            return fail(i, 1, format!("expected a field name before {}", lex::shown(i)));
        }
        return fail(i, 1, format!("expected a search term, found {}", lex::shown(i)));
    }
    let name = FieldName { name: head.to_string(), span: cx.span(i, rest) };
    if let Some(r) = comparison(cx, i, &name, rest)? {
        return Ok(r);
    }
    // A bare term; balanced parentheses may continue it (`foo(bar)`).
    let (rest, word) = if rest.starts_with('(') { lex::bare_value(i, false) } else { (rest, head) };
    let span = cx.span(i, rest);
    let value = SearchValue { text: lex::unescape_bare(word), quoted: false, span };
    Ok((rest, SearchExpr::Term { value, kind: TermKind::Word, span }))
}

/// End of a field name or bare term: whitespace, an operator, a quote, a paren or a bracket.
fn word_end(i: &str) -> usize {
    let b = i.as_bytes();
    for (at, c) in i.char_indices() {
        match c {
            '=' | '<' | '>' | '(' | ')' | '[' | ']' | '"' => return at,
            '!' if b.get(at + 1) == Some(&b'=') => return at,
            c if c.is_whitespace() => return at,
            _ => {}
        }
    }
    i.len()
}

fn cmp_op(i: &str) -> Option<(CmpOp, &str, usize)> {
    for (tok, op) in [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("=", CmpOp::Eq),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ] {
        if let Some(rest) = i.strip_prefix(tok) {
            return Some((op, rest, tok.len()));
        }
    }
    None
}

/// `field op value` or `field IN (...)` after the field `name` (which started at `start` and
/// ended at `rest`). `None` when no operator follows.
fn comparison<'a>(
    cx: &Cx<'a>,
    start: &'a str,
    name: &FieldName,
    rest: &'a str,
) -> Result<Option<(&'a str, SearchExpr)>, nom::Err<lex::PErr<'a>>> {
    let j = sp(rest);
    if let Some((op, after, oplen)) = cmp_op(j) {
        let v = sp(after);
        let (rest, value) = value(cx, v, false)?;
        if value.text.is_empty() && !value.quoted {
            return Err(lex::err(j, oplen, format!("expected a value after `{}`", &j[..oplen])));
        }
        let span = cx.span(start, rest);
        return Ok(Some((rest, SearchExpr::Compare { field: name.clone(), op, value, span })));
    }
    if let Some(after) = lex::kw("IN", j) {
        let open = sp(after);
        if !open.starts_with('(') {
            return Ok(None);
        }
        let mut values = Vec::new();
        let mut k = &open[1..];
        loop {
            k = sp(k);
            if let Some(r) = k.strip_prefix(')') {
                let span = cx.span(start, r);
                return Ok(Some((r, SearchExpr::In { field: name.clone(), values, span })));
            }
            if k.is_empty() {
                return Err(lex::err(open, 1, "unbalanced `(`"));
            }
            // Empty elements (`"a",, "b"`, a trailing `,`) occur in the corpus; Splunk skips them.
            if let Some(r) = k.strip_prefix(',') {
                k = r;
                continue;
            }
            let (r, v) = value(cx, k, true)?;
            if v.text.is_empty() && !v.quoted {
                return Err(lex::err(k, 1, format!("expected a value or `)` in `IN (...)`, found {}", lex::shown(k))));
            }
            values.push(v);
            k = sp(r);
            if let Some(r) = k.strip_prefix(',') {
                k = r;
            }
        }
    }
    Ok(None)
}

/// A quoted or bare value; bare values end at whitespace, an unmatched `)`, or (in IN lists) `,`.
fn value<'a>(cx: &Cx<'a>, i: &'a str, in_list: bool) -> PResult<'a, SearchValue> {
    if i.starts_with('"') {
        let (rest, text) = lex::quoted(i, false)?;
        return Ok((rest, SearchValue { text, quoted: true, span: cx.span(i, rest) }));
    }
    let (rest, raw) = lex::bare_value(i, in_list);
    Ok((rest, SearchValue { text: lex::unescape_bare(raw), quoted: false, span: cx.span(i, rest) }))
}
