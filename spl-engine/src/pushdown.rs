//! Filters pushed below an aggregation. After `stats … by` or `tstats … by`, ESCU searches often
//! drop rows on by-field values alone (`| lookup remote_access_software remote_utility AS
//! process_name OUTPUT isutility | search isutility=True`, `| eval len=len(process_name) |
//! search len=5`). Such a filter decides a group's fate from its by-values, so it can decide it
//! before the group is made: a hunting search grouping every process event then keeps no group
//! for the events it will drop, which is where a pack's time and memory went.
//!
//! Soundness:
//! - Only a prefix of row-local commands after the aggregation is looked at (one row in, at most
//!   one out, reading nothing but that row): `search`, `where`, `regex`, `eval`, `rename`,
//!   `convert`, `lookup` with an OUTPUT clause, `fillnull` of named fields.
//! - A filter is pushed only when every field it reads derives from by-fields alone, through
//!   those commands (not from an aggregate, `_raw`, a raw search term or a subsearch).
//! - The probe is that prefix up to the last pushed filter, without the other filters (leaving a
//!   filter out only lets more through). It runs on a row holding the by-values the pushed
//!   filters depend on, which give every field they read the value it has in the real row.
//! - Its verdict is memoised on those by-values; an error in the probe admits the group (the
//!   real pipeline then meets the same row and reports what it must).
//! - The probe is cut into stages, one per set of by-fields its filters read, each with the
//!   commands computing fields before its last filter; a group passes when every stage passes
//!   it. A stage on `process_name` alone is then answered from its memo even when another
//!   filter reads the command line. Stages judge filters out of pipeline order, so a probe with a
//!   filter that may fail at run time (a regex made from a field) stays whole: the pipeline
//!   would meet that error before a later filter's drop.
//! - Commands whose every output comes from aggregates (`convert ctime(firstTime)`) are left out
//!   of the probe: its row has no aggregates, and nothing a pushed filter reads derives from them.

use std::collections::{BTreeSet, HashMap};

use spl_parser::ast::{self, CommandBody, SearchExpr};
use spl_parser::{Expr, ExprKind};

use crate::event::Event;
use crate::exec::Operator;
use crate::memo::BoundedMemo;
use crate::ops::fields::NamePattern;

/// Bytes of memoised verdicts one gate keeps at most (then the memo starts over). By-values
/// such as command lines are unique per event, and a pack holds hundreds of gates: a memo
/// bounded by entries alone grew to gigabytes over a large input.
const MEMO_BYTES: usize = 64 << 10;

/// The pushed-down filters of one aggregation, in stages: the filters reading the same by-fields
/// are judged together, each stage memoised on its own by-values. A group passes when every
/// stage passes it: filters only drop rows, and the other commands of the prefix compute the
/// same row whichever filters ran before them.
pub struct Gate {
    /// Fewest inputs first: a stage on `process_name` alone (a lookup of known tools) answers
    /// from its memo where one that also reads the command line could not.
    stages: Vec<Stage>,
    /// The probe's commands, for `explain`.
    pub text: String,
    /// The key of the by-values being judged, built in place (a hit allocates nothing).
    key_buf: Vec<u8>,
    /// Where each by-value lies in the key being judged.
    ranges: Vec<(usize, usize)>,
}

/// One stage of a gate: the commands of the prefix that compute fields, and the filters that
/// read one set of by-fields.
pub struct Stage {
    /// Indices into the grouper's `by` of the by-fields these filters depend on.
    inputs: Vec<usize>,
    probe: Vec<Box<dyn Operator>>,
    /// Verdicts by the by-values they were given for (encoded as a group key).
    memo: BoundedMemo<Vec<u8>, bool>,
    /// The stage ends in an inner `join` whose right-side rows it has not been given yet (the
    /// subsearch runs before the pass): until then it admits every group.
    awaits_join: bool,
}

impl Gate {
    pub fn new(mut stages: Vec<Stage>, text: String) -> Gate {
        stages.sort_by_key(|s| s.inputs.len());
        Gate { stages, text, key_buf: Vec::new(), ranges: Vec::new() }
    }

    /// Whether the probe ends in a join still waiting for its right-side rows.
    pub fn awaits_join_rows(&self) -> bool {
        self.stages.iter().any(|s| s.awaits_join)
    }

