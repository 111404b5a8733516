//! `map search="..." [maxsearches=N]`: for each input row (up to `maxsearches`), substitute
//! the row's `$field$` values into the search, run it over the same events, and emit its
//! results in row order. The searches run once the rows are all in, on all cores.

use crate::event::Event;
use crate::exec::{Context, ExecError, Operator, Pipeline, Runtime};
use crate::ops::subsearch::Subsearch;
use crate::packed::{Packed, PackedSource, Packer};
use crate::spill::{Keeper, Kept};

/// Events the inner searches may re-read (they are kept in memory; a guard against huge inputs).
const MAX_EVENTS: usize = 2_000_000;

pub struct MapOp {
    pub template: String,
    pub maxsearches: usize,
    pub ctx: Context,
    /// Gathers the events the map searches may re-read, like a subsearch (so a pack gathers
    /// them in its one subsearch pass): those the template's first search admits with `*` for
    /// its tokens, or every event when that cannot be told.
    gather: Subsearch,
    /// The gathered events, packed: a map over logon events keeps every logon of the input.
    /// Past the spill threshold they wait in the spill file until a map search runs (most
    /// maps of a pack never do: no row reaches them).
    events: Kept,
    /// The searches of the rows so far, `$field$` tokens substituted (`maxsearches` at most).
    searches: Vec<String>,
    /// For a `tstats` template over one dataset: the row-cache slot of its data-model rows,
    /// which are what was gathered (not events), so each search reads rows, not events.
    row_slot: Option<usize>,
}

