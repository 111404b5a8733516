//! The body of each fuzz target, as plain functions over bytes, so the libFuzzer targets in
//! `fuzz_targets/` and any replay driver share one definition. Every function must return
//! normally for every input: a panic, stack overflow, hang or huge allocation is a bug.

use std::io::{BufRead, Cursor, Write};
use std::path::PathBuf;
use std::sync::Arc;

use spl_engine::content::Content;
use spl_engine::exec::{Context, Runtime, VecSource};
use spl_engine::read::{self, ReadOptions, Record, XmlRecords};
use spl_engine::{Atom, Event, Value};
use spl_parser::{MacroDef, MacroTable};

/// Inputs larger than this are ignored by the SPL targets (keeps every run short).
pub const MAX_SPL: usize = 4096;

/// Most records taken from one reader input (a reader must end by itself anyway).
const MAX_RECORDS: usize = 100_000;

/// `spl_parse`: the input is split at NUL bytes; every part but the last is a macro
/// definition `name=definition` or `name(a,b)=definition`, the last part is the search.
/// The first part is also tried as security_content macro YAML.
pub fn spl_parse(data: &[u8]) {
    if data.len() > MAX_SPL {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\0').collect();
    let Some((search, defs)) = parts.split_last() else {
        return;
    };
    let mut table = MacroTable::default();
    if let Some(first) = defs.first() {
        let _ = table.insert_yaml(first);
    }
    for def in defs {
        if let Some(d) = macro_def(def) {
            table.insert(d);
        }
    }
    match spl_parser::expand(search, &table) {
        Ok(expanded) => {
            let _ = expanded.original_span(spl_parser::Span::new(0, expanded.text.len()));
            if let Err(e) = spl_parser::parse_pipeline(&expanded.text) {
                let _ = expanded.render_error(e.span, &e.message);
            }
        }
        Err(e) => {
            let _ = spl_parser::render_caret(search, e.span, &e.message);
        }
    }
    if let Err(e) = spl_parser::parse_pipeline(search) {
        let _ = spl_parser::render_caret(search, e.span, &e.message);
    }
    let _ = spl_parser::parse_search_expr(search);
    let _ = spl_parser::parse_eval_expr(search);
}

/// `name=definition` or `name(a, b)=definition`.
fn macro_def(text: &str) -> Option<MacroDef> {
    let (head, definition) = text.split_once('=')?;
    let (name, arguments) = match head.split_once('(') {
        Some((name, args)) => (
            name,
            args.trim_end_matches(')')
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect(),
        ),
        None => (head, Vec::new()),
    };
    Some(MacroDef {
        name: name.trim().to_string(),
        arguments,
        definition: definition.to_string(),
    })
}

/// A few fixed events with the fields detections look at (numbers, multivalue, paths, IPs).
pub fn sample_events() -> Vec<Event> {
    let mut out = Vec::new();
    let rows: [(&str, f64, &str, &str, &str); 4] = [
        (
            "4688",
            1_700_000_000.0,
            r"C:\Windows\System32\cmd.exe",
            r#"cmd.exe /c "whoami /all" & powershell -enc SQBFAFgA"#,
            "10.0.0.5",
        ),
        (
            "1",
            1_700_000_060.5,
            r"C:\Users\Public\a.exe",
            "a.exe --url=http://evil.example.com/x?q=%41%42 -p 4444",
            "192.168.1.20",
        ),
        (
            "4624",
            1_700_003_600.0,
            r"C:\Windows\System32\lsass.exe",
            "",
            "fe80::1",
        ),
        ("", -1.0, "", "ÄÖÜ ünïcødé \u{202e}exe.txt", "not-an-ip"),
    ];
    for (i, (code, time, image, cmd, ip)) in rows.iter().enumerate() {
        let mut ev = Event::new();
        ev.set(
            "_raw",
            Value::str(format!(
                "EventCode={code} Image=\"{image}\" CommandLine=\"{cmd}\" src={ip}"
            )),
        );
        ev.set("_time", Value::num(*time));
        ev.set("host", Value::str(format!("host{}", i % 2)));
        ev.set("source", Value::str("XmlWinEventLog:Security"));
        ev.set("sourcetype", Value::str("XmlWinEventLog"));
        if !code.is_empty() {
            ev.set("EventCode", Value::str(*code));
        }
        ev.set("Image", Value::str(*image));
        ev.set(
            "process_name",
            Value::str(image.rsplit('\\').next().unwrap_or("")),
        );
        ev.set("CommandLine", Value::str(*cmd));
        ev.set("src", Value::str(*ip));
        ev.set("count", Value::num(i as f64 * 3.5));
        ev.set("user", Value::str(format!("CORP\\user{i}")));
        ev.push("tags", Atom::from("a".to_string()));
        ev.push("tags", Atom::from("b".to_string()));
        ev.push("tags", Atom::from(format!("{i}")));
        out.push(ev);
    }
    out
}

/// `plan_and_eval`: parse (macros expanded against an empty table), plan, and run the pipeline
/// over [`sample_events`]. Errors are fine; panics are not.
pub fn plan_and_eval(data: &[u8]) {
    if data.len() > MAX_SPL {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expanded) = spl_parser::expand(text, &MacroTable::default()) else {
        return;
    };
    let Ok(ast) = spl_parser::parse_pipeline(&expanded.text) else {
        return;
    };
    let ctx = Context::new(Arc::new(Content::default()), 1_700_010_000.0);
    let Ok(mut plan) = spl_engine::plan::plan(&ast, &expanded.text, &ctx) else {
        return;
    };
    let source = VecSource(sample_events());
    let rt = Runtime {
        source: &source,
        ctx: &ctx,
    };
    let _ = rt.collect(&mut plan);
}

fn drain(records: impl Iterator<Item = Record>) {
    for r in records.take(MAX_RECORDS) {
        match r {
            Record::Event(ev) => {
                let _ = ev.time();
            }
            Record::Malformed(m) => {
                let _ = m.to_string();
            }
        }
    }
}

/// `xml_reader`: split arbitrary bytes into `<Event>` records and parse each; also parse the
/// whole input as one record.
pub fn xml_reader(data: &[u8]) {
    let src: Box<dyn BufRead + Send> = Box::new(Cursor::new(data.to_vec()));
    drain(XmlRecords::new(src, "fuzz.xml".to_string()));
    let _ = read::parse_xml_event(&String::from_utf8_lossy(data));
}

/// A temp file private to this process, rewritten per input.
fn temp_file(ext: &str, data: &[u8]) -> Option<PathBuf> {
    let path = std::env::temp_dir().join(format!("spelunk-fuzz-{}.{ext}", std::process::id()));
    let mut f = std::fs::File::create(&path).ok()?;
    f.write_all(data).ok()?;
    Some(path)
}

/// `json_reader`: the JSON lines reader (through `read::open`, format forced to JSON) and
/// `flatten_json` on the input as one JSON document.
pub fn json_reader(data: &[u8]) {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        let mut ev = Event::new();
        read::flatten_json("", &json, &mut ev);
    }
    let Some(path) = temp_file("json", data) else {
        return;
    };
    let opts = ReadOptions {
        sourcetype: Some("_json".to_string()),
        ..ReadOptions::default()
    };
    if let Ok(records) = read::open(&path, &opts) {
        drain(records);
    }
}

/// `evtx_reader`: the input (given the `ElfFile\0` magic when it lacks it) as an EVTX file.
pub fn evtx_reader(data: &[u8]) {
    const MAGIC: &[u8] = b"ElfFile\0";
    let bytes = if data.starts_with(MAGIC) {
        data.to_vec()
    } else {
        [MAGIC, data].concat()
    };
    let Some(path) = temp_file("evtx", &bytes) else {
        return;
    };
    if let Ok(records) = read::open(&path, &ReadOptions::default()) {
        drain(records);
    }
}