    /// The right side of the pipeline's join the probe ends in (the same subsearch's rows).
    pub fn give_join_side(&mut self, side: std::sync::Arc<crate::ops::subsearch::JoinSide>) {
        for stage in &mut self.stages {
            if let Some(op) = stage.probe.last_mut() {
                if op.set_join_side(side.clone()) {
                    stage.awaits_join = false;
                    stage.memo.clear();
                }
            }
        }
    }

    /// Whether a group with these by-values (`key[i]` is the value of `by[i]`) can give a row
    /// that passes the pushed filters. `row_value` turns a key part into the value the
    /// aggregation's output row holds.
    #[cfg(test)]
    pub fn admits<S: AsRef<str>>(
        &mut self,
        by: &[String],
        key: &[S],
        row_value: &dyn Fn(&str, &str) -> crate::value::Value,
    ) -> bool {
        self.admits_key(by, &crate::stats::encode_key(key), row_value)
    }

    /// Whether a group with this key (`stats::encode_key` of its by-values, `by[i]` the field of
    /// value `i`) can give a row that passes the pushed filters. `row_value` turns a by-value into
    /// the value the aggregation's output row holds.
    pub fn admits_key(
        &mut self,
        by: &[String],
        key: &[u8],
        row_value: &dyn Fn(&str, &str) -> crate::value::Value,
    ) -> bool {
        crate::stats::key_part_ranges(key, &mut self.ranges);
        let (key_buf, ranges) = (&mut self.key_buf, &self.ranges);
        self.stages.iter_mut().all(|stage| stage.admits(by, key, ranges, row_value, key_buf))
    }

    /// The by-field indices each stage depends on, in the order the stages are judged.
    pub fn stage_inputs(&self) -> Vec<&[usize]> {
        self.stages.iter().map(|s| s.inputs.as_slice()).collect()
    }

    /// The by-field indices the verdict depends on.
    pub fn inputs(&self) -> Vec<usize> {
        sorted_union(self.stages.iter().flat_map(|s| s.inputs.iter().copied()))
    }
}

impl Stage {
    pub fn new(inputs: Vec<usize>, probe: Vec<Box<dyn Operator>>, ends_in_join: bool) -> Stage {
        Stage { inputs, probe, memo: BoundedMemo::new(MEMO_BYTES), awaits_join: ends_in_join }
    }

    /// `Gate::admits_key` for this stage's filters; `ranges` are where the key's parts lie.
    fn admits(
        &mut self,
        by: &[String],
        key: &[u8],
        ranges: &[(usize, usize)],
        row_value: &dyn Fn(&str, &str) -> crate::value::Value,
        key_buf: &mut Vec<u8>,
    ) -> bool {
        if self.awaits_join {
            return true;
        }
        // The key of this stage's by-values: their encoded parts, each with its end mark.
        let part = |i: usize| ranges.get(i).and_then(|&(a, b)| key.get(a..b)).unwrap_or_default();
        key_buf.clear();
        for &i in &self.inputs {
            key_buf.extend_from_slice(part(i));
            key_buf.extend_from_slice(&[0, 0]);
        }
        if let Some(&v) = self.memo.get(key_buf.as_slice()) {
            return v;
        }
        let mut row = Event::new();
        for &i in &self.inputs {
            if let (Some(f), Some(_)) = (by.get(i), ranges.get(i)) {
                row.set(f.clone(), row_value(f, &crate::stats::decode_key_part(part(i))));
            }
        }
        let mut rows = vec![row];
        for op in &mut self.probe {
            let mut out = Vec::new();
            for r in rows {
                if op.push(r, &mut out).is_err() {
                    return true;
                }
            }
            rows = out;
            if rows.is_empty() {
                break;
            }
        }
        let verdict = !rows.is_empty();
        let size = 48 + key_buf.len() + 24 * self.inputs.len();
        self.memo.insert(key_buf.clone(), verdict, size);
        verdict
    }
}

/// What `analyse` found to push.
#[derive(Debug, PartialEq)]
pub struct Analysis {
    /// The probe's commands.
    pub commands: Vec<ast::Command>,
    /// The probe cut into the stages of a `Gate`, one per set of by-fields its filters read.
    pub stages: Vec<StagePlan>,
}

impl Analysis {
    /// The by-field indices the pushed filters read.
    pub fn inputs(&self) -> Vec<usize> {
        sorted_union(self.stages.iter().flat_map(|s| s.inputs.iter().copied()))
    }

