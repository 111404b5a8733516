//! Content: macros, detections, lookups, sourcetype field mappings, eventtypes and CIM data
//! models, loaded from YAML folders in layers. A later layer overrides an earlier one by name,
//! like Splunk's default/local.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value as Yaml;
use spl_parser::{Expr, MacroDef, MacroTable};

use crate::detection::Detection;
use crate::search::{CompileCtx, Matcher};

/// A content error: which file, what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for ContentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for ContentError {}

/// A file of a layer: its path (for messages and relative lookups) and text.
#[derive(Clone, Debug)]
pub struct ContentFile {
    pub path: PathBuf,
    pub text: String,
}

/// Search-time field extraction for one family of events (`content/sourcetypes/*.yml`).
#[derive(Clone, Debug)]
pub struct SourcetypeMapping {
    pub name: String,
    pub file: String,
    /// Event field → glob; all must match (case-insensitive).
    pub matchers: Vec<(String, crate::search::Pattern)>,
    pub rules: Vec<ExtractRule>,
}

#[derive(Clone, Debug)]
pub struct ExtractRule {
    pub when: Option<Matcher>,
    pub when_text: Option<String>,
    /// FIELDALIAS: (target, source).
    pub alias: Vec<(String, String)>,
    /// EVAL: (target, expression, its text).
    pub eval: Vec<(String, Expr, String)>,
    /// Per EVAL, the fields it reads when its value depends on nothing else (see
    /// `extract::memo_inputs`): extraction may reuse the value computed for the same inputs.
    pub memo_inputs: Vec<Option<Vec<String>>>,
    /// Unique to the rule as built (clones share it, and their expressions): keys its memos.
    pub id: u64,
}

/// `content/eventtypes/*.yml`: a named search whose matching events get `eventtype` and `tag`.
#[derive(Clone, Debug)]
pub struct Eventtype {
    pub name: String,
    pub search: Matcher,
    pub search_text: String,
    pub tags: Vec<String>,
}

/// `content/datamodels/*.yml`: a CIM data model.
#[derive(Clone, Debug)]
pub struct DataModel {
    pub name: String,
    pub file: String,
    /// Shared by the `tstats` views that read them (a pack plans hundreds).
    pub datasets: Vec<std::sync::Arc<Dataset>>,
}

#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub parent: Option<String>,
    pub constraint: Option<Matcher>,
    pub constraint_text: Option<String>,
    pub fields: Vec<String>,
    /// Calculated fields: (name, expression, text).
    pub eval: Vec<(String, Expr, String)>,
}

impl DataModel {
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name).map(|d| &**d)
    }

    /// The dataset and its ancestors, root first.
    pub fn lineage(&self, name: &str) -> Vec<std::sync::Arc<Dataset>> {
        let mut chain: Vec<std::sync::Arc<Dataset>> = Vec::new();
        let mut cur = self.datasets.iter().find(|d| d.name == name);
        while let Some(d) = cur {
            if chain.iter().any(|c| c.name == d.name) {
                break; // a cycle in content; stop rather than loop
            }
            chain.push(d.clone());
            cur = d.parent.as_deref().and_then(|p| self.datasets.iter().find(|d| d.name == p));
        }
        chain.reverse();
        chain
    }
}

/// A lookup definition (`lookups/*.yml` in security_content format).
#[derive(Clone, Debug)]
pub struct LookupDef {
    pub name: String,
    /// The CSV file, resolved inside the content folder; `None` for KV-store/model lookups.
    pub file: Option<PathBuf>,
    pub kind: String,
    pub match_type: Vec<String>,
    pub case_sensitive: bool,
    pub min_matches: usize,
    pub max_matches: usize,
    pub default_match: Option<String>,
    /// Columns declared by `fields_list` (KV-store and external lookups).
    pub fields: Vec<String>,
    /// The CSV text when the layer holds it in memory (the embedded built-in pack).
    pub inline_csv: Option<std::sync::Arc<str>>,
    pub yml: String,
}

