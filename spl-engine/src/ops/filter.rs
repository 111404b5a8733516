//! Filtering commands: `search` (with subsearches), `where`, `regex`.

use spl_parser::{CmpOp, FieldName, SearchExpr, SearchValue, Span};

use crate::eval::interp::Interp;
use crate::event::Event;
use crate::exec::{Context, ExecError, Operator, Pipeline, Runtime};
use std::sync::Arc;

use crate::regex_util::SplRegex;
use crate::search::{CompileCtx, Matcher};

/// A search expression whose subsearches run in `prepare` and are formatted into it the way
/// Splunk's `format` command does. Shared by `search` and tstats `where`.
pub struct DeferredMatcher {
    expr: Option<SearchExpr>,
    subs: Vec<Pipeline>,
    matcher: Option<Matcher>,
    ctx: CompileCtx,
    maxout: usize,
}

impl DeferredMatcher {
    pub fn new(expr: Option<SearchExpr>, mut subs: Vec<Pipeline>, ctx: &Context) -> Result<Self, ExecError> {
        let maxout = ctx.limits.subsearch_maxout;
        for s in &mut subs {
            s.max_rows = Some(maxout);
        }
        let cc = CompileCtx { now: ctx.fns.now, tz: ctx.fns.tz.offset_seconds };
        let matcher = match (&expr, subs.is_empty()) {
            (None, _) => Some(Matcher::True),
            (Some(e), true) => Some(Matcher::compile(e, &cc).map_err(|e| ExecError::at(e.message, e.span))?),
            (Some(_), false) => None,
        };
        Ok(DeferredMatcher { expr, subs, matcher, ctx: cc, maxout })
    }

    /// The compiled matcher (`None` until `prepare` ran the subsearches).
    pub fn matcher(&self) -> Option<&Matcher> {
        self.matcher.as_ref()
    }

    /// The expression compiled with each subsearch taken as matching everything.
    fn without_subsearches(&self) -> Option<Matcher> {
        let e = substitute(self.expr.as_ref()?, &mut std::iter::empty());
        Matcher::compile(&e, &self.ctx).ok()
    }

    pub fn matches(&self, ev: &Event) -> bool {
        self.matcher.as_ref().is_some_and(|m| m.matches(ev))
    }

    pub fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        if self.matcher.is_some() {
            return Ok(());
        }
        let mut results = Vec::new();
        for sub in &mut self.subs {
            results.push(rt.collect(sub)?);
        }
        self.complete(results)
    }

    /// The subsearches still to run (none once the matcher is compiled).
    pub fn pending_mut(&mut self) -> Vec<&mut Pipeline> {
        if self.matcher.is_some() {
            Vec::new()
        } else {
            self.subs.iter_mut().collect()
        }
    }

    /// Format the subsearches' rows into the expression and compile it.
    pub fn complete(&mut self, results: Vec<Vec<Event>>) -> Result<(), ExecError> {
        // Errors in a subsearch's `search` text are shown at its brackets.
        let spans: Vec<Span> = self.expr.iter().flat_map(|e| e.subsearches()).map(|(_, s)| s).collect();
        let mut formatted = Vec::new();
        for (i, mut rows) in results.into_iter().enumerate() {
            rows.truncate(self.maxout);
            let at = spans.get(i).copied().unwrap_or_default();
            formatted.push(format_rows(&rows).map_err(|e| ExecError::at(e.message, at))?);
        }
        let mut it = formatted.into_iter();
        let expr = self.expr.as_ref().map(|e| substitute(e, &mut it));
        self.matcher = Some(match expr {
            None => Matcher::True,
            Some(e) => Matcher::compile(&e, &self.ctx).map_err(|e| ExecError::at(e.message, e.span))?,
        });
        Ok(())
    }

    pub fn subsearches(&self) -> Vec<(&str, &Pipeline)> {
        self.subs.iter().map(|p| ("subsearch", p)).collect()
    }
}

/// `search <expr>`.
pub struct SearchOp {
    pub text: String,
    pub filter: DeferredMatcher,
}

impl SearchOp {
    pub fn new(
        text: String,
        expr: Option<SearchExpr>,
        subs: Vec<Pipeline>,
        ctx: &Context,
    ) -> Result<SearchOp, ExecError> {
        Ok(SearchOp { text, filter: DeferredMatcher::new(expr, subs, ctx)? })
    }

    pub fn matcher(&self) -> Option<&Matcher> {
        self.filter.matcher()
    }
}

