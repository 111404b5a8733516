//! Splunk time handling shared by eval (`strftime`, `strptime`, `relative_time`), `convert
//! ctime`, `bin`/`bucket`/`timechart`/`tstats` spans and `earliest=`/`latest=`.
//!
//! Times are epoch seconds as `f64` (sub-second precision kept to the microsecond). The time
//! zone is a fixed UTC offset in seconds (`tz_offset`, east positive); calendar operations
//! (days, weeks, months, snapping) happen in that local time.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Local wall-clock time of epoch `t` plus its microseconds, or `None` when out of range.
pub fn to_local(t: f64, tz_offset: i32) -> Option<NaiveDateTime> {
    if !t.is_finite() {
        return None;
    }
    let mut secs = t.floor();
    let mut micros = ((t - secs) * 1e6).round();
    if micros >= 1e6 {
        secs += 1.0;
        micros = 0.0;
    }
    if secs.abs() > 1e14 {
        return None;
    }
    let dt = DateTime::from_timestamp(secs as i64, (micros as u32) * 1000)?;
    dt.naive_utc().checked_add_signed(Duration::seconds(i64::from(tz_offset)))
}

/// Epoch seconds of a local wall-clock time.
pub fn from_local(dt: NaiveDateTime, tz_offset: i32) -> f64 {
    let utc = dt.and_utc();
    utc.timestamp() as f64 - f64::from(tz_offset) + f64::from(utc.timestamp_subsec_nanos()) / 1e9
}

fn offset_text(off: i32, colons: usize) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    let (h, m, s) = (a / 3600, (a / 60) % 60, a % 60);
    match colons {
        0 => format!("{sign}{h:02}{m:02}"),
        1 => format!("{sign}{h:02}:{m:02}"),
        2 => format!("{sign}{h:02}:{m:02}:{s:02}"),
        _ => format!("{sign}{h:02}"),
    }
}

fn zone_name(off: i32) -> String {
    if off == 0 {
        "UTC".to_string()
    } else {
        offset_text(off, 0)
    }
}

