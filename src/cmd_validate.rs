//! `spelunk validate`: can each detection load, expand, parse and plan? Plus contentctl's
//! static checks as warnings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use spl_engine::content::Content;
use spl_engine::detection::Detection;
use spl_engine::exec::Context;
use spl_parser::CommandBody;

use crate::session::{self, CompileError};
use crate::{exit, Common, ReportFormat};

#[derive(Clone, Debug)]
pub struct Report {
    pub file: String,
    pub name: String,
    pub status: &'static str,
    pub unsupported: Vec<String>,
    pub message: String,
    pub warnings: Vec<String>,
}

/// Detections named on the command line, or every detection of every content layer.
pub fn detections(paths: &[PathBuf], content: &Content) -> Result<Vec<Detection>, String> {
    if paths.is_empty() {
        let (dets, errors) = content.detections();
        for e in errors {
            eprintln!("warning: {e}");
        }
        Ok(dets)
    } else {
        session::load_detections(paths)
    }
}

pub fn check(det: &Detection, content: &Content, ctx: &Context) -> Report {
    let macros = content.macros_for(Some(det));
    let mut report = Report {
        file: det.file.clone(),
        name: det.name.clone(),
        status: "ok",
        unsupported: Vec::new(),
        message: String::new(),
        warnings: Vec::new(),
    };
    let filter = det.filter_macro_name();
    if !det.search.contains(&format!("`{filter}`")) {
        report.warnings.push(format!("does not call its filter macro `{filter}`"));
    }
    match session::compile(&det.search, &macros, ctx, &det.name) {
        Ok(c) => {
            lookups_exist(&c.ast, content, &mut report.warnings);
            message_fields(det, &c.ast, &mut report.warnings);
            case_folded_patterns(&c.ast, &mut report.warnings);
        }
        Err(CompileError::Unsupported(items, msg)) => {
            report.status = "unsupported";
            report.unsupported = items;
            report.message = msg;
        }
        Err(e) => {
            report.status = "error";
            report.message = e.render();
        }
    }
    report
}

/// Patterns that test lower-cased (upper-cased) text for an upper-case (lower-case) letter:
/// `match(lower(x), "SEKURLSA::Pth")`, `like(lower(q), "%getRuntime%")`, `lower(x)="ABC"`.
/// The letter can never be there, so the pattern, or that part of a regex, never matches.
fn case_folded_patterns(ast: &spl_parser::Pipeline, warnings: &mut Vec<String>) {
    use spl_parser::ast::{BinOp, Expr, ExprKind};
    /// `lower`/`upper` when `e` is such a call: the case its text is folded to.
    fn folded(e: &Expr) -> Option<&'static str> {
        match &e.kind {
            ExprKind::Call { name, .. } if name == "lower" => Some("lower"),
            ExprKind::Call { name, .. } if name == "upper" => Some("upper"),
            _ => None,
        }
    }
    let wrong = |fold: &str, c: char| if fold == "lower" { c.is_ascii_uppercase() } else { c.is_ascii_lowercase() };
    fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
        f(e);
        e.children().into_iter().for_each(|c| walk(c, f));
    }
    let mut check = |e: &Expr| {
        let (call, fold, pat, regex) = match &e.kind {
            ExprKind::Call { name, args } if name == "match" || name == "like" => {
                let (Some(x), Some(Expr { kind: ExprKind::Str(p), .. })) = (args.first(), args.get(1)) else { return };
                let Some(fold) = folded(x) else { return };
                (name.as_str(), fold, p, name == "match")
            }
            ExprKind::Binary { op: op @ (BinOp::Eq | BinOp::Ne | BinOp::Like), lhs, rhs } => {
                let (Some(fold), ExprKind::Str(p)) = (folded(lhs), &rhs.kind) else { return };
                (if *op == BinOp::Like { "LIKE" } else { "=" }, fold, p, false)
            }
            _ => return,
        };
        let letter = if regex {
            regex_literal_letters(pat).find(|&c| wrong(fold, c))
        } else {
            pat.chars().find(|&c| wrong(fold, c))
        };
        if let Some(c) = letter {
            warnings.push(format!(
                "`{call}` tests {fold}(…) for \"{pat}\": its `{c}` can never be in {fold}-cased text, so {}",
                if regex { "that part of the pattern never matches" } else { "it never matches" }
            ));
        }
    };
    for cmd in &ast.commands {
        match &cmd.body {
            CommandBody::Eval(assignments) => assignments.iter().for_each(|a| walk(&a.expr, &mut check)),
            CommandBody::Where(e) => walk(e, &mut check),
            _ => {}
        }
    }
}

