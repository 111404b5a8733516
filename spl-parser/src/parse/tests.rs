//! Parser rules, one test per rule, named after it.

use crate::*;

/// Compact rendering of a search expression: `(a AND b)`, `(a OR b)`, `NOT a`, `f=v`.
fn s_show(e: &SearchExpr) -> String {
    match e {
        SearchExpr::And(v) => format!("({})", v.iter().map(s_show).collect::<Vec<_>>().join(" AND ")),
        SearchExpr::Or(v) => format!("({})", v.iter().map(s_show).collect::<Vec<_>>().join(" OR ")),
        SearchExpr::Not(x, _) => format!("NOT {}", s_show(x)),
        SearchExpr::Compare { field, op, value, .. } => {
            let op = match op {
                CmpOp::Eq => "=",
                CmpOp::Ne => "!=",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            let q = if value.quoted { "\"" } else { "" };
            format!("{}{op}{q}{}{q}", field.name, value.text)
        }
        SearchExpr::In { field, values, .. } => {
            format!("{} IN [{}]", field.name, values.iter().map(|v| v.text.as_str()).collect::<Vec<_>>().join("|"))
        }
        SearchExpr::Term { value, kind, .. } => match kind {
            TermKind::Word => format!("'{}'", value.text),
            TermKind::Phrase => format!("\"{}\"", value.text),
            TermKind::Term => format!("TERM({})", value.text),
            TermKind::Case => format!("CASE({})", value.text),
        },
        SearchExpr::Subsearch(p, _) => format!("[{} commands]", p.commands.len()),
    }
}

fn search(text: &str) -> String {
    match parse_search_expr(text) {
        Ok(Some(e)) => s_show(&e),
        Ok(None) => "<empty>".into(),
        Err(e) => panic!("{text}: {e}"),
    }
}

/// Compact rendering of an eval expression as an S-expression.
fn e_show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Num(n) => format!("{n}"),
        ExprKind::Field(f) => format!("${f}"),
        ExprKind::Call { name, args } => {
            format!("{name}({})", args.iter().map(e_show).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Unary { op, expr } => format!("({op:?} {})", e_show(expr)),
        ExprKind::Binary { op, lhs, rhs } => format!("({op:?} {} {})", e_show(lhs), e_show(rhs)),
        ExprKind::In { expr, list } => {
            format!("(In {} [{}])", e_show(expr), list.iter().map(e_show).collect::<Vec<_>>().join(", "))
        }
    }
}

fn eval(text: &str) -> String {
    match parse_eval_expr(text) {
        Ok(e) => e_show(&e),
        Err(e) => panic!("{text}: {e}"),
    }
}

fn body(text: &str, n: usize) -> CommandBody {
    let p = parse_pipeline(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    p.commands[n].body.clone()
}

fn err(text: &str) -> ParseError {
    match parse_pipeline(text) {
        Ok(p) => panic!("{text}: expected an error, got {p:?}"),
        Err(e) => e,
    }
}

// --- search language ---------------------------------------------------------------------------

#[test]
fn search_or_binds_tighter_than_implied_and() {
    assert_eq!(search("A OR B C"), "(('A' OR 'B') AND 'C')");
    assert_eq!(search("x=1 AND y=2 OR y=3"), "(x=1 AND (y=2 OR y=3))");
}

#[test]
fn search_not_applies_to_next_primary_only() {
    assert_eq!(search("NOT a b"), "(NOT 'a' AND 'b')");
    assert_eq!(search("NOT (a OR b) c"), "(NOT ('a' OR 'b') AND 'c')");
    assert_eq!(search("NOT NOT a"), "NOT NOT 'a'");
}

#[test]
fn lowercase_or_is_a_term_in_search() {
    assert_eq!(search("a or b"), "('a' AND 'or' AND 'b')");
    assert_eq!(search("a and not b"), "('a' AND 'and' AND 'not' AND 'b')");
}

#[test]
fn quoted_name_before_operator_is_a_field() {
    assert_eq!(search(r#""a.b{}"=v"#), "a.b{}=v");
    assert_eq!(search(r#""result.status" IN ("POLICY")"#), "result.status IN [POLICY]");
    assert_eq!(search(r#""just a phrase" x"#), "(\"just a phrase\" AND 'x')");
}

#[test]
fn spaces_around_equals_join_comparison() {
    assert_eq!(search("f = v"), "f=v");
    assert_eq!(search("f= v g =w"), "(f=v AND g=w)");
    assert_eq!(search(r#"Registry.registry_path = "*\\Run*""#), r#"Registry.registry_path="*\Run*""#);
}

#[test]
fn all_comparison_operators_parse() {
    assert_eq!(search("a==1 b!=2 c<3 d<=4 e>5 f>=6"), "(a=1 AND b!=2 AND c<3 AND d<=4 AND e>5 AND f>=6)");
}

#[test]
fn in_list_with_wildcards_and_no_space() {
    assert_eq!(search(r#"p IN (a, "b c", *d*)"#), "p IN [a|b c|*d*]");
    assert_eq!(search("p IN(a,b)"), "p IN [a|b]");
    assert_eq!(search("NOT p IN (a)"), "NOT p IN [a]");
}

#[test]
fn balanced_parens_stay_in_a_value() {
    assert_eq!(search("(p=*GetCurrent()*)"), "p=*GetCurrent()*");
}

#[test]
fn quoted_value_escapes_only_backslash_and_quote() {
    assert_eq!(search(r#"p="C:\\Windows\\Temp\\*\d\"q""#), r#"p="C:\Windows\Temp\*\d"q""#);
    assert_eq!(search(r"p=C:\\*Ryuk*"), r"p=C:\*Ryuk*");
}

#[test]
fn star_alone_is_a_word_term() {
    assert_eq!(search("*"), "'*'");
}

#[test]
fn term_and_case_are_terms() {
    assert_eq!(search("TERM(10.0.0.1) CASE(Foo)"), "(TERM(10.0.0.1) AND CASE(Foo))");
}

#[test]
fn empty_search_is_none() {
    assert!(matches!(body("| search", 0), CommandBody::Search(None)));
    assert_eq!(search("  "), "<empty>");
}

#[test]
fn subsearch_in_search_expression() {
    assert_eq!(search("a NOT [| inputlookup x | fields y]"), "('a' AND NOT [2 commands])");
}

// --- pipelines ------------------------------------------------------------------------------------

#[test]
fn implicit_search_then_commands() {
    let p = parse_pipeline("index=main | STATS count BY host").unwrap();
    assert_eq!(p.commands.len(), 2);
    assert_eq!(p.commands[0].name, "search");
    assert_eq!(p.commands[1].name, "stats");
}

#[test]
fn leading_search_keyword_is_the_search_command() {
    let p = parse_pipeline("search index=main foo").unwrap();
    assert_eq!(p.commands.len(), 1);
    assert_eq!(p.commands[0].name_span, Span::new(0, 6));
    let CommandBody::Search(Some(e)) = &p.commands[0].body else { panic!() };
    assert_eq!(s_show(e), "(index=main AND 'foo')");
    // After a pipe, `search search *` keeps the literal term (Splunk does the same).
    let CommandBody::Search(Some(e)) = body("| search search *", 0) else { panic!() };
    assert_eq!(s_show(&e), "('search' AND '*')");
}

#[test]
fn pipe_inside_quotes_brackets_parens_does_not_split() {
    let p = parse_pipeline(r#"a="x|y" | join f [search b | head 1] | eval z=if(a="|", 1, 2)"#).unwrap();
    assert_eq!(p.commands.len(), 3);
}

#[test]
fn subsearch_may_start_with_generating_command() {
    for text in ["a [tstats count from datamodel=X by h]", "a [ inputlookup x]", "a [summary model]"] {
        let p = parse_pipeline(text).unwrap();
        let CommandBody::Search(Some(SearchExpr::And(v))) = &p.commands[0].body else { panic!("{text}") };
        let SearchExpr::Subsearch(sub, _) = &v[1] else { panic!("{text}") };
        assert_ne!(sub.commands[0].name, "search", "{text}");
    }
    // Not a generating command: an implicit search.
    let p = parse_pipeline("| join x [foo=1 | head 1]").unwrap();
    let CommandBody::Subsearch { search, .. } = &p.commands[0].body else { panic!() };
    assert_eq!(search.commands[0].name, "search");
}

#[test]
fn spans_cover_command_text() {
    let text = "a=1 |  eval x = 1 + 2";
    let p = parse_pipeline(text).unwrap();
    let c = &p.commands[1];
    assert_eq!(&text[c.span.start..c.span.end], "eval x = 1 + 2");
    assert_eq!(&text[c.name_span.start..c.name_span.end], "eval");
    let CommandBody::Eval(a) = &c.body else { panic!() };
    assert_eq!(&text[a[0].expr.span.start..a[0].expr.span.end], "1 + 2");
}

// --- eval ---------------------------------------------------------------------------------------

#[test]
fn eval_and_binds_tighter_than_or() {
    assert_eq!(eval("a OR b AND c"), "(Or $a (And $b $c))");
    assert_eq!(eval("a or b and not c"), "(Or $a (And $b (Not $c)))");
}

#[test]
fn eval_arithmetic_precedence() {
    assert_eq!(eval("1 + 2 * 3 - 4"), "(Sub (Add 1 (Mul 2 3)) 4)");
    assert_eq!(eval("-a * 2"), "(Mul (Neg $a) 2)");
    assert_eq!(eval(r#"a . "x" . b"#), r#"(Concat (Concat $a "x") $b)"#);
    assert_eq!(eval("a + 1 > b * 2 = c"), "(Eq (Gt (Add $a 1) (Mul $b 2)) $c)");
}

#[test]
fn eval_not_covers_a_whole_comparison() {
    assert_eq!(eval("NOT new_ace IN (old_values)"), "(Not (In $new_ace [$old_values]))");
    assert_eq!(eval("NOT a=1 AND b"), "(And (Not (Eq $a 1)) $b)");
}

#[test]
fn double_quoted_in_eval_is_string_not_field() {
    assert_eq!(eval(r#""a.b" LIKE "%x%""#), r#"(Like "a.b" "%x%")"#);
    assert_eq!(eval(r#""C:\\windows\temp\n\d\"""#), "\"C:\\\\windows\\temp\\n\\\\d\\\"\"");
}

#[test]
fn single_quoted_is_a_field() {
    assert_eq!(eval("'Actor{}.ID' == '<<FIELD>>'"), "(Eq $Actor{}.ID $<<FIELD>>)");
}

#[test]
fn bare_null_is_field_reference() {
    assert_eq!(eval("if(x, y, null)"), "if($x, $y, $null)");
    assert_eq!(eval("true"), "$true");
}

#[test]
fn function_names_are_lowercased_and_may_have_space() {
    assert_eq!(eval(r#"LIKE (a, "%x%")"#), r#"like($a, "%x%")"#);
    assert_eq!(eval("mvindex ('x', 1)"), "mvindex($x, 1)");
    assert_eq!(eval("now()"), "now()");
}

#[test]
fn dotted_and_placeholder_identifiers() {
    assert_eq!(eval("userIdentity.arn"), "$userIdentity.arn");
    assert_eq!(eval("<<FIELD>>"), "$<<FIELD>>");
    assert_eq!(eval("a.b. c"), "(Concat $a.b $c)");
}

#[test]
fn eval_assignments_with_commas_and_quoted_targets() {
    let CommandBody::Eval(a) = body(r#"| eval a=1, "Some Name"=x=1, 'y'=if(a, "b,c", d)"#, 0) else { panic!() };
    assert_eq!(a.len(), 3);
    assert_eq!(a[1].field.name, "Some Name");
    assert_eq!(e_show(&a[1].expr), "(Eq $x 1)");
    assert_eq!(a[2].field.name, "y");
}

// --- commands -------------------------------------------------------------------------------------

#[test]
fn stats_aggregations_aliases_options_and_by() {
    let text = r#"| stats allnum=t count min(_time) as firstTime values(eval(if(a>1,x,null))) AS "Some Name", dc(x) perc95(y) avg(tcp.*) as tcp.* by a, b c"#;
    let CommandBody::Stats(s) = body(text, 0) else { panic!() };
    assert_eq!(s.options[0].key, "allnum");
    let names: Vec<_> = s.aggs.iter().map(|a| a.default_name.as_str()).collect();
    assert_eq!(names, ["count", "min(_time)", "values(eval(if(a>1,x,null)))", "dc(x)", "perc95(y)", "avg(tcp.*)"]);
    assert_eq!(s.aggs[1].alias.as_ref().unwrap().name, "firstTime");
    assert_eq!(s.aggs[2].alias.as_ref().unwrap().name, "Some Name");
    assert!(matches!(s.aggs[2].arg, Some(AggArg::Eval(_))));
    assert_eq!(s.aggs[5].alias.as_ref().unwrap().name, "tcp.*");
    let by: Vec<_> = s.by.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(by, ["a", "b", "c"]);
}

#[test]
fn chart_over_field_goes_first_in_by_and_agg_option_is_an_aggregation() {
    // Splunk's reference: `over X by Y` is `by X Y`.
    let by = |text: &str| {
        let CommandBody::Stats(s) = body(text, 0) else { panic!() };
        s.by.iter().map(|f| f.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(by("| chart count OVER host BY kind limit=3"), ["host", "kind"]);
    assert_eq!(by("| chart count by host kind"), ["host", "kind"]);
    assert_eq!(by("| chart count over process.name"), ["process.name"]);
    let CommandBody::Stats(s) = body("| chart limit=top2 agg=max(n) over host span=10 by kind usenull=f", 0) else {
        panic!()
    };
    assert_eq!(s.aggs[0].default_name, "max(n)");
    let keys: Vec<_> = s.options.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["limit", "span", "usenull"]);
    // Only chart has `over`: in stats it stays an aggregation name for the planner to reject.
    let CommandBody::Stats(s) = body("| stats count over", 0) else { panic!() };
    assert_eq!(s.aggs[1].func, "over");
    assert!(err("| chart count over").message.contains("after `OVER`"));
    assert!(err("| chart count over a over b").message.contains("one `OVER`"));
}

#[test]
fn sparkline_takes_an_inner_aggregation_and_a_span_and_is_named_as_written() {
    // Search Reference, stats: `sparkline`, `sparkline(count)`, `sparkline(<func>(<field>), <span>)`.
    let text = "| stats sparkline, sparkline(count), sparkline(avg(x), 1h) AS s, sparkline(count , 5m) by host";
    let CommandBody::Stats(s) = body(text, 0) else { panic!() };
    let names: Vec<_> = s.aggs.iter().map(|a| a.default_name.as_str()).collect();
    assert_eq!(names, ["sparkline", "sparkline(count)", "sparkline(avg(x), 1h)", "sparkline(count , 5m)"]);
    assert!(s.aggs.iter().all(|a| a.func == "sparkline"));
    assert_eq!(s.aggs[0].arg, None);
    let Some(AggArg::Sparkline { inner, span: None }) = &s.aggs[1].arg else { panic!("{:?}", s.aggs[1].arg) };
    assert_eq!((inner.func.as_str(), &inner.arg), ("count", &None));
    let Some(AggArg::Sparkline { inner, span: Some(span) }) = &s.aggs[2].arg else { panic!("{:?}", s.aggs[2].arg) };
    assert_eq!(inner.func, "avg");
    assert!(matches!(&inner.arg, Some(AggArg::Field(f)) if f.name == "x" && &text[f.span.start..f.span.end] == "x"));
    assert_eq!((span.value.as_str(), &text[span.span.start..span.span.end]), ("1h", "1h"));
    assert_eq!(&text[inner.span.start..inner.span.end], "avg(x)");
    assert_eq!(s.aggs[2].alias.as_ref().unwrap().name, "s");
    let Some(AggArg::Sparkline { span: Some(span), .. }) = &s.aggs[3].arg else { panic!() };
    assert_eq!(span.value, "5m");
    // What the planner judges still parses: an unknown inner function, a span it cannot read.
    let CommandBody::Stats(s) = body("| stats sparkline(values(x), nonsense)", 0) else { panic!() };
    assert!(matches!(&s.aggs[0].arg, Some(AggArg::Sparkline { inner, span: Some(sp) })
        if inner.func == "values" && sp.value == "nonsense"));
    // Syntax errors point at what is wrong.
    let e = err("| stats sparkline(count AS c)");
    assert!(e.message.contains("`AS` goes after"), "{}", e.message);
    assert_eq!(e.span.start, "| stats sparkline(count AS ".len());
    let e = err("| stats sparkline(count(x), )");
    assert!(e.message.contains("a span such as `1h`"), "{}", e.message);
    let e = err("| stats sparkline(count(x) 1h)");
    assert!(e.message.contains("expected `,` and a span"), "{}", e.message);
    assert_eq!(e.span.start, "| stats sparkline(count(x) ".len());
    let e = err("| stats sparkline(count(x), 1h, 2h)");
    assert_eq!(e.span.start, "| stats sparkline(count(x), 1h".len());
    let deep = format!("| stats {}count{}", "sparkline(".repeat(200), ")".repeat(200));
    assert!(err(&deep).message.contains("nested"));
}

#[test]
fn tstats_from_where_by_span() {
    let text = "| tstats summariesonly=false count FROM datamodel=Endpoint.Processes WHERE Processes.process_name=a OR x=y nodename=P BY _time span=1h Processes.dest";
    let CommandBody::Tstats(t) = body(text, 0) else { panic!() };
    let from = t.from.unwrap();
    assert_eq!((from.model.as_str(), from.dataset.as_deref()), ("Endpoint", Some("Processes")));
    assert_eq!(s_show(t.where_.as_ref().unwrap()), "((Processes.process_name=a OR x=y) AND nodename=P)");
    assert_eq!(t.span.unwrap().value, "1h");
    assert_eq!(t.by.len(), 2);
    assert_eq!(t.options.len(), 1);
}

#[test]
fn tstats_from_datamodel_colon_and_mstats_where_first() {
    let CommandBody::Tstats(t) = body("| tstats count from datamodel:Web by Web.url", 0) else { panic!() };
    assert_eq!(t.from.unwrap().model, "Web");
    let CommandBody::Tstats(t) = body("| mstats avg(_value) as v where index=m metric_name=cpu by host span=5m", 0)
    else {
        panic!()
    };
    assert!(t.from.is_none() && t.where_.is_some() && t.span.is_some());
    assert_eq!(t.by[0].name, "host");
}

#[test]
fn rename_pairs_with_and_without_commas() {
    let CommandBody::Rename(r) = body(r#"| rename a AS b, c.* as * "x y" as z p as q"#, 0) else { panic!() };
    let pairs: Vec<_> = r.iter().map(|p| (p.from.name.as_str(), p.to.name.as_str())).collect();
    assert_eq!(pairs, [("a", "b"), ("c.*", "*"), ("x y", "z"), ("p", "q")]);
}

#[test]
fn fields_minus_and_table() {
    assert!(matches!(body("| fields - a, b*", 0), CommandBody::Fields { remove: true, .. }));
    let CommandBody::Table(t) = body("| table _time, a b*", 0) else { panic!() };
    assert_eq!(t.len(), 3);
}

#[test]
fn convert_sort_head_dedup_fillnull() {
    let CommandBody::Convert { options, conversions } =
        body(r#"| convert timeformat="%Y" ctime(firstTime) ctime(x) AS y"#, 0)
    else {
        panic!()
    };
    assert_eq!(options[0].value, "%Y");
    assert_eq!(conversions[1].alias.as_ref().unwrap().name, "y");
    let CommandBody::Sort { limit, keys, .. } = body("| sort 20 - count, +num(x)", 0) else { panic!() };
    assert_eq!(limit, Some(20));
    assert!(keys[0].descending && !keys[1].descending);
    assert_eq!(keys[1].how.as_deref(), Some("num"));
    assert!(matches!(body("| head 5", 0), CommandBody::Head { count: Some(5), .. }));
    assert!(matches!(body("| dedup user", 0), CommandBody::Dedup { .. }));
    let CommandBody::Fillnull { options, fields } = body("| fillnull value=NULL a b", 0) else { panic!() };
    assert_eq!((options.len(), fields.len()), (1, 2));
}

#[test]
fn rex_and_regex_forms() {
    let CommandBody::Rex { options, pattern } = body(r#"| rex field=x max_match=0 "(?<a>\d+)\\\\""#, 0) else {
        panic!()
    };
    assert_eq!(options.len(), 2);
    assert_eq!(pattern.value, r"(?<a>\d+)\\");
    let CommandBody::Regex { field, negated, .. } = body(r#"| regex f!="re""#, 0) else { panic!() };
    assert!(negated && field.unwrap().name == "f");
    assert!(matches!(body(r#"| regex "re""#, 0), CommandBody::Regex { field: None, .. }));
}

#[test]
fn lookup_inputs_and_outputs() {
    let text = "| lookup update=true t a AS b, c OUTPUTNEW d AS e f";
    let CommandBody::Lookup(l) = body(text, 0) else { panic!() };
    assert_eq!(l.name.name, "t");
    assert_eq!(l.inputs.len(), 2);
    assert!(l.output_new);
    assert_eq!(l.outputs.len(), 2);
}

#[test]
fn inputlookup_with_where_and_trailing_option() {
    let CommandBody::Inputlookup { options, where_, .. } = body("| inputlookup x append=t where a=1 OR b=2", 0) else {
        panic!()
    };
    assert_eq!(options.len(), 1);
    assert_eq!(s_show(&where_.unwrap()), "(a=1 OR b=2)");
}

#[test]
fn join_with_option_glued_to_subsearch() {
    let CommandBody::Subsearch { options, fields, search } = body("| join f type=inner[| tstats count by f]", 0) else {
        panic!()
    };
    assert_eq!(options[0].value, "inner");
    assert_eq!(fields[0].name, "f");
    assert_eq!(search.commands[0].name, "tstats");
}

#[test]
fn foreach_keeps_template_text() {
    let CommandBody::Foreach { fields, template, .. } = body("| foreach a* [ eval x='<<FIELD>>' ]", 0) else {
        panic!()
    };
    assert_eq!(fields[0].name, "a*");
    assert_eq!(template.value, "eval x='<<FIELD>>'");
}

#[test]
fn unknown_commands_are_generic() {
    let CommandBody::Generic(args) = body(r#"| spath input=x path=a{}.b | mvexpand y"#, 0) else { panic!() };
    assert_eq!(args.len(), 2);
    let CommandBody::Generic(args) = body(r#"| replace "a" WITH "b" IN f, g"#, 0) else { panic!() };
    assert!(args.iter().any(|a| matches!(a, Arg::Comma(_))));
    let CommandBody::Generic(args) = body(r#"| transaction user startswith=(EventCode=1) maxspan=5m"#, 0) else {
        panic!()
    };
    assert_eq!(args.len(), 3);
}

// --- errors -------------------------------------------------------------------------------------

#[test]
fn missing_value_after_equals_is_an_error() {
    let e = err("a= | stats count");
    assert_eq!(e.message, "expected a value after `=`");
    assert_eq!(e.span.start, 1);
}

#[test]
fn leading_or_doubled_boolean_operator_is_an_error() {
    // Splunk: OR/AND need a search term on both sides; `search OR a=1` is rejected.
    let e = err("search OR a=1 b=2");
    assert_eq!(e.message, "expected a search term before `OR`");
    assert_eq!(e.span.start, 7);
    assert_eq!(err("search (OR x)").message, "expected a search term before `OR`");
    assert_eq!(err("search x OR OR y").message, "expected a search term before `OR`");
    assert_eq!(err("search x AND AND y").message, "expected a search term before `AND`");
    assert_eq!(err("AND x").message, "expected a search term before `AND`");
    // Lowercase words and quoted phrases are still terms.
    assert!(parse_pipeline("search or x \"OR\"").is_ok());
}

#[test]
fn unbalanced_paren_points_at_open() {
    let e = err("a (b OR c");
    assert_eq!(e.message, "unbalanced `(`");
    assert_eq!(e.span.start, 2);
    assert_eq!(err("| eval x=if(a, b").message, "unbalanced `(`");
    assert_eq!(err("a ) b").message, "unbalanced `)`");
}

#[test]
fn rename_without_as_is_an_error() {
    let e = err("| rename a b");
    assert!(e.message.starts_with("expected `AS` after `a`"), "{}", e.message);
}

#[test]
fn garbage_is_an_error() {
    for text in [
        "a | | b",
        "| ",
        "a=\"x",
        "a [b",
        "a ] b",
        "| eval = 3",
        "| where a +",
        "| stats count by",
        "a OR",
        "NOT",
        "| eval x=1 y=2",
    ] {
        assert!(parse_pipeline(text).is_err(), "{text}");
    }
}

#[test]
fn error_caret_points_into_original_macro_text() {
    let mut t = MacroTable::default();
    t.insert(MacroDef { name: "src".into(), arguments: vec![], definition: "sourcetype=x OR source=y".into() });
    let original = "`src` EventCode= | stats count";
    let ex = expand(original, &t).unwrap();
    let e = parse_pipeline(&ex.text).unwrap_err();
    let shown = ex.render_error(e.span, &e.message);
    assert_eq!(
        shown,
        "error: expected a value after `=`\n  |\n1 | `src` EventCode= | stats count\n  |                ^"
    );
    // An error inside macro text underlines the whole call.
    t.insert(MacroDef { name: "bad".into(), arguments: vec![], definition: "x=".into() });
    let ex = expand("a `bad` | head", &t).unwrap();
    let e = parse_pipeline(&ex.text).unwrap_err();
    assert_eq!(ex.original_span(e.span), Span::new(2, 7));
}

// --- robustness -----------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["(", "NOT ", "[search ", "| eval x=(", "| where -", "| eval x=f("] {
        let text = format!("a {}", open.repeat(5000));
        let _ = parse_pipeline(&text);
    }
    let deep = format!("{}a{}", "(".repeat(500), ")".repeat(500));
    assert!(parse_pipeline(&deep).unwrap_err().message.contains("nested more than"));
    let ok = format!("{}a{}", "(".repeat(50), ")".repeat(50));
    assert!(parse_pipeline(&ok).is_ok());
    let deep_eval = format!("| eval x={}1{}", "abs(".repeat(500), ")".repeat(500));
    assert!(parse_pipeline(&deep_eval).is_err());
}

#[test]
fn random_garbage_never_panics() {
    // xorshift: deterministic, no dependency.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let alphabet: Vec<char> = "ab=!<>()[]|\"'\\`,. *-+NOTANDOR\n\té€".chars().collect();
    let words = [
        "NOT ",
        "OR ",
        "AND ",
        "| eval ",
        "| stats ",
        "| tstats ",
        " by ",
        " as ",
        "| rename ",
        "| lookup ",
        "| join ",
        "| foreach ",
        "IN (",
        "| rex ",
        "| regex ",
        "| where ",
        "| head ",
        "| sort ",
        "| convert ",
    ];
    for _ in 0..20_000 {
        let mut text = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 40) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state.is_multiple_of(5) {
                text.push_str(words[(state / 5) as usize % words.len()]);
            } else {
                text.push(alphabet[(state / 5) as usize % alphabet.len()]);
            }
        }
        let _ = parse_pipeline(&text);
        let _ = parse_search_expr(&text);
        let _ = parse_eval_expr(&text);
        let _ = expand(&text, &MacroTable::default());
        if let Err(e) = parse_pipeline(&text) {
            let _ = render_caret(&text, e.span, &e.message);
        }
    }
}

#[test]
fn nesting_just_under_the_limit_fits_the_stack() {
    let n = lex_depth() - 2;
    let search = format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_pipeline(&search).is_ok());
    let eval = format!("| eval x={}1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_pipeline(&eval).is_ok());
    let calls = format!("| where {}1{}", "abs(".repeat(n), ")".repeat(n));
    assert!(parse_pipeline(&calls).is_ok());
    let m = lex_depth() / super::lex::SUBSEARCH_WEIGHT;
    let subs = format!("a {}b{}", "[search ".repeat(m), "]".repeat(m));
    assert!(parse_pipeline(&subs).is_ok());
    let subs = format!("a {}b{}", "[search ".repeat(m + 1), "]".repeat(m + 1));
    assert!(parse_pipeline(&subs).unwrap_err().message.contains("nested more than"));
    let k = lex_depth() / (super::lex::SUBSEARCH_WEIGHT + 1);
    let mixed = format!("a {}b{}", "[search (".repeat(k), ")]".repeat(k));
    assert!(parse_pipeline(&mixed).is_ok());
}

fn lex_depth() -> usize {
    super::lex::MAX_DEPTH
}

#[test]
fn subsearches_of_a_search_are_its_bracketed_pipelines_left_to_right_not_the_nested_ones() {
    let spl = "a [search b [search c]] OR NOT (d [| inputlookup x])";
    let p = parse_pipeline(spl).unwrap();
    let CommandBody::Search(Some(e)) = &p.commands[0].body else { panic!("{:?}", p.commands[0].body) };
    let subs = e.subsearches();
    let texts: Vec<&str> = subs.iter().map(|(_, s)| &spl[s.start..s.end]).collect();
    assert_eq!(texts, ["[search b [search c]]", "[| inputlookup x]"]);
    assert_eq!(subs[0].0.commands.len(), 1);
}