/// Format epoch `t` with Splunk's `strftime` variables. `None` when `t` is not a representable
/// time. Unknown `%x` sequences are copied through.
pub fn strftime(t: f64, fmt: &str, tz_offset: i32) -> Option<String> {
    let dt = to_local(t, tz_offset)?;
    let mut out = String::with_capacity(fmt.len() + 16);
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let start = i - 1;
        // Flags/width: `-` (no padding), digits (sub-second width), colons (for %z), `E`.
        let mut no_pad = false;
        let mut width: Option<usize> = None;
        let mut colons = 0;
        while let Some(&f) = chars.get(i) {
            if f == '-' {
                no_pad = true;
            } else if let Some(d) = f.to_digit(10) {
                width = Some(width.unwrap_or(0) * 10 + d as usize);
            } else if f == ':' {
                colons += 1;
            } else if f == 'E' || f == 'O' {
                // Alternative-representation modifiers: ignored, except %Ez below.
                if chars.get(i + 1) == Some(&'z') {
                    i += 2;
                    out.push_str(&(tz_offset / 60).to_string());
                    width = None;
                    colons = usize::MAX;
                    break;
                }
            } else {
                break;
            }
            i += 1;
        }
        if colons == usize::MAX {
            continue;
        }
        let Some(&spec) = chars.get(i) else {
            out.extend(chars.get(start..).unwrap_or_default());
            break;
        };
        i += 1;
        // Written in place: formatting every event's time (`convert ctime`, output) built a
        // string per variable.
        let num = |out: &mut String, v: u32, w: usize| {
            let _ = if no_pad { write!(out, "{v}") } else { write!(out, "{v:0w$}") };
        };
        let micros = dt.nanosecond() / 1000;
        let nanos9 = || format!("{:09}", u64::from(micros) * 1000);
        match spec {
            'Y' => {
                let _ = write!(out, "{}", dt.year());
            }
            'y' => num(&mut out, dt.year().rem_euclid(100) as u32, 2),
            'C' => num(&mut out, dt.year().div_euclid(100) as u32, 2),
            'm' => num(&mut out, dt.month(), 2),
            'd' => num(&mut out, dt.day(), 2),
            'e' => {
                let _ = write!(out, "{:2}", dt.day());
            }
            'H' => num(&mut out, dt.hour(), 2),
            'k' => {
                let _ = write!(out, "{:2}", dt.hour());
            }
            'I' => num(&mut out, (dt.hour() + 11) % 12 + 1, 2),
            'l' => {
                let _ = write!(out, "{:2}", (dt.hour() + 11) % 12 + 1);
            }
            'M' => num(&mut out, dt.minute(), 2),
            'S' => num(&mut out, dt.second(), 2),
            'j' => num(&mut out, dt.ordinal(), 3),
            'p' => out.push_str(if dt.hour() < 12 { "AM" } else { "PM" }),
            'P' => out.push_str(if dt.hour() < 12 { "am" } else { "pm" }),
            'b' | 'h' => out.push_str(MONTHS.get(dt.month0() as usize).and_then(|m| m.get(..3)).unwrap_or("")),
            'B' => out.push_str(MONTHS.get(dt.month0() as usize).copied().unwrap_or("")),
            'a' => out.push_str(
                WEEKDAYS.get(dt.weekday().num_days_from_sunday() as usize).and_then(|d| d.get(..3)).unwrap_or(""),
            ),
            'A' => out.push_str(WEEKDAYS.get(dt.weekday().num_days_from_sunday() as usize).copied().unwrap_or("")),
            'u' => out.push_str(&dt.weekday().number_from_monday().to_string()),
            'w' => out.push_str(&dt.weekday().num_days_from_sunday().to_string()),
            'U' => num(&mut out, (dt.ordinal() + 6 - dt.weekday().num_days_from_sunday()) / 7, 2),
            'W' => num(&mut out, (dt.ordinal() + 6 - dt.weekday().num_days_from_monday()) / 7, 2),
            'V' => num(&mut out, dt.iso_week().week(), 2),
            'G' => out.push_str(&dt.iso_week().year().to_string()),
            's' => {
                let _ = write!(out, "{}", t.floor() as i64);
            }
            // %N: subsecond digits, default 9; %Q: default 3 (milliseconds). Truncated, not rounded.
            'N' => out.push_str(nanos9().get(..width.unwrap_or(9).clamp(1, 9)).unwrap_or("")),
            'Q' => out.push_str(nanos9().get(..width.unwrap_or(3).clamp(1, 9)).unwrap_or("")),
            'f' => {
                let _ = write!(out, "{micros:06}");
            }
            'z' => out.push_str(&offset_text(tz_offset, colons)),
            'Z' => out.push_str(&zone_name(tz_offset)),
            'T' | 'X' => {
                let _ = write!(out, "{:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second());
            }
            'R' => {
                let _ = write!(out, "{:02}:{:02}", dt.hour(), dt.minute());
            }
            'r' => {
                let h = (dt.hour() + 11) % 12 + 1;
                let ap = if dt.hour() < 12 { "AM" } else { "PM" };
                out.push_str(&format!("{h:02}:{:02}:{:02} {ap}", dt.minute(), dt.second()));
            }
            'F' => {
                let _ = write!(out, "{}-{:02}-{:02}", dt.year(), dt.month(), dt.day());
            }
            'D' | 'x' => {
                let _ = write!(out, "{:02}/{:02}/{:02}", dt.month(), dt.day(), dt.year().rem_euclid(100));
            }
            'c' => out.push_str(&strftime(t, "%a %b %e %H:%M:%S %Y", tz_offset)?),
            '+' => out.push_str(&strftime(t, "%a %b %e %H:%M:%S %Z %Y", tz_offset)?),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            '%' => out.push('%'),
            _ => out.extend(chars.get(start..i).unwrap_or_default()),
        }
    }
    Some(out)
}

#[derive(Default)]
struct Parsed {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    yday: Option<u32>,
    hour: Option<u32>,
    hour12: Option<u32>,
    pm: Option<bool>,
    minute: Option<u32>,
    second: Option<u32>,
    frac: f64,
    epoch: Option<f64>,
    offset: Option<i32>,
}