/// The letters a regex matches literally: not escaped (`\S`, `\x41`), not in a class
/// (`[A-Z]`), a repetition (`{2}`) or a group's name or flags (`(?P<Name>`, `(?i)`). `None`
/// from the start when the regex sets case-insensitive matching anywhere.
fn regex_literal_letters(re: &str) -> impl Iterator<Item = char> + '_ {
    // `(?i)`, `(?mi)`, `(?i:…)`: flags turning case-insensitivity on (before any `-`).
    let insensitive = re.match_indices("(?").any(|(i, _)| {
        let flags = re.get(i + 2..).unwrap_or("");
        flags.chars().take_while(|c| c.is_ascii_alphabetic()).any(|c| c == 'i')
    });
    let mut out = Vec::new();
    let (mut chars, mut class, mut brace) = (re.chars().peekable(), false, false);
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                // An escape and what it names: `\p{Lu}` up to its brace.
                if let Some(n) = chars.next() {
                    if matches!(n, 'p' | 'P' | 'x' | 'u') && chars.peek() == Some(&'{') {
                        for d in chars.by_ref() {
                            if d == '}' {
                                break;
                            }
                        }
                    }
                }
            }
            '[' if !class => class = true,
            ']' if class => class = false,
            '{' if !class => brace = true,
            '}' if brace => brace = false,
            '(' if !class && chars.peek() == Some(&'?') => {
                // Flags or a group name: skip to its `:`/`>`/`)`.
                for d in chars.by_ref() {
                    if matches!(d, ':' | '>' | ')') {
                        break;
                    }
                }
            }
            c if !class && !brace && c.is_ascii_alphabetic() => out.push(c),
            _ => {}
        }
    }
    (!insensitive).then_some(out).into_iter().flatten()
}

fn lookups_exist(ast: &spl_parser::Pipeline, content: &Content, warnings: &mut Vec<String>) {
    for c in &ast.commands {
        let name = match &c.body {
            CommandBody::Lookup(l) => Some(&l.name.name),
            CommandBody::Inputlookup { name, .. } => Some(&name.name),
            _ => None,
        };
        if let Some(n) = name {
            let base = n.trim_end_matches(".csv");
            if !content.lookups.contains_key(n.as_str()) && !content.lookups.contains_key(base) {
                warnings.push(format!("lookup `{n}` is not defined in any content layer"));
            }
        }
    }
}

