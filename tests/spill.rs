//! Spilling to a temporary file past `--memory-budget`: the rows must be the ones a run that
//! holds everything in memory gives, byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

#[test]
fn the_endpoint_pack_gives_the_same_rows_whether_it_spills_or_not() {
    let content = shared().join("security_content");
    let pack = content.join("detections").join("endpoint");
    let events = shared().join("attack_data_history");
    let run_with = |budget: &str| {
        run(&[
            "run",
            pack.to_str().unwrap(),
            "--content",
            content.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
            "--format",
            "json",
            "--memory-budget",
            budget,
        ])
    };
    let held = run_with("0");
    // A budget this small makes every aggregation, eventstats, join right side and the held
    // results of each detection spill, many of them more than once.
    let spilled = run_with("1K");
    assert!(!stdout(&held).is_empty());
    assert!(!stderr(&held).contains("spills to a temporary file"), "{}", stderr(&held));
    let err = stderr(&spilled);
    let spills: u64 = err
        .lines()
        .find(|l| l.contains(" spills to a temporary file"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("a spill count on stderr: {err}"));
    assert!(spills > 100, "{err}");
    assert_eq!(held.status.code(), spilled.status.code());
    assert!(stdout(&held) == stdout(&spilled), "the rows differ once spilled");
}

#[test]
fn a_memory_budget_takes_units_and_refuses_other_words() {
    let events = root().join("examples").join("sysmon_network.log");
    let spl = "`sysmon` | stats count by EventID";
    let ok = run(&["search", spl, "--events", events.to_str().unwrap(), "--format", "json", "--memory-budget", "2G"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let bad = run(&["search", spl, "--events", events.to_str().unwrap(), "--memory-budget", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--memory-budget"), "{}", stderr(&bad));
    let no_dir = run(&["search", spl, "--events", events.to_str().unwrap(), "--temp-dir", "/nonexistent/spill"]);
    assert_eq!(no_dir.status.code(), Some(2));
    assert!(stderr(&no_dir).contains("--temp-dir /nonexistent/spill: not a folder"), "{}", stderr(&no_dir));
}

/// `sort`, `reverse` and `transaction` hold every row until the input ends: past the budget
/// they write them out in sorted runs (merged back at the end, merges of merges when there are
/// many) or in stretches (read back last first). The rows and their order must not change.
#[test]
fn sort_reverse_and_transaction_give_the_same_rows_whether_they_spill_or_not() {
    let events = shared().join("attack_data_history");
    let run_with = |spl: &str, budget: &str| {
        run(&["search", spl, "--events", events.to_str().unwrap(), "--format", "json", "--memory-budget", budget])
    };
    for spl in [
        // Ties on `n` keep input order: the sort is stable across runs.
        "* | eval n=len(_raw) | sort 0 - n | head 400 | table _time host source n _raw",
        "* | sort 300 host - _time | table _time host source _raw",
        "* | sort 0 EventCode | stats count by EventCode | sort - count",
        "* | reverse | head 300 | table _time host source _raw",
        // Its events read back in time order, its transactions newest first.
        "* | transaction host maxpause=5s | table _time host eventcount duration _raw",
    ] {
        let held = run_with(spl, "0");
        let spilled = run_with(spl, "1K");
        assert!(held.status.success(), "{spl}: {}", stderr(&held));
        assert!(!stdout(&held).is_empty(), "{spl}");
        assert!(!stderr(&held).contains("spills to a temporary file"), "{spl}: {}", stderr(&held));
        assert!(stderr(&spilled).contains("spills to a temporary file"), "{spl}: {}", stderr(&spilled));
        assert!(stdout(&held) == stdout(&spilled), "{spl}: the rows differ once spilled");
    }
    // `tail N` gives the last N rows latest first: what `reverse | head N` gives.
    let tail = run_with("* | tail 25 | table _time host source _raw", "32M");
    let reversed = run_with("* | reverse | head 25 | table _time host source _raw", "1K");
    assert_eq!(stdout(&tail).lines().count(), 25);
    assert!(stdout(&tail) == stdout(&reversed), "tail 25 and reverse | head 25 differ");
}

/// `timechart` and `chart` keep their groups (and, for `timechart` without `span` or with a
/// `limit` folding series into OTHER, their rows) in the spill file past the budget: the table
/// must be the one a run holding everything gives.
#[test]
fn timechart_and_chart_give_the_same_table_whether_they_spill_or_not() {
    let events = shared().join("attack_data_history");
    let run_with = |spl: &str, budget: &str| {
        run(&["search", spl, "--events", events.to_str().unwrap(), "--format", "csv", "--memory-budget", budget])
    };
    for spl in [
        "* | timechart count by host",
        "* | timechart span=1h limit=3 count dc(EventCode) by source",
        "* | chart limit=4 count over host by EventCode",
    ] {
        let held = run_with(spl, "0");
        let spilled = run_with(spl, "1K");
        assert!(held.status.success(), "{spl}: {}", stderr(&held));
        assert!(stdout(&held).lines().count() > 3, "{spl}");
        assert!(stderr(&spilled).contains("spills to a temporary file"), "{spl}: {}", stderr(&spilled));
        assert!(stdout(&held) == stdout(&spilled), "{spl}: the table differs once spilled");
    }
}
