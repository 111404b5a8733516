//! OpenTelemetry metrics as OTLP JSON (`{"resourceMetrics":[…]}`, one batch a line, as an
//! OpenTelemetry Collector's `file` exporter writes them): each data point becomes the metric
//! event the Collector's `splunk_hec` exporter sends to Splunk (its `mapMetricToSplunkEvent`,
//! exporter/splunkhecexporter/metricdata_to_splunk.go, and that file's tests), so `mstats` reads
//! a captured file as it would read the metrics index:
//! - resource attributes are dimensions, but for `host.name`, which is the event's `host` only
//!   (`unknown` without it), and `com.splunk.source`/`sourcetype`/`index`, which are those
//!   fields; then the point's attributes; every value as its text (an array or map as JSON);
//! - a gauge or sum point is `metric_name:<name>`, with `metric_type` `Gauge` or `Sum`;
//! - a histogram point gives a `<name>_sum` event, a `<name>_count` event and, when it has one
//!   more bucket count than bounds, a cumulative `<name>_bucket` event per bound `le` and `+Inf`;
//! - a summary point gives `<name>_sum`, `<name>_count` and a `<name>_<quantile>` event per
//!   quantile, with `qt`;
//! - times keep millisecond precision. An exponential histogram has no Splunk form (the
//!   exporter drops it too) and gives no event.

use serde_json::{Map, Value as Json};

use crate::event::Event;
use crate::value::Atom;

/// Whether a JSON object is an OTLP metrics batch.
pub(crate) fn is_metrics(map: &Map<String, Json>) -> bool {
    matches!(map.get("resourceMetrics"), Some(Json::Array(_)))
}

/// A resource's metadata (`host`, `source`, `sourcetype`, `index`) and the attributes the
/// exporter writes into its events' fields, in order (a later one of a key replaces it).
#[derive(Clone)]
struct Dims {
    meta: [Option<String>; 4],
    fields: Vec<(String, String)>,
}

const META: [&str; 4] = ["host", "source", "sourcetype", "index"];

impl Dims {
    /// A resource's attributes: `host.name` is the host (`unknown` without it), the
    /// `com.splunk.*` ones the other metadata, the rest fields.
    fn resource(attrs: Option<&Json>) -> Dims {
        let mut dims = Dims { meta: [Some("unknown".into()), None, None, None], fields: Vec::new() };
        for (key, value) in attributes(attrs) {
            let slot = match key.as_str() {
                "host.name" => Some(0),
                "com.splunk.source" => Some(1),
                "com.splunk.sourcetype" => Some(2),
                "com.splunk.index" => Some(3),
                "com.splunk.hec.access_token" => continue,
                _ => None,
            };
            match slot.and_then(|i| dims.meta.get_mut(i)) {
                Some(m) => *m = Some(value),
                None => dims.put(key, value),
            }
        }
        dims
    }

    /// These with a data point's attributes, all of them fields.
    fn with(&self, attrs: Option<&Json>) -> Dims {
        let mut out = self.clone();
        for (key, value) in attributes(attrs) {
            out.put(key, value);
        }
        out
    }

    fn put(&mut self, key: String, value: String) {
        self.fields.retain(|(k, _)| *k != key);
        self.fields.push((key, value));
    }
}

/// OTLP `attributes` (`[{"key":…, "value":{"stringValue":…}}]`) as (key, text).
fn attributes(attrs: Option<&Json>) -> impl Iterator<Item = (String, String)> + '_ {
    attrs
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| Some((kv.get("key")?.as_str()?.to_string(), any_value(kv.get("value")?)?)))
}

