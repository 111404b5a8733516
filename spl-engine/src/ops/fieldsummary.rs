//! `fieldsummary [maxvals=<unsigned_int>] [<wc-field-list>]`: one result per field of the input,
//! summarising its values.
//!
//! Rules, from Splunk's search reference
//! (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.1/search-commands/fieldsummary)
//! and the SPL2 reference's worked examples
//! (https://help.splunk.com/splunk-enterprise/search/spl2-search-reference/fieldsummary-command/fieldsummary-command-overview-syntax-and-usage,
//! https://help.splunk.com/splunk-enterprise/search/spl2-search-reference/fieldsummary-command/fieldsummary-command-examples):
//! - Columns, in this order: `field`, `count` (results holding the field), `distinct_count`,
//!   `is_exact`, `max`, `mean`, `min`, `numeric_count` (numeric values), `stdev`, `values`.
//! - `max`, `mean`, `min` and `stdev` are over the numeric values only (text that reads as a
//!   number counts: the SPL2 example's `0800` gives `min` 800); a field with none leaves them
//!   empty and has `numeric_count` 0. `stdev` is the sample deviation (the SPL2 example: 800…1800
//!   by 100 gives 331.6); one numeric value gives 0, as `stats stdev()` here.
//! - `values`: `[{"value":"purchase","count":6},…]`, highest count first, then by value in
//!   ascending order; at most `maxvals` of them (default 100; 0: every value).
//! - `is_exact`: 1 when `distinct_count` is exact. Past `maxvals` distinct values the reference
//!   says fieldsummary "will stop retaining all the values and compute an approximate distinct
//!   count", so a field with more than `maxvals` distinct values (maxvals > 0) has 0, as in
//!   Splunk, even where the count here happens to be exact.
//! - The field list takes `*` wildcards (`*size* *count*`); without one, every field.
//!
//! Where the reference is silent, spelunk takes:
//! - Internal fields (`_time`, `_raw`, any name starting with `_`) are left out, as the
//!   reference's example over `_internal` lists fields from `abandoned_channels` on; a pattern
//!   that itself starts with `_` (`_time`, `_*`) takes them.
//! - Rows come in field-name order (byte order), as the reference's examples list them.
//! - A multivalue field counts once in `count`; each of its values counts in `values`,
//!   `distinct_count` and the numeric columns (as `stats dc()`/`values()` count them). Values are
//!   compared as text (`1` and `1.0` are two values); the empty string is a value.
//! - `values`' "ascending order" of values is byte order (as `stats values()`), not numeric.
//!
//! Memory: it holds, per field, its counts and numeric moments, and each distinct value with its
//! count, counted against `--memory-budget`. Past the budget, the fields holding the most
//! values turn approximate (`is_exact` 0) and stop growing: a HyperLogLog of 4 KiB estimates the
//! distinct count (about 1.6 % standard error) and a Misra-Gries summary keeps at most
//! 2 × max(maxvals, 1,000) values (at most 2 × 10,000), whose counts are then lower bounds
//! (every value holding more than 1/(that many + 1) of the field's values is among them).
//! `--memory-budget 0` keeps every field exact.

use std::collections::{HashMap, HashSet};

use crate::event::{Event, Name};
use crate::exec::{ExecError, Operator};
use crate::ops::fields::NamePattern;
use crate::spill::Held;
use crate::value::{Text, Value};

/// `values` entries by default (Splunk's reference).
pub const DEFAULT_MAXVALS: usize = 100;

/// Values an approximate field keeps at least (with maxvals below it) and at most.
const SKETCH_MIN: usize = 1_000;
const SKETCH_MAX: usize = 10_000;

/// Bytes a held distinct value costs besides its text beyond the inline 24 (the text's header,
/// its count, the table's share).
const ENTRY_BYTES: usize = 48;

type Map<K, V> = HashMap<K, V, ahash::RandomState>;

