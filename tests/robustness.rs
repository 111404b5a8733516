//! Hostile inputs through the real CLI: each must end with a clear error or a normal result,
//! never a panic, a stack overflow, a hang or an allocation failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// A scratch folder of this test binary (removed and remade per test name).
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("robustness").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write scratch file");
    path.display().to_string()
}

/// An events file with one ordinary XML record.
fn one_event(dir: &Path) -> String {
    write(
        dir,
        "one.xml",
        b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><Computer>ws1</Computer></System><EventData><Data Name='Image'>C:\\x.exe</Data></EventData></Event>\n",
    )
}

/// No panic message, no signal death (stack overflow aborts with SIGABRT/SIGSEGV).
fn assert_no_crash(o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("overflowed its stack"), "stack overflow: {err}");
    assert!(o.status.code().is_some(), "killed by a signal: {:?}\n{err}", o.status);
}

/// A detection error (exit 1) whose message contains `needle`.
fn assert_clear_error(o: &Output, needle: &str) {
    assert_no_crash(o);
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "expected exit 1: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
}

#[test]
fn deeply_nested_parentheses_are_refused() {
    let dir = scratch("nested_parens");
    let ev = one_event(&dir);
    let spl = format!("{}EventID=1{}", "(".repeat(10_000), ")".repeat(10_000));
    let o = run(&["search", &spl, "--events", &ev]);
    assert_clear_error(&o, "nested more than");
    let spl = format!("| makeresults | eval x={}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let o = run(&["search", &spl, "--events", &ev]);
    assert_clear_error(&o, "nested more than");
    let spl = format!("| makeresults | eval x={}1", "-".repeat(50_000));
    let o = run(&["search", &spl, "--events", &ev]);
    assert_no_crash(&o);
    let spl = format!("| makeresults | where {}true()", "NOT ".repeat(20_000));
    let o = run(&["search", &spl, "--events", &ev]);
    assert_no_crash(&o);
}

#[test]
fn deeply_nested_subsearches_are_refused() {
    let dir = scratch("nested_subsearch");
    let ev = one_event(&dir);
    let spl = format!("{}EventID=1{}", "search [search ".repeat(2_000), "]".repeat(2_000));
    let o = run(&["search", &spl, "--events", &ev]);
    assert_clear_error(&o, "nested more than");
}

#[test]
fn macro_cycle_is_named() {
    let dir = scratch("macro_cycle");
    let ev = one_event(&dir);
    let o = run(&["search", "`a`", "--macro", "a=`b`", "--macro", "b=`a`", "--events", &ev]);
    assert_clear_error(&o, "macro cycle");
}

#[test]
fn huge_macro_expansion_is_refused() {
    let dir = scratch("macro_bomb");
    let ev = one_event(&dir);
    // m0 is 10 bytes, each level repeats the one below 10 times: m8 would be 1 GB.
    let mut args: Vec<String> = vec!["search".into(), "`m8`".into(), "--events".into(), ev];
    args.push("--macro".into());
    args.push("m0=EventID=1 ".into());
    for level in 1..=8 {
        args.push("--macro".into());
        args.push(format!("m{level}={}", format!("`m{}`", level - 1).repeat(10)));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let o = run(&args);
    assert_clear_error(&o, "macro expansion is larger than");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn yaml_alias_bomb_macros_file_is_refused() {
    let dir = scratch("yaml_bomb");
    let ev = one_event(&dir);
    let mut yaml = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        yaml.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    yaml.push_str("name: x\ndefinition: *i\n");
    let file = write(&dir, "bomb.yml", yaml.as_bytes());
    let started = Instant::now();
    let o = run(&["search", "EventID=1", "--macros-file", &file, "--events", &ev]);
    assert_no_crash(&o);
    assert!(!o.status.success(), "a YAML bomb must not load: {}", stderr(&o));
    assert!(stderr(&o).contains("bomb.yml"), "the error names the file: {}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn catastrophic_regex_on_a_long_line_finishes() {
    let dir = scratch("regex_redos");
    // The backtracking engine's cases are rejected by their linear superset pre-check before
    // they can backtrack (fuzz/FINDINGS.md), so they run on the long line too.
    let long = write(&dir, "long.log", format!("{}b\n", "a".repeat(50_000)).as_bytes());
    let short = &long;
    for (spl, ev) in [
        (r#"* | rex field=_raw "(?<m>(a+)+$)" | table m"#, &long),
        (r#"* | regex _raw="(a|aa)+c" | table _raw"#, &long),
        // Look-around and backreferences force the backtracking engine.
        (r#"* | rex field=_raw "(?<m>(?=a)(a+)+$)" | table m"#, short),
        (r#"* | regex _raw="(a|aa)+(?!a)c" | table _raw"#, short),
        (r#"* | eval m=if(match(_raw, "^(a+)+\1c$"), 1, 0) | table m"#, short),
    ] {
        let started = Instant::now();
        let o = run(&["search", spl, "--events", ev, "--format", "json"]);
        assert_no_crash(&o);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{spl}: {}", stderr(&o));
        assert!(started.elapsed() < Duration::from_secs(30), "{spl} took {:?}", started.elapsed());
    }
}

#[test]
fn regex_of_100k_alternatives_compiles_or_is_a_clear_error() {
    let dir = scratch("regex_huge");
    let ev = one_event(&dir);
    let alternation: Vec<String> = (0..100_000).map(|i| format!("w{i}x")).collect();
    // Too long for one command-line argument: the search comes from a macro file.
    let yaml = format!("name: big\ndefinition: '| rex field=_raw \"(?<m>{})\"'\n", alternation.join("|"));
    let file = write(&dir, "big.yml", yaml.as_bytes());
    let started = Instant::now();
    let o = run(&["search", "* `big`", "--macros-file", &file, "--events", &ev]);
    assert_no_crash(&o);
    assert!(o.status.success() || stderr(&o).contains("regex too large"), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    // Repeated, the same alternation is over the compiled-size limit: a clear error.
    let yaml = format!("name: big\ndefinition: '| rex field=_raw \"(?<m>(?:{}){{50}})\"'\n", alternation.join("|"));
    let file = write(&dir, "bigger.yml", yaml.as_bytes());
    let o = run(&["search", "* `big`", "--macros-file", &file, "--events", &ev]);
    assert_clear_error(&o, "regex too large");
}

#[test]
fn truncated_xml_and_binary_garbage_are_counted_as_malformed() {
    let dir = scratch("malformed");
    let good = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><Computer>ws1</Computer></System></Event>\n";
    let mut xml = String::new();
    xml.push_str(good);
    xml.push_str("<Event xmlns='x'><System><EventID>2</EventID><Comp\n");
    xml.push_str(good);
    xml.push_str("<Event><System><EventID>3</Event>\n");
    xml.push_str(good);
    xml.push_str("<Event><System><EventID>4</EventID></Sys");
    let xml_file = write(&dir, "truncated.xml", xml.as_bytes());
    let mut garbage = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push((x >> 24) as u8);
    }
    let bin_file = write(&dir, "garbage.bin", &garbage);
    let evtx_file = write(&dir, "fake.evtx", &[b"ElfFile\0".as_slice(), &garbage[..5000]].concat());
    let o = run(&[
        "search",
        "EventID=1 | stats count",
        "--events",
        &xml_file,
        "--events",
        &bin_file,
        "--events",
        &evtx_file,
        "--format",
        "json",
    ]);
    assert_no_crash(&o);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(rows(&o).len(), 1, "{}", stdout(&o));
    assert_eq!(rows(&o)[0]["count"], serde_json::json!(3), "{}", stdout(&o));
    assert!(err.contains("3 files read"), "{err}");
    assert!(!err.contains(" 0 skipped as malformed"), "{err}");
}

/// In every output format: CSV is written at the end from a spool, JSON and tables as rows come.
#[test]
fn closed_stdout_pipe_ends_quietly() {
    let dir = scratch("closed_pipe");
    let lines: String = (0..200_000).map(|i| format!("line {i} with some padding text\n")).collect();
    let ev = write(&dir, "many.log", lines.as_bytes());
    for format in ["table", "json", "csv"] {
        let mut child = bin()
            .args(["search", "*", "--events", &ev, "--format", format])
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn spelunk");
        let mut out = child.stdout.take().expect("stdout");
        let mut first = [0u8; 64];
        let _ = out.read(&mut first);
        drop(out);
        let mut err_pipe = child.stderr.take().expect("stderr");
        let mut err = String::new();
        let _ = err_pipe.read_to_string(&mut err);
        let status = child.wait().expect("wait");
        assert!(!err.contains("panicked"), "{format}: panic: {err}");
        assert!(!err.to_lowercase().contains("broken pipe"), "{format}: noisy: {err}");
        assert!(matches!(status.code(), Some(0) | None), "{format}: {status:?}: {err}");
    }
}

/// `--events` may be left out only where no events are read: a search that starts with a
/// generating command runs; an event search, one with an event subsearch or `map`, and `run`
/// say what is missing (usage error, exit 2) rather than giving no rows as if none matched.
#[test]
fn only_a_search_that_reads_no_events_runs_without_events() {
    let o = run(&["search", "| makeresults count=3 | eval x=1 | stats count by x | search x=1", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), r#"{"x":"1","count":3}"#);
    for spl in [
        "EventCode=1 | stats count",
        "| makeresults | append [search EventCode=1 | head 1]",
        r#"| makeresults | map search="search EventCode=1 | stats count""#,
    ] {
        let o = run(&["search", spl, "--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{spl}");
        assert!(stderr(&o).contains("this search reads events: name them with --events"), "{spl}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{spl}");
    }
    let o = run(&["run", "content/detections", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("spelunk run needs --events"), "{}", stderr(&o));
}
