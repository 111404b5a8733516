//! `mstats` through the real CLI: ESCU's Kubernetes detections over OpenTelemetry metrics as
//! HEC metric payloads (examples/k8s_metrics.json, written by examples/make_examples.py; rules:
//! spl-engine/src/ops/mstats.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

const METRICS: &str = "examples/k8s_metrics.json";
/// 100 s after the example's first data point: all of it is in the last hour.
const NOW: &str = "1764979300";

fn detection(name: &str) -> String {
    shared().join("security_content/detections/cloud").join(name).to_str().unwrap().to_string()
}

/// `spelunk run TARGET --content security_content -e EVENTS --format json -q EXTRA…`.
fn run_over(target: &str, events: &str, extra: &[&str]) -> std::process::Output {
    let content = shared().join("security_content");
    let mut args = vec!["run", target, "--content", content.to_str().unwrap(), "-e", events, "--format", "json", "-q"];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn shell_on_worker_node_averages_ten_second_buckets_of_cpu_and_keeps_only_active_shells() {
    let o = run_over(&detection("kubernetes_shell_running_on_worker_node.yml"), METRICS, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = rows(&o);
    // bash's CPU 0, .02 | .04, .06 | .08, .1 by 10 s: bucket averages .01, .05, .09, their mean .05.
    // The idle `sh` (all zero) is dropped by `search …>0`; kubelet is not a shell.
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!(
        (r["host"].as_str(), r["process.executable.name"].as_str(), r["process.pid"].as_str()),
        (Some("worker-1"), Some("bash"), Some("4242"))
    );
    assert!((r["process.cpu.utilization"].as_f64().unwrap() - 0.05).abs() < 1e-9, "{}", flat(r));
    assert!((r["process.memory.utilization"].as_f64().unwrap() - 0.01).abs() < 1e-9, "{}", flat(r));
}

#[test]
fn a_pack_run_gives_each_metrics_detection_the_rows_it_gives_alone() {
    let dir = shared().join("security_content/detections/cloud");
    // The folder also holds MLTK detections, reported unsupported (the exit status says so).
    let pack = run_over(dir.to_str().unwrap(), METRICS, &["--now", NOW]);
    let mut pack_rows: Vec<String> = rows(&pack)
        .into_iter()
        .map(|mut r| {
            assert!(r.shift_remove("search_name").is_some(), "a pack row names its detection");
            flat(&r)
        })
        .collect();
    let mut alone_rows = Vec::new();
    for name in [
        "kubernetes_previously_unseen_process.yml",
        "kubernetes_process_running_from_new_path.yml",
        "kubernetes_shell_running_on_worker_node.yml",
        "kubernetes_shell_running_on_worker_node_with_cpu_activity.yml",
    ] {
        let o = run_over(&detection(name), METRICS, &["--now", NOW]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let got = rows(&o);
        assert!(!got.is_empty(), "{name} returns rows");
        alone_rows.extend(got.iter().map(flat));
    }
    // Newly seen: each process of the last hour not seen in the 30 days before it.
    assert_eq!(alone_rows.len(), 8, "{alone_rows:#?}");
    pack_rows.sort();
    alone_rows.sort();
    assert_eq!(pack_rows, alone_rows);
}

#[test]
fn metrics_of_another_hour_are_not_newly_seen_and_earliest_latest_bound_the_points() {
    // Two hours later the data is history (-30d to -1h), nothing is current.
    let o = run_over(&detection("kubernetes_previously_unseen_process.yml"), METRICS, &["--now", "1764986400"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows(&o).len(), 0);
    // Single-metric points (`metric_name`, `_value`): a sum per direction, in the time bounds.
    let o = run(&[
        "search",
        "| mstats sum(_value) AS bytes where index=kubernetes_metrics metric_name=k8s.pod.network.io latest=1764979220 by direction",
        "-e",
        METRICS,
        "--format",
        "json",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    assert_eq!(got, ["direction=receive bytes=1200", "direction=transmit bytes=800"]);
}

#[test]
fn payloads_naming_no_index_are_in_main_unless_index_is_given() {
    let dir = std::env::temp_dir().join(format!("spelunk-metrics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("noindex.json");
    let text = std::fs::read_to_string(root().join(METRICS)).unwrap().replace(r#""index":"kubernetes_metrics","#, "");
    std::fs::write(&file, text).unwrap();
    let shell = |extra: &[&str]| {
        let o = run_over(&detection("kubernetes_shell_running_on_worker_node.yml"), file.to_str().unwrap(), extra);
        assert!(o.status.success(), "{}", stderr(&o));
        rows(&o).len()
    };
    assert_eq!(shell(&[]), 0);
    assert_eq!(shell(&["--index", "kubernetes_metrics"]), 1);
    assert_eq!(shell(&["--macro", "kubernetes_metrics=index=*"]), 1);
    std::fs::remove_dir_all(&dir).ok();
}

/// The same points captured as OTLP JSON (an OpenTelemetry Collector's `file` exporter) give
/// the Kubernetes detections the rows the HEC payloads give them.
#[test]
fn otlp_json_of_the_same_points_gives_the_rows_of_the_hec_payloads() {
    let dir = shared().join("security_content/detections/cloud");
    let pack = |events: &str| {
        let mut lines: Vec<String> =
            stdout(&run_over(dir.to_str().unwrap(), events, &["--now", NOW])).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let hec = pack(METRICS);
    assert_eq!(hec.len(), 8, "{hec:#?}");
    assert_eq!(pack("examples/k8s_metrics.otlp.json"), hec);
}
