//! Every security_content detection expands and parses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
use spl_parser::{expand, parse_pipeline, MacroDef, MacroTable};
use std::path::{Path, PathBuf};

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/security_content")
}

fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// Macros Splunk's CIM and ES apps provide, and contentctl's generated `_filter` default.
const STAND_INS: &[(&str, &[&str], &str)] = &[
    ("drop_dm_object_name", &["object"], "rename $object$.* AS *"),
    ("summariesonly_config", &[], "false"),
    ("oldsummaries_config", &[], "true"),
    ("fillnull_config", &[], "null"),
    ("get_asset", &["field"], "search *"),
];

fn table() -> MacroTable {
    let mut table = MacroTable::default();
    for (name, args, def) in STAND_INS {
        table.insert(MacroDef {
            name: name.to_string(),
            arguments: args.iter().map(|a| a.to_string()).collect(),
            definition: def.to_string(),
        });
    }
    let mut files = Vec::new();
    yml_files(&content_dir().join("macros"), &mut files);
    assert!(files.len() > 100, "macros not found under {}", content_dir().display());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for def in MacroTable::from_yaml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display())) {
            table.insert(def);
        }
    }
    table
}

#[test]
fn every_detection_parses() {
    let mut table = table();
    let mut files = Vec::new();
    yml_files(&content_dir().join("detections"), &mut files);
    files.sort();
    assert!(files.len() > 1000, "detections not found");
    let mut failures = Vec::new();
    let mut parsed = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let Some(search) = doc.get("search").and_then(|s| s.as_str()) else {
            continue;
        };
        // contentctl defines `<name>_filter` as `search *` when the repo does not.
        if let Some(name) = doc.get("name").and_then(|n| n.as_str()) {
            let filter = format!("{}_filter", name.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
            if table.get(&filter, 0).is_none() {
                table.insert(MacroDef { name: filter, arguments: vec![], definition: "search *".into() });
            }
        }
        let expanded = match expand(search, &table) {
            Ok(e) => e,
            Err(e) => {
                let caret = spl_parser::render_caret(search, e.span, &e.message);
                failures.push(format!("{}:\n{caret}", f.display()));
                continue;
            }
        };
        match parse_pipeline(&expanded.text) {
            Ok(_) => parsed += 1,
            Err(e) => {
                let caret = expanded.render_error(e.span, &e.message);
                let t = &expanded.text;
                let from = t.floor_char_boundary(e.span.start.saturating_sub(120));
                let to = t.ceil_char_boundary((e.span.start + 60).min(t.len()));
                let near = format!("{}<<HERE>>{}", &t[from..e.span.start], &t[e.span.start..to]);
                failures.push(format!("{}:\n{caret}\nexpanded near: {near}", f.display()));
            }
        }
    }
    eprintln!("parsed {parsed} detections, {} failures", failures.len());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n\n"));
}
