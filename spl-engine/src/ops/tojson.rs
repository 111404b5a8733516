//! `tojson [<tojson-function>]... [default_type=<datatype>] [fill_null=<bool>]
//! [include_internal=<bool>] [output_field=<string>]`: each result's fields as one JSON object,
//! written to `_raw` (or `output_field`). Streaming: the result keeps its other fields.
//!
//! Rules, from Splunk's search reference
//! (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/tojson,
//! https://docs.splunk.com/Documentation/Splunk/9.4.0/SearchReference/Tojson):
//! - A `<tojson-function>` is `auto|bool|json|none|num|str(<wc-field>)`; a bare `<wc-field>` gets
//!   `default_type` (default `none`). Only the fields named or matched are output; with none,
//!   every field (`none(*)`, or `default_type`'s function: `default_type=auto` is `auto(*)`).
//! - `none`: purely numeric values are JSON numbers, every other value a string.
//! - `auto`: numbers; the strings `true`/`false` as booleans; `null` as null; text that is a
//!   JSON object or array nested as such; any other text as a string.
//! - `bool`: a number is false only if 0; the strings `true`/`t`/`yes` and `false`/`f`/`no`
//!   (any case) are booleans; other strings are skipped.
//! - `json`: a number as a number; text that is valid JSON as that JSON; anything else skipped.
//! - `num`: numbers and text that parses as one; other values skipped.
//! - `str`: every value as a string, numbers included.
//! - A multivalue field is an array, each element converted on its own.
//! - `fill_null=true`: a skipped value is written as `null` instead of being left out.
//! - `include_internal=true`: internal fields (`_time`, `_raw`, `_indextime` …) are output too.
//!
//! Where the reference is silent, spelunk takes:
//! - Keys in byte order of the field names (the reference's example objects list them so).
//! - A field several functions match takes the one naming it exactly, else the first written
//!   (`num(date_hour) str(date_*)`: the reference's example 2 gives date_hour a number).
//! - Internal fields without include_internal are still taken by a pattern that itself starts
//!   with `_` (`str(_time)`, `_*`): the user named them.
//! - Numbers keep the digits they were written with (`1.50`, a 20-digit id; an exponent gets its
//!   sign, `1e3` is `1e+3`); numeric text that is not a JSON number as written (`007`, `+5`,
//!   `.5`) is written as the number it reads as.
//!   Numeric is what `eval` and `stats` take for a number (decimal, optional sign, fraction and
//!   exponent; hex is text).
//! - A multivalue field whose every value is skipped is left out (`null` with fill_null); with
//!   some skipped, the array holds the others (and `null`s in their place with fill_null).
//! - A field named in the list but missing from a result is left out (fill_null fills values a
//!   function skips, not fields a result lacks).
//! - `auto`'s `true`/`false`/`null` are those exact (lower-case) words, as JSON writes them.

use serde_json::{Map, Number, Value as Json};

use crate::event::{Event, Name};
use crate::exec::{ExecError, Operator};
use crate::ops::fields::NamePattern;
use crate::ops::fieldsummary::pattern_takes;
use crate::value::{format_num, parse_num, Atom};

/// A `tojson` datatype function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datatype {
    Auto,
    Bool,
    Json,
    None,
    Num,
    Str,
}

