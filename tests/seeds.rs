//! The two seed detections, run as-is by the real CLI over the bundled example events, must
//! return exactly the rows Splunk would (see examples/README.md for how they were derived).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

const REGASM: &str = "content/detections/endpoint/detect_regasm_with_network_connection.yml";
const REGSVCS: &str = "content/detections/endpoint/detect_regsvcs_with_network_connection.yml";
const EVENTS: &str = "examples/sysmon_network.log";

fn regasm_expected() -> Vec<&'static str> {
    vec![
        "dest=WIN-WS01.acme.local user=alice process_name=RegAsm.exe src_ip=10.1.20.11 dest_ip=172.15.255.255 count=1 firstTime=2024-03-12T09:04:27 lastTime=2024-03-12T09:04:27",
        "dest=WIN-WS01.acme.local user=alice process_name=RegAsm.exe src_ip=10.1.20.11 dest_ip=172.32.0.1 count=1 firstTime=2024-03-12T09:05:19 lastTime=2024-03-12T09:05:19",
        "dest=WIN-WS01.acme.local user=alice process_name=RegAsm.exe src_ip=10.1.20.11 dest_ip=198.51.100.7 count=2 firstTime=2024-03-12T09:06:33 lastTime=2024-03-12T09:12:32",
        "dest=WIN-WS01.acme.local user=alice process_name=RegAsm.exe src_ip=10.1.20.11 dest_ip=203.0.113.45 count=3 firstTime=2024-03-12T09:01:43 lastTime=2024-03-12T09:09:55",
        "dest=WIN-WS02.acme.local user=bob process_name=REGASM.EXE src_ip=10.1.20.12 dest_ip=11.0.0.1 count=1 firstTime=2024-03-12T09:16:22 lastTime=2024-03-12T09:16:22",
        "dest=WIN-WS02.acme.local user=bob process_name=REGASM.EXE src_ip=10.1.20.12 dest_ip=203.0.113.45 count=2 firstTime=2024-03-12T09:15:15 lastTime=2024-03-12T09:21:11",
        "dest=WIN-WS02.acme.local user=bob process_name=regasm.exe src_ip=10.1.20.12 dest_ip=192.0.2.200 count=1 firstTime=2024-03-12T09:18:34 lastTime=2024-03-12T09:18:34",
        "dest=WIN-WS02.acme.local user=bob process_name=regasm.exe src_ip=10.1.20.12 dest_ip=192.169.0.1 count=1 firstTime=2024-03-12T09:18:45 lastTime=2024-03-12T09:18:45",
    ]
}

