//! PLACEHOLDER (replaced by the regex library).
use regex::Regex;
#[derive(Clone, Debug)]
pub struct SplRegex(Regex);
impl SplRegex {
    pub fn new(p: &str) -> Result<Self, String> {
        Regex::new(p).map(SplRegex).map_err(|e| e.to_string())
    }
    pub fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s)
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
    pub fn captures_named(&self, s: &str, limit: usize) -> Vec<Vec<(String, String)>> {
        let names: Vec<Option<&str>> = self.0.capture_names().collect();
        self.0.captures_iter(s).take(limit).map(|c| names.iter().enumerate().filter_map(|(i, n)| Some((n.as_ref()?.to_string(), c.get(i)?.as_str().to_string()))).collect()).collect()
    }
    pub fn replace_sed(&self, s: &str, repl: &str, global: bool, _nth: usize) -> String {
        if global { self.0.replace_all(s, repl).into_owned() } else { self.0.replace(s, repl).into_owned() }
    }
}
