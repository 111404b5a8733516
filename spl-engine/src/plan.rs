//! AST → logical plan: each command becomes a typed operator with its arguments checked and
//! names resolved. Anything the engine cannot execute is collected as [`Unsupported`] (name and
//! position), never silently skipped.

use spl_parser::{ast, Arg, CommandBody, Expr, ExprKind, Opt, Span};

use crate::eval::functions;
use crate::eval::interp::LAZY_FUNCTIONS;
use crate::exec::{Context, ExecError, Operator, Pipeline};
use crate::ops;
use crate::ops::fields::NamePattern;
use crate::stats::{AggFunc, AggInput, AggSpec, Grouper};

/// A command, function or argument the engine does not execute, and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    pub what: String,
    pub span: Span,
}

/// Why a pipeline cannot be planned.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// Well-formed, but uses things the engine cannot execute.
    Unsupported(Vec<Unsupported>),
    /// Meaningless arguments (a bad regex, unknown data model …).
    Invalid { message: String, span: Span },
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Unsupported(u) => {
                write!(f, "unsupported: {}", u.iter().map(|x| x.what.as_str()).collect::<Vec<_>>().join(", "))
            }
            PlanError::Invalid { message, .. } => f.write_str(message),
        }
    }
}

pub struct Planner<'a> {
    /// The expanded SPL text the spans refer to.
    pub src: &'a str,
    pub ctx: &'a Context,
    unsupported: Vec<Unsupported>,
}

type PResult<T> = Result<T, PlanError>;

/// A `tstats`/`mstats` `span=` as a time span.
fn span_of(o: Option<&Opt>) -> PResult<Option<crate::timefmt::Span>> {
    o.map(|o| {
        crate::timefmt::parse_span(&o.value)
            .ok_or(PlanError::Invalid { message: format!("cannot read span `{}`", o.value), span: o.span })
    })
    .transpose()
}

fn invalid<T>(message: impl Into<String>, span: Span) -> PResult<T> {
    Err(PlanError::Invalid { message: message.into(), span })
}

fn opt<'o>(opts: &'o [Opt], key: &str) -> Option<&'o Opt> {
    opts.iter().find(|o| o.key == key)
}

fn truthy(s: &str) -> bool {
    matches!(s.to_ascii_lowercase().as_str(), "true" | "t" | "1" | "yes")
}

/// Plan a parsed pipeline.
pub fn plan(pipeline: &ast::Pipeline, src: &str, ctx: &Context) -> PResult<Pipeline> {
    let mut p = Planner { src, ctx, unsupported: Vec::new() };
    let planned = p.pipeline(pipeline)?;
    if p.unsupported.is_empty() {
        Ok(planned)
    } else {
        Err(PlanError::Unsupported(p.unsupported))
    }
}

