//! Content layers and search compilation (macro expansion → parse → plan) for the CLI.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use spl_engine::content::{Content, ContentFile};
use spl_engine::detection::Detection;
use spl_engine::exec::{Context, Pipeline};
use spl_engine::plan::{self, PlanError};
use spl_parser::{MacroDef, MacroTable};

use crate::Common;

/// The project's own macros and content pack, embedded so the binary works anywhere.
static BUILTIN_MACROS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/macros");
static BUILTIN_CONTENT: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// A failure to compile a search, already rendered for the user (with caret when possible).
#[derive(Debug)]
pub enum CompileError {
    /// Macro or syntax error.
    Syntax(String),
    /// Parses, but uses commands/functions the engine cannot execute.
    Unsupported(Vec<String>, String),
    /// Plan-time error (bad regex, unknown data model …).
    Invalid(String),
}

impl CompileError {
    pub fn render(&self) -> String {
        match self {
            CompileError::Syntax(m) | CompileError::Invalid(m) => m.clone(),
            CompileError::Unsupported(_, m) => m.clone(),
        }
    }
}

pub struct Compiled {
    pub expanded: spl_parser::Expanded,
    pub ast: spl_parser::Pipeline,
    pub plan: Pipeline,
}

fn embedded_files(dir: &Dir<'_>, prefix: &str, out: &mut Vec<ContentFile>) {
    for f in dir.files() {
        // YAML, and the CSV tables of the pack's lookups (held in memory).
        if f.path().extension().is_some_and(|x| x == "yml" || x == "yaml" || x == "csv") {
            if let Some(text) = f.contents_utf8() {
                out.push(ContentFile { path: PathBuf::from(prefix).join(f.path()), text: text.to_string() });
            }
        }
    }
    for d in dir.dirs() {
        embedded_files(d, prefix, out);
    }
}

/// Parse `NAME=DEF` or `NAME(a,b)=DEF`.
pub fn parse_macro_flag(s: &str) -> Result<MacroDef, String> {
    let (head, def) = s.split_once('=').ok_or_else(|| format!("--macro `{s}`: expected NAME=DEFINITION"))?;
    let head = head.trim();
    let (name, args) = match head.split_once('(') {
        Some((n, rest)) => {
            let inner = rest.strip_suffix(')').ok_or_else(|| format!("--macro `{s}`: unclosed `(` in the name"))?;
            (n.trim(), inner.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect())
        }
        None => (head, Vec::new()),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')) {
        return Err(format!("--macro `{s}`: `{name}` is not a macro name"));
    }
    Ok(MacroDef { name: name.to_string(), arguments: args, definition: def.to_string() })
}

/// Load the layers: built-in pack, then each `--content` folder, then `--macros-file`s, then
/// `--macro` flags.
pub fn load_content(common: &Common) -> Result<Content, String> {
    let mut content = Content::default();
    let mut files = Vec::new();
    embedded_files(&BUILTIN_MACROS, "builtin/macros", &mut files);
    embedded_files(&BUILTIN_CONTENT, "builtin/content", &mut files);
    content.load_files(Path::new("builtin"), files).map_err(|e| e.to_string())?;
    for dir in &common.content {
        content.load_dir(dir).map_err(|e| format!("--content {}: {}", dir.display(), e.message))?;
    }
    for f in &common.macros_files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("--macros-file {}: {e}", f.display()))?;
        content.load_macro_file(&f.display().to_string(), &text).map_err(|e| e.to_string())?;
    }
    for m in &common.macros {
        content.add_macro(parse_macro_flag(m)?, "--macro");
    }
    Ok(content)
}

pub fn now(common: &Common) -> f64 {
    common.now.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
    })
}

/// Parse `+02:00`/`-0530`/`UTC` into seconds east of UTC.
pub fn parse_tz(s: &str) -> Result<i32, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let (sign, rest) = match t.chars().next() {
        Some('+') => (1, &t[1..]),
        Some('-') => (-1, &t[1..]),
        _ => return Err(format!("--tz `{s}`: expected an offset like +02:00 or UTC")),
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().unwrap_or(0), 0),
        4 => (digits[..2].parse::<i32>().unwrap_or(0), digits[2..].parse::<i32>().unwrap_or(0)),
        _ => return Err(format!("--tz `{s}`: expected an offset like +02:00 or UTC")),
    };
    if h > 14 || m > 59 {
        return Err(format!("--tz `{s}`: offset out of range"));
    }
    Ok(sign * (h * 3600 + m * 60))
}

pub fn context(content: Arc<Content>, common: &Common) -> Result<Context, String> {
    let mut ctx = Context::new(content, now(common));
    if let Some(tz) = &common.tz {
        ctx.fns.tz.offset_seconds = parse_tz(tz)?;
    }
    ctx.geoip = common
        .geoip
        .clone()
        .or_else(|| std::env::var_os("SPELUNK_GEOIP_DB").filter(|v| !v.is_empty()).map(PathBuf::from));
    Ok(ctx)
}

