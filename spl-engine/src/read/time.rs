//! Timestamps → epoch seconds (UTC), keeping sub-second precision.

use chrono::{DateTime, NaiveDateTime};

/// Parse the timestamp shapes seen in the corpus:
/// - epoch seconds (`1601973826.617`), or milliseconds when the number is too large for seconds;
/// - ISO-8601 / RFC 3339 with zone (`2020-10-08T11:03:46.617920300Z`, `…+02:00`);
/// - ISO-8601 without zone (`2020-08-01 05:46:46`, `2020-08-01T05:46:46.123`), taken as UTC;
/// - classic WinEventLog `04/22/2020 09:19:51 PM`, taken as UTC (the file carries no zone).
pub fn parse_time(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(n) = crate::value::parse_num(t) {
        // 1e11 s is the year 5138: larger values are epoch milliseconds.
        return Some(if n.abs() >= 1e11 { n / 1000.0 } else { n });
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(epoch(dt.timestamp(), dt.timestamp_subsec_nanos()));
    }
    const NAIVE: &[&str] =
        &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S"];
    for fmt in NAIVE {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            let dt = dt.and_utc();
            return Some(epoch(dt.timestamp(), dt.timestamp_subsec_nanos()));
        }
    }
    // Offsets written without a colon (`+0000`) and `Z` with a space before it.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Some(epoch(dt.timestamp(), dt.timestamp_subsec_nanos()));
        }
    }
    None
}

fn epoch(secs: i64, nanos: u32) -> f64 {
    secs as f64 + f64::from(nanos) / 1e9
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn shapes() {
        assert_eq!(parse_time("2020-10-08T11:03:46.617920300Z"), Some(1602155026.6179203));
        assert_eq!(parse_time("1602155026"), Some(1602155026.0));
        assert_eq!(parse_time("1602155026617"), Some(1602155026.617));
        assert_eq!(parse_time("2020-08-01 05:46:46"), Some(1596260806.0));
        assert_eq!(parse_time("04/22/2020 09:19:51 PM"), Some(1587590391.0));
        assert_eq!(parse_time("2020-08-01T05:46:46+0000"), Some(1596260806.0));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }
}