    /// The last probe command is an inner `join` (it needs the right-side rows at run time).
    pub fn ends_in_join(&self) -> bool {
        self.stages.iter().any(|s| s.ends_in_join)
    }
}

/// These indices, ascending, each once.
fn sorted_union(indices: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let all: BTreeSet<usize> = indices.into_iter().collect();
    all.into_iter().collect()
}

/// One stage of the probe: the commands computing fields up to its last filter, and its filters.
#[derive(Debug, PartialEq)]
pub struct StagePlan {
    pub commands: Vec<ast::Command>,
    pub inputs: Vec<usize>,
    pub ends_in_join: bool,
}

/// The probe `commands`, where `reads[i]` is what command `i` reads when it is a filter, cut
/// into stages by what their filters read, in the order each set is first read. One stage of
/// them all when a filter may fail: stages judge filters out of order, which is exact only for
/// filters that cannot fail (a probe stops at the first error or drop, as the pipeline does).
fn stages(
    commands: &[ast::Command],
    reads: &[Option<BTreeSet<usize>>],
    ends_in_join: bool,
    fallible: bool,
) -> Vec<StagePlan> {
    if fallible {
        let inputs = sorted_union(reads.iter().flatten().flatten().copied());
        return vec![StagePlan { commands: commands.to_vec(), inputs, ends_in_join }];
    }
    let mut sets: Vec<&BTreeSet<usize>> = Vec::new();
    for d in reads.iter().flatten() {
        if !sets.contains(&d) {
            sets.push(d);
        }
    }
    sets.into_iter()
        .map(|set| {
            let last = reads.iter().rposition(|r| r.as_ref() == Some(set)).unwrap_or(0);
            let keep = |(c, r): (&ast::Command, &Option<BTreeSet<usize>>)| match r {
                None => Some(c.clone()),
                Some(d) => (d == set).then(|| c.clone()),
            };
            let commands: Vec<ast::Command> = commands.iter().zip(reads).take(last + 1).filter_map(keep).collect();
            StagePlan {
                inputs: set.iter().copied().collect(),
                ends_in_join: ends_in_join && last + 1 == reads.len(),
                commands,
            }
        })
        .collect()
}

/// Where a field's value comes from: `Some(by-field indices)` when it is a function of those
/// by-values alone (empty: a constant, or absent), `None` when an aggregate or something else
/// feeds it.
type Deps = Option<BTreeSet<usize>>;

