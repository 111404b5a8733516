//! The real corpus (../shared/security_content) through the real CLI: validate pins, test
//! summary pins, and exact rows of data-model (tstats) detections over their real logs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // tests may fail loudly
mod common;
use common::*;

fn sc() -> String {
    shared().join("security_content").display().to_string()
}

fn attack(rel: &str) -> String {
    shared().join("attack_data/datasets/attack_techniques").join(rel).display().to_string()
}

fn det(rel: &str) -> String {
    shared().join("security_content/detections").join(rel).display().to_string()
}

/// The last line of stdout: the summary.
fn summary(o: &std::process::Output) -> String {
    stdout(o).lines().last().unwrap_or("").to_string()
}

fn count(summary: &str, label: &str) -> usize {
    let words: Vec<&str> = summary.split([' ', ',', ';', ':']).filter(|w| !w.is_empty()).collect();
    words
        .windows(2)
        .find(|w| w[1] == label)
        .and_then(|w| w[0].parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in {summary}"))
}

#[test]
fn validate_whole_corpus_has_no_errors_and_pinned_ok_count() {
    let detections = format!("{}/detections", sc());
    let o = run(&["validate", "--content", &sc(), &detections, "--format", "json"]);
    assert!(o.status.success(), "validate exit {:?}\n{}", o.status.code(), summary(&o));
    let s = summary(&o);
    assert_eq!(count(&s, "detections"), 1613, "{s}");
    assert_eq!(count(&s, "error"), 0, "{s}");
    // Raise this pin as the engine grows; it must never drop.
    assert!(count(&s, "ok") >= 1598, "{s}");
    for line in stdout(&o).lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert!(matches!(v["status"].as_str(), Some("ok" | "unsupported")), "{line}");
        if v["status"] == "unsupported" {
            assert!(v["unsupported"].as_array().is_some_and(|a| !a.is_empty()), "unsupported must name what: {line}");
        }
    }
}

