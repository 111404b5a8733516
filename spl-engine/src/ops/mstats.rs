//! `mstats` over metric data points read from files (Splunk HEC metric payloads, or any event
//! holding `metric_name:<name>` fields or `metric_name` and `_value`): each data point becomes a
//! row of its event's dimensions with `metric_name`, `_value` and `metric_name:<name>`; the
//! `where` clause, `by`, the span and the aggregations then run as in `tstats`. Events that hold
//! no data point are not in a metrics index and are never read.

use crate::event::{Event, Name};
use crate::exec::{Context, ExecError, Operator, Pipeline, Runtime};
use crate::ops::filter::{describe_matcher, DeferredMatcher};
use crate::stats::Grouper;
use crate::value::Value;

/// A multi-metric data point's measurement field: `metric_name:cpu.idle`.
pub const METRIC_PREFIX: &str = "metric_name:";

/// Whether an event holds a metric data point.
pub fn is_metric(ev: &Event) -> bool {
    (ev.fields.contains_key("metric_name") && ev.fields.contains_key("_value"))
        || ev.fields.keys().any(|k| k.starts_with(METRIC_PREFIX))
}

/// The event's data points as (metric name, value): every `metric_name:<name>` field, and a
/// single `metric_name`/`_value` pair (each value of a multivalue `metric_name` paired in turn).
fn points(ev: &Event) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = ev
        .fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(METRIC_PREFIX)?.to_string(), v.clone())))
        .filter(|(name, _)| !name.is_empty())
        .collect();
    if let (Some(names), Some(values)) = (ev.get("metric_name"), ev.get("_value")) {
        for (name, value) in names.atoms().iter().zip(values.atoms()) {
            out.push((name.as_str().into_owned(), Value::One(value.clone())));
        }
    }
    out
}

pub struct MstatsOp {
    pub where_: DeferredMatcher,
    pub where_text: String,
    pub grouper: Grouper,
    pub span: Option<crate::timefmt::Span>,
    pub ctx: Context,
}

impl MstatsOp {
    /// The rows of one event: its dimensions (not `_raw`: a metric has none) and, per data
    /// point, the point's fields.
    fn rows(&self, ev: &Event) -> Vec<Event> {
        let pts = points(ev);
        if pts.is_empty() {
            return Vec::new();
        }
        let mut base = Event::with_capacity(ev.fields.len() + 2);
        for (k, v) in &ev.fields {
            if k.as_str() != "_raw"
                && k.as_str() != "metric_name"
                && k.as_str() != "_value"
                && !k.starts_with(METRIC_PREFIX)
            {
                base.fields.insert(k.clone(), v.clone());
            }
        }
        pts.into_iter()
            .map(|(name, value)| {
                let mut row = base.clone();
                row.set(Name::from(format!("{METRIC_PREFIX}{name}").as_str()), value.clone());
                row.set("metric_name", Value::str(name.as_str()));
                row.set("_value", value);
                row
            })
            .collect()
    }
}

