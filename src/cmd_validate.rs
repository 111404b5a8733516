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
            CommandBody::Stats(s) if c.name == "stats" || c.name == "timechart" || c.name == "chart" => {
                let mut f: Vec<String> = s.by.iter().map(|x| x.name.clone()).collect();
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
