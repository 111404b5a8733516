//! Readers over the shared corpus (`/work/shared`) and over malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use spl_engine::read::{detect_format, expand_paths, open, ReadOptions, Record};
use spl_engine::{Event, Value};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared");

fn shared(rel: &str) -> PathBuf {
    Path::new(SHARED).join(rel)
}

fn read_all(path: &Path, opts: &ReadOptions) -> (Vec<Event>, Vec<String>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for r in open(path, opts).unwrap() {
        match r {
            Record::Event(e) => events.push(e),
            Record::Malformed(m) => bad.push(m.to_string()),
        }
    }
    (events, bad)
}

fn s(ev: &Event, field: &str) -> String {
    ev.get_str(field).map(|v| v.into_owned()).unwrap_or_else(|| panic!("no field {field}"))
}

#[test]
fn sysmon_network_connection_fields() {
    let path = shared(
        "attack_data/datasets/attack_techniques/T1218/lolbas_with_network_traffic/lolbas_with_network_traffic.log",
    );
    let opts = ReadOptions { sourcetype: Some("xmlwineventlog".into()), ..ReadOptions::default() };
    let (events, bad) = read_all(&path, &opts);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(events.len(), 6);
    let ev = &events[0];
    assert_eq!(s(ev, "EventID"), "3");
    assert_eq!(s(ev, "Image"), r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe");
    assert_eq!(s(ev, "SourceIp"), "192.168.1.20");
    assert_eq!(s(ev, "DestinationIp"), "173.194.214.101");
    assert_eq!(s(ev, "DestinationPort"), "443");
    assert_eq!(s(ev, "User"), "AttackMe");
    assert_eq!(s(ev, "Computer"), "attackbox.lan.local");
    assert_eq!(s(ev, "host"), "attackbox");
    assert_eq!(s(ev, "source"), "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational");
    assert_eq!(s(ev, "sourcetype"), "xmlwineventlog");
    assert_eq!(ev.get("_time"), Some(&Value::num(1674991980.2234425)));
    assert_eq!(s(ev, "Name"), "Microsoft-Windows-Sysmon");
    assert_eq!(s(ev, "ProcessID"), "3144");
    assert_eq!(s(ev, "ProcessId"), "2536");
    assert_eq!(s(ev, "UserID"), "S-1-5-18");
    assert_eq!(s(ev, "RuleName"), "-");
    // Empty `<Data>` gives no field (the second EID 3 record has an empty RuleName).
    let third = events.iter().find(|e| s(e, "EventRecordID") == "300730").unwrap();
    assert!(third.get("RuleName").is_none());
    assert!(third.get("DestinationHostname").is_none());
    assert!(s(ev, "_raw").starts_with("<Event xmlns="));
    assert!(s(ev, "_raw").ends_with("</Event>"));
}

#[test]
fn evtx_and_xml_text_agree() {
    let dir = shared("evtx");
    let files = expand_paths(&[dir]).unwrap();
    let evtx = files
        .iter()
        .find(|p| p.to_string_lossy().contains("Sysmon") && p.extension().is_some_and(|e| e == "evtx"))
        .unwrap();
    let (events, _) = read_all(evtx, &ReadOptions::default());
    assert!(!events.is_empty());
    for ev in events.iter().take(20) {
        let raw = s(ev, "_raw");
        let mut tmp = tempfile(&raw);
        let (again, bad) = read_all(tmp.path(), &ReadOptions::default());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].fields, ev.fields, "{}", evtx.display());
        tmp.close();
    }
}

