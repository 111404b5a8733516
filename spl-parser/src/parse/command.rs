//! Command bodies: one function per typed command family; everything else is `Generic`.

use super::lex::{self, fail, sp, sp_commas, try_opt, Cx, PErr, PResult};
use super::{eval, search, Start};
use crate::ast::*;

type Res<'a, T> = Result<T, nom::Err<PErr<'a>>>;

pub fn body<'a>(cx: &Cx<'a>, name: &str, s: &'a str) -> Res<'a, CommandBody> {
    Ok(match name {
        "search" => CommandBody::Search(search::search_body(cx, s)?),
        "where" => CommandBody::Where(eval::whole_expr(cx, s)?),
        "eval" => CommandBody::Eval(eval::assignments(cx, s)?),
        "stats" | "eventstats" | "streamstats" | "timechart" => CommandBody::Stats(stats(cx, s, false)?),
        "chart" => CommandBody::Stats(stats(cx, s, true)?),
        "tstats" | "mstats" => CommandBody::Tstats(tstats(cx, s)?),
        "rename" => CommandBody::Rename(rename(cx, s)?),
        "table" => CommandBody::Table(fields_list(cx, sp(s), "table")?),
        "fields" => fields(cx, s)?,
        "convert" => convert(cx, s)?,
        "sort" => sort(cx, s)?,
        "head" | "tail" => head(cx, s)?,
        "dedup" => dedup(cx, s)?,
        "fillnull" => {
            let (options, rest) = leading_options(cx, sp(s))?;
            CommandBody::Fillnull { options, fields: fields_list(cx, rest, "fillnull")? }
        }
        "rex" => rex(cx, s)?,
        "regex" => regex(cx, s)?,
        "lookup" => CommandBody::Lookup(lookup(cx, s)?),
        "inputlookup" => inputlookup(cx, s)?,
        "join" | "append" | "appendpipe" | "appendcols" => {
            let start = if name == "appendpipe" { Start::Commands } else { Start::Subsearch };
            subsearch_cmd(cx, s, start)?
        }
        "bin" | "bucket" => bin(cx, s)?,
        "foreach" => foreach(cx, s)?,
        _ => CommandBody::Generic(generic(cx, s)?),
    })
}

/// Leading `key=value` options; returns them and the rest (whitespace skipped).
fn leading_options<'a>(cx: &Cx<'a>, mut i: &'a str) -> Res<'a, (Vec<Opt>, &'a str)> {
    let mut out = Vec::new();
    while let Some((rest, o)) = try_opt(cx, i)? {
        out.push(o);
        i = sp_commas(rest);
    }
    Ok((out, i))
}

/// Field names separated by whitespace or commas, to the end.
fn fields_list<'a>(cx: &Cx<'a>, mut i: &'a str, what: &str) -> Res<'a, Vec<FieldName>> {
    let mut out = Vec::new();
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            return Ok(out);
        }
        match lex::field(cx, i) {
            Ok((rest, f)) => {
                out.push(f);
                i = rest;
            }
            Err(nom::Err::Error(_)) => {
                return Err(lex::err(i, 1, format!("expected a field name in `{what}`, found {}", lex::shown(i))))
            }
            Err(e) => return Err(e),
        }
    }
}

fn need_field<'a>(cx: &Cx<'a>, i: &'a str, what: &str) -> PResult<'a, FieldName> {
    match lex::field(cx, i) {
        Err(nom::Err::Error(_)) => fail(i, 1, format!("expected {what}, found {}", lex::shown(i))),
        r => r,
    }
}

/// `[AS name]` after a field or aggregation.
fn alias<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, Option<FieldName>> {
    let j = sp(i);
    match lex::kw("AS", j) {
        Some(after) if after.starts_with(char::is_whitespace) || after.starts_with('"') => {
            let (rest, f) = need_field(cx, sp(after), "a field name after `AS`")?;
            Ok((rest, Some(f)))
        }
        _ => Ok((i, None)),
    }
}