fn expand_composites(fmt: &str) -> String {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some('T') | Some('X') => {
                it.next();
                out.push_str("%H:%M:%S");
            }
            Some('F') => {
                it.next();
                out.push_str("%Y-%m-%d");
            }
            Some('D') | Some('x') => {
                it.next();
                out.push_str("%m/%d/%y");
            }
            Some('R') => {
                it.next();
                out.push_str("%H:%M");
            }
            Some('r') => {
                it.next();
                out.push_str("%I:%M:%S %p");
            }
            Some('c') => {
                it.next();
                out.push_str("%a %b %e %H:%M:%S %Y");
            }
            Some('+') => {
                it.next();
                out.push_str("%a %b %e %H:%M:%S %Z %Y");
            }
            Some(n) => {
                it.next();
                out.push('%');
                out.push(n);
            }
            None => out.push('%'),
        }
    }
    out
}

struct Input<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }
    fn digits(&mut self, max: usize) -> Option<(u64, usize)> {
        let start = self.pos;
        let mut v: u64 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(b) if b.is_ascii_digit() => {
                    v = v.saturating_mul(10).saturating_add(u64::from(b - b'0'));
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let n = self.pos - start;
        (n > 0).then_some((v, n))
    }
    fn num(&mut self, max: usize, lo: u64, hi: u64) -> Option<u32> {
        let (v, _) = self.digits(max)?;
        (lo..=hi).contains(&v).then_some(v as u32)
    }
    fn alpha(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        std::str::from_utf8(self.s.get(start..self.pos).unwrap_or(b"")).unwrap_or("")
    }
    fn name(&mut self, names: &[&str]) -> Option<usize> {
        let word = self.alpha().to_ascii_lowercase();
        names.iter().position(|n| {
            let n = n.to_ascii_lowercase();
            word == n || (word.len() == 3 && n.starts_with(&word))
        })
    }
    fn offset(&mut self) -> Option<i32> {
        if self.peek() == Some(b'Z') || self.peek() == Some(b'z') {
            self.pos += 1;
            return Some(0);
        }
        let sign = match self.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.pos += 1;
        let (h, n) = self.digits(2)?;
        let mut m = 0;
        if n == 2 {
            if self.peek() == Some(b':') {
                self.pos += 1;
            }
            if let Some((mm, _)) = self.digits(2) {
                m = mm;
            }
        }
        Some(sign * (h as i32 * 3600 + m as i32 * 60))
    }
}

fn zone_offset(name: &str) -> Option<i32> {
    let h = match name.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" | "UT" => 0,
        "EST" => -5,
        "EDT" | "AST" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "CET" => 1,
        "CEST" => 2,
        "BST" => 1,
        "JST" => 9,
        "IST" => 5,
        _ => return None,
    };
    Some(h * 3600 + if name.eq_ignore_ascii_case("IST") { 1800 } else { 0 })
}

