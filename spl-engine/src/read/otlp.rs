//! OpenTelemetry metrics as OTLP JSON (`{"resourceMetrics":[…]}`, one batch a line, as an
//! OpenTelemetry Collector's `file` exporter writes them): each data point becomes the metric
//! event the Collector's `splunk_hec` exporter would have sent to Splunk, so `mstats` reads a
//! captured file as it would read the metrics index. Resource and data-point attributes are
//! dimensions (`host.name` also gives `host`; `com.splunk.source`, `…sourcetype`, `…index` give
//! those fields); a gauge or sum point is `metric_name:<name>`; a histogram gives
//! `<name>_count`, `<name>_sum` and cumulative `<name>_bucket` points by `le` (`+Inf` last); a
//! summary gives `<name>_count`, `<name>_sum` and `<name>` points by quantile `qt`. An
//! exponential histogram has no Splunk form (the exporter drops it too) and gives no event.

use serde_json::{Map, Value as Json};

use crate::event::Event;
use crate::value::{Atom, Value};

/// Whether a JSON object is an OTLP metrics batch.
pub(crate) fn is_metrics(map: &Map<String, Json>) -> bool {
    matches!(map.get("resourceMetrics"), Some(Json::Array(_)))
}

/// Dimensions and metadata shared by a batch's points of one resource, or one data point.
#[derive(Clone, Default)]
struct Dims {
    fields: Vec<(String, Vec<Atom>)>,
}

impl Dims {
    /// OTLP `attributes` (`[{"key":…, "value":{"stringValue":…}}]`) added to these.
    fn with(&self, attrs: Option<&Json>) -> Dims {
        let mut out = self.clone();
        for kv in attrs.and_then(Json::as_array).into_iter().flatten() {
            let Some(key) = kv.get("key").and_then(Json::as_str) else { continue };
            let atoms = kv.get("value").map(any_value).unwrap_or_default();
            if atoms.is_empty() {
                continue;
            }
            out.fields.retain(|(k, _)| k != key);
            out.fields.push((key.to_string(), atoms));
        }
        out
    }
}

/// An OTLP `AnyValue` as field values (an array's elements in order; a key/value list is not a
/// dimension Splunk could hold and gives none).
fn any_value(v: &Json) -> Vec<Atom> {
    let Some(obj) = v.as_object() else { return Vec::new() };
    if let Some(Json::Array(items)) = obj.get("arrayValue").and_then(|a| a.get("values")) {
        return items.iter().flat_map(any_value).collect();
    }
    for key in ["stringValue", "intValue", "doubleValue", "boolValue"] {
        match obj.get(key) {
            Some(Json::String(s)) if !s.is_empty() => return vec![Atom::from(s.as_str())],
            Some(Json::Number(n)) => return vec![Atom::from(n.to_string())],
            Some(Json::Bool(b)) => return vec![Atom::from(b.to_string())],
            _ => {}
        }
    }
    Vec::new()
}

/// A number written as JSON number or string (OTLP JSON writes 64-bit integers as strings).
fn number(v: Option<&Json>) -> Option<Atom> {
    match v? {
        Json::Number(n) => Some(Atom::from(n.to_string())),
        Json::String(s) if crate::value::parse_num(s).is_some() => Some(Atom::from(s.as_str())),
        _ => None,
    }
}

fn num(v: Option<&Json>) -> Option<f64> {
    number(v).and_then(|a| a.to_num())
}

/// Events one batch may give: a line is at most 16 MiB, but one histogram of millions of
/// buckets would give an event (all its dimensions) per bucket.
pub(crate) const MAX_POINTS: usize = 100_000;

/// The events of one OTLP metrics batch, in its order, and whether it held more than
/// `MAX_POINTS` (the rest are not read).
pub(crate) fn metric_events(map: &Map<String, Json>, file: &str) -> (Vec<Event>, bool) {
    let mut out = Vec::new();
    for rm in map.get("resourceMetrics").and_then(Json::as_array).into_iter().flatten() {
        let resource = Dims::default().with(rm.get("resource").and_then(|r| r.get("attributes")));
        for sm in rm.get("scopeMetrics").and_then(Json::as_array).into_iter().flatten() {
            for metric in sm.get("metrics").and_then(Json::as_array).into_iter().flatten() {
                let Some(name) = metric.get("name").and_then(Json::as_str) else { continue };
                metric_points(name, metric, &resource, file, &mut out);
                if out.len() > MAX_POINTS {
                    out.truncate(MAX_POINTS);
                    return (out, true);
                }
            }
        }
    }
    (out, false)
}

/// A histogram's or summary's `<name>_count` and `<name>_sum` points.
fn totals(name: &str, dp: &Json) -> Vec<(String, Atom)> {
    [("count", "_count"), ("sum", "_sum")]
        .into_iter()
        .filter_map(|(key, suffix)| number(dp.get(key)).map(|v| (format!("{name}{suffix}"), v)))
        .collect()
}