/// For the commands `after` an aggregation with by-fields `by` and aggregate outputs `aggs`:
/// the probe's commands and the by-field indices the pushed filters read; `None` when no
/// filter can be pushed.
pub fn analyse(by: &[String], aggs: &[String], after: &[ast::Command]) -> Option<Analysis> {
    // Every field of the aggregation's output row; any other name is absent (a constant).
    let mut fields: HashMap<String, Deps> = HashMap::new();
    for (i, b) in by.iter().enumerate() {
        fields.insert(b.clone(), Some(BTreeSet::from([i])));
    }
    for a in aggs {
        fields.insert(a.clone(), None);
    }
    let dep = |fields: &HashMap<String, Deps>, name: &str| -> Deps {
        fields.get(name).cloned().unwrap_or_else(|| Some(BTreeSet::new()))
    };
    let union = |fields: &HashMap<String, Deps>, names: &[String]| -> Deps {
        let mut all = BTreeSet::new();
        for n in names {
            all.extend(dep(fields, n)?);
        }
        Some(all)
    };
    let mut probe: Vec<ast::Command> = Vec::new();
    // Per probe command: what it reads when it is a filter.
    let mut reads_of: Vec<Option<BTreeSet<usize>>> = Vec::new();
    let mut pushed_len = 0;
    // A pushed filter may fail at run time (a regex made from a field): judged alone ahead of
    // it, a later filter could drop a group whose row would have raised that error.
    let mut fallible = false;
    for cmd in after {
        // A filter: pushed when what it reads derives from by-fields, else left out.
        let reads: Option<Option<Vec<String>>> = match &cmd.body {
            CommandBody::Search(None) => Some(Some(Vec::new())),
            CommandBody::Search(Some(e)) => Some(search_reads(e)),
            CommandBody::Where(e) => Some(expr_reads(e)),
            CommandBody::Regex { field, .. } => {
                Some(Some(vec![field.as_ref().map_or("_raw".to_string(), |f| f.name.clone())]))
            }
            _ => None,
        };
        if let Some(reads) = reads {
            if let Some(d) = reads.and_then(|names| union(&fields, &names)) {
                fallible |= matches!(&cmd.body, CommandBody::Where(e) if may_fail(e));
                probe.push(cmd.clone());
                reads_of.push(Some(d));
                pushed_len = probe.len();
            }
            continue;
        }
        // An inner join on listed fields drops the rows whose keys the subsearch lacks: a
        // filter on those keys. It merges the right side's fields in, so the prefix ends here.
        if let CommandBody::Subsearch { options, fields: keys, .. } = &cmd.body {
            let inner = options.iter().all(|o| o.key != "type" || o.value.eq_ignore_ascii_case("inner"));
            if cmd.name == "join" && inner && !keys.is_empty() {
                let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
                if let Some(d) = union(&fields, &names).filter(|d| !d.is_empty()) {
                    probe.push(cmd.clone());
                    reads_of.push(Some(d));
                    return Some(Analysis { stages: stages(&probe, &reads_of, true, fallible), commands: probe });
                }
            }
            break;
        }
        // A command all of whose outputs come from aggregates changes nothing a pushed filter
        // reads (what derives from them has no by-field deps either): the probe leaves it out,
        // unless it could fail.
        let mut live = true;
        match &cmd.body {
            CommandBody::Eval(assigns) => {
                // One that may fail stays: its error must reach the real pipeline as before.
                live = assigns.iter().any(|a| may_fail(&a.expr));
                for a in assigns {
                    let d = expr_reads(&a.expr).and_then(|names| union(&fields, &names));
                    live |= d.is_some();
                    fields.insert(a.field.name.clone(), d);
                }
            }
            CommandBody::Rename(pairs) => {
                for p in pairs {
                    let from = NamePattern::new(&p.from.name);
                    if from.is_wild() {
                        let names: Vec<String> = fields.keys().filter(|k| from.matches(k)).cloned().collect();
                        for name in names {
                            let Some(cap) = from.capture(&name) else { continue };
                            let target = p.to.name.replacen('*', cap, 1);
                            if target != name {
                                let d = fields.remove(&name).unwrap_or_else(|| Some(BTreeSet::new()));
                                fields.insert(target, d);
                            }
                        }
                    } else if p.from.name != p.to.name {
                        // A missing source removes the target: absent either way.
                        let d = fields.remove(&p.from.name).unwrap_or_else(|| Some(BTreeSet::new()));
                        fields.insert(p.to.name.clone(), d);
                    }
                }
            }
            // A wildcard conversion (`auto(*)`) falls to the end of the prefix below.
            CommandBody::Convert { conversions, .. } if conversions.iter().all(|c| !c.field.name.contains('*')) => {
                live = false;
                for c in conversions {
                    let d = dep(&fields, &c.field.name);
                    live |= d.is_some();
                    fields.insert(c.alias.as_ref().unwrap_or(&c.field).name.clone(), d);
                }
            }
            CommandBody::Lookup(l) if !l.outputs.is_empty() => {
                let ins: Vec<String> =
                    l.inputs.iter().map(|m| m.alias.as_ref().unwrap_or(&m.field).name.clone()).collect();
                let d_in = union(&fields, &ins);
                for o in &l.outputs {
                    let target = o.alias.as_ref().unwrap_or(&o.field).name.clone();
                    // OUTPUTNEW keeps a value already there.
                    let d = match (&d_in, l.output_new) {
                        (Some(a), true) => dep(&fields, &target).map(|b| a.union(&b).copied().collect()),
                        (d, _) => d.clone(),
                    };
                    fields.insert(target, d);
                }
            }
            CommandBody::Fillnull { fields: named, .. }
                if !named.is_empty() && named.iter().all(|f| !f.name.contains('*')) => {}
            _ => break,
        }
        if live {
            probe.push(cmd.clone());
            reads_of.push(None);
        }
    }
    probe.truncate(pushed_len);
    reads_of.truncate(pushed_len);
    // A probe of no filter, or of filters reading nothing (`search *`), decides nothing.
    if reads_of.iter().flatten().all(BTreeSet::is_empty) {
        return None;
    }
    Some(Analysis { stages: stages(&probe, &reads_of, false, fallible), commands: probe })
}

