//! Which of the content's calculated fields a run reads ("parse only the fields the plan
//! needs"). Sourcetype EVAL rules (hash splitting, the 30-branch `EventDescription`, …) are
//! most of extraction's cost; a search that reads none of their outputs need not compute them,
//! and one that reads no `tag`/`eventtype` need not run the eventtype searches.
//!
//! Soundness: a field can be observed only through its name or through a command that reads or
//! shows every field. So nothing is skipped when some search shows or reads fields it does not
//! name (raw events as results, a wildcard field list, `values(*)`, `foreach`, a subsearch
//! whose rows are formatted into a search …: [`reads_unnamed_fields`]); otherwise an EVAL target
//! is kept when its name occurs anywhere (ignoring case) in the searches' text, in the data
//! models and eventtypes they may use, in a rule condition, or in the expression of a kept
//! target.

use std::collections::HashSet;

use spl_parser::ast::{self, CommandBody};

use crate::content::Content;

/// What extraction may leave out for a run.
#[derive(Clone, Debug, Default)]
pub struct Skip {
    /// EVAL targets no search reads.
    pub evals: HashSet<String>,
    /// No search reads `eventtype` or `tag` (directly or through a data model).
    pub eventtypes: bool,
}

impl Skip {
    /// Skip nothing.
    pub fn none() -> Skip {
        Skip::default()
    }
}

/// Commands after which only the fields they name (or compute) remain.
fn restricts(cmd: &ast::Command) -> bool {
    match &cmd.body {
        CommandBody::Stats(_) => matches!(cmd.name.as_str(), "stats" | "chart" | "timechart"),
        CommandBody::Tstats(_) => true,
        CommandBody::Table(f) => f.iter().all(|x| !x.name.contains('*')),
        CommandBody::Fields { remove: false, fields } => fields.iter().all(|x| !x.name.contains('*')),
        CommandBody::Inputlookup { .. } => true,
        CommandBody::Generic(_) => {
            matches!(
                cmd.name.as_str(),
                "top"
                    | "rare"
                    | "makeresults"
                    | "datamodel"
                    | "from"
                    | "xyseries"
                    | "untable"
                    | "transpose"
                    // One row per field it summarises, of its own columns.
                    | "fieldsummary"
                    // Only `search` is left.
                    | "format"
                    | "return"
            )
        }
        _ => false,
    }
}

/// Commands without a typed body of their own (`CommandBody::Generic`) that read only fields
/// they name (or `_raw`) and pass rows on.
const NAMING: &[&str] = &[
    "mvexpand",
    "fromjson",
    "spath",
    "xmlkv",
    "kv",
    "extract",
    "nomv",
    "makemv",
    "iplocation",
    "reverse",
    "transaction",
    "replace",
    "addtotals",
    "strcat",
    "top",
    "rare",
    "makeresults",
    "datamodel",
    "from",
    "format",
    "return",
    "noop",
    "localop",
    "mvcombine",
    "delta",
    "accum",
    "autoregress",
    "trendline",
    // Without a field list it reads every field: see `wildcard_fields`.
    "outlier",
    // Without a field list, or with a wildcard, it reads every field: see `wildcard_fields`.
    "filldown",
    "xyseries",
    // Reads every field: see `wildcard_fields`.
    "untable",
    // `rangemap` reads its field=, `addinfo` none.
    "rangemap",
    "addinfo",
    // Compare or show every field: see `wildcard_fields`.
    "uniq",
    "transpose",
    // Without a field list, or with a wildcard, they read every field: see `wildcard_fields`.
    "fieldsummary",
    "tojson",
];

