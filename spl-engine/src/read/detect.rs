//! Format detection: by content first (EVTX magic, `<Event`, `{`/`[`, the classic WinEventLog
//! timestamp line), then by extension, else plain text.

use std::path::Path;

use super::Format;

/// The format a `--sourcetype` names, when it names one (case-insensitive; `XmlWinEventLog:…`
/// and `WinEventLog:…` channel forms included). Vendor sourcetypes (`pan:traffic`, …) name none.
pub fn format_for_sourcetype(sourcetype: &str) -> Option<Format> {
    let st = sourcetype.to_ascii_lowercase();
    let base = st.split(':').next().unwrap_or(&st);
    match base {
        "xmlwineventlog" => Some(Format::XmlWinEventLog),
        "wineventlog" => Some(Format::WinEventLog),
        "json" | "_json" => Some(Format::JsonLines),
        "csv" => Some(Format::Csv),
        "evtx" => Some(Format::Evtx),
        _ => None,
    }
}

/// Decide the format of a stream from its first bytes and its path (`.gz` already undone).
pub fn detect_format(path: &Path, head: &[u8]) -> Format {
    if head.starts_with(super::evtx::MAGIC) {
        return Format::Evtx;
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let body = body.trim_ascii_start();
    if body.starts_with(b"<Event") || body.starts_with(b"<?xml") {
        return Format::XmlWinEventLog;
    }
    if body.starts_with(b"{") || body.starts_with(b"[{") || body.starts_with(b"[\n") || body.starts_with(b"[\r\n") {
        return Format::JsonLines;
    }
    if is_wineventlog(body) {
        return Format::WinEventLog;
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("evtx") => Format::Evtx,
        Some("xml") => Format::XmlWinEventLog,
        Some("json" | "jsonl" | "ndjson") => Format::JsonLines,
        Some("csv") => Format::Csv,
        _ if is_splunk_csv(body) => Format::Csv,
        _ => Format::Text,
    }
}

/// `MM/DD/YYYY hh:mm:ss AM` on the first line and a `LogName=` line right after.
fn is_wineventlog(body: &[u8]) -> bool {
    let mut lines = body.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let (Some(first), Some(second)) = (lines.next(), lines.next()) else {
        return false;
    };
    super::wineventlog::is_timestamp_line(first) && second.starts_with(b"LogName=")
}

/// A Splunk results export in CSV: a header of field names only, one of them `_time` or `_raw`.
fn is_splunk_csv(body: &[u8]) -> bool {
    let first = body.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let cells: Vec<&[u8]> = first
        .split(|&b| b == b',')
        .map(|c| c.strip_prefix(b"\"").and_then(|c| c.strip_suffix(b"\"")).unwrap_or(c))
        .collect();
    let name_like = |c: &[u8]| !c.is_empty() && c.iter().all(|&b| b.is_ascii_alphanumeric() || b"_.{}@:-".contains(&b));
    cells.len() > 1 && cells.iter().all(|c| name_like(c)) && cells.iter().any(|&c| c == b"_time" || c == b"_raw")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content_then_extension() {
        let p = Path::new("x.log");
        assert_eq!(detect_format(p, b"ElfFile\0rest"), Format::Evtx);
        assert_eq!(detect_format(p, b"\xEF\xBB\xBF<Event xmlns='x'>"), Format::XmlWinEventLog);
        assert_eq!(detect_format(p, b"  {\"a\":1}"), Format::JsonLines);
        assert_eq!(detect_format(p, b"04/22/2020 09:19:51 PM\r\nLogName=Security\r\n"), Format::WinEventLog);
        assert_eq!(detect_format(Path::new("a.csv"), b"a,b\n1,2"), Format::Csv);
        assert_eq!(detect_format(p, b"\"_time\",host\n1,2"), Format::Csv);
        assert_eq!(detect_format(p, b"Oct 1 12:00:00 host sshd: x"), Format::Text);
        assert_eq!(format_for_sourcetype("XmlWinEventLog:Security"), Some(Format::XmlWinEventLog));
        assert_eq!(format_for_sourcetype("_json"), Some(Format::JsonLines));
        assert_eq!(format_for_sourcetype("pan:traffic"), None);
    }
}