/// A file under the target directory, removed by `close`.
struct Temp(PathBuf);
impl Temp {
    fn path(&self) -> &Path {
        &self.0
    }
    fn close(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn tempfile(contents: &str) -> Temp {
    temp_bytes(contents.as_bytes(), "log")
}

fn temp_bytes(contents: &[u8], ext: &str) -> Temp {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("spl-readers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("t{}.{ext}", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::File::create(&path).unwrap().write_all(contents).unwrap();
    Temp(path)
}

#[derive(Default)]
struct Tally {
    files: usize,
    events: u64,
    malformed: u64,
}

/// Read every file of the shared corpus (at most `limit` records each) and tally by format.
fn sweep(limit: usize) -> BTreeMap<String, Tally> {
    let roots = ["evtx", "attack_data", "attack_data_history", "sigma_regression/evtx"].map(shared);
    let files = expand_paths(&roots).unwrap();
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    for file in files {
        let mut head = Vec::new();
        {
            use std::io::Read;
            let f = std::fs::File::open(&file).unwrap();
            f.take(4096).read_to_end(&mut head).unwrap();
        }
        let kind = if head.starts_with(&[0x1f, 0x8b]) {
            "gzip".to_string()
        } else {
            format!("{:?}", detect_format(&file, &head))
        };
        let t = tally.entry(kind).or_default();
        t.files += 1;
        let records = match open(&file, &ReadOptions::default()) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        for r in records.take(limit) {
            match r {
                Record::Event(_) => t.events += 1,
                Record::Malformed(m) => {
                    t.malformed += 1;
                    if t.malformed <= 3 {
                        eprintln!("malformed: {m}");
                    }
                }
            }
        }
    }
    for (kind, t) in &tally {
        eprintln!("{kind:>16}: {:>4} files {:>9} events {:>6} malformed", t.files, t.events, t.malformed);
    }
    tally
}

/// The whole corpus takes ~25 s in a debug build; every file must read without a panic.
#[test]
fn corpus_sweep() {
    let tally = sweep(usize::MAX);
    assert!(tally.get("XmlWinEventLog").is_some_and(|t| t.events > 700));
    assert!(tally.get("Evtx").is_some_and(|t| t.events > 10_000));
    assert!(tally.get("WinEventLog").is_some_and(|t| t.events > 5_000));
    assert!(tally.get("gzip").is_some_and(|t| t.events > 50_000));
}

#[test]
fn malformed_xml_records_are_counted_and_skipped() {
    let good =
        std::fs::read_to_string(shared("attack_data/datasets/attack_techniques/T1098/dsrm_account/windows-sysmon.log"))
            .unwrap();
    let good = good.trim_end();
    let cut = &good[..good.len() / 2];
    let text = format!("{good}\n\u{1}\u{2}binary\u{0}junk\n{cut}\n{good}\r\n<Event xmlns='x'><System><EventID>1</EventID></System><EventData><Data Name='a'>1</Data></Event>\n");
    let tmp = tempfile(&text);
    let (events, bad) = read_all(tmp.path(), &ReadOptions::default());
    assert_eq!(events.len(), 2, "{bad:?}");
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(bad[0].contains(":2:"), "{bad:?}");
    assert!(bad[1].contains(":3:"), "{bad:?}");
    assert!(bad[2].contains(":5:"), "{bad:?}");
}

#[test]
fn malformed_json_lines_are_counted_and_skipped() {
    let deep = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let text = format!("{{\"x\":1}}\n{{\"x\":2,,}}\n{deep}\n{{\"x\":3}}\n");
    let tmp = temp_bytes(text.as_bytes(), "json");
    let (events, bad) = read_all(tmp.path(), &ReadOptions::default());
    let xs: Vec<String> = events.iter().map(|e| s(e, "x")).collect();
    assert_eq!(xs, ["1", "3"]);
    assert_eq!(bad.len(), 2);
    assert!(bad[0].contains(".json:2:"), "{bad:?}");
    assert!(bad[1].contains(".json:3:"), "{bad:?}");
}

#[test]
fn empty_and_garbage_files() {
    let empty = temp_bytes(b"", "log");
    let (events, bad) = read_all(empty.path(), &ReadOptions::default());
    assert!(events.is_empty() && bad.is_empty());
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for ext in ["log", "json", "csv", "evtx", "gz", "xml"] {
        let tmp = temp_bytes(&garbage, ext);
        let (_events, bad) = read_all(tmp.path(), &ReadOptions::default());
        assert!(!bad.is_empty(), "{ext}: garbage gave no malformed record");
    }
    for st in ["xmlwineventlog", "_json", "csv", "WinEventLog"] {
        let tmp = temp_bytes(&garbage, "bin");
        let opts = ReadOptions { sourcetype: Some(st.into()), ..ReadOptions::default() };
        let _ = read_all(tmp.path(), &opts);
    }
    let truncated_evtx = std::fs::read(
        expand_paths(&[shared("evtx")])
            .unwrap()
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "evtx"))
            .unwrap(),
    )
    .unwrap();
    let half = temp_bytes(&truncated_evtx[..truncated_evtx.len().min(70_000)], "evtx");
    let _ = read_all(half.path(), &ReadOptions::default());
}

#[test]
fn classic_wineventlog_file() {
    let path =
        shared("attack_data_history/datasets/attack_techniques/T1003.003/atomic_red_team/windows-sec-events.log");
    let records: Vec<Record> = open(&path, &ReadOptions::default()).unwrap().take(5).collect();
    let Record::Event(ev) = &records[0] else { panic!("{records:?}") };
    assert_eq!(s(ev, "EventCode"), "4688");
    assert_eq!(s(ev, "source"), "WinEventLog:Security");
    assert_eq!(s(ev, "sourcetype"), "WinEventLog");
    assert_eq!(s(ev, "host"), "win-dc-4473022");
    assert_eq!(s(ev, "New_Process_Name"), r"C:\Windows\System32\cmd.exe");
    assert_eq!(ev.get("_time"), Some(&Value::num(1600213707.0)));
    assert_eq!(ev.get("Account_Name"), Some(&Value::Many(vec!["Administrator".into(), "-".into()])));
}

#[test]
fn tar_gz_members_are_read() {
    let path = shared("attack_data_history/datasets/attack_techniques/T1027/atomic_red_team/attack_data.tar.gz");
    let records: Vec<Record> = open(&path, &ReadOptions::default()).unwrap().take(100).collect();
    assert_eq!(records.len(), 100);
    let Record::Event(ev) = &records[0] else { panic!("{records:?}") };
    assert_eq!(s(ev, "Channel"), "Microsoft-Windows-Sysmon/Operational");
    assert_eq!(ev.get("_time"), Some(&Value::num(1596260806.0)));
}

#[test]
fn overrides_and_gzip() {
    let src = shared("attack_data/datasets/attack_techniques/T1098/dsrm_account/windows-sysmon.log");
    let bytes = std::fs::read(&src).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let tmp = temp_bytes(&gz.finish().unwrap(), "log.gz");
    let opts = ReadOptions {
        sourcetype: Some("XmlWinEventLog".into()),
        source: Some("src".into()),
        host: Some("h".into()),
        index: Some("winevents".into()),
    };
    let (events, bad) = read_all(tmp.path(), &opts);
    assert!(bad.is_empty() && !events.is_empty());
    assert_eq!(s(&events[0], "source"), "src");
    assert_eq!(s(&events[0], "host"), "h");
    assert_eq!(s(&events[0], "sourcetype"), "XmlWinEventLog");
    assert_eq!(s(&events[0], "index"), "winevents");
}

#[test]
fn evtx_sysmon_record_matches_splunk_naming() {
    let files = expand_paths(&[shared("evtx")]).unwrap();
    let evtx = files
        .iter()
        .find(|p| p.to_string_lossy().contains("Sysmon") && p.extension().is_some_and(|e| e == "evtx"))
        .unwrap();
    let (events, bad) = read_all(evtx, &ReadOptions::default());
    assert!(bad.is_empty(), "{bad:?}");
    let ev = events.iter().find(|e| e.get("Image").is_some()).unwrap();
    eprintln!("{:#?}", ev.fields.keys().collect::<Vec<_>>());
    let guid = s(ev, "Guid");
    assert!(guid.starts_with('{') && guid.ends_with('}'), "{guid}");
    assert!(s(ev, "source").starts_with("XmlWinEventLog:"));
    assert!(ev.time().is_some());
    assert!(!s(ev, "_raw").contains('\n'));
}
