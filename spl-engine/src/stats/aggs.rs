//! Aggregation functions of `stats`, `tstats`, `eventstats`, `streamstats`, `timechart`.
//!
//! Splunk rules: `values()` is distinct and sorted lexicographically by bytes; `list()` keeps
//! arrival order (at most 100); `dc()` counts distinct strings; `min`/`max` compare numerically
//! when values are numbers and fall back to lexicographic order only when none is; `count(x)`
//! counts values (a multivalue counts each); `avg`/`sum`/`stdev` ignore non-numeric values.

use std::collections::BTreeSet;

use crate::packed::{put_atom, put_len, Reader};
use crate::stats::sparkline::{Axis, Spark, SparkFunc};
use crate::value::{Atom, Value};

/// The function of an aggregation, after name normalisation (`c` → count, `distinct_count` →
/// dc, `mean` → avg, `p95`/`perc95` → Perc(95)).
#[derive(Clone, Debug, PartialEq)]
pub enum AggFunc {
    Count,
    Dc,
    Values,
    List,
    Min,
    Max,
    Sum,
    Sumsq,
    Avg,
    Stdev,
    Stdevp,
    Var,
    Varp,
    Range,
    Median,
    Mode,
    Perc(f64),
    Earliest,
    Latest,
    EarliestTime,
    LatestTime,
    First,
    Last,
    Rate,
    /// `sparkline(...)`: never from `parse`, the planner builds it.
    Sparkline(Box<SparkFunc>),
}

impl AggFunc {
    pub fn parse(name: &str) -> Option<AggFunc> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "count" | "c" => AggFunc::Count,
            "dc" | "distinct_count" | "estdc" => AggFunc::Dc,
            "values" => AggFunc::Values,
            "list" => AggFunc::List,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "sum" => AggFunc::Sum,
            "sumsq" => AggFunc::Sumsq,
            "avg" | "mean" => AggFunc::Avg,
            "stdev" => AggFunc::Stdev,
            "stdevp" => AggFunc::Stdevp,
            "var" => AggFunc::Var,
            "varp" => AggFunc::Varp,
            "range" => AggFunc::Range,
            "median" => AggFunc::Median,
            "mode" => AggFunc::Mode,
            "earliest" => AggFunc::Earliest,
            "latest" => AggFunc::Latest,
            "earliest_time" => AggFunc::EarliestTime,
            "latest_time" => AggFunc::LatestTime,
            "first" => AggFunc::First,
            "last" => AggFunc::Last,
            "rate" => AggFunc::Rate,
            _ => {
                for prefix in ["exactperc", "upperperc", "perc", "p"] {
                    if let Some(rest) = n.strip_prefix(prefix) {
                        if let Ok(p) = rest.parse::<f64>() {
                            if (0.0..=100.0).contains(&p) {
                                return Some(AggFunc::Perc(p));
                            }
                        }
                    }
                }
                return None;
            }
        })
    }
}

/// Running state of one aggregation in one group.
#[derive(Clone, Debug)]
pub enum Acc {
    Count(u64),
    Distinct(TextSet, bool),
    List(Vec<Atom>),
    MinMax { num: Option<f64>, text: Option<String>, max: bool },
    Moments { n: u64, sum: f64, sumsq: f64, func: AggFunc },
    Range { lo: Option<f64>, hi: Option<f64> },
    Numbers(Vec<f64>, AggFunc),
    Mode(indexmap::IndexMap<String, u64>),
    Timed { best: Option<(f64, Vec<Atom>)>, latest: bool, time_only: bool },
    FirstLast(Option<Vec<Atom>>, bool),
    Sparkline(Box<Spark>),
}

const LIST_MAX: usize = 100;

/// What a kept text costs besides its bytes: its `String` and the allocator's rounding.
const TEXT_COST: usize = 40;

fn atom_cost(a: &Atom) -> usize {
    match a {
        Atom::Str(s) => s.len() + TEXT_COST,
        Atom::Num(_) => 16,
    }
}