/// `stats`-family: options, aggregations (`count`, `dc(x) as y`, `values(eval(...))`), `by`.
/// `chart` also takes `agg=<aggregation>` and `OVER <row-field>`: that field goes first in `by`
/// (`over X by Y` is `by X Y` in Splunk's reference).
fn stats<'a>(cx: &Cx<'a>, s: &'a str, chart: bool) -> Res<'a, StatsCmd> {
    let mut cmd = StatsCmd { options: Vec::new(), aggs: Vec::new(), by: Vec::new() };
    let mut over: Option<FieldName> = None;
    let mut i = sp(s);
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            break;
        }
        if let Some(after) =
            lex::kw("OVER", i).filter(|a| chart && (a.is_empty() || a.starts_with(char::is_whitespace)))
        {
            if over.is_some() || !cmd.by.is_empty() {
                return Err(lex::err(i, 4, "chart takes one `OVER` clause, before `BY`"));
            }
            let (rest, f) = need_field(cx, sp(after), "a field name after `OVER`")?;
            over = Some(f);
            i = rest;
            continue;
        }
        if let Some(after) = lex::kw("agg", i).filter(|_| chart).and_then(|a| sp(a).strip_prefix('=')) {
            let (rest, agg) = aggregation(cx, sp(after))?;
            cmd.aggs.push(agg);
            i = rest;
            continue;
        }
        if let Some(after) = lex::kw("BY", i) {
            let (rest, (by, opts)) = by_list(cx, i, after)?;
            cmd.by = by;
            cmd.options.extend(opts);
            i = rest;
            continue;
        }
        if let Some((rest, o)) = try_opt(cx, i)? {
            cmd.options.push(o);
            i = rest;
            continue;
        }
        let (rest, agg) = aggregation(cx, i)?;
        cmd.aggs.push(agg);
        i = rest;
    }
    if let Some(f) = over {
        cmd.by.insert(0, f);
    }
    Ok(cmd)
}

/// After `BY` (at `at`): fields and options up to the end or a top-level `WHERE`.
fn by_list<'a>(cx: &Cx<'a>, at: &'a str, after: &'a str) -> PResult<'a, (Vec<FieldName>, Vec<Opt>)> {
    let end = find_kw(after, "where").unwrap_or(after.len());
    let (list, rest) = after.split_at(end);
    let mut by = Vec::new();
    let mut opts = Vec::new();
    let mut i = list;
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            break;
        }
        if let Some((r, o)) = try_opt(cx, i)? {
            opts.push(o);
            i = r;
            continue;
        }
        let (r, f) = need_field(cx, i, "a field name after `BY`")?;
        by.push(f);
        i = r;
    }
    if by.is_empty() && opts.is_empty() {
        return fail(at, 2, "expected a field name after `BY`");
    }
    Ok((rest, (by, opts)))
}

