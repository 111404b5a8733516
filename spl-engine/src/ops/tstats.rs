//! `tstats` over CIM data models built from raw events (we have no accelerated summaries):
//! each event that satisfies a dataset's constraints (and its ancestors') becomes a row whose
//! fields carry the dataset prefix (`Processes.process_name`), then `where`, `by` and the
//! aggregations run as in `stats`.

use crate::content::{DataModel, Dataset};
use crate::eval::interp::Interp;
use crate::event::Event;
use crate::exec::{Context, ExecError, Operator, Pipeline, Runtime};
use crate::ops::fields::eval_to_value;
use crate::ops::filter::{describe_matcher, DeferredMatcher};
use crate::stats::Grouper;

type RowCache = (u64, std::collections::HashMap<String, Option<std::rc::Rc<Event>>>);

thread_local! {
    /// Data-model rows of the current event (see `exec::event_serial`), by dataset path.
    static ROWS: std::cell::RefCell<RowCache> = std::cell::RefCell::new((u64::MAX, std::collections::HashMap::new()));
}

/// The dataset a tstats reads, resolved at plan time.
#[derive(Clone, Debug)]
pub struct DatasetView {
    pub model: String,
    /// `Model:Root.Child`, the key of the per-event row cache.
    key: String,
    /// Lineage root first; the last is the dataset itself.
    pub lineage: Vec<Dataset>,
}

