//! `format` and `return`: the commands that turn rows into one row whose `search` field holds
//! a search string. At the end of a `[subsearch]` that text stands in for the brackets (the
//! `search`/`query` field rule, `ops::filter::format_rows`); at top level the row is output.
//!
//! Rules (Splunk's search reference):
//! * `format`: help.splunk.com/en/splunk-enterprise/search/spl-search-reference/9.4/search-commands/format
//!   (docs.splunk.com/Documentation/Splunk/latest/SearchReference/Format). Default strings
//!   `"(" "(" "AND" ")" "OR" ")"`, `mvsep=OR`, `maxresults=0` (all), `emptystr="NOT ( )"`;
//!   output `( ( host="mylaptop" AND source="syslog.log" ) OR ( host=... ) )`: fields in name
//!   order, internal `_` fields left out, a multivalue field as `( f="a" mvsep f="b" )`, the
//!   `search` and `query` fields' first value as is (Search Manual, "Change the format of
//!   subsearch results", docs.splunk.com/Documentation/Splunk/6.1.2/Search/Changetheformatofsubsearchresults).
//! * `return`: help.splunk.com/en/splunk-enterprise/search/spl-search-reference/9.4/search-commands/return
//!   (docs.splunk.com/Documentation/Splunk/latest/SearchReference/Return). `return [<count>]
//!   [<alias>=<field>...] [<field>...] [$<field>...]`, count 1 by default; a row is its terms
//!   joined by spaces, several rows `(…) OR (…)`; values are not escaped ("The return command
//!   does not escape quotation marks"). What the reference leaves open follows Splunk's own
//!   `return.py` (kept as the deprecated `oldreturn`): `alias="value"` quoted, a missing field
//!   gives `alias=""` and a missing `$field` nothing, identical rows once, no rows an empty
//!   string, count 0 or below every row.

use spl_parser::ast::Arg;

use crate::event::Event;
use crate::exec::{ExecError, Operator};
use crate::value::Value;

/// `format`'s strings and limits.
#[derive(Clone, Debug, PartialEq)]
pub struct FormatOpts {
    pub mvsep: String,
    /// Rows formatted at most; 0 = all.
    pub maxresults: usize,
    pub row_prefix: String,
    pub col_prefix: String,
    pub col_sep: String,
    pub col_end: String,
    pub row_sep: String,
    pub row_end: String,
    /// The text when no row gives a term. The reference's description writes `NOT( )`, its
    /// example output `NOT ( )`: the output is what a subsearch hands on, so the example wins.
    pub emptystr: String,
}

impl Default for FormatOpts {
    fn default() -> Self {
        let s = |x: &str| x.to_string();
        FormatOpts {
            mvsep: s("OR"),
            maxresults: 0,
            row_prefix: s("("),
            col_prefix: s("("),
            col_sep: s("AND"),
            col_end: s(")"),
            row_sep: s("OR"),
            row_end: s(")"),
            emptystr: s("NOT ( )"),
        }
    }
}

/// A value inside `"…"`: backslashes and quotes escaped, so that the search reads back the
/// value itself.
fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Tokens joined by single spaces; empty strings (an empty separator) add no space.
fn spaced<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

/// What one row gives a formatted search, in field-name order: the `search`/`query` field's
/// first value as search text, any other field's values as `field="value"` terms. Internal `_`
/// fields and blank search texts give nothing. `format` writes these as text; a subsearch's
/// rows become the same terms as an expression (`ops::filter::format_rows`), so the two agree.
pub enum RowTerm<'e> {
    /// The field (`search` or `query`) and its text.
    Search(&'e str, std::borrow::Cow<'e, str>),
    Values(&'e str, &'e [crate::value::Atom]),
}

pub fn row_terms(ev: &Event) -> Vec<RowTerm<'_>> {
    let mut fields: Vec<(&str, &Value)> =
        ev.fields.iter().map(|(k, v)| (k.as_str(), v)).filter(|(k, _)| !k.starts_with('_')).collect();
    fields.sort_unstable_by_key(|(k, _)| *k);
    let mut terms = Vec::with_capacity(fields.len());
    for (name, v) in fields {
        let atoms = v.atoms();
        let Some(first) = atoms.first() else { continue };
        if name == "search" || name == "query" {
            // "the first value of the field is used as the actual search term" (Search
            // Manual, docs.splunk.com/Documentation/Splunk/6.1.2/Search/Changetheformatofsubsearchresults).
            let text = first.as_str();
            if !text.trim().is_empty() {
                terms.push(RowTerm::Search(name, text));
            }
        } else {
            terms.push(RowTerm::Values(name, atoms));
        }
    }
    terms
}

