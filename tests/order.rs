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
