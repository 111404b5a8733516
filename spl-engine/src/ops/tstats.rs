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

/// A data-model row, shared by the searches that read it.
pub type Row = Option<std::sync::Arc<Event>>;

/// Data-model rows of an event made elsewhere (on the thread that parsed it), by slot, shared
/// by every pipeline the event is fed to.
pub type GivenRows = std::sync::Arc<[(usize, Row)]>;

thread_local! {
    /// Data-model rows of the current event, by slot: each slot holds the serial of the event
    /// (see `exec::event_serial`) its row was made from.
    static ROWS: std::cell::RefCell<Vec<(u64, Row)>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The rows given with the current event (`give_rows`), and its serial.
    static GIVEN: std::cell::RefCell<(u64, Option<GivenRows>)> = const { std::cell::RefCell::new((u64::MAX, None)) };
}

/// The row-cache slot of a dataset path (with a `_time` span, for rows bucketed by it), the
/// same for every search that reads it.
fn slot(key: &str) -> usize {
    static SLOTS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, usize>>> =
        std::sync::OnceLock::new();
    let mut slots = SLOTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let next = slots.len();
    *slots.entry(key.to_string()).or_insert(next)
}

/// Rows of the current event made elsewhere, looked up by slot when a search asks. A batch's
/// event is given them again for each pipeline it is fed to: one shared list, where installing
/// each row in the cache cost a reference count per row per pipeline.
pub fn give_rows(rows: Option<&GivenRows>) {
    let serial = crate::exec::event_serial();
    GIVEN.with(|g| *g.borrow_mut() = (serial, rows.cloned()));
}

/// Put a row made elsewhere in the current event's cache (rows fed one at a time from a spool).
pub fn install_row(slot: usize, row: Row) {
    let serial = crate::exec::event_serial();
    ROWS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() <= slot {
            c.resize(slot + 1, (u64::MAX, None));
        }
        if let Some(s) = c.get_mut(slot) {
            *s = (serial, row);
        }
    });
}

/// The row in `slot` for the current event, made by `make` when there is none yet.
fn cached(slot: usize, make: impl FnOnce() -> Result<Row, ExecError>) -> Result<Row, ExecError> {
    let serial = crate::exec::event_serial();
    let hit = ROWS.with(|c| match c.borrow().get(slot) {
        Some((s, row)) if *s == serial => Some(row.clone()),
        _ => None,
    });
    if let Some(r) = hit {
        return Ok(r);
    }
    let given = GIVEN.with(|g| match &*g.borrow() {
        (s, Some(rows)) if *s == serial => rows.iter().find(|(at, _)| *at == slot).map(|(_, row)| row.clone()),
        _ => None,
    });
    if let Some(r) = given {
        return Ok(r);
    }
    let row = make()?;
    ROWS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() <= slot {
            c.resize(slot + 1, (u64::MAX, None));
        }
        if let Some(s) = c.get_mut(slot) {
            *s = (serial, row.clone());
        }
    });
    Ok(row)
}

/// The dataset a tstats reads, resolved at plan time.
#[derive(Clone, Debug)]
pub struct DatasetView {
    pub model: String,
    /// `Model:Root.Child`.
    key: String,
    /// Its slot in the per-event row cache.
    slot: usize,
    /// Lineage root first; the last is the dataset itself.
    pub lineage: Vec<std::sync::Arc<Dataset>>,
    /// Per lineage dataset, how its part of a row is made.
    parts: std::sync::Arc<Vec<RowPart>>,
    /// The event's metadata fields its rows copy (all of `META` unless `restricted`).
    meta: Vec<&'static str>,
    /// Its rows hold only some fields (`restricted`).
    restricted: bool,
}

/// The metadata fields a data-model row copies from its event.
const META: [&str; 6] = ["_time", "source", "sourcetype", "host", "index", "_raw"];