/// Offset of the first top-level standalone `word` (case-insensitive) in `s`, outside quotes,
/// parentheses and brackets, preceded by whitespace.
fn find_kw(s: &str, word: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut depth, mut k) = (0usize, 0usize);
    while k < b.len() {
        let c = b.get(k).copied().unwrap_or(0);
        match c {
            b'\\' => k += 1,
            b'"' => {
                k += 1;
                while k < b.len() && b.get(k) != Some(&b'"') {
                    k += if b.get(k) == Some(&b'\\') { 2 } else { 1 };
                }
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_ascii_whitespace() && s.get(k + 1..).and_then(|r| lex::kw(word, r)).is_some() => {
                return Some(k + 1);
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// `func[(arg)] [AS alias]`.
fn aggregation<'a>(cx: &Cx<'a>, i: &'a str) -> PResult<'a, Aggregation> {
    let Ok((rest, func)) = lex::ident(i) else {
        return fail(
            i,
            1,
            format!("expected an aggregation such as `count` or `values(field)`, found {}", lex::shown(i)),
        );
    };
    let (rest, arg) = if rest.starts_with('(') {
        let (r, inner) = lex::balanced(rest, '(', ')')?;
        if func.eq_ignore_ascii_case("sparkline") {
            (r, sparkline_arg(cx, inner)?)
        } else {
            (r, agg_arg(cx, inner)?)
        }
    } else {
        (rest, None)
    };
    let default_name = i[..i.len() - rest.len()].to_string();
    let end = rest;
    let (rest, alias) = alias(cx, rest)?;
    let span = cx.span(i, if alias.is_some() { rest } else { end });
    Ok((rest, Aggregation { func: func.to_ascii_lowercase(), arg, alias, default_name, span }))
}

fn agg_arg<'a>(cx: &Cx<'a>, inner: &'a str) -> Res<'a, Option<AggArg>> {
    let t = sp(inner).trim_end();
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(after) = lex::kw("eval", t).filter(|a| a.starts_with('(')) {
        let (rest, body) = lex::balanced(after, '(', ')')?;
        if rest.trim().is_empty() {
            return Ok(Some(AggArg::Eval(eval::whole_expr(cx, body)?)));
        }
    }
    let (rest, f) = need_field(cx, t, "a field name")?;
    if !rest.trim().is_empty() {
        return Err(lex::err(rest, 1, format!("expected `)` after the field name, found {}", lex::shown(rest))));
    }
    Ok(Some(AggArg::Field(f)))
}

/// Inside `sparkline(...)`: `<aggregation> [, <span>]`; the span is checked by the planner.
fn sparkline_arg<'a>(cx: &Cx<'a>, inner: &'a str) -> Res<'a, Option<AggArg>> {
    let t = sp(inner);
    if t.trim_end().is_empty() {
        return Ok(None);
    }
    // `sparkline(sparkline(...))` recurses.
    let _guard = cx.enter(t)?;
    let (rest, agg) = aggregation(cx, t)?;
    if let Some(a) = &agg.alias {
        let at = cx.text.get(a.span.start..).unwrap_or_default();
        return Err(lex::err(
            at,
            a.span.end.saturating_sub(a.span.start),
            "`AS` goes after `sparkline(...)`, not inside it",
        ));
    }
    let rest = sp(rest);
    let (rest, span) = match rest.strip_prefix(',') {
        Some(after) => {
            let v = sp(after);
            let (_, raw) = lex::bare_value(v, true);
            // Not bare_value's rest: at the end it is a fresh "" that has no place in the text.
            let r = v.get(raw.len()..).unwrap_or_default();
            if raw.is_empty() {
                return Err(lex::err(v, 1, format!("expected a span such as `1h` after `,`, found {}", lex::shown(v))));
            }
            (r, Some(StrLit { value: raw.to_string(), span: cx.span(v, r) }))
        }
        None => (rest, None),
    };
    let rest = sp(rest);
    if !rest.is_empty() {
        return Err(lex::err(
            rest,
            1,
            format!("expected `,` and a span or `)` in `sparkline(...)`, found {}", lex::shown(rest)),
        ));
    }
    Ok(Some(AggArg::Sparkline { inner: Box::new(agg), span }))
}

/// `tstats`/`mstats`: options and aggregations, then `FROM`, `WHERE`, `BY` clauses in any order.
fn tstats<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, TstatsCmd> {
    let mut cmd =
        TstatsCmd { options: Vec::new(), aggs: Vec::new(), from: None, where_: None, by: Vec::new(), span: None };
    let mut i = sp(s);
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            break;
        }
        if let Some(after) = lex::kw("FROM", i) {
            let j = sp(after);
            let Some(r) = lex::kw("datamodel", j) else {
                return Err(lex::err(j, 1, "expected `datamodel=<Model>` after `FROM`"));
            };
            let r = sp(r);
            let r = r.strip_prefix(['=', ':']).map(sp).unwrap_or(r);
            let (rest, raw) = match lex::quoted(r, false) {
                Ok((rest, v)) => (rest, v),
                Err(_) => {
                    let (rest, raw) = lex::bare_value(r, true);
                    (rest, raw.to_string())
                }
            };
            if raw.is_empty() {
                return Err(lex::err(r, 1, "expected a data model name after `datamodel=`"));
            }
            let (model, dataset) = match raw.split_once('.') {
                Some((m, d)) => (m.to_string(), Some(d.to_string())),
                None => (raw.clone(), None),
            };
            cmd.from = Some(DatamodelRef { model, dataset, span: cx.span(r, rest) });
            i = rest;
            continue;
        }
        if let Some(after) = lex::kw("WHERE", i) {
            let end = find_kw(after, "by").unwrap_or(after.len());
            let (clause, rest) = after.split_at(end);
            match search::search_body(cx, clause)? {
                Some(e) => cmd.where_ = Some(e),
                None => return Err(lex::err(i, 5, "expected a search expression after `WHERE`")),
            }
            i = rest;
            continue;
        }
        if let Some(after) = lex::kw("BY", i) {
            let (rest, (by, opts)) = by_list(cx, i, after)?;
            cmd.by = by;
            for o in opts {
                if o.key == "span" {
                    cmd.span = Some(o);
                } else {
                    cmd.options.push(o);
                }
            }
            i = rest;
            continue;
        }
        if let Some((rest, o)) = try_opt(cx, i)? {
            if o.key == "span" {
                cmd.span = Some(o);
            } else {
                cmd.options.push(o);
            }
            i = rest;
            continue;
        }
        let (rest, agg) = aggregation(cx, i)?;
        cmd.aggs.push(agg);
        i = rest;
    }
    Ok(cmd)
}

/// `a AS b, c.* as *` (commas optional).
fn rename<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, Vec<RenamePair>> {
    let mut out = Vec::new();
    let mut i = sp(s);
    if i.is_empty() {
        return Err(lex::err(i, 1, "expected `<field> AS <new name>` after `rename`"));
    }
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            return Ok(out);
        }
        let (rest, from) = need_field(cx, i, "a field name")?;
        let (rest, to) = alias(cx, rest)?;
        let Some(to) = to else {
            let j = sp(rest);
            return Err(lex::err(j, 1, format!("expected `AS` after `{}`, found {}", from.name, lex::shown(j))));
        };
        out.push(RenamePair { from, to });
        i = rest;
    }
}