impl Operator for SearchOp {
    fn name(&self) -> &str {
        "search"
    }
    fn describe(&self) -> String {
        match self.filter.matcher() {
            Some(m) => format!("search {}", describe_matcher(m)),
            None => format!("search {} (with subsearch)", self.text.trim()),
        }
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        self.filter.prepare(rt)
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.filter.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<crate::packed::Packed>>) -> Result<(), ExecError> {
        self.filter.complete(crate::packed::unpack_all(rows))
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.filter.matches(&ev) {
            out.push(ev);
        }
        Ok(())
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        self.filter.subsearches()
    }
    fn keeps(&mut self, ev: &Event) -> Option<Result<bool, ExecError>> {
        Some(Ok(self.filter.matches(ev)))
    }
    fn raw_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        let of = |m: &Matcher| {
            crate::prefilter::requirement(m, verbatim, &|f| crate::prefilter::FieldSource::Event(f.to_string()))
        };
        match self.filter.matcher() {
            Some(m) => of(m),
            // Before its subsearches ran: what the rest of the expression requires (each
            // subsearch taken as matching everything). Their terms can only add to it.
            None => self.filter.without_subsearches().as_ref().map_or(crate::prefilter::Req::True, of),
        }
    }
}

/// Replace each `[subsearch]` node, in order, with its formatted result.
fn substitute(e: &SearchExpr, subs: &mut impl Iterator<Item = SearchExpr>) -> SearchExpr {
    match e {
        SearchExpr::And(v) => SearchExpr::And(v.iter().map(|x| substitute(x, subs)).collect()),
        SearchExpr::Or(v) => SearchExpr::Or(v.iter().map(|x| substitute(x, subs)).collect()),
        SearchExpr::Not(x, s) => SearchExpr::Not(Box::new(substitute(x, subs)), *s),
        // Spans of the text a subsearch gave mean nothing in the query: its brackets stand in.
        SearchExpr::Subsearch(_, span) => respan(subs.next().unwrap_or(SearchExpr::And(Vec::new())), *span),
        other => other.clone(),
    }
}

/// `e` with every span set to `at`.
fn respan(e: SearchExpr, at: Span) -> SearchExpr {
    match e {
        SearchExpr::And(v) => SearchExpr::And(v.into_iter().map(|x| respan(x, at)).collect()),
        SearchExpr::Or(v) => SearchExpr::Or(v.into_iter().map(|x| respan(x, at)).collect()),
        SearchExpr::Not(x, _) => SearchExpr::Not(Box::new(respan(*x, at)), at),
        SearchExpr::Compare { mut field, op, mut value, .. } => {
            (field.span, value.span) = (at, at);
            SearchExpr::Compare { field, op, value, span: at }
        }
        SearchExpr::In { mut field, values, .. } => {
            field.span = at;
            let values = values.into_iter().map(|v| SearchValue { span: at, ..v }).collect();
            SearchExpr::In { field, values, span: at }
        }
        SearchExpr::Term { value, kind, .. } => {
            SearchExpr::Term { value: SearchValue { span: at, ..value }, kind, span: at }
        }
        SearchExpr::Subsearch(p, _) => SearchExpr::Subsearch(p, at),
    }
}

/// A subsearch result's `search` (or `query`) value as search terms: Splunk puts it in place of
/// the brackets as written, so it is parsed here, when the subsearch has run. `format`'s text
/// for no results, `NOT ( )`, is the one form the parser refuses (an empty group): it matches
/// everything, as `format_rows` below makes it.
fn parse_search_text(field: &str, text: &str) -> Result<Option<SearchExpr>, ExecError> {
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed == "NOT()" {
        return Ok(Some(SearchExpr::Not(Box::new(SearchExpr::Or(Vec::new())), Span::default())));
    }
    let bad =
        |why: String| ExecError::new(format!("subsearch result field `{field}` is not a search ({why}): `{text}`"));
    let e = spl_parser::parse_search_expr(text).map_err(|e| bad(e.message))?;
    if e.as_ref().is_some_and(|e| !e.subsearches().is_empty()) {
        return Err(bad("a subsearch in it is not run".into()));
    }
    Ok(e)
}