/// Whether `pattern` takes the field `name`: internal fields (`_…`) only by a pattern starting
/// with `_` (`_time`, `_*`), so that `*` means the fields a user sees. Shared with `tojson`.
pub(crate) fn pattern_takes(pattern: &NamePattern, name: &str) -> bool {
    (!name.starts_with('_') || pattern.text.starts_with('_')) && pattern.matches(name)
}

/// `fieldsummary [maxvals=] [<wc-field>...]`.
pub struct FieldsummaryOp {
    /// `values` entries per field; 0: all.
    maxvals: usize,
    /// Fields summarised; empty: every field but the internal ones.
    patterns: Vec<NamePattern>,
    fields: Map<Name, Summary>,
    /// Fields seen that no pattern takes.
    ignored: HashSet<Name, ahash::RandomState>,
    held: Held,
    /// Held bytes when the last attempt to shrink found nothing to shrink: the next waits until
    /// twice that is held.
    stuck_at: usize,
}

impl FieldsummaryOp {
    pub fn new(maxvals: usize, patterns: Vec<NamePattern>) -> Self {
        FieldsummaryOp {
            maxvals,
            patterns,
            fields: Map::default(),
            ignored: HashSet::default(),
            held: Held::default(),
            stuck_at: 0,
        }
    }

    fn takes(&self, name: &str) -> bool {
        if self.patterns.is_empty() {
            !name.starts_with('_')
        } else {
            self.patterns.iter().any(|p| pattern_takes(p, name))
        }
    }

    /// Values an approximate field keeps (twice this at most between two trims).
    fn sketch_size(&self) -> usize {
        if self.maxvals == 0 {
            SKETCH_MAX
        } else {
            self.maxvals.clamp(SKETCH_MIN, SKETCH_MAX)
        }
    }

    /// Over the budget: the exact fields holding the most turn approximate until half of what is
    /// held is freed (or none is left worth turning).
    fn shrink(&mut self) {
        let start = self.held.bytes();
        if start < self.stuck_at.saturating_mul(2) {
            return;
        }
        let cap = self.sketch_size();
        // What an approximate field holds at most: its HyperLogLog and 2 × cap values.
        let sketch_bytes = Hll::BYTES + 2 * cap * (ENTRY_BYTES + 16);
        let mut big: Vec<(usize, Name)> = self
            .fields
            .iter()
            .filter(|(_, s)| matches!(s.values, Values::Exact(_)) && s.bytes > sketch_bytes)
            .map(|(n, s)| (s.bytes, n.clone()))
            .collect();
        big.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
        let mut freed_any = false;
        for (_, name) in big {
            if self.held.bytes() <= start / 2 {
                break;
            }
            if let Some(s) = self.fields.get_mut(&name) {
                let before = s.bytes;
                s.approximate(cap);
                self.held.shrink(before);
                let _ = self.held.grow(s.bytes);
                freed_any = true;
            }
        }
        self.stuck_at = if freed_any { 0 } else { start };
    }

    /// The result row of one field.
    fn row(&self, name: &str, s: &Summary) -> Event {
        let mut ev = Event::with_capacity(10);
        ev.set("field", name);
        ev.set("count", s.count as f64);
        let (distinct, exact) = match &s.values {
            Values::Exact(m) => (m.len(), self.maxvals == 0 || m.len() <= self.maxvals),
            Values::Approx(a) => (a.distinct(), false),
        };
        ev.set("distinct_count", distinct as f64);
        ev.set("is_exact", if exact { 1.0 } else { 0.0 });
        let n = &s.numbers;
        if n.n > 0 {
            ev.set("max", n.max);
            ev.set("mean", n.sum / n.n as f64);
            ev.set("min", n.min);
        }
        ev.set("numeric_count", n.n as f64);
        if n.n > 0 {
            let var = if n.n > 1 { (n.m2 / (n.n - 1) as f64).max(0.0) } else { 0.0 };
            ev.set("stdev", var.sqrt());
        }
        ev.set("values", values_json(s.values.counts(), self.maxvals));
        ev
    }
}