/// `fields [+|-] a, b*`.
fn fields<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let i = sp(s);
    let (remove, i) = match i.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, i.strip_prefix('+').unwrap_or(i)),
    };
    Ok(CommandBody::Fields { remove, fields: fields_list(cx, i, "fields")? })
}

/// `convert [timeformat=...] ctime(f) [AS g] ...`.
fn convert<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let (mut options, mut i) = (Vec::new(), sp(s));
    let mut conversions = Vec::new();
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            break;
        }
        if let Some((rest, o)) = try_opt(cx, i)? {
            options.push(o);
            i = rest;
            continue;
        }
        let call = lex::ident(i).ok().filter(|(r, _)| r.starts_with('('));
        let Some((r, func)) = call else {
            return Err(lex::err(
                i,
                1,
                format!("expected a conversion such as `ctime(field)`, found {}", lex::shown(i)),
            ));
        };
        let (r, inner) = lex::balanced(r, '(', ')')?;
        let inner_t = sp(inner);
        let (_, field) = need_field(cx, inner_t, "a field name")?;
        let (rest, alias) = alias(cx, r)?;
        conversions.push(Conversion { func: func.to_ascii_lowercase(), field, alias, span: cx.span(i, rest) });
        i = rest;
    }
    Ok(CommandBody::Convert { options, conversions })
}

/// A leading count (`sort 20`, `head 5`, `dedup 2`).
fn count(i: &str) -> Option<(&str, u64)> {
    let end = i.find(|c: char| !c.is_ascii_digit()).unwrap_or(i.len());
    if end == 0 || i[end..].starts_with(|c: char| lex::is_word_char(c) || c == '.') {
        return None;
    }
    Some((&i[end..], i[..end].parse().ok()?))
}

/// Sort keys: `[+|-]f`, `- f`, `num(f)`; commas optional.
fn sort_keys<'a>(cx: &Cx<'a>, mut i: &'a str, keys: &mut Vec<SortKey>, descending: &mut bool) -> Res<'a, ()> {
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            return Ok(());
        }
        if let Some(r) = lex::kw("desc", i).or_else(|| lex::kw("d", i)) {
            if sp(r).is_empty() {
                *descending = true;
                return Ok(());
            }
        }
        let (desc, j) = match i.strip_prefix('-') {
            Some(r) => (true, sp(r)),
            None => (false, sp(i.strip_prefix('+').unwrap_or(i))),
        };
        let how = ["num", "str", "ip", "auto"].iter().find(|h| lex::kw(h, j).is_some_and(|r| r.starts_with('(')));
        let (rest, field, how) = match how {
            Some(h) => {
                let (r, inner) = lex::balanced(&j[h.len()..], '(', ')')?;
                let (_, f) = need_field(cx, sp(inner), "a field name")?;
                (r, f, Some(h.to_string()))
            }
            None => {
                let (r, f) = need_field(cx, j, "a field name to sort by")?;
                (r, f, None)
            }
        };
        keys.push(SortKey { field, descending: desc, how });
        i = rest;
    }
}