impl Planner<'_> {
    fn text(&self, span: Span) -> String {
        self.src.get(span.start..span.end).unwrap_or("").to_string()
    }

    fn unsupported(&mut self, what: impl Into<String>, span: Span) {
        self.unsupported.push(Unsupported { what: what.into(), span });
    }

    fn exec_err(e: ExecError) -> PlanError {
        PlanError::Invalid { message: e.message, span: e.span.unwrap_or_default() }
    }

    pub fn pipeline(&mut self, pipeline: &ast::Pipeline) -> PResult<Pipeline> {
        self.pipeline_of(pipeline, Input::Events)
    }

    /// `input`: what the pipeline's first command takes (`Rows` for a pipeline run on rows a
    /// command gives it: `appendpipe`, a filter pushed below an aggregation, a `foreach`
    /// template).
    fn pipeline_of(&mut self, pipeline: &ast::Pipeline, input: Input) -> PResult<Pipeline> {
        let mut ops: Vec<Box<dyn Operator>> = Vec::new();
        let mut reads_events = true;
        // Whether rows still come in the order events were read: an event search's, until a
        // command gives an order of its own.
        let mut read_order = input == Input::Events
            && pipeline.commands.first().is_some_and(|c| {
                matches!(c.body, CommandBody::Search(_)) || matches!(c.name.as_str(), "multisearch" | "union")
            });
        // Where that order must be set at the latest (`may_change_time`).
        let mut sort_at = None;
        for (i, cmd) in pipeline.commands.iter().enumerate() {
            if i == 0 && matches!(cmd.name.as_str(), "inputlookup" | "makeresults" | "rest") {
                reads_events = false;
            }
            if read_order {
                match order_use(cmd) {
                    OrderUse::Keeps => {
                        // The order is that of the events' times as searched: it is set before
                        // a command that may drop or change `_time`.
                        if sort_at.is_none() && may_change_time(cmd) {
                            sort_at = Some(ops.len());
                        }
                    }
                    OrderUse::Sets => read_order = false,
                    OrderUse::Depends(limit) => {
                        let at = sort_at.unwrap_or(ops.len());
                        // `head N`'s N rows only when nothing comes between.
                        let limit = if at == ops.len() { limit } else { None };
                        let op: Box<dyn Operator> = match fused_dedup(cmd) {
                            Some(d) if at == ops.len() => {
                                Box::new(ops::sort::DedupNewestOp::new(d.fields, d.limit, d.keepempty))
                            }
                            _ => Box::new(ops::sort::SortOp::newest_first(limit)),
                        };
                        ops.insert(at, op);
                        read_order = false;
                    }
                }
            }
            if let Some(op) = self.command(cmd, i == 0)? {
                ops.push(op);
                if matches!(cmd.name.as_str(), "stats" | "tstats") {
                    let after = pipeline.commands.get(i + 1..).unwrap_or_default();
                    if let Some(op) = ops.last_mut() {
                        self.push_filters_below(op.as_mut(), after)?;
                    }
                }
            }
            if let Some(keys) = self.dedup_sortby(cmd)? {
                ops.push(Box::new(ops::sort::SortOp::new(keys, None)));
            }
        }
        Ok(Pipeline { ops, reads_events, max_rows: None, text: None })
    }

    /// The sort keys of `dedup ... sortby [+|-]f ...`: what the dedup kept is then sorted as
    /// `sort 0` sorts (Splunk's dedup reference, e.g. `dedup source sortby -_size` "removes
    /// duplicates ... and sorts the events by _size"; its SPL2 form is `dedup host | sort -_size`:
    /// help.splunk.com/splunk-enterprise/search/spl2-search-reference/dedup-command/dedup-command-examples).
    /// The sort does not choose which event a key keeps.
    fn dedup_sortby(&self, cmd: &ast::Command) -> PResult<Option<Vec<ops::sort::SortKey>>> {
        let CommandBody::Dedup { sortby, .. } = &cmd.body else { return Ok(None) };
        let mut keys = Vec::new();
        for k in sortby {
            if k.field.name.contains('*') {
                return invalid(
                    format!("dedup sortby takes field names, not the pattern `{}`", k.field.name),
                    k.field.span,
                );
            }
            keys.push(sort_key(k, false));
        }
        Ok((!keys.is_empty()).then_some(keys))
    }

    /// Give an aggregation the filters of the commands after it that depend on its by-values
    /// alone (see `pushdown`), planned a second time as its own probe.
    fn push_filters_below(&mut self, op: &mut dyn Operator, after: &[ast::Command]) -> PResult<()> {
        let Some(g) = op.grouper_mut() else { return Ok(()) };
        let aggs: Vec<String> = g.aggs.iter().map(|a| a.out.clone()).collect();
        if g.aggs.iter().any(|a| matches!(a.input, AggInput::Wild(_))) {
            return Ok(()); // outputs named by the data: cannot tell them from by-fields
        }
        let Some(found) = crate::pushdown::analyse(&g.by, &aggs, after) else { return Ok(()) };
        let text = found.commands.iter().map(|c| self.text(c.span)).collect::<Vec<_>>().join(" | ");
        // What the probe's planning finds unsupported is reported once, by the main plan.
        let reported = self.unsupported.len();
        let stages: PResult<Vec<_>> = found
            .stages
            .into_iter()
            .map(|s| {
                let probe =
                    self.pipeline_of(&ast::Pipeline { commands: s.commands, span: Span::default() }, Input::Rows)?;
                Ok(crate::pushdown::Stage::new(s.inputs, probe.ops, s.ends_in_join))
            })
            .collect();
        self.unsupported.truncate(reported);
        // A stage that cannot be planned leaves the whole gate out.
        if let Ok(stages) = stages {
            g.gate = Some(crate::pushdown::Gate::new(stages, text));
        }
        Ok(())
    }

    fn check_expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Call { name, args } => {
                let known = LAZY_FUNCTIONS.contains(&name.as_str()) || functions::arity(name).is_some();
                if !known {
                    self.unsupported(format!("function `{name}`"), e.span);
                } else if let Some((min, max)) = functions::arity(name) {
                    if args.len() < min || max.is_some_and(|m| args.len() > m) {
                        self.unsupported(format!("function `{name}` with {} arguments", args.len()), e.span);
                    }
                }
                args.iter().for_each(|a| self.check_expr(a));
            }
            ExprKind::Unary { expr, .. } => self.check_expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.check_expr(lhs);
                self.check_expr(rhs);
            }
            ExprKind::In { expr, list } => {
                self.check_expr(expr);
                list.iter().for_each(|a| self.check_expr(a));
            }
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Field(_) => {}
        }
    }

    fn search_subsearches(&mut self, e: &ast::SearchExpr, out: &mut Vec<Pipeline>) -> PResult<()> {
        for (p, _) in e.subsearches() {
            out.push(self.pipeline(p)?);
        }
        Ok(())
    }

    /// The aggregations of `cmd` (`stats`, `chart`, `tstats`, ...).
    fn aggs(&mut self, aggs: &[ast::Aggregation], cmd: &str) -> PResult<Vec<AggSpec>> {
        let mut out = Vec::new();
        for a in aggs {
            if a.func == "sparkline" {
                if !matches!(cmd, "stats" | "chart") {
                    return invalid(format!("`sparkline` is an aggregation of stats and chart, not of {cmd}"), a.span);
                }
                if let Some(spec) = self.sparkline(a)? {
                    out.push(spec);
                }
                continue;
            }
            let Some(func) = AggFunc::parse(&a.func) else {
                self.unsupported(format!("aggregation `{}`", a.func), a.span);
                continue;
            };
            let input = match &a.arg {
                None => AggInput::Events,
                Some(ast::AggArg::Field(f)) if f.name.contains('*') => AggInput::Wild(NamePattern::new(&f.name)),
                Some(ast::AggArg::Field(f)) => AggInput::Field(f.name.clone()),
                Some(ast::AggArg::Eval(e)) => {
                    self.check_expr(e);
                    AggInput::Eval(e.clone())
                }
                Some(ast::AggArg::Sparkline { inner, .. }) => {
                    return invalid(format!("`{}` takes a field, not an aggregation", a.func), inner.span)
                }
            };
            if matches!(input, AggInput::Events) && func != AggFunc::Count {
                self.unsupported(format!("aggregation `{}` without a field", a.func), a.span);
                continue;
            }
            let out_name = a.alias.as_ref().map(|x| x.name.clone()).unwrap_or_else(|| a.default_name.clone());
            out.push(AggSpec { func, input, out: out_name });
        }
        Ok(out)
    }

    /// `sparkline`, `sparkline(count)`, `sparkline(<func>(<field>) [, <span>])` (Search
    /// Reference, stats: sparkline-agg); `None` when unsupported (reported).
    fn sparkline(&mut self, a: &ast::Aggregation) -> PResult<Option<AggSpec>> {
        /// The functions a sparkline draws.
        const FUNCS: [&str; 14] = [
            "c", "count", "dc", "mean", "avg", "stdev", "stdevp", "var", "varp", "sum", "sumsq", "min", "max", "range",
        ];
        let (inner, span) = match &a.arg {
            None => (None, None),
            Some(ast::AggArg::Sparkline { inner, span }) => (Some(inner), span.as_ref()),
            Some(_) => return invalid("sparkline takes an aggregation, such as `sparkline(count)`", a.span),
        };
        let (func, input) = match inner {
            None => (AggFunc::Count, AggInput::Events),
            Some(i) => {
                let func = Some(i.func.as_str()).filter(|f| FUNCS.contains(f)).and_then(AggFunc::parse);
                let Some(func) = func else {
                    return invalid(
                        format!("sparkline cannot draw `{}` (it draws {})", i.func, FUNCS.join(", ")),
                        i.span,
                    );
                };
                let input = match &i.arg {
                    None if func == AggFunc::Count => AggInput::Events,
                    // "If the sparkline is not scoped to a field, only the count aggregator is permitted."
                    None => {
                        return invalid(format!("sparkline({}) needs a field: only count goes without", i.func), i.span)
                    }
                    Some(ast::AggArg::Field(f)) if f.name.contains('*') => {
                        return invalid(format!("sparkline takes a field, not the pattern `{}`", f.name), f.span)
                    }
                    Some(ast::AggArg::Field(f)) => AggInput::Field(f.name.clone()),
                    Some(ast::AggArg::Eval(_)) => {
                        self.unsupported("sparkline over `eval(...)` (the reference gives it a field)", i.span);
                        return Ok(None);
                    }
                    Some(ast::AggArg::Sparkline { .. }) => {
                        return invalid("sparkline cannot draw a sparkline", i.span);
                    }
                };
                (func, input)
            }
        };
        let span = match span {
            None => None,
            Some(s) => match crate::timefmt::parse_span(&s.value) {
                // A plain number is seconds, aligned to local time as `1s` is.
                Some(sp) if sp.unit.is_none() => Some(crate::timefmt::Span::of_seconds(sp.count)),
                Some(sp) => Some(sp),
                None => {
                    return invalid(
                        format!("cannot read sparkline span `{}` (a time span, such as 1h or 30m)", s.value),
                        s.span,
                    )
                }
            },
        };
        let spec = crate::stats::sparkline::SparkFunc { func, span, tz: self.ctx.fns.tz.offset_seconds };
        let out = a.alias.as_ref().map_or_else(|| a.default_name.clone(), |x| x.name.clone());
        Ok(Some(AggSpec { func: AggFunc::Sparkline(Box::new(spec)), input, out }))
    }

    fn command(&mut self, cmd: &ast::Command, first: bool) -> PResult<Option<Box<dyn Operator>>> {
        let ctx = self.ctx.clone();
        let name = cmd.name.as_str();
        Ok(Some(match &cmd.body {
            CommandBody::Search(expr) => {
                let mut subs = Vec::new();
                if let Some(e) = expr {
                    self.search_subsearches(e, &mut subs)?;
                }
                let text = self.text(cmd.span);
                Box::new(ops::filter::SearchOp::new(text, expr.clone(), subs, &ctx).map_err(Self::exec_err)?)
            }
            CommandBody::Where(e) => {
                self.check_expr(e);
                Box::new(ops::filter::WhereOp { text: self.text(e.span), expr: e.clone(), ctx })
            }
            CommandBody::Eval(assigns) => {
                let mut v = Vec::new();
                for a in assigns {
                    self.check_expr(&a.expr);
                    v.push((a.field.name.clone(), a.expr.clone(), self.text(a.expr.span)));
                }
                Box::new(ops::fields::EvalOp { assignments: v, ctx })
            }
            CommandBody::Stats(s) => {
                let aggs = self.aggs(&s.aggs, name)?;
                if name != "stats" && aggs.iter().any(|a| matches!(a.input, AggInput::Wild(_))) {
                    self.unsupported(format!("wildcard aggregation in `{name}`"), cmd.span);
                }
                let by: Vec<String> = s.by.iter().map(|f| f.name.clone()).collect();
                match name {
                    "stats" => Box::new(ops::stats::StatsOp { grouper: Grouper::new(by, None, aggs).spilling(), ctx }),
                    "eventstats" => Box::new(ops::stats::EventstatsOp::new(Grouper::new(by, None, aggs), ctx)),
                    "streamstats" => {
                        let window = match opt(&s.options, "window") {
                            Some(o) => match o.value.trim().parse::<usize>() {
                                Ok(n) => n,
                                Err(_) => {
                                    return invalid(
                                        format!("streamstats window `{}` (a whole number, 0 or more)", o.value),
                                        o.span,
                                    )
                                }
                            },
                            None => 0,
                        };
                        let current = opt(&s.options, "current").is_none_or(|o| truthy(&o.value));
                        let mut op = ops::stats::StreamstatsOp::new(aggs, by, window, current, ctx);
                        // help.splunk.com/splunk-enterprise/search/spl-search-reference/9.4/search-commands/streamstats
                        for o in &s.options {
                            match o.key.as_str() {
                                "window" | "current" => {}
                                "global" => op.global = self.bool_opt("streamstats", o)?,
                                "time_window" => {
                                    let Some(span) = crate::timefmt::parse_span(&o.value) else {
                                        return invalid(format!("cannot read time_window `{}`", o.value), o.span);
                                    };
                                    let Some(secs) = span.seconds() else {
                                        self.unsupported(
                                            format!("streamstats time_window `{}` (calendar unit)", o.value),
                                            o.span,
                                        );
                                        continue;
                                    };
                                    op.time_window = Some(secs);
                                    op.span = o.span;
                                }
                                "reset_on_change" => op.reset_on_change = self.bool_opt("streamstats", o)?,
                                "reset_before" | "reset_after" => {
                                    let expr = spl_parser::parse_eval_expr(&o.value).or_else(|e| {
                                        invalid(format!("cannot read {} `{}`: {}", o.key, o.value, e.message), o.span)
                                    })?;
                                    // Its spans are the value's: what it finds is shown at the option.
                                    let found = self.unsupported.len();
                                    self.check_expr(&expr);
                                    for u in self.unsupported.iter_mut().skip(found) {
                                        u.span = o.span;
                                    }
                                    let r = Some((expr, o.value.clone(), o.span));
                                    if o.key == "reset_before" {
                                        op.reset_before = r;
                                    } else {
                                        op.reset_after = r;
                                    }
                                }
                                _ => self.unsupported(format!("streamstats option `{}`", o.key), o.span),
                            }
                        }
                        Box::new(op)
                    }
                    "timechart" => {
                        if by.len() > 1 {
                            return invalid("timechart takes at most one `by` field", cmd.span);
                        }
                        let mut span = None;
                        let (mut bins, mut minspan, mut cont) = (100, 0.0, true);
                        let mut opts = ops::chart::ChartOpts::default();
                        for o in &s.options {
                            if self.series_opt("timechart", o, &mut opts)? {
                                continue;
                            }
                            let span_of = |v: &str| {
                                crate::timefmt::parse_span(v).ok_or(PlanError::Invalid {
                                    message: format!("cannot read {} `{v}`", o.key),
                                    span: o.span,
                                })
                            };
                            match o.key.as_str() {
                                "span" => span = Some(span_of(&o.value)?),
                                "bins" => match o.value.parse::<usize>() {
                                    Ok(n) if n > 0 => bins = n,
                                    _ => return invalid(format!("timechart bins `{}` (a count above 0)", o.value), o.span),
                                },
                                "minspan" => match span_of(&o.value)?.seconds() {
                                    Some(s) => minspan = s,
                                    None => return invalid(format!("timechart minspan `{}` (a fixed length)", o.value), o.span),
                                },
                                "cont" => cont = self.bool_opt("timechart", o)?,
                                // Offline the search has no time range of its own: the range is
                                // the data's, fixed or not.
                                "fixedrange" => {
                                    self.bool_opt("timechart", o)?;
                                }
                                "partial" if self.bool_opt("timechart", o)? => {}
                                "partial" => self.unsupported(
                                    "timechart partial=false (which buckets are partial depends on the search's time range; an offline search has none)",
                                    o.span,
                                ),
                                _ => self.unsupported(format!("timechart option `{}={}`", o.key, o.value), o.span),
                            }
                        }
                        let mut op = ops::timechart::TimechartOp::new(span, by.into_iter().next(), aggs, ctx);
                        (op.bins, op.minspan, op.cont, op.opts) = (bins, minspan, cont, opts);
                        Box::new(op)
                    }
                    "chart" => return self.chart(cmd, s, aggs, ctx).map(Some),
                    _ => {
                        self.unsupported(format!("command `{name}`"), cmd.name_span);
                        return Ok(None);
                    }
                }
            }
            CommandBody::Tstats(t) => return self.tstats(cmd, t, ctx).map(Some),
            CommandBody::Rename(pairs) => Box::new(ops::fields::RenameOp {
                pairs: pairs.iter().map(|p| (NamePattern::new(&p.from.name), p.to.name.clone())).collect(),
            }),
            CommandBody::Table(fields) => {
                Box::new(ops::fields::TableOp { patterns: fields.iter().map(|f| NamePattern::new(&f.name)).collect() })
            }
            CommandBody::Fields { remove, fields } => Box::new(ops::fields::FieldsOp {
                remove: *remove,
                patterns: fields.iter().map(|f| NamePattern::new(&f.name)).collect(),
            }),
            CommandBody::Convert { options, conversions } => {
                let timeformat =
                    opt(options, "timeformat").map_or("%m/%d/%Y %H:%M:%S".to_string(), |o| o.value.clone());
                let mut conv = Vec::new();
                for c in conversions {
                    if !matches!(
                        c.func.as_str(),
                        "ctime" | "mktime" | "num" | "auto" | "dur2sec" | "rmunit" | "rmcomma" | "none"
                    ) {
                        self.unsupported(format!("convert function `{}`", c.func), c.span);
                    }
                    conv.push((
                        c.func.clone(),
                        NamePattern::new(&c.field.name),
                        c.alias.as_ref().map(|a| a.name.clone()),
                    ));
                }
                Box::new(ops::fields::ConvertOp { timeformat, conversions: conv, ctx })
            }
            CommandBody::Sort { limit, keys, descending } => {
                let keys = keys.iter().map(|k| sort_key(k, *descending)).collect();
                // Without a count Splunk's sort keeps 10000 rows; `sort 0` keeps all.
                let limit = match limit {
                    None => Some(10_000),
                    Some(0) => None,
                    Some(n) => Some(*n as usize),
                };
                Box::new(ops::sort::SortOp::new(keys, limit))
            }
            CommandBody::Head { count, expr, options } => {
                if expr.is_some() || !options.is_empty() {
                    self.unsupported(format!("{name} with an expression or options"), cmd.span);
                }
                let n = count.unwrap_or(10) as usize;
                if name == "tail" {
                    Box::new(ops::rows::TailOp::new(n))
                } else {
                    Box::new(ops::rows::HeadOp { limit: n, seen: 0 })
                }
            }
            CommandBody::Dedup { .. } => {
                // A `sortby` is planned after it, in `pipeline_of` (`dedup_sortby`).
                let Some(d) = dedup_args(cmd) else { return Ok(None) };
                Box::new(ops::rows::DedupOp::new(d.fields, d.limit, d.keepempty, d.consecutive))
            }
            CommandBody::Fillnull { options, fields } => {
                let value = opt(options, "value").map_or("0".to_string(), |o| o.value.clone());
                Box::new(ops::fields::FillnullOp::new(value, fields.iter().map(|f| f.name.clone()).collect()))
            }
            CommandBody::Rex { options, pattern } => {
                let field = opt(options, "field").map_or("_raw".to_string(), |o| o.value.clone());
                let mode = opt(options, "mode").map(|o| o.value.to_ascii_lowercase());
                if mode.as_deref() == Some("sed") {
                    let (re, m) = ops::rex::parse_sed(&pattern.value)
                        .map_err(|m| PlanError::Invalid { message: m, span: pattern.span })?;
                    let re = match re {
                        Some(r) => Some(
                            crate::regex_util::compile(&r)
                                .map_err(|m| PlanError::Invalid { message: m, span: pattern.span })?,
                        ),
                        None => None,
                    };
                    Box::new(ops::rex::RexOp { field, re, mode: m, text: format!("mode=sed {:?}", pattern.value) })
                } else {
                    let max_match = opt(options, "max_match").and_then(|o| o.value.parse().ok()).unwrap_or(1);
                    for o in options {
                        if !matches!(o.key.as_str(), "field" | "max_match" | "mode" | "offset_field") {
                            self.unsupported(format!("rex option `{}`", o.key), o.span);
                        }
                    }
                    let re = crate::regex_util::compile(&pattern.value)
                        .map_err(|m| PlanError::Invalid { message: m, span: pattern.span })?;
                    Box::new(ops::rex::RexOp {
                        field,
                        re: Some(re),
                        mode: ops::rex::RexMode::Extract { max_match },
                        text: format!("{:?}", pattern.value),
                    })
                }
            }
            CommandBody::Regex { field, negated, pattern } => {
                let re = crate::regex_util::compile(&pattern.value)
                    .map_err(|m| PlanError::Invalid { message: m, span: pattern.span })?;
                Box::new(ops::filter::RegexOp {
                    field: field.as_ref().map_or("_raw".to_string(), |f| f.name.clone()),
                    negated: *negated,
                    re,
                })
            }
            CommandBody::Bin { options, field, alias } => {
                let Some(span_opt) = opt(options, "span") else {
                    self.unsupported("bin without span=", cmd.span);
                    return Ok(None);
                };
                let Some(span) = crate::timefmt::parse_span(&span_opt.value) else {
                    return invalid(format!("cannot read span `{}`", span_opt.value), span_opt.span);
                };
                Box::new(ops::rows::BinOp {
                    field: field.name.clone(),
                    alias: alias.as_ref().map(|a| a.name.clone()),
                    span,
                    span_text: span_opt.value.clone(),
                    tz: ctx.fns.tz.offset_seconds,
                })
            }
            CommandBody::Generic(args) => return self.generic(cmd, args, first),
            CommandBody::Lookup(l) => return self.lookup(l),
            CommandBody::Inputlookup { options, name: table, where_ } => {
                return self.inputlookup(cmd, options, table, where_.as_ref())
            }
            CommandBody::Subsearch { options, fields, search } => {
                return self.subsearch_cmd(cmd, options, fields, search)
            }
            CommandBody::Foreach { options, fields, template } => return self.foreach(options, fields, template),
        }))
    }

    fn tstats(&mut self, cmd: &ast::Command, t: &ast::TstatsCmd, ctx: Context) -> PResult<Box<dyn Operator>> {
        if cmd.name == "mstats" {
            return self.mstats(cmd, t, ctx);
        }
        for o in &t.options {
            match o.key.as_str() {
                "summariesonly" | "allow_old_summaries" | "fillnull_value" | "chunk_size" | "local" | "append" => {}
                "prestats" if !truthy(&o.value) => {}
                _ => self.unsupported(format!("tstats option `{}={}`", o.key, o.value), o.span),
            }
        }
        let Some(from) = &t.from else {
            self.unsupported("tstats without `from datamodel=` (indexed-field tstats)", cmd.span);
            return Ok(Box::new(ops::rows::HeadOp { limit: 0, seen: 0 }));
        };
        let Some(dm) = self.ctx.content.datamodel(&from.model) else {
            self.unsupported(format!("data model `{}` (no content/datamodels definition)", from.model), from.span);
            return Ok(Box::new(ops::rows::HeadOp { limit: 0, seen: 0 }));
        };
        // `where nodename=X` selects a dataset like `from datamodel=Model.X`.
        let (where_expr, nodename) = match &t.where_ {
            Some(w) => take_nodename(w),
            None => (None, None),
        };
        let dataset = nodename.or_else(|| from.dataset.clone());
        let views = ops::tstats::DatasetView::resolve(dm, dataset.as_deref())
            .map_err(|m| PlanError::Invalid { message: m, span: from.span })?;
        let (matcher, where_text) = self.where_matcher(where_expr, t.where_.as_ref(), &ctx)?;
        let aggs = self.aggs(&t.aggs, &cmd.name)?;
        let fill = opt(&t.options, "fillnull_value").map(|o| o.value.clone());
        let span = span_of(t.span.as_ref())?;
        let by = t.by.iter().map(|f| f.name.clone()).collect();
        Ok(Box::new(ops::tstats::TstatsOp::new(
            views,
            matcher,
            where_text,
            Grouper::new(by, fill, aggs).spilling(),
            span,
            ctx,
        )))
    }

    /// A `tstats`/`mstats` `WHERE`: `expr` (what is left of the clause as `written` once terms
    /// that select rather than filter are taken out) as a matcher, and the clause's text.
    fn where_matcher(
        &mut self,
        expr: Option<ast::SearchExpr>,
        written: Option<&ast::SearchExpr>,
        ctx: &Context,
    ) -> PResult<(ops::filter::DeferredMatcher, String)> {
        let mut text = String::from("*");
        let mut subs = Vec::new();
        if let (Some(e), Some(w)) = (&expr, written) {
            text = self.text(search_span(w));
            self.search_subsearches(e, &mut subs)?;
        }
        let matcher = ops::filter::DeferredMatcher::new(expr, subs, ctx).map_err(Self::exec_err)?;
        Ok((matcher, text))
    }

    /// `mstats` over the metric data points of the input (`ops::mstats`). A metric is named in
    /// its aggregation (`avg(cpu.idle)`, `avg(cpu.*) AS cpu_*`) or by `metric_name` in `where`
    /// with `_value` aggregated; Splunk refuses a search that blends the two.
    fn mstats(&mut self, cmd: &ast::Command, t: &ast::TstatsCmd, ctx: Context) -> PResult<Box<dyn Operator>> {
        for o in &t.options {
            match o.key.as_str() {
                // Real-time and chunking knobs: nothing to do over files.
                "fillnull_value" | "chunk_size" | "backfill" | "update_period" => {}
                "prestats" | "chart" | "append" if !truthy(&o.value) => {}
                _ => self.unsupported(format!("mstats option `{}={}`", o.key, o.value), o.span),
            }
        }
        if let Some(from) = &t.from {
            return invalid("mstats reads metric indexes: name them in WHERE (`index=…`), not with FROM", from.span);
        }
        let mut aggs = self.aggs(&t.aggs, &cmd.name)?;
        let on_value = |a: &crate::stats::AggSpec| matches!(&a.input, AggInput::Field(f) if f == "_value");
        if aggs.iter().any(on_value) && aggs.iter().any(|a| !on_value(a) && !matches!(a.input, AggInput::Events)) {
            return invalid(
                "mstats cannot blend aggregations of `_value` with aggregations of named metrics",
                t.aggs.first().map_or(cmd.span, |a| a.span),
            );
        }
        for a in &mut aggs {
            // A named metric is read from its data points' `metric_name:<name>` field.
            a.input = match std::mem::replace(&mut a.input, AggInput::Events) {
                AggInput::Field(f) if f != "_value" => AggInput::Field(format!("{}{f}", ops::mstats::METRIC_PREFIX)),
                AggInput::Wild(p) => {
                    AggInput::Wild(NamePattern::new(&format!("{}{}", ops::mstats::METRIC_PREFIX, p.text)))
                }
                other => other,
            };
        }
        // `WHERE … span=30s` with no BY (the mstats reference's own examples) is the span.
        let (where_expr, span_term) = match &t.where_ {
            Some(w) if t.span.is_none() => take_term(w, "span"),
            other => (other.clone(), None),
        };
        let span_term = span_term.map(|v| Opt { key: "span".into(), value: v.text, quoted: v.quoted, span: v.span });
        let (matcher, where_text) = self.where_matcher(where_expr, t.where_.as_ref(), &ctx)?;
        let span = span_of(t.span.as_ref().or(span_term.as_ref()))?;
        let mut by: Vec<String> = t.by.iter().map(|f| f.name.clone()).collect();
        // A span splits the results by time even when `_time` is not in the by list.
        if span.is_some() && !by.iter().any(|b| b == "_time") {
            by.insert(0, "_time".to_string());
        }
        let fill = opt(&t.options, "fillnull_value").map(|o| o.value.clone());
        Ok(Box::new(ops::mstats::MstatsOp {
            where_: matcher,
            where_text,
            grouper: Grouper::new(by, fill, aggs).spilling(),
            span,
            ctx,
        }))
    }

    /// A lookup definition by name (or CSV file name): CSV, KV store (empty offline unless a layer
    /// gives it a CSV) or a computed external lookup; MLTK model lookups are unsupported.
    fn lookup_def(&mut self, name: &ast::FieldName) -> PResult<Option<crate::content::LookupDef>> {
        let Some(def) = ops::lookup::resolve(self.ctx, &name.name) else {
            // Reported as unsupported, not invalid: the corpus names lookups shipped by other apps
            // (ES, CIM, URL Toolbox) that a real Splunk has but content does not define.
            self.unsupported(
                format!("lookup `{}` is not defined in content (no lookups/*.yml with that name or file)", name.name),
                name.span,
            );
            return Ok(None);
        };
        if let Some(why) = ops::lookup::offline_reason(def) {
            self.unsupported(why, name.span);
            return Ok(None);
        }
        Ok(Some(def.clone()))
    }

    fn lookup(&mut self, l: &ast::LookupCmd) -> PResult<Option<Box<dyn Operator>>> {
        for o in &l.options {
            if !matches!(o.key.as_str(), "local" | "update" | "event_time_field") {
                self.unsupported(format!("lookup option `{}`", o.key), o.span);
            }
        }
        let Some(def) = self.lookup_def(&l.name)? else { return Ok(None) };
        let map = |m: &ast::FieldMap| {
            (m.field.name.clone(), m.alias.as_ref().map_or_else(|| m.field.name.clone(), |a| a.name.clone()))
        };
        if l.inputs.is_empty() {
            return invalid(format!("lookup `{}` needs at least one input field", def.name), l.name.span);
        }
        let inputs = l.inputs.iter().map(map).collect();
        let outputs = if l.outputs.is_empty() { None } else { Some(l.outputs.iter().map(map).collect()) };
        Ok(Some(Box::new(ops::lookup::LookupOp::new(def, inputs, outputs, l.output_new))))
    }

    fn inputlookup(
        &mut self,
        cmd: &ast::Command,
        options: &[Opt],
        table: &ast::FieldName,
        where_: Option<&ast::SearchExpr>,
    ) -> PResult<Option<Box<dyn Operator>>> {
        let mut append = false;
        for o in options {
            match o.key.as_str() {
                "append" => append = truthy(&o.value),
                _ => self.unsupported(format!("inputlookup option `{}`", o.key), o.span),
            }
        }
        let Some(def) = self.lookup_def(table)? else { return Ok(None) };
        let (where_m, where_text) = match where_ {
            Some(w) => {
                let mut subs = Vec::new();
                self.search_subsearches(w, &mut subs)?;
                if !subs.is_empty() {
                    self.unsupported("subsearch inside inputlookup where", cmd.span);
                }
                let cc = crate::search::CompileCtx { now: self.ctx.fns.now, tz: self.ctx.fns.tz.offset_seconds };
                let m = crate::search::Matcher::compile(w, &cc)
                    .map_err(|e| PlanError::Invalid { message: e.message, span: e.span })?;
                (Some(m), self.text(search_span(w)))
            }
            None => (None, String::new()),
        };
        Ok(Some(Box::new(ops::lookup::InputlookupOp { def, append, where_: where_m, where_text })))
    }

    fn subsearch_cmd(
        &mut self,
        cmd: &ast::Command,
        options: &[Opt],
        fields: &[ast::FieldName],
        search: &ast::Pipeline,
    ) -> PResult<Option<Box<dyn Operator>>> {
        let input = if cmd.name == "appendpipe" { Input::Rows } else { Input::Events };
        let mut sub = self.pipeline_of(search, input)?;
        sub.text = self.src.get(search.span.start..search.span.end).map(str::to_string);
        let limits = self.ctx.limits.clone();
        let num = |o: &Opt| {
            o.value.parse::<usize>().map_err(|_| PlanError::Invalid {
                message: format!("`{}` needs a number, found `{}`", o.key, o.value),
                span: o.span,
            })
        };
        match cmd.name.as_str() {
            "join" => {
                let (mut kind, mut max, mut overwrite, mut maxout) =
                    (ops::subsearch::JoinType::Inner, 1, true, limits.join_maxout);
                for o in options {
                    match o.key.as_str() {
                        "type" => match o.value.to_ascii_lowercase().as_str() {
                            "inner" => kind = ops::subsearch::JoinType::Inner,
                            "left" | "outer" => kind = ops::subsearch::JoinType::Left,
                            other => {
                                return invalid(format!("join type `{other}` (expected inner, left or outer)"), o.span)
                            }
                        },
                        "max" => max = num(o)?,
                        "overwrite" => overwrite = truthy(&o.value),
                        "maxout" | "subsearch_maxout" => maxout = num(o)?.min(limits.join_maxout),
                        _ => self.unsupported(format!("join option `{}`", o.key), o.span),
                    }
                }
                let fields = fields.iter().map(|f| f.name.clone()).collect();
                Ok(Some(Box::new(ops::subsearch::JoinOp::new(fields, kind, max, overwrite, maxout, sub))))
            }
            "append" | "appendcols" => {
                let mut maxout = limits.append_maxout;
                let mut overwrite = false;
                for o in options {
                    match o.key.as_str() {
                        "maxout" => maxout = num(o)?.min(limits.append_maxout),
                        "override" if cmd.name == "appendcols" => overwrite = truthy(&o.value),
                        "maxtime" | "timeout" | "extendtimerange" => {}
                        _ => self.unsupported(format!("{} option `{}`", cmd.name, o.key), o.span),
                    }
                }
                if cmd.name == "append" {
                    Ok(Some(Box::new(ops::subsearch::AppendOp::new(maxout, sub))))
                } else {
                    Ok(Some(Box::new(ops::subsearch::AppendcolsOp::new(maxout, overwrite, sub))))
                }
            }
            "appendpipe" => {
                for o in options {
                    self.unsupported(format!("appendpipe option `{}`", o.key), o.span);
                }
                // The sub-pipeline runs over the current results: it never reads events.
                Ok(Some(Box::new(ops::subsearch::AppendpipeOp::new(sub, limits.append_maxout.max(1_000_000)))))
            }
            other => {
                self.unsupported(format!("command `{other}`"), cmd.name_span);
                Ok(None)
            }
        }
    }

    fn foreach(
        &mut self,
        options: &[Opt],
        fields: &[ast::FieldName],
        template: &ast::StrLit,
    ) -> PResult<Option<Box<dyn Operator>>> {
        for o in options {
            if !(o.key == "mode" && o.value.eq_ignore_ascii_case("multifield")) {
                self.unsupported(format!("foreach option `{}={}`", o.key, o.value), o.span);
            }
        }
        // Check the template once with a stand-in field name: parse errors and unsupported
        // commands or functions show at plan time, not on the first row.
        let probe = format!(
            "| {}",
            ops::foreach::substitute(&template.value, "x", &vec!["x".to_string(); 9])
                .trim_start_matches(|c: char| c == '|' || c.is_whitespace())
        );
        let parsed = spl_parser::parse_pipeline(&probe).map_err(|e| PlanError::Invalid {
            message: format!("foreach template `{probe}`: {}", e.message),
            span: template.span,
        })?;
        for c in &parsed.commands {
            if !ops::foreach::TEMPLATE_COMMANDS.contains(&c.name.as_str()) {
                self.unsupported(format!("foreach template command `{}`", c.name), template.span);
                return Ok(None);
            }
        }
        let mut inner = Planner { src: &probe, ctx: self.ctx, unsupported: Vec::new() };
        inner.pipeline_of(&parsed, Input::Rows).map_err(|e| match e {
            PlanError::Invalid { message, .. } => {
                PlanError::Invalid { message: format!("foreach template: {message}"), span: template.span }
            }
            other => other,
        })?;
        for u in inner.unsupported {
            self.unsupported(u.what, template.span);
        }
        let patterns = fields.iter().map(|f| ops::foreach::CapturePattern::new(&f.name)).collect();
        Ok(Some(Box::new(ops::foreach::ForeachOp::new(patterns, template.value.clone(), self.ctx.clone()))))
    }

    fn transaction(&mut self, cmd: &ast::Command, args: &[Arg]) -> PResult<Option<Box<dyn Operator>>> {
        let mut fields = Vec::new();
        let (mut starts, mut ends, mut maxspan, mut maxpause, mut maxevents) = (None, None, None, None, None);
        let cc = crate::search::CompileCtx { now: self.ctx.fns.now, tz: self.ctx.fns.tz.offset_seconds };
        for a in args {
            match a {
                Arg::Word { text, quoted: false, .. } => fields.push(text.clone()),
                Arg::Comma(_) => {}
                Arg::Opt(o) => match o.key.as_str() {
                    "startswith" | "endswith" => {
                        let t = o.value.trim();
                        let t = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')).unwrap_or(t);
                        if t.starts_with("eval(") {
                            self.unsupported(format!("transaction {}=eval(...)", o.key), o.span);
                            continue;
                        }
                        let expr = spl_parser::parse_search_expr(t).map_err(|e| PlanError::Invalid {
                            message: format!("transaction {}: {}", o.key, e.message),
                            span: o.span,
                        })?;
                        let m = match expr {
                            Some(e) => crate::search::Matcher::compile(&e, &cc)
                                .map_err(|e| PlanError::Invalid { message: e.message, span: o.span })?,
                            None => crate::search::Matcher::True,
                        };
                        if o.key == "startswith" {
                            starts = Some(m);
                        } else {
                            ends = Some(m);
                        }
                    }
                    "maxspan" | "maxpause" => {
                        let secs = crate::timefmt::parse_span(&o.value).and_then(|s| s.seconds()).ok_or(
                            PlanError::Invalid {
                                message: format!("cannot read {} `{}`", o.key, o.value),
                                span: o.span,
                            },
                        )?;
                        if o.key == "maxspan" {
                            maxspan = Some(secs);
                        } else {
                            maxpause = Some(secs);
                        }
                    }
                    "maxevents" => maxevents = o.value.parse::<i64>().ok(),
                    // connected only matters with several fields where some events lack some.
                    "connected" | "keepevicted" if !truthy(&o.value) || o.key == "connected" => {}
                    _ => self.unsupported(format!("transaction option `{}={}`", o.key, o.value), o.span),
                },
                other => {
                    self.unsupported(format!("transaction argument `{}`", self.text(arg_span(other))), arg_span(other))
                }
            }
        }
        if fields.is_empty() {
            self.unsupported("transaction without fields", cmd.span);
            return Ok(None);
        }
        let mut op = ops::transaction::TransactionOp::new(fields, starts, ends, self.text(cmd.span));
        op.maxspan = maxspan;
        op.maxpause = maxpause;
        // maxevents < 0 means no limit.
        op.maxevents = match maxevents {
            Some(n) if n < 0 => usize::MAX,
            Some(n) => n as usize,
            None => 1000,
        };
        Ok(Some(Box::new(op)))
    }

    /// `from datamodel:M.D`, `from datamodel M.D`, `datamodel M D search`.
    fn datamodel_cmd(&mut self, cmd: &ast::Command, words: &[&str]) -> PResult<Option<Box<dyn Operator>>> {
        let spec: Option<(String, Option<String>)> = match (cmd.name.as_str(), words) {
            ("from", [w]) => w.strip_prefix("datamodel:").map(|r| r.to_string()).map(|r| split_model(&r)),
            ("from", [d, m]) if d.eq_ignore_ascii_case("datamodel") => Some(split_model(m)),
            ("datamodel", [m, d, s]) if s.eq_ignore_ascii_case("search") => Some((m.to_string(), Some(d.to_string()))),
            ("datamodel", [m, s]) if s.eq_ignore_ascii_case("search") => Some(split_model(m)),
            _ => None,
        };
        let Some((model, dataset)) = spec else {
            self.unsupported(format!("{} form `{}`", cmd.name, self.text(cmd.span)), cmd.span);
            return Ok(None);
        };
        let Some(dm) = self.ctx.content.datamodel(&model) else {
            self.unsupported(format!("data model `{model}` (no content/datamodels definition)"), cmd.span);
            return Ok(None);
        };
        let views = ops::tstats::DatasetView::resolve(dm, dataset.as_deref())
            .map_err(|m| PlanError::Invalid { message: m, span: cmd.span })?;
        Ok(Some(Box::new(ops::datamodel::DatamodelOp { views, ctx: self.ctx.clone(), text: self.text(cmd.span) })))
    }

    /// `outlier [action=…] [mark=…] [param=…] [uselower=…] [type=iqr] [field …]`.
    fn outlier(&mut self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        use ops::outlier::{OutlierAction, OutlierOp};
        let (mut action, mut mark, mut param, mut uselower) = (OutlierAction::Transform, false, 2.5, false);
        let mut fields = Vec::new();
        for a in args {
            match a {
                Arg::Opt(o) => match o.key.to_ascii_lowercase().as_str() {
                    "action" => {
                        action = match o.value.to_ascii_lowercase().as_str() {
                            "rm" | "remove" => OutlierAction::Remove,
                            "tf" | "transform" => OutlierAction::Transform,
                            _ => {
                                return invalid(
                                    format!("outlier action `{}` (remove, rm, transform or tf)", o.value),
                                    o.span,
                                )
                            }
                        }
                    }
                    "mark" => mark = truthy(&o.value),
                    "uselower" => uselower = truthy(&o.value),
                    "param" => {
                        param = match o.value.parse::<f64>() {
                            Ok(p) if p.is_finite() && p >= 0.0 => p,
                            _ => return invalid(format!("outlier param `{}` (a number, 0 or more)", o.value), o.span),
                        }
                    }
                    "type" if o.value.eq_ignore_ascii_case("iqr") => {}
                    _ => return invalid(format!("outlier option `{}={}`", o.key, o.value), o.span),
                },
                Arg::Word { text, .. } => fields.push(text.clone()),
                Arg::Comma(_) => {}
                other => return invalid(format!("outlier argument `{}`", self.text(arg_span(other))), arg_span(other)),
            }
        }
        Ok(Box::new(OutlierOp::new(action, mark, param, uselower, fields)))
    }

    /// `<field> [AS <newfield>]` among `delta`'s, `autoregress`'s or `accum`'s arguments, and
    /// their `key=value` options (each command checks its own).
    fn field_as<'a>(&self, cmd: &ast::Command, args: &'a [Arg]) -> PResult<(String, Option<String>, Vec<&'a Opt>)> {
        let name = cmd.name.as_str();
        let (mut field, mut out, mut opts) = (None, None, Vec::new());
        let mut as_at: Option<Span> = None;
        for a in args {
            match a {
                Arg::Opt(o) => opts.push(o),
                Arg::Word { text, quoted: false, span } if text.eq_ignore_ascii_case("as") && field.is_some() => {
                    if as_at.is_some() {
                        return invalid(format!("{name} argument `{text}`"), *span);
                    }
                    as_at = Some(*span);
                }
                Arg::Word { text, .. } if field.is_none() => field = Some(text.clone()),
                Arg::Word { text, .. } if as_at.is_some() && out.is_none() => out = Some(text.clone()),
                other => return invalid(format!("{name} argument `{}`", self.text(arg_span(other))), arg_span(other)),
            }
        }
        let Some(field) = field else { return invalid(format!("{name} needs a field"), cmd.span) };
        if let (Some(at), None) = (as_at, &out) {
            return invalid(format!("{name}: `AS` needs a new field name"), at);
        }
        Ok((field, out, opts))
    }

    /// `delta <field> [AS <newfield>] [p=<n>]`.
    fn delta(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let (field, out, opts) = self.field_as(cmd, args)?;
        let mut p = 1;
        for o in opts {
            match o.key.as_str() {
                "p" => {
                    p = match o.value.trim().parse::<usize>() {
                        Ok(n) if n >= 1 => n,
                        _ => return invalid(format!("delta p `{}` (a whole number, 1 or more)", o.value), o.span),
                    }
                }
                _ => return invalid(format!("delta option `{}={}`", o.key, o.value), o.span),
            }
        }
        Ok(Box::new(ops::streaming::DeltaOp::new(field, out, p)))
    }

    /// `autoregress <field> [AS <newfield>] [p=<n> | p=<start>-<end>]`.
    fn autoregress(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let (field, out, opts) = self.field_as(cmd, args)?;
        let (mut start, mut end) = (1, 1);
        for o in opts {
            match o.key.as_str() {
                "p" => {
                    let whole = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n >= 1);
                    let range = match o.value.split_once('-') {
                        Some((a, b)) => whole(a).zip(whole(b)).filter(|(a, b)| a <= b),
                        None => whole(&o.value).map(|n| (n, n)),
                    };
                    let Some((a, b)) = range else {
                        return invalid(
                            format!("autoregress p `{}` (a whole number or a range such as 2-4, from 1)", o.value),
                            o.span,
                        );
                    };
                    // Our bound, not Splunk's: each row gets a field per step of the range.
                    if b - a >= AUTOREGRESS_RANGE_MAX {
                        return invalid(
                            format!(
                                "autoregress p `{}` (a range writes a field per step: at most {AUTOREGRESS_RANGE_MAX})",
                                o.value
                            ),
                            o.span,
                        );
                    }
                    // The reference forbids AS with a range of p.
                    if out.is_some() && a != b {
                        return invalid(
                            format!("autoregress AS with the range p={} (a range writes {field}_p<n> fields)", o.value),
                            o.span,
                        );
                    }
                    (start, end) = (a, b);
                }
                _ => return invalid(format!("autoregress option `{}={}`", o.key, o.value), o.span),
            }
        }
        Ok(Box::new(ops::streaming::AutoregressOp::new(field, out, start, end)))
    }

    /// `accum <field> [AS <newfield>]`.
    fn accum(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let (field, out, opts) = self.field_as(cmd, args)?;
        if let Some(o) = opts.first() {
            return invalid(format!("accum option `{}={}`", o.key, o.value), o.span);
        }
        Ok(Box::new(ops::streaming::AccumOp::new(field, out)))
    }

    /// `filldown [<wc-field-list>]`.
    fn filldown(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let mut fields = Vec::new();
        for a in args {
            match a {
                Arg::Word { text, .. } => fields.push(NamePattern::new(text)),
                Arg::Comma(_) => {}
                Arg::Opt(o) => return invalid(format!("filldown option `{}={}`", o.key, o.value), o.span),
                other => {
                    return invalid(format!("filldown argument `{}`", self.text(arg_span(other))), arg_span(other))
                }
            }
        }
        Ok(Box::new(ops::streaming::FilldownOp::new(fields)))
    }

    /// A boolean option of `cmd`: `true`/`t`/`1`/`yes` or `false`/`f`/`0`/`no`, else an error.
    fn bool_opt(&self, cmd: &str, o: &Opt) -> PResult<bool> {
        if truthy(&o.value) {
            return Ok(true);
        }
        match o.value.to_ascii_lowercase().as_str() {
            "false" | "f" | "0" | "no" => Ok(false),
            _ => invalid(format!("{cmd} {} `{}` (true or false)", o.key, o.value), o.span),
        }
    }

    /// An error at the first argument of a command that takes none.
    fn no_args(&self, name: &str, args: &[Arg]) -> PResult<()> {
        match args.first() {
            Some(a) => invalid(format!("{name} takes no arguments: `{}`", self.text(arg_span(a))), arg_span(a)),
            None => Ok(()),
        }
    }

    /// `strcat [allrequired=<bool>] <source-field | "quoted string">... <dest-field>`. Rules:
    /// `ops::simple`.
    fn strcat(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        use ops::simple::StrcatPart;
        let mut allrequired = false;
        let mut words: Vec<(StrcatPart, Span)> = Vec::new();
        for a in args {
            match a {
                Arg::Opt(o) if o.key == "allrequired" => allrequired = self.bool_opt("strcat", o)?,
                Arg::Opt(o) => return invalid(format!("strcat option `{}={}`", o.key, o.value), o.span),
                Arg::Word { text, quoted: true, span } => words.push((StrcatPart::Literal(text.clone()), *span)),
                Arg::Word { text, span, .. } => words.push((StrcatPart::Field(text.clone()), *span)),
                other => return invalid(format!("strcat argument `{}`", self.text(arg_span(other))), arg_span(other)),
            }
        }
        // The last word names the destination, quoted or not.
        let Some(((last, at), sources)) = words.split_last().filter(|(_, s)| !s.is_empty()) else {
            return invalid("strcat takes source fields or quoted strings, then a destination field", cmd.span);
        };
        let dest = match last {
            StrcatPart::Field(f) | StrcatPart::Literal(f) => f.clone(),
        };
        if dest.is_empty() {
            return invalid("strcat: the destination field needs a name", *at);
        }
        let parts = sources.iter().map(|(p, _)| p.clone()).collect();
        Ok(Box::new(ops::simple::StrcatOp::new(parts, dest, allrequired)))
    }

    /// `rangemap field=<field> [<name>=<num>-<num>]... [default=<string>]`. Rules: `ops::simple`.
    fn rangemap(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let (mut field, mut default, mut ranges) = (None, None, Vec::new());
        for a in args {
            match a {
                Arg::Opt(o) if o.key == "field" => field = Some(o.value.clone()),
                Arg::Opt(o) if o.key == "default" => default = Some(o.value.clone()),
                Arg::Opt(o) => {
                    // The name as written: option keys come lower-cased.
                    let written = self.text(o.span);
                    let name = written.split_once('=').map_or_else(|| o.key.clone(), |(k, _)| k.to_string());
                    let Some((lo, hi)) = ops::simple::parse_range(&o.value) else {
                        return invalid(
                            format!("rangemap range `{name}={}` (<low>-<high>, numbers, low first)", o.value),
                            o.span,
                        );
                    };
                    if ranges.iter().any(|(n, _, _)| *n == name) {
                        return invalid(format!("rangemap range `{name}` given twice"), o.span);
                    }
                    ranges.push((name, lo, hi));
                }
                other => {
                    return invalid(format!("rangemap argument `{}`", self.text(arg_span(other))), arg_span(other))
                }
            }
        }
        let Some(field) = field else { return invalid("rangemap needs field=<field>", cmd.span) };
        let default = default.unwrap_or_else(|| "None".to_string());
        Ok(Box::new(ops::simple::RangemapOp::new(field, ranges, default)))
    }

    /// `uniq`, which takes no arguments.
    fn uniq(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        self.no_args("uniq", args)?;
        Ok(Box::<ops::simple::UniqOp>::default())
    }

    /// `addinfo`, which takes no arguments.
    fn addinfo(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        self.no_args("addinfo", args)?;
        Ok(Box::new(ops::simple::AddinfoOp::new(self.src, self.ctx.fns.now, self.ctx.range)))
    }

    /// `transpose [<int>] [column_name=<string>] [header_field=<field>] [include_empty=<bool>]`.
    fn transpose(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let (mut count, mut column_name, mut header_field, mut include_empty) =
            (None, "column".to_string(), None, true);
        for a in args {
            match a {
                Arg::Opt(o) => match o.key.as_str() {
                    "column_name" if o.value.is_empty() => {
                        return invalid("transpose column_name needs a name", o.span);
                    }
                    "column_name" => column_name = o.value.clone(),
                    "header_field" => header_field = Some(o.value.clone()),
                    "include_empty" => include_empty = self.bool_opt("transpose", o)?,
                    _ => return invalid(format!("transpose option `{}={}`", o.key, o.value), o.span),
                },
                Arg::Word { text, quoted: false, span } if count.is_none() => match text.parse::<usize>() {
                    Ok(n) => count = Some(n),
                    Err(_) => {
                        return invalid(format!("transpose count `{text}` (a whole number; 0 for every row)"), *span)
                    }
                },
                other => {
                    return invalid(format!("transpose argument `{}`", self.text(arg_span(other))), arg_span(other))
                }
            }
        }
        let count = count.unwrap_or(TRANSPOSE_ROWS);
        Ok(Box::new(ops::simple::TransposeOp::new(count, column_name, header_field, include_empty)))
    }

    /// `fieldsummary [maxvals=<unsigned_int>] [<wc-field>...]`. Rules: `ops::fieldsummary`.
    fn fieldsummary(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let mut maxvals = ops::fieldsummary::DEFAULT_MAXVALS;
        let mut patterns = Vec::new();
        for a in args {
            match a {
                Arg::Opt(o) if o.key == "maxvals" => match ops::fieldsummary::parse_maxvals(&o.value) {
                    Some(n) => maxvals = n,
                    None => {
                        return invalid(
                            format!("fieldsummary maxvals `{}` (a whole number, 0 or more; 0: every value)", o.value),
                            o.span,
                        )
                    }
                },
                Arg::Opt(o) => return invalid(format!("fieldsummary option `{}={}`", o.key, o.value), o.span),
                Arg::Word { text, span, .. } if text.is_empty() => {
                    return invalid("fieldsummary: a field name cannot be empty", *span)
                }
                Arg::Word { text, .. } => patterns.push(NamePattern::new(text)),
                Arg::Comma(_) => {}
                other => {
                    return invalid(
                        format!(
                            "fieldsummary argument `{}` (fieldsummary [maxvals=<num>] [<field>...])",
                            self.text(arg_span(other))
                        ),
                        arg_span(other),
                    )
                }
            }
        }
        Ok(Box::new(ops::fieldsummary::FieldsummaryOp::new(maxvals, patterns)))
    }

    /// `tojson [<auto|bool|json|none|num|str>(<wc-field>) | <wc-field>]... [default_type=]
    /// [fill_null=] [include_internal=] [output_field=]`. Rules: `ops::tojson`.
    fn tojson(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        use ops::tojson::{Datatype, Spec};
        const TYPES: &str = "auto, bool, json, none, num or str";
        let (mut default_type, mut fill_null, mut include_internal, mut output_field) =
            (Datatype::None, false, false, "_raw".to_string());
        let mut specs = Vec::new();
        for a in args {
            match a {
                Arg::Opt(o) => match o.key.as_str() {
                    "default_type" => {
                        default_type = Datatype::parse(&o.value).ok_or_else(|| PlanError::Invalid {
                            message: format!("tojson default_type `{}` ({TYPES})", o.value),
                            span: o.span,
                        })?
                    }
                    "fill_null" => fill_null = self.bool_opt("tojson", o)?,
                    "include_internal" => include_internal = self.bool_opt("tojson", o)?,
                    "output_field" if o.value.is_empty() => {
                        return invalid("tojson output_field needs a field name", o.span)
                    }
                    "output_field" => output_field = o.value.clone(),
                    _ => return invalid(format!("tojson option `{}={}`", o.key, o.value), o.span),
                },
                Arg::Call { name, inner, span } => {
                    let Some(ty) = Datatype::parse(name) else {
                        return invalid(format!("tojson function `{name}` ({TYPES})"), *span);
                    };
                    let field = inner.trim();
                    let field = field.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(field);
                    if field.is_empty() || (!inner.trim().starts_with('"') && field.contains([' ', ',', '\t', '\n'])) {
                        return invalid(
                            format!("tojson `{}` takes one field name or wildcard pattern", self.text(*span)),
                            *span,
                        );
                    }
                    specs.push(Spec { pattern: NamePattern::new(field), ty: Some(ty) });
                }
                Arg::Word { text, span, .. } if text.is_empty() => {
                    return invalid("tojson: a field name cannot be empty", *span)
                }
                Arg::Word { text, .. } => specs.push(Spec { pattern: NamePattern::new(text), ty: None }),
                Arg::Comma(_) => {}
                other => return invalid(format!("tojson argument `{}`", self.text(arg_span(other))), arg_span(other)),
            }
        }
        Ok(Box::new(ops::tojson::TojsonOp::new(specs, default_type, fill_null, include_internal, output_field)))
    }

    /// `chart [options] <aggs> [over <row> [by <column>] | by <row> [<column>]]`; the parser puts
    /// `over`'s field first in `by`. Rules: `ops::chart`.
    /// `| multisearch [search …] [search …] …`. Rules: `ops::multisearch`.
    fn multisearch(&mut self, cmd: &ast::Command, args: &[Arg], first: bool) -> PResult<Box<dyn Operator>> {
        if !first {
            return invalid(
                "multisearch is a generating command: it must come first (`| multisearch [search …] …`)",
                cmd.span,
            );
        }
        let mut subs = Vec::new();
        for a in args {
            let Arg::Subsearch(p) = a else {
                return invalid("multisearch takes only subsearches: `[search …]`", arg_span(a));
            };
            if let Some((why, at)) = not_streaming_search(p) {
                return invalid(format!("multisearch subsearches {why}"), at);
            }
            subs.push(self.pipeline(p)?);
        }
        if subs.len() < 2 {
            return invalid("multisearch needs at least two subsearches", cmd.span);
        }
        Ok(Box::new(ops::multisearch::MultisearchOp::new("multisearch", subs)))
    }

    /// `| union [maxtime=] [maxout=] [timeout=] [search …] [search …] …` of streaming
    /// subsearches: a multisearch (`ops::multisearch`). Its other forms (after other commands,
    /// named datasets, a non-streaming subsearch: `append` processing) are reported unsupported.
    fn union(&mut self, cmd: &ast::Command, args: &[Arg], first: bool) -> PResult<Option<Box<dyn Operator>>> {
        let mut subs = Vec::new();
        let mut other = None;
        for a in args {
            match a {
                Arg::Opt(o) if matches!(o.key.as_str(), "maxtime" | "maxout" | "timeout") => {
                    if o.value.parse::<u64>().is_err() {
                        return invalid(format!("union {} `{}` (a whole number)", o.key, o.value), o.span);
                    }
                }
                Arg::Opt(o) => return invalid(format!("union option `{}={}`", o.key, o.value), o.span),
                Arg::Comma(_) => {}
                Arg::Subsearch(p) => match not_streaming_search(p) {
                    None => subs.push(p),
                    Some((_, at)) => other = other.or(Some(at)),
                },
                _ => other = other.or(Some(arg_span(a))),
            }
        }
        if !first {
            self.unsupported(
                "union after other commands (only `| union [search …] [search …]` of streaming subsearches runs)",
                cmd.name_span,
            );
            return Ok(None);
        }
        if let Some(at) = other {
            self.unsupported(
                "union of a named dataset or a non-streaming subsearch (only `| union` of streaming `[search …]` subsearches runs)",
                at,
            );
            return Ok(None);
        }
        if subs.len() < 2 {
            return invalid("union needs at least two datasets", cmd.span);
        }
        let subs = subs.into_iter().map(|p| self.pipeline(p)).collect::<PResult<Vec<_>>>()?;
        Ok(Some(Box::new(ops::multisearch::MultisearchOp::new("union", subs))))
    }

    /// The options `chart` and `timechart` share, for their split-by series; false when `o`
    /// is not one of them.
    fn series_opt(&self, cmd: &str, o: &Opt, opts: &mut ops::chart::ChartOpts) -> PResult<bool> {
        let v = o.value.as_str();
        match o.key.as_str() {
            "limit" => {
                let l = v.to_ascii_lowercase();
                let (bottom, n) = match l.strip_prefix("bottom") {
                    Some(n) => (true, n),
                    None => (false, l.strip_prefix("top").unwrap_or(&l)),
                };
                let Ok(n) = n.parse() else {
                    return invalid(format!("{cmd} limit `{v}` (a count, topN or bottomN)"), o.span);
                };
                (opts.limit, opts.bottom) = (n, bottom);
            }
            "useother" => opts.useother = self.bool_opt(cmd, o)?,
            "usenull" => opts.usenull = self.bool_opt(cmd, o)?,
            "otherstr" => opts.otherstr = v.to_string(),
            "nullstr" => opts.nullstr = v.to_string(),
            "sep" => opts.sep = v.to_string(),
            "format" => opts.format = Some(v.to_string()),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn chart(
        &mut self,
        cmd: &ast::Command,
        s: &ast::StatsCmd,
        aggs: Vec<AggSpec>,
        ctx: Context,
    ) -> PResult<Box<dyn Operator>> {
        if s.aggs.is_empty() {
            return invalid("chart needs an aggregation, such as `count`", cmd.span);
        }
        if let Some(f) = s.by.iter().skip(1).find(|f| f.name.eq_ignore_ascii_case("over")) {
            return invalid("chart takes `over <row-field>` before `by <column-field>`", f.span);
        }
        if let Some(f) = s.by.get(2) {
            return invalid("chart takes one row field and one column field: `over X by Y` or `by X Y`", f.span);
        }
        let mut o = ops::chart::ChartOpts::default();
        for x in &s.options {
            let v = x.value.as_str();
            if self.series_opt("chart", x, &mut o)? {
                continue;
            }
            match x.key.as_str() {
                // Continuity of bucketed numbers: nothing is bucketed here.
                "cont" => {}
                "dedup_splitvals" if !truthy(v) => {}
                "span" | "bins" | "minspan" | "start" | "end" | "aligntime" => self.unsupported(
                    format!("chart bucketing option `{}={v}` (bucket the field first with `bin`)", x.key),
                    x.span,
                ),
                "dedup_splitvals" => self.unsupported("chart dedup_splitvals=true", x.span),
                _ => return invalid(format!("chart option `{}={v}`", x.key), x.span),
            }
        }
        let (row, column) = (s.by.first().map(|f| f.name.clone()), s.by.get(1).map(|f| f.name.clone()));
        Ok(Box::new(ops::chart::ChartOp::new(row, column, aggs, o, ctx)))
    }

    /// `xyseries [grouped=<bool>] <x-field> <y-name-field> <y-data-field>... [sep=] [format=]`.
    fn xyseries(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let (mut grouped, mut sep, mut format, mut fields) = (false, ": ".to_string(), None, Vec::new());
        for a in args {
            match a {
                Arg::Opt(o) => match o.key.as_str() {
                    "grouped" => grouped = self.bool_opt("xyseries", o)?,
                    "sep" => sep = o.value.clone(),
                    "format" => format = Some(o.value.clone()),
                    _ => return invalid(format!("xyseries option `{}={}`", o.key, o.value), o.span),
                },
                Arg::Word { text, .. } => fields.push(text.clone()),
                Arg::Comma(_) => {}
                other => {
                    return invalid(format!("xyseries argument `{}`", self.text(arg_span(other))), arg_span(other))
                }
            }
        }
        let [x, yname, ydata @ ..] = fields.as_slice() else { return invalid(XYSERIES_ARGS, cmd.span) };
        if ydata.is_empty() {
            return invalid(XYSERIES_ARGS, cmd.span);
        }
        let (x, yname, ydata) = (x.clone(), yname.clone(), ydata.to_vec());
        Ok(Box::new(ops::reshape::XyseriesOp::new(x, yname, ydata, grouped, sep, format, self.ctx.clone())))
    }

    /// `untable <x-field> <y-name-field> <y-data-field>`.
    fn untable(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let mut fields = Vec::new();
        for a in args {
            match a {
                Arg::Word { text, .. } => fields.push(text.clone()),
                Arg::Comma(_) => {}
                other => return invalid(format!("untable argument `{}`", self.text(arg_span(other))), arg_span(other)),
            }
        }
        let [x, yname, ydata] = fields.as_slice() else {
            return invalid("untable takes three fields: <x-field> <y-name-field> <y-data-field>", cmd.span);
        };
        Ok(Box::new(ops::reshape::UntableOp { x: x.clone(), yname: yname.clone(), ydata: ydata.clone() }))
    }

    /// `format [mvsep=] [maxresults=] [emptystr=] ["<row prefix>" "<column prefix>" "<column
    /// separator>" "<column end>" "<row separator>" "<row end>"]`. Rules: `ops::subsearch_format`.
    fn format_cmd(&self, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        let mut o = ops::subsearch_format::FormatOpts::default();
        let mut strings: Vec<(&str, Span)> = Vec::new();
        for a in args {
            match a {
                Arg::Opt(x) => match x.key.as_str() {
                    "mvsep" => o.mvsep = x.value.clone(),
                    "emptystr" => o.emptystr = x.value.clone(),
                    "maxresults" => {
                        o.maxresults = match x.value.trim().parse::<usize>() {
                            Ok(n) => n,
                            Err(_) => {
                                return invalid(
                                    format!("format maxresults `{}` (a whole number, 0 = all)", x.value),
                                    x.span,
                                )
                            }
                        }
                    }
                    _ => return invalid(format!("format option `{}={}`", x.key, x.value), x.span),
                },
                Arg::Word { text, quoted: true, span } => strings.push((text.as_str(), *span)),
                other => {
                    return invalid(
                        format!(
                            "format argument `{}` (the row and column strings are written in double quotes)",
                            self.text(arg_span(other))
                        ),
                        arg_span(other),
                    )
                }
            }
        }
        match strings.as_slice() {
            [] => {}
            [(rp, _), (cp, _), (cs, _), (ce, _), (rs, _), (re, _)] => {
                let s = |x: &str| x.to_string();
                (o.row_prefix, o.col_prefix, o.col_sep, o.col_end, o.row_sep, o.row_end) =
                    (s(rp), s(cp), s(cs), s(ce), s(rs), s(re));
            }
            _ => {
                let at = strings.iter().map(|(_, s)| *s).reduce(Span::join).unwrap_or_default();
                return invalid(
                    format!(
                        "format takes all six row and column strings or none: \"<row prefix>\" \"<column prefix>\" \
                         \"<column separator>\" \"<column end>\" \"<row separator>\" \"<row end>\" ({} given)",
                        strings.len()
                    ),
                    at,
                );
            }
        }
        Ok(Box::new(ops::subsearch_format::FormatOp::new(o)))
    }

    /// `return [<count>] [<alias>=<field>...] [<field>...] [$<field>...]`. Rules:
    /// `ops::subsearch_format`.
    fn return_cmd(&self, cmd: &ast::Command, args: &[Arg]) -> PResult<Box<dyn Operator>> {
        use ops::subsearch_format::ReturnItem;
        const USAGE: &str = "return [<count>] [<alias>=<field>...] [<field>...] [$<field>...]";
        let count = ops::subsearch_format::return_count(args);
        let mut items = Vec::new();
        let mut rest = args.iter().peekable();
        if matches!(args.first(), Some(Arg::Word { text, quoted: false, .. }) if text.parse::<i64>().is_ok()) {
            rest.next();
        }
        // `$f` names the field `f`; a name cannot be empty.
        let field_of = |text: &str, span: Span| -> PResult<String> {
            let f = text.strip_prefix('$').unwrap_or(text);
            if f.is_empty() {
                return invalid(format!("return: `{text}` names no field ({USAGE})"), span);
            }
            Ok(f.to_string())
        };
        while let Some(a) = rest.next() {
            match a {
                Arg::Comma(_) => {}
                Arg::Opt(o) => {
                    // Option keys come lower-cased; the alias is written as the user wrote it.
                    let written = self.text(o.span);
                    let alias = written.split('=').next().unwrap_or(&o.key).trim().to_string();
                    items.push(ReturnItem::Pair { alias, field: field_of(&o.value, o.span)? });
                }
                Arg::Word { text, quoted: false, span } if text.starts_with('$') => {
                    items.push(ReturnItem::Value(field_of(text, *span)?))
                }
                Arg::Word { text, span, .. } => {
                    // `alias = field`, with spaces.
                    if matches!(rest.peek(), Some(Arg::Word { text: eq, quoted: false, .. }) if eq == "=") {
                        rest.next();
                        let Some(Arg::Word { text: f, span: fs, .. }) = rest.next() else {
                            return invalid(format!("return: `{text} =` needs a field after `=` ({USAGE})"), *span);
                        };
                        items.push(ReturnItem::Pair { alias: text.clone(), field: field_of(f, *fs)? });
                    } else {
                        items.push(ReturnItem::Pair { alias: text.clone(), field: field_of(text, *span)? });
                    }
                }
                other => {
                    return invalid(
                        format!("return argument `{}` ({USAGE})", self.text(arg_span(other))),
                        arg_span(other),
                    )
                }
            }
        }
        if items.is_empty() {
            return invalid(format!("return needs a field: {USAGE}"), cmd.span);
        }
        Ok(Box::new(ops::subsearch_format::ReturnOp::new(count, items)))
    }

    fn generic(&mut self, cmd: &ast::Command, args: &[Arg], _first: bool) -> PResult<Option<Box<dyn Operator>>> {
        let words: Vec<&str> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Word { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        Ok(Some(match cmd.name.as_str() {
            "mvexpand" => {
                let Some(field) = words.first() else { return invalid("mvexpand needs a field", cmd.span) };
                let limit = args.iter().find_map(|a| match a {
                    Arg::Opt(o) if o.key == "limit" => o.value.parse().ok(),
                    _ => None,
                });
                Box::new(ops::rows::MvexpandOp { field: field.to_string(), limit })
            }
            "spath" => {
                let (mut input, mut output, mut path) = ("_raw".to_string(), None, None);
                for a in args {
                    match a {
                        Arg::Opt(o) if o.key == "input" => input = o.value.clone(),
                        Arg::Opt(o) if o.key == "output" => output = Some(o.value.clone()),
                        Arg::Opt(o) if o.key == "path" => path = Some(o.value.clone()),
                        Arg::Word { text, .. } if path.is_none() => path = Some(text.clone()),
                        Arg::Comma(_) => {}
                        other => self
                            .unsupported(format!("spath argument `{}`", self.text(arg_span(other))), arg_span(other)),
                    }
                }
                Box::new(
                    ops::json::SpathOp::new(input, output, path)
                        .map_err(|m| PlanError::Invalid { message: m, span: cmd.span })?,
                )
            }
            "reverse" => {
                self.no_args("reverse", args)?;
                Box::new(ops::sort::ReverseOp::default())
            }
            "fromjson" => {
                let Some(field) = words.first() else { return invalid("fromjson needs a field", cmd.span) };
                let prefix = opt_arg(args, "prefix").unwrap_or_default();
                Box::new(ops::json::FromjsonOp { field: field.to_string(), prefix })
            }
            "xmlkv" => {
                for a in args {
                    if let Arg::Opt(o) = a {
                        self.unsupported(format!("xmlkv option `{}`", o.key), o.span);
                    }
                }
                Box::new(ops::json::XmlkvOp { field: words.first().map_or("_raw".to_string(), |w| w.to_string()) })
            }
            "transaction" => return self.transaction(cmd, args),
            "extract" | "kv" => {
                // Only the inline-delimiter form; `extract` of props.conf transforms needs them.
                let (pairdelim, kvdelim) = (opt_arg(args, "pairdelim"), opt_arg(args, "kvdelim"));
                for a in args {
                    if !matches!(a, Arg::Opt(o) if o.key == "pairdelim" || o.key == "kvdelim") {
                        self.unsupported(format!("{} argument `{}`", cmd.name, self.text(arg_span(a))), arg_span(a));
                    }
                }
                let (Some(pairdelim), Some(kvdelim)) = (pairdelim, kvdelim) else {
                    self.unsupported(
                        format!("{} without pairdelim= and kvdelim= (props.conf extractions)", cmd.name),
                        cmd.span,
                    );
                    return Ok(None);
                };
                Box::new(ops::kv::ExtractOp { pairdelim, kvdelim })
            }
            "replace" => {
                // `"a" WITH "b" [, ...] [IN f1, f2]`
                let mut toks: Vec<(&str, bool)> = Vec::new();
                for a in args {
                    match a {
                        Arg::Word { text, quoted, .. } => toks.push((text.as_str(), *quoted)),
                        Arg::Comma(_) => {}
                        other => {
                            return invalid(
                                format!("replace: unexpected `{}`", self.text(arg_span(other))),
                                arg_span(other),
                            )
                        }
                    }
                }
                let kw = |t: &(&str, bool), k: &str| !t.1 && t.0.eq_ignore_ascii_case(k);
                let split = toks.iter().position(|t| kw(t, "in")).unwrap_or(toks.len());
                let (pairs_toks, field_toks) = toks.split_at(split);
                let mut pairs = Vec::new();
                for chunk in pairs_toks.chunks(3) {
                    match chunk {
                        [from, w, to] if kw(w, "with") => {
                            pairs.push((ops::foreach::CapturePattern::new(from.0), to.0.to_string()))
                        }
                        _ => return invalid("replace: expected `\"old\" WITH \"new\"` pairs", cmd.span),
                    }
                }
                let fields = field_toks.iter().skip(1).map(|t| NamePattern::new(t.0)).collect();
                Box::new(ops::misc::ReplaceOp { pairs, fields })
            }
            "addtotals" => {
                let mut fieldname = "Total".to_string();
                for a in args {
                    if let Arg::Opt(o) = a {
                        match o.key.as_str() {
                            "fieldname" => fieldname = o.value.clone(),
                            "row" if truthy(&o.value) => {}
                            "col" if !truthy(&o.value) => {}
                            _ => self.unsupported(format!("addtotals option `{}={}`", o.key, o.value), o.span),
                        }
                    }
                }
                Box::new(ops::misc::AddtotalsOp {
                    fieldname,
                    fields: words.iter().map(|w| NamePattern::new(w)).collect(),
                })
            }
            "makeresults" => {
                let count = opt_arg(args, "count").map_or(Ok(1), |c| {
                    c.parse::<usize>()
                        .map_err(|_| PlanError::Invalid { message: format!("makeresults count `{c}`"), span: cmd.span })
                })?;
                for a in args {
                    if let Arg::Opt(o) = a {
                        if o.key != "count" {
                            self.unsupported(format!("makeresults option `{}`", o.key), o.span);
                        }
                    }
                }
                Box::new(ops::misc::MakeresultsOp { count, now: self.ctx.fns.now })
            }
            "top" | "rare" => {
                let mut fields = Vec::new();
                let mut by = Vec::new();
                let mut in_by = false;
                for w in &words {
                    if w.eq_ignore_ascii_case("by") {
                        in_by = true;
                    } else if in_by {
                        by.push(w.to_string());
                    } else {
                        fields.push(w.to_string());
                    }
                }
                if fields.is_empty() {
                    return invalid(format!("{} needs a field", cmd.name), cmd.span);
                }
                let mut op = ops::misc::TopOp::new(cmd.name == "rare", fields, by, 10);
                for a in args {
                    if let Arg::Opt(o) = a {
                        match o.key.as_str() {
                            "limit" => {
                                op.limit = o.value.parse().map_err(|_| PlanError::Invalid {
                                    message: format!("limit `{}`", o.value),
                                    span: o.span,
                                })?
                            }
                            "countfield" => op.countfield = o.value.clone(),
                            "percentfield" => op.percentfield = o.value.clone(),
                            "showcount" => op.showcount = truthy(&o.value),
                            "showperc" => op.showperc = truthy(&o.value),
                            _ => self.unsupported(format!("{} option `{}`", cmd.name, o.key), o.span),
                        }
                    }
                }
                Box::new(op)
            }
            "makemv" => {
                let Some(field) = words.last() else { return invalid("makemv needs a field", cmd.span) };
                let mut op = ops::misc::MakemvOp {
                    field: field.to_string(),
                    delim: " ".into(),
                    tokenizer: None,
                    allowempty: false,
                };
                for a in args {
                    if let Arg::Opt(o) = a {
                        match o.key.as_str() {
                            "delim" => op.delim = o.value.clone(),
                            "tokenizer" => {
                                op.tokenizer = Some(
                                    crate::regex_util::compile(&o.value)
                                        .map_err(|m| PlanError::Invalid { message: m, span: o.span })?,
                                )
                            }
                            "allowempty" => op.allowempty = truthy(&o.value),
                            "setsv" if !truthy(&o.value) => {}
                            _ => self.unsupported(format!("makemv option `{}`", o.key), o.span),
                        }
                    }
                }
                Box::new(op)
            }
            "nomv" => {
                let Some(field) = words.first() else { return invalid("nomv needs a field", cmd.span) };
                Box::new(ops::misc::NomvOp { field: field.to_string() })
            }
            "mvcombine" => {
                let Some(field) = words.last() else { return invalid("mvcombine needs a field", cmd.span) };
                if let Some(o) = args.iter().find_map(|a| if let Arg::Opt(o) = a { Some(o) } else { None }) {
                    self.unsupported(format!("mvcombine option `{}`", o.key), o.span);
                }
                Box::new(ops::misc::MvcombineOp::new(field.to_string()))
            }
            "from" | "datamodel" => return self.datamodel_cmd(cmd, &words),
            "iplocation" => {
                // `iplocation [prefix=p] [allfields=bool] [lang=code] field`; the database is
                // checked when the search runs (planning needs none).
                let Some(field) = words.last() else { return invalid("iplocation needs a field", cmd.span) };
                let (mut prefix, mut allfields) = (String::new(), false);
                for a in args {
                    match a {
                        Arg::Opt(o) if o.key == "prefix" => prefix = o.value.clone(),
                        Arg::Opt(o) if o.key == "allfields" => allfields = truthy(&o.value),
                        Arg::Opt(o) if o.key == "lang" && matches!(o.value.as_str(), "en" | "") => {}
                        Arg::Word { .. } if words.len() == 1 => {}
                        other => self.unsupported(
                            format!("iplocation argument `{}`", self.text(arg_span(other))),
                            arg_span(other),
                        ),
                    }
                }
                Box::new(ops::iplocation::IplocationOp::new(
                    field.to_string(),
                    prefix,
                    allfields,
                    self.ctx.geoip.clone(),
                    cmd.span,
                ))
            }
            "apply" | "summary" | "fit" => {
                self.unsupported(
                    format!("command `{}` (Machine Learning Toolkit model; not available offline)", cmd.name),
                    cmd.name_span,
                );
                return Ok(None);
            }
            "outlier" => return self.outlier(args).map(Some),
            "delta" => return self.delta(cmd, args).map(Some),
            "autoregress" => return self.autoregress(cmd, args).map(Some),
            "accum" => return self.accum(cmd, args).map(Some),
            "filldown" => return self.filldown(args).map(Some),
            "strcat" => return self.strcat(cmd, args).map(Some),
            "rangemap" => return self.rangemap(cmd, args).map(Some),
            "uniq" => return self.uniq(args).map(Some),
            "addinfo" => return self.addinfo(args).map(Some),
            "transpose" => return self.transpose(args).map(Some),
            "multisearch" => return self.multisearch(cmd, args, _first).map(Some),
            "union" => return self.union(cmd, args, _first),
            "fieldsummary" => return self.fieldsummary(args).map(Some),
            "tojson" => return self.tojson(args).map(Some),
            "xyseries" => return self.xyseries(cmd, args).map(Some),
            "untable" => return self.untable(cmd, args).map(Some),
            "format" => return self.format_cmd(args).map(Some),
            "return" => return self.return_cmd(cmd, args).map(Some),
            // A core SPL command, but its histogram-based probabilities are not documented
            // precisely enough to reproduce Splunk's rows.
            "anomalydetection" => {
                self.unsupported(
                    format!("command `{}` (statistical analysis; not implemented yet)", cmd.name),
                    cmd.name_span,
                );
                return Ok(None);
            }
            "rest" | "metadata" | "collect" | "sendalert" => {
                self.unsupported(format!("command `{}` (needs a live Splunk instance)", cmd.name), cmd.name_span);
                return Ok(None);
            }
            "cyberchef" => {
                self.unsupported("command `cyberchef` (CyberChef add-on; not available offline)", cmd.name_span);
                return Ok(None);
            }
            "map" => {
                let Some(template) = opt_arg(args, "search") else {
                    self.unsupported("map without search=\"...\" (subsearch form)", cmd.span);
                    return Ok(None);
                };
                let mut maxsearches = self.ctx.limits.map_maxsearches;
                for a in args {
                    match a {
                        Arg::Opt(o) if o.key == "maxsearches" => {
                            maxsearches = o.value.parse().map_err(|_| PlanError::Invalid {
                                message: format!("maxsearches `{}`", o.value),
                                span: o.span,
                            })?
                        }
                        Arg::Opt(o) if o.key == "search" => {}
                        other => {
                            self.unsupported(format!("map argument `{}`", self.text(arg_span(other))), arg_span(other))
                        }
                    }
                }
                // Check the inner search once with a stand-in value (a number fits fields and time modifiers).
                let probe = ops::map::substitute(&template, &|_| Some("1".to_string()));
                let (parsed, expanded) = ops::map::parse_inner(&probe, self.ctx)
                    .map_err(|m| PlanError::Invalid { message: m, span: cmd.span })?;
                let mut inner = Planner { src: &expanded, ctx: self.ctx, unsupported: Vec::new() };
                inner
                    .pipeline(&parsed)
                    .map_err(|e| PlanError::Invalid { message: format!("map search: {e}"), span: cmd.span })?;
                for u in inner.unsupported {
                    self.unsupported(u.what, cmd.span);
                }
                Box::new(ops::map::MapOp::new(template, maxsearches, self.ctx.clone()))
            }
            "outputlookup" => {
                let Some(file) = words.first() else { return invalid("outputlookup needs a file name", cmd.span) };
                for a in args {
                    if let Arg::Opt(o) = a {
                        if !matches!(
                            o.key.as_str(),
                            "append" | "createinapp" | "create_empty" | "override_if_empty" | "max"
                        ) {
                            self.unsupported(format!("outputlookup option `{}`", o.key), o.span);
                        }
                        if o.key == "append" && truthy(&o.value) {
                            self.unsupported("outputlookup append=true", o.span);
                        }
                    }
                }
                Box::new(
                    ops::lookup::OutputlookupOp::new(file, self.ctx.output_dir.clone())
                        .map_err(|m| PlanError::Invalid { message: m, span: cmd.span })?,
                )
            }
            _ => {
                self.unsupported(format!("command `{}`", cmd.name), cmd.name_span);
                return Ok(None);
            }
        }))
    }
}

/// What a pipeline's first command reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// Events, in the order a Splunk search returns them: newest first.
    Events,
    /// Rows another command gives, in its order.
    Rows,
}

/// How a command of an event search uses the order of its rows.
enum OrderUse {
    /// It passes rows on in the order it gets them (filters, field commands, lookups, a join's
    /// left side).
    Keeps,
    /// Its rows come in an order of its own, or it may add rows (`stats`, `sort`, `append` …;
    /// every command not known to keep the order).
    Sets,
    /// Its result depends on the order of the events (`head`, `tail`, `dedup`, `streamstats`,
    /// `reverse`, `first()`/`last()`/`list()`): it must get them newest first, as in Splunk;
    /// with `head N`, only the first N are needed.
    Depends(Option<usize>),
}

/// A `dedup`'s arguments.
struct DedupArgs {
    fields: Vec<String>,
    limit: usize,
    keepempty: bool,
    consecutive: bool,
}

/// The arguments of a `dedup` command; `None` for any other.
fn dedup_args(cmd: &ast::Command) -> Option<DedupArgs> {
    let CommandBody::Dedup { limit, fields, options, .. } = &cmd.body else { return None };
    let flag = |key: &str| opt(options, key).is_some_and(|o| truthy(&o.value));
    Some(DedupArgs {
        fields: fields.iter().map(|f| f.name.clone()).collect(),
        limit: limit.unwrap_or(1) as usize,
        keepempty: flag("keepempty"),
        consecutive: flag("consecutive"),
    })
}

/// A `dedup` the implied newest-first order can hold only the newest events of (not
/// `consecutive`). With `sortby` too: its sort comes after the dedup, which gets the same
/// rows in the same order either way.
fn fused_dedup(cmd: &ast::Command) -> Option<DedupArgs> {
    dedup_args(cmd).filter(|d| !d.consecutive)
}

/// A written sort key as the sort operator takes it (`auto` comparison unless named); `flip`:
/// `sort`'s trailing `desc` reverses every key.
fn sort_key(k: &ast::SortKey, flip: bool) -> ops::sort::SortKey {
    ops::sort::SortKey {
        field: k.field.name.clone(),
        descending: k.descending != flip,
        how: k.how.clone().unwrap_or_else(|| "auto".into()),
    }
}

/// Why a subsearch is not a streaming event search (a multisearch's, a streaming union's),
/// and where: `None` when it is.
fn not_streaming_search(p: &ast::Pipeline) -> Option<(String, Span)> {
    if !p.commands.first().is_some_and(|c| matches!(c.body, CommandBody::Search(_))) {
        return Some(("must be event searches (`[search …]`)".to_string(), p.span));
    }
    let c = p.commands.iter().skip(1).find(|c| !multisearch_streams(c))?;
    let why =
        format!("may contain only streaming commands (search, where, eval, fields, rex …); `{}` is not one", c.name);
    Some((why, c.name_span))
}

/// Commands without a typed body that Splunk lists as distributable streaming: each row
/// changed on its own, in the order rows come.
const STREAMING_GENERIC: &[&str] = &[
    "spath",
    "xmlkv",
    "kv",
    "extract",
    "makemv",
    "nomv",
    "mvexpand",
    "replace",
    "strcat",
    "rangemap",
    "addinfo",
    "tojson",
    "iplocation",
];

/// Commands a multisearch subsearch may hold: Splunk's distributable streaming commands (Search
/// Reference, "Command types") that the engine runs.
fn multisearch_streams(cmd: &ast::Command) -> bool {
    match &cmd.body {
        CommandBody::Search(_)
        | CommandBody::Where(_)
        | CommandBody::Eval(_)
        | CommandBody::Rename(_)
        | CommandBody::Fields { .. }
        | CommandBody::Rex { .. }
        | CommandBody::Regex { .. }
        | CommandBody::Lookup(_)
        | CommandBody::Convert { .. }
        | CommandBody::Bin { .. } => true,
        // Without a field list it is a dataset processing command.
        CommandBody::Fillnull { fields, .. } => !fields.is_empty(),
        CommandBody::Generic(_) => STREAMING_GENERIC.contains(&cmd.name.as_str()),
        _ => false,
    }
}

fn order_use(cmd: &ast::Command) -> OrderUse {
    let name = cmd.name.as_str();
    match &cmd.body {
        CommandBody::Head { count, expr: None, options } if name == "head" && options.is_empty() => {
            OrderUse::Depends(Some(count.unwrap_or(10) as usize))
        }
        CommandBody::Head { .. } | CommandBody::Dedup { .. } => OrderUse::Depends(None),
        CommandBody::Stats(s) => {
            let by_order = s.aggs.iter().any(|a| matches!(a.func.as_str(), "first" | "last" | "list"));
            if by_order || name == "streamstats" {
                OrderUse::Depends(None)
            } else if name == "eventstats" {
                OrderUse::Keeps
            } else {
                OrderUse::Sets
            }
        }
        CommandBody::Generic(_) if name == "reverse" => OrderUse::Depends(None),
        // Like `head N`: the first N rows make the search string (N = 0: all, in their order).
        CommandBody::Generic(args) if name == "return" => {
            OrderUse::Depends(Some(ops::subsearch_format::return_count(args)).filter(|n| *n > 0))
        }
        CommandBody::Generic(args) if name == "format" => {
            OrderUse::Depends(ops::subsearch_format::format_maxresults(args).filter(|n| *n > 0))
        }
        // Which of two rows giving one cell is kept (and, grouped, the rows' order) follows the
        // order rows come in.
        CommandBody::Generic(_) if name == "xyseries" => OrderUse::Depends(None),
        // Each result's output comes from the results before it, like streamstats'.
        CommandBody::Generic(_) if matches!(name, "delta" | "autoregress" | "accum" | "filldown") => {
            OrderUse::Depends(None)
        }
        // Each result is compared with the one before it.
        CommandBody::Generic(_) if name == "uniq" => OrderUse::Depends(None),
        // Its columns are the first N results, in order (like `head N`); 0: all of them.
        CommandBody::Generic(args) if name == "transpose" => {
            let n = args.iter().find_map(|a| match a {
                Arg::Word { text, quoted: false, .. } => text.parse::<usize>().ok(),
                _ => None,
            });
            OrderUse::Depends(Some(n.unwrap_or(TRANSPOSE_ROWS)).filter(|n| *n > 0))
        }
        CommandBody::Search(_)
        | CommandBody::Where(_)
        | CommandBody::Eval(_)
        | CommandBody::Rename(_)
        | CommandBody::Table(_)
        | CommandBody::Fields { .. }
        | CommandBody::Fillnull { .. }
        | CommandBody::Rex { .. }
        | CommandBody::Regex { .. }
        | CommandBody::Lookup(_)
        | CommandBody::Convert { .. }
        | CommandBody::Bin { .. }
        | CommandBody::Foreach { .. } => OrderUse::Keeps,
        CommandBody::Subsearch { .. } if name == "join" => OrderUse::Keeps,
        // Its subsearches only stream: its rows come as the events are read.
        CommandBody::Generic(_) if matches!(name, "multisearch" | "union") => OrderUse::Keeps,
        CommandBody::Generic(_)
            if STREAMING_GENERIC.contains(&name)
                || matches!(name, "fromjson" | "addtotals" | "outlier" | "untable") =>
        {
            OrderUse::Keeps
        }
        _ => OrderUse::Sets,
    }
}

/// Whether a command that keeps the order of rows may drop or change their `_time` (`table`,
/// `fields`, a `rename` or `eval` of it, `convert`): the events must be put in time order
/// before it.
fn may_change_time(cmd: &ast::Command) -> bool {
    match &cmd.body {
        CommandBody::Table(_) | CommandBody::Fields { .. } | CommandBody::Convert { .. } => true,
        // Its rows hold only the x-field, name and value.
        CommandBody::Generic(_) if cmd.name == "untable" => true,
        // `tojson output_field=_time` writes its JSON text over `_time`.
        CommandBody::Generic(args) if cmd.name == "tojson" => {
            args.iter().any(|a| matches!(a, Arg::Opt(o) if o.key == "output_field" && o.value == "_time"))
        }
        // Its rows are its subsearches': a command there may change `_time`.
        CommandBody::Generic(args) if cmd.name == "multisearch" => {
            args.iter().any(|a| matches!(a, Arg::Subsearch(p) if p.commands.iter().any(may_change_time)))
        }
        CommandBody::Rename(pairs) => pairs.iter().any(|p| p.from.name.starts_with('_') || p.to.name.starts_with('_')),
        CommandBody::Eval(assigns) => assigns.iter().any(|a| a.field.name == "_time"),
        _ => false,
    }
}

fn search_span(e: &ast::SearchExpr) -> Span {
    match e {
        ast::SearchExpr::And(v) | ast::SearchExpr::Or(v) => {
            v.iter().map(search_span).reduce(Span::join).unwrap_or_default()
        }
        ast::SearchExpr::Not(_, s)
        | ast::SearchExpr::Compare { span: s, .. }
        | ast::SearchExpr::In { span: s, .. }
        | ast::SearchExpr::Term { span: s, .. }
        | ast::SearchExpr::Subsearch(_, s) => *s,
    }
}

/// Split `nodename=X` out of a tstats where clause (top-level conjunct).
pub(crate) fn take_nodename(e: &ast::SearchExpr) -> (Option<ast::SearchExpr>, Option<String>) {
    let (rest, node) = take_term(e, "nodename");
    (rest, node.map(|v| v.text))
}

/// A top-level `name=value` term of a where clause taken out of it (the first such term when
/// several): tstats' `nodename=`, mstats' `span=`, which select rather than filter.
fn take_term(e: &ast::SearchExpr, name: &str) -> (Option<ast::SearchExpr>, Option<ast::SearchValue>) {
    let value_of = |x: &ast::SearchExpr| match x {
        ast::SearchExpr::Compare { field, op: ast::CmpOp::Eq, value, .. } if field.name == name => Some(value.clone()),
        _ => None,
    };
    if let Some(v) = value_of(e) {
        return (None, Some(v));
    }
    match e {
        ast::SearchExpr::And(v) => {
            let taken = v.iter().find_map(value_of);
            let rest: Vec<ast::SearchExpr> = v.iter().filter(|x| value_of(x).is_none()).cloned().collect();
            (if rest.is_empty() { None } else { Some(ast::SearchExpr::And(rest)) }, taken)
        }
        other => (Some(other.clone()), None),
    }
}

/// `explain`: the plan as indented lines.
pub fn describe(p: &Pipeline, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    if !p.reads_events {
        out.push_str(&format!("{pad}(generates its own rows; input not read)\n"));
    }
    for (i, op) in p.ops.iter().enumerate() {
        out.push_str(&format!("{pad}{}. {}\n", i + 1, op.describe()));
        for (label, child) in op.children() {
            out.push_str(&format!("{pad}   {label}:\n"));
            describe(child, indent + 2, out);
        }
    }
}

/// The span of a generic argument.
fn arg_span(a: &Arg) -> Span {
    match a {
        Arg::Opt(o) => o.span,
        Arg::Word { span, .. } | Arg::Call { span, .. } | Arg::Comma(span) => *span,
        Arg::Subsearch(p) => p.span,
    }
}

/// The value of `key=value` among generic arguments.
fn opt_arg(args: &[Arg], key: &str) -> Option<String> {
    args.iter().find_map(|a| match a {
        Arg::Opt(o) if o.key == key => Some(o.value.clone()),
        _ => None,
    })
}

/// `Model.Dataset` → (`Model`, `Dataset`); the dataset may itself be dotted (`Web.Proxy`).
fn split_model(s: &str) -> (String, Option<String>) {
    match s.split_once('.') {
        Some((m, d)) => (m.to_string(), Some(d.to_string())),
        None => (s.to_string(), None),
    }
}

/// The most fields `autoregress p=<a>-<b>` writes a row.
const AUTOREGRESS_RANGE_MAX: usize = 1000;

/// Results `transpose` turns into columns by default (Splunk's reference).
const TRANSPOSE_ROWS: usize = 5;

const XYSERIES_ARGS: &str = "xyseries takes <x-field> <y-name-field> <y-data-field>...";

#[cfg(test)]
mod tests {
    use super::*;

    /// The operators planned for `spl`, as `explain` names them.
    fn planned(spl: &str) -> Vec<String> {
        let ctx = Context::new(Default::default(), 0.0);
        let p = plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        p.ops.iter().map(|o| o.describe()).collect()
    }

    fn newest_first_at(spl: &str) -> Option<usize> {
        planned(spl).iter().position(|d| d.starts_with("newest first"))
    }

    /// A Splunk historical search returns events newest first: what depends on their order
    /// (`head`, `tail`, `dedup`, `streamstats`, `reverse`, `first`/`last`/`list`) gets them so,
    /// once, before the first such command; nothing does once a command set an order of its own.
    #[test]
    fn events_are_put_newest_first_before_the_first_command_that_depends_on_their_order() {
        assert_eq!(newest_first_at("search a=1 | eval b=2 | head 3"), Some(2));
        assert_eq!(newest_first_at("search a=1 | rename a as c | dedup c | head 3"), Some(2));
        assert_eq!(newest_first_at("search a=1 | stats list(a) by b"), Some(1));
        assert_eq!(newest_first_at("search a=1 | where a>0 | streamstats count"), Some(2));
        assert_eq!(newest_first_at("search a=1 | reverse"), Some(1));
        assert_eq!(newest_first_at("search a=1 | eventstats count by b | tail 2"), Some(2));
        // An order of their own: aggregations, sort, append.
        assert_eq!(newest_first_at("search a=1 | stats count by b | head 3"), None);
        assert_eq!(newest_first_at("search a=1 | sort b | head 3"), None);
        assert_eq!(newest_first_at("search a=1 | append [search b=2] | head 3"), None);
        assert_eq!(newest_first_at("search a=1 | eval b=2"), None);
        // Rows, not events: generated ones, and those an appendpipe is given.
        assert_eq!(newest_first_at("| makeresults count=5 | head 3"), None);
        assert_eq!(newest_first_at("search a=1 | stats count by b | appendpipe [dedup b]"), None);
        // Before a command that may drop or change `_time`, the order the search gave is set.
        assert_eq!(newest_first_at("search a=1 | eval b=2 | table b | where b>1 | head 3"), Some(2));
        assert_eq!(newest_first_at("search a=1 | eval _time=0 | dedup b"), Some(1));
        assert_eq!(newest_first_at("search a=1 | rename _time as t | stats list(t)"), Some(1));
        assert_eq!(newest_first_at("search a=1 | rename a as b | dedup b"), Some(2));
    }

    /// The error a search gets, parsed then planned, and the text it points at.
    fn plan_error(spl: &str) -> (String, String) {
        let ctx = Context::new(Default::default(), 0.0);
        let ast = match spl_parser::parse_pipeline(spl) {
            Ok(ast) => ast,
            Err(e) => return (e.message, spl[e.span.start..e.span.end].to_string()),
        };
        match plan(&ast, spl, &ctx) {
            Ok(_) => panic!("{spl} planned"),
            Err(PlanError::Invalid { message, span }) => (message, spl[span.start..span.end].to_string()),
            Err(PlanError::Unsupported(u)) => (u[0].what.clone(), spl[u[0].span.start..u[0].span.end].to_string()),
        }
    }

    /// `dedup … sortby`: the dedup (fused with the newest-first order, as without sortby), then
    /// a sort of all it kept (Splunk's dedup reference: duplicates removed, then sorted).
    #[test]
    fn dedup_sortby_is_the_dedup_then_a_sort_of_all_it_kept() {
        let ops = planned("search a=1 | dedup host sortby -count, +num(n)");
        assert_eq!(ops.len(), 4, "{ops:?}");
        assert!(ops[1].contains("holding per host only its 1 newest"), "{ops:?}");
        assert!(ops[2].starts_with("dedup"), "{ops:?}");
        assert_eq!(ops[3], "sort limit=none -auto(count), +num(n)");
        assert_eq!(
            planned("search a=1 | dedup consecutive=true host sortby x")[1],
            "newest first (implied: Splunk gives a search's events latest first)"
        );
        for (spl, what, at) in [
            ("search a=1 | dedup host sortby", "needs a field", "sortby"),
            ("search a=1 | dedup host sortby n desc", "does not take `desc`", "desc"),
            ("search a=1 | dedup host sortby -user*", "not the pattern", "user*"),
        ] {
            let (message, text) = plan_error(spl);
            assert!(message.contains(what) && text == at, "{spl}: {message} at `{text}`");
        }
        // A field named `d` marked with a sign is a field.
        assert_eq!(planned("search a=1 | dedup host sortby - d")[3], "sort limit=none -auto(d)");
    }

    /// streamstats' time_window and reset options (Splunk's streamstats reference).
    #[test]
    fn streamstats_time_window_and_reset_options_plan_or_say_what_is_wrong() {
        let ops = planned(r#"search a=1 | streamstats time_window=5m reset_after="(n>3)" count by user"#);
        assert_eq!(
            ops[2],
            "streamstats window=0 current=true time_window=300s reset_after=(n>3) count() AS count BY user"
        );
        let ops = planned("search a=1 | streamstats window=3 global=f count by user");
        assert_eq!(ops[2], "streamstats window=3 current=true global=false count() AS count BY user");
        for (spl, what, at) in [
            ("search a=1 | streamstats time_window=5x count", "cannot read time_window `5x`", "time_window=5x"),
            ("search a=1 | streamstats time_window=1mon count", "calendar unit", "time_window=1mon"),
            (
                r#"search a=1 | streamstats reset_before="(frob(x))" count"#,
                "function `frob`",
                r#"reset_before="(frob(x))""#,
            ),
            ("search a=1 | streamstats allnum=true count", "streamstats option `allnum`", "allnum=true"),
            ("search a=1 | streamstats window=five count", "streamstats window `five`", "window=five"),
        ] {
            let (message, text) = plan_error(spl);
            assert!(message.contains(what) && text == at, "{spl}: {message} at `{text}`");
        }
    }
}
