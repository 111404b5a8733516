//! `iplocation [prefix=<p>] [allfields=<bool>] <field>`: geolocate an IP address with a MaxMind
//! GeoIP2/GeoLite2 City database (`.mmdb`), as Splunk does with its bundled GeoLite2-City.
//!
//! Output fields, as Splunk names them: `City`, `Country`, `Region`, `lat`, `lon`, and with
//! `allfields=true` also `Continent`, `MetroCode`, `Timezone`; each with the prefix. An address
//! the database does not know (private, reserved, malformed) gives empty values. The database
//! comes from `Context::geoip` (CLI `--geoip FILE` or `SPELUNK_GEOIP_DB`) and is opened once,
//! at prepare; without one, the command plans but running it is an error.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::event::Event;
use crate::exec::{ExecError, Operator, Runtime};

/// The location of one address (English names).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Geo {
    pub city: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub continent: Option<String>,
    pub metro_code: Option<u16>,
    pub timezone: Option<String>,
}

/// Something that can geolocate an address (the MaxMind reader; a table in tests).
pub trait Resolver: Send {
    fn locate(&self, ip: IpAddr) -> Option<Geo>;
}

/// A MaxMind database read into memory.
pub struct MaxMind(maxminddb::Reader<Vec<u8>>);

impl MaxMind {
    pub fn open(path: &std::path::Path) -> Result<MaxMind, String> {
        maxminddb::Reader::open_readfile(path)
            .map(MaxMind)
            .map_err(|e| format!("cannot open GeoIP database {}: {e}", path.display()))
    }
}

impl Resolver for MaxMind {
    fn locate(&self, ip: IpAddr) -> Option<Geo> {
        let found = self.0.lookup(ip).ok()?;
        let rec: maxminddb::geoip2::City = found.decode().ok()??;
        let en = |n: &maxminddb::geoip2::Names| n.english.map(str::to_string);
        Some(Geo {
            city: en(&rec.city.names),
            country: en(&rec.country.names),
            region: rec.subdivisions.first().and_then(|s| en(&s.names)),
            lat: rec.location.latitude,
            lon: rec.location.longitude,
            continent: en(&rec.continent.names),
            metro_code: rec.location.metro_code,
            timezone: rec.location.time_zone.map(str::to_string),
        })
    }
}

pub const NO_DATABASE: &str = "iplocation needs a GeoIP database: pass --geoip FILE.mmdb or set SPELUNK_GEOIP_DB";

pub struct IplocationOp {
    pub field: String,
    pub prefix: String,
    pub allfields: bool,
    pub db: Option<PathBuf>,
    pub span: spl_parser::Span,
    resolver: Option<Box<dyn Resolver>>,
}

impl IplocationOp {
    pub fn new(field: String, prefix: String, allfields: bool, db: Option<PathBuf>, span: spl_parser::Span) -> Self {
        IplocationOp { field, prefix, allfields, db, span, resolver: None }
    }

    /// Use this resolver instead of opening a database (tests).
    pub fn with_resolver(mut self, r: Box<dyn Resolver>) -> Self {
        self.resolver = Some(r);
        self
    }

    fn open(&mut self) -> Result<(), ExecError> {
        if self.resolver.is_some() {
            return Ok(());
        }
        let Some(path) = &self.db else {
            return Err(ExecError::at(NO_DATABASE, self.span));
        };
        let r = MaxMind::open(path).map_err(|m| ExecError::at(m, self.span))?;
        self.resolver = Some(Box::new(r));
        Ok(())
    }
}

