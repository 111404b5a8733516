//! Every file of the shared real-data folders (`../shared/evtx`, `../shared/attack_data_history`)
//! is read by the real CLI, one process per file: no crash (exit 0), the pipeline sees every
//! event the reader yields (`search * | stats count` = "events read"), and malformed records stay
//! within a justified bound. Prints events read / skipped per format.
//!
//! Formats: `.evtx` files are "evtx"; attack_data_history's `INDEX.tsv` gives every other file's
//! `format_guess` (xml_event, classic_wineventlog, json, text, gzip, evtx); the folders' own
//! README/INDEX/LICENSE files are "docs" (read as text lines; they must not crash either).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Files known to hold records their detected reader cannot read, with the most it may skip.
/// Everything else must read with 0 skipped.
const MIXED: &[(&str, u64, &str)] = &[(
    "attack_data_history/datasets/attack_techniques/T1552.004/certutil_exe_certificate_extraction/certutil_exe_certificate_extraction.raw",
    6,
    "an XmlWinEventLog file with 6 classic multi-line WinEventLog records (`LogName=…` blocks) \
     pasted between the <Event> records; the XML reader reports each as text outside any record",
)];

#[derive(Default, Clone, Copy)]
struct Tally {
    files: u64,
    read: u64,
    skipped: u64,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read dir").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `(file, format)` for every file of both folders.
fn inputs() -> Vec<(PathBuf, String)> {
    let shared = shared();
    let hist = shared.join("attack_data_history");
    let index = std::fs::read_to_string(hist.join("INDEX.tsv")).expect("read INDEX.tsv");
    let guess: HashMap<PathBuf, String> = index
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((hist.join(cols.first()?), cols.get(3)?.to_string()))
        })
        .collect();
    let mut files = Vec::new();
    walk(&shared.join("evtx"), &mut files);
    walk(&hist, &mut files);
    files
        .into_iter()
        .map(|f| {
            let format = if let Some(g) = guess.get(&f) {
                g.clone()
            } else if f.extension().is_some_and(|e| e == "evtx") {
                "evtx".to_string()
            } else {
                "docs".to_string()
            };
            (f, format)
        })
        .collect()
}

/// `N files read, N events read, N parsed, N skipped as malformed` from the CLI's stderr
/// summary: files, events read, parsed, skipped.
fn counts(err: &str) -> Option<[u64; 4]> {
    let line = err.lines().find(|l| l.contains(" events read, "))?;
    let nums: Vec<u64> = line.split([' ', ',']).filter_map(|w| w.parse().ok()).collect();
    nums.try_into().ok()
}

/// `counts`: files, events read, skipped.
fn summary(err: &str) -> Option<(u64, u64, u64)> {
    counts(err).map(|[f, r, _parsed, s]| (f, r, s))
}

/// `counts` of a run's stderr.
fn counts_of(o: &std::process::Output) -> [u64; 4] {
    counts(&stderr(o)).unwrap_or_else(|| panic!("a summary line: {}", stderr(o)))
}

#[test]
fn every_shared_input_file_reads_without_crash() {
    let root = shared();
    let files = inputs();
    assert!(files.len() > 400, "expected the shared evtx and attack_data_history folders, found {} files", files.len());

    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((file, format)) = files.get(i) else {
                    break;
                };
                let o =
                    run(&["search", "search * | stats count", "--events", file.to_str().unwrap(), "--format", "json"]);
                results.lock().unwrap().push((file.clone(), format.clone(), o));
            });
        }
    });

    let mut per_format: BTreeMap<String, Tally> = BTreeMap::new();
    let mut problems = Vec::new();
    for (file, format, o) in results.into_inner().unwrap() {
        let rel = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
        let err = stderr(&o);
        if !o.status.success() {
            problems.push(format!("{rel}: exit {:?}: {}", o.status.code(), err.lines().last().unwrap_or("")));
            continue;
        }
        let Some((nfiles, read, skipped)) = summary(&err) else {
            problems.push(format!("{rel}: no summary line on stderr: {err}"));
            continue;
        };
        let count = rows(&o)
            .first()
            .and_then(|r| r.get("count").and_then(|c| c.as_str().map(str::to_string).or(Some(c.to_string()))));
        if count.as_deref().unwrap_or("0") != read.to_string() {
            problems.push(format!("{rel}: `stats count` gave {count:?} but {read} events were read"));
        }
        let bound = MIXED.iter().find(|(p, _, _)| rel.ends_with(p)).map_or(0, |(_, n, _)| *n);
        if skipped > bound {
            problems.push(format!(
                "{rel}: {skipped} skipped as malformed (bound {bound}): {}",
                err.lines().nth(1).unwrap_or("")
            ));
        }
        let t = per_format.entry(format).or_default();
        t.files += nfiles;
        t.read += read;
        t.skipped += skipped;
    }

    println!("{:<20} {:>6} {:>10} {:>8}", "format", "files", "read", "skipped");
    let mut total = Tally::default();
    for (format, t) in &per_format {
        println!("{format:<20} {:>6} {:>10} {:>8}", t.files, t.read, t.skipped);
        total.files += t.files;
        total.read += t.read;
        total.skipped += t.skipped;
    }
    println!("{:<20} {:>6} {:>10} {:>8}", "total", total.files, total.read, total.skipped);
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    let evtx = per_format.get("evtx").copied().unwrap_or_default();
    assert!(evtx.read > 15_000 && evtx.skipped == 0, "EVTX: {} read, {} skipped", evtx.read, evtx.skipped);
}