#[test]
fn validate_warns_of_patterns_that_can_never_match_case_folded_text() {
    let o = run(&[
        "validate",
        "--content",
        &sc(),
        &det("endpoint/powershell_4104_hunting.yml"),
        &det("web/exploit_public_facing_application_via_apache_commons_text.yml"),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(r#"`match` tests lower(…) for \"SEKURLSA::Pth\": its `S` can never be"#), "{out}");
    assert!(out.contains(r#"`like` tests lower(…) for \"%getRuntime%\": its `R` can never be"#), "{out}");
}

#[test]
fn test_over_attack_data_pins_the_pass_count() {
    let detections = format!("{}/detections", sc());
    let data = shared().join("attack_data").display().to_string();
    let o = run(&["test", "--content", &sc(), "--data-root", &data, &detections, "--format", "json"]);
    let s = summary(&o);
    // The only detection that cannot run is the one needing a GeoIP database (iplocation),
    // which this machine does not have; anything else erroring is a regression.
    let errors: Vec<String> = stdout(&o)
        .lines()
        .filter(|l| l.contains(r#""status":"error""#))
        .filter(|l| !l.contains("GeoIP database"))
        .map(str::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(count(&s, "error") <= 1, "{s}");
    assert!(count(&s, "passed") >= 42, "{s}");
    let all = count(&s, "passed")
        + count(&s, "failed")
        + count(&s, "skipped")
        + count(&s, "unsupported")
        + count(&s, "error");
    assert_eq!(all, 1613, "{s}");
}

/// The rows of "Potential password in username" over a linux_secure log.
fn password_in_username(events: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let o = run(&[
        "run",
        &det("endpoint/potential_password_in_username.yml"),
        "--content",
        &sc(),
        "--events",
        events,
        "--sourcetype",
        "linux_secure",
        "--source",
        "/var/log/secure",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    rows(&o)
}

/// linux_secure sshd logons (content/sourcetypes/linux_secure.yml) through the Authentication
/// data model, `ut_shannon_lookup`, `map` over a second tstats, and `outlier action=RM count`.
#[test]
fn password_typed_as_user_name_over_real_linux_secure_log() {
    let rows = password_in_username(&attack("T1552.001/password_in_username/linux_secure.log"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    // "Invalid user ASJda1283JSaJDgj from 84.202.159.161", then mikael logs on from there.
    assert_eq!(r["user"], "mikael");
    assert_eq!(r["incorrect_cred"], "ASJda1283JSaJDgj");
    assert_eq!(r["src"], "84.202.159.161");
    assert_eq!(r["dest"], "ip-172-31-24-46");
    assert_eq!(r["count"], 1);
    assert!(r["ut_shannon"].as_str().is_some_and(|e| e.starts_with("3.4528")), "{r:?}");
    assert_eq!(r["endtime"].as_f64().zip(r["starttime"].as_f64()).map(|(e, s)| e - s), Some(0.0));
}

/// The same detection over two password-like user names from two sources: its `map` runs a
/// search per row over the logon rows it kept, each finding the logon that followed.
#[test]
fn password_typed_as_user_name_twice_gives_a_row_each() {
    let tmp = tempfile::Builder::new().prefix("spelunk-secure-").tempdir().unwrap();
    let log = tmp.path().join("secure");
    std::fs::write(
        &log,
        "Apr  2 08:00:01 bastion sshd[201]: Invalid user Xk9pQ2mZ7w from 10.0.0.5 port 5001\n\
         Apr  2 08:00:09 bastion sshd[202]: Accepted password for alice from 10.0.0.5 port 5002 ssh2\n\
         Apr  2 08:05:01 bastion sshd[203]: Invalid user Zq8wR4tY1u from 10.0.0.6 port 5003\n\
         Apr  2 08:05:07 bastion sshd[204]: Accepted password for bob from 10.0.0.6 port 5004 ssh2\n\
         Apr  2 09:00:00 bastion sshd[205]: Accepted password for carol from 10.0.0.7 port 5005 ssh2\n",
    )
    .unwrap();
    let mut got: Vec<(String, String)> = password_in_username(&log.display().to_string())
        .iter()
        .map(|r| (r["user"].as_str().unwrap_or("").to_string(), r["incorrect_cred"].as_str().unwrap_or("").to_string()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [("alice".to_string(), "Xk9pQ2mZ7w".to_string()), ("bob".to_string(), "Zq8wR4tY1u".to_string())],
        "carol logged on with no failed attempt before"
    );
}

/// content/sourcetypes/linux_secure.yml on the sshd line shapes it names, and a line it does not.
#[test]
fn linux_secure_sshd_lines_give_authentication_fields() {
    let tmp = tempfile::Builder::new().prefix("spelunk-secure-").tempdir().unwrap();
    let log = tmp.path().join("secure");
    std::fs::write(
        &log,
        "Mar  3 10:00:01 web1 sshd[101]: Failed password for invalid user admin1 from 10.0.0.9 port 4242 ssh2\n\
         Mar  3 10:00:02 web1 sshd[102]: Failed publickey for root from 10.0.0.9 port 4243 ssh2\n\
         Mar  3 10:00:03 web1 sshd[103]: Accepted publickey for deploy from 10.0.0.7 port 4244 ssh2\n\
         Mar  3 10:00:04 web1 sudo: deploy : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls\n",
    )
    .unwrap();
    let log = log.display().to_string();
    let search = |spl: &str| {
        let o = run(&[
            "search",
            spl,
            "--content",
            &sc(),
            "--events",
            &log,
            "--sourcetype",
            "linux_secure",
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        rows(&o).iter().map(flat).collect::<Vec<String>>()
    };
    let got = search(
        "| tstats count from datamodel=Authentication by Authentication.action Authentication.user \
         Authentication.src Authentication.dest Authentication.app | `drop_dm_object_name(Authentication)`",
    );
    assert_eq!(
        got,
        [
            "action=failure user=admin1 src=10.0.0.9 dest=web1 app=sshd count=1",
            "action=failure user=root src=10.0.0.9 dest=web1 app=sshd count=1",
            "action=success user=deploy src=10.0.0.7 dest=web1 app=sshd count=1",
        ],
        "the sudo line is no logon"
    );
    let got = search("* | eval t=strftime(_time, \"%m-%d %H:%M:%S\") | table t process pid");
    assert_eq!(got[0], "t=03-03 10:00:01 process=sshd pid=101");
    assert_eq!(got[3], "t=03-03 10:00:04 process=sudo", "a syslog line's program, without a pid");
}

#[test]
fn tstats_pcalua_rows_over_real_sysmon_log() {
    let o = run(&[
        "run",
        &det("endpoint/windows_indirect_command_execution_via_pcalua.yml"),
        "--content",
        &sc(),
        "--events",
        &attack("T1202/atomic_red_team/windows-sysmon.log"),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Vec<String> = rows(&o).iter().map(flat).collect();
    let host = "dest=win-dc-emcginnis-47905-664.attackrange.local user=Administrator";
    let cmd = r#"parent_process="cmd.exe" /c "pcalua.exe -a calc.exe &amp; pcalua.exe -a C:\Windows\System32\calc.exe" parent_process_name=cmd.exe"#;
    let tail = "count=1 firstTime=2022-03-25T17:46:37 lastTime=2022-03-25T17:46:37";
    assert_eq!(
        got,
        vec![
            format!(
                r"{host} {cmd} process_name=pcalua.exe process=pcalua.exe  -a C:\Windows\System32\calc.exe process_id=4888 parent_process_id=3492 process_path=C:\Windows\System32\pcalua.exe {tail}"
            ),
            format!(
                r"{host} {cmd} process_name=pcalua.exe process=pcalua.exe  -a calc.exe process_id=4852 parent_process_id=3492 process_path=C:\Windows\System32\pcalua.exe {tail}"
            ),
            format!(
                r#"{host} parent_process=pcalua.exe  -a C:\Windows\System32\calc.exe parent_process_name=pcalua.exe process_name=calc.exe process="C:\Windows\System32\calc.exe" process_id=4116 parent_process_id=4888 process_path=C:\Windows\System32\calc.exe {tail}"#
            ),
            format!(
                r#"{host} parent_process=pcalua.exe  -a calc.exe parent_process_name=pcalua.exe process_name=calc.exe process="C:\Windows\System32\calc.exe" process_id=2112 parent_process_id=4852 process_path=C:\Windows\System32\calc.exe {tail}"#
            ),
        ]
    );
}

#[test]
fn tstats_rtlo_in_process_rows_over_real_log() {
    let o = run(&[
        "run",
        &det("endpoint/detect_rtlo_in_process.yml"),
        "--content",
        &sc(),
        "--events",
        &attack("T1036.002/outlook_attachment/rtlo_events.log"),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = rows(&o);
    // Three Sysmon process creations of chrome.exe with a right-to-left override in the command
    // line; the Security 4688 records of the same file enter Endpoint.Processes too.
    let sysmon: Vec<_> = rows.iter().filter(|r| r["original_file_name"] == "chrome.exe").collect();
    assert_eq!(sysmon.len(), 3, "{rows:?}");
    for r in &sysmon {
        assert_eq!(r["dest"], "victim.lan.local");
        assert_eq!(r["user"], "ADMIN");
        assert_eq!(r["parent_process_name"], "explorer.exe");
        assert!(r["process_with_RTLO"].as_str().is_some_and(|p| p.contains('\u{202e}')), "{r:?}");
    }
    let ids: Vec<&str> = sysmon.iter().filter_map(|r| r["process_id"].as_str()).collect();
    assert_eq!(ids, ["12408", "2980", "7936"], "sorted by the by-values, lexicographically");
}
