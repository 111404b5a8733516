//! Five small commands: `strcat`, `rangemap`, `uniq`, `addinfo` (streaming) and `transpose`
//! (holds its first N results).
//!
//! Rules, from Splunk's search reference:
//! - `strcat [allrequired=<bool>] <source-field | "quoted string">... <dest-field>`
//!   (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/strcat):
//!   the sources concatenated into the last field. allrequired=f (the default): a missing source
//!   field counts as an empty string and the destination is always written; allrequired=t:
//!   nothing is written unless every source field exists. The reference says nothing of
//!   multivalue fields: here one gives its first value, as a single-value context sees it.
//! - `rangemap field=<f> [<name>=<num>-<num>]... [default=<string>]`
//!   (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/rangemap):
//!   `range` = the names of the ranges holding the value (bounds included; `0-0` holds 0; ranges
//!   may be negative, `-5--1`, or fractional); several matching ranges give a multivalue, in
//!   the order written; none gives `default`, "None" unless set. A value that is not one number
//!   (text, a multivalue, a missing field) is in no range, so it gets the default too.
//! - `uniq` (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.0/search-commands/uniq):
//!   drops a result that is an exact duplicate of the previous one: every field, `_raw` and
//!   `_time` included, the same values (fields in another order are the same result).
//! - `addinfo` (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2411/search-commands/addinfo):
//!   adds `info_min_time`, `info_max_time`, `info_sid`, `info_search_time`: the run's time
//!   range (`--earliest`/`--latest`; inline `earliest=`/`latest=` only filter events), and
//!   without one an all-time search as Splunk reports it: `info_min_time` 0 and `info_max_time`
//!   `+Infinity` (the reference: with "all time" info_max_time "would be set to +infinity").
//!   `info_search_time` is the run's now (`--now`); `info_sid` is derived from the search text
//!   and that now, so a rerun gives the same id.
//! - `transpose [<int>] [column_name=<s>] [header_field=<f>] [include_empty=<bool>]` (Splunk's
//!   reference text, as quoted in https://github.com/opensearch-project/sql/issues/4786): the
//!   first <int> results (5 by default, 0 for all) become columns `row 1`, `row 2`, … (or the
//!   values of `header_field`), one output row per field, whose name is in `column_name`
//!   ("column"). include_empty=false leaves out fields with no non-empty value. Fields come in
//!   the order the results first hold them; internal ones (`_time`) are fields like any other.

use indexmap::IndexSet;

use crate::event::{Event, Name};
use crate::exec::{ExecError, Operator};
use crate::value::{format_num, parse_num, Atom, Value};

/// One source of `strcat`.
#[derive(Clone, Debug, PartialEq)]
pub enum StrcatPart {
    Field(String),
    Literal(String),
}

/// `strcat [allrequired=<bool>] <source>... <dest-field>`.
pub struct StrcatOp {
    parts: Vec<StrcatPart>,
    dest: String,
    allrequired: bool,
}

impl StrcatOp {
    pub fn new(parts: Vec<StrcatPart>, dest: String, allrequired: bool) -> Self {
        StrcatOp { parts, dest, allrequired }
    }
}

impl Operator for StrcatOp {
    fn name(&self) -> &str {
        "strcat"
    }

    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| match p {
                StrcatPart::Field(f) => f.clone(),
                StrcatPart::Literal(s) => format!("{s:?}"),
            })
            .collect();
        format!("strcat allrequired={} {} -> {}", self.allrequired, parts.join(" "), self.dest)
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                StrcatPart::Literal(t) => s.push_str(t),
                StrcatPart::Field(f) => match ev.get(f).and_then(|v| v.atoms().first()) {
                    Some(a) => s.push_str(&a.as_str()),
                    None if self.allrequired => {
                        out.push(ev);
                        return Ok(());
                    }
                    None => {}
                },
            }
        }
        ev.set(self.dest.as_str(), s);
        out.push(ev);
        Ok(())
    }
}