/// `[{"value":"x","count":3},…]`: highest count first, then values in byte order; at most
/// `maxvals` (0: all).
fn values_json<'a>(counts: impl Iterator<Item = (&'a Text, u64)>, maxvals: usize) -> String {
    let mut all: Vec<(&Text, u64)> = counts.collect();
    all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
    if maxvals > 0 {
        all.truncate(maxvals);
    }
    let mut out = String::from("[");
    for (i, (value, count)) in all.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"value\":");
        out.push_str(&serde_json::to_string(value.as_str()).unwrap_or_default());
        out.push_str(",\"count\":");
        out.push_str(&count.to_string());
        out.push('}');
    }
    out.push(']');
    out
}

impl Operator for FieldsummaryOp {
    fn name(&self) -> &str {
        "fieldsummary"
    }

    fn describe(&self) -> String {
        let fields = if self.patterns.is_empty() {
            "every field but _internal ones".to_string()
        } else {
            self.patterns.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" ")
        };
        format!(
            "fieldsummary maxvals={} {fields} (holds each field's distinct values within --memory-budget, then \
             approximates the largest)",
            self.maxvals
        )
    }

    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }

    /// It only reads the result: a shared one needs no copy.
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut grew = 0;
        for (name, value) in &ev.fields {
            if let Some(s) = self.fields.get_mut(name.as_str()) {
                grew += s.add(value);
                continue;
            }
            if self.ignored.contains(name.as_str()) {
                continue;
            }
            if !self.takes(name) {
                self.ignored.insert(name.clone());
                continue;
            }
            let mut s = Summary::default();
            grew += s.add(value) + name.len() + ENTRY_BYTES;
            self.fields.insert(name.clone(), s);
        }
        if grew > 0 && self.held.grow(grew) {
            self.shrink();
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let mut names: Vec<&Name> = self.fields.keys().collect();
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            if let Some(s) = self.fields.get(name) {
                out.push(self.row(name, s));
            }
        }
        self.fields.clear();
        self.held.clear();
        Ok(())
    }
}

/// What is known of one field.
#[derive(Default)]
struct Summary {
    /// Results holding the field.
    count: u64,
    numbers: Moments,
    values: Values,
    /// Bytes its values hold (an estimate, as counted in `Held`).
    bytes: usize,
}

impl Summary {
    /// Count one result's value; the bytes newly held.
    fn add(&mut self, value: &Value) -> usize {
        self.count += 1;
        let mut grew = 0;
        for atom in value.atoms() {
            if let Some(x) = atom.to_num().filter(|x| x.is_finite()) {
                self.numbers.add(x);
            }
            grew += self.values.add(&atom.as_str());
        }
        self.bytes += grew;
        grew
    }

    /// Turn approximate, keeping at most `cap` values.
    fn approximate(&mut self, cap: usize) {
        if let Values::Exact(map) = std::mem::take(&mut self.values) {
            let approx = Approx::from_exact(map, cap);
            self.bytes = approx.bytes();
            self.values = Values::Approx(Box::new(approx));
        }
    }
}

/// Count, sum, min and max of the numeric values, and their running mean and sum of squared
/// deviations (Welford: no cancellation on large values such as epoch times). The mean shown is
/// the sum over the count, as `stats avg()` gives it.
#[derive(Default)]
struct Moments {
    n: u64,
    sum: f64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        if self.n == 0 {
            (self.min, self.max) = (x, x);
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n += 1;
        self.sum += x;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
}

/// A field's values with their counts.
enum Values {
    Exact(Map<Text, u64>),
    Approx(Box<Approx>),
}

impl Default for Values {
    fn default() -> Self {
        Values::Exact(Map::default())
    }
}

/// Bytes one held value costs.
fn entry_bytes(text: &str) -> usize {
    // Up to 24 bytes of text are held inline.
    ENTRY_BYTES + if text.len() > 24 { text.len() } else { 0 }
}

impl Values {
    /// Count one value; the bytes newly held (0 once approximate: its size is bounded).
    fn add(&mut self, text: &str) -> usize {
        match self {
            Values::Exact(map) => {
                if let Some(c) = map.get_mut(text) {
                    *c += 1;
                    return 0;
                }
                map.insert(Text::from(text), 1);
                entry_bytes(text)
            }
            Values::Approx(a) => {
                a.add(text);
                0
            }
        }
    }

