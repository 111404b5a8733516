//! An ESCU detection (security_content `detections/**/*.yml`).

use serde_yaml::Value as Yaml;

use crate::content::{parse_yaml, ContentError};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detection {
    pub file: String,
    pub name: String,
    pub id: String,
    pub kind: String,
    pub status: String,
    pub search: String,
    pub description: String,
    pub data_source: Vec<String>,
    pub message: Option<String>,
    pub risk_score: Option<f64>,
    pub impact: Option<f64>,
    pub confidence: Option<f64>,
    pub mitre_attack_id: Vec<String>,
    pub analytic_story: Vec<String>,
    pub security_domain: Option<String>,
    pub observables: Vec<Observable>,
    pub threat_objects: Vec<Observable>,
    pub tests: Vec<TestCase>,
}

/// A risk object (or threat object): the field whose value names it, and its type/role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observable {
    pub field: String,
    pub kind: String,
    pub roles: Vec<String>,
    pub score: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestCase {
    pub name: String,
    pub attack_data: Vec<AttackData>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttackData {
    pub data: String,
    pub source: Option<String>,
    pub sourcetype: Option<String>,
}

use crate::content::{list_of as list, str_of as s};

fn n(v: &Yaml, k: &str) -> Option<f64> {
    match v.get(k)? {
        Yaml::Number(x) => x.as_f64(),
        Yaml::String(x) => x.trim().parse().ok(),
        _ => None,
    }
}

impl Detection {
    pub fn from_yaml(file: &str, text: &str) -> Result<Detection, ContentError> {
        let y = parse_yaml(file, text)?;
        let err = |m: &str| ContentError { file: file.to_string(), message: m.to_string() };
        if !y.is_mapping() {
            return Err(err("a detection must be a YAML mapping"));
        }
        let name = s(&y, "name").ok_or_else(|| err("missing key `name`"))?;
        let search = s(&y, "search").ok_or_else(|| err("missing key `search`"))?;
        let empty = Yaml::Null;
        let tags = y.get("tags").unwrap_or(&empty);
        let mut observables = Vec::new();
        let mut threat_objects = Vec::new();
        if let Some(Yaml::Sequence(obs)) = tags.get("observable") {
            for o in obs {
                let roles = list(o, "role");
                let ob = Observable {
                    field: s(o, "name").unwrap_or_default(),
                    kind: s(o, "type").unwrap_or_default(),
                    roles: roles.clone(),
                    score: None,
                };
                // contentctl: Victim/Attacker observables that are risk objects vs threat objects.
                if roles.iter().any(|r| r.eq_ignore_ascii_case("victim")) || !is_threat_type(&ob.kind) {
                    observables.push(ob);
                } else {
                    threat_objects.push(ob);
                }
            }
        }
        // Newer contentctl format: `rba: {message, risk_objects: [{field, type, score}], threat_objects}`.
        let rba = y.get("rba");
        if let Some(rba) = rba {
            if let Some(Yaml::Sequence(ros)) = rba.get("risk_objects") {
                observables = ros
                    .iter()
                    .map(|o| Observable {
                        field: s(o, "field").unwrap_or_default(),
                        kind: s(o, "type").unwrap_or_default(),
                        roles: Vec::new(),
                        score: n(o, "score"),
                    })
                    .collect();
            }
            if let Some(Yaml::Sequence(tos)) = rba.get("threat_objects") {
                threat_objects = tos
                    .iter()
                    .map(|o| Observable {
                        field: s(o, "field").unwrap_or_default(),
                        kind: s(o, "type").unwrap_or_default(),
                        roles: Vec::new(),
                        score: None,
                    })
                    .collect();
            }
        }
        let mut tests = Vec::new();
        if let Some(Yaml::Sequence(ts)) = y.get("tests") {
            for t in ts {
                let mut attack_data = Vec::new();
                if let Some(Yaml::Sequence(ads)) = t.get("attack_data") {
                    for a in ads {
                        attack_data.push(AttackData {
                            data: s(a, "data").unwrap_or_default(),
                            source: s(a, "source"),
                            sourcetype: s(a, "sourcetype"),
                        });
                    }
                }
                tests.push(TestCase { name: s(t, "name").unwrap_or_default(), attack_data });
            }
        }
        Ok(Detection {
            file: file.to_string(),
            name,
            id: s(&y, "id").unwrap_or_default(),
            kind: s(&y, "type").unwrap_or_default(),
            status: s(&y, "status").unwrap_or_default(),
            search,
            description: s(&y, "description").unwrap_or_default(),
            data_source: list(&y, "data_source"),
            message: rba.and_then(|r| s(r, "message")).or_else(|| s(tags, "message")),
            risk_score: n(tags, "risk_score"),
            impact: n(tags, "impact"),
            confidence: n(tags, "confidence"),
            mitre_attack_id: list(tags, "mitre_attack_id"),
            analytic_story: list(tags, "analytic_story"),
            security_domain: s(tags, "security_domain"),
            observables,
            threat_objects,
            tests,
        })
    }

    /// contentctl's filter macro name: the detection name lower-cased, with spaces and `-./`
    /// replaced by `_`, plus `_filter`.
    pub fn filter_macro_name(&self) -> String {
        let mut out: String = self
            .name
            .to_lowercase()
            .chars()
            .map(|c| if matches!(c, ' ' | '-' | '.' | '/') { '_' } else { c })
            .collect();
        out.push_str("_filter");
        out
    }

    /// Risk score: `tags.risk_score`, else impact × confidence / 100.
    pub fn score(&self) -> Option<f64> {
        self.risk_score.or_else(|| match (self.impact, self.confidence) {
            (Some(i), Some(c)) => Some((i * c / 100.0).round()),
            _ => None,
        })
    }
}

/// Observable types that are threat objects rather than risk objects (contentctl's list).
fn is_threat_type(kind: &str) -> bool {
    !matches!(
        kind.to_ascii_lowercase().as_str(),
        "user" | "hostname" | "ip address" | "endpoint" | "other" | "system" | "email address"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_macro_name_follows_contentctl() {
        let d = Detection { name: "Detect Regasm with Network Connection".into(), ..Default::default() };
        assert_eq!(d.filter_macro_name(), "detect_regasm_with_network_connection_filter");
        let d = Detection { name: "O365 Add-App Role.Assign/x".into(), ..Default::default() };
        assert_eq!(d.filter_macro_name(), "o365_add_app_role_assign_x_filter");
    }

    #[test]
    fn missing_search_names_the_key() {
        let e = Detection::from_yaml("x.yml", "name: a\n").unwrap_err();
        assert!(e.message.contains("`search`"));
    }
}
