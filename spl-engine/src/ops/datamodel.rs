//! `| from datamodel:Model.Dataset`, `| from datamodel Model.Dataset` and
//! `| datamodel Model Dataset search`: the events of a data model dataset, with the dataset's
//! fields under their UNPREFIXED names (unlike tstats) next to `_raw` and the metadata.

use crate::event::Event;
use crate::exec::{Context, ExecError, Operator};
use crate::ops::tstats::DatasetView;

pub struct DatamodelOp {
    pub views: Vec<DatasetView>,
    pub ctx: Context,
    pub text: String,
}

/// Strip the longest dataset prefix (`All_Risk.`, `Web.Proxy.`) from a row's field names.
fn unprefix(view: &DatasetView, row: Event) -> Event {
    let mut prefixes = Vec::new();
    let mut p = String::new();
    for d in &view.lineage {
        if !p.is_empty() {
            p.push('.');
        }
        p.push_str(&d.name);
        prefixes.push(format!("{p}."));
    }
    prefixes.reverse();
    let mut out = Event::new();
    for (k, v) in row.fields {
        let name = match prefixes.iter().find_map(|pre| k.strip_prefix(pre.as_str())) {
            Some(short) => short.into(),
            None => k,
        };
        out.fields.insert(name, v);
    }
    out
}

impl Operator for DatamodelOp {
    fn name(&self) -> &str {
        "datamodel"
    }
    fn describe(&self) -> String {
        format!(
            "{} (dataset rows, unprefixed fields: {})",
            self.text.trim(),
            self.views.iter().map(|v| v.describe()).collect::<Vec<_>>().join("; ")
        )
    }
    fn push(&mut self, ev: Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        self.push_ref(&ev, out)
    }
    /// A pack's events are shared: only those a dataset admits are copied, as rows.
    fn push_ref(&mut self, ev: &Event, out: &mut Vec<Event>) -> Result<(), ExecError> {
        for v in &self.views {
            if let Some(row) = v.cached_row(ev, &self.ctx)? {
                out.push(unprefix(v, (*row).clone()));
                break;
            }
        }
        Ok(())
    }
    fn accepts(&self, ev: &Event) -> bool {
        self.views.iter().any(|v| v.admits(ev))
    }
    fn dataset_views(&self) -> Vec<DatasetView> {
        self.views.clone()
    }
    fn raw_requirement(&self, verbatim: &crate::prefilter::Verbatim) -> crate::prefilter::Req {
        crate::prefilter::Req::any(self.views.iter().map(|v| v.constraint_requirement(verbatim)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{DataModel, Dataset};

    #[test]
    fn from_datamodel_gives_unprefixed_fields_and_raw() {
        let ds = |name: &str, parent: Option<&str>, fields: &[&str]| Dataset {
            name: name.into(),
            parent: parent.map(str::to_string),
            constraint: None,
            constraint_text: None,
            fields: fields.iter().map(|s| s.to_string()).collect(),
            eval: Vec::new(),
        };
        let dm = DataModel {
            name: "Web".into(),
            file: String::new(),
            datasets: vec![ds("Web", None, &["url"]).into(), ds("Proxy", Some("Web"), &["status"]).into()],
        };
        let views = DatasetView::resolve(&dm, Some("Proxy")).unwrap();
        let mut op =
            DatamodelOp { views, ctx: Context::new(Default::default(), 0.0), text: "from datamodel Web.Proxy".into() };
        let mut ev = Event::new();
        ev.set("_raw", "GET /x");
        ev.set("url", "/x");
        ev.set("status", "200");
        let mut out = Vec::new();
        op.push(ev, &mut out).unwrap();
        assert_eq!(out[0].get_str("url").as_deref(), Some("/x"));
        assert_eq!(out[0].get_str("status").as_deref(), Some("200"));
        assert_eq!(out[0].get_str("_raw").as_deref(), Some("GET /x"));
        assert!(out[0].get("Web.url").is_none());
    }
}