/// One row's part of `format`'s output; `None` when it has no field to give.
pub fn format_row(ev: &Event, o: &FormatOpts) -> Option<String> {
    let mut cols: Vec<String> = Vec::new();
    for term in row_terms(ev) {
        match term {
            RowTerm::Search(_, text) => cols.push(text.into_owned()),
            RowTerm::Values(name, [one]) => cols.push(format!("{name}={}", quote(&one.as_str()))),
            RowTerm::Values(name, atoms) => {
                let terms: Vec<String> = atoms.iter().map(|a| format!("{name}={}", quote(&a.as_str()))).collect();
                let sep = format!(" {} ", o.mvsep);
                cols.push(format!("( {} )", terms.join(sep.as_str())));
            }
        }
    }
    if cols.is_empty() {
        return None;
    }
    let mut parts = vec![o.col_prefix.as_str()];
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            parts.push(o.col_sep.as_str());
        }
        parts.push(c.as_str());
    }
    parts.push(o.col_end.as_str());
    Some(spaced(parts))
}

/// The rows' parts as one search string.
pub fn format_rows_text(rows: &[String], o: &FormatOpts) -> String {
    if rows.is_empty() {
        return o.emptystr.clone();
    }
    let mut parts = vec![o.row_prefix.as_str()];
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            parts.push(o.row_sep.as_str());
        }
        parts.push(r.as_str());
    }
    parts.push(o.row_end.as_str());
    spaced(parts)
}

/// The single row both commands output.
fn search_row(text: String) -> Event {
    let mut e = Event::with_capacity(1);
    e.set("search", text);
    e
}

/// `format`: each row is formatted as it comes; the one result is given at the end.
pub struct FormatOp {
    opts: FormatOpts,
    rows: Vec<String>,
    seen: usize,
}

impl FormatOp {
    pub fn new(opts: FormatOpts) -> FormatOp {
        FormatOp { opts, rows: Vec::new(), seen: 0 }
    }

    fn full(&self) -> bool {
        self.opts.maxresults > 0 && self.seen >= self.opts.maxresults
    }

    fn take(&mut self, ev: &Event) {
        if self.full() {
            return;
        }
        self.seen += 1;
        if let Some(r) = format_row(ev, &self.opts) {
            self.rows.push(r);
        }
    }
}

impl Operator for FormatOp {
    fn name(&self) -> &str {
        "format"
    }
    fn describe(&self) -> String {
        let o = &self.opts;
        format!(
            "format mvsep={:?} maxresults={} {:?} {:?} {:?} {:?} {:?} {:?} emptystr={:?}",
            o.mvsep, o.maxresults, o.row_prefix, o.col_prefix, o.col_sep, o.col_end, o.row_sep, o.row_end, o.emptystr
        )
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.take(&ev);
        Ok(())
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.take(ev);
        Ok(())
    }
    /// Later rows change nothing past `maxresults`.
    fn exhausted(&self) -> bool {
        self.full()
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        out.push(search_row(format_rows_text(&rows, &self.opts)));
        Ok(())
    }
}

/// One item of `return`'s field list.
#[derive(Clone, Debug, PartialEq)]
pub enum ReturnItem {
    /// `<field>` (alias = field) or `<alias>=<field>`: `alias="value"`.
    Pair { alias: String, field: String },
    /// `$<field>`: the value alone.
    Value(String),
}

/// `return`: the first `count` rows' terms (0 = every row), identical rows once.
pub struct ReturnOp {
    count: usize,
    items: Vec<ReturnItem>,
    seen: usize,
    /// Each row's terms, identical rows once, in the order first met.
    ors: indexmap::IndexSet<Vec<String>>,
}

impl ReturnOp {
    pub fn new(count: usize, items: Vec<ReturnItem>) -> ReturnOp {
        ReturnOp { count, items, seen: 0, ors: Default::default() }
    }

