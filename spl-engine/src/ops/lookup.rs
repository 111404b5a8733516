//! `lookup`, `inputlookup`, `outputlookup` over CSV lookup tables from content.
//!
//! Tables are read once per process (cached by path) and only from files the content loader
//! resolved inside a content folder; `outputlookup` writes only into `Context::output_dir`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ipnet::IpNet;

use crate::content::LookupDef;
use crate::event::Event;
use crate::exec::{Context, ExecError, Operator};
use crate::search::{fold, Glob, Matcher};
use crate::value::{Atom, Value};

/// Largest lookup CSV we read (a guard against a runaway file in content).
const MAX_CSV_BYTES: u64 = 512 << 20;

/// A CSV lookup table: header and rows; an empty cell is `None` (a missing field).
#[derive(Debug, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    pub fn parse(text: &str) -> Result<Table, String> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let columns: Vec<String> = rdr
            .headers()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| e.to_string())?;
            rows.push((0..columns.len()).map(|i| rec.get(i).filter(|s| !s.is_empty()).map(str::to_string)).collect());
        }
        Ok(Table { columns, rows })
    }

    /// Rows as events, in file order (empty cells are missing fields).
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.rows.iter().map(|r| {
            let mut ev = Event::new();
            for (c, v) in self.columns.iter().zip(r) {
                if let Some(v) = v {
                    ev.set(c.clone(), v.as_str());
                }
            }
            ev
        })
    }
}

fn cache() -> &'static Mutex<HashMap<PathBuf, Arc<Table>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Table>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Read (once) the table of a lookup definition. Offline, a KV-store collection is empty
/// unless a content layer provides a CSV for it (a later layer's definition of the same name
/// with a `filename`): its columns are the yml's `fields_list`, and it has no rows.
pub fn load(def: &LookupDef) -> Result<Arc<Table>, ExecError> {
    let Some(path) = &def.file else {
        if def.kind == "kvstore" {
            return Ok(Arc::new(Table { columns: def.fields.clone(), rows: Vec::new() }));
        }
        return Err(ExecError::new(format!(
            "lookup `{}` has no CSV file ({} lookups have no table to read)",
            def.name, def.kind
        )));
    };
    if let Some(t) = cache().lock().ok().and_then(|c| c.get(path).cloned()) {
        return Ok(t);
    }
    let table = match &def.inline_csv {
        Some(text) => Table::parse(text),
        None => read_csv(path),
    }
    .map_err(|m| ExecError::new(format!("lookup `{}` ({}): {m}", def.name, path.display())))?;
    let table = Arc::new(table);
    if let Ok(mut c) = cache().lock() {
        c.insert(path.clone(), table.clone());
    }
    Ok(table)
}

fn read_csv(path: &Path) -> Result<Table, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_CSV_BYTES {
        return Err(format!("file is over {MAX_CSV_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    Table::parse(&String::from_utf8_lossy(&bytes))
}

/// Find a lookup by its definition name, or by CSV file name (`x.csv`).
pub fn resolve<'c>(ctx: &'c Context, name: &str) -> Option<&'c LookupDef> {
    if let Some(d) = ctx.content.lookups.get(name) {
        return Some(d);
    }
    let mut by_file: Vec<&LookupDef> = ctx
        .content
        .lookups
        .values()
        .filter(|d| d.file.as_ref().and_then(|f| f.file_name()).is_some_and(|f| f.to_string_lossy() == name))
        .collect();
    by_file.sort_by(|a, b| a.name.cmp(&b.name));
    by_file.into_iter().next()
}

/// Why a definition cannot be used offline, if it cannot.
pub fn offline_reason(def: &LookupDef) -> Option<String> {
    match def.kind.as_str() {
        "csv" | "kvstore" => None,
        "external" if external(&def.name).is_some() => None,
        "external" => {
            Some(format!("external lookup `{}` (a script in its Splunk app; not implemented here)", def.name))
        }
        _ => Some(format!("MLTK model lookup `{}` is not available offline", def.name)),
    }
}

/// An external (scripted) lookup of a Splunk app, computed here instead of by its script:
/// one input column, output columns computed from its value.
pub struct External {
    pub input: &'static str,
    pub outputs: &'static [&'static str],
    pub compute: fn(&str) -> Vec<Option<String>>,
}

/// URL Toolbox `ut_shannon_lookup` (`external_cmd = ut_shannon.py word`,
/// `fields_list = word, ut_shannon`): the Shannon entropy of `word` in bits per character.
fn ut_shannon(word: &str) -> Vec<Option<String>> {
    let h = crate::eval::functions::shannon_entropy(word);
    vec![Some(crate::value::format_num(h))]
}