/// Standard input is read as it streams by a run without subsearches, and copied to a
/// temporary file when first read by one with subsearches, which may read the input twice: a
/// pack, or a search with a subsearch, gives from standard input what it gives from the file
/// (standard input was held parsed in memory whole before: ~9 bytes of memory per byte).
#[test]
fn a_pack_reads_standard_input_as_it_reads_the_file() {
    let data = shared().join("attack_data/INDEX.tsv");
    let index = std::fs::read_to_string(&data).unwrap();
    // The largest XmlWinEventLog file of attack_data: searches with subsearches have events.
    let file = index
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .map(|p| shared().join("attack_data").join(p))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "log") && std::fs::read(p).is_ok_and(|b| b.starts_with(b"<Event"))
        })
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .unwrap();
    let sc = shared().join("security_content");
    let args = |events: &str| {
        vec![
            "run".to_string(),
            sc.join("detections/endpoint").display().to_string(),
            "--content".into(),
            sc.display().to_string(),
            "--events".into(),
            events.to_string(),
            "--format".into(),
            "json".into(),
        ]
    };
    let from_file = bin().args(args(file.to_str().unwrap())).current_dir(root()).output().unwrap();
    let from_stdin =
        bin().args(args("-")).current_dir(root()).stdin(std::fs::File::open(&file).unwrap()).output().unwrap();
    assert!(!rows(&from_file).is_empty(), "{}", stderr(&from_file));
    assert_eq!(stdout(&from_file), stdout(&from_stdin));
    // Files, events read and skipped; how many were parsed depends on the prefilter, now used.
    assert_eq!(summary(&stderr(&from_file)), summary(&stderr(&from_stdin)));

    for spl in ["* | stats count by EventCode", "* [search * | head 1 | fields Computer] | stats count by EventCode"] {
        let args = |events: &str| ["search", spl, "--events", events, "--format", "json"].map(str::to_string);
        let from_file = bin().args(args(file.to_str().unwrap())).current_dir(root()).output().unwrap();
        let from_stdin =
            bin().args(args("-")).current_dir(root()).stdin(std::fs::File::open(&file).unwrap()).output().unwrap();
        assert!(from_stdin.status.success(), "{spl}: {}", stderr(&from_stdin));
        assert!(!rows(&from_file).is_empty(), "{spl}: {}", stderr(&from_file));
        assert_eq!(stdout(&from_file), stdout(&from_stdin), "{spl}");
    }
}

/// A JSON array on one line longer than the 16 MiB a line may be (what `json.dump` of a list
/// or `jq -c -s` writes) gives the events its elements give as JSON lines, `_raw` included: the
/// array is read element by element. It was one malformed "line longer than 16 MiB" before.
#[test]
fn a_json_array_on_one_line_longer_than_a_line_gives_the_events_of_its_elements() {
    let real = shared().join("attack_data_history/datasets/attack_techniques/T1566/zscalar_web_proxy.txt.0e252487");
    let lines: Vec<String> = std::fs::read_to_string(real).unwrap().lines().map(str::to_string).collect();
    assert!(lines.len() > 10);
    let copies = (17 << 20) / lines.iter().map(String::len).sum::<usize>() + 1;
    let tmp = tempfile::Builder::new().prefix("spelunk-json-array-").tempdir().unwrap();
    let (as_lines, as_array) = (tmp.path().join("lines.json"), tmp.path().join("array.json"));
    let all: Vec<&str> = (0..copies).flat_map(|_| lines.iter().map(String::as_str)).collect();
    std::fs::write(&as_lines, all.join("\n")).unwrap();
    std::fs::write(&as_array, format!("[{}]", all.join(","))).unwrap();
    assert!(std::fs::metadata(&as_array).unwrap().len() > 16 << 20);
    for spl in
        ["* | stats count by action, urlcategory", "* | stats dc(_raw) as raws count", "action=Blocked | stats count"]
    {
        let want = run(&["search", spl, "--events", as_lines.to_str().unwrap(), "--format", "json"]);
        let got = run(&["search", spl, "--events", as_array.to_str().unwrap(), "--format", "json"]);
        assert!(got.status.success(), "{}", stderr(&got));
        assert!(
            !rows(&got).is_empty() && stdout(&got) == stdout(&want),
            "{spl}: {} against {}",
            stdout(&got),
            stdout(&want)
        );
        // The same events (the file's last line holds two objects; so does its element).
        assert_eq!(counts_of(&got), counts_of(&want));
        assert_eq!(counts_of(&got)[3], 0, "{}", stderr(&got));
    }
}