/// Everything loaded from all layers.
#[derive(Clone, Debug, Default)]
pub struct Content {
    pub macros: MacroTable,
    /// Where each macro came from (for explain / warnings).
    pub macro_origin: HashMap<(String, usize), String>,
    /// The detection files of every layer, in load order: read (when the layer is on disk,
    /// `None`) and parsed only when asked for (`detections`), since a run names its own.
    detection_files: Vec<(PathBuf, Option<std::sync::Arc<str>>)>,
    pub sourcetypes: Vec<SourcetypeMapping>,
    pub eventtypes: Vec<Eventtype>,
    /// The fields the eventtype searches read, with a memo id: which eventtypes (and tags) an
    /// event gets depends on those values alone, so it is memoised on them. `None`: a search
    /// reads `_raw` or `_time`, or the list was set by hand (then each event is matched).
    pub eventtype_inputs: Option<(u64, Vec<String>)>,
    pub datamodels: Vec<DataModel>,
    pub lookups: HashMap<String, LookupDef>,
    /// CSV files of in-memory layers (the embedded pack), by path, for their lookups.
    pub inline_files: HashMap<PathBuf, std::sync::Arc<str>>,
    /// Problems found while loading that do not stop a run (file, message).
    pub warnings: Vec<ContentError>,
    /// The run forces every input's index (`--index`): a record's index is then not what its
    /// text says, and no requirement on `index` is judged on the raw record.
    pub index_forced: bool,
}

/// Refuse YAML that leans on aliases (a "billion laughs" document expands exponentially).
pub fn yaml_guard(file: &str, text: &str) -> Result<(), ContentError> {
    let aliases = text.as_bytes().windows(2).filter(|w| matches!(w, [b' ' | b'[' | b',', b'*'])).count();
    let anchors = text.as_bytes().windows(2).filter(|w| matches!(w, [b' ', b'&'])).count();
    if anchors > 0 && aliases > 64 {
        return Err(ContentError { file: file.into(), message: format!("refused: {aliases} YAML aliases (limit 64)") });
    }
    if text.len() > 16 << 20 {
        return Err(ContentError { file: file.into(), message: "refused: YAML file over 16 MiB".into() });
    }
    Ok(())
}

pub fn parse_yaml(file: &str, text: &str) -> Result<Yaml, ContentError> {
    yaml_guard(file, text)?;
    serde_yaml::from_str(text).map_err(|e| ContentError { file: file.into(), message: format!("YAML: {e}") })
}

