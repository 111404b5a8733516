//! Helpers shared by the CLI integration tests: run the real binary, parse JSON Lines.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spelunk"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` next to the checkout (CI has it there too).
pub fn shared() -> PathBuf {
    root().join("..").join("shared")
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).current_dir(root()).output().expect("spawn spelunk")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Rows of a `--format json` run.
pub fn rows(o: &Output) -> Vec<serde_json::Map<String, serde_json::Value>> {
    stdout(o)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(serde_json::Value::Object(m)) => m,
            other => panic!("not a JSON object line: {l} ({other:?})"),
        })
        .collect()
}

/// A row as `field=value` strings in field order, for compact assertions.
pub fn flat(row: &serde_json::Map<String, serde_json::Value>) -> String {
    row.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