impl Operator for MstatsOp {
    fn name(&self) -> &str {
        "mstats"
    }
    fn describe(&self) -> String {
        format!(
            "mstats {} FROM metric data points WHERE {}{}{}{}",
            crate::ops::stats::describe_aggs(&self.grouper.aggs, &self.grouper.by),
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
        is_metric(ev)
    }
    fn raw_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        use crate::prefilter::{requirement, FieldSource, Req};
        // A data point's `metric_name` and `_value` are made from the event's fields, not read.
        let of = |f: &str| {
            if f == "metric_name" || f == "_value" || f.starts_with(METRIC_PREFIX) {
                FieldSource::Unknown
            } else {
                FieldSource::Event(f.to_string())
            }
        };
        self.where_.matcher().map_or(Req::True, |m| requirement(m, verbatim, &of))
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    fn push_ref(&mut self, ev: &Event, _out: &mut Vec<Event>) -> Result<(), ExecError> {
        for mut row in self.rows(ev) {
            // `earliest=`/`latest=` in `where` test the point's own time, not its bucket's.
            if !self.where_.matches(&row) {
                continue;
            }
            if let (Some(span), Some(t)) = (&self.span, row.time()) {
                row.set("_time", crate::timefmt::bucket_time_tz(t, span, self.ctx.fns.tz.offset_seconds));
            }
            self.grouper.add(&row, &self.ctx.fns)?;
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
    use crate::event::Event;
    use crate::exec::{plan_error_at, run_spl};
    use crate::value::Value;

    /// A multi-metric data point (HEC `"event":"metric"`), as the JSON reader gives it.
    fn point(t: f64, host: &str, exe: &str, metrics: &[(&str, f64)]) -> Event {
        let mut ev = Event::from_pairs(&[("index", "k8s"), ("host.name", host), ("process.executable.name", exe)]);
        ev.set("_time", Value::num(t));
        ev.set("_raw", "{…}");
        for (m, v) in metrics {
            ev.set(format!("metric_name:{m}").as_str(), Value::num(*v));
        }
        ev
    }

    fn cells(rows: &[Event]) -> Vec<String> {
        rows.iter().map(|r| r.fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")).collect()
    }

    fn data() -> Vec<Event> {
        vec![
            point(100.0, "w1", "bash", &[("process.cpu.utilization", 0.2), ("process.memory.utilization", 0.5)]),
            point(105.0, "w1", "bash", &[("process.cpu.utilization", 0.4)]),
            point(112.0, "w2", "sh", &[("process.cpu.utilization", 1.0), ("process.memory.utilization", 0.1)]),
            // Not a data point: never read by mstats.
            Event::from_pairs(&[("index", "k8s"), ("host.name", "w3"), ("process.cpu.utilization", "9")]),
        ]
    }

    #[test]
    fn a_named_metric_aggregates_its_own_data_points_only() {
        let rows = run_spl(
            "| mstats avg(process.cpu.utilization) count(process.memory.utilization) AS mem where index=k8s by host.name",
            data(),
        );
        assert_eq!(
            cells(&rows),
            [
                "host.name=w1 avg(process.cpu.utilization)=0.30000000000000004 mem=1",
                "host.name=w2 avg(process.cpu.utilization)=1 mem=1"
            ]
        );
    }

    #[test]
    fn a_wildcard_gives_one_column_per_metric_named_from_the_as_template() {
        // Dimensions that match the pattern (`process.executable.name`) are not metrics.
        let rows = run_spl("| mstats avg(process.*) AS avg_* where index=k8s by process.executable.name", data());
        assert_eq!(
            cells(&rows),
            [
                "process.executable.name=bash avg_cpu.utilization=0.30000000000000004 avg_memory.utilization=0.5",
                "process.executable.name=sh avg_cpu.utilization=1 avg_memory.utilization=0.1"
            ]
        );
        let rows = run_spl("| mstats max(process.*) where index=k8s", data());
        assert_eq!(cells(&rows), ["max(process.cpu.utilization)=1 max(process.memory.utilization)=0.5"]);
    }

    #[test]
    fn value_with_metric_name_in_where_and_a_span_splits_by_time_first() {
        let rows = run_spl(
            "| mstats sum(_value) AS total where index=k8s metric_name=process.cpu.* by host.name span=10s",
            data(),
        );
        assert_eq!(cells(&rows), ["_time=100 host.name=w1 total=0.6000000000000001", "_time=110 host.name=w2 total=1"]);
        // A single-metric point (`metric_name` and `_value`) reads the same way.
        let mut single = Event::from_pairs(&[("index", "k8s"), ("metric_name", "io"), ("_value", "7"), ("pod", "p")]);
        single.set("_time", Value::num(50.0));
        let rows = run_spl("| mstats sum(io) AS io count(io) where index=k8s by pod", vec![single.clone()]);
        assert_eq!(cells(&rows), ["pod=p io=7 count(io)=1"]);
        let rows = run_spl("| mstats count(_value) where index=k8s metric_name=io by pod", vec![single]);
        assert_eq!(cells(&rows), ["pod=p count(_value)=1"]);
    }

    #[test]
    fn a_span_in_where_without_by_is_the_span() {
        // The reference's `| mstats avg(_value) WHERE index=… metric_name=… span=30s`.
        let rows =
            run_spl("| mstats count(_value) AS n where index=k8s metric_name=process.cpu.utilization span=10s", data());
        assert_eq!(cells(&rows), ["_time=100 n=2", "_time=110 n=1"]);
        let (msg, at) = plan_error_at("| mstats avg(cpu) where index=m span=abc").unwrap();
        assert!(msg.contains("cannot read span"), "{msg}");
        assert_eq!(at, "abc");
    }

    #[test]
    fn where_time_bounds_test_the_points_own_time_not_its_bucket() {
        // latest=105 excludes the point at 105 though its 1m bucket starts at 60.
        let rows = run_spl(
            "| mstats count(process.cpu.utilization) AS n where index=k8s latest=105 by host.name span=1m",
            data(),
        );
        assert_eq!(cells(&rows), ["_time=60 host.name=w1 n=1"]);
    }

    #[test]
    fn blending_value_and_named_metrics_is_refused_at_the_aggregation() {
        let (msg, at) = plan_error_at("| mstats avg(_value) max(cpu) where index=m").unwrap();
        assert!(msg.contains("cannot blend"), "{msg}");
        assert_eq!(at, "avg(_value)");
        let (msg, _) = plan_error_at("| mstats avg(cpu) from datamodel=X where index=m").unwrap();
        assert!(msg.contains("not with FROM"), "{msg}");
    }
}