impl Datatype {
    /// The datatype a name gives (any case); `None` for other names.
    pub fn parse(s: &str) -> Option<Datatype> {
        Some(match s.to_ascii_lowercase().as_str() {
            "auto" => Datatype::Auto,
            "bool" => Datatype::Bool,
            "json" => Datatype::Json,
            "none" => Datatype::None,
            "num" => Datatype::Num,
            "str" => Datatype::Str,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Datatype::Auto => "auto",
            Datatype::Bool => "bool",
            Datatype::Json => "json",
            Datatype::None => "none",
            Datatype::Num => "num",
            Datatype::Str => "str",
        }
    }

    /// One value as JSON; `None` when this datatype skips it.
    pub fn convert(self, a: &Atom) -> Option<Json> {
        match self {
            Datatype::Str => Some(Json::String(a.as_str().into_owned())),
            Datatype::None => Some(number(a).unwrap_or_else(|| Json::String(a.as_str().into_owned()))),
            Datatype::Num => number(a),
            Datatype::Bool => match a.to_num().filter(|x| x.is_finite()) {
                Some(x) => Some(Json::Bool(x != 0.0)),
                None => match a.as_str().to_ascii_lowercase().as_str() {
                    "true" | "t" | "yes" => Some(Json::Bool(true)),
                    "false" | "f" | "no" => Some(Json::Bool(false)),
                    _ => None,
                },
            },
            Datatype::Json => match a {
                Atom::Num(_) => number(a),
                Atom::Str(s) => serde_json::from_str::<Json>(s).ok(),
            },
            Datatype::Auto => {
                if let Some(n) = number(a) {
                    return Some(n);
                }
                let s = a.as_str();
                Some(match s.as_ref() {
                    "true" => Json::Bool(true),
                    "false" => Json::Bool(false),
                    "null" => Json::Null,
                    t => match serde_json::from_str::<Json>(t) {
                        Ok(j @ (Json::Object(_) | Json::Array(_))) => j,
                        _ => Json::String(t.to_string()),
                    },
                })
            }
        }
    }
}

/// A value as a JSON number, when it is numeric: with the digits it was written with when they
/// are a JSON number, else the number it reads as.
fn number(a: &Atom) -> Option<Json> {
    let (x, written) = match a {
        Atom::Num(x) => (*x, None),
        Atom::Str(s) => (parse_num(s)?, Some(s.trim())),
    };
    if !x.is_finite() {
        return None;
    }
    let n = written.and_then(|w| w.parse::<Number>().ok()).or_else(|| format_num(x).parse::<Number>().ok())?;
    Some(Json::Number(n))
}

/// One `<tojson-function>` or bare field of the list.
#[derive(Clone, Debug)]
pub struct Spec {
    pub pattern: NamePattern,
    /// `None`: a bare field, which gets `default_type`.
    pub ty: Option<Datatype>,
}

/// `tojson …`.
pub struct TojsonOp {
    specs: Vec<Spec>,
    default_type: Datatype,
    fill_null: bool,
    include_internal: bool,
    output_field: Name,
}

impl TojsonOp {
    pub fn new(
        specs: Vec<Spec>,
        default_type: Datatype,
        fill_null: bool,
        include_internal: bool,
        output_field: String,
    ) -> Self {
        TojsonOp { specs, default_type, fill_null, include_internal, output_field: Name::from(output_field) }
    }

    /// The datatype a field is written with; `None` when it is not output.
    fn datatype(&self, name: &str) -> Option<Datatype> {
        let takes = |p: &NamePattern| if self.include_internal { p.matches(name) } else { pattern_takes(p, name) };
        if self.specs.is_empty() {
            return (self.include_internal || !name.starts_with('_')).then_some(self.default_type);
        }
        let spec = self
            .specs
            .iter()
            .find(|s| !s.pattern.is_wild() && takes(&s.pattern))
            .or_else(|| self.specs.iter().find(|s| takes(&s.pattern)))?;
        Some(spec.ty.unwrap_or(self.default_type))
    }

    /// The result's JSON object.
    pub fn object(&self, ev: &Event) -> String {
        let mut fields: Vec<(&Name, &crate::value::Value)> = ev.fields.iter().collect();
        fields.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        // Keys are inserted in name order (serde_json's map may keep insertion order).
        let mut obj = Map::new();
        for (name, value) in fields {
            let Some(ty) = self.datatype(name) else { continue };
            let fill = || self.fill_null.then_some(Json::Null);
            let json = if value.is_multi() {
                let items: Vec<Json> = value.atoms().iter().filter_map(|a| ty.convert(a).or_else(fill)).collect();
                if items.is_empty() {
                    fill()
                } else {
                    Some(Json::Array(items))
                }
            } else {
                value.atoms().first().and_then(|a| ty.convert(a)).or_else(fill)
            };
            if let Some(j) = json {
                obj.insert(name.to_string(), j);
            }
        }
        Json::Object(obj).to_string()
    }
}

impl Operator for TojsonOp {
    fn name(&self) -> &str {
        "tojson"
    }

    fn describe(&self) -> String {
        let specs: Vec<String> = self
            .specs
            .iter()
            .map(|s| match s.ty {
                Some(t) => format!("{}({})", t.name(), s.pattern.text),
                None => s.pattern.text.clone(),
            })
            .collect();
        let specs = if specs.is_empty() { format!("{}(*)", self.default_type.name()) } else { specs.join(" ") };
        format!(
            "tojson {specs} default_type={} fill_null={} include_internal={} output_field={}",
            self.default_type.name(),
            self.fill_null,
            self.include_internal,
            self.output_field
        )
    }

    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        let json = self.object(&ev);
        ev.set(self.output_field.clone(), json);
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{run_op as run, Context};