    fn counts(&self) -> Box<dyn Iterator<Item = (&Text, u64)> + '_> {
        match self {
            Values::Exact(m) => Box::new(m.iter().map(|(k, c)| (k, *c))),
            Values::Approx(a) => Box::new(a.top.iter().map(|(k, c)| (k, *c))),
        }
    }
}

/// An approximate field: a HyperLogLog of every value for the distinct count, and a
/// Misra-Gries summary of the most frequent values (counts are lower bounds).
struct Approx {
    hll: Hll,
    top: Map<Text, u64>,
    /// Values kept after a trim; a trim comes when twice as many are held.
    cap: usize,
}

impl Approx {
    /// From exact counts: every value into the HyperLogLog, the `cap` most frequent kept with
    /// their (so far exact) counts.
    fn from_exact(map: Map<Text, u64>, cap: usize) -> Approx {
        let mut hll = Hll::new();
        for k in map.keys() {
            hll.insert(k);
        }
        let mut a = Approx { hll, top: map, cap: cap.max(1) };
        if a.top.len() > a.cap {
            let mut all: Vec<(Text, u64)> = a.top.drain().collect();
            all.sort_unstable_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.as_bytes().cmp(y.0.as_bytes())));
            all.truncate(a.cap);
            a.top = all.into_iter().collect();
        }
        a
    }

    fn add(&mut self, text: &str) {
        self.hll.insert(text);
        if let Some(c) = self.top.get_mut(text) {
            *c += 1;
            return;
        }
        self.top.insert(Text::from(text), 1);
        if self.top.len() >= 2 * self.cap {
            self.trim();
        }
    }

    /// Misra-Gries: take the (cap+1)-th largest count off every count and drop the values left
    /// at 0, which leaves at most `cap` values.
    fn trim(&mut self) {
        let mut counts: Vec<u64> = self.top.values().copied().collect();
        if counts.len() <= self.cap {
            return;
        }
        let (_, d, _) = counts.select_nth_unstable_by(self.cap, |a, b| b.cmp(a));
        let d = *d;
        self.top.retain(|_, c| {
            *c = c.saturating_sub(d);
            *c > 0
        });
    }

    fn distinct(&self) -> usize {
        // Every value still held is distinct, whatever the estimate says.
        (self.hll.estimate().round() as usize).max(self.top.len())
    }

    /// What it holds at most (a trim comes at twice `cap`), as `Held` counts it.
    fn bytes(&self) -> usize {
        Hll::BYTES + self.top.keys().map(|k| entry_bytes(k)).sum::<usize>()
    }
}

/// HyperLogLog with 2^12 one-byte registers (Flajolet et al. 2007, with linear counting for
/// small cardinalities): about 1.6 % standard error.
struct Hll {
    regs: Vec<u8>,
}

impl Hll {
    const P: u32 = 12;
    const M: usize = 1 << Self::P;
    const BYTES: usize = Self::M + 64;

    fn new() -> Hll {
        Hll { regs: vec![0; Self::M] }
    }

    fn insert(&mut self, text: &str) {
        let h = hash64(text.as_bytes());
        let idx = (h >> (64 - Self::P)) as usize;
        // The rest of the bits, with a stop bit so the rank is at most 64 - P + 1.
        let w = (h << Self::P) | (1 << (Self::P - 1));
        let rank = (w.leading_zeros() + 1) as u8;
        if let Some(r) = self.regs.get_mut(idx) {
            *r = (*r).max(rank);
        }
    }