fn sort<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let mut i = sp(s);
    let mut limit = None;
    if let Some((r, n)) = count(i) {
        limit = Some(n);
        i = r;
    }
    let (opts, i) = leading_options(cx, sp(i))?;
    for o in opts {
        if o.key == "limit" {
            limit = o.value.parse().ok();
        }
    }
    let (mut keys, mut descending) = (Vec::new(), false);
    sort_keys(cx, i, &mut keys, &mut descending)?;
    Ok(CommandBody::Sort { limit, keys, descending })
}

/// `head [N] [options]`, `head (expr)`, `tail [N]`.
fn head<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let mut i = sp(s);
    let (mut count_, mut expr, mut options) = (None, None, Vec::new());
    loop {
        i = sp(i);
        if i.is_empty() {
            break;
        }
        if let Some((r, n)) = count(i) {
            count_ = Some(n);
            i = r;
        } else if i.starts_with('(') {
            let (r, e) = eval::expr(cx, i)?;
            expr = Some(e);
            i = r;
        } else if let Some((r, o)) = try_opt(cx, i)? {
            if o.key == "limit" {
                count_ = o.value.parse().ok();
            }
            options.push(o);
            i = r;
        } else {
            return Err(lex::err(
                i,
                1,
                format!("expected a count, `(expression)` or an option, found {}", lex::shown(i)),
            ));
        }
    }
    Ok(CommandBody::Head { count: count_, expr, options })
}

/// `dedup [N] f1 f2 [opts] [sortby ...]`.
fn dedup<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let mut i = sp(s);
    let mut limit = None;
    if let Some((r, n)) = count(i) {
        limit = Some(n);
        i = r;
    }
    let (mut fields, mut options, mut sortby) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        i = sp_commas(i);
        if i.is_empty() {
            break;
        }
        if let Some(after) = lex::kw("sortby", i) {
            let mut desc = false;
            sort_keys(cx, after, &mut sortby, &mut desc)?;
            if sortby.is_empty() {
                return Err(lex::err(
                    i,
                    "sortby".len(),
                    "dedup sortby needs a field to sort by, such as `sortby -count`",
                ));
            }
            // `sort`'s trailing `desc` reverses its keys; dedup's reference marks each key instead.
            if desc {
                let tail = after.trim_end_matches(|c: char| c.is_whitespace() || c == ',');
                let word = tail.rsplit(|c: char| c.is_whitespace() || c == ',').next().unwrap_or(tail);
                let at = tail.get(tail.len() - word.len()..).unwrap_or(tail);
                return Err(lex::err(
                    at,
                    word.len(),
                    format!("dedup sortby does not take `{word}`: mark each field, `-f` descending or `+f` ascending"),
                ));
            }
            break;
        }
        if let Some((r, o)) = try_opt(cx, i)? {
            options.push(o);
            i = r;
            continue;
        }
        let (r, f) = need_field(cx, i, "a field name")?;
        fields.push(f);
        i = r;
    }
    if fields.is_empty() {
        return Err(lex::err(s, 1, "expected a field name after `dedup`"));
    }
    Ok(CommandBody::Dedup { limit, fields, options, sortby })
}

/// `rex [options] "regex"`.
fn rex<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let (mut options, mut i) = leading_options(cx, sp(s))?;
    let mut pattern = None;
    loop {
        i = sp(i);
        if i.is_empty() {
            break;
        }
        if let Some((r, o)) = try_opt(cx, i)? {
            options.push(o);
            i = r;
            continue;
        }
        if i.starts_with('"') && pattern.is_none() {
            let (r, value) = lex::quoted(i, false)?;
            pattern = Some(StrLit { value, span: cx.span(i, r) });
            i = r;
            continue;
        }
        return Err(lex::err(
            i,
            1,
            format!("expected an option or a quoted regular expression, found {}", lex::shown(i)),
        ));
    }
    match pattern {
        Some(pattern) => Ok(CommandBody::Rex { options, pattern }),
        None => Err(lex::err(i, 1, "expected a quoted regular expression after `rex`")),
    }
}