/// A scalar under `key` as text (YAML numbers and booleans too).
pub(crate) fn str_of(v: &Yaml, key: &str) -> Option<String> {
    match v.get(key)? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of scalars under `key` (a lone string counts as a list of one).
pub(crate) fn list_of(v: &Yaml, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Yaml::Sequence(s)) => s
            .iter()
            .filter_map(|x| match x {
                Yaml::String(s) => Some(s.clone()),
                Yaml::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Yaml::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn compile_search(file: &str, text: &str, now: f64) -> Result<Matcher, ContentError> {
    let err = |m: String| ContentError { file: file.into(), message: m };
    match spl_parser::parse_search_expr(text).map_err(|e| err(format!("search `{text}`: {}", e.message)))? {
        None => Ok(Matcher::True),
        Some(expr) => Matcher::compile(&expr, &CompileCtx { now, tz: 0 })
            .map_err(|e| err(format!("search `{text}`: {}", e.message))),
    }
}

fn eval_map(file: &str, v: Option<&Yaml>) -> Result<Vec<(String, Expr, String)>, ContentError> {
    let mut out = Vec::new();
    if let Some(Yaml::Mapping(m)) = v {
        for (k, e) in m {
            let (Some(k), Some(text)) = (k.as_str(), yaml_scalar(e)) else { continue };
            let expr = spl_parser::parse_eval_expr(&text).map_err(|e| ContentError {
                file: file.into(),
                message: format!("eval `{k}`: `{text}`: {}", e.message),
            })?;
            out.push((k.to_string(), expr, text));
        }
    }
    Ok(out)
}

fn yaml_scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Content {
    /// Add a macro (later definitions win).
    pub fn add_macro(&mut self, def: MacroDef, origin: &str) {
        self.macro_origin.insert((def.name.clone(), def.arguments.len()), origin.to_string());
        self.macros.insert(def);
    }

    /// Load one layer: a folder shaped like security_content (`macros/`, `lookups/`,
    /// `detections/`) and/or like this project's `content/` (`sourcetypes/`, `eventtypes/`,
    /// `datamodels/`, `detections/`, `lookups/`).
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), ContentError> {
        if !dir.is_dir() {
            return Err(ContentError { file: dir.display().to_string(), message: "not a folder".into() });
        }
        let (mut files, mut detections) = (Vec::new(), Vec::new());
        collect_yaml(dir, dir, &mut files, &mut detections, 0)?;
        self.load_files(dir, files)?;
        self.detection_files.extend(detections.into_iter().map(|p| (p, None)));
        Ok(())
    }

    /// The detections of every layer, parsed on all cores; a later layer's detection replaces
    /// an earlier one of the same name. Files that are not a detection are the second list.
    pub fn detections(&self) -> (Vec<Detection>, Vec<ContentError>) {
        use rayon::prelude::*;
        let parsed: Vec<Result<Detection, ContentError>> = self
            .detection_files
            .par_iter()
            .map(|(path, text)| {
                let file = path.display().to_string();
                match text {
                    Some(text) => Detection::from_yaml(&file, text),
                    None => match std::fs::read_to_string(path) {
                        Ok(text) => Detection::from_yaml(&file, &text),
                        Err(e) => Err(ContentError { file, message: e.to_string() }),
                    },
                }
            })
            .collect();
        let mut out: indexmap::IndexMap<String, Detection> = indexmap::IndexMap::new();
        let mut errors = Vec::new();
        for d in parsed {
            match d {
                Ok(d) => {
                    // The replacement takes the place of the last one loaded.
                    out.shift_remove(&d.name);
                    out.insert(d.name.clone(), d);
                }
                Err(e) => errors.push(e),
            }
        }
        (out.into_values().collect(), errors)
    }

    /// Load YAML files of one layer; `root` resolves lookup CSV files.
    pub fn load_files(&mut self, root: &Path, files: Vec<ContentFile>) -> Result<(), ContentError> {
        // CSV files of an in-memory layer first, so its lookup definitions can find them.
        let (csvs, files): (Vec<ContentFile>, Vec<ContentFile>) =
            files.into_iter().partition(|f| f.path.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")));
        for f in csvs {
            self.inline_files.insert(f.path, f.text.into());
        }
        for f in files {
            let file = f.path.display().to_string();
            let result = match kind_of(root, &f.path) {
                Some("macros") => self.load_macro_file(&file, &f.text),
                Some("lookups") => self.load_lookup(root, &f.path, &f.text),
                Some("detections") => {
                    self.detection_files.push((f.path, Some(f.text.into())));
                    continue;
                }
                Some("sourcetypes") => self.load_sourcetype(&file, &f.text),
                Some("eventtypes") => self.load_eventtypes(&file, &f.text),
                Some("datamodels") => self.load_datamodel(&file, &f.text),
                _ => Ok(()),
            };
            if let Err(e) = result {
                self.warnings.push(e);
            }
        }
        Ok(())
    }

    pub fn load_macro_file(&mut self, file: &str, text: &str) -> Result<(), ContentError> {
        let y = parse_yaml(file, text)?;
        let items: Vec<&Yaml> = match &y {
            Yaml::Sequence(s) => s.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let (Some(name), Some(definition)) = (str_of(item, "name"), str_of(item, "definition")) else {
                return Err(ContentError { file: file.into(), message: "macro needs `name` and `definition`".into() });
            };
            let arguments = list_of(item, "arguments");
            self.add_macro(MacroDef { name, arguments, definition }, file);
        }
        Ok(())
    }

    fn load_lookup(&mut self, root: &Path, path: &Path, text: &str) -> Result<(), ContentError> {
        let file = path.display().to_string();
        let y = parse_yaml(&file, text)?;
        let name = str_of(&y, "name")
            .ok_or_else(|| ContentError { file: file.clone(), message: "lookup needs `name`".into() })?;
        let csv = match str_of(&y, "filename") {
            Some(f) => Some(
                resolve_inside(root, path.parent().unwrap_or(root), &f)
                    .map_err(|m| ContentError { file: file.clone(), message: m })?,
            ),
            None => None,
        };
        // `match_type: WILDCARD(field), CIDR(other)` as a string or list.
        let mt = match y.get("match_type") {
            Some(Yaml::String(s)) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
            _ => list_of(&y, "match_type"),
        };
        // `fields_list: a, b, c` (transforms.conf style) or a YAML list.
        let fields = match y.get("fields_list") {
            Some(Yaml::String(s)) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
            _ => list_of(&y, "fields_list"),
        };
        let inline_csv = csv.as_ref().and_then(|p| self.inline_files.get(p).cloned());
        let truthy = |k: &str, default: bool| {
            str_of(&y, k).map_or(default, |s| matches!(s.to_ascii_lowercase().as_str(), "true" | "1"))
        };
        let def = LookupDef {
            name: name.clone(),
            kind: if csv.is_some() {
                "csv".into()
            } else if y.get("collection").is_some() {
                "kvstore".into()
            } else if y.get("external_cmd").is_some() {
                "external".into()
            } else {
                "model".into()
            },
            file: csv,
            match_type: mt,
            case_sensitive: truthy("case_sensitive_match", true),
            min_matches: str_of(&y, "min_matches").and_then(|s| s.parse().ok()).unwrap_or(0),
            max_matches: str_of(&y, "max_matches").and_then(|s| s.parse().ok()).unwrap_or(100),
            default_match: str_of(&y, "default_match"),
            fields,
            inline_csv,
            yml: file,
        };
        self.lookups.insert(name, def);
        Ok(())
    }

    fn load_sourcetype(&mut self, file: &str, text: &str) -> Result<(), ContentError> {
        let y = parse_yaml(file, text)?;
        let name = str_of(&y, "name").unwrap_or_else(|| file.to_string());
        let mut matchers = Vec::new();
        if let Some(Yaml::Mapping(m)) = y.get("match") {
            for (k, v) in m {
                if let (Some(k), Some(v)) = (k.as_str(), yaml_scalar(v)) {
                    matchers.push((k.to_string(), crate::search::Pattern::new(&v)));
                }
            }
        }
        let mut rules = Vec::new();
        if let Some(Yaml::Sequence(rs)) = y.get("rules") {
            for r in rs {
                let when_text = str_of(r, "when");
                let when = match &when_text {
                    Some(t) => Some(compile_search(file, t, 0.0)?),
                    None => None,
                };
                let mut alias = Vec::new();
                if let Some(Yaml::Mapping(m)) = r.get("alias") {
                    for (k, v) in m {
                        if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                            alias.push((k.to_string(), v.to_string()));
                        }
                    }
                }
                let eval = eval_map(file, r.get("eval"))?;
                let memo_inputs = eval.iter().map(|(_, e, _)| crate::extract::memo_inputs(e)).collect();
                rules.push(ExtractRule {
                    when,
                    when_text,
                    alias,
                    eval,
                    memo_inputs,
                    id: crate::extract::new_rule_id(),
                });
            }
        }
        self.sourcetypes.retain(|s| s.name != name);
        self.sourcetypes.push(SourcetypeMapping { name, file: file.into(), matchers, rules });
        Ok(())
    }

    fn load_eventtypes(&mut self, file: &str, text: &str) -> Result<(), ContentError> {
        let y = parse_yaml(file, text)?;
        let items: Vec<&Yaml> = match &y {
            Yaml::Sequence(s) => s.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let (Some(name), Some(search)) = (str_of(item, "name"), str_of(item, "search")) else {
                return Err(ContentError { file: file.into(), message: "eventtype needs `name` and `search`".into() });
            };
            let m = compile_search(file, &search, 0.0)?;
            self.eventtypes.retain(|e| e.name != name);
            self.eventtypes.push(Eventtype { name, search: m, search_text: search, tags: list_of(item, "tags") });
        }
        let mut inputs = Vec::new();
        self.eventtypes.iter().for_each(|e| e.search.fields(&mut inputs));
        self.eventtype_inputs =
            (!inputs.iter().any(|f| f == "_raw" || f == "_time")).then(|| (crate::extract::new_rule_id(), inputs));
        Ok(())
    }

    fn load_datamodel(&mut self, file: &str, text: &str) -> Result<(), ContentError> {
        let y = parse_yaml(file, text)?;
        let name = str_of(&y, "name")
            .ok_or_else(|| ContentError { file: file.into(), message: "data model needs `name`".into() })?;
        let mut datasets = Vec::new();
        if let Some(Yaml::Sequence(ds)) = y.get("datasets") {
            for d in ds {
                let Some(dname) = str_of(d, "name") else {
                    return Err(ContentError { file: file.into(), message: format!("{name}: dataset without `name`") });
                };
                let constraint_text = str_of(d, "constraint");
                let constraint = match &constraint_text {
                    Some(t) => Some(compile_search(file, t, 0.0)?),
                    None => None,
                };
                let mut fields = Vec::new();
                if let Some(Yaml::Sequence(fs)) = d.get("fields") {
                    for f in fs {
                        match f {
                            Yaml::String(s) => fields.push(s.clone()),
                            Yaml::Mapping(_) => {
                                if let Some(n) = str_of(f, "name") {
                                    fields.push(n)
                                }
                            }
                            _ => {}
                        }
                    }
                }
                datasets.push(std::sync::Arc::new(Dataset {
                    name: dname,
                    parent: str_of(d, "parent").filter(|p| !p.is_empty() && p != "null"),
                    constraint,
                    constraint_text,
                    fields,
                    eval: eval_map(file, d.get("eval"))?,
                }));
            }
        }
        self.datamodels.retain(|m| m.name != name);
        self.datamodels.push(DataModel { name, file: file.into(), datasets });
        Ok(())
    }

    pub fn datamodel(&self, name: &str) -> Option<&DataModel> {
        self.datamodels.iter().find(|m| m.name == name)
    }

    /// Macro table for one detection: its `<name>_filter` macro defaults to `search *` when no
    /// layer defines it (contentctl's rule).
    pub fn macros_for(&self, det: Option<&Detection>) -> MacroTable {
        let mut t = self.macros.clone();
        if let Some(d) = det {
            let f = d.filter_macro_name();
            if t.get(&f, 0).is_none() {
                t.insert(MacroDef { name: f, arguments: Vec::new(), definition: "search *".into() });
            }
        }
        t
    }
}

/// Resolve `name` relative to `dir`, refusing anything that leaves `root` (absolute paths,
/// `..`, symlinks pointing out).
pub fn resolve_inside(root: &Path, dir: &Path, name: &str) -> Result<PathBuf, String> {
    let p = Path::new(name);
    if p.is_absolute()
        || p.components().any(|c| matches!(c, std::path::Component::ParentDir | std::path::Component::Prefix(_)))
    {
        return Err(format!("refused file `{name}`: it must stay inside the content folder"));
    }
    let joined = dir.join(p);
    if let (Ok(real), Ok(real_root)) = (joined.canonicalize(), root.canonicalize()) {
        if !real.starts_with(&real_root) {
            return Err(format!("refused file `{name}`: it resolves outside the content folder"));
        }
    }
    Ok(joined)
}

/// What a file of a layer holds: the first folder of its path below `root` named for a kind.
fn kind_of(root: &Path, path: &Path) -> Option<&'static str> {
    const KINDS: [&str; 6] = ["macros", "lookups", "detections", "sourcetypes", "eventtypes", "datamodels"];
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().find_map(|c| KINDS.into_iter().find(|k| c.as_os_str() == *k))
}

/// The YAML files below `dir`, read, into `out`; detections (a pack holds a thousand, which a
/// run rarely needs) only by path, into `detections`.
fn collect_yaml(
    root: &Path,
    dir: &Path,
    out: &mut Vec<ContentFile>,
    detections: &mut Vec<PathBuf>,
    depth: usize,
) -> Result<(), ContentError> {
    if depth > 16 {
        return Ok(());
    }
    let err = |e: std::io::Error| ContentError { file: dir.display().to_string(), message: e.to_string() };
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(err)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_symlink() {
            // Symlinks may point out of the content folder: follow only those that stay inside.
            if resolve_inside(root, dir, &e.file_name().to_string_lossy()).is_err() {
                continue;
            }
        }
        if path.is_dir() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') || name == "deprecated" {
                continue;
            }
            collect_yaml(root, &path, out, detections, depth + 1)?;
        } else if path.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            if kind_of(root, &path) == Some("detections") {
                detections.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ContentError { file: path.display().to_string(), message: e.to_string() })?;
            out.push(ContentFile { path, text });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A content folder with a `lookups` folder, removed when the test ends.
    fn scratch(name: &str) -> tempfile::TempDir {
        let d = tempfile::Builder::new().prefix(&format!("spelunk-content-{name}-")).tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("lookups")).unwrap();
        d
    }

    #[test]
    fn lookup_files_resolve_only_inside_the_content_folder() {
        let tmp = scratch("escape");
        let root = tmp.path().to_path_buf();
        let dir = root.join("lookups");
        assert!(resolve_inside(&root, &dir, "../../etc/passwd").is_err());
        assert!(resolve_inside(&root, &dir, "/etc/passwd").is_err());
        assert!(resolve_inside(&root, &dir, "ok.csv").is_ok());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/passwd", dir.join("link.csv")).unwrap();
            assert!(resolve_inside(&root, &dir, "link.csv").is_err(), "a symlink out is refused");
        }
    }

    #[test]
    fn a_lookup_naming_a_file_outside_is_refused_with_a_warning() {
        let tmp = scratch("evil");
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join("lookups/evil.yml"), "name: evil\nfilename: ../../../etc/passwd\n").unwrap();
        let mut c = Content::default();
        c.load_dir(&root).unwrap();
        assert!(!c.lookups.contains_key("evil"));
        assert!(c.warnings.iter().any(|w| w.message.contains("inside the content folder")), "{:?}", c.warnings);
    }

    #[test]
    fn detections_are_parsed_when_asked_for_and_a_later_layer_replaces_one_of_the_same_name() {
        let det = |name: &str, search: &str| ContentFile {
            path: PathBuf::from(format!("/c/detections/{}.yml", name.replace(' ', "_"))),
            text: format!("name: {name}\nsearch: '{search}'\n"),
        };
        let mut c = Content::default();
        let first = vec![det("A", "search a=1"), det("B", "search b=1"), det("C", "search c=1")];
        c.load_files(Path::new("/c"), first).unwrap();
        let broken = ContentFile { path: PathBuf::from("/c/detections/broken.yml"), text: "name: [unclosed".into() };
        c.load_files(Path::new("/c"), vec![det("A", "search a=2"), broken]).unwrap();
        assert!(c.warnings.is_empty(), "nothing is parsed at load time: {:?}", c.warnings);
        let (dets, errors) = c.detections();
        let got: Vec<(&str, &str)> = dets.iter().map(|d| (d.name.as_str(), d.search.as_str())).collect();
        assert_eq!(got, [("B", "search b=1"), ("C", "search c=1"), ("A", "search a=2")]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].file.ends_with("broken.yml"), "{errors:?}");
        // A layer on disk: its detection files are read when asked for, in the same order.
        let tmp = scratch("lazy-detections");
        let root = tmp.path().to_path_buf();
        std::fs::create_dir_all(root.join("detections/endpoint")).unwrap();
        std::fs::write(root.join("detections/endpoint/b.yml"), "name: B\nsearch: 'search b=3'\n").unwrap();
        std::fs::write(root.join("detections/endpoint/d.yml"), "name: D\nsearch: 'search d=1'\n").unwrap();
        c.load_dir(&root).unwrap();
        let (dets, errors) = c.detections();
        let got: Vec<(&str, &str)> = dets.iter().map(|d| (d.name.as_str(), d.search.as_str())).collect();
        assert_eq!(got, [("C", "search c=1"), ("A", "search a=2"), ("B", "search b=3"), ("D", "search d=1")]);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn yaml_alias_bombs_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            bomb.push_str(&format!(
                "b{i}: &b{i} [{}]\n",
                vec![if i == 0 { "*a".to_string() } else { format!("*b{}", i - 1) }; 10].join(", ")
            ));
        }
        assert!(parse_yaml("bomb.yml", &bomb).is_err());
    }
}