/// `<num>-<num>` of a `rangemap` range: the low and high bound, low at most high. The bounds
/// may be negative (`-5--1`), so each `-` is tried as the separator.
pub fn parse_range(s: &str) -> Option<(f64, f64)> {
    s.char_indices()
        .filter(|(i, c)| *c == '-' && *i > 0)
        .find_map(|(i, _)| {
            let lo = parse_num(s.get(..i)?)?;
            let hi = parse_num(s.get(i + 1..)?)?;
            Some((lo, hi))
        })
        .filter(|(lo, hi)| lo <= hi)
}

/// `rangemap field=<f> <name>=<lo>-<hi>... [default=<name>]`.
pub struct RangemapOp {
    field: String,
    /// Name, low and high bound, in the order written.
    ranges: Vec<(String, f64, f64)>,
    default: String,
}

impl RangemapOp {
    pub fn new(field: String, ranges: Vec<(String, f64, f64)>, default: String) -> Self {
        RangemapOp { field, ranges, default }
    }
}

impl Operator for RangemapOp {
    fn name(&self) -> &str {
        "rangemap"
    }

    fn describe(&self) -> String {
        let ranges: Vec<String> =
            self.ranges.iter().map(|(n, lo, hi)| format!("{n}={}-{}", format_num(*lo), format_num(*hi))).collect();
        format!("rangemap field={} {} default={}", self.field, ranges.join(" "), self.default)
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let names: Vec<Atom> = match ev.get(&self.field).and_then(Value::to_num) {
            Some(x) => self
                .ranges
                .iter()
                .filter(|(_, lo, hi)| *lo <= x && x <= *hi)
                .map(|(n, ..)| Atom::from(n.as_str()))
                .collect(),
            None => Vec::new(),
        };
        let range = Value::from_atoms(names).unwrap_or_else(|| Value::str(self.default.as_str()));
        ev.set("range", range);
        out.push(ev);
        Ok(())
    }
}

/// `uniq`: holds only the previous result.
#[derive(Default)]
pub struct UniqOp {
    prev: Option<Event>,
}

impl Operator for UniqOp {
    fn name(&self) -> &str {
        "uniq"
    }

    fn describe(&self) -> String {
        "uniq (drops a result identical to the one before it)".to_string()
    }

    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.prev.as_ref() == Some(&ev) {
            return Ok(());
        }
        self.prev = Some(ev.clone());
        out.push(ev);
        Ok(())
    }
}

/// `addinfo`: the same four fields on every result.
pub struct AddinfoOp {
    sid: String,
    now: f64,
    range: crate::exec::TimeRange,
}

impl AddinfoOp {
    /// `search`: the search's text, which (with `now`) the id is derived from.
    pub fn new(search: &str, now: f64, range: crate::exec::TimeRange) -> Self {
        AddinfoOp { sid: search_id(search, now), now, range }
    }

    fn min_time(&self) -> f64 {
        self.range.earliest.unwrap_or(0.0)
    }

    /// `+Infinity` when the range has no end.
    fn max_time(&self) -> Value {
        self.range.latest.map_or_else(|| Value::str("+Infinity"), Value::num)
    }
}