/// The events of one metric's data points.
fn metric_points(name: &str, metric: &Json, resource: &Dims, file: &str, out: &mut Vec<Event>) {
    let kinds = [("gauge", "Gauge"), ("sum", "Sum"), ("histogram", "Histogram"), ("summary", "Summary")];
    let Some((kind, body)) = kinds.iter().find_map(|(k, t)| metric.get(*k).map(|b| (*t, b))) else { return };
    for dp in body.get("dataPoints").and_then(Json::as_array).into_iter().flatten() {
        let dims = resource.with(dp.get("attributes"));
        let time = num(dp.get("timeUnixNano")).map(|ns| ns / 1e9);
        let mut emit = |extra: Option<(&str, Atom)>, points: Vec<(String, Atom)>| {
            if !points.is_empty() && out.len() <= MAX_POINTS {
                out.push(point_event(&dims, extra, kind, time, points, file));
            }
        };
        match kind {
            "Gauge" | "Sum" => {
                let value = number(dp.get("asDouble")).or_else(|| number(dp.get("asInt")));
                emit(None, value.map(|v| (name.to_string(), v)).into_iter().collect());
            }
            "Histogram" => {
                emit(None, totals(name, dp));
                let counts: Vec<f64> = dp
                    .get("bucketCounts")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| num(Some(c)))
                    .collect();
                let bounds: Vec<&Json> =
                    dp.get("explicitBounds").and_then(Json::as_array).into_iter().flatten().collect();
                let mut cumulative = 0.0;
                for (i, c) in counts.iter().enumerate() {
                    cumulative += c;
                    let le = match bounds.get(i).and_then(|b| number(Some(b))) {
                        Some(b) => b,
                        None => Atom::from("+Inf"),
                    };
                    emit(Some(("le", le)), vec![(format!("{name}_bucket"), Atom::Num(cumulative))]);
                }
            }
            _ => {
                emit(None, totals(name, dp));
                for q in dp.get("quantileValues").and_then(Json::as_array).into_iter().flatten() {
                    if let (Some(qt), Some(v)) = (number(q.get("quantile")), number(q.get("value"))) {
                        emit(Some(("qt", qt)), vec![(name.to_string(), v)]);
                    }
                }
            }
        }
    }
}

