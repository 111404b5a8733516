//! Events reach a search newest first, as a Splunk historical search returns them: the commands
//! whose result depends on that order (`head`, `tail`, `dedup`, `reverse`, `list()`) give what
//! Splunk gives, whatever order the files hold them in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

fn search(spl: &str) -> Vec<String> {
    let events = shared().join("attack_data_history");
    let o = run(&["search", spl, "--events", events.to_str().unwrap(), "--format", "json", "-q"]);
    assert!(o.status.success(), "{spl}: {}", stderr(&o));
    let rows: Vec<String> = rows(&o).iter().map(flat).collect();
    assert!(!rows.is_empty(), "{spl}: no rows");
    rows
}

const XML: &str = "sourcetype=XmlWinEventLog";

#[test]
fn head_gives_the_latest_events_and_tail_the_earliest() {
    assert_eq!(
        search(&format!("{XML} | head 5 | table _time")),
        search(&format!("{XML} | sort 5 - _time | table _time"))
    );
    assert_eq!(
        search(&format!("{XML} | tail 5 | table _time")),
        search(&format!("{XML} | sort 5 _time | table _time"))
    );
    // The order is the events' as searched, even once `table` kept only other fields.
    assert_eq!(
        search(&format!("{XML} | table host | head 5")),
        search(&format!("{XML} | sort 5 - _time | table host"))
    );
    // `reverse` turns newest first into oldest first.
    assert_eq!(
        search(&format!("{XML} | reverse | head 5 | table _time")),
        search(&format!("{XML} | tail 5 | table _time"))
    );
}

#[test]
fn dedup_keeps_the_latest_event_of_each_key_and_list_starts_with_it() {
    let mut kept = search(&format!("{XML} | dedup host | eval t=_time | table host t"));
    kept.sort();
    let latest = search(&format!("{XML} | stats max(_time) as t by host | table host t"));
    assert_eq!(kept, latest);
    let first_listed = search(&format!("{XML} | stats list(_time) as t by host | eval t=mvindex(t, 0) | table host t"));
    assert_eq!(first_listed, latest);
}

/// Failed logons of three users at known seconds past 2024-01-01 00:00 UTC, in no time order in
/// the file (the search gives them newest first).
fn logons(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("logons.json");
    let offsets = [("alice", 250), ("bob", 50), ("alice", 1000), ("carol", 200), ("alice", 0), ("bob", 320)];
    let lines: Vec<String> = offsets
        .iter()
        .chain(&[("alice", 100), ("alice", 400)])
        .map(|(u, s)| format!(r#"{{"_time":{},"user":"{u}","action":"failure"}}"#, 1_704_067_200 + s))
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    file
}

fn search_in(events: &std::path::Path, spl: &str) -> Vec<String> {
    let o = run(&["search", spl, "--events", events.to_str().unwrap(), "--format", "json", "-q"]);
    assert!(o.status.success(), "{spl}: {}", stderr(&o));
    rows(&o).iter().map(flat).collect()
}

/// Splunk's streamstats reference: `time_window` counts, per `by` group, the events whose
/// `_time` is within the span of the current event's; newest first, those less than 5m after
/// it (alice at 400s is 600s from 1000s: alone; at 0s, 250s and 100s are in, 400s is not).
/// Its dedup reference: `sortby` sorts the events dedup kept (each user's newest), it does not
/// choose them (sorting first would keep alice at 0s).
#[test]
fn streamstats_time_window_counts_per_user_within_the_span_and_dedup_sortby_sorts_what_it_kept() {
    let tmp = tempfile::Builder::new().prefix("spelunk-time-window-").tempdir().unwrap();
    let events = logons(tmp.path());
    let at = "eval t=_time-1704067200";
    assert_eq!(
        search_in(&events, &format!("* | streamstats time_window=5m count by user | {at} | table user t count")),
        [
            "user=alice t=1000 count=1",
            "user=alice t=400 count=1",
            "user=bob t=320 count=1",
            "user=alice t=250 count=2",
            "user=carol t=200 count=1",
            "user=alice t=100 count=2",
            "user=bob t=50 count=2",
            "user=alice t=0 count=3",
        ]
    );
    assert_eq!(
        search_in(&events, &format!("* | {at} | dedup user sortby +t | table user t")),
        ["user=carol t=200", "user=bob t=320", "user=alice t=1000"]
    );
    // Bad arguments are errors shown where they are written; out of time order, at run time.
    for (spl, what) in [
        ("* | streamstats time_window=5x count by user", "cannot read time_window `5x`"),
        ("* | dedup user sortby", "dedup sortby needs a field"),
        ("* | sort 0 user | streamstats time_window=5m count", "needs the results in time order"),
    ] {
        let o = run(&["search", spl, "--events", events.to_str().unwrap(), "-q"]);
        assert_eq!(o.status.code(), Some(1), "{spl}");
        let err = stderr(&o);
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
}
