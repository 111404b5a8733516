//! SPL commands through the real CLI: `fieldsummary`, `tojson` and `multisearch` (Splunk's search
//! reference; the rules and the choices where it is silent are in the commands' modules under
//! spl-engine/src/ops/).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

/// The JSON Lines of a search that must succeed.
fn lines(args: &[&str]) -> Vec<String> {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o).lines().map(String::from).collect()
}

#[test]
fn fieldsummary_and_tojson_over_generated_results() {
    let base = "| makeresults count=4 | streamstats count AS n | eval kind=if(n<3,\"a\",\"b\"), flag=if(n=1,\"true\",\"0\"), mv=split(\"x,y\",\",\")";
    // One row per field in name order, `_time` left out; numeric columns over numeric values
    // only; a multivalue field counts once per result and each value once.
    assert_eq!(
        lines(&["search", &format!("{base} | fieldsummary"), "--format", "json"]),
        [
            r#"{"field":"flag","count":4,"distinct_count":2,"is_exact":1,"max":0,"mean":0,"min":0,"numeric_count":3,"stdev":0,"values":"[{\"value\":\"0\",\"count\":3},{\"value\":\"true\",\"count\":1}]"}"#,
            r#"{"field":"kind","count":4,"distinct_count":2,"is_exact":1,"numeric_count":0,"values":"[{\"value\":\"a\",\"count\":2},{\"value\":\"b\",\"count\":2}]"}"#,
            r#"{"field":"mv","count":4,"distinct_count":2,"is_exact":1,"numeric_count":0,"values":"[{\"value\":\"x\",\"count\":4},{\"value\":\"y\",\"count\":4}]"}"#,
            r#"{"field":"n","count":4,"distinct_count":4,"is_exact":1,"max":4,"mean":2.5,"min":1,"numeric_count":4,"stdev":1.2909944487358056,"values":"[{\"value\":\"1\",\"count\":1},{\"value\":\"2\",\"count\":1},{\"value\":\"3\",\"count\":1},{\"value\":\"4\",\"count\":1}]"}"#,
        ]
    );
    // maxvals caps `values`; more distinct values than that is not exact.
    assert_eq!(
        lines(&[
            "search",
            &format!("{base} | fieldsummary maxvals=1 n _time | table field is_exact values"),
            "--format",
            "json",
            "--now",
            "1700000000"
        ]),
        [
            r#"{"field":"_time","is_exact":1,"values":"[{\"value\":\"1700000000\",\"count\":4}]"}"#,
            r#"{"field":"n","is_exact":0,"values":"[{\"value\":\"1\",\"count\":1}]"}"#,
        ]
        .map(String::from),
    );
    // tojson: the named fields only, typed by their functions, keys in name order.
    let json = format!(
        "{base} | eval j=\"{{\\\"k\\\":[1,true]}}\" | tojson auto(j) num(mv) n str(kind) fill_null=true output_field=out \
         | table out"
    );
    let got = lines(&["search", &json, "--format", "json", "--now", "1700000000"]);
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], r#"{"out":"{\"j\":{\"k\":[1,true]},\"kind\":\"a\",\"mv\":[null,null],\"n\":1}"}"#);
    // By default every field but the internal ones, into _raw.
    let got = lines(&["search", &format!("{base} | tojson | table _raw"), "--format", "json"]);
    assert_eq!(got[3], r#"{"_raw":"{\"flag\":0,\"kind\":\"b\",\"mv\":[\"x\",\"y\"],\"n\":4}"}"#);
    // Bad arguments are errors shown where written.
    for (tail, what) in [
        ("fieldsummary maxvals=-1", "fieldsummary maxvals `-1`"),
        ("tojson default_type=text", "tojson default_type `text`"),
        ("tojson int(n)", "tojson function `int`"),
        ("tojson output=x", "tojson option `output=x`"),
    ] {
        let o = run(&["search", &format!("{base} | {tail}")]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{tail}: {err}");
        assert!(err.contains(what) && err.contains('^'), "{err}");
    }
}

#[test]
fn fieldsummary_and_tojson_over_a_real_evtx_file() {
    let evtx =
        shared().join("evtx/hayabusa-sample-evtx/YamatoSecurity/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx");
    let evtx = evtx.to_str().unwrap();
    let summary = lines(&["search", "* | fieldsummary", "--events", evtx, "--format", "json"]);
    let fields: Vec<String> = summary
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["field"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = fields.clone();
    sorted.sort();
    assert_eq!(fields, sorted, "rows in field-name order");
    assert!(!fields.iter().any(|f| f.starts_with('_')), "internal fields are left out: {fields:?}");
    let event_id = summary.iter().find(|l| l.starts_with(r#"{"field":"EventID","#)).unwrap();
    assert_eq!(
        event_id,
        r#"{"field":"EventID","count":7,"distinct_count":4,"is_exact":1,"max":27,"mean":16.285714285714285,"min":1,"numeric_count":7,"stdev":10.59424821486146,"values":"[{\"value\":\"27\",\"count\":3},{\"value\":\"11\",\"count\":2},{\"value\":\"1\",\"count\":1},{\"value\":\"10\",\"count\":1}]"}"#
    );
    // `count` is the number of events holding the field, as `stats count(f)` gives it.
    let image = lines(&["search", "* | fieldsummary Image | table count", "--events", evtx, "--format", "json"]);
    let stats = lines(&["search", "* | stats count(Image) AS count", "--events", evtx, "--format", "json"]);
    assert_eq!(image, stats);
    // tojson writes each event's named fields as one object into _raw (`stats` orders its rows
    // by their text: `…10}` before `…1}`).
    let objects = lines(&[
        "search",
        "* | tojson num(EventID) str(Computer) | eval obj=_raw | stats count by obj",
        "--events",
        evtx,
        "--format",
        "json",
    ]);
    assert_eq!(
        objects,
        [
            r#"{"obj":"{\"Computer\":\"DESKTOP-VQBONAV\",\"EventID\":10}","count":1}"#,
            r#"{"obj":"{\"Computer\":\"DESKTOP-VQBONAV\",\"EventID\":11}","count":2}"#,
            r#"{"obj":"{\"Computer\":\"DESKTOP-VQBONAV\",\"EventID\":1}","count":1}"#,
            r#"{"obj":"{\"Computer\":\"DESKTOP-VQBONAV\",\"EventID\":27}","count":3}"#,
        ]
    );
}

/// The one `count` a search gives over the EVTX samples.
fn count_of(spl: &str) -> u64 {
    let evtx = shared().join("evtx");
    let got =
        lines(&["search", &format!("{spl} | stats count"), "--events", evtx.to_str().unwrap(), "--format", "json"]);
    let row: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    row["count"].as_u64().unwrap()
}

#[test]
fn multisearch_gives_every_subsearchs_results_an_event_once_per_subsearch_finding_it() {
    // Splunk's multisearch: the streaming subsearches run over the same events; their results
    // together (not a subsearch's 50,000-row limit), an event found by two subsearches twice.
    let (procs, net, cmd) =
        (count_of("EventCode=1"), count_of("EventCode=3"), count_of("EventCode=1 Image=*\\cmd.exe"));
    assert!(procs > 1000 && net > 100 && cmd > 100, "{procs} {net} {cmd}");
    let both =
        count_of("| multisearch [search EventCode=1 | eval k=1] [search EventCode=3 | where isnotnull(DestinationIp)]");
    assert_eq!(both, procs + count_of("EventCode=3 | where isnotnull(DestinationIp)"));
    let twice = count_of("| multisearch [search EventCode=1] [search EventCode=1 Image=*\\cmd.exe]");
    assert_eq!(twice, procs + cmd);
    // A union of streaming subsearches is processed as a multisearch (Search Reference, union,
    // "Optimized syntax for streaming datasets"); its subsearch options apply only to
    // non-streaming ones.
    let union = count_of("| union maxout=10 [search EventCode=1] [search EventCode=1 Image=*\\cmd.exe]");
    assert_eq!(union, procs + cmd);
    // `head` takes the newest results, as after an event search.
    let evtx = shared().join("evtx");
    let evtx = evtx.to_str().unwrap();
    let newest =
        |spl: &str| lines(&["search", &format!("{spl} | head 5 | table _time"), "--events", evtx, "--format", "json"]);
    assert_eq!(newest("| multisearch [search EventCode=1] [search EventCode=3]"), newest("EventCode=1 OR EventCode=3"));
    // Only streaming subsearches, shown where written: Splunk's "Command types" lists the
    // distributable streaming commands; `table` is not among them and `head` is centralized.
    for (spl, what) in [
        ("| multisearch [search a] [search b | stats count]", "`stats` is not one"),
        ("| multisearch [search a] [search b | table b]", "`table` is not one"),
        ("| multisearch [search a | head 5] [search b]", "`head` is not one"),
        ("| multisearch [search a]", "at least two subsearches"),
        ("| multisearch [search a] [| makeresults]", "must be event searches"),
        ("EventCode=1 | multisearch [search a] [search b]", "must come first"),
        ("| union [search a] [search b | stats count]", "unsupported union of a named dataset or a non-streaming"),
        ("| union datamodel:Endpoint.Processes [search b]", "unsupported union of a named dataset"),
        ("EventCode=1 | union [search b]", "unsupported union after other commands"),
        ("| union [search a]", "at least two datasets"),
    ] {
        let o = run(&["search", spl, "--events", evtx]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{spl}: {err}");
        assert!(err.contains(what) && err.contains('^'), "{spl}: {err}");
    }
}