    fn full(&self) -> bool {
        self.count > 0 && self.seen >= self.count
    }

    fn take(&mut self, ev: &Event) {
        if self.full() {
            return;
        }
        self.seen += 1;
        let terms = return_terms(ev, &self.items);
        if !terms.is_empty() {
            self.ors.insert(terms);
        }
    }
}

/// A field's text as `return` uses it: its first value (the reference does not say what a
/// multivalue field gives; `return.py` would print the list's Python form).
fn first_text(ev: &Event, field: &str) -> Option<String> {
    ev.get(field).and_then(|v| v.atoms().first()).map(|a| a.as_str().into_owned())
}

/// One row's terms, as `return.py` builds them.
pub fn return_terms(ev: &Event, items: &[ReturnItem]) -> Vec<String> {
    let mut terms = Vec::new();
    for it in items {
        match it {
            ReturnItem::Pair { alias, field } => {
                terms.push(format!("{alias}=\"{}\"", first_text(ev, field).unwrap_or_default()))
            }
            ReturnItem::Value(field) => {
                if let Some(v) = first_text(ev, field).filter(|v| !v.is_empty()) {
                    terms.push(v);
                }
            }
        }
    }
    terms
}

/// The rows' terms as one search string: `a="1" b="2"` for one row, `(a="1") OR (a="2")`.
pub fn return_text(ors: &[Vec<String>]) -> String {
    let rows: Vec<String> = ors.iter().map(|r| r.join(" ")).collect();
    match rows.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        many => format!("({})", many.join(") OR (")),
    }
}

impl Operator for ReturnOp {
    fn name(&self) -> &str {
        "return"
    }
    fn describe(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| match i {
                ReturnItem::Pair { alias, field } if alias == field => field.clone(),
                ReturnItem::Pair { alias, field } => format!("{alias}={field}"),
                ReturnItem::Value(f) => format!("${f}"),
            })
            .collect();
        format!("return {} {}", self.count, items.join(" "))
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.take(&ev);
        Ok(())
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.take(ev);
        Ok(())
    }
    /// Later rows change nothing: the output is that of the first `count`.
    fn exhausted(&self) -> bool {
        self.full()
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let ors: Vec<Vec<String>> = std::mem::take(&mut self.ors).into_iter().collect();
        out.push(search_row(return_text(&ors)));
        Ok(())
    }
}

/// `return`'s leading count, as written: 1 when there is none, 0 (every row) for 0 or less.
pub fn return_count(args: &[Arg]) -> usize {
    match args.first() {
        Some(Arg::Word { text, quoted: false, .. }) => match text.parse::<i64>() {
            Ok(n) => usize::try_from(n).unwrap_or(0),
            Err(_) => 1,
        },
        _ => 1,
    }
}

