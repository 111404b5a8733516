//! `--earliest`/`--latest`: the run's search time range, as Splunk's time picker sets it
//! (events with earliest <= _time < latest, subsearches included), through the real CLI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

const REGASM: &str = "content/detections/endpoint/detect_regasm_with_network_connection.yml";
const EVENTS: &str = "examples/sysmon_network.log";

#[test]
fn a_detection_sees_only_the_events_of_the_time_range() {
    let o = run(&["run", REGASM, "--events", EVENTS, "--format", "json", "--earliest", "03/12/2024:09:10:00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    // The seed's rows (tests/seeds.rs) from 09:10 on: the connection of 09:06 leaves its row,
    // the row of 09:01-09:09 goes.
    assert_eq!(
        got,
        [
            "dest=WIN-WS01.acme.local user=alice process_name=RegAsm.exe src_ip=10.1.20.11 dest_ip=198.51.100.7 count=1 firstTime=2024-03-12T09:12:32 lastTime=2024-03-12T09:12:32",
            "dest=WIN-WS02.acme.local user=bob process_name=REGASM.EXE src_ip=10.1.20.12 dest_ip=11.0.0.1 count=1 firstTime=2024-03-12T09:16:22 lastTime=2024-03-12T09:16:22",
            "dest=WIN-WS02.acme.local user=bob process_name=REGASM.EXE src_ip=10.1.20.12 dest_ip=203.0.113.45 count=2 firstTime=2024-03-12T09:15:15 lastTime=2024-03-12T09:21:11",
            "dest=WIN-WS02.acme.local user=bob process_name=regasm.exe src_ip=10.1.20.12 dest_ip=192.0.2.200 count=1 firstTime=2024-03-12T09:18:34 lastTime=2024-03-12T09:18:34",
            "dest=WIN-WS02.acme.local user=bob process_name=regasm.exe src_ip=10.1.20.12 dest_ip=192.169.0.1 count=1 firstTime=2024-03-12T09:18:45 lastTime=2024-03-12T09:18:45",
        ]
    );
    // The 13 records before 09:10 are judged on their raw SystemTime, before parsing (the
    // prefilter then parses 11 of the 40 left).
    let err = stderr(&o);
    assert!(err.contains("53 events read, 11 parsed, 0 skipped as malformed, 13 outside --earliest/--latest"), "{err}");
}

#[test]
fn the_time_range_is_the_inline_modifiers_for_every_search_and_addinfo_reports_it() {
    let log = shared().join("attack_data/datasets/attack_techniques/T1649/certify_abuse/certify_esc1_abuse_sysmon.log");
    let log = log.to_str().unwrap();
    let search = |spl: &str, extra: &[&str]| {
        let mut args = vec!["search", spl, "--events", log, "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{spl}: {}", stderr(&o));
        (rows(&o), stderr(&o))
    };
    let (all, _) = search("* | stats count", &[]);
    let all = all[0]["count"].as_u64().unwrap();
    // The time range is the inline `earliest=`/`latest=` of the search (end excluded).
    let range = ["--earliest", "06/09/2023:14:40:00", "--latest", "06/09/2023:14:48:00"];
    let (inline, _) = search("earliest=\"06/09/2023:14:40:00\" latest=\"06/09/2023:14:48:00\" | stats count", &[]);
    let want = inline[0]["count"].as_u64().unwrap();
    assert!(want > 0 && want < all, "{want} of {all}");
    let (got, err) = search("* | stats count", &range);
    assert_eq!(got[0]["count"].as_u64(), Some(want));
    assert!(err.contains(&format!("{} outside --earliest/--latest", all - want)), "{err}");
    // A subsearch inherits it.
    let (got, _) = search("* | stats count as a | appendcols [search * | stats count as b]", &range);
    assert_eq!((got[0]["a"].as_u64(), got[0]["b"].as_u64()), (Some(want), Some(want)));
    // addinfo gives it. Modifiers are relative to --now, in --tz: 14:50 UTC is 16:50 in UTC+2,
    // so -1h@h is 15:00 there, 13:00 UTC.
    let (got, _) = search("* | stats count | addinfo", &range);
    assert_eq!(got[0]["info_min_time"].as_f64(), Some(1_686_321_600.0));
    assert_eq!(got[0]["info_max_time"].as_f64(), Some(1_686_322_080.0));
    let (got, _) = search("| makeresults | addinfo", &["--now", "1686322200", "--tz", "+02:00", "--earliest", "-1h@h"]);
    assert_eq!(got[0]["info_min_time"].as_f64(), Some(1_686_315_600.0));
    assert_eq!(got[0]["info_max_time"].as_str(), Some("+Infinity"));
    // What is not a time, or an empty range, is a usage error.
    for (args, what) in [
        (["--earliest", "yesterday"], "--earliest `yesterday`: not a time"),
        (["--latest", "-1x"], "--latest `-1x`: not a time"),
    ] {
        let o = run(&[&["search", "*", "--events", log][..], &args[..]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
    }
    let o = run(&["search", "*", "--events", log, "--earliest", "-1d", "--latest", "-2d"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not before --latest"), "{}", stderr(&o));
}

#[test]
fn records_are_judged_on_their_raw_time_only_when_no_content_rule_moves_time() {
    // A content layer whose rule moves XmlWinEventLog times an hour on: every record of the
    // example (09:00-09:32 raw) is then at 10:00 or later, so a range from 09:10 keeps all of
    // them; judging the raw SystemTime would have dropped the 14 before 09:10.
    let tmp = tempfile::Builder::new().prefix("spelunk-time-").tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("sourcetypes")).unwrap();
    std::fs::write(
        tmp.path().join("sourcetypes/shift.yml"),
        "name: shift\nmatch:\n  sourcetype: XmlWinEventLog\nrules:\n  - eval:\n      _time: '_time + 3600'\n",
    )
    .unwrap();
    let content = tmp.path().to_str().unwrap();
    let count = |extra: &[&str]| {
        let mut args = vec!["search", "* | stats count", "--events", EVENTS, "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        rows(&o)[0]["count"].as_u64().unwrap()
    };
    assert_eq!(count(&["--earliest", "03/12/2024:09:10:00"]), 39, "judged on the raw time");
    assert_eq!(count(&["--earliest", "03/12/2024:09:10:00", "--content", content]), 53);
    // A rule for another sourcetype or source leaves raw judging on: the built-in content
    // moves `_time` for linux_secure, pan:traffic and source PINGID.
    let o = run(&["search", "* | stats count", "--events", EVENTS, "--earliest", "03/12/2024:09:10:00"]);
    assert!(stderr(&o).contains("53 events read, 39 parsed, 0 skipped as malformed, 14 outside"), "{}", stderr(&o));
}