/// Distinct texts in byte order (`values()`, `dc()`): a sorted vector while small, as most
/// groups of a big aggregation see one or two values and a B-tree node costs ~280 bytes;
/// a B-tree past that.
#[derive(Clone, Debug)]
pub enum TextSet {
    Small(Vec<String>),
    Big(BTreeSet<String>),
}

/// Texts a `TextSet` keeps in its vector.
const SMALL_SET: usize = 16;

impl Default for TextSet {
    fn default() -> Self {
        TextSet::Small(Vec::new())
    }
}

impl TextSet {
    /// Add a text; true when it was not there yet.
    pub fn insert(&mut self, s: &str) -> bool {
        match self {
            TextSet::Small(v) => match v.binary_search_by(|x| x.as_str().cmp(s)) {
                Ok(_) => false,
                Err(at) if v.len() < SMALL_SET => {
                    v.reserve_exact(1);
                    v.insert(at, s.to_string());
                    true
                }
                Err(_) => {
                    let mut big: BTreeSet<String> = std::mem::take(v).into_iter().collect();
                    big.insert(s.to_string());
                    *self = TextSet::Big(big);
                    true
                }
            },
            TextSet::Big(b) => !b.contains(s) && b.insert(s.to_string()),
        }
    }

    /// Take a text out; true when it was there.
    pub fn remove(&mut self, s: &str) -> bool {
        match self {
            TextSet::Small(v) => match v.binary_search_by(|x| x.as_str().cmp(s)) {
                Ok(at) => {
                    v.remove(at);
                    true
                }
                Err(_) => false,
            },
            TextSet::Big(b) => b.remove(s),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            TextSet::Small(v) => v.len(),
            TextSet::Big(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// In byte order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            TextSet::Small(v) => Box::new(v.iter().map(String::as_str)),
            TextSet::Big(b) => Box::new(b.iter().map(String::as_str)),
        }
    }
}

impl Acc {
    pub fn new(f: &AggFunc) -> Acc {
        match f {
            AggFunc::Count => Acc::Count(0),
            AggFunc::Dc => Acc::Distinct(TextSet::default(), true),
            AggFunc::Values => Acc::Distinct(TextSet::default(), false),
            AggFunc::List => Acc::List(Vec::new()),
            AggFunc::Min => Acc::MinMax { num: None, text: None, max: false },
            AggFunc::Max => Acc::MinMax { num: None, text: None, max: true },
            AggFunc::Sum
            | AggFunc::Sumsq
            | AggFunc::Avg
            | AggFunc::Stdev
            | AggFunc::Stdevp
            | AggFunc::Var
            | AggFunc::Varp => Acc::Moments { n: 0, sum: 0.0, sumsq: 0.0, func: f.clone() },
            AggFunc::Range | AggFunc::Rate => Acc::Range { lo: None, hi: None },
            AggFunc::Median | AggFunc::Perc(_) => Acc::Numbers(Vec::new(), f.clone()),
            AggFunc::Mode => Acc::Mode(indexmap::IndexMap::new()),
            AggFunc::Earliest => Acc::Timed { best: None, latest: false, time_only: false },
            AggFunc::Latest => Acc::Timed { best: None, latest: true, time_only: false },
            AggFunc::EarliestTime => Acc::Timed { best: None, latest: false, time_only: true },
            AggFunc::LatestTime => Acc::Timed { best: None, latest: true, time_only: true },
            AggFunc::First => Acc::FirstLast(None, false),
            AggFunc::Last => Acc::FirstLast(None, true),
            AggFunc::Sparkline(spec) => Acc::Sparkline(Box::new(Spark::new(spec))),
        }
    }