/// Splunk's `format` as an expression: `( ( f1="v1" AND f2="v2" ) OR ( ... ) )`, a multivalue
/// field an OR of its values, a `search`/`query` field's text parsed; the terms are the ones
/// the `format` command writes (`subsearch_format::row_terms`), so a row with none (only `_`
/// fields) adds no alternative. No term in any row → `NOT ( )`, which matches everything.
pub fn format_rows(rows: &[Event]) -> Result<SearchExpr, ExecError> {
    use crate::ops::subsearch_format::{row_terms, RowTerm};
    let mut alts = Vec::new();
    for r in rows {
        let mut conj = Vec::new();
        for term in row_terms(r) {
            match term {
                RowTerm::Search(field, text) => conj.extend(parse_search_text(field, &text)?),
                RowTerm::Values(name, atoms) => {
                    let cmp = |text: String| SearchExpr::Compare {
                        field: FieldName { name: name.to_string(), span: Span::default() },
                        op: CmpOp::Eq,
                        value: SearchValue { text, quoted: true, span: Span::default() },
                        span: Span::default(),
                    };
                    let mut vals: Vec<SearchExpr> = atoms.iter().map(|a| cmp(a.as_str().into_owned())).collect();
                    conj.push(if vals.len() == 1 { vals.remove(0) } else { SearchExpr::Or(vals) });
                }
            }
        }
        if !conj.is_empty() {
            alts.push(SearchExpr::And(conj));
        }
    }
    if alts.is_empty() {
        return Ok(SearchExpr::Not(Box::new(SearchExpr::Or(Vec::new())), Span::default()));
    }
    Ok(SearchExpr::Or(alts))
}

pub fn describe_matcher(m: &Matcher) -> String {
    use crate::search::Pattern;
    let pat = |p: &Pattern| match p {
        Pattern::Any => "*".to_string(),
        Pattern::Glob(g) => format!("{g}"),
        Pattern::Cidr(n) => format!("cidr({n})"),
    };
    match m {
        Matcher::True => "true".into(),
        Matcher::False => "false".into(),
        Matcher::And(v) => format!("({})", v.iter().map(describe_matcher).collect::<Vec<_>>().join(" AND ")),
        Matcher::Or(v) => format!("({})", v.iter().map(describe_matcher).collect::<Vec<_>>().join(" OR ")),
        Matcher::AnyOf(set) => {
            format!("({})", set.alts.iter().map(describe_matcher).collect::<Vec<_>>().join(" OR "))
        }
        Matcher::Not(x) => format!("NOT {}", describe_matcher(x)),
        Matcher::Eq { field, pat: p } => format!("{field}~{}", pat(p)),
        Matcher::Ne { field, pat: p } => format!("{field}!~{}", pat(p)),
        Matcher::Rel { field, op, value } => format!(
            "{field}{}{}",
            match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq => "=",
                CmpOp::Ne => "!=",
            },
            value
        ),
        Matcher::Raw(t) => format!("_raw~term({})", t.text),
        Matcher::TimeGe(t) => format!("_time>={t}"),
        Matcher::TimeLt(t) => format!("_time<{t}"),
    }
}

/// `where <eval expr>`: keeps rows whose condition is true (null is false).
pub struct WhereOp {
    pub text: String,
    pub expr: spl_parser::Expr,
    pub ctx: Context,
}

impl Operator for WhereOp {
    fn name(&self) -> &str {
        "where"
    }
    fn describe(&self) -> String {
        format!("where {}", self.text.trim())
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.keeps(&ev).unwrap_or(Ok(true))? {
            out.push(ev);
        }
        Ok(())
    }
    fn keeps(&mut self, ev: &Event) -> Option<Result<bool, ExecError>> {
        let interp = Interp { ctx: &self.ctx.fns };
        Some(interp.test(&self.expr, ev).map_err(|e| ExecError::at(e.message, e.span)))
    }
}

/// `regex [field](=|!=)"re"`: keeps rows whose field (default `_raw`) matches (or not).
/// A row without the field is dropped by `=` and kept by `!=`.
pub struct RegexOp {
    pub field: String,
    pub negated: bool,
    pub re: Arc<SplRegex>,
}

impl Operator for RegexOp {
    fn name(&self) -> &str {
        "regex"
    }
    fn describe(&self) -> String {
        format!("regex {}{}{}", self.field, if self.negated { "!=" } else { "=" }, self.re.as_str())
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let hit = ev.get(&self.field).map(|v| v.atoms().iter().any(|a| self.re.is_match(&a.as_str())));
        let keep = match hit {
            Some(h) => h != self.negated,
            None => self.negated,
        };
        if keep {
            out.push(ev);
        }
        Ok(())
    }
}
