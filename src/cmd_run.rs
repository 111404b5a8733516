//! `spelunk run`, `spelunk search`, `spelunk explain`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use spl_engine::detection::Detection;
use spl_engine::exec::{Flow, Runtime};
use spl_engine::read::ReadOptions;
use spl_engine::{Atom, Event, Value};

use crate::output::{self, Format, Visibility};
use crate::session::{self, CompileError};
use crate::source::FileSource;
use crate::{exit, Common, Input, OutputArgs};

/// How errors name a detection: `NAME (FILE)`, or `search` for SPL given on the command line.
fn origin(det: &Detection, adhoc: bool) -> String {
    if adhoc {
        "search".to_string()
    } else {
        format!("{} ({})", det.name, det.file)
    }
}

fn fail(msg: impl AsRef<str>, code: u8) -> u8 {
    eprintln!("error: {}", msg.as_ref());
    code
}

fn open_output(out: &OutputArgs) -> Result<(Box<dyn Write>, Format), String> {
    let format = out.format.unwrap_or(if out.output.is_none() && std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let w: Box<dyn Write> = match &out.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| format!("--output {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    Ok((w, format))
}

/// Internal fields the search's last `table`/`fields` names explicitly are shown.
fn visibility(ast: &spl_parser::Pipeline, tz: i32) -> Visibility {
    let mut keep = Vec::new();
    for c in ast.commands.iter().rev() {
        let names: Vec<&str> = match &c.body {
            spl_parser::CommandBody::Table(f) => f.iter().map(|x| x.name.as_str()).collect(),
            spl_parser::CommandBody::Fields { remove: false, fields } => {
                fields.iter().map(|x| x.name.as_str()).collect()
            }
            _ => continue,
        };
        keep = names.into_iter().filter(|n| n.starts_with('_')).map(str::to_string).collect();
        break;
    }
    Visibility { keep_internal: keep, tz_offset: tz }
}

/// A write to a closed pipe (`| head`) ends the run quietly.
fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

pub fn search(spl: &str, common: &Common, input: &Input, out: &OutputArgs) -> u8 {
    let det = Detection { name: "search".into(), search: spl.to_string(), ..Default::default() };
    run_detections(&[det], common, input, out, false, true)
}

pub fn run(paths: &[PathBuf], common: &Common, input: &Input, out: &OutputArgs, risk: bool) -> u8 {
    let dets = match session::load_detections(paths) {
        Ok(d) if d.is_empty() => return fail("no detections found", exit::USAGE),
        Ok(d) => d,
        Err(e) => return fail(e, exit::DETECTION_ERROR),
    };
    run_detections(&dets, common, input, out, risk, false)
}

fn run_detections(dets: &[Detection], common: &Common, input: &Input, out: &OutputArgs, risk: bool, adhoc: bool) -> u8 {
    let content = match session::load_content(common) {
        Ok(mut c) => {
            c.index_forced = input.index.is_some();
            Arc::new(c)
        }
        Err(e) => return fail(e, exit::USAGE),
    };
    for w in &content.warnings {
        if !input.quiet {
            eprintln!("warning: {w}");
        }
    }
    let mut ctx = match session::context(content.clone(), common) {
        Ok(c) => c,
        Err(e) => return fail(e, exit::USAGE),
    };
    ctx.range = match session::time_range(input.earliest.as_deref(), input.latest.as_deref(), &ctx) {
        Ok(r) => r,
        Err(e) => return fail(e, exit::USAGE),
    };
    if let Some(dir) = &input.temp_dir {
        if !dir.is_dir() {
            return fail(format!("--temp-dir {}: not a folder", dir.display()), exit::USAGE);
        }
    }
    spl_engine::spill::set_dir(input.temp_dir.clone());
    spl_engine::spill::set_budget(input.memory_budget);
    let opts = ReadOptions {
        sourcetype: input.sourcetype.clone(),
        source: input.source.clone(),
        host: None,
        index: input.index.clone(),
    };
    // Without --events only a search that reads no events can run (checked once planned).
    let no_input = input.events.is_empty();
    if no_input && !adhoc {
        return fail("spelunk run needs --events FILE|DIR: the events to run the detections over", exit::USAGE);
    }
    let mut source = if no_input {
        FileSource::empty(opts, ctx.clone())
    } else {
        match FileSource::new(&input.events, opts, ctx.clone(), input.strict) {
            Ok(s) => s,
            Err(e) => return fail(e, exit::INPUT_ERROR),
        }
    };
    if !input.quiet && std::io::stderr().is_terminal() {
        source.progress = Some(crate::source::Progress::new(&source.files));
    }
    let (w, format) = match open_output(out) {
        Ok(x) => x,
        Err(e) => return fail(e, exit::USAGE),
    };
    let multi = dets.len() > 1;
    let mut code = exit::OK;
    let mut summary = Vec::new();
    // Compile everything first, then read the input once for all detections.
    let mut compiled = Vec::new();
    // Planned on all cores (a pack is a thousand searches), reported in detection order.
    let planned: Vec<_> = {
        use rayon::prelude::*;
        dets.par_iter()
            .map(|det| {
                let origin = origin(det, adhoc);
                let macros = content.macros_for(if adhoc { None } else { Some(det) });
                let result = session::compile(&det.search, &macros, &ctx, &origin);
                (det, origin, result)
            })
            .collect()
    };
    for (det, origin, result) in planned {
        match result {
            Ok(c) => compiled.push((det, origin, c)),
            Err(e) => {
                eprintln!("error: {}", e.render());
                code = exit::DETECTION_ERROR;
                summary.push(format!(
                    "{}: {}",
                    det.name,
                    if matches!(e, CompileError::Unsupported(..)) { "unsupported" } else { "error" }
                ));
            }
        }
    }
    if no_input && compiled.iter().any(|(_, _, c)| c.plan.needs_input()) {
        return fail(
            "this search reads events: name them with --events FILE|DIR (only a search that starts with a \
             generating command, such as `| makeresults` or `| inputlookup`, runs without)",
            exit::USAGE,
        );
    }
    // Fields no search reads need not be extracted (every one of them when a search shows raw
    // events or takes fields by wildcard).
    source.skip = spl_engine::needed::skip_for(
        &content,
        &compiled.iter().map(|(_, _, c)| c.expanded.text.as_str()).collect::<Vec<_>>(),
        compiled.iter().any(|(_, _, c)| spl_engine::needed::reads_unnamed_fields(&c.ast)),
        compiled.iter().any(|(_, _, c)| spl_engine::needed::uses_data_models(&c.ast)),
    );
    // Without subsearches a run reads its input once: standard input need not be copied.
    source.stdin_once = compiled.iter().all(|(_, _, c)| c.plan.ops.iter().all(|op| op.children().is_empty()));
    let vis = compiled.first().map(|(_, _, c)| visibility(&c.ast, ctx.fns.tz.offset_seconds)).unwrap_or_default();
    // The syntax trees are read only up to here: a pack's take ~5 MB through the run.
    for (_, _, c) in compiled.iter_mut() {
        c.ast.commands = Vec::new();
    }
    let mut writer = output::writer(format, w, vis);
    let rt = Runtime { source: &source, ctx: &ctx };
    let compiled_dets: Vec<&Detection> = compiled.iter().map(|(d, _, _)| *d).collect();
    let shape = |det: &Detection, mut ev: Event| -> Event {
        if risk {
            ev = risk_event(det, &ev, ctx.fns.now);
        } else if multi {
            let mut tagged = Event::new();
            tagged.set("search_name", det.name.clone());
            tagged.fields.extend(ev.fields);
            ev = tagged;
        }
        ev
    };
    let mut counts = vec![0u64; compiled.len()];
    let mut costs = input.profile.then(|| vec![spl_engine::exec::PipeCost::default(); compiled.len()]);
    let mut io_err: Option<std::io::Error> = None;
    // Rows of several detections wait for the end of the pass, packed (a fraction of a map),
    // spilled past the memory budget.
    let mut held: Vec<spl_engine::spill::RowSpool> = (0..compiled.len()).map(|_| Default::default()).collect();
    let mut packer = spl_engine::packed::Packer::default();
    let single = compiled.len() == 1;
    let outcome = {
        let mut plans: Vec<&mut spl_engine::exec::Pipeline> =
            compiled.iter_mut().map(|(_, _, c)| &mut c.plan).collect();
        let dets_only: Vec<&Detection> = compiled_dets.clone();
        rt.run_many_profiled(
            &mut plans,
            &mut |i, row| {
                if let Some(n) = counts.get_mut(i) {
                    *n += 1;
                }
                if single {
                    // One detection: rows stream out as they are final.
                    let Some(det) = dets_only.get(i) else { return Ok(Flow::Continue) };
                    if let Err(e) = writer.row(&shape(det, row.into_event())) {
                        io_err = Some(e);
                        return Ok(Flow::Stop);
                    }
                } else if let Some(h) = held.get_mut(i) {
                    // Several: rows are printed per detection, in detection order, after the pass.
                    h.push_packed(row.into_packed(&mut packer))?;
                }
                Ok(Flow::Continue)
            },
            costs.as_deref_mut(),
        )
    };
    let mut spill_err = None;
    // Rows are unpacked, shaped and encoded a chunk at a time on all cores, and written in order.
    const CHUNK: usize = 512;
    let mut chunk: Vec<spl_engine::packed::Packed> = Vec::with_capacity(CHUNK);
    for (i, rows) in held.iter_mut().enumerate() {
        let Some((det, _, _)) = compiled.get(i) else { continue };
        let mut write = |chunk: &mut Vec<spl_engine::packed::Packed>| {
            use rayon::prelude::*;
            let evs: Vec<Event> = chunk.par_drain(..).map(|row| shape(det, row.unpack())).collect();
            writer.rows(&evs)
        };
        let drained = rows.drain(&mut |row| {
            chunk.push(row);
            if chunk.len() >= CHUNK {
                if let Err(e) = write(&mut chunk) {
                    io_err = Some(e);
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Continue)
        });
        if io_err.is_none() && !chunk.is_empty() {
            if let Err(e) = write(&mut chunk) {
                io_err = Some(e);
            }
        }
        chunk.clear();
        if let Err(e) = drained {
            spill_err.get_or_insert(e);
        }
        if io_err.is_some() {
            break;
        }
    }
    drop(held);
    if let Some(e) = io_err {
        if is_broken_pipe(&e) {
            return exit::OK;
        }
        return fail(format!("writing output: {e}"), exit::INPUT_ERROR);
    }
    let outcome = match (outcome, spill_err) {
        (Ok(_), Some(e)) => Err(e),
        (o, _) => o,
    };
    match outcome {
        Err(e) => {
            eprintln!("error: {}", e.message);
            code = if e.message.contains("malformed event") { exit::INPUT_ERROR } else { exit::DETECTION_ERROR };
        }
        Ok(errors) => {
            for (((det, origin, c), n), err) in compiled.iter().zip(&counts).zip(errors) {
                match err {
                    Some(e) => {
                        let msg = match e.span {
                            Some(span) => c.expanded.render_error(span, &e.message),
                            None => e.message.clone(),
                        };
                        eprintln!("error: {origin}: {msg}");
                        code = exit::DETECTION_ERROR;
                        summary.push(format!("{}: error", det.name));
                    }
                    None => summary.push(format!("{}: {n} rows", det.name)),
                }
            }
        }
    }
    if let Err(e) = writer.finish() {
        if !is_broken_pipe(&e) {
            return fail(format!("writing output: {e}"), exit::INPUT_ERROR);
        }
    }
    if let Some(p) = &source.progress {
        p.finish();
    }
    if !input.quiet {
        eprintln!("{}", source.summary());
        let (spills, bytes) = spl_engine::spill::totals();
        if spills > 0 {
            eprintln!(
                "{spills} spills to a temporary file to stay within --memory-budget {} ({:.1} MiB written)",
                mib(input.memory_budget),
                bytes as f64 / f64::from(1 << 20)
            );
        }
        for s in summary {
            eprintln!("{s}");
        }
    }
    if let Some(costs) = costs {
        print_profile(&costs, &compiled.iter().map(|(d, _, _)| d.name.as_str()).collect::<Vec<_>>());
        eprintln!(
            "profile: aggregation groups and held rows took at most {:.1} MiB at once (--memory-budget {})",
            spl_engine::spill::peak() as f64 / f64::from(1 << 20),
            mib(input.memory_budget)
        );
    }
    code
}

/// A byte count as the user would write it back.
fn mib(bytes: usize) -> String {
    match bytes {
        0 => "0".to_string(),
        b if b % (1 << 20) == 0 => format!("{}M", b >> 20),
        b => format!("{}K", b >> 10),
    }
}

/// How many searches `--profile` lists.
const PROFILED: usize = 20;

fn print_profile(costs: &[spl_engine::exec::PipeCost], names: &[&str]) {
    let total = |c: &spl_engine::exec::PipeCost| c.feed + c.finish;
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(costs.get(i).map(total).unwrap_or_default()));
    let all: std::time::Duration = costs.iter().map(total).sum();
    // Events routed, all searches together: what the router's prefilters leave to feed.
    let routed: u64 = costs.iter().map(|c| c.events).sum();
    eprintln!(
        "profile: {:.3} s in {} searches, {routed} events routed to them; the costliest:",
        all.as_secs_f64(),
        costs.len()
    );
    eprintln!("{:>9} {:>9} {:>9} {:>9}  search", "events", "feed s", "finish s", "held");
    for i in order.into_iter().take(PROFILED) {
        let (Some(c), Some(name)) = (costs.get(i), names.get(i)) else { continue };
        eprintln!(
            "{:>9} {:>9.3} {:>9.3} {:>9}  {name}",
            c.events,
            c.feed.as_secs_f64(),
            c.finish.as_secs_f64(),
            c.held
        );
    }
    let kept_rows = costs.iter().filter(|c| c.from_kept_rows).count();
    if kept_rows > 0 {
        eprintln!(
            "profile: {kept_rows} of the searches with subsearches took the data-model rows kept in the first pass, \
             not a second read of the input"
        );
    }
    let kept_events = costs.iter().filter(|c| c.from_kept_events).count();
    if kept_events > 0 {
        eprintln!(
            "profile: {kept_events} of the searches with subsearches read the events kept for them in the first pass, \
             not a second read of the input"
        );
    }
    // Memory goes with what searches hold until the end, which is not what costs time.
    let kept = |c: &spl_engine::exec::PipeCost| c.held + c.sub_rows;
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(costs.get(i).map(kept).unwrap_or_default()));
    let (held, sub): (u64, u64) = (costs.iter().map(|c| c.held).sum(), costs.iter().map(|c| c.sub_rows).sum());
    eprintln!("profile: {held} rows held to the end of input, and {sub} subsearch rows; the most by:");
    eprintln!("{:>9} {:>9}  search", "held", "subsearch");
    for i in order.into_iter().take(PROFILED) {
        let (Some(c), Some(name)) = (costs.get(i), names.get(i)) else { continue };
        if kept(c) > 0 {
            eprintln!("{:>9} {:>9}  {name}", c.held, c.sub_rows);
        }
    }
}

/// One risk event per result row, as Enterprise Security's risk-based alerting writes them.
pub fn risk_event(det: &Detection, row: &Event, now: f64) -> Event {
    let mut r = Event::new();
    // The row's own time when it has one, else the search time (ES stamps risk events when the
    // correlation search runs).
    let t = row.get("_time").and_then(|v| v.first().to_num()).unwrap_or(now);
    r.set("_time", t);
    r.set("search_name", det.name.clone());
    r.set("detection_id", det.id.clone());
    if let Some(s) = det.score() {
        r.set("risk_score", s);
    }
    if let Some(m) = &det.message {
        r.set("risk_message", substitute_tokens(m, row));
    }
    let mut objs = Vec::new();
    let mut types = Vec::new();
    for o in &det.observables {
        if let Some(v) = row.get(&o.field) {
            for a in v.atoms() {
                objs.push(a.clone());
                types.push(Atom::from(risk_object_type(&o.kind).to_string()));
            }
        }
    }
    if let Some(v) = Value::from_atoms(objs) {
        r.set("risk_object", v);
    }
    if let Some(v) = Value::from_atoms(types) {
        r.set("risk_object_type", v);
    }
    let mut threats = Vec::new();
    for o in &det.threat_objects {
        if let Some(v) = row.get(&o.field) {
            threats.extend(v.atoms().iter().cloned());
        }
    }
    if let Some(v) = Value::from_atoms(threats) {
        r.set("threat_object", v);
    }
    if let Some(v) = Value::from_atoms(det.mitre_attack_id.iter().map(|s| Atom::from(s.as_str())).collect()) {
        r.set("annotations.mitre_attack.mitre_technique_id", v);
    }
    if let Some(v) = Value::from_atoms(det.analytic_story.iter().map(|s| Atom::from(s.as_str())).collect()) {
        r.set("analyticstories", v);
    }
    r
}

/// ES risk object types from ESCU observable types.
fn risk_object_type(kind: &str) -> &'static str {
    match kind.to_ascii_lowercase().as_str() {
        "user" => "user",
        "hostname" | "ip address" | "endpoint" | "system" => "system",
        _ => "other",
    }
}