/// Parse `s` with a Splunk `strptime` format into epoch seconds. `None` when the text does not
/// match the format or names an impossible date. Text after the end of the format is ignored;
/// whitespace in the format matches any run of whitespace (including none).
pub fn strptime(s: &str, fmt: &str, tz_offset: i32) -> Option<f64> {
    let fmt = expand_composites(fmt);
    let f: Vec<char> = fmt.chars().collect();
    let mut inp = Input { s: s.as_bytes(), pos: 0 };
    let mut p = Parsed::default();
    let mut i = 0;
    while let Some(&c) = f.get(i) {
        i += 1;
        if c.is_whitespace() {
            inp.skip_ws();
            continue;
        }
        if c != '%' {
            let mut buf = [0u8; 4];
            let lit = c.encode_utf8(&mut buf).as_bytes();
            if inp.s.get(inp.pos..inp.pos + lit.len()) != Some(lit) {
                return None;
            }
            inp.pos += lit.len();
            continue;
        }
        let mut width: Option<usize> = None;
        let mut colons = 0;
        while let Some(&m) = f.get(i) {
            if let Some(d) = m.to_digit(10) {
                width = Some(width.unwrap_or(0) * 10 + d as usize);
            } else if m == ':' || m == '-' || m == 'E' || m == 'O' {
                colons += usize::from(m == ':');
            } else {
                break;
            }
            i += 1;
        }
        let _ = colons;
        let spec = *f.get(i)?;
        i += 1;
        match spec {
            'Y' => {
                let neg = inp.peek() == Some(b'-');
                if neg {
                    inp.pos += 1;
                }
                let (v, _) = inp.digits(4)?;
                p.year = Some(if neg { -(v as i32) } else { v as i32 });
            }
            'y' => {
                let v = inp.num(2, 0, 99)? as i32;
                p.year = Some(if v < 69 { 2000 + v } else { 1900 + v });
            }
            'm' => p.month = Some(inp.num(2, 1, 12)?),
            'd' | 'e' => {
                inp.skip_ws();
                p.day = Some(inp.num(2, 1, 31)?);
            }
            'H' | 'k' => {
                inp.skip_ws();
                p.hour = Some(inp.num(2, 0, 24)?);
            }
            'I' | 'l' => {
                inp.skip_ws();
                p.hour12 = Some(inp.num(2, 1, 12)?);
            }
            'M' => p.minute = Some(inp.num(2, 0, 59)?),
            'S' => p.second = Some(inp.num(2, 0, 60)?),
            'j' => p.yday = Some(inp.num(3, 1, 366)?),
            'b' | 'B' | 'h' => p.month = Some(inp.name(&MONTHS)? as u32 + 1),
            'a' | 'A' => {
                inp.name(&WEEKDAYS)?;
            }
            'u' | 'w' => {
                inp.num(1, 0, 7)?;
            }
            'U' | 'W' | 'V' => {
                inp.num(2, 0, 53)?;
            }
            'p' | 'P' => {
                let w = inp.alpha().to_ascii_lowercase();
                p.pm = Some(match w.as_str() {
                    "am" | "a" => false,
                    "pm" | "p" => true,
                    _ => return None,
                });
            }
            'N' | 'Q' | 'f' => {
                let max = width.unwrap_or(if spec == 'f' { 6 } else { 9 }).clamp(1, 9);
                let (v, n) = inp.digits(max)?;
                p.frac = v as f64 / 10f64.powi(n as i32);
            }
            's' => {
                let neg = inp.peek() == Some(b'-');
                if neg {
                    inp.pos += 1;
                }
                let (v, _) = inp.digits(12)?;
                let mut e = v as f64;
                if inp.peek() == Some(b'.') {
                    inp.pos += 1;
                    if let Some((fv, n)) = inp.digits(9) {
                        e += fv as f64 / 10f64.powi(n as i32);
                    }
                }
                p.epoch = Some(if neg { -e } else { e });
            }
            'z' => p.offset = Some(inp.offset()?),
            'Z' => {
                if matches!(inp.peek(), Some(b'+') | Some(b'-')) {
                    p.offset = Some(inp.offset()?);
                } else {
                    let name = inp.alpha().to_string();
                    if name.is_empty() {
                        return None;
                    }
                    if let Some(o) = zone_offset(&name) {
                        p.offset = Some(o);
                    }
                    if matches!(inp.peek(), Some(b'+') | Some(b'-')) {
                        p.offset = Some(p.offset.unwrap_or(0) + inp.offset()?);
                    }
                }
            }
            'n' | 't' => inp.skip_ws(),
            '%' => {
                if inp.peek() != Some(b'%') {
                    return None;
                }
                inp.pos += 1;
            }
            _ => return None,
        }
    }
    if let Some(e) = p.epoch {
        return Some(e + p.frac);
    }
    let year = p.year.unwrap_or(1970);
    let date = match (p.month, p.day, p.yday) {
        (None, None, Some(yd)) => NaiveDate::from_yo_opt(year, yd)?,
        (m, d, _) => NaiveDate::from_ymd_opt(year, m.unwrap_or(1), d.unwrap_or(1))?,
    };
    let hour = match (p.hour12, p.pm) {
        (Some(h), pm) => (h % 12) + if pm == Some(true) { 12 } else { 0 },
        (None, pm) => {
            let h = p.hour.unwrap_or(0);
            if pm == Some(true) && h < 12 {
                h + 12
            } else {
                h
            }
        }
    };
    let (min, sec) = (p.minute.unwrap_or(0), p.second.unwrap_or(0));
    let mut dt = date.and_time(NaiveTime::from_hms_opt(0, 0, 0)?);
    dt = dt.checked_add_signed(Duration::seconds(i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec)))?;
    Some(from_local(dt, p.offset.unwrap_or(tz_offset)) + p.frac)
}

