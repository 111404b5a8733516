//! The SPL syntax tree. Every node carries a byte span into the *expanded* text (after macro
//! expansion); `crate::macros::Expanded::original_span` maps it back to what the user wrote.
//!
//! The parser knows syntax only: names are not resolved and commands are not checked for
//! executability here (that is the engine's planner).

/// Byte range `[start, end)` in the expanded SPL text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// `cmd | cmd | ...`. A pipeline that does not start with `|` begins with an implicit `search`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// Lower-cased command name (`search` for the implicit leading search).
    pub name: String,
    pub name_span: Span,
    pub body: CommandBody,
    /// The whole command, name included.
    pub span: Span,
}

/// `key=value` option of a command (`max_match=0`, `timeformat="%Y"`, `span=1h`).
#[derive(Clone, Debug, PartialEq)]
pub struct Opt {
    /// Lower-cased key.
    pub key: String,
    /// Value with quotes removed and SPL escapes (`\\`, `\"`) applied.
    pub value: String,
    pub quoted: bool,
    pub span: Span,
}

/// A field name or a wildcard pattern over field names (`Processes.*`, `*`).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldName {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CommandBody {
    /// `search <expr>`, also the implicit first command. `None` for an empty search.
    Search(Option<SearchExpr>),
    /// `where <eval expr>`.
    Where(Expr),
    /// `eval a=expr, b=expr`.
    Eval(Vec<Assignment>),
    /// `stats`, `eventstats`, `streamstats`, `timechart`, `chart` (name tells which).
    Stats(StatsCmd),
    /// `tstats` (and `mstats`, same shape).
    Tstats(TstatsCmd),
    /// `rename a AS b, c.* AS *`.
    Rename(Vec<RenamePair>),
    /// `table a, b*`.
    Table(Vec<FieldName>),
    /// `fields [+|-] a, b*`.
    Fields { remove: bool, fields: Vec<FieldName> },
    /// `convert [timeformat=...] ctime(f) [AS g] ...`.
    Convert { options: Vec<Opt>, conversions: Vec<Conversion> },
    /// `sort [N] [+|-]f [, ...]` with `num(f)`, `str(f)`, `ip(f)`, `auto(f)`, and trailing `desc`.
    Sort { limit: Option<u64>, keys: Vec<SortKey>, descending: bool },
    /// `head [N] [options]` / `tail [N]`: `count` defaults to 10. `head (expr)` is `expr`.
    Head { count: Option<u64>, expr: Option<Expr>, options: Vec<Opt> },
    /// `dedup [N] f1 f2 [keepempty=..] [consecutive=..] [sortby ...]`.
    Dedup { limit: Option<u64>, fields: Vec<FieldName>, options: Vec<Opt>, sortby: Vec<SortKey> },
    /// `fillnull [value=X] [f1 f2 ...]`.
    Fillnull { options: Vec<Opt>, fields: Vec<FieldName> },
    /// `rex [field=f] [max_match=N] [mode=sed] "regex"`.
    Rex { options: Vec<Opt>, pattern: StrLit },
    /// `regex [field](=|!=)"re"` or `regex "re"` (against `_raw`).
    Regex { field: Option<FieldName>, negated: bool, pattern: StrLit },
    /// `lookup [options] name f [AS g] ... [OUTPUT|OUTPUTNEW f [AS g] ...]`.
    Lookup(LookupCmd),
    /// `inputlookup [options] name [where <search expr>]`.
    Inputlookup { options: Vec<Opt>, name: FieldName, where_: Option<SearchExpr> },
    /// `join [options] f1, f2 [subsearch]`, `append [options] [subsearch]`,
    /// `appendpipe [subpipeline]`, `appendcols`.
    Subsearch { options: Vec<Opt>, fields: Vec<FieldName>, search: Box<Pipeline> },
    /// `bin`/`bucket [span=..] [bins=..] f [AS g]`.
    Bin { options: Vec<Opt>, field: FieldName, alias: Option<FieldName> },
    /// `foreach [options] f1 f2* [ template ]`: the template is kept as text because it is only
    /// parsed after `<<FIELD>>`/`<<MATCHSTR>>` substitution.
    Foreach { options: Vec<Opt>, fields: Vec<FieldName>, template: StrLit },
    /// Anything else: the command's arguments as generic tokens. The planner decides.
    Generic(Vec<Arg>),
}