impl DatasetView {
    /// Resolve `model[.dataset]` (or `nodename=`), defaulting to the model's root dataset(s).
    pub fn resolve(dm: &DataModel, dataset: Option<&str>) -> Result<Vec<DatasetView>, String> {
        let names: Vec<String> = match dataset {
            // `nodename=All_Changes.Account_Management` names a path; the last part is the dataset.
            Some(d) => vec![d.rsplit('.').next().unwrap_or(d).to_string()],
            None => dm.datasets.iter().filter(|d| d.parent.is_none()).map(|d| d.name.clone()).collect(),
        };
        let mut out = Vec::new();
        for n in names {
            if dm.dataset(&n).is_none() {
                return Err(format!(
                    "data model `{}` has no dataset `{n}` (it has: {})",
                    dm.name,
                    dm.datasets.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            let lineage: Vec<Dataset> = dm.lineage(&n).into_iter().cloned().collect();
            let key = format!("{}:{}", dm.name, lineage.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join("."));
            out.push(DatasetView { model: dm.name.clone(), key, lineage });
        }
        Ok(out)
    }

    /// Where a prefixed data-model field comes from: an event field, or a calculation.
    pub fn event_field(&self, name: &str) -> crate::prefilter::FieldSource<'_> {
        use crate::prefilter::FieldSource;
        let mut prefix = String::new();
        for d in &self.lineage {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(&d.name);
            if let Some(f) = name.strip_prefix(&prefix).and_then(|r| r.strip_prefix('.')) {
                if let Some((_, e, _)) = d.eval.iter().find(|(x, _, _)| x == f) {
                    return FieldSource::Calculated(e);
                }
                if d.fields.iter().any(|x| x == f) {
                    return FieldSource::Event(f.to_string());
                }
            }
        }
        FieldSource::Unknown
    }

    /// Whether the event satisfies the constraints of the dataset and its ancestors.
    pub fn admits(&self, ev: &Event) -> bool {
        self.lineage.iter().all(|d| d.constraint.as_ref().is_none_or(|c| c.matches(ev)))
    }

    /// `row`, computed once per event and dataset however many tstats searches read it: a pack
    /// has hundreds of searches over Endpoint.Processes.
    pub fn cached_row(&self, ev: &Event, ctx: &Context) -> Result<Option<std::rc::Rc<Event>>, ExecError> {
        let serial = crate::exec::event_serial();
        let hit = ROWS.with(|c| {
            let c = c.borrow();
            if c.0 == serial {
                c.1.get(&self.key).cloned()
            } else {
                None
            }
        });
        if let Some(r) = hit {
            return Ok(r);
        }
        let row = self.row(ev, ctx)?.map(std::rc::Rc::new);
        ROWS.with(|c| {
            let mut c = c.borrow_mut();
            if c.0 != serial {
                c.0 = serial;
                c.1.clear();
            }
            c.1.insert(self.key.clone(), row.clone());
        });
        Ok(row)
    }

    /// The event's row in this dataset, or `None` when a constraint excludes it.
    pub fn row(&self, ev: &Event, ctx: &Context) -> Result<Option<Event>, ExecError> {
        if !self.admits(ev) {
            return Ok(None);
        }
        let mut row = Event::new();
        for meta in ["_time", "source", "sourcetype", "host", "index", "_raw"] {
            if let Some(v) = ev.get(meta) {
                row.fields.insert(meta.to_string(), v.clone());
            }
        }
        let interp = Interp { ctx: &ctx.fns };
        let mut prefix = String::new();
        for d in &self.lineage {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(&d.name);
            for f in &d.fields {
                if let Some(v) = ev.get(f) {
                    row.fields.insert(format!("{prefix}.{f}"), v.clone());
                }
            }
            for (f, expr, _) in &d.eval {
                let v = interp.eval(expr, ev).map_err(|e| ExecError::at(e.message, e.span))?;
                row.set_opt(&format!("{prefix}.{f}"), eval_to_value(v));
            }
        }
        Ok(Some(row))
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for d in &self.lineage {
            parts.push(format!(
                "{}.{} constraint=[{}] fields={}{}",
                self.model,
                d.name,
                d.constraint_text.as_deref().unwrap_or("*"),
                d.fields.len(),
                if d.eval.is_empty() {
                    String::new()
                } else {
                    format!(
                        " calculated={}",
                        d.eval.iter().map(|(f, _, t)| format!("{f}={t}")).collect::<Vec<_>>().join("; ")
                    )
                }
            ));
        }
        parts.join(" > ")
    }
}

pub struct TstatsOp {
    pub views: Vec<DatasetView>,
    pub where_: DeferredMatcher,
    pub where_text: String,
    pub grouper: Grouper,
    pub span: Option<crate::timefmt::Span>,
    pub ctx: Context,
}

impl Operator for TstatsOp {
    fn name(&self) -> &str {
        "tstats"
    }
    fn describe(&self) -> String {
        format!(
            "tstats {} FROM {} WHERE {}{}{}",
            crate::ops::stats::describe_aggs(&self.grouper.aggs, &self.grouper.by),
            self.views.iter().map(|v| v.describe()).collect::<Vec<_>>().join(" + "),
            self.where_
                .matcher()
                .map_or_else(|| format!("{} (with subsearch)", self.where_text.trim()), describe_matcher),
            self.grouper.fill.as_ref().map(|f| format!(" fillnull_value={f:?}")).unwrap_or_default(),
            self.span.as_ref().map(|s| format!(" span={s:?}")).unwrap_or_default()
        )
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        self.where_.prepare(rt)
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.where_.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<Event>>) -> Result<(), ExecError> {
        self.where_.complete(rows)
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        self.where_.subsearches()
    }
    fn accepts(&self, ev: &Event) -> bool {
        self.views.iter().any(|v| v.cached_row(ev, &self.ctx).ok().flatten().is_some())
    }
    fn raw_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        let Some(m) = self.where_.matcher() else { return crate::prefilter::Req::True };
        // `Processes.process_name` reads the event's `process_name`, unless the data model
        // computes that field itself.
        let reqs =
            self.views.iter().map(|v| crate::prefilter::requirement(m, verbatim, &|f| v.event_field(f))).collect();
        crate::prefilter::Req::any(reqs)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        for v in &self.views {
            let Some(row) = v.cached_row(ev, &self.ctx)? else { continue };
            if !self.where_.matches(&row) {
                continue;
            }
            match (&self.span, row.time()) {
                (Some(span), Some(t)) => {
                    let mut row = (*row).clone();
                    row.set("_time", crate::timefmt::bucket_time_tz(t, span, self.ctx.fns.tz.offset_seconds));
                    self.grouper.add(&row, &self.ctx.fns)?;
                }
                _ => self.grouper.add(&row, &self.ctx.fns)?,
            }
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.extend(self.grouper.rows());
        Ok(())
    }
}
