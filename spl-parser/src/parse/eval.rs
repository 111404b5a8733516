//! Eval expressions (`eval`, `where`, `stats ... eval(...)`): a Pratt parser.
//!
//! Precedence, tightest first: unary `-`; `* / %`; `+ - .`; `< <= > >=`; `= == != LIKE IN`;
//! `NOT`; `AND`; `XOR`; `OR`. Keywords are case-insensitive here (unlike search).

use super::lex::{self, fail, sp, Cx, PResult};
use crate::ast::*;

const BP_OR: u8 = 1;
const BP_XOR: u8 = 2;
const BP_AND: u8 = 3;
const BP_NOT: u8 = 4;
const BP_EQ: u8 = 5;
const BP_REL: u8 = 6;
const BP_ADD: u8 = 7;
const BP_MUL: u8 = 8;
const BP_NEG: u8 = 9;

const KEYWORDS: &[&str] = &["and", "or", "xor", "not", "like", "in"];

/// An expression that must fill all of `s` (as after `where`).
pub fn whole_expr<'a>(cx: &Cx<'a>, s: &'a str) -> Result<Expr, nom::Err<lex::PErr<'a>>> {
    let i = sp(s);
    if i.is_empty() {
        return Err(lex::err(i, 1, "expected an expression"));
    }
    let (rest, e) = expr(cx, i)?;
    let rest = sp(rest);
    if !rest.is_empty() {
        let msg = if rest.starts_with(')') {
            "unbalanced `)`".to_string()
        } else {
            format!("expected an operator or end of expression, found {}", lex::shown(rest))
        };
        return Err(lex::err(rest, 1, msg));
    }
    Ok(e)
}

/// `eval a=expr, "b c"=expr, 'd'=expr`.
pub fn assignments<'a>(cx: &Cx<'a>, s: &'a str) -> Result<Vec<Assignment>, nom::Err<lex::PErr<'a>>> {
    let mut out = Vec::new();
    let mut i = sp(s);
    if i.is_empty() {
        return Err(lex::err(i, 1, "expected an assignment `field=expression`"));
    }
    loop {
        let start = i;
        let (rest, name) = if i.starts_with('"') {
            lex::quoted(i, false)?
        } else if i.starts_with('\'') {
            single_quoted(i)?
        } else {
            let end = i.find(|c: char| c.is_whitespace() || c == '=' || c == ',').unwrap_or(i.len());
            if end == 0 {
                return Err(lex::err(i, 1, format!("expected a field name to assign, found {}", lex::shown(i))));
            }
            (&i[end..], i[..end].to_string())
        };
        let field = FieldName { name, span: cx.span(start, rest) };
        let j = sp(rest);
        let after = match j.strip_prefix('=') {
            Some(a) if !a.starts_with('=') => sp(a),
            _ => return Err(lex::err(j, 1, format!("expected `=` after `{}`", field.name))),
        };
        if after.is_empty() || after.starts_with(',') {
            return Err(lex::err(j, 1, "expected a value after `=`"));
        }
        let (rest, e) = expr(cx, after)?;
        out.push(Assignment { field, expr: e, span: cx.span(start, rest) });
        let rest = sp(rest);
        if rest.is_empty() {
            return Ok(out);
        }
        match rest.strip_prefix(',') {
            Some(r) => i = sp(r),
            None => return Err(lex::err(rest, 1, format!("expected `,` or an operator, found {}", lex::shown(rest)))),
        }
        if i.is_empty() {
            return Err(lex::err(rest, 1, "expected an assignment after `,`"));
        }
    }
}

fn single_quoted(i: &str) -> PResult<'_, String> {
    let Some(body) = i.strip_prefix('\'') else {
        return lex::no(i);
    };
    match body.find('\'') {
        Some(end) => Ok((&body[end + 1..], body[..end].to_string())),
        None => fail(i, 1, "unterminated `'`"),
    }
}