/// `regex [field](=|!=)"re"` or `regex "re"`.
fn regex<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let i = sp(s);
    let (field, negated, j) = if i.starts_with('"') {
        (None, false, i)
    } else {
        let end = i.find(|c: char| c == '=' || c == '!' || c.is_whitespace()).unwrap_or(i.len());
        if end == 0 {
            return Err(lex::err(i, 1, "expected a field name or a quoted regular expression after `regex`"));
        }
        let f = FieldName { name: i[..end].to_string(), span: cx.span(i, &i[end..]) };
        let r = sp(&i[end..]);
        let (neg, r) = if let Some(r) = r.strip_prefix("!=") {
            (true, r)
        } else if let Some(r) = r.strip_prefix('=') {
            (false, r)
        } else {
            return Err(lex::err(r, 1, format!("expected `=` or `!=` after `{}`", f.name)));
        };
        (Some(f), neg, sp(r))
    };
    let (rest, pattern) = if j.starts_with('"') {
        let (r, value) = lex::quoted(j, false)?;
        (r, StrLit { value, span: cx.span(j, r) })
    } else {
        let (r, raw) = lex::bare_value(j, false);
        if raw.is_empty() {
            return Err(lex::err(j, 1, "expected a regular expression"));
        }
        (r, StrLit { value: lex::unescape_bare(raw), span: cx.span(j, r) })
    };
    let rest = sp(rest);
    if !rest.is_empty() {
        return Err(lex::err(rest, 1, format!("unexpected {} after the regular expression", lex::shown(rest))));
    }
    Ok(CommandBody::Regex { field, negated, pattern })
}

/// Field maps `a [AS b]` up to `stop` keywords.
fn field_maps<'a>(cx: &Cx<'a>, mut i: &'a str, stop: &[&str]) -> PResult<'a, Vec<FieldMap>> {
    let mut out = Vec::new();
    loop {
        i = sp_commas(i);
        if i.is_empty() || stop.iter().any(|w| lex::kw(w, i).is_some()) {
            return Ok((i, out));
        }
        let (r, field) = need_field(cx, i, "a field name")?;
        let (r, alias) = alias(cx, r)?;
        out.push(FieldMap { field, alias });
        i = r;
    }
}

fn lookup<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, LookupCmd> {
    let (options, i) = leading_options(cx, sp(s))?;
    let (i, name) = need_field(cx, i, "a lookup table name")?;
    let (i, inputs) = field_maps(cx, i, &["OUTPUTNEW", "OUTPUT"])?;
    if inputs.is_empty() {
        return Err(lex::err(i, 1, format!("expected a lookup field after `{}`", name.name)));
    }
    let (output_new, i) = if let Some(r) = lex::kw("OUTPUTNEW", i) {
        (true, r)
    } else if let Some(r) = lex::kw("OUTPUT", i) {
        (false, r)
    } else {
        (false, i)
    };
    let (i, outputs) = field_maps(cx, i, &[])?;
    let _ = i;
    Ok(LookupCmd { options, name, inputs, output_new, outputs })
}

fn inputlookup<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let (mut options, i) = leading_options(cx, sp(s))?;
    let (i, name) = need_field(cx, i, "a lookup table name")?;
    let (more, i) = leading_options(cx, sp(i))?;
    options.extend(more);
    let where_ = match lex::kw("WHERE", i) {
        Some(after) => match search::search_body(cx, after)? {
            Some(e) => Some(e),
            None => return Err(lex::err(i, 5, "expected a search expression after `WHERE`")),
        },
        None if i.is_empty() => None,
        None => return Err(lex::err(i, 1, format!("expected `WHERE` or end of command, found {}", lex::shown(i)))),
    };
    Ok(CommandBody::Inputlookup { options, name, where_ })
}

/// Options and field names up to a `[`, as `join`, `append` and `foreach` take them; the rest
/// starts at that `[`. `missing` says what was expected when the command ends before one.
fn options_and_fields_before_bracket<'a>(
    cx: &Cx<'a>,
    s: &'a str,
    field_or: &str,
    missing: &str,
) -> PResult<'a, (Vec<Opt>, Vec<FieldName>)> {
    let (mut options, mut fields) = (Vec::new(), Vec::new());
    let mut i = sp(s);
    loop {
        i = sp_commas(i);
        if i.starts_with('[') {
            return Ok((i, (options, fields)));
        }
        if i.is_empty() {
            return Err(lex::err(i, 1, missing));
        }
        if let Some((r, o)) = try_opt(cx, i)? {
            options.push(o);
            i = r;
            continue;
        }
        let (r, f) = need_field(cx, i, field_or)?;
        fields.push(f);
        i = r;
    }
}

