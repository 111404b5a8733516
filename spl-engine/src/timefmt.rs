//! PLACEHOLDER (replaced by the time library): strftime/strptime/relative time/spans.
#[derive(Clone, Debug)]
pub struct Span {
    pub seconds: f64,
}
pub fn parse_span(s: &str) -> Option<Span> {
    let s = s.trim();
    let idx = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: f64 = if idx == 0 { 1.0 } else { s[..idx].parse().ok()? };
    let mult = match &s[idx..] {
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        _ => return None,
    };
    Some(Span { seconds: n * mult })
}
pub fn bucket(t: f64, span: &Span) -> f64 {
    (t / span.seconds).floor() * span.seconds
}
pub fn strftime(t: f64, fmt: &str, _tz: i32) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0).map(|d| d.format(fmt).to_string()).unwrap_or_default()
}
pub fn strptime(_s: &str, _fmt: &str, _tz: i32) -> Option<f64> {
    None
}
pub fn relative_time_spec(now: f64, _s: &str) -> Option<f64> {
    Some(now)
}