    /// Add one event's value of the argument field (`None` when the field is missing). `count`
    /// without an argument is fed `Some` of a dummy value once per event. Returns about how
    /// many bytes the state grew by (what spilling counts; values replaced are not subtracted).
    pub fn add(&mut self, value: Option<&Value>, time: Option<f64>) -> usize {
        let Some(value) = value else { return 0 };
        let mut grew = 0;
        match self {
            Acc::Count(n) => *n += value.atoms().len() as u64,
            Acc::Distinct(set, _) => {
                for a in value.atoms() {
                    let s = a.as_str();
                    if set.insert(&s) {
                        grew += s.len() + TEXT_COST;
                    }
                }
            }
            Acc::List(v) => {
                for a in value.atoms() {
                    if v.len() < LIST_MAX {
                        grew += atom_cost(a);
                        v.push(a.clone());
                    }
                }
            }
            Acc::MinMax { num, text, max } => {
                for a in value.atoms() {
                    match a.to_num() {
                        Some(x) => {
                            *num = Some(match *num {
                                None => x,
                                Some(cur) if *max => cur.max(x),
                                Some(cur) => cur.min(x),
                            })
                        }
                        None => {
                            let s = a.as_str();
                            let better = match text {
                                None => true,
                                Some(cur) if *max => s.as_ref() > cur.as_str(),
                                Some(cur) => s.as_ref() < cur.as_str(),
                            };
                            if better {
                                if text.is_none() {
                                    grew += s.len() + TEXT_COST;
                                }
                                *text = Some(s.into_owned());
                            }
                        }
                    }
                }
            }
            Acc::Moments { n, sum, sumsq, .. } => {
                for x in value.atoms().iter().filter_map(Atom::to_num) {
                    *n += 1;
                    *sum += x;
                    *sumsq += x * x;
                }
            }
            Acc::Range { lo, hi } => {
                for x in value.atoms().iter().filter_map(Atom::to_num) {
                    *lo = Some(lo.map_or(x, |c| c.min(x)));
                    *hi = Some(hi.map_or(x, |c| c.max(x)));
                }
            }
            Acc::Numbers(v, _) => {
                let before = v.len();
                v.extend(value.atoms().iter().filter_map(Atom::to_num));
                grew += (v.len() - before) * 8;
            }
            Acc::Mode(counts) => {
                for a in value.atoms() {
                    let s = a.as_str();
                    if let Some(n) = counts.get_mut(s.as_ref()) {
                        *n += 1;
                    } else {
                        grew += s.len() + TEXT_COST + 16;
                        counts.insert(s.into_owned(), 1);
                    }
                }
            }
            Acc::Timed { best, latest, .. } => {
                let t = time.unwrap_or(0.0);
                let replace = match best {
                    None => true,
                    Some((bt, _)) if *latest => t > *bt,
                    Some((bt, _)) => t < *bt,
                };
                if replace {
                    if best.is_none() {
                        grew += value.atoms().iter().map(atom_cost).sum::<usize>();
                    }
                    *best = Some((t, value.atoms().to_vec()));
                }
            }
            Acc::Sparkline(s) => grew += s.add(Some(value), time),
            Acc::FirstLast(slot, last) => {
                if slot.is_none() || *last {
                    if slot.is_none() {
                        grew += value.atoms().iter().map(atom_cost).sum::<usize>();
                    }
                    *slot = Some(value.atoms().to_vec());
                }
            }
        }
        grew
    }