/// `join [options] f1, f2 [subsearch]`, `append [subsearch]`, `appendpipe [...]`.
fn subsearch_cmd<'a>(cx: &Cx<'a>, s: &'a str, start: Start) -> Res<'a, CommandBody> {
    let (i, (options, fields)) =
        options_and_fields_before_bracket(cx, s, "a field name or `[subsearch]`", "expected a `[subsearch]`")?;
    let (rest, (p, _)) = super::subsearch(cx, i, start)?;
    let rest = sp(rest);
    if !rest.is_empty() {
        return Err(lex::err(rest, 1, format!("unexpected {} after the subsearch", lex::shown(rest))));
    }
    Ok(CommandBody::Subsearch { options, fields, search: Box::new(p) })
}

/// `bin [options] field [AS alias] [options]`.
fn bin<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let (mut options, i) = leading_options(cx, sp(s))?;
    let (i, field) = need_field(cx, i, "a field name")?;
    let (i, alias) = alias(cx, i)?;
    let (more, i) = leading_options(cx, sp(i))?;
    options.extend(more);
    if !i.is_empty() {
        return Err(lex::err(i, 1, format!("unexpected {}", lex::shown(i))));
    }
    Ok(CommandBody::Bin { options, field, alias })
}

/// `foreach [options] f1 f2* [ template ]`: the template stays text.
fn foreach<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, CommandBody> {
    let (i, (options, fields)) = options_and_fields_before_bracket(
        cx,
        s,
        "a field name or `[ template ]`",
        "expected a `[ template ]` after the fields of `foreach`",
    )?;
    let (rest, inner) = lex::balanced(i, '[', ']')?;
    let t = inner.trim();
    let lead = inner.len() - inner.trim_start().len();
    let t_start = &inner[lead..];
    let template = StrLit { value: t.to_string(), span: Span::new(cx.pos(t_start), cx.pos(t_start) + t.len()) };
    let rest = sp(rest);
    if !rest.is_empty() {
        return Err(lex::err(rest, 1, format!("unexpected {} after the template", lex::shown(rest))));
    }
    if fields.is_empty() {
        return Err(lex::err(s, 1, "expected a field name after `foreach`"));
    }
    Ok(CommandBody::Foreach { options, fields, template })
}

/// Any command: words, options, `name(...)` calls, quoted strings, subsearches, commas.
fn generic<'a>(cx: &Cx<'a>, s: &'a str) -> Res<'a, Vec<Arg>> {
    let mut out = Vec::new();
    let mut i = s;
    loop {
        i = sp(i);
        if i.is_empty() {
            return Ok(out);
        }
        if let Some(r) = i.strip_prefix(',') {
            out.push(Arg::Comma(cx.span(i, r)));
            i = r;
            continue;
        }
        if i.starts_with('[') {
            let (r, (p, _)) = super::subsearch(cx, i, Start::Subsearch)?;
            out.push(Arg::Subsearch(Box::new(p)));
            i = r;
            continue;
        }
        if i.starts_with('"') {
            let (r, text) = lex::quoted(i, false)?;
            out.push(Arg::Word { text, quoted: true, span: cx.span(i, r) });
            i = r;
            continue;
        }
        if let Some((r, o)) = try_opt(cx, i)? {
            out.push(Arg::Opt(o));
            i = r;
            continue;
        }
        let end =
            i.find(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '[' | ']' | '(' | ')')).unwrap_or(i.len());
        let (name, rest) = i.split_at(end);
        if rest.starts_with('(') {
            let (r, inner) = lex::balanced(rest, '(', ')')?;
            out.push(Arg::Call { name: name.to_string(), inner: inner.to_string(), span: cx.span(i, r) });
            i = r;
            continue;
        }
        if end == 0 {
            // A stray `)` or `]`.
            return Err(lex::err(i, 1, format!("unbalanced {}", lex::shown(i))));
        }
        out.push(Arg::Word { text: name.to_string(), quoted: false, span: cx.span(i, rest) });
        i = rest;
    }
}