/// Binding power and width of the infix operator at `i`, if any.
fn infix(i: &str) -> Option<(InfixOp, u8, &str)> {
    let sym: &[(&str, InfixOp, u8)] = &[
        ("==", InfixOp::Bin(BinOp::Eq), BP_EQ),
        ("!=", InfixOp::Bin(BinOp::Ne), BP_EQ),
        ("<=", InfixOp::Bin(BinOp::Le), BP_REL),
        (">=", InfixOp::Bin(BinOp::Ge), BP_REL),
        ("=", InfixOp::Bin(BinOp::Eq), BP_EQ),
        ("<", InfixOp::Bin(BinOp::Lt), BP_REL),
        (">", InfixOp::Bin(BinOp::Gt), BP_REL),
        ("*", InfixOp::Bin(BinOp::Mul), BP_MUL),
        ("/", InfixOp::Bin(BinOp::Div), BP_MUL),
        ("%", InfixOp::Bin(BinOp::Mod), BP_MUL),
        ("+", InfixOp::Bin(BinOp::Add), BP_ADD),
        ("-", InfixOp::Bin(BinOp::Sub), BP_ADD),
        (".", InfixOp::Bin(BinOp::Concat), BP_ADD),
    ];
    for (tok, op, bp) in sym {
        if let Some(rest) = i.strip_prefix(tok) {
            return Some((*op, *bp, rest));
        }
    }
    let words: &[(&str, InfixOp, u8)] = &[
        ("AND", InfixOp::Bin(BinOp::And), BP_AND),
        ("OR", InfixOp::Bin(BinOp::Or), BP_OR),
        ("XOR", InfixOp::Bin(BinOp::Xor), BP_XOR),
        ("LIKE", InfixOp::Bin(BinOp::Like), BP_EQ),
        ("IN", InfixOp::In, BP_EQ),
    ];
    for (word, op, bp) in words {
        if let Some(rest) = lex::kw(word, i) {
            return Some((*op, *bp, rest));
        }
    }
    None
}

#[derive(Clone, Copy)]
enum InfixOp {
    Bin(BinOp),
    In,
}

pub fn expr<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, Expr> {
    expr_bp(cx, i, 0)
}

fn expr_bp<'a>(cx: &Cx<'a>, i: &'a str, min_bp: u8) -> PResult<'a, Expr> {
    let _guard = cx.enter(i)?;
    let start = sp(i);
    let (mut i, mut lhs) = prefix(cx, start)?;
    loop {
        let j = sp(i);
        let Some((op, bp, after)) = infix(j) else {
            break;
        };
        if bp < min_bp {
            break;
        }
        let after = sp(after);
        match op {
            InfixOp::In => {
                let Some(list_start) = after.strip_prefix('(') else {
                    return fail(after, 1, "expected `(` after `IN`");
                };
                let (rest, list) = args(cx, list_start, after, "IN (")?;
                let span = Span::new(lhs.span.start, cx.pos(rest));
                lhs = Expr { kind: ExprKind::In { expr: Box::new(lhs), list }, span };
                i = rest;
            }
            InfixOp::Bin(op) => {
                if after.is_empty() || after.starts_with([')', ',']) {
                    return fail(j, j.len() - after.len(), "expected an expression after the operator");
                }
                let (rest, rhs) = expr_bp(cx, after, bp + 1)?;
                let span = Span::new(lhs.span.start, rhs.span.end);
                lhs = Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span };
                i = rest;
            }
        }
    }
    Ok((i, lhs))
}

/// Comma-separated expressions up to `)`; `i` is just after `(` (at `open`).
fn args<'a>(cx: &Cx<'a>, i: &'a str, open: &'a str, what: &str) -> PResult<'a, Vec<Expr>> {
    let mut out = Vec::new();
    let mut i = sp(i);
    if let Some(rest) = i.strip_prefix(')') {
        return Ok((rest, out));
    }
    loop {
        if i.is_empty() {
            return fail(open, 1, "unbalanced `(`");
        }
        let (rest, e) = expr(cx, i)?;
        out.push(e);
        let rest = sp(rest);
        if let Some(r) = rest.strip_prefix(')') {
            return Ok((r, out));
        }
        match rest.strip_prefix(',') {
            Some(r) => i = sp(r),
            None if rest.is_empty() => return fail(open, 1, "unbalanced `(`"),
            None => return fail(rest, 1, format!("expected `,` or `)` in `{what}...)`, found {}", lex::shown(rest))),
        }
    }
}