/// An EVTX file of `copies` times the chunks of a real log, after its header: a log as long as
/// wanted (record ids repeat, which the reader does not mind).
fn long_evtx(copies: usize) -> (Vec<u8>, usize) {
    let log = std::fs::read(
        shared().join("evtx/evtx-attack-samples/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"),
    )
    .unwrap();
    let (header, chunks) = log.split_at(4096);
    let chunks: Vec<&[u8]> = chunks.chunks(65536).filter(|c| c.starts_with(b"ElfChnk\0")).collect();
    assert!(chunks.len() > 10, "{} chunks", chunks.len());
    let mut out = header.to_vec();
    for _ in 0..copies {
        chunks.iter().for_each(|c| out.extend_from_slice(c));
    }
    (out, chunks.len() * copies)
}

/// An EVTX stream (a gzip; standard input, which is copied to a temporary file first) longer
/// than the 32 MiB held in memory goes to a temporary file and reads as the file does; one cut
/// short gives the records of its whole chunks and says where it was cut, as a cut file does:
/// nothing read is lost, nothing is dropped unsaid.
#[test]
fn a_long_evtx_stream_reads_as_its_file_and_a_cut_one_keeps_its_whole_chunks() {
    use std::io::Write;
    let gzipped = |bytes: &[u8], path: &std::path::Path| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        std::fs::write(path, gz.finish().unwrap()).unwrap();
    };
    let tmp = tempfile::Builder::new().prefix("spelunk-evtx-stream-").tempdir().unwrap();
    let (log, chunks) = long_evtx(36);
    assert!(log.len() > 32 << 20, "{} bytes", log.len());
    let file = tmp.path().join("long.evtx");
    std::fs::write(&file, &log).unwrap();
    let piped = |bytes: &[u8], spl: &str| {
        let mut child = bin()
            .args(["search", spl, "--events", "-", "--format", "json"])
            .current_dir(root())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&bytes));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        out
    };
    let counts = "* | stats count by EventID, Computer";
    let from_file = run(&["search", counts, "--events", file.to_str().unwrap(), "--format", "json"]);
    let from_stdin = piped(&log, counts);
    assert!(from_file.status.success() && from_stdin.status.success(), "{}", stderr(&from_stdin));
    assert!(rows(&from_file).len() > 3, "{}", stdout(&from_file));
    assert_eq!(stdout(&from_file), stdout(&from_stdin));
    assert_eq!(counts_of(&from_stdin)[3], 0, "{}", stderr(&from_stdin));
    assert_eq!(counts_of(&from_file), counts_of(&from_stdin));
    let gz_file = tmp.path().join("long.evtx.gz");
    gzipped(&log, &gz_file);
    let from_gz = run(&["search", counts, "--events", gz_file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(stdout(&from_file), stdout(&from_gz));
    assert_eq!(counts_of(&from_file), counts_of(&from_gz));

    // Cut 1,000 bytes into the chunk after 520 whole ones (past 32 MiB): the records of those
    // 520 chunks, and one malformed entry naming the cut chunk.
    let whole = 4096 + 520 * 65536;
    assert!(chunks > 521 && whole > 32 << 20);
    let whole_file = tmp.path().join("whole.evtx");
    std::fs::write(&whole_file, &log[..whole]).unwrap();
    let all = "* | stats count";
    let want = run(&["search", all, "--events", whole_file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(counts_of(&want)[3], 0, "{}", stderr(&want));
    let cut_gz = tmp.path().join("cut-chunk.evtx.gz");
    gzipped(&log[..whole + 1000], &cut_gz);
    let cut_gz = run(&["search", all, "--events", cut_gz.to_str().unwrap(), "--format", "json"]);
    for cut in [piped(&log[..whole + 1000], all), cut_gz] {
        assert_eq!(stdout(&cut), stdout(&want));
        assert!(
            stderr(&cut).contains("the file ends in an incomplete chunk (1000 of 65536 bytes), not read"),
            "{}",
            stderr(&cut)
        );
        assert_eq!(counts_of(&cut)[3], 1, "{}", stderr(&cut));
    }

    // A gzip cut short: the whole chunks its bytes give, then the read error.
    let gz = std::fs::read(&gz_file).unwrap();
    let cut_gz = tmp.path().join("cut.evtx.gz");
    std::fs::write(&cut_gz, &gz[..gz.len() * 9 / 10]).unwrap();
    let o = run(&["search", all, "--events", cut_gz.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let count = |r: &serde_json::Map<String, serde_json::Value>| {
        r["count"].to_string().trim_matches('"').parse::<u64>().unwrap()
    };
    let got = count(&rows(&o)[0]);
    let total: u64 = rows(&from_file).iter().map(count).sum();
    assert!(got > total / 2 && got < total, "{got} of {total}");
    assert!(stderr(&o).contains("read error after the last whole chunk"), "{}", stderr(&o));
}

/// Several EVTX files read as one stream of chunks parsed on all cores give the events each
/// file gives read from standard input (held whole, then its chunks parsed on all cores),
/// file after file in the order named; a search's prefilter then judges the rendered records
/// before they are parsed, and leaves out none that the search matches.
#[test]
fn evtx_files_read_together_give_the_events_each_gives_from_standard_input_in_order() {
    let dir = shared().join("evtx/evtx-attack-samples");
    let mut files = Vec::new();
    walk(&dir, &mut files);
    // Files of one chunk and of many (some sparse), Sysmon and Security among them.
    files.retain(|f| f.extension().is_some_and(|e| e == "evtx"));
    let names: Vec<&str> = files.iter().take(80).map(|f| f.to_str().unwrap()).collect();

    let mut args = vec!["search", "*", "--format", "json", "-q"];
    for n in &names {
        args.extend(["--events", n]);
    }
    let together = run(&args);
    assert!(together.status.success(), "{}", stderr(&together));
    let mut one_by_one = Vec::new();
    for n in &names {
        let o = bin()
            .args(["search", "*", "--events", "-", "--format", "json", "-q"])
            .current_dir(root())
            .stdin(std::fs::File::open(n).unwrap())
            .output()
            .expect("spawn spelunk");
        assert!(o.status.success(), "{n}: {}", stderr(&o));
        one_by_one.extend(rows(&o).iter().map(flat));
    }
    let together: Vec<String> = rows(&together).iter().map(flat).collect();
    assert!(together.len() > 1_000, "{} events", together.len());
    assert_eq!(together.len(), one_by_one.len());
    assert!(together == one_by_one, "the same events in the same order");

    // Sysmon process creations: counted with the prefilter (records left unparsed) and by a
    // `where`, which the prefilter cannot use, over every parsed record.
    let mut args = vec!["search", "EventCode=1 | stats count", "--format", "json"];
    for n in &names {
        args.extend(["--events", n]);
    }
    let filtered = run(&args);
    args[1] = "* | where EventCode=\"1\" | stats count";
    let unfiltered = run(&args);
    let (err_f, err_u) = (stderr(&filtered), stderr(&unfiltered));
    let parsed = |err: &str| -> (u64, u64) {
        let line = err.lines().find(|l| l.contains(" events read, ")).expect("a summary line");
        let nums: Vec<u64> = line.split([' ', ',']).filter_map(|w| w.parse().ok()).collect();
        (nums[1], nums[2])
    };
    let ((read_f, parsed_f), (read_u, parsed_u)) = (parsed(&err_f), parsed(&err_u));
    assert_eq!(read_f, read_u);
    assert_eq!(parsed_u, read_u, "{err_u}");
    assert!(parsed_f < read_f / 2, "the prefilter leaves most records unparsed: {err_f}");
    let count = |o: &std::process::Output| rows(o)[0]["count"].to_string();
    assert_eq!(count(&filtered), count(&unfiltered));
    assert_ne!(count(&filtered), "\"0\"", "{}", stdout(&filtered));
}

/// Events that are not XML records (classic WinEventLog, JSON, plain text) are routed on their
/// fields when a pack runs: each detection of the pack gets the rows it gets alone, when no
/// router judges any event.
#[test]
fn a_pack_over_events_not_in_xml_gives_each_detection_the_rows_it_gets_alone() {
    let hist = shared().join("attack_data_history");
    let index = std::fs::read_to_string(hist.join("INDEX.tsv")).expect("read INDEX.tsv");
    let files: Vec<String> = index
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            matches!(cols.get(3), Some(&("classic_wineventlog" | "json" | "text")))
                .then(|| hist.join(cols[0]).to_str().unwrap().to_string())
        })
        .collect();
    assert!(files.len() > 50, "{} files", files.len());
    let sc = shared().join("security_content");
    let dets: Vec<String> = [
        "suspicious_reg_exe_process",
        "system_user_discovery_with_whoami",
        "windows_msiexec_spawn_discovery_command",
        "windows_ad_dsrm_password_reset",
        "detect_computer_changed_with_anonymous_account",
        "windows_identify_powershell_web_access_iis_pool",
        "unusual_number_of_remote_endpoint_authentication_events",
        "office_product_spawn_cmd_process",
        "detect_regasm_with_network_connection",
        "first_time_seen_running_windows_service",
    ]
    .iter()
    .map(|d| sc.join(format!("detections/endpoint/{d}.yml")).to_str().unwrap().to_string())
    .collect();
    let run_on = |detections: &[String]| {
        let mut args: Vec<&str> = vec!["run"];
        args.extend(detections.iter().map(String::as_str));
        args.extend(["--content", sc.to_str().unwrap(), "--format", "json", "-q"]);
        for f in &files {
            args.extend(["--events", f.as_str()]);
        }
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        // One detection's rows are not named: name them as a pack's are.
        let name = std::fs::read_to_string(&detections[0])
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("name: ").map(str::to_string))
            .unwrap();
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for mut r in rows(&o) {
            let name = match r.shift_remove("search_name") {
                Some(n) => n.as_str().unwrap().to_string(),
                None => name.clone(),
            };
            by.entry(name).or_default().push(flat(&r));
        }
        by
    };
    let together = run_on(&dets);
    assert!(together.len() >= 6, "detections with rows: {:?}", together.keys().collect::<Vec<_>>());
    let mut alone: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &dets {
        alone.extend(run_on(std::slice::from_ref(d)));
    }
    assert_eq!(together.keys().collect::<Vec<_>>(), alone.keys().collect::<Vec<_>>());
    for (name, rows) in &together {
        assert!(rows == &alone[name], "{name}: {} rows in the pack, {} alone", rows.len(), alone[name].len());
    }
}

/// JSON lines are cut into blocks parsed on all cores: a real file of large lines (76 lines,
/// 2.4 MB: about ten blocks) copied three times, with broken lines among them, gives its events
/// in line order with each line as `_raw`, and the broken lines reported at their own line
/// numbers, as one reader going through the file line by line would.
#[test]
fn json_lines_parsed_in_blocks_keep_line_order_and_numbers() {
    let real = shared().join("attack_data_history/total_replay/detection_results.jsonl");
    let text = std::fs::read_to_string(&real).expect("read detection_results.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 76);
    let mut all: Vec<String> = Vec::new();
    for copy in 0..3 {
        all.extend(lines.iter().map(|l| l.to_string()));
        // Broken: an object never closed, then one cut short mid-string.
        all.insert(all.len() - 10 * (copy + 1), "{\"broken\": [1, 2".to_string());
        all.insert(all.len() - 5, "{\"cut\": \"abc".to_string());
    }
    let tmp = tempfile::Builder::new().prefix("spelunk-json-").tempdir().unwrap();
    let file = tmp.path().join("copies.jsonl");
    std::fs::write(&file, all.join("\n") + "\n").unwrap();

    let o = run(&["search", "* | table _raw", "--events", file.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raws: Vec<String> = rows(&o).iter().map(|r| r["_raw"].as_str().expect("a _raw string").to_string()).collect();
    let is_broken = |l: &str| l.starts_with("{\"broken\"") || l.starts_with("{\"cut\"");
    let good: Vec<String> = all.iter().filter(|l| !is_broken(l)).cloned().collect();
    assert_eq!(raws.len(), 3 * 76);
    assert!(raws == good, "every line an event, in line order");
    let err = stderr(&o);
    assert!(err.contains("228 events read, 228 parsed, 6 skipped as malformed"), "{err}");
    let broken_at: Vec<usize> = all.iter().enumerate().filter(|(_, l)| is_broken(l)).map(|(i, _)| i + 1).collect();
    for n in broken_at.iter().take(5) {
        assert!(err.contains(&format!("copies.jsonl:{n}: ")), "line {n} reported: {err}");
    }
}

/// JSON lines are judged by the prefilter before they are parsed, on their text with escapes
/// undone. Over real JSON (nested objects, escaped backslashes and quotes, `\u` escapes), a
/// search alone and searches routed together give the rows they give when no line is judged:
/// the same lines each ending in `,` (one element a line of an array), which are parsed
/// whatever they hold. Most lines are left unparsed.
#[test]
fn json_lines_judged_before_parsing_give_the_rows_of_lines_all_parsed() {
    let hist = shared().join("attack_data_history");
    let sources = [
        "datasets/suspicious_behaviour/crowdstrike_stream/event_stream_events/stream_events.log",
        "total_replay/detection_results.jsonl",
        "datasets/aws_bedrock_claude/aws_bedrock_claude_sensitive_data_in_prompts.ndjson",
    ];
    let mut lines: Vec<String> = Vec::new();
    for s in sources {
        let text = std::fs::read_to_string(hist.join(s)).unwrap();
        lines.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
    }
    assert!(lines.iter().any(|l| l.contains("\\\\")) && lines.iter().any(|l| l.contains("\\u")));
    let tmp = tempfile::Builder::new().prefix("spelunk-json-judged-").tempdir().unwrap();
    let judged = tmp.path().join("judged.json");
    let whole = tmp.path().join("whole.json");
    std::fs::write(&judged, lines.join("\n") + "\n").unwrap();
    std::fs::write(&whole, lines.iter().map(|l| format!("{l},\n")).collect::<String>()).unwrap();

    let searches = [
        ("cmd_parent", r#"event.ParentImageFileName="*\\System32\\cmd.exe" | stats count by event.ComputerName"#),
        ("quoted", r#"event.ParentCommandLine="*cmd.exe /c \"*" | stats count by event.ComputerName"#),
        ("raw_term", r#""rundll32" | stats count"#),
        ("nested_value", r#"file_name="*shimcache*" | table file_name"#),
        ("none", r#"file_name="no such detection" | stats count"#),
    ];
    let summary = |err: &str| err.lines().find(|l| l.contains(" events read, ")).unwrap_or_default().to_string();
    let mut judged_parsed = 0;
    for (name, spl) in searches {
        let on = |file: &Path| {
            let o = run(&["search", spl, "--events", file.to_str().unwrap(), "--format", "json"]);
            assert!(o.status.success(), "{name}: {}", stderr(&o));
            (rows(&o).iter().map(flat).collect::<Vec<_>>(), summary(&stderr(&o)))
        };
        let ((got, read_judged), (expected, read_whole)) = (on(&judged), on(&whole));
        assert_eq!(got, expected, "{name}");
        assert!(read_whole.contains(&format!("{n} events read, {n} parsed", n = lines.len())), "{read_whole}");
        let parsed: usize = read_judged.split(", ").nth(2).and_then(|p| p.split(' ').next()?.parse().ok()).unwrap();
        judged_parsed += parsed;
        if name != "none" {
            assert!(!got.is_empty() && !got.iter().any(|r| r.contains("count=0")), "{name} gave rows: {got:?}");
        }
    }
    assert!(judged_parsed < searches.len() * lines.len() / 4, "{judged_parsed} lines parsed in all");

    // Together, routed.
    let mut files = Vec::new();
    for (name, spl) in searches {
        let f = tmp.path().join(format!("{name}.yml"));
        std::fs::write(&f, format!("name: {name}\nsearch: '{}'\n", spl.replace('\'', "''"))).unwrap();
        files.push(f.display().to_string());
    }
    let together = |file: &Path| {
        let mut args = vec!["run"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--events", file.to_str().unwrap(), "--format", "json"]);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        (rows(&o).iter().map(flat).collect::<Vec<_>>(), summary(&stderr(&o)))
    };
    let ((got, read), (expected, _)) = (together(&judged), together(&whole));
    assert_eq!(got, expected);
    assert!(!read.contains(&format!("{n} parsed", n = lines.len())), "routed lines left unparsed: {read}");
}

/// Text lines and classic WinEventLog blocks are judged by the prefilter before they become
/// events (their values and `_raw` lie in their lines): over a real Splunk audit log and a real
/// Security log, a search for a term gives the count a `regex` over every parsed record gives,
/// and only the records holding the term are parsed.
#[test]
fn text_and_classic_records_judged_before_parsing_give_the_counts_of_every_record_parsed() {
    let hist = shared().join("attack_data_history/datasets/attack_techniques");
    let cases = [
        ("T1203/search_activity.txt.a8c8275f", 4175, &["tstats", "summarize", "user=admin"][..]),
        ("T1003.003/atomic_red_team/windows-sec-events.log", 1797, &["lsass\\.exe", "ntdsutil", "4688"][..]),
    ];
    for (name, records, terms) in cases {
        let file = hist.join(name);
        let file = file.to_str().unwrap();
        let count = |spl: &str| {
            let o = run(&["search", spl, "--events", file, "--format", "json"]);
            assert!(o.status.success(), "{}", stderr(&o));
            let err = stderr(&o);
            let line = err.lines().find(|l| l.contains(" events read, ")).unwrap().to_string();
            (rows(&o)[0]["count"].to_string(), line)
        };
        for term in terms {
            let (judged, read) = count(&format!("\"{}\" | stats count", term.replace("\\", "")));
            let (every, all) = count(&format!("* | regex _raw=\"(?i){term}\" | stats count"));
            assert_eq!(judged, every, "{term}");
            assert_ne!(judged, "0", "{term}");
            assert!(all.contains(&format!("{records} events read, {records} parsed")), "{all}");
            let parsed = format!("{records} events read, {judged} parsed");
            assert!(read.contains(&parsed), "only records holding {term} parsed: {read}");
        }
    }
}

/// CSV is cut into blocks parsed on all cores, each at a row's start as the CSV reader finds
/// it. Every event of `../shared/attack_data` exported as CSV (values with commas, quotes and
/// CRLF inside; 3 MB: a dozen blocks), twice, with a binary row between the copies and one at
/// the end, reads back as the events themselves, in order, and the broken rows are reported at
/// their own line numbers.
#[test]
fn csv_rows_parsed_in_blocks_read_back_an_export_in_order() {
    let data = shared().join("attack_data");
    let data = data.to_str().unwrap();
    let tmp = tempfile::Builder::new().prefix("spelunk-csv-").tempdir().unwrap();
    let export = tmp.path().join("export.csv");
    let o = run(&["search", "*", "--events", data, "--format", "csv", "-q", "-o", export.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&export).unwrap();
    let body_at = text.find('\n').unwrap() + 1;
    let bad_line = text.matches('\n').count() + 1;
    let both = format!("{text}bin\0ary,row\n{}bin\0ary,again\n", &text[body_at..]);
    let file = tmp.path().join("both.csv");
    std::fs::write(&file, &both).unwrap();
    let last_line = both.matches('\n').count();

    let search = "* | table _time source host EventCode CommandLine TargetFilename";
    let read_back = run(&["search", search, "--events", file.to_str().unwrap(), "--format", "json"]);
    assert!(read_back.status.success(), "{}", stderr(&read_back));
    let original = run(&["search", search, "--events", data, "--events", data, "--format", "json", "-q"]);
    let (back, orig) = (rows(&read_back), rows(&original));
    assert!(back.len() > 2000, "{} rows", back.len());
    assert!(back == orig, "every event read back, in order");
    let err = stderr(&read_back);
    let n = back.len();
    assert!(err.contains(&format!("{n} events read, {n} parsed, 2 skipped as malformed")), "{err}");
    for line in [bad_line, last_line] {
        assert!(err.contains(&format!("both.csv:{line}: binary data")), "line {line} reported: {err}");
    }
}

/// CSV rows are judged by the prefilter before they are made events, on their cells and the
/// row re-joined (their `_raw`). Over the real events of `../shared/attack_data` exported as
/// CSV, searches whose terms are judged give the counts of the same test run on every row, and
/// leave most rows unparsed; a value holding quotes (doubled in the row's text) is found too.
#[test]
fn csv_rows_judged_before_parsing_give_the_counts_of_every_row_parsed() {
    let data = shared().join("attack_data");
    let tmp = tempfile::Builder::new().prefix("spelunk-csv-").tempdir().unwrap();
    let file = tmp.path().join("export.csv");
    let file = file.to_str().unwrap();
    let o = run(&["search", "*", "--events", data.to_str().unwrap(), "--format", "csv", "-q", "-o", file]);
    assert!(o.status.success(), "{}", stderr(&o));
    let count = |spl: &str| {
        let o = run(&["search", spl, "--events", file, "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let err = stderr(&o);
        let line = err.lines().find(|l| l.contains(" events read, ")).unwrap().to_string();
        let parsed: u64 = line.split(" events read, ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        (rows(&o)[0]["count"].to_string(), parsed)
    };
    let (_, rows_in_file) = count("* | stats count");
    assert!(rows_in_file > 1000, "{rows_in_file} rows");
    let cases = [
        ("\"powershell.exe\"", "regex _raw=\"(?i)powershell\\.exe\"", true),
        ("process_name=cmd.exe", "where lower(process_name)=\"cmd.exe\"", true),
        ("CommandLine=\"*\\\"*\\\"*\"", "where like(CommandLine, \"%\\\"%\\\"%\")", false),
    ];
    for (term, test, fewer) in cases {
        let (judged, parsed) = count(&format!("{term} | stats count"));
        let (every, all) = count(&format!("* | {test} | stats count"));
        assert_eq!(judged, every, "{term}");
        assert_ne!(judged, "0", "{term}");
        assert_eq!(all, rows_in_file);
        if fewer {
            assert!(parsed * 10 < rows_in_file, "{term}: {parsed} of {rows_in_file} rows parsed");
        }
    }
}

/// A tar archive's members are read as the files themselves are: XML (with classic records
/// pasted in, reported at their own lines), JSON lines, classic WinEventLog and text in blocks
/// on all cores, a gzipped tar inside the tar, and EVTX (which the tar crate stores as a GNU
/// sparse member where the file system keeps its empty chunks as holes, as here; the reader's
/// unit tests build one). The same rows in the same order, the same counts, the malformed
/// records at `archive!member:line`.
#[test]
fn tar_members_read_as_the_files_themselves() {
    let hist = shared().join("attack_data_history");
    let members = [
        "datasets/attack_techniques/T1552.004/certutil_exe_certificate_extraction/certutil_exe_certificate_extraction.raw",
        "total_replay/detection_results.jsonl",
        "datasets/attack_techniques/T1003.003/atomic_red_team/windows-sec-events.log",
        "datasets/attack_techniques/T1203/search_activity.txt.a8c8275f",
        "datasets/attack_techniques/T1047/atomic_red_team/attack_data.tar.gz",
        "datasets/attack_techniques/T1574.009/windefend_service_stop/default-attack-range-windows-domain-controller_windows_event_logs_application.evtx",
    ];
    let tmp = tempfile::Builder::new().prefix("spelunk-tar-").tempdir().unwrap();
    let archive = tmp.path().join("mix.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&archive).unwrap());
    for m in members {
        builder.append_path_with_name(hist.join(m), m).unwrap();
    }
    builder.into_inner().unwrap();

    let search = "* | table _time host sourcetype EventCode _raw";
    let from_tar = run(&["search", search, "--events", archive.to_str().unwrap(), "--format", "json"]);
    assert!(from_tar.status.success(), "{}", stderr(&from_tar));
    let files: Vec<String> = members.iter().map(|m| hist.join(m).to_str().unwrap().to_string()).collect();
    let mut args = vec!["search", search, "--format", "json"];
    for f in &files {
        args.extend(["--events", f.as_str()]);
    }
    let from_files = run(&args);
    assert!(from_files.status.success(), "{}", stderr(&from_files));
    let (a, b) = (rows(&from_tar), rows(&from_files));
    assert!(a.len() > 14_000, "{} rows", a.len());
    assert!(a == b, "the members' events, in order");
    let summary = |o: &std::process::Output| {
        let err = stderr(o);
        let line = err.lines().find(|l| l.contains(" events read, ")).unwrap().to_string();
        line.split_once(" files read, ").unwrap().1.to_string()
    };
    assert_eq!(summary(&from_tar), summary(&from_files));
    let err = stderr(&from_tar);
    for line in [2, 23, 43, 98] {
        let at = format!("mix.tar!{}:{line}: text outside any <Event> record", members[0]);
        assert!(err.contains(&at), "{at} in {err}");
    }
}

/// Windows events sent through Splunk's HTTP Event Collector (`{"sourcetype":"XmlWinEventLog",
/// "event":"<Event …>…</Event>"}`, as a WEF-to-HEC forwarder or Cribl writes them) read as the
/// XML records themselves: the endpoint pack over every XmlWinEventLog file of attack_data,
/// wrapped one record a payload, gives the rows it gives over the files.
#[test]
fn windows_events_in_hec_payloads_give_the_rows_of_the_xml_files() {
    let mut files = Vec::new();
    walk(&shared().join("attack_data"), &mut files);
    let files: Vec<PathBuf> =
        files.into_iter().filter(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"<Event"))).collect();
    assert!(files.len() >= 10, "{files:?}");
    let mut hec = String::new();
    let mut records = 0u64;
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("<Event") {
            let Some(len) = rest[at..].find("</Event>") else { break };
            let record = &rest[at..at + len + "</Event>".len()];
            let payload = serde_json::json!({"sourcetype": "XmlWinEventLog", "index": "main", "event": record});
            hec.push_str(&payload.to_string());
            hec.push('\n');
            records += 1;
            rest = &rest[at + len..];
        }
    }
    let dir = std::env::temp_dir().join(format!("spelunk-hec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrapped = dir.join("windows.json");
    std::fs::write(&wrapped, hec).unwrap();
    let sc = shared().join("security_content");
    let pack = |events: &[&Path]| {
        let mut args = vec![
            "run".to_string(),
            sc.join("detections/endpoint").display().to_string(),
            "--content".into(),
            sc.display().to_string(),
            "--format".into(),
            "json".into(),
        ];
        for e in events {
            args.push("--events".into());
            args.push(e.display().to_string());
        }
        let o = bin().args(args).current_dir(root()).output().unwrap();
        let (_, read, skipped) = summary(&stderr(&o)).unwrap();
        assert_eq!((read, skipped), (records, 0), "{}", stderr(&o));
        // Fields compared by name: a row of whole events has `index` where its reader put it
        // (a payload's own, before extraction's fields; `main`, after them).
        let mut lines: Vec<String> = rows(&o)
            .into_iter()
            .map(|r| serde_json::to_string(&r.into_iter().collect::<std::collections::BTreeMap<_, _>>()).unwrap())
            .collect();
        lines.sort();
        lines
    };
    let from_files = pack(&files.iter().map(PathBuf::as_path).collect::<Vec<_>>());
    let from_hec = pack(&[wrapped.as_path()]);
    assert!(from_files.len() > 100, "{}", from_files.len());
    assert_eq!(from_files, from_hec);
    std::fs::remove_dir_all(&dir).ok();
}
