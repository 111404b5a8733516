//! `spelunk test`: contentctl-style unit tests. For each detection with `tests:`, read every
//! `attack_data` file (with its source/sourcetype), run the detection, and pass when a row has
//! every risk-object field present and not null.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use spl_engine::content::Content;
use spl_engine::detection::Detection;
use spl_engine::exec::{Context, Runtime, VecSource};
use spl_engine::read::{self, ReadOptions, Record};
use spl_engine::Event;

use crate::session::{self, CompileError};
use crate::{exit, Common, ReportFormat};

#[derive(Clone, Debug)]
pub struct Outcome {
    pub file: String,
    pub name: String,
    pub status: &'static str,
    pub rows: usize,
    pub message: String,
}

/// URL → local file: `INDEX.tsv` (`url`, `local_path` columns) when the data root has one,
/// else the URL path after `/master/` or `/main/`.
pub struct DataIndex {
    root: PathBuf,
    map: HashMap<String, PathBuf>,
}

impl DataIndex {
    pub fn load(root: &Path) -> DataIndex {
        let mut map = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(root.join("INDEX.tsv")) {
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
            let col = |n: &str| header.iter().position(|h| *h == n);
            if let (Some(u), Some(l)) = (col("url"), col("local_path")) {
                for line in lines {
                    let cells: Vec<&str> = line.split('\t').collect();
                    if let (Some(url), Some(local)) = (cells.get(u), cells.get(l)) {
                        map.insert(url.to_string(), root.join(local));
                    }
                }
            }
        }
        DataIndex { root: root.to_path_buf(), map }
    }

    pub fn resolve(&self, url: &str) -> PathBuf {
        if let Some(p) = self.map.get(url) {
            return p.clone();
        }
        let rel = ["/master/", "/main/"]
            .iter()
            .find_map(|m| url.split_once(m).map(|(_, r)| r.to_string()))
            .unwrap_or_else(|| url.rsplit('/').next().unwrap_or(url).to_string());
        self.root.join(rel)
    }
}

fn read_events(path: &Path, opts: &ReadOptions, ctx: &Context) -> Result<(Vec<Event>, usize), String> {
    let records = read::open(path, opts).map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    let mut malformed = 0;
    for r in records {
        match r {
            Record::Event(mut e) => {
                spl_engine::extract::extract(&ctx.content, &ctx.fns, &mut e);
                events.push(e);
            }
            Record::Malformed(_) => malformed += 1,
        }
    }
    Ok((events, malformed))
}

/// contentctl: a row passes when every risk-object field is present and not null.
fn row_has_risk_objects(det: &Detection, row: &Event) -> bool {
    det.observables.iter().all(|o| row.get(&o.field).is_some_and(|v| v.atoms().iter().any(|a| !a.as_str().is_empty())))
}

pub fn run_one(det: &Detection, content: &Content, ctx: &Context, index: &DataIndex) -> Outcome {
    let mut o =
        Outcome { file: det.file.clone(), name: det.name.clone(), status: "pass", rows: 0, message: String::new() };
    if det.tests.is_empty() {
        o.status = "skipped";
        o.message = "no tests".into();
        return o;
    }
    // Data first: a detection without its data is `skipped` whatever its SPL.
    for t in &det.tests {
        for ad in &t.attack_data {
            if !index.resolve(&ad.data).is_file() {
                o.status = "skipped";
                o.message = format!("attack data not on disk: {}", ad.data);
                return o;
            }
        }
    }
    let macros = content.macros_for(Some(det));
    let mut compiled = match session::compile(&det.search, &macros, ctx, &det.name) {
        Ok(c) => c,
        Err(CompileError::Unsupported(items, _)) => {
            o.status = "unsupported";
            o.message = items.join(", ");
            return o;
        }
        Err(e) => {
            o.status = "error";
            o.message = e.render();
            return o;
        }
    };
    let mut events = Vec::new();
    for t in &det.tests {
        for ad in &t.attack_data {
            let path = index.resolve(&ad.data);
            let opts =
                ReadOptions { sourcetype: ad.sourcetype.clone(), source: ad.source.clone(), host: None, index: None };
            match read_events(&path, &opts, ctx) {
                Ok((evs, _)) => events.extend(evs),
                Err(e) => {
                    o.status = "error";
                    o.message = format!("{}: {e}", path.display());
                    return o;
                }
            }
        }
    }
    let source = VecSource(events);
    let rt = Runtime { source: &source, ctx };
    match rt.collect(&mut compiled.plan) {
        Ok(rows) => {
            o.rows = rows.len();
            if rows.iter().any(|r| row_has_risk_objects(det, r)) {
                o.status = "pass";
            } else {
                o.status = "fail";
                o.message = if rows.is_empty() {
                    "no rows".into()
                } else {
                    format!(
                        "{} rows, none with all risk objects ({})",
                        rows.len(),
                        det.observables.iter().map(|x| x.field.as_str()).collect::<Vec<_>>().join(", ")
                    )
                };
            }
        }
        Err(e) => {
            o.status = "error";
            o.message = match e.span {
                Some(s) => compiled.expanded.render_error(s, &e.message),
                None => e.message,
            };
        }
    }
    o
}

pub fn test(paths: &[PathBuf], common: &Common, data_root: &Path, format: ReportFormat, strict: bool) -> u8 {
    let (content, ctx) = match session::content_and_context(common) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    if !data_root.is_dir() {
        eprintln!("error: --data-root {}: not a folder", data_root.display());
        return exit::INPUT_ERROR;
    }
    let dets = match crate::cmd_validate::detections(paths, &content) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::DETECTION_ERROR;
        }
    };
    let index = DataIndex::load(data_root);
    let outcomes: Vec<Outcome> = {
        use rayon::prelude::*;
        let bar = crate::source::detection_progress(dets.len());
        let out = dets
            .par_iter()
            .map(|d| {
                let o = run_one(d, &content, &ctx, &index);
                bar.inc(1);
                o
            })
            .collect();
        bar.finish_and_clear();
        out
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &outcomes {
        *counts.entry(o.status).or_default() += 1;
    }
    match format {
        ReportFormat::Json => {
            for o in &outcomes {
                println!(
                    "{}",
                    serde_json::json!({"file": o.file, "name": o.name, "status": o.status, "rows": o.rows, "message": o.message})
                );
            }
        }
        ReportFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(["status", "detection", "rows", "details"]);
            for o in outcomes.iter().filter(|o| o.status != "skipped") {
                t.add_row([
                    o.status.to_string(),
                    o.name.clone(),
                    o.rows.to_string(),
                    o.message.lines().next().unwrap_or("").to_string(),
                ]);
            }
            println!("{t}");
        }
    }
    let c = |k: &str| counts.get(k).copied().unwrap_or(0);
    println!(
        "{} passed, {} failed, {} skipped, {} unsupported, {} error",
        c("pass"),
        c("fail"),
        c("skipped"),
        c("unsupported"),
        c("error")
    );
    if c("error") > 0 || (strict && c("fail") > 0) {
        exit::DETECTION_ERROR
    } else {
        exit::OK
    }
}