/// `format`'s `maxresults=` when it is a whole number (0 = all).
pub fn format_maxresults(args: &[Arg]) -> Option<usize> {
    args.iter().find_map(|a| match a {
        Arg::Opt(o) if o.key == "maxresults" => o.value.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{Context, Runtime, VecSource};

    use crate::exec::run_spl as rows_of;

    /// The `search` field of the one row `spl` gives.
    fn search_of(spl: &str) -> String {
        let rows = rows_of(spl, Vec::new());
        assert_eq!(rows.len(), 1, "{spl}");
        assert_eq!(rows[0].fields.len(), 1, "{spl}: only `search`");
        rows[0].get_str("search").unwrap().into_owned()
    }

    const TWO_HOSTS: &str = r#"| makeresults count=2 | streamstats count as n | eval source=if(n=1,"syslog.log","bob-syslog.log"), sourcetype="syslog", host=if(n=1,"mylaptop","bobslaptop") | fields - n"#;

    #[test]
    fn format_default_strings_give_the_references_example_with_fields_in_name_order() {
        // Reference example 1: `fields source, sourcetype, host | format`; `_time` is internal.
        assert_eq!(
            search_of(&format!("{TWO_HOSTS} | format")),
            r#"( ( host="mylaptop" AND source="syslog.log" AND sourcetype="syslog" ) OR ( host="bobslaptop" AND source="bob-syslog.log" AND sourcetype="syslog" ) )"#
        );
    }

    #[test]
    fn format_with_the_six_strings_uses_them_in_order() {
        // Reference example 2.
        assert_eq!(
            search_of(&format!(r#"{TWO_HOSTS} | format "[" "[" "&&" "]" "||" "]""#)),
            r#"[ [ host="mylaptop" && source="syslog.log" && sourcetype="syslog" ] || [ host="bobslaptop" && source="bob-syslog.log" && sourcetype="syslog" ] ]"#
        );
    }

    #[test]
    fn format_multivalue_field_is_a_group_of_its_values_joined_by_mvsep() {
        // Reference example 3.
        let spl = r#"| makeresults | eval foo="eventtype,log_level" | makemv delim="," foo | fields foo | format mvsep="mvseparator" "{" "[" "AND" "]" "AND" "}""#;
        assert_eq!(search_of(spl), r#"{ [ ( foo="eventtype" mvseparator foo="log_level" ) ] }"#);
        let spl = r#"| makeresults | eval foo=split("a,b", ",") | format"#;
        assert_eq!(search_of(spl), r#"( ( ( foo="a" OR foo="b" ) ) )"#);
    }

    #[test]
    fn format_of_no_rows_or_only_internal_fields_is_emptystr() {
        // Reference example 4: `| makeresults count=1 | format` gives `NOT ( )`.
        assert_eq!(search_of("| makeresults count=1 | format"), "NOT ( )");
        assert_eq!(search_of(r#"| makeresults count=1 | format emptystr="Error Found""#), "Error Found");
        assert_eq!(search_of("| makeresults | where 1=2 | format"), "NOT ( )");
    }

    #[test]
    fn format_maxresults_formats_only_the_first_rows() {
        assert_eq!(
            search_of(&format!("{TWO_HOSTS} | fields host | format maxresults=1")),
            r#"( ( host="mylaptop" ) )"#
        );
    }

    #[test]
    fn format_escapes_quotes_and_backslashes_and_gives_search_and_query_as_they_are() {
        let spl = r#"| makeresults | eval p="C:\\Temp\\a\"b.exe", search="x=1 OR y=2" | format"#;
        assert_eq!(search_of(spl), r#"( ( p="C:\\Temp\\a\"b.exe" AND x=1 OR y=2 ) )"#);
    }

    #[test]
    fn return_default_count_is_the_first_row_as_field_equals_quoted_value() {
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return host")), r#"host="mylaptop""#);
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return h=host source")), r#"h="mylaptop" source="syslog.log""#);
        // The alias keeps its case (the parser lower-cases option keys).
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return Host=host")), r#"Host="mylaptop""#);
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return h = host")), r#"h="mylaptop""#);
    }

    #[test]
    fn return_several_rows_are_ored_in_parentheses_and_dollar_gives_the_bare_value() {
        assert_eq!(
            search_of(&format!("{TWO_HOSTS} | return 2 host sourcetype")),
            r#"(host="mylaptop" sourcetype="syslog") OR (host="bobslaptop" sourcetype="syslog")"#
        );
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return $host")), "mylaptop");
        assert_eq!(
            search_of(&format!("{TWO_HOSTS} | return 10 $host, $sourcetype")),
            "(mylaptop syslog) OR (bobslaptop syslog)"
        );
        // The reference's "Duplicate values": the same row is returned once.
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return 2 sourcetype")), r#"sourcetype="syslog""#);
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return -1 $host")), "(mylaptop) OR (bobslaptop)");
    }

    #[test]
    fn return_missing_field_is_an_empty_value_missing_dollar_field_nothing_no_rows_empty() {
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return nosuch host")), r#"nosuch="" host="mylaptop""#);
        assert_eq!(search_of(&format!("{TWO_HOSTS} | return $nosuch")), "");
        assert_eq!(search_of("| makeresults | where 1=2 | return user"), "");
        // Values are not escaped (the reference's "Quotations in returned fields").
        assert_eq!(search_of(r#"| makeresults | eval q="a\"b" | return q"#), r#"q="a"b""#);
    }

    fn user_events() -> Vec<Event> {
        [("alice", "a.exe"), ("bob", "b.exe"), ("Carol", "c.exe"), ("dave", "d.exe")]
            .iter()
            .map(|(u, p)| Event::from_pairs(&[("user", u), ("process", p)]))
            .collect()
    }

    fn users(spl: &str) -> Vec<String> {
        rows_of(spl, user_events()).iter().map(|r| r.get_str("user").unwrap().into_owned()).collect()
    }

    #[test]
    fn subsearch_search_field_of_format_and_return_is_searched_as_written_spl() {
        // Splunk: a subsearch result field named `search` is put in place of the brackets.
        let written = users("search (user=BOB OR user=carol) process=*.exe");
        assert_eq!(written, ["bob", "Carol"]);
        for sub in [
            "[| makeresults count=2 | streamstats count as n | eval user=if(n=1,\"BOB\",\"carol\") | fields user | format]",
            "[| makeresults count=2 | streamstats count as n | eval user=if(n=1,\"BOB\",\"carol\") | return 2 user]",
            "[| makeresults count=2 | streamstats count as n | eval u=if(n=1,\"BOB\",\"carol\") | return 2 user=u]",
            "[| makeresults | eval search=\"user=b* OR user=CAROL\" | return $search]",
            "[| makeresults | eval x=\"NOT user=alice NOT user=dave\" | return $x]",
        ] {
            assert_eq!(users(&format!("search process=*.exe {sub}")), written, "{sub}");
        }
        // Custom strings that still make a search: ORed columns.
        let spl = r#"search [| makeresults | eval user="alice", process="d.exe" | format "(" "(" "OR" ")" "OR" ")"]"#;
        assert_eq!(users(spl), ["alice", "dave"]);
    }

    #[test]
    fn subsearch_with_no_rows_matches_everything_for_format_and_return() {
        // `NOT ( )` (format) and the empty string (return: "the final result of the full search
        // is all events") both leave the search unfiltered.
        assert_eq!(users("search [| makeresults | where 1=2 | format]").len(), 4);
        assert_eq!(users("search [| makeresults | where 1=2 | return user]").len(), 4);
    }

    #[test]
    fn subsearch_rows_filter_as_their_format_text_does_a_row_of_internal_fields_adds_nothing() {
        // Splunk formats a subsearch's rows with `format`; a row of only `_` fields gives no
        // term there, so it must not turn the filter into "everything" here either.
        let sub = r#"| makeresults count=2 | streamstats count as n | eval user=if(n=1, "bob", null()) | fields - n"#;
        assert_eq!(search_of(&format!("{sub} | format")), r#"( ( user="bob" ) )"#);
        assert_eq!(users(&format!("search [{sub}]")), ["bob"]);
        assert_eq!(users(&format!("search [{sub} | format]")), ["bob"]);
        // Every row without a term: `NOT ( )`, all events, both ways.
        assert_eq!(users("search [| makeresults count=2 | fields _time]").len(), 4);
        assert_eq!(search_of("| makeresults | eval search=\" \" | format"), "NOT ( )");
    }

    #[test]
    fn subsearch_search_field_that_is_not_a_search_is_a_run_time_error() {
        let ctx = Context::new(Default::default(), 0.0);
        let spl = r#"search [| makeresults | eval u="x" | format "[" "[" "&&" "]" "||" "]"]"#;
        let mut p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let src = VecSource(user_events());
        let err = Runtime { source: &src, ctx: &ctx }.collect(&mut p).unwrap_err();
        assert!(err.message.contains("subsearch result field `search`"), "{}", err.message);
        assert!(err.message.contains("[ [ u=\"x\" ] ]"), "{}", err.message);
        let span = err.span.unwrap();
        assert_eq!(&spl[span.start..span.end], &spl[7..], "the error is shown at the subsearch");
    }

    #[test]
    fn return_count_and_format_maxresults_are_read_from_the_arguments() {
        let args = |s: &str| match spl_parser::parse_pipeline(s).unwrap().commands[1].body.clone() {
            spl_parser::ast::CommandBody::Generic(a) => a,
            other => panic!("{other:?}"),
        };
        assert_eq!(return_count(&args("| makeresults | return user")), 1);
        assert_eq!(return_count(&args("| makeresults | return 5 user")), 5);
        assert_eq!(return_count(&args("| makeresults | return -1 user")), 0);
        assert_eq!(format_maxresults(&args("| makeresults | format maxresults=3")), Some(3));
        assert_eq!(format_maxresults(&args("| makeresults | format")), None);
    }
}