/// A calendar/time unit of spans and relative-time modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl TimeUnit {
    /// Length in seconds of fixed-length units; `None` for months, quarters, years.
    pub fn seconds(self) -> Option<f64> {
        Some(match self {
            TimeUnit::Second => 1.0,
            TimeUnit::Minute => 60.0,
            TimeUnit::Hour => 3600.0,
            TimeUnit::Day => 86400.0,
            TimeUnit::Week => 604800.0,
            _ => return None,
        })
    }
    fn months(self) -> Option<u32> {
        match self {
            TimeUnit::Month => Some(1),
            TimeUnit::Quarter => Some(3),
            TimeUnit::Year => Some(12),
            _ => None,
        }
    }
}

/// Parse a unit word: s/sec/secs/second/seconds, m/min/mins/minute/minutes, h/hr/hrs/hour/hours,
/// d/day/days, w/wk/wks/week/weeks, mon/month/months, q/qtr/qtrs/quarter/quarters,
/// y/yr/yrs/year/years (case-insensitive).
pub fn parse_unit(u: &str) -> Option<TimeUnit> {
    Some(match u.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => TimeUnit::Second,
        "m" | "min" | "mins" | "minute" | "minutes" => TimeUnit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" => TimeUnit::Hour,
        "d" | "day" | "days" => TimeUnit::Day,
        "w" | "wk" | "wks" | "week" | "weeks" => TimeUnit::Week,
        "mon" | "month" | "months" => TimeUnit::Month,
        "q" | "qtr" | "qtrs" | "quarter" | "quarters" => TimeUnit::Quarter,
        "y" | "yr" | "yrs" | "year" | "years" => TimeUnit::Year,
        _ => return None,
    })
}

/// A `span=` value: `count` units, or a plain number (`unit: None`, for numeric `bin`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub count: f64,
    pub unit: Option<TimeUnit>,
}

impl Span {
    /// `secs` seconds as a time span: aligned to local time, where a plain number (`unit:
    /// None`, numeric `bin`) is not.
    pub fn of_seconds(secs: f64) -> Span {
        Span { count: secs, unit: Some(TimeUnit::Second) }
    }

    /// Fixed length in seconds (plain numbers count as seconds); `None` for calendar units.
    pub fn seconds(&self) -> Option<f64> {
        match self.unit {
            None => Some(self.count),
            Some(u) => u.seconds().map(|s| s * self.count),
        }
    }
}

/// As written in SPL (`10s`, `1mon`, a plain number), for `explain`.
impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.unit {
            None => "",
            Some(TimeUnit::Second) => "s",
            Some(TimeUnit::Minute) => "m",
            Some(TimeUnit::Hour) => "h",
            Some(TimeUnit::Day) => "d",
            Some(TimeUnit::Week) => "w",
            Some(TimeUnit::Month) => "mon",
            Some(TimeUnit::Quarter) => "q",
            Some(TimeUnit::Year) => "y",
        };
        write!(f, "{}{unit}", crate::value::format_num(self.count))
    }
}

/// Parse `5m`, `1h`, `30s`, `1d`, `2w`, `1mon`, `1q`, `1y`, `100ms`, or a plain number `10`/`0.5`.
/// Sub-second units (`ms`, `us`, `cs`, `ds`) become fractional seconds.
pub fn parse_span(s: &str) -> Option<Span> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (n, u) = s.split_at(split);
    let count: f64 = if n.is_empty() { 1.0 } else { n.parse().ok()? };
    if !(count.is_finite() && count > 0.0) {
        return None;
    }
    if u.is_empty() {
        return (!n.is_empty()).then_some(Span { count, unit: None });
    }
    let sub = match u.to_ascii_lowercase().as_str() {
        "ms" => Some(1e-3),
        "us" => Some(1e-6),
        "cs" => Some(1e-2),
        "ds" => Some(1e-1),
        _ => None,
    };
    if let Some(f) = sub {
        return Some(Span { count: count * f, unit: Some(TimeUnit::Second) });
    }
    Some(Span { count, unit: Some(parse_unit(u)?) })
}