/// An OTLP `AnyValue` as its text, as the exporter's `AsString` gives it: a string as it is, a
/// number or boolean as written, an array or key/value list as JSON.
fn any_value(v: &Json) -> Option<String> {
    match raw_value(v)? {
        Json::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// An OTLP `AnyValue` as the plain JSON value it stands for.
fn raw_value(v: &Json) -> Option<Json> {
    let obj = v.as_object()?;
    if let Some(s) = obj.get("stringValue").and_then(Json::as_str) {
        return Some(Json::String(s.to_string()));
    }
    if let Some(n) = number(obj.get("intValue")).or_else(|| number(obj.get("doubleValue"))) {
        return serde_json::from_str::<serde_json::Number>(&n.as_str()).ok().map(Json::Number);
    }
    if let Some(b) = obj.get("boolValue").and_then(Json::as_bool) {
        return Some(Json::Bool(b));
    }
    let list = |key: &str| obj.get(key).and_then(|l| l.get("values")).and_then(Json::as_array);
    if let Some(items) = list("arrayValue") {
        return Some(Json::Array(items.iter().filter_map(raw_value).collect()));
    }
    list("kvlistValue").map(|kvs| {
        Json::Object(
            kvs.iter()
                .filter_map(|kv| Some((kv.get("key")?.as_str()?.to_string(), kv.get("value").and_then(raw_value)?)))
                .collect(),
        )
    })
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
        let resource = Dims::resource(rm.get("resource").and_then(|r| r.get("attributes")));
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

/// The events of one metric's data points.
fn metric_points(name: &str, metric: &Json, resource: &Dims, file: &str, out: &mut Vec<Event>) {
    let kinds = [("gauge", "Gauge"), ("sum", "Sum"), ("histogram", "Histogram"), ("summary", "Summary")];
    let Some((kind, body)) = kinds.iter().find_map(|(k, t)| metric.get(*k).map(|b| (*t, b))) else { return };
    for dp in body.get("dataPoints").and_then(Json::as_array).into_iter().flatten() {
        let dims = resource.with(dp.get("attributes"));
        // Seconds with millisecond precision; no time for a zero one (HEC then stamps it).
        let time = num(dp.get("timeUnixNano")).filter(|ns| *ns != 0.0).map(|ns| (ns / 1e6).round() / 1e3);
        let mut emit = |extra: Option<(&str, String)>, metric: String, value: Option<Atom>| {
            if let Some(value) = value {
                if out.len() <= MAX_POINTS {
                    out.push(point_event(&dims, extra, kind, time, (metric, value), file));
                }
            }
        };
        match kind {
            "Gauge" | "Sum" => {
                emit(None, name.to_string(), number(dp.get("asDouble")).or_else(|| number(dp.get("asInt"))))
            }
            "Histogram" => {
                emit(None, format!("{name}_sum"), number(dp.get("sum")));
                emit(None, format!("{name}_count"), number(dp.get("count")));
                let counts: Vec<f64> = dp
                    .get("bucketCounts")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| num(Some(c)))
                    .collect();
                let bounds: Vec<Atom> = dp
                    .get("explicitBounds")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|b| number(Some(b)))
                    .collect();
                // The OTLP rule the exporter keeps: one more count than bounds, else no bucket.
                if counts.len() != bounds.len() + 1 {
                    continue;
                }
                let les = bounds.iter().map(|b| b.as_str().into_owned()).chain(["+Inf".to_string()]);
                let mut cumulative = 0.0;
                for (le, c) in les.zip(&counts) {
                    cumulative += c;
                    emit(Some(("le", le)), format!("{name}_bucket"), Some(Atom::Num(cumulative)));
                }
            }
            _ => {
                emit(None, format!("{name}_sum"), number(dp.get("sum")));
                emit(None, format!("{name}_count"), number(dp.get("count")));
                for q in dp.get("quantileValues").and_then(Json::as_array).into_iter().flatten() {
                    let qt = number(q.get("quantile")).map(|a| a.as_str().into_owned()).unwrap_or_else(|| "0".into());
                    emit(Some(("qt", qt.clone())), format!("{name}_{qt}"), number(q.get("value")));
                }
            }
        }
    }
}

/// One metric event: the HEC payload the `splunk_hec` exporter sends for it, read as the HEC
/// reader reads that payload (its `_raw` is the payload's text).
fn point_event(
    dims: &Dims,
    extra: Option<(&str, String)>,
    kind: &str,
    time: Option<f64>,
    (metric, value): (String, Atom),
    file: &str,
) -> Event {
    let mut fields: Map<String, Json> = dims.fields.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect();
    if let Some((k, v)) = extra {
        fields.insert(k.to_string(), Json::String(v));
    }
    fields.insert("metric_type".into(), Json::String(kind.into()));
    // The number as written (serde_json keeps a number's text).
    let number = serde_json::from_str::<serde_json::Number>(&value.as_str())
        .ok()
        .or_else(|| value.to_num().and_then(serde_json::Number::from_f64))
        .map_or(Json::Null, Json::Number);
    fields.insert(format!("{}{metric}", crate::ops::mstats::METRIC_PREFIX), number);
    let mut payload = Map::new();
    if let Some(t) = time.and_then(serde_json::Number::from_f64) {
        payload.insert("time".into(), Json::Number(t));
    }
    for (k, v) in META.iter().zip(&dims.meta) {
        if let Some(v) = v {
            payload.insert((*k).into(), Json::String(v.clone()));
        }
    }
    payload.insert("event".into(), Json::String("metric".into()));
    payload.insert("fields".into(), Json::Object(fields));
    let raw = serde_json::to_string(&payload).unwrap_or_default();
    super::json::hec_event(&payload, &raw, file)
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

    /// The exporter's `mapMetricToSplunkEvent` and its tests (metricdata_to_splunk_test.go):
    /// `host.name` is the host, not a field; a histogram's sum and count are events of their
    /// own, before cumulative buckets by `le`; a summary's quantiles are `<name>_<q>` by `qt`.
    #[test]
    fn points_are_the_events_the_splunk_hec_exporter_sends() {
        let evs = events(BATCH);
        let dims = r#"k8s.pod.uid=42 ready=true tags=["a","b"] nested={}"#;
        let meta = "source=f.json sourcetype=httpevent host=n1 index=k8s";
        let got: Vec<String> = evs.iter().map(|e| shown(e).join(" ")).collect();
        let want = [
            format!("_time=1700000000.5 {dims} direction=rx metric_type=Sum metric_name:io=7 {meta}"),
            format!("_time=1700000001 {dims} metric_type=Histogram metric_name:lat_sum=2.5 {meta}"),
            format!("_time=1700000001 {dims} metric_type=Histogram metric_name:lat_count=6 {meta}"),
            // Buckets are cumulative, the last one `+Inf`.
            format!("_time=1700000001 {dims} le=0.1 metric_type=Histogram metric_name:lat_bucket=1 {meta}"),
            format!("_time=1700000001 {dims} le=1 metric_type=Histogram metric_name:lat_bucket=3 {meta}"),
            format!("_time=1700000001 {dims} le=+Inf metric_type=Histogram metric_name:lat_bucket=6 {meta}"),
            format!("_time=1700000002 {dims} metric_type=Summary metric_name:q_sum=8 {meta}"),
            format!("_time=1700000002 {dims} metric_type=Summary metric_name:q_count=4 {meta}"),
            format!("_time=1700000002 {dims} qt=0.5 metric_type=Summary metric_name:q_0.5=1.5 {meta}"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_point_attribute_named_host_name_is_a_field_and_a_resource_without_one_is_host_unknown() {
        let batch = r#"{"resourceMetrics":[{"resource":{},"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[
            {"attributes":[{"key":"host.name","value":{"stringValue":"n2"}}],"timeUnixNano":"1700000000123456789","asDouble":1.5}]}}]}]}]}"#;
        let got: Vec<String> = events(batch).iter().map(|e| shown(e).join(" ")).collect();
        assert_eq!(
            got,
            ["_time=1700000000.123 host.name=n2 metric_type=Gauge metric_name:g=1.5 source=f.json sourcetype=httpevent host=unknown"]
        );
        // Bucket counts that are not one more than the bounds give no bucket (sum and count stay).
        let batch = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[
            {"count":"3","sum":1,"bucketCounts":["1","2"],"explicitBounds":[1,2]}]}}]}]}]}"#;
        let got: Vec<String> = events(batch).iter().map(|e| shown(e).join(" ")).collect();
        assert_eq!(
            got,
            [
                "metric_type=Histogram metric_name:h_sum=1 source=f.json sourcetype=httpevent host=unknown",
                "metric_type=Histogram metric_name:h_count=3 source=f.json sourcetype=httpevent host=unknown"
            ]
        );
    }

    #[test]
    fn a_batch_of_more_points_than_the_bound_gives_the_bound_and_says_so() {
        let counts = vec!["1"; MAX_POINTS + 10];
        let bounds: Vec<usize> = (0..MAX_POINTS + 9).collect();
        let batch = serde_json::json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"name": "h", "histogram": {"dataPoints": [{"bucketCounts": counts, "explicitBounds": bounds}]}}]}]}]});
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