    /// Merge another partial state of the same function (parallel execution).
    pub fn merge(&mut self, other: Acc) {
        match (self, other) {
            (Acc::Count(a), Acc::Count(b)) => *a += b,
            (Acc::Distinct(a, _), Acc::Distinct(b, _)) => b.iter().for_each(|s| {
                a.insert(s);
            }),
            (Acc::List(a), Acc::List(b)) => a.extend(b.into_iter().take(LIST_MAX.saturating_sub(a.len()))),
            (Acc::MinMax { num, text, max }, Acc::MinMax { num: n2, text: t2, .. }) => {
                if let Some(x) = n2 {
                    *num = Some(match *num {
                        None => x,
                        Some(c) if *max => c.max(x),
                        Some(c) => c.min(x),
                    });
                }
                if let Some(s) = t2 {
                    let better = match text {
                        None => true,
                        Some(c) if *max => s > *c,
                        Some(c) => s < *c,
                    };
                    if better {
                        *text = Some(s);
                    }
                }
            }
            (Acc::Moments { n, sum, sumsq, .. }, Acc::Moments { n: n2, sum: s2, sumsq: q2, .. }) => {
                *n += n2;
                *sum += s2;
                *sumsq += q2;
            }
            (Acc::Range { lo, hi }, Acc::Range { lo: l2, hi: h2 }) => {
                if let Some(x) = l2 {
                    *lo = Some(lo.map_or(x, |c| c.min(x)));
                }
                if let Some(x) = h2 {
                    *hi = Some(hi.map_or(x, |c| c.max(x)));
                }
            }
            (Acc::Numbers(a, _), Acc::Numbers(b, _)) => a.extend(b),
            (Acc::Mode(a), Acc::Mode(b)) => {
                for (k, v) in b {
                    *a.entry(k).or_insert(0) += v;
                }
            }
            (Acc::Timed { best, latest, .. }, Acc::Timed { best: Some((t, v)), .. }) => {
                let replace = match best {
                    None => true,
                    Some((bt, _)) if *latest => t > *bt,
                    Some((bt, _)) => t < *bt,
                };
                if replace {
                    *best = Some((t, v));
                }
            }
            (Acc::FirstLast(a, last), Acc::FirstLast(b, _)) if b.is_some() && (a.is_none() || *last) => *a = b,
            (Acc::Sparkline(a), Acc::Sparkline(b)) => a.merge(*b),
            _ => {}
        }
    }

    /// The aggregate's value; `None` when nothing was aggregated (except counts, which are 0).
    pub fn finish(&self) -> Option<Value> {
        self.finish_on(None)
    }

    /// `finish`, a sparkline drawn on the command's time axis (`None`: its marker alone).
    pub fn finish_on(&self, axis: Option<&Axis>) -> Option<Value> {
        match self {
            Acc::Sparkline(s) => s.finish(axis),
            Acc::Count(n) => Some(Value::num(*n as f64)),
            Acc::Distinct(set, true) => Some(Value::num(set.len() as f64)),
            // In byte order: Splunk's lexicographic values() order.
            Acc::Distinct(set, false) => Value::from_atoms(set.iter().map(Atom::from).collect()),
            Acc::List(v) => Value::from_atoms(v.clone()),
            Acc::MinMax { num, text, .. } => match (num, text) {
                (Some(n), _) => Some(Value::num(*n)),
                (None, Some(s)) => Some(Value::str(s.clone())),
                _ => None,
            },
            Acc::Moments { n, sum, sumsq, func } => {
                if *n == 0 {
                    return None;
                }
                let nf = *n as f64;
                let mean = sum / nf;
                let var_p = (sumsq / nf - mean * mean).max(0.0);
                let var_s = if *n > 1 { ((sumsq - nf * mean * mean) / (nf - 1.0)).max(0.0) } else { 0.0 };
                Some(Value::num(match func {
                    AggFunc::Sum => *sum,
                    AggFunc::Sumsq => *sumsq,
                    AggFunc::Avg => mean,
                    AggFunc::Stdev => var_s.sqrt(),
                    AggFunc::Stdevp => var_p.sqrt(),
                    AggFunc::Var => var_s,
                    AggFunc::Varp => var_p,
                    _ => return None,
                }))
            }
            Acc::Range { lo, hi } => match (lo, hi) {
                (Some(l), Some(h)) => Some(Value::num(h - l)),
                _ => None,
            },
            Acc::Numbers(v, func) => {
                if v.is_empty() {
                    return None;
                }
                let mut s = v.clone();
                s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                let p = match func {
                    AggFunc::Perc(p) => *p,
                    _ => 50.0,
                };
                percentile(&s, p).map(Value::num)
            }
            Acc::Mode(counts) => {
                let mut best: Option<(&String, u64)> = None;
                for (k, n) in counts {
                    if best.is_none_or(|(_, b)| *n > b) {
                        best = Some((k, *n));
                    }
                }
                best.map(|(k, _)| Value::str(k.clone()))
            }
            Acc::Timed { best, time_only, .. } => match best {
                Some((t, _)) if *time_only => Some(Value::num(*t)),
                Some((_, v)) => Value::from_atoms(v.clone()),
                None => None,
            },
            Acc::FirstLast(v, _) => v.clone().and_then(Value::from_atoms),
        }
    }