/// Start of the bucket holding `t`, in UTC. See [`bucket_time_tz`].
pub fn bucket_time(t: f64, span: &Span) -> f64 {
    bucket_time_tz(t, span, 0)
}

/// Start of the `span` bucket holding `t`. Fixed-length spans align to the epoch in local time
/// (so `1d` buckets start at local midnight and `1w` buckets, like Splunk's, on Thursdays);
/// months, quarters and years align to calendar boundaries (`3mon` → Jan/Apr/Jul/Oct).
pub fn bucket_time_tz(t: f64, span: &Span, tz_offset: i32) -> f64 {
    if !t.is_finite() || span.count.is_nan() || span.count <= 0.0 {
        return t;
    }
    if let Some(len) = span.seconds() {
        let off = if span.unit.is_some() { f64::from(tz_offset) } else { 0.0 };
        return ((t + off) / len).floor() * len - off;
    }
    let months_per = span.unit.and_then(TimeUnit::months).unwrap_or(1) * (span.count.max(1.0) as u32).max(1);
    let Some(dt) = to_local(t, tz_offset) else {
        return t;
    };
    let idx = i64::from(dt.year()) * 12 + i64::from(dt.month0());
    let start = idx.div_euclid(i64::from(months_per)) * i64::from(months_per);
    let (y, m) = (start.div_euclid(12), start.rem_euclid(12) as u32 + 1);
    match NaiveDate::from_ymd_opt(y as i32, m, 1).and_then(|d| d.and_hms_opt(0, 0, 0)) {
        Some(d) => from_local(d, tz_offset),
        None => t,
    }
}

fn snap(dt: NaiveDateTime, unit: TimeUnit, weekday: Option<u32>) -> Option<NaiveDateTime> {
    let midnight = dt.date().and_hms_opt(0, 0, 0)?;
    Some(match unit {
        TimeUnit::Second => dt.with_nanosecond(0)?,
        TimeUnit::Minute => dt.date().and_hms_opt(dt.hour(), dt.minute(), 0)?,
        TimeUnit::Hour => dt.date().and_hms_opt(dt.hour(), 0, 0)?,
        TimeUnit::Day => midnight,
        TimeUnit::Week => {
            let target = weekday.unwrap_or(0) % 7;
            let cur = dt.weekday().num_days_from_sunday();
            let back = (cur + 7 - target) % 7;
            midnight.checked_sub_signed(Duration::days(i64::from(back)))?
        }
        TimeUnit::Month => NaiveDate::from_ymd_opt(dt.year(), dt.month(), 1)?.and_hms_opt(0, 0, 0)?,
        TimeUnit::Quarter => NaiveDate::from_ymd_opt(dt.year(), dt.month0() / 3 * 3 + 1, 1)?.and_hms_opt(0, 0, 0)?,
        TimeUnit::Year => NaiveDate::from_ymd_opt(dt.year(), 1, 1)?.and_hms_opt(0, 0, 0)?,
    })
}