/// A string literal as written (quotes removed, SPL escapes applied) with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub field: FieldName,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RenamePair {
    pub from: FieldName,
    pub to: FieldName,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Conversion {
    /// Lower-cased function: `ctime`, `mktime`, `dur2sec`, `num`, `auto`, ...
    pub func: String,
    pub field: FieldName,
    pub alias: Option<FieldName>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub field: FieldName,
    pub descending: bool,
    /// `num`, `str`, `ip`, `auto` when written as `num(f)`.
    pub how: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatsCmd {
    /// `key=value` options anywhere before the `by` clause (`allnum`, `span`, `window`, ...).
    pub options: Vec<Opt>,
    pub aggs: Vec<Aggregation>,
    pub by: Vec<FieldName>,
}

/// `count`, `count(x)`, `min(_time) as firstTime`, `values(eval(...)) as "Some Name"`,
/// `perc95(x)`, `avg(tcp.*) as tcp.*`.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregation {
    /// Lower-cased function name as written (`count`, `c`, `dc`, `distinct_count`, `perc95`).
    pub func: String,
    pub arg: Option<AggArg>,
    pub alias: Option<FieldName>,
    /// Output name Splunk gives without alias: the text as written, e.g. `values(Processes.dest)`.
    pub default_name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AggArg {
    Field(FieldName),
    /// `count(eval(x>1))`.
    Eval(Expr),
    /// `sparkline(avg(x), 1h)`: the aggregation drawn per time bucket (its own `arg`, no
    /// alias) and the bucket span as written. Bare `sparkline` has no `arg` at all.
    Sparkline {
        inner: Box<Aggregation>,
        span: Option<StrLit>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TstatsCmd {
    pub options: Vec<Opt>,
    pub aggs: Vec<Aggregation>,
    /// `from datamodel=Endpoint.Processes` → model `Endpoint`, dataset `Processes`.
    pub from: Option<DatamodelRef>,
    pub where_: Option<SearchExpr>,
    pub by: Vec<FieldName>,
    /// `span=1h` anywhere in the by list.
    pub span: Option<Opt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DatamodelRef {
    pub model: String,
    pub dataset: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LookupCmd {
    pub options: Vec<Opt>,
    pub name: FieldName,
    /// Input fields: `lookup_field [AS event_field]`.
    pub inputs: Vec<FieldMap>,
    /// `OUTPUT` (overwrite) or `OUTPUTNEW` (fill only missing); `None` = all lookup columns.
    pub output_new: bool,
    pub outputs: Vec<FieldMap>,
}

/// `a [AS b]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMap {
    pub field: FieldName,
    pub alias: Option<FieldName>,
}

/// Generic argument token of a command the parser has no typed form for.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `key=value`.
    Opt(Opt),
    /// A bare word (`by`, `as`, `field`, `5m`); `quoted` when written in double quotes.
    Word { text: String, quoted: bool, span: Span },
    /// `name(...)`: the inner text raw, e.g. `ctime(firstTime)`.
    Call { name: String, inner: String, span: Span },
    /// A `[ ... ]` subsearch.
    Subsearch(Box<Pipeline>),
    /// `,` separators are kept because some commands give them meaning.
    Comma(Span),
}

// ----------------------------------------------------------------------------------------------
// Search language (search command, tstats WHERE, inputlookup WHERE)
// ----------------------------------------------------------------------------------------------

/// Precedence, tightest first: parentheses, NOT, OR, AND (juxtaposition). Opposite of eval.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchExpr {
    And(Vec<SearchExpr>),
    Or(Vec<SearchExpr>),
    Not(Box<SearchExpr>, Span),
    /// `field op value`. `field` had its quotes removed when written `"a.b"=v`.
    Compare {
        field: FieldName,
        op: CmpOp,
        value: SearchValue,
        span: Span,
    },
    /// `field IN (v1, v2, ...)`.
    In {
        field: FieldName,
        values: Vec<SearchValue>,
        span: Span,
    },
    /// A bare term, quoted phrase, `TERM(x)` or `CASE(x)`: matched against `_raw`.
    Term {
        value: SearchValue,
        kind: TermKind,
        span: Span,
    },
    /// `[ subsearch ]` inside a search expression.
    Subsearch(Box<Pipeline>, Span),
}

impl SearchExpr {
    /// The `[ subsearch ]`s in it, left to right, with the spans of their brackets (nested
    /// ones inside a subsearch's own pipeline are that pipeline's).
    pub fn subsearches(&self) -> Vec<(&Pipeline, Span)> {
        fn walk<'a>(e: &'a SearchExpr, out: &mut Vec<(&'a Pipeline, Span)>) {
            match e {
                SearchExpr::And(v) | SearchExpr::Or(v) => v.iter().for_each(|x| walk(x, out)),
                SearchExpr::Not(x, _) => walk(x, out),
                SearchExpr::Subsearch(p, s) => out.push((p, *s)),
                SearchExpr::Compare { .. } | SearchExpr::In { .. } | SearchExpr::Term { .. } => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// Bare word.
    Word,
    /// `"quoted phrase"`.
    Phrase,
    /// `TERM(x)`.
    Term,
    /// `CASE(x)`: case-sensitive.
    Case,
}

/// A value in the search language: glob with `*`, compared case-insensitively.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchValue {
    /// Text after unquoting and escape handling (`\\` → `\`, `\"` → `"`).
    pub text: String,
    pub quoted: bool,
    pub span: Span,
}

// ----------------------------------------------------------------------------------------------
// Eval expressions (eval, where, stats eval(...))
// ----------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// The expressions directly inside this one (arguments, operands), in order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::Unary { expr, .. } => vec![expr],
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::In { expr, list } => std::iter::once(&**expr).chain(list).collect(),
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Field(_) => Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `"text"` with escapes applied (`\\`, `\"`, `\t`, `\n`).
    Str(String),
    Num(f64),
    /// A field reference: bare (`a.b{}`) or single-quoted (`'Processes.dest'`).
    /// Bare `null`, `true` and `false` are field references too (Splunk rule).
    Field(String),
    /// `name(args)`; name lower-cased.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x IN (a, b, ...)` (infix IN in eval/where).
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

/// Precedence (tightest first): `* / %`, `+ - .`, `< <= > >=`, `= == != LIKE IN`, `NOT`,
/// `AND`, `XOR`, `OR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Concat,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Like,
    And,
    Xor,
    Or,
}