/// The external lookups implemented natively, by definition name.
pub fn external(name: &str) -> Option<External> {
    match name {
        "ut_shannon_lookup" => Some(External { input: "word", outputs: &["ut_shannon"], compute: ut_shannon }),
        _ => None,
    }
}

/// How one table cell matches an event value.
#[derive(Debug)]
enum Cell {
    Missing,
    Exact(String),
    Glob(Glob),
    Cidr(IpNet),
}

impl Cell {
    fn matches(&self, value: &str, case_sensitive: bool) -> bool {
        match self {
            Cell::Missing => false,
            Cell::Exact(s) if case_sensitive => s == value,
            Cell::Exact(s) => *s == fold(value),
            Cell::Glob(g) => g.matches(value),
            Cell::Cidr(net) => value.trim().parse::<std::net::IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum MatchKind {
    Exact,
    Wildcard,
    Cidr,
}

/// `match_type` of a column: `WILDCARD(col)`, `CIDR(col)`, else exact.
fn match_kind(def: &LookupDef, column: &str) -> MatchKind {
    for m in &def.match_type {
        let m = m.trim();
        let inner = |p: &str| m.get(p.len()..).and_then(|r| r.strip_suffix(')')).map(str::trim);
        if m.to_ascii_uppercase().starts_with("WILDCARD(") && inner("WILDCARD(") == Some(column) {
            return MatchKind::Wildcard;
        }
        if m.to_ascii_uppercase().starts_with("CIDR(") && inner("CIDR(") == Some(column) {
            return MatchKind::Cidr;
        }
    }
    MatchKind::Exact
}

/// `lookup <table> <lfield> [AS <efield>] ... [OUTPUT|OUTPUTNEW <lcol> [AS <efield>] ...]`.
pub struct LookupOp {
    def: LookupDef,
    /// (table column, event field).
    inputs: Vec<(String, String)>,
    /// (table column, event field); `None` = every non-input column, OUTPUT semantics.
    outputs: Option<Vec<(String, String)>>,
    output_new: bool,
    state: Option<Prepared>,
    /// Set for a computed (external) lookup: no table.
    external: Option<External>,
}

struct Prepared {
    table: Arc<Table>,
    /// Per row, per input: the compiled cell.
    cells: Vec<Vec<Cell>>,
    /// Exact-only inputs: folded key → rows, for a hash lookup instead of a scan.
    index: Option<HashMap<Vec<String>, Vec<usize>>>,
    /// (column index or None when the table lacks it, event field).
    outputs: Vec<(Option<usize>, String)>,
    /// Tables scanned row by row (wildcard inputs): which rows a value can match at all.
    candidates: Option<Candidates>,
    /// Scanned tables: the rows each tuple of input values matched. Values repeat (a product
    /// name, an executable), and a scan costs every row: a hunting search's groups ran one each.
    memo: crate::memo::BoundedMemo<Vec<String>, Vec<usize>>,
}

/// Bytes of scan results one lookup command keeps at most.
const LOOKUP_MEMO_BYTES: usize = 256 << 10;

/// A wildcard table has hundreds of patterns (`*bingmaps:*`); one Aho-Corasick pass over the
/// value of a wildcard input finds which rows' longest literal it holds, and only those rows
/// are matched in full.
struct Candidates {
    /// Which input this is about.
    input: usize,
    ac: aho_corasick::AhoCorasick,
    /// Per row: the pattern the value must contain, `None` when nothing is required.
    need: Vec<Option<usize>>,
    npat: usize,
}

impl Candidates {
    fn new(cells: &[Vec<Cell>], input: usize, case_sensitive: bool) -> Option<Candidates> {
        let mut pats: Vec<String> = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let need = cells
            .iter()
            .map(|row| {
                let lit = match row.get(input)? {
                    Cell::Exact(s) => s.as_str(),
                    Cell::Glob(g) => g.longest_literal(),
                    Cell::Missing | Cell::Cidr(_) => return None,
                };
                if lit.is_empty() || !lit.is_ascii() {
                    return None;
                }
                Some(*ids.entry(lit.to_string()).or_insert_with(|| {
                    pats.push(lit.to_string());
                    pats.len() - 1
                }))
            })
            .collect();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(!case_sensitive)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&pats)
            .ok()?;
        Some(Candidates { input, ac, need, npat: pats.len() })
    }

    /// Per pattern, whether `value` holds it; `None` when the test cannot be trusted (folding a
    /// non-ASCII value may produce ASCII letters the automaton would not see).
    fn found(&self, value: &str, case_sensitive: bool) -> Option<Vec<bool>> {
        if !case_sensitive && !value.is_ascii() {
            return None;
        }
        let mut found = vec![false; self.npat];
        for m in self.ac.find_overlapping_iter(value) {
            if let Some(f) = found.get_mut(m.pattern().as_usize()) {
                *f = true;
            }
        }
        Some(found)
    }
}

impl LookupOp {
    pub fn new(
        def: LookupDef,
        inputs: Vec<(String, String)>,
        outputs: Option<Vec<(String, String)>>,
        output_new: bool,
    ) -> LookupOp {
        LookupOp {
            inputs,
            outputs,
            output_new,
            state: None,
            external: if def_is_external(&def) { external(&def.name) } else { None },
            def,
        }
    }

    fn prepare_table(&mut self) -> Result<(), ExecError> {
        if self.state.is_some() {
            return Ok(());
        }
        if let Some(ext) = &self.external {
            if let Some((col, _)) = self.inputs.iter().find(|(c, _)| c != ext.input) {
                return Err(ExecError::new(format!(
                    "lookup `{}` takes the input column `{}`, not `{col}`",
                    self.def.name, ext.input
                )));
            }
            return Ok(());
        }
        let table = load(&self.def)?;
        let cs = self.def.case_sensitive;
        let mut input_cols = Vec::new();
        for (col, _) in &self.inputs {
            let Some(i) = table.column(col) else {
                return Err(ExecError::new(format!(
                    "lookup `{}` has no column `{col}` (it has: {})",
                    self.def.name,
                    table.columns.join(", ")
                )));
            };
            input_cols.push((i, match_kind(&self.def, col)));
        }
        let norm = |s: &str| if cs { s.to_string() } else { fold(s) };
        let cells: Vec<Vec<Cell>> = table
            .rows
            .iter()
            .map(|r| {
                input_cols
                    .iter()
                    .map(|(i, kind)| match (r.get(*i).cloned().flatten(), kind) {
                        (None, _) => Cell::Missing,
                        (Some(v), MatchKind::Wildcard) if v.contains('*') => Cell::Glob(Glob::new(&v, cs)),
                        (Some(v), MatchKind::Cidr) => match v.trim().parse::<IpNet>() {
                            Ok(n) => Cell::Cidr(n),
                            // A plain address in a CIDR column is a /32 (or /128).
                            Err(_) => match v.trim().parse::<std::net::IpAddr>() {
                                Ok(ip) => Cell::Cidr(IpNet::from(ip)),
                                Err(_) => Cell::Exact(norm(&v)),
                            },
                        },
                        (Some(v), _) => Cell::Exact(norm(&v)),
                    })
                    .collect()
            })
            .collect();
        let index = if input_cols.iter().all(|(_, k)| *k == MatchKind::Exact) {
            let mut m: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
            for (ri, row) in cells.iter().enumerate() {
                let key: Option<Vec<String>> = row
                    .iter()
                    .map(|c| match c {
                        Cell::Exact(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                if let Some(k) = key {
                    m.entry(k).or_default().push(ri);
                }
            }
            Some(m)
        } else {
            None
        };
        let outputs = match &self.outputs {
            Some(o) => o.iter().map(|(c, f)| (table.column(c), f.clone())).collect(),
            None => table
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| !self.inputs.iter().any(|(i, _)| i == *c))
                .map(|(i, c)| (Some(i), c.clone()))
                .collect(),
        };
        let candidates = match index {
            Some(_) => None,
            None => input_cols
                .iter()
                .position(|(_, k)| *k == MatchKind::Wildcard)
                .and_then(|i| Candidates::new(&cells, i, cs)),
        };
        self.state = Some(Prepared {
            table,
            cells,
            index,
            outputs,
            candidates,
            memo: crate::memo::BoundedMemo::new(LOOKUP_MEMO_BYTES),
        });
        Ok(())
    }
}

fn def_is_external(def: &LookupDef) -> bool {
    def.kind == "external"
}

impl LookupOp {
    /// A computed lookup: each value of the input field (MV: each value) gives one row.
    fn push_external(&self, ev: &mut Event) {
        let Some(ext) = &self.external else { return };
        let Some((_, field)) = self.inputs.first() else {
            return;
        };
        let rows: Vec<Vec<Option<String>>> = match ev.get(field) {
            Some(v) => v.atoms().iter().map(|a| (ext.compute)(&a.as_str())).collect(),
            None => Vec::new(),
        };
        let outputs: Vec<(Option<usize>, String)> = match &self.outputs {
            Some(o) => o.iter().map(|(c, f)| (ext.outputs.iter().position(|x| x == c), f.clone())).collect(),
            None => ext.outputs.iter().enumerate().map(|(i, c)| (Some(i), c.to_string())).collect(),
        };
        for (col, field) in outputs {
            if self.output_new && ev.get(&field).is_some() {
                continue;
            }
            let atoms: Vec<Atom> = col
                .map(|ci| rows.iter().filter_map(|r| r.get(ci).cloned().flatten()).map(Atom::from).collect())
                .unwrap_or_default();
            ev.set_opt(&field, Value::from_atoms(atoms));
        }
    }
}

/// Cross product of the inputs' values (an MV field is looked up once per value), capped.
fn combinations(values: &[Vec<String>]) -> Vec<Vec<String>> {
    const CAP: usize = 10_000;
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for vals in values {
        let mut next = Vec::new();
        for prefix in &out {
            for v in vals {
                if next.len() >= CAP {
                    break;
                }
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

impl Operator for LookupOp {
    fn name(&self) -> &str {
        "lookup"
    }
    fn describe(&self) -> String {
        let ins: Vec<String> =
            self.inputs.iter().map(|(c, f)| if c == f { c.clone() } else { format!("{c} AS {f}") }).collect();
        let outs = match &self.outputs {
            None => " (all columns)".to_string(),
            Some(o) => format!(
                " {} {}",
                if self.output_new { "OUTPUTNEW" } else { "OUTPUT" },
                o.iter()
                    .map(|(c, f)| if c == f { c.clone() } else { format!("{c} AS {f}") })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "lookup {} {}{outs} [match_type={:?} case_sensitive={} min_matches={} max_matches={}]",
            self.def.name,
            ins.join(", "),
            self.def.match_type,
            self.def.case_sensitive,
            self.def.min_matches,
            self.def.max_matches
        )
    }
    fn prepare(&mut self, _rt: &crate::exec::Runtime<'_>) -> Result<(), ExecError> {
        self.prepare_table()
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.prepare_table()?;
        if self.external.is_some() {
            self.push_external(&mut ev);
            out.push(ev);
            return Ok(());
        }
        let Some(st) = &mut self.state else { return Ok(()) };
        let cs = self.def.case_sensitive;
        // OUTPUTNEW: if every destination already exists there is nothing to do.
        if self.output_new && st.outputs.iter().all(|(_, f)| ev.get(f).is_some()) {
            out.push(ev);
            return Ok(());
        }
        // Read all inputs before writing outputs (outputs may overwrite an input field).
        let mut values = Vec::new();
        for (_, f) in &self.inputs {
            match ev.get(f) {
                Some(v) => values.push(v.atoms().iter().map(|a| a.as_str().into_owned()).collect::<Vec<_>>()),
                None => values.push(Vec::new()),
            }
        }
        let max = if self.def.max_matches == 0 { usize::MAX } else { self.def.max_matches };
        let mut matched: Vec<usize> = Vec::new();
        for combo in combinations(&values) {
            let mut n = 0;
            let mut take = |ri: usize, matched: &mut Vec<usize>| {
                if n < max {
                    matched.push(ri);
                    n += 1;
                }
            };
            match &st.index {
                Some(idx) => {
                    let key: Vec<String> = combo.iter().map(|v| if cs { v.clone() } else { fold(v) }).collect();
                    for &ri in idx.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                        take(ri, &mut matched);
                    }
                }
                None => {
                    if let Some(hits) = st.memo.get(&combo) {
                        for &ri in hits {
                            take(ri, &mut matched);
                        }
                        continue;
                    }
                    let cand = st.candidates.as_ref().and_then(|c| {
                        let found = c.found(combo.get(c.input)?, cs)?;
                        Some((c, found))
                    });
                    // The first `max` matching rows, in table order.
                    let mut hits = Vec::new();
                    for (ri, row) in st.cells.iter().enumerate() {
                        if hits.len() >= max {
                            break;
                        }
                        if let Some((c, found)) = &cand {
                            if c.need.get(ri).copied().flatten().is_some_and(|p| !found.get(p).copied().unwrap_or(true))
                            {
                                continue;
                            }
                        }
                        if row.iter().zip(&combo).all(|(c, v)| c.matches(v, cs)) {
                            hits.push(ri);
                        }
                    }
                    for &ri in &hits {
                        take(ri, &mut matched);
                    }
                    let size = 64 + combo.iter().map(|v| v.len() + 24).sum::<usize>() + 8 * hits.len();
                    st.memo.insert(combo, hits, size);
                }
            }
        }
        for (col, field) in &st.outputs {
            if self.output_new && ev.get(field).is_some() {
                continue;
            }
            let mut atoms: Vec<Atom> = Vec::new();
            if let Some(ci) = col {
                for &ri in &matched {
                    if let Some(Some(v)) = st.table.rows.get(ri).and_then(|r| r.get(*ci)) {
                        atoms.push(Atom::from(v.as_str()));
                    }
                }
            }
            // transforms.conf: fewer than min_matches matches are padded with default_match.
            if matched.len() < self.def.min_matches {
                if let Some(d) = &self.def.default_match {
                    for _ in matched.len()..self.def.min_matches {
                        atoms.push(Atom::from(d.as_str()));
                    }
                }
            }
            // OUTPUT overwrites: no value clears the destination.
            ev.set_opt(field, Value::from_atoms(atoms));
        }
        out.push(ev);
        Ok(())
    }
}

/// `inputlookup [append=t] <table> [where <search>]`: the table's rows, in file order. With
/// `append=t` they follow the incoming rows; otherwise incoming rows are dropped.
pub struct InputlookupOp {
    pub def: LookupDef,
    pub append: bool,
    pub where_: Option<Matcher>,
    pub where_text: String,
}

impl Operator for InputlookupOp {
    fn name(&self) -> &str {
        "inputlookup"
    }
    fn describe(&self) -> String {
        format!(
            "inputlookup{} {}{}",
            if self.append { " append=t" } else { "" },
            self.def.name,
            if self.where_text.is_empty() { String::new() } else { format!(" where {}", self.where_text) }
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.append {
            out.push(ev);
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let table = load(&self.def)?;
        out.extend(table.events().filter(|e| self.where_.as_ref().is_none_or(|m| m.matches(e))));
        Ok(())
    }
}

/// `outputlookup <file>`: write the rows as CSV into the output folder; rows pass through.
pub struct OutputlookupOp {
    pub name: String,
    pub dir: Option<PathBuf>,
    rows: Vec<Event>,
}

impl OutputlookupOp {
    /// Refuse names that could leave the output folder.
    pub fn new(name: &str, dir: Option<PathBuf>) -> Result<OutputlookupOp, String> {
        if name.is_empty() || name.contains('/') || name.contains('\\') || name.contains("..") || name.contains('\0') {
            return Err(format!("outputlookup: refused file name `{name}` (a plain file name is required)"));
        }
        Ok(OutputlookupOp { name: name.to_string(), dir, rows: Vec::new() })
    }
}

impl Operator for OutputlookupOp {
    fn name(&self) -> &str {
        "outputlookup"
    }
    fn describe(&self) -> String {
        match &self.dir {
            Some(d) => format!("outputlookup {} (into {})", self.name, d.display()),
            None => format!("outputlookup {} (refused: no output folder)", self.name),
        }
    }
    fn push(&mut self, ev: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.rows.push(ev);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let Some(dir) = &self.dir else {
            return Err(ExecError::new(format!(
                "outputlookup {}: no output folder configured; writing is refused",
                self.name
            )));
        };
        let file = if self.name.to_ascii_lowercase().ends_with(".csv") {
            self.name.clone()
        } else {
            format!("{}.csv", self.name)
        };
        let mut columns: Vec<String> = Vec::new();
        for r in &self.rows {
            for k in r.fields.keys() {
                if !columns.iter().any(|c| c == k) {
                    columns.push(k.to_string());
                }
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| ExecError::new(format!("outputlookup {}: {e}", self.name));
        w.write_record(&columns).map_err(err)?;
        for r in &self.rows {
            w.write_record(columns.iter().map(|c| r.get(c).map(|v| v.as_str().into_owned()).unwrap_or_default()))
                .map_err(err)?;
        }
        let bytes = w.into_inner().map_err(|e| ExecError::new(format!("outputlookup {}: {e}", self.name)))?;
        std::fs::write(dir.join(&file), bytes)
            .map_err(|e| ExecError::new(format!("outputlookup {}: {e}", self.name)))?;
        out.append(&mut self.rows);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(match_type: &[&str], cs: bool, min: usize, default: Option<&str>) -> LookupDef {
        LookupDef {
            name: "t".into(),
            file: None,
            kind: "csv".into(),
            match_type: match_type.iter().map(|s| s.to_string()).collect(),
            case_sensitive: cs,
            min_matches: min,
            max_matches: 100,
            default_match: default.map(str::to_string),
            fields: Vec::new(),
            inline_csv: None,
            yml: String::new(),
        }
    }

    fn kvstore(fields: &[&str], min: usize, default: Option<&str>) -> LookupDef {
        LookupDef {
            kind: "kvstore".into(),
            fields: fields.iter().map(|s| s.to_string()).collect(),
            ..def(&[], true, min, default)
        }
    }

    fn strs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn kvstore_lookup_offline_is_an_empty_table_so_no_match_applies_min_matches() {
        // Splunk: an unfilled KV-store collection has no rows; a lookup finds no match and
        // `default_match` pads up to `min_matches` (transforms.conf), else OUTPUT clears.
        let d = kvstore(&["_key", "user", "firstTime"], 1, Some("unseen"));
        assert!(offline_reason(&d).is_none());
        let mut o = LookupOp::new(d, strs(&[("user", "user")]), Some(strs(&[("firstTime", "ft")])), false);
        let r = run(&mut o, ev(&[("user", "bob"), ("ft", "old")]));
        assert_eq!(r.get_str("ft").as_deref(), Some("unseen"));
        let d = kvstore(&["_key", "user", "firstTime"], 0, None);
        let mut o = LookupOp::new(d, strs(&[("user", "user")]), Some(strs(&[("firstTime", "ft")])), false);
        assert!(run(&mut o, ev(&[("user", "bob"), ("ft", "old")])).get("ft").is_none());
        // An input column the collection does not declare is still an error, as in Splunk.
        let d = kvstore(&["_key", "user"], 0, None);
        let mut o = LookupOp::new(d, strs(&[("nope", "user")]), None, false);
        assert!(o.push(ev(&[("user", "x")]), &mut Vec::new()).is_err());
    }

    #[test]
    fn a_later_layer_csv_overrides_a_kvstore_definition_and_inline_csv_is_read() {
        use crate::content::{Content, ContentFile};
        let f = |p: &str, t: &str| ContentFile { path: PathBuf::from(p), text: t.to_string() };
        let mut c = Content::default();
        c.load_files(
            Path::new("mem1"),
            vec![f("mem1/lookups/seen.yml", "name: seen\ncollection: seen\nfields_list: _key, user, firstTime\n")],
        )
        .unwrap();
        let d = &c.lookups["seen"];
        assert_eq!((d.kind.as_str(), d.fields.len()), ("kvstore", 3));
        assert!(load(d).unwrap().rows.is_empty());
        // In-memory layer (the embedded pack): its CSV comes with the files.
        c.load_files(
            Path::new("mem2"),
            vec![
                f("mem2/lookups/seen.yml", "name: seen\nfilename: seen.csv\n"),
                f("mem2/lookups/seen.csv", "user,firstTime\nbob,1\n"),
            ],
        )
        .unwrap();
        let d = &c.lookups["seen"];
        assert_eq!(d.kind, "csv");
        assert_eq!(load(d).unwrap().rows.len(), 1);
    }

    #[test]
    fn inputlookup_of_an_unfilled_kvstore_collection_gives_no_rows() {
        let mut il = InputlookupOp {
            def: kvstore(&["_key", "user"], 0, None),
            append: true,
            where_: None,
            where_text: String::new(),
        };
        let mut out = Vec::new();
        il.push(ev(&[("x", "0")]), &mut out).unwrap();
        il.finish(&mut out).unwrap();
        assert_eq!(out.len(), 1, "append=t keeps the incoming row and adds none");
    }

    #[test]
    fn ut_shannon_lookup_computes_entropy_per_value() {
        // URL Toolbox: `lookup ut_shannon_lookup word [AS f]` outputs `ut_shannon`, the
        // Shannon entropy of the word in bits per character.
        let d = LookupDef { name: "ut_shannon_lookup".into(), kind: "external".into(), ..def(&[], true, 0, None) };
        assert!(offline_reason(&d).is_none());
        let mut o = LookupOp::new(d.clone(), strs(&[("word", "Service_Name")]), None, false);
        let r = run(&mut o, ev(&[("Service_Name", "abcd")]));
        assert_eq!(r.get_str("ut_shannon").as_deref(), Some("2"));
        let r = run(&mut o, ev(&[("other", "x")]));
        assert!(r.get("ut_shannon").is_none());
        let mut e = Event::new();
        e.push("word", "aaaa".into());
        e.push("word", "ab".into());
        let mut o = LookupOp::new(d.clone(), strs(&[("word", "word")]), Some(strs(&[("ut_shannon", "h")])), false);
        let vs: Vec<String> = run(&mut o, e).get("h").unwrap().atoms().iter().map(|a| a.to_string()).collect();
        assert_eq!(vs, vec!["0", "1"]);
        let mut o = LookupOp::new(d, strs(&[("url", "u")]), None, false);
        assert!(o.push(ev(&[("u", "x")]), &mut Vec::new()).is_err());
        let unknown = LookupDef { name: "ut_other".into(), kind: "external".into(), ..def(&[], true, 0, None) };
        assert!(offline_reason(&unknown).is_some());
    }

    fn op(d: LookupDef, csv: &str, inputs: &[(&str, &str)], outputs: Option<&[(&str, &str)]>, new: bool) -> LookupOp {
        let mut o = LookupOp::new(
            d,
            inputs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            outputs.map(|o| o.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()),
            new,
        );
        // Install the table directly (tests have no file).
        let table = Arc::new(Table::parse(csv).unwrap());
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = PathBuf::from(format!("/test/{}.csv", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        cache().lock().unwrap().insert(path.clone(), table);
        o.def.file = Some(path);
        o
    }

    fn run(o: &mut LookupOp, ev: Event) -> Event {
        let mut out = Vec::new();
        o.push(ev, &mut out).unwrap();
        out.pop().unwrap()
    }

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    #[test]
    fn lookup_wildcard_case_insensitive_with_default_match_false() {
        let d = def(&["WILDCARD(domain)"], false, 1, Some("false"));
        let mut o = op(
            d,
            "domain,isIOC,Description\n*akamaicontainer.com,TRUE,url\n",
            &[("domain", "query")],
            Some(&[("Description", "Description"), ("isIOC", "isIOC")]),
            false,
        );
        let hit = run(&mut o, ev(&[("query", "x.AKAMAICONTAINER.COM")]));
        assert_eq!(hit.get_str("isIOC").as_deref(), Some("TRUE"));
        assert_eq!(hit.get_str("Description").as_deref(), Some("url"));
        let miss = run(&mut o, ev(&[("query", "example.org")]));
        assert_eq!(miss.get_str("isIOC").as_deref(), Some("false"));
        assert_eq!(miss.get_str("Description").as_deref(), Some("false"));
    }

    #[test]
    fn wildcard_rows_are_prefiltered_on_their_literals_without_losing_matches() {
        // Globs, plain values in a wildcard column, a bare `*`, and a missing cell.
        let d = def(&["WILDCARD(h)"], false, 1, Some("none"));
        let csv = "h,v\n*calc:*,glob\nCALC:,exact\n*,any\n,missing\n*\u{e9}t\u{e9}*,accent\n";
        let mut o = op(d, csv, &[("h", "p")], Some(&[("v", "v")]), false);
        let mut vals = |p: &str| {
            let row = run(&mut o, ev(&[("p", p)]));
            let mut v: Vec<String> =
                row.get("v").map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect()).unwrap_or_default();
            v.sort();
            v
        };
        assert_eq!(vals("start Calc:x"), ["any", "glob"]);
        assert_eq!(vals("calc:"), ["any", "exact", "glob"]);
        assert_eq!(vals("notepad"), ["any"]);
        // Non-ASCII values bypass the ASCII-only automaton and are matched in full.
        assert_eq!(vals("\u{c9}T\u{c9} calc:"), ["accent", "any", "glob"]);
    }

    #[test]
    fn repeated_values_of_a_scanned_lookup_give_the_rows_of_the_first_scan() {
        let d = LookupDef { max_matches: 2, ..def(&["WILDCARD(h)"], false, 0, None) };
        let mut o = op(d, "h,v\n*a*,1\n*b*,2\n*ab*,3\n", &[("h", "p")], Some(&[("v", "v")]), false);
        let mut vals = |p: &str| -> Vec<String> {
            let row = run(&mut o, ev(&[("p", p)]));
            row.get("v").map(|v| v.atoms().iter().map(|a| a.as_str().into_owned()).collect()).unwrap_or_default()
        };
        for round in 0..3 {
            assert_eq!(vals("xABy"), ["1", "2"], "max_matches keeps the first two rows (round {round})");
            assert_eq!(vals("b"), ["2"]);
            assert!(vals("zz").is_empty());
            // Enough distinct values to make the memo start over.
            for i in 0..3000 {
                assert_eq!(vals(&format!("a{i}")), ["1"]);
            }
        }
    }

    #[test]
    fn lookup_exact_match_is_case_sensitive_by_default() {
        let d = def(&[], true, 0, None);
        let mut o = op(d, "k,v\nAbc,1\n", &[("k", "k")], Some(&[("v", "v")]), false);
        assert_eq!(run(&mut o, ev(&[("k", "Abc")])).get_str("v").as_deref(), Some("1"));
        assert!(run(&mut o, ev(&[("k", "abc")])).get("v").is_none());
    }

    #[test]
    fn lookup_output_overwrites_and_no_match_clears() {
        let d = def(&[], true, 0, None);
        let mut o = op(
            d,
            "ace_type_string,ace_type_value\nA,Allowed\n",
            &[("ace_type_string", "aceType")],
            Some(&[("ace_type_value", "aceType")]),
            false,
        );
        assert_eq!(run(&mut o, ev(&[("aceType", "A")])).get_str("aceType").as_deref(), Some("Allowed"));
        assert!(run(&mut o, ev(&[("aceType", "Z")])).get("aceType").is_none());
    }

    #[test]
    fn lookup_outputnew_fills_only_missing_fields() {
        let d = def(&[], true, 0, None);
        let mut o = op(d, "k,a,b\nx,1,2\n", &[("k", "k")], Some(&[("a", "a"), ("b", "b")]), true);
        let r = run(&mut o, ev(&[("k", "x"), ("a", "keep")]));
        assert_eq!(r.get_str("a").as_deref(), Some("keep"));
        assert_eq!(r.get_str("b").as_deref(), Some("2"));
    }

    #[test]
    fn lookup_without_output_clause_writes_all_other_columns() {
        let d = def(&[], true, 0, None);
        let mut o = op(d, "k,a,b\nx,1,\n", &[("k", "k")], None, false);
        let r = run(&mut o, ev(&[("k", "x")]));
        assert_eq!(r.get_str("a").as_deref(), Some("1"));
        assert!(r.get("b").is_none(), "empty cells are missing");
    }

    #[test]
    fn lookup_several_matching_rows_give_multivalue_and_mv_input_looks_up_each_value() {
        let d = def(&["WILDCARD(k)"], true, 0, None);
        let mut o = op(d, "k,v\na*,1\nab*,2\nc,3\n", &[("k", "k")], Some(&[("v", "v")]), false);
        let r = run(&mut o, ev(&[("k", "abc")]));
        assert_eq!(r.get("v").unwrap().atoms().len(), 2);
        let mut e = Event::new();
        e.push("k", "c".into());
        e.push("k", "zz".into());
        e.push("k", "ax".into());
        let r = run(&mut o, e);
        let vs: Vec<String> = r.get("v").unwrap().atoms().iter().map(|a| a.to_string()).collect();
        assert_eq!(vs, vec!["3", "1"]);
    }

    #[test]
    fn lookup_cidr_match_type_matches_subnets() {
        let d = def(&["CIDR(net)"], true, 0, None);
        let mut o = op(d, "net,zone\n10.0.0.0/8,internal\n", &[("net", "ip")], Some(&[("zone", "zone")]), false);
        assert_eq!(run(&mut o, ev(&[("ip", "10.2.3.4")])).get_str("zone").as_deref(), Some("internal"));
        assert!(run(&mut o, ev(&[("ip", "11.2.3.4")])).get("zone").is_none());
    }

    #[test]
    fn lookup_missing_input_field_matches_nothing() {
        let d = def(&[], true, 0, None);
        let mut o = op(d, "k,v\n,1\n", &[("k", "k")], Some(&[("v", "v")]), false);
        assert!(run(&mut o, ev(&[("other", "x")])).get("v").is_none());
    }

    #[test]
    fn inputlookup_append_adds_table_rows_after_results_and_empty_cells_are_missing() {
        let o = op(def(&[], true, 0, None), "a,b\n1,\n2,y\n", &[("a", "a")], None, false);
        let m = crate::search::Matcher::compile(
            &spl_parser::parse_search_expr("a=2").unwrap().unwrap(),
            &crate::search::CompileCtx { now: 0.0, tz: 0 },
        )
        .unwrap();
        let mut il = InputlookupOp { def: o.def.clone(), append: true, where_: None, where_text: String::new() };
        let mut out = Vec::new();
        il.push(ev(&[("x", "0")]), &mut out).unwrap();
        il.finish(&mut out).unwrap();
        assert_eq!(out.len(), 3);
        assert!(out[1].get("b").is_none());
        let mut il = InputlookupOp { def: o.def, append: false, where_: Some(m), where_text: "a=2".into() };
        let mut out = Vec::new();
        il.push(ev(&[("x", "0")]), &mut out).unwrap();
        il.finish(&mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].get_str("b").as_deref(), Some("y"));
    }

    #[test]
    fn outputlookup_refuses_paths() {
        assert!(OutputlookupOp::new("../x.csv", None).is_err());
        assert!(OutputlookupOp::new("a/b.csv", None).is_err());
        assert!(OutputlookupOp::new("ok.csv", None).is_ok());
    }

    #[test]
    fn outputlookup_writes_csv_into_output_dir_and_passes_rows() {
        let tmp = tempfile::Builder::new().prefix("spelunk-outlookup-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut o = OutputlookupOp::new("seen", Some(dir.clone())).unwrap();
        let mut out = Vec::new();
        o.push(ev(&[("a", "1"), ("b", "x,y")]), &mut out).unwrap();
        o.finish(&mut out).unwrap();
        assert_eq!(out.len(), 1);
        let text = std::fs::read_to_string(dir.join("seen.csv")).unwrap();
        assert_eq!(text, "a,b\n1,\"x,y\"\n");
    }
}