/// Whether a search may show or read fields it does not name, so that every extracted field
/// matters: it returns raw events, or some command takes fields by wildcard or wholesale.
pub fn reads_unnamed_fields(p: &ast::Pipeline) -> bool {
    let mut exposes = true; // raw events, until a command keeps only named fields
    for cmd in &p.commands {
        // Rows past a restricting command hold only fields it named, so a wildcard there
        // (`drop_dm_object_name`'s `rename Processes.* AS *` after every tstats) sees only those.
        if exposes && wildcard_fields(cmd) {
            return true;
        }
        match &cmd.body {
            // join/append bring the subsearch's rows in as they are.
            CommandBody::Subsearch { search, .. } if reads_unnamed_fields(search) => exposes = true,
            // A subsearch's rows become search terms: every field of theirs is read.
            CommandBody::Search(Some(e)) if e.subsearches().iter().any(|(s, _)| reads_unnamed_fields(s)) => {
                return true
            }
            CommandBody::Tstats(t)
                if t.where_.as_ref().is_some_and(|e| e.subsearches().iter().any(|(s, _)| reads_unnamed_fields(s))) =>
            {
                return true
            }
            CommandBody::Generic(_) if cmd.name == "map" => exposes = true,
            // Its rows are its subsearches' rows.
            CommandBody::Generic(args) if matches!(cmd.name.as_str(), "multisearch" | "union") => {
                exposes = args.iter().any(|a| matches!(a, ast::Arg::Subsearch(s) if reads_unnamed_fields(s)));
                continue;
            }
            // A `$field`'s value becomes search text: in a subsearch it may name any field.
            CommandBody::Generic(args)
                if cmd.name == "return"
                    && args.iter().any(|a| matches!(a, ast::Arg::Word { text, .. } if text.starts_with('$'))) =>
            {
                return true
            }
            CommandBody::Generic(_) if !NAMING.contains(&cmd.name.as_str()) => return true,
            CommandBody::Foreach { .. } => return true,
            _ => {}
        }
        if restricts(cmd) {
            exposes = false;
        }
    }
    exposes
}

/// A field list, aggregation or rename that takes fields by wildcard.
fn wildcard_fields(cmd: &ast::Command) -> bool {
    let star = |n: &str| n.contains('*');
    match &cmd.body {
        CommandBody::Table(f) => f.iter().any(|x| star(&x.name)),
        CommandBody::Fields { fields, .. } => fields.iter().any(|x| star(&x.name)),
        CommandBody::Stats(s) => {
            s.by.iter().any(|x| star(&x.name))
                || s.aggs.iter().any(|a| matches!(&a.arg, Some(ast::AggArg::Field(f)) if star(&f.name)))
        }
        CommandBody::Rename(pairs) => pairs.iter().any(|p| star(&p.from.name)),
        CommandBody::Fillnull { fields, .. } => fields.iter().any(|x| star(&x.name)),
        CommandBody::Dedup { fields, .. } => fields.iter().any(|x| star(&x.name)),
        // `format` writes every field of its rows into the search string.
        CommandBody::Generic(_) if cmd.name == "format" => true,
        // `outlier` without a field list looks at every field.
        CommandBody::Generic(args) if cmd.name == "outlier" => !args.iter().any(|a| matches!(a, ast::Arg::Word { .. })),
        // Every field but the x-field is a cell.
        CommandBody::Generic(_) if cmd.name == "untable" => true,
        // A result is a duplicate only if every field is the same; every field becomes a row.
        CommandBody::Generic(_) if matches!(cmd.name.as_str(), "uniq" | "transpose") => true,
        // Every field is summarised, or written into the JSON object, unless a list names them.
        CommandBody::Generic(args) if cmd.name == "fieldsummary" => {
            let words: Vec<&str> = args
                .iter()
                .filter_map(|a| if let ast::Arg::Word { text, .. } = a { Some(text.as_str()) } else { None })
                .collect();
            words.is_empty() || words.iter().any(|w| star(w))
        }
        CommandBody::Generic(args) if cmd.name == "tojson" => {
            let fields: Vec<&str> = args
                .iter()
                .filter_map(|a| match a {
                    ast::Arg::Word { text, .. } => Some(text.as_str()),
                    ast::Arg::Call { inner, .. } => Some(inner.as_str()),
                    _ => None,
                })
                .collect();
            fields.is_empty() || fields.iter().any(|w| star(w))
        }
        // `filldown` without a field list fills every field; with one, its patterns may be wild.
        CommandBody::Generic(args) if cmd.name == "filldown" => {
            let words: Vec<&str> = args
                .iter()
                .filter_map(|a| if let ast::Arg::Word { text, .. } = a { Some(text.as_str()) } else { None })
                .collect();
            words.is_empty() || words.iter().any(|w| star(w))
        }
        _ => false,
    }
}

/// Whether a search reads a data model (so every dataset's fields, constraints and calculated
/// fields count as read).
pub fn uses_data_models(p: &ast::Pipeline) -> bool {
    p.commands.iter().any(|c| {
        matches!(c.body, CommandBody::Tstats(_))
            || matches!(c.name.as_str(), "datamodel" | "from")
            || match &c.body {
                CommandBody::Subsearch { search, .. } => uses_data_models(search),
                CommandBody::Search(Some(e)) => e.subsearches().iter().any(|(s, _)| uses_data_models(s)),
                CommandBody::Tstats(t) => {
                    t.where_.as_ref().is_some_and(|e| e.subsearches().iter().any(|(s, _)| uses_data_models(s)))
                }
                _ => false,
            }
    })
}