    /// The state as bytes for a spill file; `decode` with the same function reads it back.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        fn opt_f64(out: &mut Vec<u8>, x: Option<f64>) {
            match x {
                None => out.push(0),
                Some(x) => {
                    out.push(1);
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
        fn text(out: &mut Vec<u8>, s: &str) {
            put_len(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        fn atoms(out: &mut Vec<u8>, v: &[Atom]) {
            put_len(out, v.len());
            v.iter().for_each(|a| put_atom(out, a));
        }
        match self {
            Acc::Count(n) => put_len(out, *n as usize),
            Acc::Distinct(set, _) => {
                put_len(out, set.len());
                set.iter().for_each(|s| text(out, s));
            }
            Acc::List(v) => atoms(out, v),
            Acc::MinMax { num, text: t, .. } => {
                opt_f64(out, *num);
                match t {
                    None => out.push(0),
                    Some(s) => {
                        out.push(1);
                        text(out, s);
                    }
                }
            }
            Acc::Moments { n, sum, sumsq, .. } => {
                put_len(out, *n as usize);
                out.extend_from_slice(&sum.to_le_bytes());
                out.extend_from_slice(&sumsq.to_le_bytes());
            }
            Acc::Range { lo, hi } => {
                opt_f64(out, *lo);
                opt_f64(out, *hi);
            }
            Acc::Numbers(v, _) => {
                put_len(out, v.len());
                v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
            Acc::Mode(counts) => {
                put_len(out, counts.len());
                for (k, n) in counts {
                    text(out, k);
                    put_len(out, *n as usize);
                }
            }
            Acc::Timed { best, .. } => match best {
                None => out.push(0),
                Some((t, v)) => {
                    out.push(1);
                    out.extend_from_slice(&t.to_le_bytes());
                    atoms(out, v);
                }
            },
            Acc::FirstLast(slot, _) => match slot {
                None => out.push(0),
                Some(v) => {
                    out.push(1);
                    atoms(out, v);
                }
            },
            Acc::Sparkline(s) => s.encode(out),
        }
    }

    /// A state of `func` that `encode` wrote; `None` on other bytes.
    pub(crate) fn decode(func: &AggFunc, r: &mut Reader<'_>) -> Option<Acc> {
        fn opt_f64(r: &mut Reader<'_>) -> Option<Option<f64>> {
            Some(match r.byte()? {
                0 => None,
                _ => Some(r.f64()?),
            })
        }
        fn atoms(r: &mut Reader<'_>) -> Option<Vec<Atom>> {
            let n = r.len()?;
            let mut v = Vec::with_capacity(n.min(r.data.len()));
            for _ in 0..n {
                v.push(r.atom()?);
            }
            Some(v)
        }
        let mut acc = Acc::new(func);
        match &mut acc {
            Acc::Count(n) => *n = r.len()? as u64,
            Acc::Distinct(set, _) => {
                for _ in 0..r.len()? {
                    set.insert(&r.string()?);
                }
            }
            Acc::List(v) => *v = atoms(r)?,
            Acc::MinMax { num, text, .. } => {
                *num = opt_f64(r)?;
                *text = match r.byte()? {
                    0 => None,
                    _ => Some(r.string()?),
                };
            }
            Acc::Moments { n, sum, sumsq, .. } => {
                *n = r.len()? as u64;
                *sum = r.f64()?;
                *sumsq = r.f64()?;
            }
            Acc::Range { lo, hi } => {
                *lo = opt_f64(r)?;
                *hi = opt_f64(r)?;
            }
            Acc::Numbers(v, _) => {
                for _ in 0..r.len()? {
                    v.push(r.f64()?);
                }
            }
            Acc::Mode(counts) => {
                for _ in 0..r.len()? {
                    let k = r.string()?;
                    counts.insert(k, r.len()? as u64);
                }
            }
            Acc::Timed { best, .. } => {
                if r.byte()? != 0 {
                    let t = r.f64()?;
                    *best = Some((t, atoms(r)?));
                }
            }
            Acc::FirstLast(slot, _) => {
                if r.byte()? != 0 {
                    *slot = Some(atoms(r)?);
                }
            }
            Acc::Sparkline(s) => s.decode(r)?,
        }
        Some(acc)
    }
}

/// The `p`th percentile of ascending `sorted` values: nearest rank, as Splunk's perc()
/// approximates for small sets (also `outlier`'s quartiles). `None` when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let idx = ((p / 100.0) * last as f64).round() as usize;
    sorted.get(idx.min(last)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: &str, vals: &[&str]) -> Option<Value> {
        let func = AggFunc::parse(f).expect("known function");
        let mut acc = Acc::new(&func);
        for v in vals {
            acc.add(Some(&Value::str(*v)), None);
        }
        acc.finish()
    }

    #[test]
    fn values_are_distinct_and_sorted_lexicographically() {
        let v = run("values", &["b", "10", "9", "a", "b", "Z"]).expect("values");
        let got: Vec<String> = v.atoms().iter().map(|a| a.as_str().into_owned()).collect();
        assert_eq!(got, ["10", "9", "Z", "a", "b"]);
    }

    #[test]
    fn min_max_are_numeric_for_numbers() {
        assert_eq!(run("max", &["9", "10", "2"]), Some(Value::num(10.0)));
        assert_eq!(run("min", &["9", "10", "2"]), Some(Value::num(2.0)));
        assert_eq!(run("min", &["b", "a"]), Some(Value::str("a")));
        assert_eq!(run("max", &["b", "3"]), Some(Value::num(3.0)), "numbers win over strings");
    }

    #[test]
    fn dc_counts_distinct_strings() {
        assert_eq!(run("dc", &["a", "b", "a"]), Some(Value::num(2.0)));
        assert_eq!(run("distinct_count", &[]), Some(Value::num(0.0)));
    }

    #[test]
    fn avg_ignores_non_numbers_and_empty_is_null() {
        assert_eq!(run("avg", &["1", "x", "3"]), Some(Value::num(2.0)));
        assert_eq!(run("avg", &["x"]), None);
        assert_eq!(
            run("stdev", &["2", "4", "4", "4", "5", "5", "7", "9"])
                .and_then(|v| v.to_num())
                .map(|x| (x * 1000.0).round()),
            Some(2138.0)
        );
    }

    #[test]
    fn percentiles_parse() {
        assert_eq!(AggFunc::parse("perc95"), Some(AggFunc::Perc(95.0)));
        assert_eq!(AggFunc::parse("p50"), Some(AggFunc::Perc(50.0)));
        assert_eq!(AggFunc::parse("exactperc99"), Some(AggFunc::Perc(99.0)));
        assert_eq!(AggFunc::parse("bogus"), None);
    }

    #[test]
    fn latest_takes_value_of_latest_event() {
        let mut acc = Acc::new(&AggFunc::Latest);
        acc.add(Some(&Value::str("new")), Some(20.0));
        acc.add(Some(&Value::str("old")), Some(10.0));
        assert_eq!(acc.finish(), Some(Value::str("new")));
    }

    #[test]
    fn distinct_texts_keep_byte_order_and_no_duplicates_small_or_big() {
        for n in [0usize, 1, 2, 15, 16, 17, 200] {
            let mut set = TextSet::default();
            let mut want = std::collections::BTreeSet::new();
            // A scrambled order with repeats, and texts that sort differently as bytes than as
            // numbers or case-insensitively.
            for i in 0..n * 2 {
                let k = (i * 7919) % (n.max(1));
                let text = if k % 3 == 0 { format!("B{k}") } else { format!("a{k}") };
                set.insert(&text);
                want.insert(text);
            }
            assert_eq!(set.len(), want.len(), "{n}");
            assert_eq!(set.iter().collect::<Vec<_>>(), want.iter().map(String::as_str).collect::<Vec<_>>(), "{n}");
            assert_eq!(matches!(set, TextSet::Big(_)), want.len() > SMALL_SET, "{n}");
        }
    }
}