impl Operator for IplocationOp {
    fn name(&self) -> &str {
        "iplocation"
    }
    fn describe(&self) -> String {
        format!(
            "iplocation {}{}{} [database: {}]",
            if self.prefix.is_empty() { String::new() } else { format!("prefix={} ", self.prefix) },
            if self.allfields { "allfields=true " } else { "" },
            self.field,
            self.db.as_ref().map_or("none".to_string(), |p| p.display().to_string())
        )
    }
    fn prepare(&mut self, _rt: &Runtime<'_>) -> Result<(), ExecError> {
        self.open()
    }
    fn push(&mut self, mut ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.open()?;
        // An event without the field is passed on untouched.
        let Some(v) = ev.get(&self.field) else {
            out.push(ev);
            return Ok(());
        };
        let ip = v.atoms().first().and_then(|a| a.as_str().trim().parse::<IpAddr>().ok());
        let geo = ip.and_then(|ip| self.resolver.as_ref().and_then(|r| r.locate(ip))).unwrap_or_default();
        let num = |n: Option<f64>| n.map(crate::value::format_num).unwrap_or_default();
        let mut fields = vec![
            ("City", geo.city.unwrap_or_default()),
            ("Country", geo.country.unwrap_or_default()),
            ("Region", geo.region.unwrap_or_default()),
            ("lat", num(geo.lat)),
            ("lon", num(geo.lon)),
        ];
        if self.allfields {
            fields.push(("Continent", geo.continent.unwrap_or_default()));
            fields.push(("MetroCode", geo.metro_code.map(|m| m.to_string()).unwrap_or_default()));
            fields.push(("Timezone", geo.timezone.unwrap_or_default()));
        }
        for (name, value) in fields {
            ev.set(format!("{}{name}", self.prefix), value.as_str());
        }
        out.push(ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table;
    impl Resolver for Table {
        fn locate(&self, ip: IpAddr) -> Option<Geo> {
            (ip.to_string() == "81.2.69.160").then(|| Geo {
                city: Some("London".into()),
                country: Some("United Kingdom".into()),
                region: Some("England".into()),
                lat: Some(51.5142),
                lon: Some(-0.0931),
                continent: Some("Europe".into()),
                metro_code: None,
                timezone: Some("Europe/London".into()),
            })
        }
    }

    fn run(op: &mut IplocationOp, pairs: &[(&str, &str)]) -> Event {
        let mut e = Event::new();
        for (k, v) in pairs {
            e.set(*k, *v);
        }
        let mut out = Vec::new();
        op.push(e, &mut out).unwrap();
        out.pop().unwrap()
    }

    #[test]
    fn iplocation_writes_splunk_field_names_with_prefix() {
        // Splunk: iplocation adds City, Country, Region, lat, lon (prefix= prepended).
        let mut op = IplocationOp::new("src".into(), "auth_".into(), false, None, Default::default())
            .with_resolver(Box::new(Table));
        let e = run(&mut op, &[("src", "81.2.69.160")]);
        assert_eq!(e.get_str("auth_City").as_deref(), Some("London"));
        assert_eq!(e.get_str("auth_Country").as_deref(), Some("United Kingdom"));
        assert_eq!(e.get_str("auth_Region").as_deref(), Some("England"));
        assert_eq!(e.get_str("auth_lat").as_deref(), Some("51.5142"));
        assert_eq!(e.get_str("auth_lon").as_deref(), Some("-0.0931"));
        assert!(e.get("auth_Timezone").is_none(), "only with allfields=true");
    }

    #[test]
    fn iplocation_private_or_unknown_address_gives_empty_values_and_allfields_adds_more() {
        let mut op = IplocationOp::new("ip".into(), String::new(), true, None, Default::default())
            .with_resolver(Box::new(Table));
        let e = run(&mut op, &[("ip", "10.1.2.3")]);
        assert_eq!(e.get_str("City").as_deref(), Some(""));
        assert_eq!(e.get_str("lat").as_deref(), Some(""));
        let e = run(&mut op, &[("ip", "81.2.69.160")]);
        assert_eq!(e.get_str("Timezone").as_deref(), Some("Europe/London"));
        assert_eq!(e.get_str("Continent").as_deref(), Some("Europe"));
        let e = run(&mut op, &[("other", "x")]);
        assert!(e.get("City").is_none(), "no input field: event unchanged");
    }

    #[test]
    fn iplocation_without_database_is_a_run_time_error_at_the_command() {
        let span = spl_parser::Span { start: 3, end: 20 };
        let mut op = IplocationOp::new("src".into(), String::new(), false, None, span);
        let err = op.push(Event::new(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.message, NO_DATABASE);
        assert_eq!(err.span, Some(span));
        let mut op = IplocationOp::new("src".into(), String::new(), false, Some("/nonexistent/x.mmdb".into()), span);
        let err = op.push(Event::new(), &mut Vec::new()).unwrap_err();
        assert!(err.message.contains("cannot open GeoIP database"));
    }
}