    fn spec(ty: Option<Datatype>, pattern: &str) -> Spec {
        Spec { pattern: NamePattern::new(pattern), ty }
    }

    fn op(specs: Vec<Spec>) -> TojsonOp {
        TojsonOp::new(specs, Datatype::None, false, false, "_raw".into())
    }

    fn json_of(op: &TojsonOp, ev: &Event) -> String {
        op.object(ev)
    }

    fn conv(ty: Datatype, s: &str) -> Option<String> {
        ty.convert(&Atom::from(s)).map(|j| j.to_string())
    }

    #[test]
    fn tojson_writes_every_visible_field_to_raw_with_none_by_default() {
        let mut ev = Event::from_pairs(&[("_raw", "original"), ("user", "bob"), ("count", "42"), ("ratio", "1.50")]);
        ev.set("_time", 1_700_000_000.0);
        ev.set("n", 2.5);
        let out = run(&mut op(vec![]), vec![ev]);
        assert_eq!(
            out[0].get("_raw").map(|v| v.as_str().into_owned()).as_deref(),
            Some(r#"{"count":42,"n":2.5,"ratio":1.50,"user":"bob"}"#),
            "keys in name order, numbers as written, internal fields left out"
        );
        assert_eq!(out[0].get("user").map(|v| v.as_str().into_owned()).as_deref(), Some("bob"), "fields are kept");
    }

    #[test]
    fn tojson_include_internal_outputs_underscore_fields_and_output_field_redirects() {
        let mut ev = Event::from_pairs(&[("_raw", "r"), ("a", "x")]);
        ev.set("_time", 10.0);
        let mut o = TojsonOp::new(vec![], Datatype::None, false, true, "my_json".into());
        let out = run(&mut o, vec![ev]);
        assert_eq!(
            out[0].get("my_json").map(|v| v.as_str().into_owned()).as_deref(),
            Some(r#"{"_raw":"r","_time":10,"a":"x"}"#)
        );
        assert_eq!(out[0].get("_raw").map(|v| v.as_str().into_owned()).as_deref(), Some("r"), "_raw untouched");
    }

    #[test]
    fn tojson_named_fields_limit_the_object_and_the_exact_name_wins_over_a_wildcard() {
        let ev =
            Event::from_pairs(&[("date_hour", "18"), ("date_month", "december"), ("date_zone", "0"), ("host", "h")]);
        // The reference's example 2: `num(date_hour) str(date_*)`.
        let o = op(vec![spec(Some(Datatype::Num), "date_hour"), spec(Some(Datatype::Str), "date_*")]);
        assert_eq!(json_of(&o, &ev), r#"{"date_hour":18,"date_month":"december","date_zone":"0"}"#);
        let o = op(vec![spec(Some(Datatype::Str), "date_*"), spec(Some(Datatype::Num), "date_hour")]);
        assert_eq!(json_of(&o, &ev), r#"{"date_hour":18,"date_month":"december","date_zone":"0"}"#);
        // Example 7: bare fields take default_type.
        let ev = Event::from_pairs(&[("age", "30"), ("height", "tall"), ("name", "7"), ("x", "1")]);
        let mut o = op(vec![spec(None, "age"), spec(None, "height"), spec(Some(Datatype::Str), "name")]);
        o.default_type = Datatype::Num;
        assert_eq!(json_of(&o, &ev), r#"{"age":30,"name":"7"}"#, "height is not a number: skipped");
        o.fill_null = true;
        assert_eq!(json_of(&o, &ev), r#"{"age":30,"height":null,"name":"7"}"#);
        // default_type=auto alone is auto(*).
        let mut o = op(vec![]);
        o.default_type = Datatype::Auto;
        let ev = Event::from_pairs(&[("ok", "true"), ("j", "{\"k\":[1,2]}")]);
        assert_eq!(json_of(&o, &ev), r#"{"j":{"k":[1,2]},"ok":true}"#);
    }

    #[test]
    fn tojson_internal_fields_need_include_internal_or_a_pattern_starting_with_underscore() {
        let mut ev = Event::from_pairs(&[("a", "1")]);
        ev.set("_time", 5.0);
        assert_eq!(json_of(&op(vec![spec(Some(Datatype::Str), "*")]), &ev), r#"{"a":"1"}"#);
        assert_eq!(json_of(&op(vec![spec(Some(Datatype::Str), "*time")]), &ev), "{}");
        assert_eq!(json_of(&op(vec![spec(Some(Datatype::Str), "_time")]), &ev), r#"{"_time":"5"}"#);
        let mut o = op(vec![spec(Some(Datatype::Str), "*")]);
        o.include_internal = true;
        assert_eq!(json_of(&o, &ev), r#"{"_time":"5","a":"1"}"#);
    }

    #[test]
    fn tojson_none_types_purely_numeric_values_as_numbers_and_the_rest_as_strings() {
        assert_eq!(conv(Datatype::None, "42").as_deref(), Some("42"));
        assert_eq!(conv(Datatype::None, "-1.5e3").as_deref(), Some("-1.5e+3"), "serde_json writes the sign");
        assert_eq!(conv(Datatype::None, "12345678901234567890123").as_deref(), Some("12345678901234567890123"));
        assert_eq!(conv(Datatype::None, "007").as_deref(), Some("7"), "not a JSON number as written");
        assert_eq!(conv(Datatype::None, "+5").as_deref(), Some("5"));
        assert_eq!(conv(Datatype::None, "0x1F").as_deref(), Some("\"0x1F\""), "hex is text");
        assert_eq!(conv(Datatype::None, "true").as_deref(), Some("\"true\""));
        assert_eq!(conv(Datatype::None, "").as_deref(), Some("\"\""));
        assert_eq!(Datatype::None.convert(&Atom::Num(3.0)).map(|j| j.to_string()).as_deref(), Some("3"));
        assert_eq!(Datatype::None.convert(&Atom::Num(f64::NAN)).map(|j| j.to_string()).as_deref(), Some("\"nan\""));
    }

    #[test]
    fn tojson_auto_types_numbers_booleans_null_and_nested_json() {
        assert_eq!(conv(Datatype::Auto, "3.25").as_deref(), Some("3.25"));
        assert_eq!(conv(Datatype::Auto, "true").as_deref(), Some("true"));
        assert_eq!(conv(Datatype::Auto, "false").as_deref(), Some("false"));
        assert_eq!(conv(Datatype::Auto, "null").as_deref(), Some("null"));
        assert_eq!(conv(Datatype::Auto, "True").as_deref(), Some("\"True\""));
        assert_eq!(conv(Datatype::Auto, " {\"a\": [1, {\"b\": null}]} ").as_deref(), Some(r#"{"a":[1,{"b":null}]}"#));
        assert_eq!(conv(Datatype::Auto, "[1,2").as_deref(), Some("\"[1,2\""), "not JSON: as is");
        assert_eq!(conv(Datatype::Auto, "\"q\"").as_deref(), Some(r#""\"q\"""#), "only objects and arrays nest");
        assert_eq!(conv(Datatype::Auto, "hello").as_deref(), Some("\"hello\""));
    }

    #[test]
    fn tojson_bool_reads_numbers_and_the_six_words_and_skips_the_rest() {
        for (v, want) in [
            ("0", Some("false")),
            ("0.0", Some("false")),
            ("1", Some("true")),
            ("-3.5", Some("true")),
            ("true", Some("true")),
            ("T", Some("true")),
            ("Yes", Some("true")),
            ("FALSE", Some("false")),
            ("f", Some("false")),
            ("no", Some("false")),
            ("maybe", None),
            ("", None),
        ] {
            assert_eq!(conv(Datatype::Bool, v).as_deref(), want, "{v}");
        }
    }

    #[test]
    fn tojson_json_num_and_str_validate_or_skip() {
        assert_eq!(conv(Datatype::Json, "{\"a\":1}").as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(conv(Datatype::Json, "\"s\"").as_deref(), Some("\"s\""));
        assert_eq!(conv(Datatype::Json, "5").as_deref(), Some("5"));
        assert_eq!(conv(Datatype::Json, "not json"), None);
        assert_eq!(Datatype::Json.convert(&Atom::Num(2.0)).map(|j| j.to_string()).as_deref(), Some("2"));
        assert_eq!(conv(Datatype::Num, "12.0").as_deref(), Some("12.0"));
        assert_eq!(conv(Datatype::Num, "twelve"), None);
        assert_eq!(conv(Datatype::Str, "12").as_deref(), Some("\"12\""));
        assert_eq!(Datatype::Str.convert(&Atom::Num(0.5)).map(|j| j.to_string()).as_deref(), Some("\"0.5\""));
    }

    #[test]
    fn tojson_multivalue_fields_become_arrays_of_converted_values() {
        let ev = Event::from_pairs(&[("m", "1"), ("m", "x"), ("m", "2"), ("bad", "a"), ("bad", "b")]);
        let o = op(vec![spec(Some(Datatype::Num), "m"), spec(Some(Datatype::Num), "bad")]);
        assert_eq!(
            json_of(&o, &ev),
            r#"{"m":[1,2]}"#,
            "skipped values leave the array; an all-skipped field is left out"
        );
        let mut o = o;
        o.fill_null = true;
        assert_eq!(json_of(&o, &ev), r#"{"bad":[null,null],"m":[1,null,2]}"#);
        assert_eq!(json_of(&op(vec![]), &ev), r#"{"bad":["a","b"],"m":[1,"x",2]}"#);
    }

    #[test]
    fn tojson_escapes_text_and_a_missing_named_field_is_left_out() {
        let ev = Event::from_pairs(&[("path", "C:\\x \"y\"\n")]);
        let o = op(vec![spec(None, "path"), spec(Some(Datatype::Num), "missing")]);
        assert_eq!(json_of(&o, &ev), r#"{"path":"C:\\x \"y\"\n"}"#);
        let mut o = o;
        o.fill_null = true;
        assert_eq!(json_of(&o, &ev), r#"{"path":"C:\\x \"y\"\n"}"#);
    }

    #[test]
    fn tojson_checks_its_arguments_where_written() {
        for ok in [
            "| makeresults | tojson",
            "| makeresults | tojson num(date_hour) str(date_*)",
            "| makeresults | tojson auto(*)",
            "| makeresults | tojson default_type=auto",
            "| makeresults | tojson include_internal=true fill_null=true",
            "| makeresults | tojson age height weight str(name) default_type=num output_field=my_JSON_field",
            "| makeresults | tojson bool(isInternal), json(\"my field\") NONE(x)",
        ] {
            assert_eq!(crate::exec::plan_error_at(ok), None, "{ok}");
        }
        for (bad, what, at) in [
            ("| makeresults | tojson default_type=text", "tojson default_type `text`", "default_type=text"),
            ("| makeresults | tojson fill_null=maybe", "tojson fill_null `maybe`", "fill_null=maybe"),
            ("| makeresults | tojson include_internal=2", "tojson include_internal `2`", "include_internal=2"),
            ("| makeresults | tojson output_field=\"\"", "tojson output_field", "output_field=\"\""),
            ("| makeresults | tojson output=x", "tojson option `output=x`", "output=x"),
            ("| makeresults | tojson int(x)", "tojson function `int`", "int(x)"),
            ("| makeresults | tojson str()", "tojson `str()`", "str()"),
            ("| makeresults | tojson str(a, b)", "tojson `str(a, b)`", "str(a, b)"),
        ] {
            let got = crate::exec::plan_error_at(bad);
            assert!(got.as_ref().is_some_and(|(m, t)| m.contains(what) && t == at), "{bad}: {got:?}");
        }
    }

    /// tojson keeps the order of results, so `head` after it still gets events newest first;
    /// written over `_time`, the events are put in order before it.
    #[test]
    fn tojson_keeps_the_event_order_unless_it_writes_over_time() {
        let ctx = Context::new(Default::default(), 0.0);
        for (spl, at) in [("search a=1 | tojson | head 1", 2), ("search a=1 | tojson output_field=_time | head 1", 1)] {
            let p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
            let ops: Vec<String> = p.ops.iter().map(|o| o.describe()).collect();
            assert!(ops.get(at).is_some_and(|d| d.starts_with("newest first")), "{spl}: {ops:?}");
        }
    }

    #[test]
    fn tojson_plans_with_the_datatypes_written() {
        let spl = "| makeresults | tojson num(date_hour) STR(date_*) age default_type=num output_field=j";
        let ctx = Context::new(Default::default(), 0.0);
        let p = crate::plan::plan(&spl_parser::parse_pipeline(spl).unwrap(), spl, &ctx).unwrap();
        let ops: Vec<String> = p.ops.iter().map(|o| o.describe()).collect();
        assert_eq!(
            ops.get(1).map(String::as_str),
            Some(
                "tojson num(date_hour) str(date_*) age default_type=num fill_null=false include_internal=false \
                 output_field=j"
            )
        );
    }
}