/// What extraction may skip for searches with these expanded texts, given whether one of them
/// reads unnamed fields and whether one reads data models.
pub fn skip_for(content: &Content, texts: &[&str], unnamed: bool, data_models: bool) -> Skip {
    if unnamed {
        return Skip::none();
    }
    let mut hay = String::new();
    for t in texts {
        hay.push_str(t);
        hay.push('\n');
    }
    if data_models {
        for dm in &content.datamodels {
            for d in &dm.datasets {
                hay.push_str(d.constraint_text.as_deref().unwrap_or(""));
                hay.push('\n');
                for f in &d.fields {
                    hay.push_str(f);
                    hay.push('\n');
                }
                for (name, _, text) in &d.eval {
                    hay.push_str(name);
                    hay.push('\n');
                    hay.push_str(text);
                    hay.push('\n');
                }
            }
        }
    }
    let lower_hay = hay.to_ascii_lowercase();
    let eventtypes = !data_models && !lower_hay.contains("eventtype") && !lower_hay.contains("tag");
    let mut hay = lower_hay;
    if !eventtypes {
        for et in &content.eventtypes {
            hay.push_str(&et.search_text.to_ascii_lowercase());
            hay.push('\n');
        }
    }
    for m in &content.sourcetypes {
        for r in &m.rules {
            if let Some(w) = &r.when_text {
                hay.push_str(&w.to_ascii_lowercase());
                hay.push('\n');
            }
        }
    }
    let names: HashSet<String> = content
        .sourcetypes
        .iter()
        .flat_map(|m| m.rules.iter().flat_map(|r| r.eval.iter().map(|(t, _, _)| t.clone())))
        .collect();
    // `_time` is read without being named: by `earliest=`/`latest=`, the run's time range and
    // the newest-first order of events.
    let mut kept: HashSet<String> =
        names.iter().filter(|n| *n == "_time" || hay.contains(&n.to_ascii_lowercase())).cloned().collect();
    // What kept fields are computed from is kept too, to a fixpoint: the fields an expression
    // names, and the source of an alias whose name is read.
    loop {
        let before = kept.len();
        for r in content.sourcetypes.iter().flat_map(|m| &m.rules) {
            for (t, _, text) in &r.eval {
                if kept.contains(t) {
                    let text = text.to_ascii_lowercase();
                    let more: Vec<String> = names
                        .iter()
                        .filter(|n| !kept.contains(*n) && text.contains(&n.to_ascii_lowercase()))
                        .cloned()
                        .collect();
                    kept.extend(more);
                }
            }
            for (alias, source) in &r.alias {
                if names.contains(source) && (kept.contains(alias) || hay.contains(&alias.to_ascii_lowercase())) {
                    kept.insert(source.clone());
                }
            }
        }
        if kept.len() == before {
            break;
        }
    }
    Skip { evals: names.difference(&kept).cloned().collect(), eventtypes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::ContentFile;
    use std::path::{Path, PathBuf};

    fn unnamed(spl: &str) -> bool {
        reads_unnamed_fields(&spl_parser::parse_pipeline(spl).expect("parses"))
    }

    #[test]
    fn searches_showing_raw_events_or_taking_fields_by_wildcard_read_unnamed_fields() {
        assert!(unnamed("search EventCode=1"), "raw events are the results");
        assert!(!unnamed("search EventCode=1 | stats count by user"));
        assert!(!unnamed("| tstats count from datamodel=Endpoint.Processes by Processes.user"));
        assert!(unnamed("search x=1 | table *"));
        assert!(unnamed("search x=1 | outlier | stats count by user"), "outlier reads every field");
        assert!(!unnamed("search x=1 | outlier action=rm n | stats count by user"));
        assert!(!unnamed("search x=1 | stats count by user | outlier"), "only the rows' named fields");
        assert!(unnamed("search x=1 | filldown | stats count by user"), "filldown reads every field");
        assert!(unnamed("search x=1 | filldown user* | stats count by user"));
        assert!(!unnamed("search x=1 | filldown user | stats count by user"));
        // `format` formats every field; after it and `return` only `search` is left.
        assert!(unnamed("search x=1 [search y=1 | format] | stats count by user"));
        assert!(!unnamed("search x=1 [search y=1 | stats count by user | format] | stats count by user"));
        assert!(!unnamed("search x=1 [search y=1 | return 5 user] | stats count by user"));
        assert!(unnamed("search x=1 [search y=1 | return $user] | stats count by user"), "a value as search text");
        assert!(!unnamed("search x=1 | delta n | accum n | autoregress n p=1-2 | stats count by user"));
        assert!(!unnamed("search x=1 | xyseries host kind n"), "xyseries keeps the fields it names");
        assert!(unnamed("search x=1 | untable host kind n"), "untable reads every field");
        assert!(!unnamed("search x=1 | chart count over host by kind | untable host kind n"));
        assert!(unnamed("search x=1 | uniq | stats count by user"), "uniq compares every field");
        assert!(unnamed("search x=1 | transpose | stats count by column"), "transpose shows every field");
        assert!(!unnamed("search x=1 | stats count by user | transpose | table column"));
        assert!(!unnamed("search x=1 | strcat a \"/\" b c | rangemap field=c x=1-2 | addinfo | stats count by c"));
        assert!(unnamed("search x=1 | stats values(*) AS * by user"));
        assert!(unnamed("search x=1 | foreach * [eval <<FIELD>>=1] | stats count by a"));
        assert!(unnamed("search x=1 | analyzefields classfield=a"), "commands not known to name their fields");
        assert!(unnamed("search x=1 | fieldsummary"), "fieldsummary summarises every field");
        assert!(unnamed("search x=1 | fieldsummary maxvals=5 user*"));
        assert!(!unnamed("search x=1 | fieldsummary user dest"), "only the fields it names");
        assert!(!unnamed("search x=1 | stats count by user | fieldsummary"));
        assert!(unnamed("search x=1 | tojson | stats count by _raw"), "tojson writes every field");
        assert!(unnamed("search x=1 | tojson str(date_*) | table _raw"));
        assert!(!unnamed("search x=1 | tojson num(n) user | table _raw"));
        // A join brings its subsearch's rows in as they are, until a later command restricts.
        assert!(unnamed("search x=1 | stats count by a | join a [search y=1]"));
        assert!(!unnamed("search x=1 | stats count by a | join a [search y=1] | table a count"));
        assert!(!unnamed("search x=1 | stats count by a | join a [search y=1 | table a b]"));
        // A subsearch's rows become search terms: every field of raw rows would.
        assert!(unnamed("search [search y=1 | head 1] | stats count by a"));
        assert!(!unnamed("search [search y=1 | fields a] | stats count by a"));
        // A wildcard over rows a command restricted to named fields reads nothing else.
        assert!(!unnamed(
            "| tstats count from datamodel=Endpoint.Processes by Processes.user Processes.dest \
             | rename Processes.* AS * | table user dest count"
        ));
        assert!(!unnamed("search x=1 | stats count by a b | fields a* | rename a* AS z*"));
        assert!(unnamed("search x=1 | rename a* AS z* | stats count by z"), "raw events still exposed");
        assert!(unnamed("search x=1 | fields a* | stats count by a"), "`fields a*` restricts by wildcard");
        assert!(unnamed("search x=1 | stats count by a | join a [search y=1] | rename * AS r_*"));
    }

    fn content(yaml: &str) -> Content {
        let mut c = Content::default();
        let file = ContentFile { path: PathBuf::from("m/sourcetypes/t.yml"), text: yaml.to_string() };
        c.load_files(Path::new("m"), vec![file]).expect("loads");
        c
    }

    #[test]
    fn eval_targets_no_search_names_are_skipped_with_what_only_they_read() {
        let c = content(
            "name: t\nmatch:\n  source: x\nrules:\n  - alias:\n      proc: pname\n    eval:\n      \
             pname: 'lower(base)'\n      base: 'mvindex(split(Image, \"\\\\\"), -1)'\n      \
             hashes: 'upper(Hashes)'\n      desc: 'case(EventID=\"1\", \"a\", true(), \"b\")'\n",
        );
        let skip = skip_for(&c, &["search proc=cmd.exe | stats count by host"], false, false);
        let mut evals: Vec<&str> = skip.evals.iter().map(String::as_str).collect();
        evals.sort();
        // `proc` aliases `pname`, computed from `base`: both kept.
        assert_eq!(evals, ["desc", "hashes"]);
        assert!(skip.eventtypes, "no tag or eventtype read");
        let all = skip_for(&c, &["search proc=cmd.exe"], true, false);
        assert!(all.evals.is_empty() && !all.eventtypes, "a search reading unnamed fields skips nothing");
        // A rule computing `_time` always runs: time modifiers read it without naming it.
        let c = content("name: t\nmatch:\n  source: x\nrules:\n  - eval:\n      _time: '_time + 1'\n");
        assert!(!skip_for(&c, &["search earliest=-1d | stats count"], false, false).evals.contains("_time"));
        let dm = skip_for(&c, &["| tstats count from datamodel=X by Y.user"], false, true);
        assert!(!dm.eventtypes, "data models select on tags");
    }
}