/// Apply a Splunk relative time modifier to `t`: a chain of `+N<unit>`/`-N<unit>` offsets
/// (N defaults to 1) and `@<unit>` snaps (`@w0`–`@w7` snap to a weekday, 0 and 7 = Sunday),
/// e.g. `-7d@d`, `@d+8h`, `-1mon@mon`. `now` (or empty) is `t` itself; an unsigned number is an
/// absolute epoch (`0`); `%m/%d/%Y:%H:%M:%S` is an absolute local time. `None` when invalid.
pub fn relative_time(t: f64, spec: &str, tz_offset: i32) -> Option<f64> {
    let spec = spec.trim();
    if spec.is_empty() || spec.eq_ignore_ascii_case("now") {
        return Some(t);
    }
    if spec.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return spec.parse().ok();
    }
    if spec.as_bytes().first().is_some_and(|b| b.is_ascii_digit()) {
        return strptime(spec, "%m/%d/%Y:%H:%M:%S", tz_offset);
    }
    let frac = t - t.floor();
    let mut dt = to_local(t, tz_offset)?;
    let b = spec.as_bytes();
    let mut i = 0;
    let mut snapped = false;
    while i < b.len() {
        let c = *b.get(i)?;
        i += 1;
        match c {
            b'+' | b'-' => {
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let n: i64 = if start == i { 1 } else { spec.get(start..i)?.parse().ok()? };
                let ustart = i;
                while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
                    i += 1;
                }
                let unit = parse_unit(spec.get(ustart..i)?)?;
                let n = if c == b'-' { -n } else { n };
                dt = match (unit.seconds(), unit.months()) {
                    (Some(secs), _) => dt.checked_add_signed(Duration::seconds(n.checked_mul(secs as i64)?))?,
                    (None, Some(m)) => {
                        let total = u32::try_from(n.unsigned_abs().checked_mul(u64::from(m))?).ok()?;
                        if n >= 0 {
                            dt.checked_add_months(Months::new(total))?
                        } else {
                            dt.checked_sub_months(Months::new(total))?
                        }
                    }
                    _ => return None,
                };
            }
            b'@' => {
                let ustart = i;
                while b.get(i).is_some_and(u8::is_ascii_alphabetic) {
                    i += 1;
                }
                let word = spec.get(ustart..i)?;
                let mut weekday = None;
                if word.eq_ignore_ascii_case("w") || word.eq_ignore_ascii_case("wk") {
                    if let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                        weekday = Some(u32::from(d - b'0'));
                        i += 1;
                        if weekday > Some(7) {
                            return None;
                        }
                    }
                }
                dt = snap(dt, parse_unit(word)?, weekday)?;
                snapped = true;
            }
            _ => return None,
        }
    }
    let base = from_local(dt, tz_offset);
    // Offsets keep the sub-second part of `t`; a snap drops it.
    Some(if snapped { base } else { base.floor() + frac })
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2023-11-15 10:30:45.123456 UTC, a Wednesday.
    const T: f64 = 1700044245.123456;

    #[test]
    fn strftime_common_variables() {
        assert_eq!(strftime(T, "%Y-%m-%d %H:%M:%S", 0).unwrap(), "2023-11-15 10:30:45");
        assert_eq!(strftime(T, "%a %A %b %B %j %y %e", 0).unwrap(), "Wed Wednesday Nov November 319 23 15");
        assert_eq!(strftime(T, "%I:%M %p %T %F %D %%", 0).unwrap(), "10:30 AM 10:30:45 2023-11-15 11/15/23 %");
        assert_eq!(strftime(T, "%s %z %Z", 0).unwrap(), "1700044245 +0000 UTC");
        assert_eq!(strftime(T, "%H %z %:z", 3600).unwrap(), "11 +0100 +01:00");
    }

    #[test]
    fn strftime_subseconds() {
        // %N defaults to 9 digits, %Q to 3 (milliseconds); widths truncate.
        assert_eq!(strftime(T, "%3N|%6N|%9N|%N|%Q|%6Q", 0).unwrap(), "123|123456|123456000|123456000|123|123456");
        assert_eq!(strftime(1.5, "%S.%3N", 0).unwrap(), "01.500");
    }

    #[test]
    fn strptime_round_trips_and_rejects() {
        assert_eq!(strptime("2023-11-15 10:30:45", "%Y-%m-%d %H:%M:%S", 0), Some(1700044245.0));
        assert_eq!(strptime("2023-11-15T10:30:45.123Z", "%Y-%m-%dT%H:%M:%S.%3N%z", 0), Some(1700044245.123));
        assert_eq!(strptime("15/Nov/2023:10:30:45 +0100", "%d/%b/%Y:%H:%M:%S %z", 0), Some(1700044245.0 - 3600.0));
        assert_eq!(strptime("11/15/2023 10:30:45 PM", "%m/%d/%Y %I:%M:%S %p", 0), Some(1700044245.0 + 43200.0));
        assert_eq!(strptime("1700044245", "%s", 0), Some(1700044245.0));
        assert_eq!(strptime("2023-11-15 10:30:45", "%Y-%m-%d %H:%M:%S", 3600), Some(1700044245.0 - 3600.0));
        assert_eq!(strptime("garbage", "%Y-%m-%d", 0), None);
        assert_eq!(strptime("2023-02-30", "%Y-%m-%d", 0), None);
        assert_eq!(strptime("2023-11", "%Y-%m-%d", 0), None);
    }

    #[test]
    fn relative_time_snaps_to_day() {
        let d = relative_time(T, "@d", 0).unwrap();
        assert_eq!(strftime(d, "%F %T", 0).unwrap(), "2023-11-15 00:00:00");
        let d = relative_time(T, "-7d@d", 0).unwrap();
        assert_eq!(strftime(d, "%F %T", 0).unwrap(), "2023-11-08 00:00:00");
        let d = relative_time(T, "-1d@d+8h", 0).unwrap();
        assert_eq!(strftime(d, "%F %T", 0).unwrap(), "2023-11-14 08:00:00");
    }

    #[test]
    fn relative_time_units_and_weekday_snap() {
        let f = |s| strftime(relative_time(T, s, 0).unwrap(), "%F %T", 0).unwrap();
        assert_eq!(f("-24h"), "2023-11-14 10:30:45");
        assert_eq!(f("+30m"), "2023-11-15 11:00:45");
        assert_eq!(f("-1mon@mon"), "2023-10-01 00:00:00");
        assert_eq!(f("@q"), "2023-10-01 00:00:00");
        assert_eq!(f("-1y@y"), "2022-01-01 00:00:00");
        assert_eq!(f("@w0"), "2023-11-12 00:00:00"); // Sunday before
        assert_eq!(f("@w1"), "2023-11-13 00:00:00"); // Monday
        assert_eq!(f("@w3"), "2023-11-15 00:00:00"); // same day
        assert_eq!(f("-2weeks"), "2023-11-01 10:30:45");
        assert_eq!(f("-d"), "2023-11-14 10:30:45");
        assert_eq!(relative_time(T, "now", 0), Some(T));
        assert_eq!(relative_time(T, "0", 0), Some(0.0));
        assert_eq!(relative_time(T, "-7x", 0), None);
        assert_eq!(relative_time(T, "bogus", 0), None);
    }

    #[test]
    fn relative_time_snaps_in_local_zone() {
        // 10:30 UTC is 20:30 at +10:00; local midnight is 14:00 UTC the day before.
        let d = relative_time(T, "@d", 36000).unwrap();
        assert_eq!(strftime(d, "%F %T", 0).unwrap(), "2023-11-14 14:00:00");
    }

    #[test]
    fn parse_span_units() {
        assert_eq!(parse_span("5m"), Some(Span { count: 5.0, unit: Some(TimeUnit::Minute) }));
        assert_eq!(parse_span("1mon"), Some(Span { count: 1.0, unit: Some(TimeUnit::Month) }));
        assert_eq!(parse_span("10"), Some(Span { count: 10.0, unit: None }));
        assert_eq!(parse_span("2hours").and_then(|s| s.seconds()), Some(7200.0));
        assert_eq!(parse_span("100ms").and_then(|s| s.seconds()), Some(0.1));
        assert_eq!(parse_span("0m"), None);
        assert_eq!(parse_span("5x"), None);
        assert_eq!(parse_span(""), None);
        // Shown as written back: 100ms is 0.1 s.
        let shown = |t: &str| parse_span(t).unwrap().to_string();
        assert_eq!(
            [shown("10s"), shown("2hours"), shown("1mon"), shown("10"), shown("100ms")],
            ["10s", "2h", "1mon", "10", "0.1s"]
        );
    }

    #[test]
    fn bucket_time_aligns() {
        let f = |s: &str| strftime(bucket_time(T, &parse_span(s).unwrap()), "%F %T", 0).unwrap();
        assert_eq!(f("5m"), "2023-11-15 10:30:00");
        assert_eq!(f("1h"), "2023-11-15 10:00:00");
        assert_eq!(f("1d"), "2023-11-15 00:00:00");
        assert_eq!(f("1w"), "2023-11-09 00:00:00"); // epoch-aligned: Thursday
        assert_eq!(f("1mon"), "2023-11-01 00:00:00");
        assert_eq!(f("1q"), "2023-10-01 00:00:00");
        assert_eq!(f("1y"), "2023-01-01 00:00:00");
        assert_eq!(bucket_time(17.0, &Span { count: 5.0, unit: None }), 15.0);
    }
}
