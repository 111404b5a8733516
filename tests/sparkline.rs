//! `stats sparkline` through the real CLI over a real Sysmon log (rules:
//! spl-engine/src/stats/sparkline.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

/// The sparkline's values as numbers, after checking the marker comes first.
fn drawn(v: &serde_json::Value) -> Vec<f64> {
    let all = v.as_array().unwrap_or_else(|| panic!("a multivalue: {v}"));
    assert_eq!(all[0], "##__SPARKLINE__##", "{v}");
    all[1..]
        .iter()
        .map(|c| c.as_f64().or_else(|| c.as_str().and_then(|s| s.parse().ok())).unwrap_or_else(|| panic!("{c}")))
        .collect()
}

#[test]
fn sparkline_buckets_of_every_row_share_one_axis_and_sum_to_its_count() {
    let log = shared().join("attack_data/datasets/attack_techniques/T1649/certify_abuse/certify_esc1_abuse_sysmon.log");
    let log = log.to_str().unwrap();
    let search = |spl: &str| {
        let o = run(&["search", spl, "--events", log, "--format", "json", "-q"]);
        assert!(o.status.success(), "{spl}: {}", stderr(&o));
        rows(&o)
    };
    // Two images over 1,633 s: timechart's default span is then 30 s, 55 buckets.
    let got = search("EventCode=1 | stats sparkline count by Image");
    assert_eq!(got.len(), 2);
    for r in &got {
        let b = drawn(&r["sparkline"]);
        assert_eq!(b.len(), 55, "{}", flat(r));
        assert_eq!(b.iter().sum::<f64>(), r["count"].as_f64().unwrap(), "{}", flat(r));
    }
    // Every event code, by 5 minutes, named by its alias.
    let got = search("* | stats sparkline(count, 5m) AS trend, count by EventCode");
    assert_eq!(got.len(), 3);
    let lens: Vec<usize> = got.iter().map(|r| drawn(&r["trend"]).len()).collect();
    assert!(lens.iter().all(|n| *n == lens[0] && *n > 1), "{lens:?}");
    for r in &got {
        assert_eq!(drawn(&r["trend"]).iter().sum::<f64>(), r["count"].as_f64().unwrap(), "{}", flat(r));
    }
    // Where it is not an aggregation: an error pointing at it.
    let o = run(&["search", "* | eventstats sparkline by EventCode", "--events", log]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("`sparkline` is an aggregation of stats and chart") && err.contains('^'), "{err}");
}