/// Replace `$field$` tokens with the row's values (multivalue joined with `, `); unknown
/// tokens stay as written so a missing field is visible.
pub fn substitute_tokens(template: &str, row: &Event) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('$') {
            Some(j) if j > 0 && !after[..j].contains(char::is_whitespace) => {
                let name = &after[..j];
                match row.get(name) {
                    Some(v) => {
                        out.push_str(&v.atoms().iter().map(|a| a.as_str().into_owned()).collect::<Vec<_>>().join(", "))
                    }
                    None => {
                        out.push('$');
                        out.push_str(name);
                        out.push('$');
                    }
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub fn explain(target: &str, common: &Common) -> u8 {
    let content = match session::load_content(common) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(e, exit::USAGE),
    };
    let ctx = match session::context(content.clone(), common) {
        Ok(c) => c,
        Err(e) => return fail(e, exit::USAGE),
    };
    let path = Path::new(target);
    // A file or folder of detections (as `run` takes them), else SPL text.
    let is_path = target.ends_with(".yml") || target.ends_with(".yaml") || path.is_file() || path.is_dir();
    let (dets, adhoc) = if is_path {
        match session::load_detections(&[path.to_path_buf()]) {
            Ok(d) if !d.is_empty() => (d, false),
            Ok(_) => return fail(format!("{target}: no detection"), exit::USAGE),
            Err(e) => return fail(e, exit::DETECTION_ERROR),
        }
    } else {
        (vec![Detection { name: "search".into(), search: target.to_string(), ..Default::default() }], true)
    };
    let verbatim = spl_engine::prefilter::Verbatim::from_content(&content);
    let mut code = exit::OK;
    for (i, det) in dets.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let macros = content.macros_for(if adhoc { None } else { Some(det) });
        let origin = origin(det, adhoc);
        match session::compile(&det.search, &macros, &ctx, &origin) {
            Ok(c) => {
                let mut s = String::new();
                if !adhoc {
                    s.push_str(&format!("detection: {origin}\n"));
                }
                s.push_str(&format!(
                    "search:\n  {}\nexpanded:\n  {}\nplan:\n",
                    det.search.trim(),
                    c.expanded.text.trim()
                ));
                spl_engine::plan::describe(&c.plan, 1, &mut s);
                let pre = spl_engine::prefilter::RawFilter::new(c.plan.raw_requirement(&verbatim))
                    .map_or_else(|| "none (every record is parsed)".to_string(), |f| f.describe());
                s.push_str(&format!("prefilter (records must contain before parsing, ignoring case: an XML record its raw text, a JSON line its text with escapes undone too, a text line or classic WinEventLog block its lines; EventID= tests an XML record's System EventID, sourcetype=, source= and index= its own; a header not known before parsing is taken as held):\n  {pre}\n"));
                print!("{s}");
            }
            // One detection that does not compile does not hide the others' plans.
            Err(e) => code = fail(e.render(), exit::DETECTION_ERROR),
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_tokens_are_replaced_from_the_row() {
        let mut row = Event::new();
        row.set("dest", "host1");
        row.push("user", "a".into());
        row.push("user", "b".into());
        assert_eq!(
            substitute_tokens("on $dest$ by $user$ ($missing$) costs $5", &row),
            "on host1 by a, b ($missing$) costs $5"
        );
    }
}