/// The row names of a dataset's fields and calculated fields (`Processes.process_name`), made
/// once rather than formatted for every event, and what memoises its calculations. A
/// restricted view's parts list only the fields it keeps.
#[derive(Clone, Debug)]
struct RowPart {
    /// Per field: the event field it copies, and its row name.
    fields: Vec<(String, crate::event::Name)>,
    /// Per calculated field: its index in the dataset's `eval`, its row name, and the fields
    /// it reads when it may be memoised on them (`extract::memo_inputs`: `if(isnull(action) …,
    /// "unknown", action)` is).
    evals: Vec<(usize, crate::event::Name, Option<Vec<String>>)>,
    /// Keys its memos, as a sourcetype rule's id does (a restricted view's parts share it: the
    /// same calculation gives the same value).
    memo_id: u64,
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
            let lineage = dm.lineage(&n);
            let key = format!("{}:{}", dm.name, lineage.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join("."));
            let mut prefix = String::new();
            let parts = lineage
                .iter()
                .map(|d| {
                    if !prefix.is_empty() {
                        prefix.push('.');
                    }
                    prefix.push_str(&d.name);
                    let name = |f: &str| crate::event::Name::from(format!("{prefix}.{f}"));
                    RowPart {
                        fields: d.fields.iter().map(|f| (f.clone(), name(f))).collect(),
                        evals: d
                            .eval
                            .iter()
                            .enumerate()
                            .map(|(j, (f, e, _))| (j, name(f), crate::extract::memo_inputs(e)))
                            .collect(),
                        memo_id: crate::extract::new_rule_id(),
                    }
                })
                .collect();
            let parts = std::sync::Arc::new(parts);
            out.push(DatasetView {
                model: dm.name.clone(),
                slot: slot(&key),
                key,
                lineage,
                parts,
                meta: META.to_vec(),
                restricted: false,
            });
        }
        Ok(out)
    }

    /// This view with rows holding only these fields (prefixed names, `_time`, `source` …):
    /// its own slot, so that its rows are never taken for the whole ones. Rows of searches
    /// reading a few fields (a hunting search groups by five of Processes' 45) cost less to
    /// make. The same fields give the same slot; a restricted view is not restricted again.
    pub fn restricted(&self, fields: &std::collections::HashSet<String>) -> DatasetView {
        if self.restricted {
            return self.clone();
        }
        let mut kept: Vec<&str> = fields.iter().map(String::as_str).collect();
        kept.sort_unstable();
        let key = format!("{} fields={}", self.key, kept.join(","));
        let parts = self
            .parts
            .iter()
            .map(|p| RowPart {
                fields: p.fields.iter().filter(|(_, n)| fields.contains(n.as_str())).cloned().collect(),
                evals: p.evals.iter().filter(|(_, n, _)| fields.contains(n.as_str())).cloned().collect(),
                memo_id: p.memo_id,
            })
            .collect();
        DatasetView {
            slot: slot(&key),
            key,
            parts: std::sync::Arc::new(parts),
            meta: self.meta.iter().copied().filter(|m| fields.contains(*m)).collect(),
            restricted: true,
            ..self.clone()
        }
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

    /// What the constraints of the dataset and its ancestors require of a raw record
    /// (`tag=process` requires what the eventtypes giving that tag do).
    pub fn constraint_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        let event = |f: &str| crate::prefilter::FieldSource::Event(f.to_string());
        crate::prefilter::Req::all(
            self.lineage
                .iter()
                .filter_map(|d| d.constraint.as_ref())
                .map(|c| crate::prefilter::requirement(c, verbatim, &event))
                .collect(),
        )
    }

    /// Whether the event satisfies the constraints of the dataset and its ancestors.
    pub fn admits(&self, ev: &Event) -> bool {
        self.lineage.iter().all(|d| d.constraint.as_ref().is_none_or(|c| c.matches(ev)))
    }

    /// Its slot in the per-event row cache (and in the rows given with an event, `give_rows`).
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// `row`, computed once per event and dataset however many tstats searches read it: a pack
    /// has hundreds of searches over Endpoint.Processes.
    pub fn cached_row(&self, ev: &Event, ctx: &Context) -> Result<Row, ExecError> {
        cached(self.slot, || Ok(self.row(ev, ctx)?.map(std::sync::Arc::new)))
    }

    /// `cached_row` with `_time` put in `span` buckets, also shared by the searches using that span.
    fn cached_span_row(
        &self,
        ev: &Event,
        ctx: &Context,
        span: &crate::timefmt::Span,
        slot: usize,
    ) -> Result<Row, ExecError> {
        cached(slot, || {
            let Some(row) = self.cached_row(ev, ctx)? else { return Ok(None) };
            let Some(t) = row.time() else { return Ok(Some(row)) };
            let mut row = (*row).clone();
            row.set("_time", crate::timefmt::bucket_time_tz(t, span, ctx.fns.tz.offset_seconds));
            Ok(Some(std::sync::Arc::new(row)))
        })
    }

    /// The event's row in this dataset, or `None` when a constraint excludes it.
    pub fn row(&self, ev: &Event, ctx: &Context) -> Result<Option<Event>, ExecError> {
        if !self.admits(ev) {
            return Ok(None);
        }
        let width = self.meta.len() + self.parts.iter().map(|p| p.fields.len() + p.evals.len()).sum::<usize>();
        let mut row = Event::with_capacity(width);
        for &meta in &self.meta {
            if let Some(v) = ev.get(meta) {
                row.fields.insert(meta.into(), v.clone());
            }
        }
        let interp = Interp { ctx: &ctx.fns };
        for (d, part) in self.lineage.iter().zip(self.parts.iter()) {
            for (f, name) in &part.fields {
                if let Some(v) = ev.get(f) {
                    row.fields.insert(name.clone(), v.clone());
                }
            }
            for (j, name, inputs) in &part.evals {
                let Some((_, expr, _)) = d.eval.get(*j) else { continue };
                let compute = || interp.eval(expr, ev).ok().map(eval_to_value);
                let v = match inputs {
                    Some(inputs) => crate::extract::memoised(part.memo_id, *j, inputs, ev, compute),
                    None => compute(),
                };
                // A failed evaluation, remembered or not, is repeated for its message.
                let v = match v {
                    Some(v) => v,
                    None => eval_to_value(interp.eval(expr, ev).map_err(|e| ExecError::at(e.message, e.span))?),
                };
                match v {
                    Some(v) => {
                        row.fields.insert(name.clone(), v);
                    }
                    None => {
                        row.fields.shift_remove(name.as_str());
                    }
                }
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
    /// Per view, the row-cache slot of its rows bucketed by `span`.
    span_slots: Vec<usize>,
}

impl TstatsOp {
    pub fn new(
        views: Vec<DatasetView>,
        where_: DeferredMatcher,
        where_text: String,
        grouper: Grouper,
        span: Option<crate::timefmt::Span>,
        ctx: Context,
    ) -> TstatsOp {
        let span_slots = span_slots(&views, &span, &ctx);
        TstatsOp { views, where_, where_text, grouper, span, ctx, span_slots }
    }

    /// The row fields it reads: `_time`, its `where`'s, its by-fields and aggregated fields;
    /// `None` when that is not known (a `where` still waiting for its subsearch could read
    /// any field, and so could a calculated or wildcard aggregation).
    fn row_fields(&self) -> Option<Vec<String>> {
        let m = self.where_.matcher()?;
        let mut fields = vec!["_time".to_string()];
        m.fields(&mut fields);
        fields.extend(self.grouper.by.iter().cloned());
        for a in &self.grouper.aggs {
            match &a.input {
                crate::stats::AggInput::Events => {}
                crate::stats::AggInput::Field(f) => fields.push(f.clone()),
                crate::stats::AggInput::Eval(_) | crate::stats::AggInput::Wild(_) => return None,
            }
        }
        Some(fields)
    }
}

/// Per view, the row-cache slot of its rows bucketed by `span`.
fn span_slots(views: &[DatasetView], span: &Option<crate::timefmt::Span>, ctx: &Context) -> Vec<usize> {
    let tz = ctx.fns.tz.offset_seconds;
    views.iter().map(|v| slot(&format!("{} span={span:?} tz={tz}", v.key))).collect()
}

impl Operator for TstatsOp {
    fn name(&self) -> &str {
        "tstats"
    }
    fn describe(&self) -> String {
        format!(
            "tstats {} FROM {} WHERE {}{}{}{}",
            crate::ops::stats::describe_aggs(&self.grouper.aggs, &self.grouper.by),
            self.views.iter().map(|v| v.describe()).collect::<Vec<_>>().join(" + "),
            self.where_
                .matcher()
                .map_or_else(|| format!("{} (with subsearch)", self.where_text.trim()), describe_matcher),
            self.grouper.fill.as_ref().map(|f| format!(" fillnull_value={f:?}")).unwrap_or_default(),
            self.span.as_ref().map(|s| format!(" span={s}")).unwrap_or_default(),
            self.grouper.describe_gate()
        )
    }
    fn prepare(&mut self, rt: &Runtime<'_>) -> Result<(), ExecError> {
        self.where_.prepare(rt)
    }
    fn grouper_mut(&mut self) -> Option<&mut Grouper> {
        Some(&mut self.grouper)
    }
    fn dataset_views(&self) -> Vec<DatasetView> {
        self.views.clone()
    }
    fn spooled_view(&self) -> Option<(DatasetView, Vec<String>)> {
        let [view] = self.views.as_slice() else { return None };
        Some((view.clone(), self.row_fields()?))
    }
    fn view_fields(&self) -> Vec<(usize, Option<Vec<String>>)> {
        let fields = self.row_fields();
        self.views.iter().map(|v| (v.slot(), fields.clone())).collect()
    }
    fn restrict_views(&mut self, kept: &std::collections::HashMap<usize, std::collections::HashSet<String>>) {
        for v in &mut self.views {
            if let Some(fields) = kept.get(&v.slot()) {
                *v = v.restricted(fields);
            }
        }
        self.span_slots = span_slots(&self.views, &self.span, &self.ctx);
    }
    fn subsearches_mut(&mut self) -> Vec<&mut Pipeline> {
        self.where_.pending_mut()
    }
    fn give_subsearch_rows(&mut self, rows: Vec<Vec<crate::packed::Packed>>) -> Result<(), ExecError> {
        self.where_.complete(crate::packed::unpack_all(rows))
    }
    fn children(&self) -> Vec<(&str, &Pipeline)> {
        self.where_.subsearches()
    }
    fn accepts(&self, ev: &Event) -> bool {
        self.views.iter().any(|v| v.cached_row(ev, &self.ctx).ok().flatten().is_some())
    }
    fn raw_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        use crate::prefilter::{requirement, Req};
        let m = self.where_.matcher();
        // `Processes.process_name` reads the event's `process_name`, unless the data model
        // computes that field itself.
        let reqs = self
            .views
            .iter()
            .map(|v| {
                let filter = m.map_or(Req::True, |m| requirement(m, verbatim, &|f| v.event_field(f)));
                Req::all(vec![filter, v.constraint_requirement(verbatim)])
            })
            .collect();
        Req::any(reqs)
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        for (v, span_slot) in self.views.iter().zip(&self.span_slots) {
            let Some(row) = v.cached_row(ev, &self.ctx)? else { continue };
            if !self.where_.matches(&row) {
                continue;
            }
            match &self.span {
                Some(span) => {
                    if let Some(row) = v.cached_span_row(ev, &self.ctx, span, *span_slot)? {
                        self.grouper.add(&row, &self.ctx.fns)?;
                    }
                }
                None => self.grouper.add(&row, &self.ctx.fns)?,
            }
        }
        Ok(())
    }
    fn finish_each(
        &mut self,
        emit: &mut dyn FnMut(Event) -> Result<crate::exec::Flow, ExecError>,
    ) -> Result<(), ExecError> {
        self.grouper.rows_each(emit)
    }
    fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), ExecError> {
        out.extend(self.grouper.rows());
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::content::Dataset;

    /// An `Endpoint` model with one dataset, `Processes`, of these fields and calculations.
    fn processes(fields: &[&str], evals: &[(&str, &str)]) -> DataModel {
        let expr = |text: &str| spl_parser::parse_eval_expr(text).unwrap();
        DataModel {
            name: "Endpoint".into(),
            file: String::new(),
            datasets: vec![Dataset {
                name: "Processes".into(),
                parent: None,
                constraint: None,
                constraint_text: None,
                fields: fields.iter().map(|f| f.to_string()).collect(),
                eval: evals.iter().map(|(f, e)| (f.to_string(), expr(e), String::new())).collect(),
            }
            .into()],
        }
    }

    #[test]
    fn memoised_data_model_calculations_give_what_evaluating_gives() {
        let dm = processes(
            &["process_name"],
            &[
                // Memoised on `action`, and on `n` (numbers and texts that print apart).
                ("action", r#"if(isnull(action) OR action="", "unknown", action)"#),
                ("kind", r#"case(n=1, "one", true(), "other") . "/" . tostring(n)"#),
            ],
        );
        let view = DatasetView::resolve(&dm, Some("Processes")).unwrap().remove(0);
        let ctx = Context::new(Default::default(), 0.0);
        let interp = Interp { ctx: &ctx.fns };
        for i in 0..5000 {
            let mut ev = Event::from_pairs(&[("process_name", &format!("p{}", i % 7))]);
            match i % 4 {
                0 => ev.set("n", 1.0),
                1 => ev.set("n", "01"),
                2 => ev.set("n", "1"),
                _ => ev.set("action", if i % 3 == 0 { "" } else { "allowed" }),
            }
            let row = view.row(&ev, &ctx).unwrap().unwrap();
            for (f, expr, _) in &dm.datasets[0].eval {
                let want = eval_to_value(interp.eval(expr, &ev).unwrap());
                assert_eq!(row.get(&format!("Processes.{f}")), want.as_ref(), "{f} of event {i}");
            }
            assert_eq!(row.get_str("Processes.process_name").unwrap(), format!("p{}", i % 7));
        }
    }

    #[test]
    fn restricted_rows_are_the_whole_rows_with_only_the_fields_kept() {
        let dm = processes(
            &["process_name", "dest", "user"],
            &[("action", r#"coalesce(action, "unknown")"#), ("user", "upper(user)")],
        );
        let view = DatasetView::resolve(&dm, Some("Processes")).unwrap().remove(0);
        let ctx = Context::new(Default::default(), 0.0);
        let ev = Event::from_pairs(&[
            ("_time", "10"),
            ("_raw", "<Event>…</Event>"),
            ("host", "h"),
            ("process_name", "a.exe"),
            ("dest", "d"),
            ("user", "bob"),
        ]);
        let whole = view.row(&ev, &ctx).unwrap().unwrap();
        let keep: std::collections::HashSet<String> =
            ["_time", "Processes.user", "Processes.action", "Processes.nope"].iter().map(|s| s.to_string()).collect();
        let part = view.restricted(&keep);
        let row = part.row(&ev, &ctx).unwrap().unwrap();
        let kept: Vec<(String, String)> = whole
            .fields
            .iter()
            .filter(|(k, _)| keep.contains(k.as_str()))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let got: Vec<(String, String)> = row.fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(got, kept);
        assert_eq!(row.get_str("Processes.user").as_deref(), Some("BOB"), "the calculation wins, as in the whole row");
        assert!(row.get("_raw").is_none() && whole.get("_raw").is_some());
        // Its own slot, never the whole rows'; the same fields give the same slot, and a
        // restricted view is not narrowed again.
        assert_ne!(part.slot(), view.slot());
        assert_eq!(view.restricted(&keep).slot(), part.slot());
        let fewer: std::collections::HashSet<String> = ["_time".to_string()].into_iter().collect();
        assert_eq!(part.restricted(&fewer).slot(), part.slot());
    }

    #[test]
    fn rows_given_with_an_event_are_taken_for_it_and_for_no_other() {
        let dm = processes(&["process_name"], &[]);
        let view = DatasetView::resolve(&dm, Some("Processes")).unwrap().remove(0);
        let ctx = Context::new(Default::default(), 0.0);
        let ev = Event::from_pairs(&[("process_name", "a.exe")]);
        let name = |row: Row| row.and_then(|r| r.get_str("Processes.process_name").map(|s| s.into_owned()));
        // A row made elsewhere, told apart from one made here by its value.
        let given = Event::from_pairs(&[("Processes.process_name", "given")]);
        crate::exec::next_event_serial();
        give_rows(Some(&GivenRows::from(vec![(view.slot(), Some(std::sync::Arc::new(given)))])));
        assert_eq!(name(view.cached_row(&ev, &ctx).unwrap()).as_deref(), Some("given"));
        // A dataset the event is not in was given as no row.
        crate::exec::next_event_serial();
        give_rows(Some(&GivenRows::from(vec![(view.slot(), None)])));
        assert_eq!(name(view.cached_row(&ev, &ctx).unwrap()), None);
        // The next event has rows of its own, made here; so has one given rows of other slots.
        crate::exec::next_event_serial();
        assert_eq!(name(view.cached_row(&ev, &ctx).unwrap()).as_deref(), Some("a.exe"));
        crate::exec::next_event_serial();
        give_rows(Some(&GivenRows::from(vec![(view.slot() + 1, None)])));
        assert_eq!(name(view.cached_row(&ev, &ctx).unwrap()).as_deref(), Some("a.exe"));
    }
}