    fn estimate(&self) -> f64 {
        let m = Self::M as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self.regs.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let zeros = self.regs.iter().filter(|&&r| r == 0).count();
        let e = alpha * m * m / sum;
        if e <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            e
        }
    }
}

/// FNV-1a with a SplitMix64 finish (all 64 bits mixed): the same on every run and platform, so
/// an approximate count is too.
fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// `maxvals` as written: a whole number, 0 or more.
pub fn parse_maxvals(s: &str) -> Option<usize> {
    s.trim().parse::<usize>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_op as run;

    fn text(ev: &Event, field: &str) -> Option<String> {
        ev.get(field).map(|v| v.as_str().into_owned())
    }

    fn summarise(op: &mut FieldsummaryOp, input: Vec<Event>) -> Vec<Event> {
        run(op, input)
    }

    fn row<'a>(out: &'a [Event], field: &str) -> &'a Event {
        out.iter().find(|e| text(e, "field").as_deref() == Some(field)).unwrap()
    }

    fn events(pairs: &[&[(&str, &str)]]) -> Vec<Event> {
        pairs.iter().map(|p| Event::from_pairs(p)).collect()
    }

    #[test]
    fn fieldsummary_columns_come_in_the_references_order() {
        let out = summarise(&mut FieldsummaryOp::new(100, vec![]), events(&[&[("a", "1")]]));
        let keys: Vec<&str> = out[0].fields.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            ["field", "count", "distinct_count", "is_exact", "max", "mean", "min", "numeric_count", "stdev", "values"]
        );
    }

    #[test]
    fn fieldsummary_counts_numeric_values_only_for_min_max() {
        let input = events(&[
            &[("x", "10")],
            &[("x", "abc")],
            &[("x", "0800")],
            &[("x", "-2.5")],
            &[("y", "text")],
            &[("x", "")],
        ]);
        let out = summarise(&mut FieldsummaryOp::new(100, vec![]), input);
        let x = row(&out, "x");
        assert_eq!(text(x, "count").as_deref(), Some("5"));
        assert_eq!(text(x, "distinct_count").as_deref(), Some("5"), "the empty string is a value");
        assert_eq!(text(x, "numeric_count").as_deref(), Some("3"));
        assert_eq!(text(x, "max").as_deref(), Some("800"), "0800 reads as 800, as in the SPL2 example");
        assert_eq!(text(x, "min").as_deref(), Some("-2.5"));
        assert_eq!(text(x, "mean").as_deref(), Some("269.1666666666667"));
        // A field with no numeric value leaves max, mean, min and stdev empty.
        let y = row(&out, "y");
        assert_eq!(text(y, "numeric_count").as_deref(), Some("0"));
        for col in ["max", "mean", "min", "stdev"] {
            assert_eq!(text(y, col), None, "{col}");
        }
    }

    #[test]
    fn fieldsummary_stdev_is_the_sample_deviation_as_in_the_spl2_example() {
        // The SPL2 reference: hours 0800…1800 give mean 1300, min 800, max 1800, stdev 331.6.
        let input: Vec<Event> =
            (8..=18).map(|h| Event::from_pairs(&[("hour", format!("{:04}", h * 100).as_str())])).collect();
        let out = summarise(&mut FieldsummaryOp::new(100, vec![]), input);
        let hour = row(&out, "hour");
        assert_eq!(text(hour, "mean").as_deref(), Some("1300"));
        assert_eq!(text(hour, "min").as_deref(), Some("800"));
        assert_eq!(text(hour, "max").as_deref(), Some("1800"));
        let stdev: f64 = text(hour, "stdev").unwrap().parse().unwrap();
        assert!((stdev - 331.662).abs() < 0.001, "{stdev}");
        let one = summarise(&mut FieldsummaryOp::new(100, vec![]), events(&[&[("n", "5")]]));
        assert_eq!(text(&one[0], "stdev").as_deref(), Some("0"), "one value");
    }

    #[test]
    fn fieldsummary_values_sort_by_count_then_value_and_stop_at_maxvals() {
        let input = events(&[
            &[("action", "purchase")],
            &[("action", "view")],
            &[("action", "purchase")],
            &[("action", "addtocart")],
            &[("action", "view")],
            &[("action", "purchase")],
            &[("action", "Zed \"quoted\"")],
        ]);
        let out = summarise(&mut FieldsummaryOp::new(100, vec![]), input.clone());
        assert_eq!(
            text(&out[0], "values").as_deref(),
            Some(
                r#"[{"value":"purchase","count":3},{"value":"view","count":2},{"value":"Zed \"quoted\"","count":1},{"value":"addtocart","count":1}]"#
            )
        );
        assert_eq!(text(&out[0], "is_exact").as_deref(), Some("1"));
        // maxvals=2: the two most frequent; 4 distinct values exceed it, so not exact (the
        // reference's rule), though the count is.
        let out = summarise(&mut FieldsummaryOp::new(2, vec![]), input.clone());
        assert_eq!(
            text(&out[0], "values").as_deref(),
            Some(r#"[{"value":"purchase","count":3},{"value":"view","count":2}]"#)
        );
        assert_eq!(text(&out[0], "distinct_count").as_deref(), Some("4"));
        assert_eq!(text(&out[0], "is_exact").as_deref(), Some("0"));
        // maxvals=0: every value, exact.
        let out = summarise(&mut FieldsummaryOp::new(0, vec![]), input);
        assert_eq!(text(&out[0], "values").unwrap().matches("\"value\"").count(), 4);
        assert_eq!(text(&out[0], "is_exact").as_deref(), Some("1"));
    }

    #[test]
    fn fieldsummary_counts_a_multivalue_field_once_per_result_and_each_value() {
        let input = events(&[&[("m", "1"), ("m", "2")], &[("m", "2")]]);
        let out = summarise(&mut FieldsummaryOp::new(100, vec![]), input);
        assert_eq!(text(&out[0], "count").as_deref(), Some("2"));
        assert_eq!(text(&out[0], "numeric_count").as_deref(), Some("3"));
        assert_eq!(text(&out[0], "distinct_count").as_deref(), Some("2"));
        assert_eq!(text(&out[0], "values").as_deref(), Some(r#"[{"value":"2","count":2},{"value":"1","count":1}]"#));
    }

    #[test]
    fn fieldsummary_rows_are_in_field_name_order_without_internal_fields_unless_named() {
        let mut ev = Event::from_pairs(&[("b", "1"), ("_raw", "r"), ("a", "x"), ("size_kb", "3"), ("count_x", "4")]);
        ev.set("_time", 1.0);
        let out = summarise(&mut FieldsummaryOp::new(100, vec![]), vec![ev.clone()]);
        let fields: Vec<Option<String>> = out.iter().map(|e| text(e, "field")).collect();
        assert_eq!(fields, ["a", "b", "count_x", "size_kb"].map(|s| Some(s.to_string())));
        let pats = ["*size*", "*count*", "_time"].map(NamePattern::new).to_vec();
        let out = summarise(&mut FieldsummaryOp::new(100, pats), vec![ev.clone()]);
        let fields: Vec<Option<String>> = out.iter().map(|e| text(e, "field")).collect();
        assert_eq!(fields, ["_time", "count_x", "size_kb"].map(|s| Some(s.to_string())));
        let out = summarise(&mut FieldsummaryOp::new(100, vec![NamePattern::new("_*")]), vec![ev]);
        assert_eq!(out.len(), 2, "_raw and _time");
        assert!(summarise(&mut FieldsummaryOp::new(100, vec![]), vec![]).is_empty(), "no input, no rows");
    }

    #[test]
    fn fieldsummary_past_the_memory_budget_turns_the_largest_fields_approximate() {
        let mut op = FieldsummaryOp::new(100, vec![]);
        op.held.own_limit = Some(64 << 10);
        let input: Vec<Event> = (0..50_000)
            .map(|i| {
                let mut ev = Event::new();
                ev.set("id", format!("id-{i}"));
                // A heavy hitter among unique values: kept, with a count close to its own.
                ev.set("user", if i % 4 == 0 { "admin".to_string() } else { format!("user-{i}") });
                ev.set("small", if i % 2 == 0 { "a" } else { "b" });
                ev
            })
            .collect();
        let out = run(&mut op, input);
        let id = row(&out, "id");
        assert_eq!(text(id, "is_exact").as_deref(), Some("0"));
        let dc: f64 = text(id, "distinct_count").unwrap().parse().unwrap();
        assert!((dc - 50_000.0).abs() / 50_000.0 < 0.05, "estimate {dc}");
        let user = row(&out, "user");
        let values = text(user, "values").unwrap();
        assert!(values.starts_with(r#"[{"value":"admin","count":"#), "{values}");
        // The small field stays exact.
        let small = row(&out, "small");
        assert_eq!(text(small, "is_exact").as_deref(), Some("1"));
        assert_eq!(
            text(small, "values").as_deref(),
            Some(r#"[{"value":"a","count":25000},{"value":"b","count":25000}]"#)
        );
        assert!(op.held.bytes() == 0, "finish frees what was held");
    }

    #[test]
    fn fieldsummary_misra_gries_keeps_every_value_above_its_share() {
        let mut map = Map::default();
        map.insert(Text::from("seed"), 1);
        let mut a = Approx::from_exact(map, 10);
        for i in 0..10_000 {
            a.add(&format!("u{i}"));
            if i % 5 == 0 {
                a.add("hot");
            }
        }
        assert!(a.top.len() < 20);
        let hot = a.top.get("hot").copied().unwrap_or(0);
        // True count 2,000 of 12,001: the estimate is a lower bound within N/(cap+1).
        assert!((2_000 - 12_001 / 11..=2_000).contains(&hot), "{hot}");
    }

    #[test]
    fn fieldsummary_hyperloglog_counts_within_a_few_percent() {
        for n in [0usize, 1, 10, 1_000, 100_000] {
            let mut h = Hll::new();
            for i in 0..n {
                h.insert(&format!("value-{i}"));
                h.insert(&format!("value-{i}"));
            }
            let e = h.estimate();
            let err = if n == 0 { e } else { (e - n as f64).abs() / n as f64 };
            assert!(err < 0.05, "{n}: {e}");
        }
    }

    #[test]
    fn fieldsummary_checks_its_arguments_where_written() {
        for ok in [
            "| makeresults | fieldsummary",
            "| makeresults | fieldsummary maxvals=0",
            "| makeresults | fieldsummary maxvals=10 *size* *count*",
            "| makeresults | fieldsummary a, b",
        ] {
            assert_eq!(crate::exec::plan_error_at(ok), None, "{ok}");
        }
        for (bad, what, at) in [
            ("| makeresults | fieldsummary maxvals=-1", "fieldsummary maxvals `-1`", "maxvals=-1"),
            ("| makeresults | fieldsummary maxvals=ten", "fieldsummary maxvals `ten`", "maxvals=ten"),
            ("| makeresults | fieldsummary limit=3", "fieldsummary option `limit=3`", "limit=3"),
            ("| makeresults | fieldsummary count(x)", "fieldsummary argument `count(x)`", "count(x)"),
        ] {
            let got = crate::exec::plan_error_at(bad);
            assert!(got.as_ref().is_some_and(|(m, t)| m.contains(what) && t == at), "{bad}: {got:?}");
        }
    }
}