#[test]
fn regasm_seed_returns_exact_rows_in_by_order() {
    let o = run(&["run", REGASM, "--events", EVENTS, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    assert_eq!(got, regasm_expected());
    let err = stderr(&o);
    // Only the 21 records that hold `regasm.exe` and the EventID the search needs are parsed.
    assert!(err.contains("1 files read, 53 events read, 21 parsed, 0 skipped as malformed"), "{err}");
}

#[test]
fn regsvcs_seed_returns_exact_rows() {
    let o = run(&["run", REGSVCS, "--events", EVENTS, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    assert_eq!(
        got,
        vec![
            "dest=WIN-WS01.acme.local user=alice process_name=RegSvcs.exe src_ip=10.1.20.11 dest_ip=198.51.100.99 count=2 firstTime=2024-03-12T09:25:20 lastTime=2024-03-12T09:27:26",
            "dest=WIN-WS02.acme.local user=SYSTEM process_name=REGSVCS.EXE src_ip=10.1.20.12 dest_ip=11.0.0.1 count=2 firstTime=2024-03-12T09:29:14 lastTime=2024-03-12T09:31:47",
            "dest=WIN-WS02.acme.local user=SYSTEM process_name=REGSVCS.EXE src_ip=10.1.20.12 dest_ip=172.32.0.1 count=1 firstTime=2024-03-12T09:30:00 lastTime=2024-03-12T09:30:00",
            "dest=WIN-WS02.acme.local user=bob process_name=regsvcs.exe src_ip=10.1.20.12 dest_ip=198.51.100.99 count=1 firstTime=2024-03-12T09:28:08 lastTime=2024-03-12T09:28:08",
        ]
    );
}

#[test]
fn corpus_seed_files_run_unmodified_with_security_content() {
    let content = shared().join("security_content");
    let run_corpus = |file: &str| {
        let det = content.join("detections/endpoint").join(file);
        let o = run(&[
            "run",
            det.to_str().unwrap(),
            "--content",
            content.to_str().unwrap(),
            "--events",
            EVENTS,
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        rows(&o)
    };
    let got: Vec<String> = run_corpus("detect_regasm_with_network_connection.yml").iter().map(flat).collect();
    assert_eq!(got, regasm_expected());
    assert_eq!(run_corpus("detect_regsvcs_with_network_connection.yml").len(), 4);
}

#[test]
fn filter_macro_override_by_flag_removes_exactly_those_rows() {
    let o = run(&[
        "run",
        REGASM,
        "--events",
        EVENTS,
        "--format",
        "json",
        "--macro",
        "detect_regasm_with_network_connection_filter=search dest_ip!=203.0.113.45",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    let want: Vec<&str> = regasm_expected().into_iter().filter(|r| !r.contains("dest_ip=203.0.113.45 ")).collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 6);
}

#[test]
fn filter_macro_override_by_file_removes_exactly_those_rows() {
    let tmp = tempfile::Builder::new().prefix("spelunk-filter-").tempdir().unwrap();
    let dir = tmp.path();
    let f = dir.join("filters.yml");
    std::fs::write(&f, "- name: detect_regasm_with_network_connection_filter\n  definition: search NOT (user=bob process_name=regasm.exe)\n").unwrap();
    let o = run(&["run", REGASM, "--events", EVENTS, "--format", "json", "--macros-file", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    // Search values ignore case: REGASM.EXE rows of bob go too; alice's stay.
    let want: Vec<&str> = regasm_expected().into_iter().filter(|r| !r.contains("user=bob")).collect();
    assert_eq!(got, want);
}

#[test]
fn undefined_macro_is_an_error_with_a_caret_in_the_original_text() {
    let o = run(&["search", "`nosuch_macro` EventID=3 | stats count", "--events", EVENTS]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("nosuch_macro"), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn unsupported_command_names_itself_and_its_position() {
    let o = run(&["search", "EventID=3 | frobnicate x", "--events", EVENTS]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("frobnicate"), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn commands_not_run_offline_say_why() {
    // `anomalydetection` is core SPL (not the Machine Learning Toolkit): it is said to be not implemented.
    for (spl, why) in [
        ("EventID=3 | stats count by host | anomalydetection count", "statistical analysis; not implemented yet"),
        ("EventID=3 | apply some_model", "Machine Learning Toolkit model; not available offline"),
    ] {
        let o = run(&["search", spl, "--events", EVENTS]);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains(why), "{err}");
        assert!(err.contains('^'), "{err}");
    }
}

#[test]
fn outlier_options_are_checked_where_written() {
    for (spl, what) in [
        ("EventID=3 | stats count by host | outlier action=drop count", "outlier action `drop`"),
        ("EventID=3 | stats count by host | outlier param=-1 count", "outlier param `-1`"),
        ("EventID=3 | stats count by host | outlier window=5 count", "outlier option `window=5`"),
    ] {
        let o = run(&["search", spl, "--events", EVENTS]);
        assert_eq!(o.status.code(), Some(1), "{spl}");
        let err = stderr(&o);
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
    // Counts 1..7 and 10^6: p25 = 3, p75 = 6, so 10^6 is above 6 + 2.5 * 3 and its row goes.
    let spl = "| makeresults count=8 | streamstats count as n | eval count=if(n=8, 1000000, n) | outlier action=rm count | stats count max(count) as top";
    let o = run(&["search", spl, "--events", EVENTS, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), r#"{"count":7,"top":7}"#);
}

// Splunk's search reference for delta, autoregress, accum and filldown (see ops/streaming.rs):
// the third result has no x, so the fourth has no delta (x is not a number in one of the two),
// no x_p1 and no running total of its own; filldown then gives the third result the x before.
#[test]
fn streaming_delta_autoregress_accum_filldown_carry_values_from_earlier_results() {
    let spl = "| makeresults count=5 | streamstats count as n | eval x=if(n=3, null(), n*n) | fields - _time \
               | delta x | autoregress x p=1-2 | accum x AS total | delta n AS dn p=2 | filldown x";
    let o = run(&["search", spl, "--events", EVENTS, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec![
            r#"{"n":1,"x":1,"total":1}"#,
            r#"{"n":2,"x":4,"delta(x)":3,"x_p1":1,"total":5}"#,
            r#"{"n":3,"x_p1":4,"x_p2":1,"dn":2,"x":4}"#,
            r#"{"n":4,"x":16,"x_p2":4,"total":21,"dn":2}"#,
            r#"{"n":5,"x":25,"delta(x)":9,"x_p1":16,"total":46,"dn":2}"#,
        ]
    );
    for (spl, what) in [
        ("| makeresults | autoregress n AS m p=1-3", "autoregress AS with the range p=1-3"),
        ("| makeresults | delta n p=0", "delta p `0`"),
        ("| makeresults | filldown n keep=true", "filldown option `keep=true`"),
    ] {
        let o = run(&["search", spl, "--events", EVENTS]);
        assert_eq!(o.status.code(), Some(1), "{spl}");
        let err = stderr(&o);
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
}

#[test]
fn stats_count_without_input_gives_one_zero_row() {
    let o = run(&["search", "EventID=999999 | stats count", "--events", EVENTS, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), r#"{"count":0}"#);
}

#[test]
fn broken_events_are_counted_and_the_rest_is_read() {
    let tmp = tempfile::Builder::new().prefix("spelunk-broken-").tempdir().unwrap();
    let dir = tmp.path();
    let good = std::fs::read_to_string(root().join(EVENTS)).unwrap();
    let mut lines: Vec<&str> = good.split("\r\n").filter(|l| !l.is_empty()).collect();
    lines
        .insert(3, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>3</EventID>");
    let f = dir.join("broken.log");
    std::fs::write(&f, lines.join("\r\n")).unwrap();
    let o = run(&["run", REGASM, "--events", f.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows(&o).len(), 8);
    assert!(stderr(&o).contains("1 skipped as malformed"), "{}", stderr(&o));
    let strict = run(&["run", REGASM, "--events", f.to_str().unwrap(), "--format", "json", "--strict"]);
    assert_eq!(strict.status.code(), Some(3), "{}", stderr(&strict));
}

#[test]
fn real_sysmon_network_records_get_the_add_on_field_names() {
    let f = shared().join("attack_data/datasets/attack_techniques/T1649/certify_abuse/certify_esc1_abuse_sysmon.log");
    let o = run(&[
        "search",
        "`sysmon` EventID=3 | head 1 | table _time dest user process_name process_path process_id process_guid src_ip src_port dest_ip dest_port dest_host transport action",
        "--events",
        f.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    assert_eq!(
        got,
        vec![
            r"_time=2023-06-09T14:48:51.188+00:00 dest=attack_pc.attack_range.local user=attack_user process_name=certipy.exe process_path=C:\Users\attack_user\Desktop\Temp\certipy.exe process_id=8352 process_guid={78198d03-3bcf-6483-8083-c60c00000000} src_ip=192.168.1.10 src_port=2411 dest_ip=192.168.2.10 dest_port=88 dest_host=dc.attack_range.local transport=tcp action=allowed"
        ]
    );
}

#[test]
fn times_print_in_utc_unless_tz_is_given() {
    let spl =
        "`sysmon` EventID=3 process_name=regasm.exe | stats min(_time) as t | eval t=strftime(t, \"%H:%M\") | table t";
    let utc = run(&["search", spl, "--events", EVENTS, "--format", "json"]);
    assert_eq!(stdout(&utc).trim(), r#"{"t":"09:01"}"#, "{}", stderr(&utc));
    let plus2 = run(&["search", spl, "--events", EVENTS, "--format", "json", "--tz", "+02:00"]);
    assert_eq!(stdout(&plus2).trim(), r#"{"t":"11:01"}"#, "{}", stderr(&plus2));
}

#[test]
fn a_pack_runs_subsearches_together_with_the_same_rows_as_one_by_one() {
    let tmp = tempfile::Builder::new().prefix("spelunk-pack-").tempdir().unwrap();
    let dir = tmp.path();
    let dets = [
        (
            "join",
            r#"`sysmon` EventID=3 process_name=regasm.exe | stats count by dest | join dest [search `sysmon` EventID=3 process_name=regsvcs.exe | stats count as svcs by dest]"#,
        ),
        (
            "sub",
            r#"`sysmon` EventID=3 [search `sysmon` process_name=regsvcs.exe | head 1 | fields user] | stats count by user"#,
        ),
        ("append", r#"`sysmon` EventID=1 | stats count | append [search `sysmon` EventID=22 | stats count as dns]"#),
        // A data-model search fed the rows the first pass kept for it.
        (
            "tstats_join",
            r#"| tstats count from datamodel=Endpoint.Processes by Processes.process_id Processes.process_name Processes.dest | rename Processes.* as * | join process_id [| tstats count as conns from datamodel=Network_Traffic.All_Traffic by All_Traffic.process_id | rename All_Traffic.process_id as process_id]"#,
        ),
        // Another, over the same dataset, whose records must hold `regasm.exe`: of the kept
        // rows it is fed only those of such records.
        (
            "tstats_join_regasm",
            r#"| tstats count from datamodel=Endpoint.Processes where Processes.process_name=regasm.exe by Processes.process_id Processes.dest | rename Processes.* as * | join process_id [| tstats count as conns from datamodel=Network_Traffic.All_Traffic by All_Traffic.process_id | rename All_Traffic.process_id as process_id]"#,
        ),
        // Data-model rows bucketed by `_time` are made per search from the event's row: fed a
        // batch of events search by search, each must get its own event's row.
        (
            "tstats_span",
            r#"| tstats count from datamodel=Endpoint.Processes by _time span=1m Processes.process_name Processes.dest"#,
        ),
        // A search owning no subsearch: it rides the first pass, its aggregations finishing
        // there with the subsearches'.
        (
            "rider",
            r#"`sysmon` EventID=1 | stats count by process_name | eventstats sum(count) as total | sort - count"#,
        ),
        // A search over events, not a data model, owning a subsearch: the first pass keeps
        // the records naming regasm.exe for it, and the second reads those, not the input.
        (
            "event_join",
            r#"`sysmon` EventCode=1 regasm.exe | join ProcessId [search `sysmon` EventCode=3 | stats count as conns by ProcessId] | table ProcessId Image conns"#,
        ),
        // A subsearch that reads no events, run before the pass.
        (
            "event_free",
            r#"| tstats count from datamodel=Endpoint.Processes where [| makeresults | eval Processes.process_name="regasm.exe" | table Processes.process_name] by Processes.dest Processes.process_name"#,
        ),
    ];
    let mut files = Vec::new();
    for (name, spl) in dets {
        let f = dir.join(format!("{name}.yml"));
        std::fs::write(&f, format!("name: {name}\nsearch: '{}'\n", spl.replace('\'', "''"))).unwrap();
        files.push(f.display().to_string());
    }
    let mut one_by_one = Vec::new();
    for (f, (name, _)) in files.iter().zip(dets) {
        let o = run(&["run", f, "--events", EVENTS, "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        one_by_one.extend(rows(&o).iter().map(|r| format!("search_name={name} {}", flat(r))));
    }
    let mut args = vec!["run"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--events", EVENTS, "--format", "json"]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let together: Vec<String> = rows(&o).iter().map(flat).collect();
    assert!(!together.is_empty());
    assert_eq!(together, one_by_one);
    for name in ["tstats_join", "tstats_join_regasm", "tstats_span", "event_join", "event_free", "rider"] {
        assert!(
            together.iter().any(|r| r.starts_with(&format!("search_name={name} "))),
            "{name} gave rows: {together:?}"
        );
    }
    // The data-model searches with subsearches took the kept rows, the others over events
    // (`sub` too, its requirement before its subsearch ran being its `EventID=3`) the kept
    // events; the searches without subsearches rode the first pass.
    args.push("--profile");
    let o = run(&args);
    let err = stderr(&o);
    assert!(err.contains("profile: 2 of the searches with subsearches took the data-model rows kept"), "{err}");
    assert!(err.contains("profile: 4 of the searches with subsearches read the events kept for them"), "{err}");
    // Each was fed the kept rows of the records its own requirement admits: all process
    // events for the first, those naming regasm.exe for the second.
    let fed = |name: &str| -> u64 {
        let line = err.lines().find(|l| l.ends_with(&format!("  {name}"))).unwrap_or_else(|| panic!("{name} in {err}"));
        line.split_whitespace().next().unwrap().parse().unwrap()
    };
    let (all, regasm) = (fed("tstats_join"), fed("tstats_join_regasm"));
    assert!(0 < regasm && regasm < all, "regasm rows {regasm}, all rows {all}");
}

#[test]
fn profile_lists_each_search_with_the_events_routed_to_it_and_leaves_rows_alone() {
    let o = run(&["run", REGASM, REGSVCS, "--events", EVENTS, "--format", "json", "--profile"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let table = err.split("profile: ").nth(1).expect("a profile on stderr");
    assert!(table.starts_with(|c: char| c.is_ascii_digit()) && table.contains("in 2 searches"), "{err}");
    for name in ["Detect Regasm with Network Connection", "Detect Regsvcs with Network Connection"] {
        let line = table.lines().find(|l| l.ends_with(name)).unwrap_or_else(|| panic!("{name} in {table}"));
        let events: u64 = line.split_whitespace().next().unwrap().parse().unwrap();
        assert!(events > 0, "{line}");
    }
    let regasm: Vec<String> = rows(&o)
        .iter()
        .filter(|r| r.get("search_name").and_then(|v| v.as_str()) == Some("Detect Regasm with Network Connection"))
        .map(|r| {
            let mut r = r.clone();
            r.shift_remove("search_name");
            flat(&r)
        })
        .collect();
    assert_eq!(regasm, regasm_expected());
    // Its `stats` held one group per result row until the end of input.
    let held = err.split("rows held to the end of input").nth(1).expect("a memory list on stderr");
    let line = held
        .lines()
        .find(|l| l.ends_with("Detect Regasm with Network Connection"))
        .unwrap_or_else(|| panic!("regasm in {held}"));
    assert_eq!(line.split_whitespace().next().unwrap(), regasm.len().to_string(), "{line}");
}

#[test]
fn fields_no_search_reads_are_not_extracted_and_results_do_not_change() {
    // `| fields *` takes every field by wildcard, so that run extracts everything.
    for q in [
        "EventID=3 | stats count by dest_ip, signature",
        "EventID=3 | stats values(MD5) AS md5 by process_name",
        "search process_name=regasm.exe | eval d=lower(dest) | stats count by d, user",
        "| tstats count from datamodel=Network_Traffic.All_Traffic by All_Traffic.dest_ip",
    ] {
        let lean = run(&["search", q, "--events", EVENTS, "--format", "json"]);
        let full = run(&["search", &format!("{q} | fields *"), "--events", EVENTS, "--format", "json"]);
        assert!(lean.status.success(), "{q}: {}", stderr(&lean));
        assert!(!rows(&lean).is_empty(), "{q}");
        assert_eq!(stdout(&lean), stdout(&full), "{q}");
    }
}

#[test]
fn map_searches_find_their_events_through_the_prefiltered_scan() {
    // The template's literal (`regasm.exe`) lets map's scan skip other records unparsed; the
    // five regasm connections to 203.0.113.45 (3 by alice, 2 by bob) must all be found.
    let q = r#"| makeresults | eval ip="203.0.113.45" | map search="search process_name=regasm.exe dest_ip=$ip$ | stats count""#;
    let o = run(&["search", q, "--events", EVENTS, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows(&o).iter().map(flat).collect::<Vec<_>>(), ["count=5"]);
}

/// The rows of `q` over the bundled Security 4688 records, with `--FLAG VALUE` when given.
fn security_rows(q: &str, forced: Option<(&str, &str)>) -> Vec<String> {
    let mut args = vec!["search", q, "--events", "examples/security_4688.log", "--format", "json", "-q"];
    if let Some((flag, value)) = forced {
        args.extend([flag, value]);
    }
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    rows(&o).iter().map(flat).collect()
}

#[test]
fn a_forced_sourcetype_is_the_one_searches_and_the_prefilter_see() {
    // `--sourcetype` overrides the XML reader's own: the raw-byte prefilter must judge
    // `sourcetype=` conditions on the forced one too, or it drops the records unparsed.
    let counts = |q: &str, forced: Option<&str>| security_rows(q, forced.map(|st| ("--sourcetype", st)));
    let forced = Some("XmlWinEventLog:Security");
    assert_eq!(counts(r#"sourcetype="XmlWinEventLog:Security" EventCode=4688 | stats count"#, forced), ["count=11"]);
    assert_eq!(counts("sourcetype=XmlWinEventLog EventCode=4688 | stats count", forced), ["count=0"]);
    assert_eq!(counts("sourcetype=XmlWinEventLog EventCode=4688 | stats count", None), ["count=11"]);
}

#[test]
fn source_and_index_searches_see_what_the_prefilter_sees() {
    // Before parsing, the prefilter reads a record's `source` off its channel
    // (`XmlWinEventLog:Security` here) and takes its index as `main`, which extraction gives
    // records naming none; `--source` overrides the channel for both.
    let counts = |q: &str, forced: Option<&str>| security_rows(q, forced.map(|source| ("--source", source)));
    assert_eq!(counts(r#"source="XmlWinEventLog:Security" EventCode=4688 | stats count"#, None), ["count=11"]);
    assert_eq!(counts("source=xmlwineventlog:secur* | stats count", None), ["count=11"]);
    assert_eq!(counts("source=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational | stats count", None), ["count=0"]);
    assert_eq!(counts("index=main EventCode=4688 | stats count", None), ["count=11"]);
    assert_eq!(counts("index=risk | stats count", None), ["count=0"]);
    let applocker = Some("XmlWinEventLog:Microsoft-Windows-AppLocker/EXE and DLL");
    assert_eq!(
        counts(r#"source="XmlWinEventLog:Microsoft-Windows-AppLocker/*" | stats count"#, applocker),
        ["count=11"]
    );
    assert_eq!(counts(r#"source="XmlWinEventLog:Security" | stats count"#, applocker), ["count=0"]);
}

#[test]
fn a_detection_on_a_source_or_index_is_routed_not_run_on_every_record() {
    // ESCU's `applocker` macro is `(source="WinEventLog:Microsoft-Windows-AppLocker/*" OR
    // source="XmlWinEventLog:Microsoft-Windows-AppLocker/*")`, and the Risk data model is
    // `index=risk`: both are told before parsing, so other records are skipped unparsed.
    let sc = shared().join("security_content");
    let explain = |file: &str| {
        let o = run(&[
            "explain",
            sc.join("detections/endpoint").join(file).to_str().unwrap(),
            "--content",
            sc.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let applocker = explain("windows_applocker_execution_from_uncommon_locations.yml");
    assert!(
        applocker.contains(
            "(source=wineventlog:microsoft-windows-applocker/* OR source=xmlwineventlog:microsoft-windows-applocker/*)"
        ),
        "{applocker}"
    );
    let risk = explain("windows_common_abused_cmd_shell_risk_behavior.yml");
    assert!(risk.contains("index=risk"), "{risk}");
    assert!(!risk.contains("every record is parsed"), "{risk}");
}

#[test]
fn explain_takes_a_folder_of_detections_as_run_does() {
    // A folder is not SPL text: each detection in it is explained, in file order.
    let o = run(&["explain", "content/detections/endpoint"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let names: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("detection: ")).collect();
    assert_eq!(names.len(), 3, "{out}");
    assert!(names.iter().all(|n| n.contains("content/detections/endpoint/")), "{names:?}");
    assert_eq!(out.matches("\nprefilter (").count(), 3, "{out}");
    // A folder with no detection says so.
    let o = run(&["explain", "examples"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("examples: no detection"), "{}", stderr(&o));
}

// Splunk's chart, xyseries and untable (help.splunk.com search reference; the rules are in
// spl-engine/src/ops/chart.rs and ops/reshape.rs): a row per host, a column per kind, count 0
// where a host has no event of a kind; untable gives a row per cell, xyseries turns it back.
#[test]
fn chart_xyseries_untable_pivot_and_unpivot_rows() {
    let base =
        r#"| makeresults count=6 | streamstats count as n | eval host=if(n<4,"a","b"), kind=if(n%2=0,"even","odd")"#;
    let rows = |tail: &str| {
        let o = run(&["search", &format!("{base} | {tail}"), "--format", "json"]);
        assert!(o.status.success(), "{tail}: {}", stderr(&o));
        stdout(&o).lines().map(String::from).collect::<Vec<_>>()
    };
    let table = [r#"{"host":"a","even":1,"odd":2}"#, r#"{"host":"b","even":2,"odd":1}"#];
    assert_eq!(rows("chart count over host by kind"), table);
    assert_eq!(rows("chart count by host kind"), table);
    // even and odd total 3 each: the tie goes by name, odd is folded into OTHER (here `rest`).
    assert_eq!(
        rows("chart count over host by kind limit=1 otherstr=rest"),
        [r#"{"host":"a","even":1,"rest":2}"#, r#"{"host":"b","even":2,"rest":1}"#]
    );
    assert_eq!(
        rows("chart count max(n) over host by kind"),
        [
            r#"{"host":"a","count: even":1,"count: odd":2,"max(n): even":2,"max(n): odd":3}"#,
            r#"{"host":"b","count: even":2,"count: odd":1,"max(n): even":6,"max(n): odd":5}"#,
        ]
    );
    let cells = [
        r#"{"host":"a","kind":"even","count":1}"#,
        r#"{"host":"a","kind":"odd","count":2}"#,
        r#"{"host":"b","kind":"even","count":2}"#,
        r#"{"host":"b","kind":"odd","count":1}"#,
    ];
    assert_eq!(rows("chart count over host by kind | untable host kind count"), cells);
    assert_eq!(rows("stats count by host kind | xyseries host kind count"), table);
    assert_eq!(rows("chart count over host by kind | untable host kind count | xyseries host kind count"), table);
    assert_eq!(
        rows("stats sum(n) as total by host kind | xyseries host kind total"),
        [r#"{"host":"a","even":2,"odd":4}"#, r#"{"host":"b","even":10,"odd":5}"#]
    );
    for (tail, what) in [
        ("chart count over host by kind limit=abc", "chart limit `abc`"),
        ("chart count over n span=2 by kind", "chart bucketing option `span=2`"),
        ("chart count over host by kind by n", "one row field and one column field"),
        ("xyseries host kind", "xyseries takes <x-field> <y-name-field> <y-data-field>"),
        ("untable host kind", "untable takes three fields"),
    ] {
        let o = run(&["search", &format!("{base} | {tail}")]);
        assert_eq!(o.status.code(), Some(1), "{tail}");
        let err = stderr(&o);
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
}

// Splunk's strcat, rangemap, uniq, addinfo and transpose (help.splunk.com search reference; the
// rules and the choices where it is silent are in spl-engine/src/ops/simple.rs).
#[test]
fn strcat_rangemap_uniq_addinfo_transpose_give_splunks_rows() {
    let base = "| makeresults count=3 | streamstats count as n";
    let rows = |tail: &str| {
        let o = run(&["search", &format!("{base} | {tail}"), "--format", "json", "--now", "1700000000"]);
        assert!(o.status.success(), "{tail}: {}", stderr(&o));
        stdout(&o).lines().map(String::from).collect::<Vec<_>>()
    };
    let t = r#""_time":"2023-11-14T22:13:20.000+00:00""#;
    // A missing source is an empty string; with allrequired=t nothing is written.
    assert_eq!(
        rows(r#"strcat "n=" n "/" missing id | strcat allrequired=t n missing id2"#),
        [1, 2, 3].map(|n| format!(r#"{{{t},"n":{n},"id":"n={n}/"}}"#))
    );
    // Inclusive ranges; overlapping ones give a multivalue; no match gives default (None).
    assert_eq!(
        rows("rangemap field=n Low=1-2 high=2-2.5"),
        [
            format!(r#"{{{t},"n":1,"range":"Low"}}"#),
            format!(r#"{{{t},"n":2,"range":["Low","high"]}}"#),
            format!(r#"{{{t},"n":3,"range":"None"}}"#),
        ]
    );
    assert_eq!(rows("rangemap field=n low=-1-0 default=severe").len(), 3);
    // Only a result identical to the one before it goes.
    assert_eq!(rows("eval n=if(n=2,1,n) | uniq"), [format!(r#"{{{t},"n":1}}"#), format!(r#"{{{t},"n":3}}"#)]);
    // An all-time search run at --now, with one id for the run.
    let info = rows("addinfo | fields - info_sid");
    let fixed = r#""info_min_time":0,"info_max_time":"+Infinity","info_search_time":1700000000"#;
    assert_eq!(info, [1, 2, 3].map(|n| format!(r#"{{{t},"n":{n},{fixed}}}"#)));
    let sids: Vec<String> = rows("addinfo | table info_sid");
    assert!(sids.iter().all(|s| s == &sids[0] && s.contains("spelunk_")), "{sids:?}");
    // A row per field, a column per result.
    assert_eq!(
        rows("transpose"),
        [
            r#"{"column":"_time","row 1":1700000000,"row 2":1700000000,"row 3":1700000000}"#,
            r#"{"column":"n","row 1":1,"row 2":2,"row 3":3}"#,
        ]
    );
    assert_eq!(
        rows(
            r#"eval name="r".n, e="" | fields - _time | transpose 2 header_field=name column_name=field include_empty=f"#
        ),
        [r#"{"field":"n","r1":1,"r2":2}"#]
    );
    for (tail, what) in [
        ("rangemap field=n low=5-1", "rangemap range `low=5-1`"),
        ("strcat n", "strcat takes source fields or quoted strings"),
        ("transpose rows=2", "transpose option `rows=2`"),
        ("uniq n", "uniq takes no arguments"),
    ] {
        let o = run(&["search", &format!("{base} | {tail}")]);
        assert_eq!(o.status.code(), Some(1), "{tail}");
        let err = stderr(&o);
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
}

// Splunk's format and return (help.splunk.com SPL search reference 9.4, search-commands/format
// and search-commands/return; rules in spl-engine/src/ops/subsearch_format.rs): at the end of a
// subsearch their `search` field is put in place of the brackets as written SPL, so each filter
// keeps exactly the events of the written-out search; at top level they give that one row.
#[test]
fn format_and_return_subsearches_filter_like_the_written_search() {
    let count = |spl: &str| {
        let o = run(&["search", &format!("{spl} | stats count"), "--events", EVENTS, "--format", "json"]);
        assert!(o.status.success(), "{spl}: {}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    for (sub, written, n) in [
        // ( ( User="ACME\\bob" AND process_name="installutil.exe" ) OR ( User="ACME\\alice" … ) )
        (
            "[search EventID=3 process_name=installutil.exe | dedup User process_name | fields User process_name | format]",
            r#"(User="ACME\\alice" process_name=installutil.exe) OR (User="ACME\\bob" process_name=installutil.exe)"#,
            5,
        ),
        // User="ACME\alice": return does not escape, and `\a` reads back as itself.
        ("[search EventID=3 process_name=loader.exe | return User]", r#"User="ACME\\alice""#, 22),
        // Five distinct names, (process_name="…") OR …, matched ignoring case as written.
        (
            "[search EventID=3 process_name=*regsvcs* | dedup process_name | return 10 process_name]",
            "process_name=*regsvcs*",
            12,
        ),
        (
            r#"[| makeresults | eval q="process_name=chrome.exe OR process_name=onedrive.EXE" | return $q]"#,
            "(process_name=chrome.exe OR process_name=OneDrive.exe)",
            2,
        ),
    ] {
        let want = format!(r#"{{"count":{n}}}"#);
        assert_eq!(count(&format!("EventID=3 {written}")), want, "{written}");
        assert_eq!(count(&format!("EventID=3 {sub}")), want, "{sub}");
    }

    // Top level: the one `search` row (reference examples: fields in name order, `NOT ( )`).
    let base = r#"| makeresults count=2 | streamstats count as n | eval user=if(n=1,"alice","bob"), p=if(n=1,"C:\\a.exe","b")"#;
    for (tail, want) in [
        (
            "fields user p | format",
            r#"{"search":"( ( p=\"C:\\\\a.exe\" AND user=\"alice\" ) OR ( p=\"b\" AND user=\"bob\" ) )"}"#,
        ),
        (
            "format maxresults=1 mvsep=\"||\" \"\" \"[\" \",\" \"]\" \"\" \"\"",
            r#"{"search":"[ n=\"1\" , p=\"C:\\\\a.exe\" , user=\"alice\" ]"}"#,
        ),
        ("where n > 5 | format", r#"{"search":"NOT ( )"}"#),
        ("return 2 u=user $n", r#"{"search":"(u=\"alice\" 1) OR (u=\"bob\" 2)"}"#),
    ] {
        let o = run(&["search", &format!("{base} | {tail}"), "--format", "json"]);
        assert!(o.status.success(), "{tail}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim(), want, "{tail}");
    }

    for (spl, what) in [
        (r#"| makeresults | format "(" "(""#, "format takes all six row and column strings or none"),
        ("| makeresults | format maxresults=all", "format maxresults `all`"),
        ("| makeresults | return 3", "return needs a field"),
        // A run-time error: the subsearch's text is not a search.
        (r#"EventID=3 [| makeresults | eval u="x" | format "(" "(" "AND" ")" "OR" "))"]"#, "is not a search"),
    ] {
        let o = run(&["search", spl, "--events", EVENTS]);
        assert_eq!(o.status.code(), Some(1), "{spl}");
        let err = stderr(&o);
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
}

/// `--index` puts every input in one index, as inputs.conf's `index` does: a data-source macro
/// naming an index then finds the events, over XML records judged before parsing and in a pack
/// (the router must not read the index off the record's text), and `index=main` no longer does.
#[test]
fn index_flag_puts_the_inputs_in_that_index_for_searches_and_packs() {
    let pack = |extra: &[&str]| {
        let mut args = vec!["run", "content/detections/endpoint/", "--events", "examples/", "--format", "json", "-q"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        rows(&o).iter().map(flat).collect::<Vec<_>>()
    };
    let plain = pack(&[]);
    assert_eq!(plain.len(), 14, "{plain:#?}");
    assert_eq!(pack(&["--macro", "sysmon=index=acme"]), Vec::<String>::new());
    assert_eq!(pack(&["--macro", "sysmon=index=acme", "--index", "acme"]), plain);
    let count = |q: &str, extra: &[&str]| {
        let mut args = vec!["search", q, "--events", EVENTS, "--format", "json", "-q"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        rows(&o).iter().map(flat).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(count("index=acme EventCode=3 | stats count", &["--index", "acme"]), "count=44");
    assert_eq!(count("index=main EventCode=3 | stats count", &["--index", "acme"]), "count=0");
    assert_eq!(count("index=main EventCode=3 | stats count", &[]), "count=44");
}
