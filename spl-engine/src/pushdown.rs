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

/// The pushed-down filters of one aggregation.
pub struct Gate {
    /// Indices into the grouper's `by` of the by-fields the pushed filters depend on.
    inputs: Vec<usize>,
    probe: Vec<Box<dyn Operator>>,
    /// The probe's commands, for `explain`.
    pub text: String,
    /// Verdicts by the by-values they were given for (encoded as a group key).
    memo: BoundedMemo<Vec<u8>, bool>,
    /// The key of the by-values being judged, built in place (a hit allocates nothing).
    key_buf: Vec<u8>,
    /// The probe ends in an inner `join` whose right-side rows it has not been given yet (the
    /// subsearch runs before the pass): until then every group is admitted.
    awaits_join: bool,
}

impl Gate {
    pub fn new(inputs: Vec<usize>, probe: Vec<Box<dyn Operator>>, text: String, ends_in_join: bool) -> Gate {
        Gate { inputs, probe, text, memo: BoundedMemo::new(MEMO_BYTES), key_buf: Vec::new(), awaits_join: ends_in_join }
    }

    /// Whether the probe ends in a join still waiting for its right-side rows.
    pub fn awaits_join_rows(&self) -> bool {
        self.awaits_join
    }

    /// The right side of the pipeline's join the probe ends in (the same subsearch's rows).
    pub fn give_join_side(&mut self, side: std::sync::Arc<crate::ops::subsearch::JoinSide>) {
        if let Some(op) = self.probe.last_mut() {
            if op.set_join_side(side) {
                self.awaits_join = false;
                self.memo.clear();
            }
        }
    }

    /// Whether a group with these by-values (`key[i]` is the value of `by[i]`) can give a row
    /// that passes the pushed filters. `row_value` turns a key part into the value the
    /// aggregation's output row holds.
    pub fn admits<S: AsRef<str>>(
        &mut self,
        by: &[String],
        key: &[S],
        row_value: &dyn Fn(&str, &str) -> crate::value::Value,
    ) -> bool {
        if self.awaits_join {
            return true;
        }
        self.key_buf.clear();
        let values = self.inputs.iter().map(|&i| key.get(i).map_or("", |k| k.as_ref()));
        crate::stats::encode_key_into(values, &mut self.key_buf);
        if let Some(&v) = self.memo.get(self.key_buf.as_slice()) {
            return v;
        }
        let mut row = Event::new();
        for &i in &self.inputs {
            if let (Some(f), Some(v)) = (by.get(i), key.get(i)) {
                row.set(f.clone(), row_value(f, v.as_ref()));
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
        let size = 48 + self.key_buf.len() + 24 * self.inputs.len();
        self.memo.insert(self.key_buf.clone(), verdict, size);
        verdict
    }

    /// The by-field indices the verdict depends on.
    pub fn inputs(&self) -> &[usize] {
        &self.inputs
    }
}

/// What `analyse` found to push.
#[derive(Debug, PartialEq)]
pub struct Analysis {
    /// The probe's commands.
    pub commands: Vec<ast::Command>,
    /// The by-field indices the pushed filters read.
    pub inputs: Vec<usize>,
    /// The last probe command is an inner `join` (it needs the right-side rows at run time).
    pub ends_in_join: bool,
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
    let mut pushed_len = 0;
    let mut inputs: BTreeSet<usize> = BTreeSet::new();
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
                inputs.extend(d);
                probe.push(cmd.clone());
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
                    inputs.extend(d);
                    probe.push(cmd.clone());
                    return Some(Analysis {
                        commands: probe,
                        inputs: inputs.into_iter().collect(),
                        ends_in_join: true,
                    });
                }
            }
            break;
        }
        match &cmd.body {
            CommandBody::Eval(assigns) => {
                for a in assigns {
                    let d = expr_reads(&a.expr).and_then(|names| union(&fields, &names));
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
                for c in conversions {
                    let d = dep(&fields, &c.field.name);
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
        probe.push(cmd.clone());
    }
    probe.truncate(pushed_len);
    // A probe of no filter, or of filters reading nothing (`search *`), decides nothing.
    if inputs.is_empty() || probe.is_empty() {
        return None;
    }
    Some(Analysis { commands: probe, inputs: inputs.into_iter().collect(), ends_in_join: false })
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
        analyse(&by, &aggs, &after(spl)).map(|a| (a.commands.into_iter().map(|c| c.name).collect(), a.inputs))
    }

    #[test]
    fn a_filter_on_by_fields_through_rename_and_lookup_is_pushed() {
        let got = analysed(
            &["Processes.dest", "Processes.process_name"],
            &["count", "firstTime"],
            "| rename Processes.* AS * | convert ctime(firstTime) | lookup t u AS process_name OUTPUT ok \
             | search ok=true | where count > 5 | stats count",
        );
        // `where count > 5` reads an aggregate: left out; `stats` ends the prefix.
        assert_eq!(got, Some((vec!["rename".into(), "convert".into(), "lookup".into(), "search".into()], vec![1])));
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
        assert_eq!((a.inputs, a.ends_in_join), (vec![0], true));
        // Left joins keep every row; joins on an aggregate or on every common field decide nothing.
        assert_eq!(analyse(&by, &aggs, &after("| join type=left Processes.dest [search x=1]")), None);
        assert_eq!(analyse(&by, &aggs, &after("| join count [search x=1]")), None);
        assert_eq!(analyse(&by, &aggs, &after("| join [search x=1]")), None);
    }

    #[test]
    fn the_verdict_memo_stays_within_its_byte_bound() {
        // By-values unique per event (command lines) must not grow the memo without end.
        let mut gate = Gate::new(vec![0], Vec::new(), String::new(), false);
        let by = ["process".to_string()];
        for i in 0..20_000 {
            let key = [format!("{i:0>200}")];
            assert!(gate.admits(&by, &key, &|_, v| crate::value::Value::str(v)));
            assert!(gate.memo.bytes() <= MEMO_BYTES);
        }
        assert!(gate.memo.len() < 20_000 && !gate.memo.is_empty());
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