/// The fields a pipeline outputs, when a transforming command fixes them; `None` = any.
pub fn output_fields(ast: &spl_parser::Pipeline) -> Option<Vec<String>> {
    let mut fields: Option<Vec<String>> = None;
    for c in &ast.commands {
        match &c.body {
            // A split (`timechart … by f`, `chart … over x by f`) names its columns by the values.
            CommandBody::Stats(s)
                if (c.name == "timechart" && !s.by.is_empty()) || (c.name == "chart" && s.by.len() > 1) =>
            {
                return None
            }
            CommandBody::Stats(s) if c.name == "stats" || c.name == "timechart" || c.name == "chart" => {
                let mut f: Vec<String> = s.by.iter().map(|x| x.name.clone()).collect();
                if c.name == "timechart" {
                    f.insert(0, "_time".into());
                }
                f.extend(s.aggs.iter().map(|a| a.alias.as_ref().map_or(a.default_name.clone(), |x| x.name.clone())));
                fields = Some(f);
            }
            CommandBody::Stats(s) => {
                if let Some(f) = fields.as_mut() {
                    f.extend(
                        s.aggs.iter().map(|a| a.alias.as_ref().map_or(a.default_name.clone(), |x| x.name.clone())),
                    );
                }
            }
            CommandBody::Tstats(t) => {
                let mut f: Vec<String> = t.by.iter().map(|x| x.name.clone()).collect();
                f.extend(t.aggs.iter().map(|a| a.alias.as_ref().map_or(a.default_name.clone(), |x| x.name.clone())));
                fields = Some(f);
            }
            CommandBody::Table(t) => {
                if t.iter().any(|x| x.name.contains('*')) {
                    continue;
                }
                fields = Some(t.iter().map(|x| x.name.clone()).collect());
            }
            CommandBody::Eval(a) => {
                if let Some(f) = fields.as_mut() {
                    f.extend(a.iter().map(|x| x.field.name.clone()));
                }
            }
            CommandBody::Rename(pairs) => {
                if let Some(f) = fields.as_mut() {
                    for p in pairs {
                        let pat = rename_fn(&p.from.name, &p.to.name);
                        for name in f.iter_mut() {
                            if let Some(n) = pat(name) {
                                *name = n;
                            }
                        }
                    }
                }
            }
            CommandBody::Lookup(l) => {
                if let Some(f) = fields.as_mut() {
                    f.extend(l.outputs.iter().map(|o| o.alias.as_ref().unwrap_or(&o.field).name.clone()));
                    if l.outputs.is_empty() {
                        return None;
                    }
                }
            }
            // These add fields we cannot list statically.
            CommandBody::Rex { .. }
            | CommandBody::Generic(_)
            | CommandBody::Subsearch { .. }
            | CommandBody::Foreach { .. }
                if fields.is_some() =>
            {
                return None
            }
            _ => {}
        }
    }
    fields
}

/// What `rename from AS to` does to one field name (one `*` wildcard).
fn rename_fn(from: &str, to: &str) -> impl Fn(&str) -> Option<String> {
    let p = spl_engine::ops::fields::NamePattern::new(from);
    let to = to.to_string();
    move |name: &str| {
        if p.is_wild() {
            p.capture(name).map(|c| to.replacen('*', c, 1))
        } else {
            (name == p.text).then(|| to.clone())
        }
    }
}

fn message_fields(det: &Detection, ast: &spl_parser::Pipeline, warnings: &mut Vec<String>) {
    let (Some(msg), Some(fields)) = (&det.message, output_fields(ast)) else { return };
    let mut rest = msg.as_str();
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('$') else { break };
        let name = &after[..j];
        if !name.is_empty() && !name.contains(char::is_whitespace) && !fields.iter().any(|f| f == name) {
            warnings.push(format!("message field `${name}$` is not a field the search outputs"));
        }
        rest = &after[j + 1..];
    }
}