/// The search time range of `--earliest`/`--latest`, read as Splunk reads time modifiers,
/// relative to the run's now and in its time zone.
pub fn time_range(
    earliest: Option<&str>,
    latest: Option<&str>,
    ctx: &Context,
) -> Result<spl_engine::exec::TimeRange, String> {
    let read = |opt: &str, spec: Option<&str>| -> Result<Option<f64>, String> {
        let Some(spec) = spec else { return Ok(None) };
        spl_engine::timefmt::relative_time(ctx.fns.now, spec, ctx.fns.tz.offset_seconds).map(Some).ok_or_else(|| {
            format!(
                "--{opt} `{spec}`: not a time (a time modifier such as -24h or -7d@d, now, an epoch, \
                 or %m/%d/%Y:%H:%M:%S)"
            )
        })
    };
    let range = spl_engine::exec::TimeRange { earliest: read("earliest", earliest)?, latest: read("latest", latest)? };
    if let (Some(e), Some(l)) = (range.earliest, range.latest) {
        if e >= l {
            return Err(format!(
                "--earliest ({}) is not before --latest ({}): the time range holds no event",
                crate::output::iso_time(e, ctx.fns.tz.offset_seconds),
                crate::output::iso_time(l, ctx.fns.tz.offset_seconds)
            ));
        }
    }
    Ok(range)
}

/// Content layers and the run context, or the message to print (a usage error).
pub fn content_and_context(common: &Common) -> Result<(Arc<Content>, Context), String> {
    let content = Arc::new(load_content(common)?);
    let ctx = context(content.clone(), common)?;
    Ok((content, ctx))
}

/// Expand, parse and plan `spl` with `macros`. `origin` names the search in messages.
pub fn compile(spl: &str, macros: &MacroTable, ctx: &Context, origin: &str) -> Result<Compiled, CompileError> {
    let expanded = spl_parser::expand(spl, macros).map_err(|e| {
        CompileError::Syntax(format!("{origin}:\n{}", spl_parser::render_caret(spl, e.span, &e.message)))
    })?;
    let ast = spl_parser::parse_pipeline(&expanded.text)
        .map_err(|e| CompileError::Syntax(format!("{origin}:\n{}", expanded.render_error(e.span, &e.message))))?;
    match plan::plan(&ast, &expanded.text, ctx) {
        Ok(plan) => Ok(Compiled { expanded, ast, plan }),
        Err(PlanError::Unsupported(items)) => {
            let names: Vec<String> = items.iter().map(|u| u.what.clone()).collect();
            let mut msg = format!("{origin}: not executable by this engine yet:");
            for u in &items {
                msg.push('\n');
                msg.push_str(&expanded.render_error(u.span, &format!("unsupported {}", u.what)));
            }
            Err(CompileError::Unsupported(names, msg))
        }
        Err(PlanError::Invalid { message, span }) => {
            Err(CompileError::Invalid(format!("{origin}:\n{}", expanded.render_error(span, &message))))
        }
    }
}

/// Load detections named on the command line (files or folders).
pub fn load_detections(paths: &[PathBuf]) -> Result<Vec<Detection>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files = Vec::new();
            walk_yaml(p, &mut files, 0).map_err(|e| format!("{}: {e}", p.display()))?;
            // Parsed on all cores (a pack is a thousand files), kept in file order.
            use rayon::prelude::*;
            let parsed: Vec<Result<Option<Detection>, String>> = files
                .par_iter()
                .map(|f| {
                    let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
                    // Folders may hold other YAML (macros, lookups): keep only files with `search:`.
                    match Detection::from_yaml(&f.display().to_string(), &text) {
                        Ok(d) => Ok(Some(d)),
                        Err(e) if e.message.contains("missing key") => Ok(None),
                        Err(e) => Err(e.to_string()),
                    }
                })
                .collect();
            for d in parsed {
                out.extend(d?);
            }
        } else {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            out.push(Detection::from_yaml(&p.display().to_string(), &text).map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

fn walk_yaml(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> std::io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if name == "deprecated" {
                continue;
            }
            walk_yaml(&p, out, depth + 1)?;
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_flag_with_arguments() {
        let m = parse_macro_flag("f(a, b)=search $a$=$b$").unwrap();
        assert_eq!(m.name, "f");
        assert_eq!(m.arguments, ["a", "b"]);
        assert_eq!(m.definition, "search $a$=$b$");
        assert!(parse_macro_flag("nodef").is_err());
        assert!(parse_macro_flag("bad name=x").is_err());
    }

    #[test]
    fn tz_offsets() {
        assert_eq!(parse_tz("+02:00"), Ok(7200));
        assert_eq!(parse_tz("-0530"), Ok(-19800));
        assert_eq!(parse_tz("UTC"), Ok(0));
        assert!(parse_tz("Europe/Paris").is_err());
    }
}