/// Fields a search expression reads; `None` when it reads the raw event (terms, subsearches)
/// or names fields by wildcard or time modifier.
fn search_reads(e: &SearchExpr) -> Option<Vec<String>> {
    fn walk(e: &SearchExpr, out: &mut Vec<String>) -> bool {
        let field_ok = |name: &str| {
            !name.contains('*')
                && !matches!(
                    name.to_ascii_lowercase().as_str(),
                    "earliest" | "latest" | "_index_earliest" | "_index_latest" | "starttime" | "endtime"
                )
        };
        match e {
            SearchExpr::And(v) | SearchExpr::Or(v) => v.iter().all(|x| walk(x, out)),
            SearchExpr::Not(x, _) => walk(x, out),
            SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. } => {
                out.push(field.name.clone());
                field_ok(&field.name)
            }
            SearchExpr::Term { .. } | SearchExpr::Subsearch(..) => false,
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out).then_some(out)
}

/// Whether evaluating `e` may fail on some row (`functions::may_fail` for each call).
fn may_fail(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Field(_) => false,
        ExprKind::Call { name, args } => crate::eval::functions::may_fail(name, args) || args.iter().any(may_fail),
        ExprKind::Unary { expr, .. } => may_fail(expr),
        ExprKind::Binary { lhs, rhs, .. } => may_fail(lhs) || may_fail(rhs),
        ExprKind::In { expr, list } => may_fail(expr) || list.iter().any(may_fail),
    }
}