/// A search id that a rerun of the same search at the same now repeats: FNV-1a over both (a
/// keyed hash such as the field maps' would differ from run to run).
fn search_id(search: &str, now: f64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in search.bytes().chain(now.to_bits().to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("spelunk_{h:016x}")
}

impl Operator for AddinfoOp {
    fn name(&self) -> &str {
        "addinfo"
    }

    fn describe(&self) -> String {
        format!(
            "addinfo info_min_time={} info_max_time={} info_sid={} info_search_time={}",
            format_num(self.min_time()),
            self.max_time(),
            self.sid,
            format_num(self.now)
        )
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        ev.set("info_min_time", self.min_time());
        ev.set("info_max_time", self.max_time());
        ev.set("info_sid", self.sid.as_str());
        ev.set("info_search_time", self.now);
        out.push(ev);
        Ok(())
    }
}

/// `transpose [<int>] [column_name=] [header_field=] [include_empty=]`.
pub struct TransposeOp {
    /// Results to turn into columns; 0: all.
    count: usize,
    column_name: String,
    header_field: Option<String>,
    include_empty: bool,
    rows: Vec<Event>,
}

impl TransposeOp {
    pub fn new(count: usize, column_name: String, header_field: Option<String>, include_empty: bool) -> Self {
        TransposeOp { count, column_name, header_field, include_empty, rows: Vec::new() }
    }

    fn full(&self) -> bool {
        self.count > 0 && self.rows.len() >= self.count
    }
}

impl Operator for TransposeOp {
    fn name(&self) -> &str {
        "transpose"
    }

    fn describe(&self) -> String {
        let header = self.header_field.as_ref().map(|h| format!(" header_field={h}")).unwrap_or_default();
        let held = if self.count == 0 { "holds every result".to_string() } else { format!("holds {}", self.count) };
        format!(
            "transpose {} column_name={}{header} include_empty={} ({held})",
            self.count, self.column_name, self.include_empty
        )
    }

    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        if !self.full() {
            self.rows.push(ev);
        }
        Ok(())
    }

    /// Later results change nothing: the output is that of the first `count`.
    fn exhausted(&self) -> bool {
        self.full()
    }

    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        // Each result's column name: the header field's value, else `row <n>`. A name that is
        // empty or already taken (by the name column or an earlier result) falls back to
        // `row <n>` so that no cell overwrites another.
        let mut names: Vec<Name> = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let fallback = Name::from(format!("row {}", i + 1));
            let header = self.header_field.as_ref().and_then(|h| row.get(h)).map(|v| Name::from(v.as_str()));
            let name = match header {
                Some(h) if !h.is_empty() && h != self.column_name && !names.contains(&h) => h,
                _ => fallback,
            };
            names.push(name);
        }
        // Fields in the order the results first hold them; the header field names columns
        // instead of being one.
        let mut fields: IndexSet<Name> = IndexSet::new();
        for row in &rows {
            for name in row.fields.keys() {
                if self.header_field.as_deref() != Some(name.as_str()) {
                    fields.insert(name.clone());
                }
            }
        }
        for field in &fields {
            let empty = |v: &Value| v.atoms().iter().all(|a| a.as_str().is_empty());
            if !self.include_empty && rows.iter().filter_map(|r| r.get(field)).all(empty) {
                continue;
            }
            let mut ev = Event::with_capacity(rows.len() + 1);
            ev.set(self.column_name.as_str(), field.as_str());
            for (row, name) in rows.iter().zip(&names) {
                if let Some(v) = row.get(field) {
                    ev.set(name.clone(), v.clone());
                }
            }
            out.push(ev);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{run_op as run, Context};

    fn text(ev: &Event, field: &str) -> Option<String> {
        ev.get(field).map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect::<Vec<_>>().join("|"))
    }

    fn column(out: &[Event], field: &str) -> Vec<Option<String>> {
        out.iter().map(|e| text(e, field)).collect()
    }

    #[test]
    fn strcat_treats_a_missing_source_field_as_an_empty_string_unless_allrequired() {
        let parts =
            vec![StrcatPart::Field("src".into()), StrcatPart::Literal("/".into()), StrcatPart::Field("dst".into())];
        let input =
            vec![Event::from_pairs(&[("src", "10.0.0.1"), ("dst", "10.0.0.2")]), Event::from_pairs(&[("src", "a")])];
        let out = run(&mut StrcatOp::new(parts.clone(), "ip".into(), false), input.clone());
        assert_eq!(column(&out, "ip"), [Some("10.0.0.1/10.0.0.2".into()), Some("a/".into())]);
        // allrequired=t: the destination is written only when every source field exists.
        let out = run(&mut StrcatOp::new(parts, "ip".into(), true), input);
        assert_eq!(column(&out, "ip"), [Some("10.0.0.1/10.0.0.2".into()), None]);
        assert_eq!(out.len(), 2, "the result itself is kept");
    }

    #[test]
    fn strcat_writes_an_empty_destination_and_takes_a_multivalue_fields_first_value() {
        let mut ev = Event::from_pairs(&[("m", "x"), ("m", "y")]);
        ev.set("n", 2.0);
        let parts = vec![StrcatPart::Field("m".into()), StrcatPart::Field("n".into())];
        let out = run(&mut StrcatOp::new(parts, "d".into(), false), vec![ev]);
        assert_eq!(column(&out, "d"), [Some("x2".into())]);
        let out =
            run(&mut StrcatOp::new(vec![StrcatPart::Field("none".into())], "d".into(), false), vec![Event::new()]);
        assert_eq!(column(&out, "d"), [Some(String::new())], "always written when allrequired=f");
    }

    #[test]
    fn rangemap_ranges_are_inclusive_may_be_negative_or_fractional_and_low_comes_first() {
        assert_eq!(parse_range("1-10"), Some((1.0, 10.0)));
        assert_eq!(parse_range("-5--1"), Some((-5.0, -1.0)));
        assert_eq!(parse_range("0-0"), Some((0.0, 0.0)));
        assert_eq!(parse_range("1.5-2.25"), Some((1.5, 2.25)));
        assert_eq!(parse_range("-3-4"), Some((-3.0, 4.0)));
        for bad in ["10-1", "5", "a-b", "1-", "-1", "", "1--", "1-2-3"] {
            assert_eq!(parse_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn rangemap_sets_range_to_every_matching_name_or_to_the_default_none() {
        let ranges = vec![("low".to_string(), 1.0, 10.0), ("elevated".to_string(), 5.0, 15.0)];
        let input: Vec<Event> = ["0", "1", "10", "15", "16", "abc", "-0.5"]
            .iter()
            .map(|v| Event::from_pairs(&[("x", v)]))
            .chain([Event::new(), Event::from_pairs(&[("x", "7"), ("x", "8")])])
            .collect();
        let out = run(&mut RangemapOp::new("x".into(), ranges.clone(), "None".into()), input);
        let got = column(&out, "range");
        let want = ["None", "low", "low|elevated", "elevated", "None", "None", "None", "None", "None"];
        assert_eq!(got, want.map(|s| Some(s.to_string())));
        // The reference's example: a value in both low=1-10 and elevated=5-15 gets both names.
        assert!(out.get(2).and_then(|e| e.get("range")).is_some_and(Value::is_multi));
        let out =
            run(&mut RangemapOp::new("x".into(), ranges, "severe".into()), vec![Event::from_pairs(&[("x", "99")])]);
        assert_eq!(column(&out, "range"), [Some("severe".into())]);
    }

    #[test]
    fn uniq_removes_a_result_that_is_an_exact_duplicate_of_the_previous_one() {
        let a = Event::from_pairs(&[("_raw", "r"), ("x", "1")]);
        let a_reordered = Event::from_pairs(&[("x", "1"), ("_raw", "r")]);
        let other_raw = Event::from_pairs(&[("_raw", "s"), ("x", "1")]);
        let mut num = Event::new();
        num.set("_raw", "s");
        num.set("x", 1.0);
        let input = vec![a.clone(), a.clone(), a_reordered, other_raw, num, a.clone()];
        let out = run(&mut UniqOp::default(), input);
        // Only consecutive duplicates go (the last `a` follows another result); `_raw` counts;
        // a number and its text are the same value.
        let raws: Vec<Option<String>> = column(&out, "_raw");
        assert_eq!(raws, [Some("r".into()), Some("s".into()), Some("r".into())]);
    }

    #[test]
    fn addinfo_adds_an_all_time_range_the_search_time_and_a_stable_sid() {
        let all = crate::exec::TimeRange::default();
        let out =
            run(&mut AddinfoOp::new("| makeresults | addinfo", 1_700_000_000.0, all), vec![Event::new(), Event::new()]);
        let row = out.first().unwrap();
        assert_eq!(text(row, "info_min_time").as_deref(), Some("0"));
        assert_eq!(text(row, "info_max_time").as_deref(), Some("+Infinity"));
        assert_eq!(text(row, "info_search_time").as_deref(), Some("1700000000"));
        let sid = text(row, "info_sid").unwrap();
        assert!(sid.starts_with("spelunk_") && sid.len() == 24, "{sid}");
        assert_eq!(column(&out, "info_sid"), [Some(sid.clone()), Some(sid.clone())]);
        assert_eq!(AddinfoOp::new("| makeresults | addinfo", 1_700_000_000.0, all).sid, sid, "a rerun repeats it");
        assert_ne!(AddinfoOp::new("| makeresults | addinfo", 1_700_000_001.0, all).sid, sid);
    }

    #[test]
    fn addinfo_gives_the_runs_time_range_and_an_open_end_as_infinity() {
        let range = |earliest, latest| crate::exec::TimeRange { earliest, latest };
        let info = |r| {
            let out = run(&mut AddinfoOp::new("| makeresults | addinfo", 1_700_000_000.0, r), vec![Event::new()]);
            let row = out.first().unwrap();
            (text(row, "info_min_time").unwrap(), text(row, "info_max_time").unwrap())
        };
        assert_eq!(
            info(range(Some(1_600_000_000.0), Some(1_600_086_400.0))),
            ("1600000000".into(), "1600086400".into())
        );
        assert_eq!(info(range(Some(1_600_000_000.0), None)), ("1600000000".into(), "+Infinity".into()));
        assert_eq!(info(range(None, Some(5.5))), ("0".into(), "5.5".into()));
    }

    fn numbered(n: usize) -> Vec<Event> {
        (1..=n)
            .map(|i| {
                let mut ev = Event::new();
                ev.set("n", i as f64);
                ev.set("host", format!("h{i}"));
                ev
            })
            .collect()
    }

    #[test]
    fn transpose_turns_the_first_5_results_into_columns_row_1_row_2_and_so_on() {
        let mut op = TransposeOp::new(5, "column".into(), None, true);
        let mut input = numbered(7);
        if let Some(third) = input.get_mut(2) {
            third.set("extra", "e");
        }
        let out = run(&mut op, input);
        let names: Vec<Vec<&str>> = out.iter().map(|e| e.fields.keys().map(|k| k.as_str()).collect()).collect();
        assert_eq!(names.first().unwrap(), &["column", "row 1", "row 2", "row 3", "row 4", "row 5"]);
        assert_eq!(column(&out, "column"), [Some("n".into()), Some("host".into()), Some("extra".into())]);
        assert_eq!(column(&out, "row 5"), [Some("5".into()), Some("h5".into()), None]);
        assert_eq!(column(&out, "row 3"), [Some("3".into()), Some("h3".into()), Some("e".into())]);
        // Once it holds 5, later results change nothing.
        let mut op = TransposeOp::new(5, "column".into(), None, true);
        for ev in numbered(5) {
            assert!(!op.exhausted());
            op.push(ev, &mut Vec::new()).unwrap();
        }
        assert!(op.exhausted());
        // 0: every result.
        let out = run(&mut TransposeOp::new(0, "column".into(), None, true), numbered(7));
        assert_eq!(column(&out, "row 7"), [Some("7".into()), Some("h7".into())]);
        assert!(run(&mut TransposeOp::new(5, "column".into(), None, true), vec![]).is_empty());
    }

    #[test]
    fn transpose_header_field_names_the_columns_and_include_empty_false_drops_empty_fields() {
        let mut input = numbered(3);
        for ev in &mut input {
            ev.set("blank", "");
        }
        let out = run(&mut TransposeOp::new(5, "field".into(), Some("host".into()), false), input.clone());
        assert_eq!(column(&out, "field"), [Some("n".into())], "host names columns; blank is empty");
        assert_eq!(column(&out, "h2"), [Some("2".into())]);
        let out = run(&mut TransposeOp::new(5, "field".into(), Some("host".into()), true), input.clone());
        assert_eq!(column(&out, "field"), [Some("n".into()), Some("blank".into())]);
        // A header value naming the name column, or repeated, falls back to `row <n>`.
        if let Some(first) = input.get_mut(0) {
            first.set("host", "field");
        }
        if let Some(third) = input.get_mut(2) {
            third.set("host", "h2");
        }
        let out = run(&mut TransposeOp::new(5, "field".into(), Some("host".into()), true), input);
        let keys: Vec<&str> = out.first().unwrap().fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["field", "row 1", "h2", "row 3"]);
    }

    #[test]
    fn simple_commands_check_their_arguments_where_written() {
        for ok in [
            "| makeresults | strcat a \"/\" b c",
            "| makeresults | strcat allrequired=t a b c",
            "| makeresults | strcat a c",
            "| makeresults | rangemap field=n Dislike=-5--1 DontCare=0-0 Like=1-5 default=meh",
            "| makeresults | rangemap field=n",
            "| makeresults | uniq",
            "| makeresults | addinfo",
            "| makeresults | transpose",
            "| makeresults | transpose 0 column_name=f header_field=h include_empty=false",
        ] {
            assert_eq!(crate::exec::plan_error_at(ok), None, "{ok}");
        }
        for (bad, what, at) in [
            ("| makeresults | strcat c", "strcat takes", "strcat c"),
            ("| makeresults | strcat allrequired=maybe a b", "strcat allrequired `maybe`", "allrequired=maybe"),
            ("| makeresults | strcat a b sep=x", "strcat option `sep=x`", "sep=x"),
            ("| makeresults | strcat a, b", "strcat argument `,`", ","),
            ("| makeresults | strcat a \"\"", "destination field", "\"\""),
            ("| makeresults | rangemap low=1-2", "rangemap needs field=", "rangemap low=1-2"),
            ("| makeresults | rangemap field=n low=5-1", "rangemap range `low=5-1`", "low=5-1"),
            ("| makeresults | rangemap field=n low=abc", "rangemap range `low=abc`", "low=abc"),
            ("| makeresults | rangemap field=n a=1-2 a=3-4", "given twice", "a=3-4"),
            ("| makeresults | rangemap field=n x", "rangemap argument `x`", "x"),
            ("| makeresults | uniq x", "uniq takes no arguments", "x"),
            ("| makeresults | addinfo x=1", "addinfo takes no arguments", "x=1"),
            ("| makeresults | transpose five", "transpose count `five`", "five"),
            ("| makeresults | transpose 3 4", "transpose argument `4`", "4"),
            ("| makeresults | transpose limit=3", "transpose option `limit=3`", "limit=3"),
            ("| makeresults | transpose include_empty=nah", "transpose include_empty `nah`", "include_empty=nah"),
            ("| makeresults | transpose column_name=\"\"", "transpose column_name", "column_name=\"\""),
        ] {
            let got = crate::exec::plan_error_at(bad);
            assert!(got.as_ref().is_some_and(|(m, t)| m.contains(what) && t == at), "{bad}: {got:?}");
        }
    }

    /// The reference keeps the written case of range names; option keys are lower-cased.
    #[test]
    fn simple_rangemap_keeps_the_names_as_written() {
        let spl = "| makeresults | rangemap field=n Dislike=-5--1 DontCare=0-0";
        let ctx = Context::new(Default::default(), 0.0);
        let p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let ops: Vec<String> = p.ops.iter().map(|o| o.describe()).collect();
        assert_eq!(ops.get(1).map(String::as_str), Some("rangemap field=n Dislike=-5--1 DontCare=0-0 default=None"));
    }

    /// uniq and transpose depend on the order of results (an event search's newest first).
    #[test]
    fn simple_order_dependent_commands_get_events_newest_first() {
        let ctx = Context::new(Default::default(), 0.0);
        // strcat, rangemap and addinfo keep the order: the sort comes after them.
        for cmd in ["uniq", "transpose", "transpose 0"] {
            let spl = format!("search a=1 | strcat a b c | rangemap field=a x=1-2 | addinfo | {cmd}");
            let p = crate::plan::plan(&spl_parser::parse_pipeline(&spl).unwrap(), &spl, &ctx).unwrap();
            let ops: Vec<String> = p.ops.iter().map(|o| o.describe()).collect();
            assert!(ops.get(4).is_some_and(|d| d.starts_with("newest first")), "{spl}: {ops:?}");
        }
    }
}