/// One metric event: as the `splunk_hec` exporter sends it, and as the HEC reader reads that.
fn point_event(
    dims: &Dims,
    extra: Option<(&str, Atom)>,
    kind: &str,
    time: Option<f64>,
    points: Vec<(String, Atom)>,
    file: &str,
) -> Event {
    let mut ev = Event::new();
    if let Some(t) = time {
        ev.set("_time", Value::num(t));
    }
    let mut fields = serde_json::Map::new();
    let mut meta: [(&str, Option<String>); 4] =
        [("host", None), ("source", None), ("sourcetype", None), ("index", None)];
    for (k, atoms) in &dims.fields {
        let slot = match k.as_str() {
            "com.splunk.source" => Some(1),
            "com.splunk.sourcetype" => Some(2),
            "com.splunk.index" => Some(3),
            _ => None,
        };
        if let Some(i) = slot {
            if let Some(m) = meta.get_mut(i) {
                m.1 = atoms.first().map(|a| a.as_str().into_owned());
            }
            continue;
        }
        if k == "host.name" {
            if let Some(m) = meta.first_mut() {
                m.1 = atoms.first().map(|a| a.as_str().into_owned());
            }
        }
        if let Some(v) = Value::from_atoms(atoms.clone()) {
            ev.set(k.as_str(), v);
        }
        let shown: Vec<Json> = atoms.iter().map(|a| Json::String(a.as_str().into_owned())).collect();
        fields.insert(
            k.clone(),
            if shown.len() == 1 { shown.into_iter().next().unwrap_or(Json::Null) } else { Json::Array(shown) },
        );
    }
    if let Some((k, v)) = extra {
        fields.insert(k.to_string(), Json::String(v.as_str().into_owned()));
        ev.set(k, Value::One(v));
    }
    ev.set("metric_type", kind);
    fields.insert("metric_type".into(), Json::String(kind.into()));
    for (name, value) in points {
        let key = format!("{}{name}", crate::ops::mstats::METRIC_PREFIX);
        // The number as written (serde_json keeps a number's text), so the payload reads back as it.
        let shown = serde_json::from_str::<serde_json::Number>(&value.as_str())
            .ok()
            .or_else(|| value.to_num().and_then(serde_json::Number::from_f64))
            .map_or(Json::Null, Json::Number);
        fields.insert(key.clone(), shown);
        ev.set(key.as_str(), Value::One(value));
    }
    let mut payload = serde_json::Map::new();
    if let Some(t) = time.and_then(serde_json::Number::from_f64) {
        payload.insert("time".into(), Json::Number(t));
    }
    for (k, v) in &meta {
        if let Some(v) = v {
            payload.insert((*k).into(), Json::String(v.clone()));
            ev.set(*k, v.as_str());
        }
    }
    payload.insert("event".into(), Json::String("metric".into()));
    payload.insert("fields".into(), Json::Object(fields));
    if ev.get("source").is_none() {
        ev.set("source", file);
    }
    if ev.get("sourcetype").is_none() {
        ev.set("sourcetype", "httpevent");
    }
    ev.set("_raw", Json::Object(payload).to_string());
    super::reorder(ev, &["source", "sourcetype", "host", "_raw", "index"])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn events(batch: &str) -> Vec<Event> {
        let Json::Object(map) = serde_json::from_str::<Json>(batch).unwrap() else { panic!("an object") };
        assert!(is_metrics(&map));
        let (events, cut) = metric_events(&map, "f.json");
        assert!(!cut);
        events
    }

    fn shown(ev: &Event) -> Vec<String> {
        ev.fields.iter().filter(|(k, _)| k.as_str() != "_raw").map(|(k, v)| format!("{k}={v}")).collect()
    }

    const BATCH: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[
        {"key":"host.name","value":{"stringValue":"n1"}},
        {"key":"com.splunk.index","value":{"stringValue":"k8s"}},
        {"key":"k8s.pod.uid","value":{"intValue":"42"}},
        {"key":"ready","value":{"boolValue":true}},
        {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}},
        {"key":"nested","value":{"kvlistValue":{"values":[]}}}]},
      "scopeMetrics":[{"metrics":[
        {"name":"io","sum":{"dataPoints":[{"attributes":[{"key":"direction","value":{"stringValue":"rx"}}],"timeUnixNano":"1700000000500000000","asInt":"7"}]}},
        {"name":"lat","histogram":{"dataPoints":[{"timeUnixNano":"1700000001000000000","count":"6","sum":2.5,"bucketCounts":["1","2","3"],"explicitBounds":[0.1,1]}]}},
        {"name":"q","summary":{"dataPoints":[{"timeUnixNano":"1700000002000000000","count":"4","sum":8,"quantileValues":[{"quantile":0.5,"value":1.5}]}]}}
      ]}]}]}"#;

    #[test]
    fn points_are_the_events_the_splunk_hec_exporter_sends() {
        let evs = events(BATCH);
        let dims = "host.name=n1 k8s.pod.uid=42 ready=true tags=a\nb";
        let got: Vec<String> = evs.iter().map(|e| shown(e).join(" ")).collect();
        let want = [
            format!("_time=1700000000.5 {dims} direction=rx metric_type=Sum metric_name:io=7 source=f.json sourcetype=httpevent host=n1 index=k8s"),
            format!("_time=1700000001 {dims} metric_type=Histogram metric_name:lat_count=6 metric_name:lat_sum=2.5 source=f.json sourcetype=httpevent host=n1 index=k8s"),
            // Buckets are cumulative, the last one `+Inf`.
            format!("_time=1700000001 {dims} le=0.1 metric_type=Histogram metric_name:lat_bucket=1 source=f.json sourcetype=httpevent host=n1 index=k8s"),
            format!("_time=1700000001 {dims} le=1 metric_type=Histogram metric_name:lat_bucket=3 source=f.json sourcetype=httpevent host=n1 index=k8s"),
            format!("_time=1700000001 {dims} le=+Inf metric_type=Histogram metric_name:lat_bucket=6 source=f.json sourcetype=httpevent host=n1 index=k8s"),
            format!("_time=1700000002 {dims} metric_type=Summary metric_name:q_count=4 metric_name:q_sum=8 source=f.json sourcetype=httpevent host=n1 index=k8s"),
            format!("_time=1700000002 {dims} qt=0.5 metric_type=Summary metric_name:q=1.5 source=f.json sourcetype=httpevent host=n1 index=k8s"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_batch_of_more_points_than_the_bound_gives_the_bound_and_says_so() {
        let counts = vec!["1"; MAX_POINTS + 10];
        let batch = serde_json::json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"name": "h", "histogram": {"dataPoints": [{"bucketCounts": counts}]}}]}]}]});
        let Json::Object(map) = batch else { panic!("an object") };
        let (events, cut) = metric_events(&map, "f.json");
        assert!(cut);
        assert_eq!(events.len(), MAX_POINTS);
    }

    #[test]
    fn each_points_raw_is_the_hec_payload_that_reads_back_as_it() {
        for ev in events(BATCH) {
            let raw = ev.get_str("_raw").unwrap().into_owned();
            let Json::Object(map) = serde_json::from_str::<Json>(&raw).unwrap() else { panic!("{raw}") };
            assert!(super::super::json::is_hec(&map), "{raw}");
            let back = super::super::json::hec_event(&map, &raw, "f.json");
            assert_eq!(shown(&back), shown(&ev), "{raw}");
        }
    }
}