/// Replace `$name$` tokens by the row's value of `name` (missing fields give empty text).
pub fn substitute(template: &str, row: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        match after.find('$') {
            Some(j) if j > 0 && after.get(..j).is_some_and(|n| !n.contains(char::is_whitespace)) => {
                out.push_str(&row(after.get(..j).unwrap_or("")).unwrap_or_default());
                rest = after.get(j + 1..).unwrap_or("");
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

/// Expand macros and parse a map search (a leading `search` is allowed, as in Splunk).
pub fn parse_inner(text: &str, ctx: &Context) -> Result<(spl_parser::Pipeline, String), String> {
    let expanded =
        spl_parser::expand(text, &ctx.content.macros).map_err(|e| format!("map search `{text}`: {}", e.message))?;
    let parsed = spl_parser::parse_pipeline(&expanded.text)
        .map_err(|e| format!("map search `{}`: {}", expanded.text, e.message))?;
    Ok((parsed, expanded.text))
}

impl MapOp {
    pub fn new(template: String, maxsearches: usize, ctx: Context) -> MapOp {
        let mut row_slot = None;
        let gather = superset_search(&template, &ctx)
            .and_then(|(ast, text)| {
                let mut p = crate::plan::plan(&ast, &text, &ctx).ok()?;
                p.text = Some(format!("map gathers: {text}"));
                Some(p)
            })
            .or_else(|| {
                let (p, slot) = dataset_gather(&template, &ctx)?;
                row_slot = slot;
                Some(p)
            })
            .unwrap_or(Pipeline { ops: Vec::new(), reads_events: true, max_rows: None, text: None });
        let gather = Subsearch::new(gather, MAX_EVENTS + 1);
        MapOp { template, maxsearches, ctx, gather, events: Kept::default(), searches: Vec::new(), row_slot }
    }

    fn keep(&mut self, events: Vec<Packed>) -> Result<(), ExecError> {
        if events.len() > MAX_EVENTS {
            return Err(too_many());
        }
        let mut keeper = Keeper::default();
        for p in events {
            keeper.push(p)?;
        }
        self.events = keeper.finish()?;
        Ok(())
    }
}

fn too_many() -> ExecError {
    ExecError::new(format!("map: more than {MAX_EVENTS} input events to re-search"))
}

/// The template's first command with `*` for its tokens, a search every event the map searches
/// can use satisfies, when its tokens all stand as `field=$token$` values; else `None`.
fn superset_search(t: &str, ctx: &Context) -> Option<(spl_parser::Pipeline, String)> {
    let mut rest = t;
    while let Some(i) = rest.find('$') {
        let before = t.get(..t.len() - rest.len() + i).unwrap_or("").trim_end().trim_end_matches('"');
        if !before.ends_with('=') || before.ends_with("!=") {
            return None;
        }
        let after = rest.get(i + 1..)?;
        rest = after.get(after.find('$')? + 1..)?;
    }
    let probe = substitute(t, &|_| Some("*".to_string()));
    let (mut parsed, text) = parse_inner(&probe, ctx).ok()?;
    if !matches!(parsed.commands.first()?.body, spl_parser::CommandBody::Search(Some(_))) {
        return None;
    }
    parsed.commands.truncate(1);
    Some((parsed, text))
}

/// For a template that starts with `| tstats … from datamodel=M[.D]` (or `where nodename=D`):
/// a pipeline keeping what dataset D of M admits (its constraints and its ancestors'), all its
/// map searches can aggregate, whatever their tokens. When D is one dataset and the `tstats`
/// buckets no `_time` span, it keeps D's data-model rows, with the slot they are read from;
/// else the events. `None` for any other template.
fn dataset_gather(t: &str, ctx: &Context) -> Option<(Pipeline, Option<usize>)> {
    let probe = substitute(t, &|_| Some("*".to_string()));
    let (parsed, text) = parse_inner(&probe, ctx).ok()?;
    let spl_parser::CommandBody::Tstats(ts) = &parsed.commands.first()?.body else { return None };
    let from = ts.from.as_ref()?;
    let dm = ctx.content.datamodel(&from.model)?;
    // `where nodename=X` selects a dataset, as in the tstats itself.
    let nodename = ts.where_.as_ref().and_then(|w| crate::plan::take_nodename(w).1);
    let dataset = nodename.or_else(|| from.dataset.clone());
    let views = crate::ops::tstats::DatasetView::resolve(dm, dataset.as_deref()).ok()?;
    let slot = match views.as_slice() {
        [view] if ts.span.is_none() => Some(view.slot()),
        _ => None,
    };
    let what = if slot.is_some() { "rows" } else { "events" };
    let label = format!("map gathers the {what} data model {} gives: {text}", from.model);
    let op = DatasetEventsOp { views, rows: slot.map(|_| ctx.clone()) };
    Some((Pipeline { ops: vec![Box::new(op)], reads_events: true, max_rows: None, text: Some(label) }, slot))
}

/// Passes on the events one of its datasets admits, as they are, or (`rows`, one dataset) that
/// dataset's row of each.
struct DatasetEventsOp {
    views: Vec<crate::ops::tstats::DatasetView>,
    rows: Option<Context>,
}

impl Operator for DatasetEventsOp {
    fn name(&self) -> &str {
        "datamodel events"
    }
    fn describe(&self) -> String {
        format!(
            "{} admitted by {}",
            if self.rows.is_some() { "data-model rows of the events" } else { "events" },
            self.views.iter().map(|v| v.describe()).collect::<Vec<_>>().join("; ")
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        match (&self.rows, self.views.as_slice()) {
            (Some(ctx), [view]) => {
                if let Some(row) = view.cached_row(ev, ctx)? {
                    out.push((*row).clone());
                }
            }
            _ if self.accepts(ev) => out.push(ev.clone()),
            _ => {}
        }
        Ok(())
    }
    fn keeps(&mut self, ev: &Event) -> Option<Result<bool, ExecError>> {
        self.rows.is_none().then(|| Ok(self.accepts(ev)))
    }
    fn accepts(&self, ev: &Event) -> bool {
        self.views.iter().any(|v| v.admits(ev))
    }
    fn raw_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        crate::prefilter::Req::any(self.views.iter().map(|v| v.constraint_requirement(verbatim)).collect())
    }
}

/// Run one map search over kept data-model rows (`slot`): each is put in the row cache as the
/// current event's, as a pass that kept rows feeds a `tstats` (`exec`'s `ViewSpool`).
fn run_over_rows(
    pipeline: &mut Pipeline,
    text: &str,
    rows: &Kept,
    slot: usize,
    ctx: &Context,
) -> Result<Vec<Event>, ExecError> {
    let reads = pipeline.ops.first().and_then(|op| op.spooled_view()).map(|(v, _)| v.slot());
    if reads != Some(slot) || pipeline.ops.iter_mut().any(|op| !op.subsearches_mut().is_empty()) {
        return Err(ExecError::new(format!(
            "map search `{text}`: it does not read the data-model rows its map gathered"
        )));
    }
    let none = crate::exec::VecSource(Vec::new());
    let rt = Runtime { source: &none, ctx };
    for op in &mut pipeline.ops {
        op.prepare(&rt)?;
    }
    let mut out = Vec::new();
    rows.for_each(&mut |p| {
        crate::exec::feed_row(&mut pipeline.ops, slot, std::sync::Arc::new(p.unpack()), &mut |r| {
            out.push(r);
            Ok(crate::exec::Flow::Continue)
        })
    })?;
    crate::exec::finish(&mut pipeline.ops, &mut |r| {
        out.push(r);
        Ok(crate::exec::Flow::Continue)
    })?;
    Ok(out)
}

impl Operator for MapOp {
    fn name(&self) -> &str {
        "map"
    }
    fn describe(&self) -> String {
        format!("map search={:?} maxsearches={}", self.template, self.maxsearches)
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        // Packed (and spilled past the threshold) as they come: the events of a big input
        // never wait unpacked all at once.
        let (mut packer, mut keeper) = (Packer::default(), Keeper::default());
        let ran = self.gather.run_each(rt, &mut |ev| {
            if keeper.len() >= MAX_EVENTS {
                return Err(too_many());
            }
            keeper.push(packer.pack(&ev))
        })?;
        if ran {
            self.events = keeper.finish()?;
        }
        Ok(())
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.gather.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Packed>>) -> Result<(), ExecError> {
        let events = self.gather.accept_packed(rows);
        self.keep(events)
    }
    fn give_subsearch_kept(&mut self, rows: Vec<Kept>) -> Result<(), ExecError> {
        match self.gather.accept_kept(rows) {
            Kept::Mem(events) => self.keep(events),
            // Already in the spill file: they stay there.
            Kept::File(file) if file.len() > MAX_EVENTS => Err(too_many()),
            kept => {
                self.events = kept;
                Ok(())
            }
        }
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        vec![("events re-searched", &self.gather.pipeline)]
    }
    fn push(&mut self, row: Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.searches.len() >= self.maxsearches {
            return Ok(());
        }
        let text = substitute(&self.template, &|name| row.get(name).map(|v| v.as_str().into_owned()));
        self.searches.push(text);
        Ok(())
    }
    /// The searches run on all cores (each re-reads the kept events); their rows come out in
    /// the order of the rows that made them.
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        use rayon::prelude::*;
        let (events, ctx, row_slot) = (&self.events, &self.ctx, self.row_slot);
        let results: Vec<Result<Vec<Event>, ExecError>> = std::mem::take(&mut self.searches)
            .par_iter()
            .map(|text| {
                let (parsed, expanded) = parse_inner(text, ctx).map_err(ExecError::new)?;
                let mut pipeline = crate::plan::plan(&parsed, &expanded, ctx)
                    .map_err(|e| ExecError::new(format!("map search `{expanded}`: {e}")))?;
                if let Some(slot) = row_slot {
                    return run_over_rows(&mut pipeline, &expanded, events, slot, ctx);
                }
                let source = PackedSource(events);
                Runtime { source: &source, ctx }.collect(&mut pipeline)
            })
            .collect();
        for rows in results {
            out.extend(rows?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, &str)]) -> Event {
        Event::from_pairs(pairs)
    }

    #[test]
    fn map_keeps_only_events_a_substituted_search_could_match() {
        let ctx = Context::new(Default::default(), 0.0);
        let events = vec![
            ev(&[("EventCode", "4624"), ("TargetLogonId", "0x1")]),
            ev(&[("EventCode", "4688")]),
            ev(&[("EventCode", "4624")]),
        ];
        let src = crate::exec::VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        let kept = |template: &str| {
            let mut m = MapOp::new(template.into(), 10, ctx.clone());
            m.prepare(&rt).unwrap();
            m.events.len()
        };
        assert_eq!(kept("search EventCode=4624 TargetLogonId=$id$"), 1);
        assert_eq!(kept("search EventCode=4624 TargetLogonId!=$id$"), 3, "a token outside `=` keeps every event");
    }

    #[test]
    fn map_substitutes_dollar_tokens() {
        let r = ev(&[("TargetLogonId", "0x1")]);
        let s = substitute("search EventCode=4624 TargetLogonId=$TargetLogonId$ cost=$5 x", &|n| {
            r.get(n).map(|v| v.as_str().into_owned())
        });
        assert_eq!(s, "search EventCode=4624 TargetLogonId=0x1 cost=$5 x");
    }

    #[test]
    fn map_runs_the_search_per_row_up_to_maxsearches() {
        let ctx = Context::new(Default::default(), 0.0);
        let events = vec![
            ev(&[("id", "1"), ("_raw", "a")]),
            ev(&[("id", "2"), ("_raw", "b")]),
            ev(&[("id", "2"), ("_raw", "c")]),
        ];
        let src = crate::exec::VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        let mut op = MapOp::new("search id=$id$".into(), 2, ctx.clone());
        op.prepare(&rt).unwrap();
        let mut out = Vec::new();
        for r in [ev(&[("id", "2")]), ev(&[("id", "1")]), ev(&[("id", "2")])] {
            op.push(r, &mut out).unwrap();
        }
        op.finish(&mut out).unwrap();
        let raws: Vec<String> = out.iter().map(|e| e.get_str("_raw").unwrap().into_owned()).collect();
        assert_eq!(raws, vec!["b", "c", "a"], "in row order; the third row is over maxsearches=2");
    }

    #[test]
    fn map_over_spilled_events_gives_what_it_gives_in_memory() {
        let ctx = Context::new(Default::default(), 0.0);
        let events: Vec<Event> =
            (0..500).map(|i| ev(&[("id", &(i % 7).to_string()), ("_raw", &format!("r{i}"))])).collect();
        let src = crate::exec::VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        let run = |spill: bool| {
            let mut op = MapOp::new("search id=$id$".into(), 10, ctx.clone());
            op.prepare(&rt).unwrap();
            if spill {
                let Kept::Mem(rows) = &op.events else { panic!("a small gathering stays in memory") };
                op.events = Kept::File(crate::spill::RowFile::write(rows).unwrap());
            }
            let mut out = Vec::new();
            for r in [ev(&[("id", "3")]), ev(&[("id", "0")])] {
                op.push(r, &mut out).unwrap();
            }
            op.finish(&mut out).unwrap();
            out
        };
        let want = run(false);
        assert_eq!(want.len(), 71 + 72);
        assert_eq!(run(true), want);
    }
}