/// Fields an eval expression reads; `None` when its value is not a function of them alone.
fn expr_reads(e: &Expr) -> Option<Vec<String>> {
    fn walk(e: &Expr, out: &mut Vec<String>) -> bool {
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Num(_) => true,
            ExprKind::Field(f) => {
                out.push(f.clone());
                true
            }
            // Values that change from call to call, or read the whole event.
            ExprKind::Call { name, .. } if matches!(name.as_str(), "random" | "searchmatch" | "time") => false,
            ExprKind::Call { args, .. } => args.iter().all(|a| walk(a, out)),
            ExprKind::Unary { expr, .. } => walk(expr, out),
            ExprKind::Binary { lhs, rhs, .. } => walk(lhs, out) && walk(rhs, out),
            ExprKind::In { expr, list } => walk(expr, out) && list.iter().all(|a| walk(a, out)),
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(spl: &str) -> Vec<ast::Command> {
        spl_parser::parse_pipeline(spl).expect("parses").commands
    }

    fn analysed(by: &[&str], aggs: &[&str], spl: &str) -> Option<(Vec<String>, Vec<usize>)> {
        let by: Vec<String> = by.iter().map(|s| s.to_string()).collect();
        let aggs: Vec<String> = aggs.iter().map(|s| s.to_string()).collect();
        let a = analyse(&by, &aggs, &after(spl))?;
        Some((a.commands.iter().map(|c| c.name.clone()).collect(), a.inputs()))
    }

    #[test]
    fn a_filter_on_by_fields_through_rename_and_lookup_is_pushed() {
        let got = analysed(
            &["Processes.dest", "Processes.process_name"],
            &["count", "firstTime"],
            "| rename Processes.* AS * | convert ctime(firstTime) | lookup t u AS process_name OUTPUT ok \
             | search ok=true | where count > 5 | stats count",
        );
        // `where count > 5` reads an aggregate: left out; `stats` ends the prefix. `convert`
        // only changes an aggregate, which the probe's row lacks: left out too.
        assert_eq!(got, Some((vec!["rename".into(), "lookup".into(), "search".into()], vec![1])));
    }

    #[test]
    fn filters_on_different_by_fields_are_judged_in_stages_of_their_own() {
        let by = ["Processes.process_name".to_string(), "Processes.process".to_string()];
        let aggs = ["count".to_string(), "firstTime".to_string()];
        let a = analyse(
            &by,
            &aggs,
            &after(
                "| rename Processes.* AS * | convert ctime(firstTime) | eval n=len(process), c=count \
                 | lookup t u AS process_name OUTPUT ok | search ok=true | where n > 10 | search process_name!=x",
            ),
        )
        .expect("pushed");
        let names = |c: &[ast::Command]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        let got: Vec<(Vec<String>, Vec<usize>)> =
            a.stages.iter().map(|s| (names(&s.commands), s.inputs.clone())).collect();
        // Each stage keeps the commands computing fields up to its last filter, and its own filters.
        assert_eq!(
            got,
            [
                (vec!["rename".into(), "eval".into(), "lookup".into(), "search".into(), "search".into()], vec![0]),
                (vec!["rename".into(), "eval".into(), "lookup".into(), "where".into()], vec![1]),
            ]
        );
        assert_eq!(a.inputs(), [0, 1]);
    }

    #[test]
    fn filters_reading_aggregates_raw_text_or_unknown_fields_are_not_pushed() {
        assert_eq!(analysed(&["user"], &["count"], "| where count > 5"), None);
        assert_eq!(analysed(&["user"], &["count"], "| search evil"), None, "a raw term reads _raw");
        assert_eq!(analysed(&["user"], &["count"], "| eval c2=count*2 | search c2>10"), None);
        assert_eq!(analysed(&["user"], &["count"], "| search *"), None, "reads nothing: decides nothing");
        assert_eq!(analysed(&["user"], &["count"], "| table user | search user=a"), None, "table ends the prefix");
        assert_eq!(analysed(&["user"], &["count"], "| eval r=random() | where r > 1 AND user=\"a\""), None);
        assert_eq!(analysed(&["user"], &["count"], "| lookup t user | search x=1"), None, "lookup without OUTPUT");
    }

    #[test]
    fn an_inner_join_on_by_derived_keys_ends_the_probe() {
        let by = ["Processes.process_guid".to_string(), "Processes.dest".to_string()];
        let aggs = ["count".to_string()];
        let a = analyse(&by, &aggs, &after("| rename Processes.* AS * | join process_guid [search x=1] | search y=2"));
        let a = a.expect("pushed");
        assert_eq!(a.commands.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["rename", "join"]);
        assert_eq!((a.inputs(), a.ends_in_join()), (vec![0], true));
        // Left joins keep every row; joins on an aggregate or on every common field decide nothing.
        assert_eq!(analyse(&by, &aggs, &after("| join type=left Processes.dest [search x=1]")), None);
        assert_eq!(analyse(&by, &aggs, &after("| join count [search x=1]")), None);
        assert_eq!(analyse(&by, &aggs, &after("| join [search x=1]")), None);
    }

    #[test]
    fn a_filter_that_may_fail_keeps_the_probe_in_one_stage() {
        let by = ["process_name".to_string(), "original_file_name".to_string()];
        let aggs = ["count".to_string()];
        let stages_of = |spl: &str| analyse(&by, &aggs, &after(spl)).expect("pushed").stages.len();
        // A regex made from a field fails on some rows (`?`): that error must stop the search
        // whatever the later filters say, as the pipeline meets it first.
        let tail = "| lookup t u AS original_file_name OUTPUT d | search d!=false";
        assert_eq!(stages_of(&format!("| where NOT match(process_name, \"(?i)\".original_file_name) {tail}")), 1);
        assert_eq!(stages_of(&format!("| where match(process_name, \"(\") {tail}")), 1, "a literal that fails");
        assert_eq!(
            stages_of(&format!("| where match(process_name, \"(?i)^cmd\") {tail}")),
            2,
            "a literal that compiles"
        );
        assert_eq!(stages_of(&format!("| where like(process_name, \"cmd%\") {tail}")), 2);
    }

    #[test]
    fn the_verdict_memo_stays_within_its_byte_bound() {
        // By-values unique per event (command lines) must not grow the memo without end.
        let mut gate = Gate::new(vec![Stage::new(vec![0], Vec::new(), false)], String::new());
        let by = ["process".to_string()];
        for i in 0..20_000 {
            let key = [format!("{i:0>200}")];
            assert!(gate.admits(&by, &key, &|_, v| crate::value::Value::str(v)));
            assert!(gate.stages.iter().all(|s| s.memo.bytes() <= MEMO_BYTES));
        }
        let memo = &gate.stages[0].memo;
        assert!(memo.len() < 20_000 && !memo.is_empty());
    }

    #[test]
    fn renaming_an_aggregate_onto_a_by_field_name_taints_it() {
        assert_eq!(analysed(&["user"], &["count"], "| rename count AS user | search user=a"), None);
        assert_eq!(
            analysed(&["user"], &["count"], "| rename nothing AS user | search user=a"),
            None,
            "absent: constant"
        );
        assert_eq!(
            analysed(&["user", "dest"], &["count"], "| eval u=lower(user) | search u=a"),
            Some((vec!["eval".into(), "search".into()], vec![0]))
        );
    }
}