pub fn validate(paths: &[PathBuf], common: &Common, format: ReportFormat) -> u8 {
    let (content, ctx) = match session::content_and_context(common) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let dets = match detections(paths, &content) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::DETECTION_ERROR;
        }
    };
    let reports: Vec<Report> = {
        use rayon::prelude::*;
        let bar = crate::source::detection_progress(dets.len());
        let out = dets
            .par_iter()
            .map(|d| {
                let r = check(d, &content, &ctx);
                bar.inc(1);
                r
            })
            .collect();
        bar.finish_and_clear();
        out
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for r in &reports {
        *counts.entry(r.status).or_default() += 1;
        for u in &r.unsupported {
            *missing.entry(u.clone()).or_default() += 1;
        }
    }
    match format {
        ReportFormat::Json => {
            for r in &reports {
                let j = serde_json::json!({
                    "file": r.file, "name": r.name, "status": r.status,
                    "unsupported": r.unsupported, "message": r.message, "warnings": r.warnings,
                });
                println!("{j}");
            }
        }
        ReportFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(["status", "detection", "details"]);
            for r in &reports {
                let details = match r.status {
                    "ok" => r.warnings.join("; "),
                    "unsupported" => r.unsupported.join(", "),
                    _ => r.message.lines().next().unwrap_or("").to_string(),
                };
                t.add_row([r.status.to_string(), r.name.clone(), details]);
            }
            println!("{t}");
            for r in reports.iter().filter(|r| r.status == "error") {
                eprintln!("{}", r.message);
            }
            if !missing.is_empty() {
                let mut top: Vec<_> = missing.iter().collect();
                top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                eprintln!(
                    "most needed: {}",
                    top.iter().take(15).map(|(k, v)| format!("{k} ({v})")).collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
    let warnings: usize = reports.iter().map(|r| r.warnings.len()).sum();
    println!(
        "{} detections: {} ok, {} unsupported, {} error; {} warnings",
        reports.len(),
        counts.get("ok").unwrap_or(&0),
        counts.get("unsupported").unwrap_or(&0),
        counts.get("error").unwrap_or(&0),
        warnings
    );
    if counts.get("error").copied().unwrap_or(0) > 0 {
        exit::DETECTION_ERROR
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warned(spl: &str) -> Vec<String> {
        let ast = spl_parser::parse_pipeline(spl).expect("parses");
        let mut w = Vec::new();
        case_folded_patterns(&ast, &mut w);
        w
    }

    /// The fields a `$field$` of the risk message may name: a split's columns are its values,
    /// not known before the search runs; a timechart without a split gives `_time`.
    #[test]
    fn output_fields_of_charts_are_unknown_when_split() {
        let fields = |spl: &str| output_fields(&spl_parser::parse_pipeline(spl).expect("parses"));
        assert_eq!(fields("search x | timechart count by host"), None);
        assert_eq!(fields("search x | chart count over host by user"), None);
        assert_eq!(fields("search x | timechart count").as_deref(), Some(&["_time".to_string(), "count".into()][..]));
        assert_eq!(
            fields("search x | chart count by host").as_deref(),
            Some(&["host".to_string(), "count".into()][..])
        );
        assert_eq!(
            fields("search x | stats count by host").as_deref(),
            Some(&["host".to_string(), "count".into()][..])
        );
    }

    #[test]
    fn a_letter_of_the_other_case_in_a_pattern_over_folded_text_is_warned_of() {
        // The corpus's two: a regex part and a LIKE pattern that can never match.
        assert_eq!(warned(r#"search x | eval m=if(match(lower(t), "mimikatz|SEKURLSA::Pth"), 1, 0)"#).len(), 1);
        assert_eq!(warned(r#"search x | where like(lower(q), "%getRuntime%")"#).len(), 1);
        assert_eq!(warned(r#"search x | where lower(u)="Admin" OR upper(h)!="host1""#).len(), 2);
        // Escapes, classes, repetitions, group names and case-insensitive flags are fine.
        for ok in [
            r#"search x | where match(lower(t), "\S+\.exe\W[A-Z]{2}\p{Lu}(?P<Name>x)")"#,
            r#"search x | where match(lower(t), "(?i)Invoke-")"#,
            r#"search x | where match(lower(t), "(?mi:Invoke-)")"#,
            r#"search x | where match(upper(t), "[a-z]+")"#,
            r#"search x | where match(t, "Invoke-") AND like(lower(q), "%getruntime%")"#,
        ] {
            assert!(warned(ok).is_empty(), "{ok}: {:?}", warned(ok));
        }
        assert!(!warned(r#"search x | where match(lower(t), "(?s)Invoke")"#).is_empty(), "(?s) is not (?i)");
    }
}
