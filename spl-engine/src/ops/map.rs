//! `map search="..." [maxsearches=N]`: for each input row (up to `maxsearches`), substitute
//! the row's `$field$` values into the search, run it over the same events, and emit its
//! results in row order.

use crate::event::Event;
use crate::exec::{Context, ExecError, Operator, Runtime, VecSource};

/// Events the inner searches may re-read (they are kept in memory; a guard against huge inputs).
const MAX_EVENTS: usize = 2_000_000;

pub struct MapOp {
    pub template: String,
    pub maxsearches: usize,
    pub ctx: Context,
    source: Option<VecSource>,
    runs: usize,
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
        MapOp { template, maxsearches, ctx, source: None, runs: 0 }
    }

    /// A matcher every event the map searches can use satisfies, when the template's first
    /// command is a search whose tokens all stand as `field=$token$` values; else `None`.
    fn superset_filter(&self) -> Option<crate::search::Matcher> {
        let t = &self.template;
        let mut rest = t.as_str();
        while let Some(i) = rest.find('$') {
            let before = t.get(..t.len() - rest.len() + i).unwrap_or("").trim_end().trim_end_matches('"');
            if !before.ends_with('=') || before.ends_with("!=") {
                return None;
            }
            let after = rest.get(i + 1..)?;
            rest = after.get(after.find('$')? + 1..)?;
        }
        let probe = substitute(t, &|_| Some("*".to_string()));
        let (parsed, _) = parse_inner(&probe, &self.ctx).ok()?;
        match &parsed.commands.first()?.body {
            spl_parser::CommandBody::Search(Some(e)) => {
                crate::search::Matcher::compile(e, &crate::search::CompileCtx { now: self.ctx.fns.now }).ok()
            }
            _ => None,
        }
    }
}

impl Operator for MapOp {
    fn name(&self) -> &str {
        "map"
    }
    fn describe(&self) -> String {
        format!("map search={:?} maxsearches={}", self.template, self.maxsearches)
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        // Keep only events some substituted search could match: with every `$token$` standing
        // as a `field=$token$` value, the template with `*` for the tokens admits a superset.
        let keep = self.superset_filter();
        // Its required literals let the scan skip, unparsed, records no search can use.
        let filter = keep.as_ref().and_then(|m| {
            let verbatim = crate::prefilter::Verbatim::from_content(&self.ctx.content);
            crate::prefilter::RawFilter::new(crate::prefilter::requirement(m, &verbatim, &|f| {
                crate::prefilter::FieldSource::Event(f.to_string())
            }))
        });
        let mut events = Vec::new();
        let mut too_many = false;
        rt.source.scan_filtered(filter.as_ref(), None, &mut |ev, _| {
            if keep.as_ref().is_some_and(|m| !m.matches(&ev)) {
                return Ok(crate::exec::Flow::Continue);
            }
            if events.len() >= MAX_EVENTS {
                too_many = true;
                return Ok(crate::exec::Flow::Stop);
            }
            events.push(ev);
            Ok(crate::exec::Flow::Continue)
        })?;
        if too_many {
            return Err(ExecError::new(format!("map: more than {MAX_EVENTS} input events to re-search")));
        }
        self.source = Some(VecSource(events));
        Ok(())
    }
    fn push(&mut self, row: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        if self.runs >= self.maxsearches {
            return Ok(());
        }
        self.runs += 1;
        let text = substitute(&self.template, &|name| row.get(name).map(|v| v.as_str().into_owned()));
        let (parsed, expanded) = parse_inner(&text, &self.ctx).map_err(ExecError::new)?;
        let mut pipeline = crate::plan::plan(&parsed, &expanded, &self.ctx)
            .map_err(|e| ExecError::new(format!("map search `{expanded}`: {e}")))?;
        let empty = VecSource(Vec::new());
        let source = self.source.as_ref().unwrap_or(&empty);
        let rt = Runtime { source, ctx: &self.ctx };
        out.extend(rt.collect(&mut pipeline)?);
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
        let m = MapOp::new("search EventCode=4624 TargetLogonId=$id$".into(), 10, ctx.clone());
        let f = m.superset_filter().expect("filter");
        assert!(f.matches(&ev(&[("EventCode", "4624"), ("TargetLogonId", "0x1")])));
        assert!(!f.matches(&ev(&[("EventCode", "4688")])));
        let neg = MapOp::new("search EventCode=4624 TargetLogonId!=$id$".into(), 10, ctx);
        assert!(neg.superset_filter().is_none(), "a token outside `=` keeps every event");
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
        let src = VecSource(events);
        let rt = Runtime { source: &src, ctx: &ctx };
        let mut op = MapOp::new("search id=$id$".into(), 2, ctx.clone());
        op.prepare(&rt).unwrap();
        let mut out = Vec::new();
        for r in [ev(&[("id", "2")]), ev(&[("id", "1")]), ev(&[("id", "2")])] {
            op.push(r, &mut out).unwrap();
        }
        let raws: Vec<String> = out.iter().map(|e| e.get_str("_raw").unwrap().into_owned()).collect();
        assert_eq!(raws, vec!["b", "c", "a"], "third row is over maxsearches=2");
    }
}