fn prefix<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, Expr> {
    if let Some(inner) = i.strip_prefix('(') {
        let (rest, mut e) = expr(cx, inner)?;
        let rest = sp(rest);
        let Some(rest) = rest.strip_prefix(')') else {
            return fail(i, 1, "unbalanced `(`");
        };
        e.span = cx.span(i, rest);
        return Ok((rest, e));
    }
    if i.starts_with('"') {
        let (rest, s) = lex::quoted(i, true)?;
        return Ok((rest, Expr { kind: ExprKind::Str(s), span: cx.span(i, rest) }));
    }
    if i.starts_with('\'') {
        let (rest, s) = single_quoted(i)?;
        return Ok((rest, Expr { kind: ExprKind::Field(s), span: cx.span(i, rest) }));
    }
    if let Some(after) = i.strip_prefix('-') {
        let (rest, e) = expr_bp(cx, after, BP_NEG)?;
        let span = cx.span(i, rest);
        return Ok((rest, Expr { kind: ExprKind::Unary { op: UnaryOp::Neg, expr: Box::new(e) }, span }));
    }
    if let Some(after) = lex::kw("NOT", i) {
        let (rest, e) = expr_bp(cx, after, BP_NOT)?;
        let span = cx.span(i, rest);
        return Ok((rest, Expr { kind: ExprKind::Unary { op: UnaryOp::Not, expr: Box::new(e) }, span }));
    }
    if let Some((rest, n)) = number(i) {
        return Ok((rest, Expr { kind: ExprKind::Num(n), span: cx.span(i, rest) }));
    }
    let end = ident_end(i);
    if end == 0 {
        return fail(i, 1, format!("expected an expression, found {}", lex::shown(i)));
    }
    let (name, rest) = i.split_at(end);
    // `mvindex (x, 1)` and `LIKE (x, "%a%")`: a call may have spaces before `(`.
    if let Some(inner) = sp(rest).strip_prefix('(') {
        let rest = sp(rest);
        let (rest, list) = args(cx, inner, rest, &format!("{name}("))?;
        let span = cx.span(i, rest);
        return Ok((rest, Expr { kind: ExprKind::Call { name: name.to_ascii_lowercase(), args: list }, span }));
    }
    if KEYWORDS.iter().any(|k| name.eq_ignore_ascii_case(k)) {
        return fail(i, end, format!("expected an expression before `{name}`"));
    }
    Ok((rest, Expr { kind: ExprKind::Field(name.to_string()), span: cx.span(i, rest) }))
}

/// `10`, `0.5`, `1e3`; not when letters follow (`3cx` is a field name).
fn number(i: &str) -> Option<(&str, f64)> {
    let b = i.as_bytes();
    let digits = |from: usize| from + b.iter().skip(from).take_while(|c| c.is_ascii_digit()).count();
    let mut k = digits(0);
    if b.get(k) == Some(&b'.') && b.get(k + 1).is_some_and(u8::is_ascii_digit) {
        k = digits(k + 1);
    }
    if k == 0 {
        return None;
    }
    if matches!(b.get(k), Some(b'e' | b'E')) {
        let s = if matches!(b.get(k + 1), Some(b'+' | b'-')) { k + 2 } else { k + 1 };
        if b.get(s).is_some_and(u8::is_ascii_digit) {
            k = digits(s);
        }
    }
    if b.get(k).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
        return None;
    }
    let n = i.get(..k)?.parse().ok()?;
    Some((i.get(k..)?, n))
}

/// End of a bare field or function name: word characters, `.`, `{}`, `:`, `@` and `<<X>>`
/// placeholders; a trailing `.` is the concatenation operator.
fn ident_end(i: &str) -> usize {
    let b = i.as_bytes();
    let mut k = 0;
    while k < b.len() {
        let c = b.get(k).copied().unwrap_or(0);
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'{' | b'}' | b':' | b'@') || c >= 0x80 {
            k += 1;
        } else if c == b'<' && b.get(k + 1) == Some(&b'<') {
            match i.get(k..).and_then(|s| s.find(">>")) {
                Some(off) => k += off + 2,
                None => break,
            }
        } else {
            break;
        }
    }
    while k > 0 && b.get(k - 1) == Some(&b'.') {
        k -= 1;
    }
    // Never split a UTF-8 character.
    while k > 0 && !i.is_char_boundary(k) {
        k -= 1;
    }
    k
}
