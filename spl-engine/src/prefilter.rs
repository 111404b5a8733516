//! Raw-byte prefilter: from a plan, derive literal strings that every event it can match must
//! contain, and skip parsing records that lack them (ripgrep's trick: a literal scan before the
//! expensive engine).
//!
//! Soundness rule: a field's value may be required as a substring of the raw record only when
//! the value is *verbatim* — copied from the record's text (reader fields, aliases, and evals
//! that keep a contiguous piece of such a field). Fields computed from constants (`action`,
//! `vendor_product`) or synthesized by the reader (`source`, `sourcetype`, `host`, `tag`) never
//! yield requirements. Literals are ASCII, compared ignoring ASCII case like search values, and
//! free of XML-escaped characters.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use spl_parser::{BinOp, Expr, ExprKind};

use crate::content::Content;
use crate::search::{Matcher, Pattern};

/// A necessary condition on the raw record, over literal indices.
#[derive(Clone, Debug, PartialEq)]
pub enum Req {
    True,
    Lit(String),
    And(Vec<Req>),
    Or(Vec<Req>),
}

impl Req {
    fn and(items: Vec<Req>) -> Req {
        let mut v: Vec<Req> = items.into_iter().filter(|r| *r != Req::True).collect();
        match v.len() {
            0 => Req::True,
            1 => v.pop().unwrap_or(Req::True),
            _ => Req::And(v),
        }
    }

    fn or(items: Vec<Req>) -> Req {
        if items.is_empty() || items.contains(&Req::True) {
            return Req::True;
        }
        let mut items = items;
        if items.len() == 1 {
            return items.pop().unwrap_or(Req::True);
        }
        Req::Or(items)
    }

    /// Any of several pipelines may want the record.
    pub fn any(items: Vec<Req>) -> Req {
        Req::or(items)
    }

    fn collect_lits(&self, out: &mut Vec<String>) {
        match self {
            Req::Lit(l) => {
                if !out.contains(l) {
                    out.push(l.clone())
                }
            }
            Req::And(v) | Req::Or(v) => v.iter().for_each(|r| r.collect_lits(out)),
            Req::True => {}
        }
    }

    fn eval(&self, lits: &[String], found: &[bool]) -> bool {
        match self {
            Req::True => true,
            Req::Lit(l) => lits.iter().position(|x| x == l).and_then(|i| found.get(i)).copied().unwrap_or(true),
            Req::And(v) => v.iter().all(|r| r.eval(lits, found)),
            Req::Or(v) => v.iter().any(|r| r.eval(lits, found)),
        }
    }
}

/// Which fields hold verbatim text of the raw record, and which characters their values may
/// hold that do not come from it (separators a concatenation inserts, like the quotes and space
/// of Windows 4688's rebuilt command line). A literal free of those characters cannot straddle
/// an inserted separator, so it lies within one verbatim piece.
#[derive(Clone, Debug, Default)]
pub struct Verbatim {
    /// Fields that are NOT verbatim (computed or synthesized).
    computed: HashSet<String>,
    /// Inserted separator characters per verbatim field (absent = none).
    seps: std::collections::HashMap<String, String>,
}

/// Fields the readers make up rather than copy (cim-mapping §1.1) and the extraction adds.
const SYNTHESIZED: &[&str] =
    &["source", "sourcetype", "host", "index", "eventtype", "tag", "_time", "linecount", "splunk_server"];

fn add_chars(into: &mut String, from: &str) {
    for c in from.chars() {
        if !into.contains(c) {
            into.push(c);
        }
    }
}

impl Verbatim {
    pub fn from_content(content: &Content) -> Verbatim {
        let mut v =
            Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), seps: Default::default() };
        // Fixpoint: an alias or eval of a computed field is computed too; separators spread.
        loop {
            let before = (v.computed.len(), v.seps.values().map(String::len).sum::<usize>());
            for m in &content.sourcetypes {
                for r in &m.rules {
                    for (target, source) in &r.alias {
                        match v.pieces_of_field(source) {
                            None => {
                                v.computed.insert(target.clone());
                            }
                            Some(seps) => v.add_seps(target, &seps),
                        }
                    }
                    for (target, expr, _) in &r.eval {
                        match pieces(expr, &v) {
                            None => {
                                v.computed.insert(target.clone());
                            }
                            Some(seps) => v.add_seps(target, &seps),
                        }
                    }
                }
            }
            if (v.computed.len(), v.seps.values().map(String::len).sum::<usize>()) == before {
                break;
            }
        }
        v
    }

    fn add_seps(&mut self, field: &str, seps: &str) {
        if !seps.is_empty() {
            add_chars(self.seps.entry(field.to_string()).or_default(), seps);
        }
    }

    fn pieces_of_field(&self, field: &str) -> Option<String> {
        if self.computed.contains(field) {
            None
        } else {
            Some(self.seps.get(field).cloned().unwrap_or_default())
        }
    }

    pub fn is_verbatim(&self, field: &str) -> bool {
        !self.computed.contains(field)
    }
}

/// If every value of `e` is made of verbatim pieces of the record joined by constant strings,
/// the characters of those constants; `None` otherwise. Null counts as verbatim (it never
/// matches).
fn pieces(e: &Expr, v: &Verbatim) -> Option<String> {
    let all = |items: &mut dyn Iterator<Item = &Expr>| -> Option<String> {
        let mut seps = String::new();
        for i in items {
            add_chars(&mut seps, &pieces(i, v)?);
        }
        Some(seps)
    };
    match &e.kind {
        ExprKind::Field(f) => v.pieces_of_field(f),
        ExprKind::Binary { op: BinOp::Concat, lhs, rhs } => {
            let mut seps = String::new();
            for side in [lhs, rhs] {
                match &side.kind {
                    ExprKind::Str(s) => add_chars(&mut seps, s),
                    _ => add_chars(&mut seps, &pieces(side, v)?),
                }
            }
            Some(seps)
        }
        ExprKind::Call { name, args } => match name.as_str() {
            "null" => Some(String::new()),
            "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "mvdedup" | "mvsort" | "mvindex" | "substr" | "split" => {
                pieces(args.first()?, v)
            }
            "coalesce" | "mvappend" => all(&mut args.iter()),
            "if" => all(&mut args.iter().skip(1)),
            "case" => all(&mut args.chunks(2).filter_map(|p| p.get(1))),
            "replace" => {
                // Removing an anchored prefix or suffix keeps a contiguous piece.
                let (Some(x), Some(re), Some(rep)) = (args.first(), args.get(1), args.get(2)) else { return None };
                let (ExprKind::Str(re), ExprKind::Str(rep)) = (&re.kind, &rep.kind) else { return None };
                if rep.is_empty() && (re.starts_with('^') || re.ends_with('$')) && !top_level_alternation(re) {
                    pieces(x, v)
                } else {
                    None
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether a regex has a `|` outside groups and classes (`^a|b$` may remove from the middle;
/// `^(a|b)` still removes a prefix).
fn top_level_alternation(re: &str) -> bool {
    let (mut depth, mut class, mut esc) = (0i32, false, false);
    for c in re.chars() {
        match (esc, class, c) {
            (true, _, _) => esc = false,
            (false, _, '\\') => esc = true,
            (false, true, ']') => class = false,
            (false, true, _) => {}
            (false, false, '[') => class = true,
            (false, false, '(') => depth += 1,
            (false, false, ')') => depth -= 1,
            (false, false, '|') if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Characters that appear escaped in XML text, so a literal holding them is not in the raw bytes.
fn usable_literal(l: &str) -> bool {
    l.len() >= 3 && l.is_ascii() && !l.contains(XML_ESCAPED)
}

/// Characters XML text may hold escaped (`&amp;`, `&lt;` …).
const XML_ESCAPED: [char; 5] = ['&', '<', '>', '"', '\''];

/// Where a field of the matched row comes from.
pub enum FieldSource<'a> {
    /// Copied from this event field.
    Event(String),
    /// Calculated by this expression over event fields (data-model calculated fields).
    Calculated(&'a Expr),
    Unknown,
}

/// The constant strings an expression may produce, and the inserted separator characters of
/// its other outcomes, when every other outcome is made of verbatim pieces
/// (`if(isnull(x), "unknown", x)` → `["unknown"]`); `None` when some outcome is neither.
fn outcomes(e: &Expr, verbatim: &Verbatim) -> Option<(Vec<String>, String)> {
    let union = |items: Vec<&Expr>| -> Option<(Vec<String>, String)> {
        let (mut consts, mut seps) = (Vec::new(), String::new());
        for i in items {
            let (c, s) = outcomes(i, verbatim)?;
            consts.extend(c);
            add_chars(&mut seps, &s);
        }
        Some((consts, seps))
    };
    match &e.kind {
        ExprKind::Str(s) => Some((vec![s.clone()], String::new())),
        ExprKind::Call { name, args } if matches!(name.as_str(), "if" | "case" | "coalesce") => match name.as_str() {
            "if" => union(args.iter().skip(1).collect()),
            "case" => union(args.chunks(2).filter_map(|p| p.get(1)).collect()),
            _ => union(args.iter().collect()),
        },
        _ => pieces(e, verbatim).map(|seps| (Vec::new(), seps)),
    }
}

/// The requirement a search matcher puts on the raw record; `field_map` says where a field of
/// the matched row comes from (`Processes.process_name` reads the event's `process_name` for
/// tstats, or a data-model calculation).
pub fn requirement<'a>(m: &Matcher, verbatim: &Verbatim, field_map: &dyn Fn(&str) -> FieldSource<'a>) -> Req {
    match m {
        Matcher::True | Matcher::False => Req::True,
        Matcher::And(v) => Req::and(v.iter().map(|x| requirement(x, verbatim, field_map)).collect()),
        Matcher::Or(v) => Req::or(v.iter().map(|x| requirement(x, verbatim, field_map)).collect()),
        Matcher::Eq { field, pat } => {
            // Separator characters the value may hold that are not in the record.
            let seps = match field_map(field) {
                FieldSource::Event(f) => verbatim.pieces_of_field(&f),
                // A calculated field qualifies when the pattern matches none of its constants.
                FieldSource::Calculated(e) => {
                    outcomes(e, verbatim).filter(|(cs, _)| !cs.iter().any(|c| pat.matches(c))).map(|(_, s)| s)
                }
                FieldSource::Unknown => None,
            };
            let Some(seps) = seps else { return Req::True };
            match pat {
                // A piece of the pattern free of the inserted separators lies within one
                // verbatim piece of the value, and one free of XML-escaped characters stands in
                // the raw text as it is: `*certutil.exe -urlcache*` over a rebuilt command line
                // still requires `certutil.exe`.
                Pattern::Glob(g) => g
                    .literals()
                    .flat_map(|l| l.split(|c: char| seps.contains(c) || XML_ESCAPED.contains(&c) || !c.is_ascii()))
                    .filter(|l| usable_literal(l))
                    .max_by_key(|l| l.len())
                    .map_or(Req::True, |l| Req::Lit(l.to_string())),
                _ => Req::True,
            }
        }
        Matcher::Raw(t) => {
            let longest = t.text.split('*').max_by_key(|p| p.len()).unwrap_or("");
            if usable_literal(longest) {
                Req::Lit(longest.to_ascii_lowercase())
            } else {
                Req::True
            }
        }
        // NOT, !=, relational and time tests say nothing about required text.
        _ => Req::True,
    }
}

/// Literals at least one of which every admitted record contains (`None`: no such set).
fn anchors(r: &Req) -> Option<Vec<String>> {
    match r {
        Req::True => None,
        Req::Lit(l) => Some(vec![l.clone()]),
        // Any child's set will do: take the one with the fewest, longest literals.
        Req::And(v) => v
            .iter()
            .filter_map(anchors)
            .min_by_key(|a| (a.len(), usize::MAX - a.iter().map(String::len).min().unwrap_or(0))),
        Req::Or(v) => {
            let mut all = Vec::new();
            for c in v {
                for l in anchors(c)? {
                    if !all.contains(&l) {
                        all.push(l);
                    }
                }
            }
            Some(all)
        }
    }
}

/// A compiled requirement: one Aho-Corasick pass over the record finds every literal; the
/// anchor automaton lets a reader skip whole stretches of input that hold none of them.
pub struct RawFilter {
    req: Req,
    lits: Vec<String>,
    ac: AhoCorasick,
    anchor: Option<regex::bytes::Regex>,
}

impl std::fmt::Debug for RawFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawFilter({:?})", self.req)
    }
}

impl RawFilter {
    /// `None` when the requirement is `True` (nothing to skip on).
    pub fn new(req: Req) -> Option<RawFilter> {
        if req == Req::True {
            return None;
        }
        let mut lits = Vec::new();
        req.collect_lits(&mut lits);
        let build = |pats: &[String], kind| {
            AhoCorasickBuilder::new().ascii_case_insensitive(true).match_kind(kind).build(pats).ok()
        };
        let ac = build(&lits, MatchKind::Standard)?;
        // The bulk scan uses the regex crate: its case-insensitive literal search (SIMD over the
        // case variants) is what ripgrep relies on, and beats a rare-byte prefilter on XML.
        let anchor = anchors(&req).and_then(|a| {
            let alts: Vec<String> = a.iter().map(|l| regex::escape(l)).collect();
            regex::bytes::RegexBuilder::new(&format!("(?i-u:{})", alts.join("|"))).unicode(false).build().ok()
        });
        Some(RawFilter { req, lits, ac, anchor })
    }

    /// Where the first of the literals one of which every admitted record contains occurs, for
    /// skipping input in bulk; `None` from the outer option when there is no such set.
    pub fn anchor(&self) -> Option<impl Fn(&[u8]) -> Option<usize> + '_> {
        self.anchor.as_ref().map(|re| move |hay: &[u8]| re.find(hay).map(|m| m.start()))
    }

    pub fn admits(&self, raw: &[u8]) -> bool {
        if let Req::Lit(_) = self.req {
            return self.ac.is_match(raw);
        }
        let mut found = vec![false; self.lits.len()];
        let mut left = self.lits.len();
        for m in self.ac.find_overlapping_iter(raw) {
            if let Some(slot) = found.get_mut(m.pattern().as_usize()) {
                if !*slot {
                    *slot = true;
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        self.req.eval(&self.lits, &found)
    }

    pub fn describe(&self) -> String {
        describe(&self.req)
    }
}

fn describe(r: &Req) -> String {
    match r {
        Req::True => "true".into(),
        Req::Lit(l) => format!("{l:?}"),
        Req::And(v) => format!("({})", v.iter().map(describe).collect::<Vec<_>>().join(" AND ")),
        Req::Or(v) => format!("({})", v.iter().map(describe).collect::<Vec<_>>().join(" OR ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{CompileCtx, Matcher};

    fn matcher(spl: &str) -> Matcher {
        let e = spl_parser::parse_search_expr(spl).expect("parses").expect("non-empty");
        Matcher::compile(&e, &CompileCtx { now: 0.0 }).expect("compiles")
    }

    fn req(spl: &str) -> Req {
        let v = Verbatim {
            computed: SYNTHESIZED.iter().map(|s| s.to_string()).chain(["action".to_string()]).collect(),
            seps: Default::default(),
        };
        requirement(&matcher(spl), &v, &|f| FieldSource::Event(f.to_string()))
    }

    #[test]
    fn equality_on_a_verbatim_field_requires_its_longest_literal() {
        assert_eq!(req("process_name=regasm.exe EventID=3"), Req::Lit("regasm.exe".into()));
        assert_eq!(req(r#"process="*\\Windows\\Temp\\*""#), Req::Lit(r"\windows\temp\".into()));
    }

    #[test]
    fn computed_fields_not_and_short_literals_require_nothing() {
        assert_eq!(req("action=allowed"), Req::True);
        assert_eq!(req("source=XmlWinEventLog:Security"), Req::True);
        assert_eq!(req("NOT process_name=regasm.exe"), Req::True);
        assert_eq!(req("process_name!=regasm.exe"), Req::True);
        assert_eq!(req("EventID=3"), Req::True);
        assert_eq!(req("process_name=regasm.exe OR EventID=1"), Req::True);
    }

    #[test]
    fn or_of_literals_and_and_combine() {
        let r = req("(process_name=regasm.exe OR process_name=regsvcs.exe) CommandLine=*-enc*");
        let f = RawFilter::new(r).expect("filter");
        assert!(f.admits(b"<Data Name='Image'>C:\\RegAsm.EXE</Data><Data Name='CommandLine'>x -ENC y</Data>"));
        assert!(!f.admits(b"<Data Name='Image'>C:\\RegAsm.EXE</Data>"));
        assert!(!f.admits(b"<Data Name='CommandLine'>x -enc y</Data>"));
    }

    #[test]
    fn calculated_fields_with_constant_fallbacks_still_require_the_literal() {
        let v = Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), seps: Default::default() };
        let calc =
            spl_parser::parse_eval_expr(r#"if(isnull(process_name) OR process_name="", "unknown", process_name)"#)
                .unwrap();
        let m = matcher("Processes.process_name=certutil.exe");
        assert_eq!(requirement(&m, &v, &|_| FieldSource::Calculated(&calc)), Req::Lit("certutil.exe".into()));
        let m = matcher("Processes.process_name=unk*");
        assert_eq!(requirement(&m, &v, &|_| FieldSource::Calculated(&calc)), Req::True, "the constant could match");
    }

    #[test]
    fn concatenated_fields_require_only_literals_free_of_the_inserted_separators() {
        let mut v =
            Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), seps: Default::default() };
        let e = spl_parser::parse_eval_expr(r#"NewProcessName . " " . args"#).unwrap();
        let seps = pieces(&e, &v).expect("pieces");
        assert_eq!(seps, " ");
        v.add_seps("process", &seps);
        let m = matcher("process=*urlcache*");
        assert_eq!(requirement(&m, &v, &|f| FieldSource::Event(f.to_string())), Req::Lit("urlcache".into()));
        // `certutil.exe -urlcache` could straddle the join, but its pieces cannot.
        let m = matcher(r#"process="*certutil.exe -urlcache*""#);
        assert_eq!(requirement(&m, &v, &|f| FieldSource::Event(f.to_string())), Req::Lit("certutil.exe".into()));
        let m = matcher(r#"process="* /c *""#);
        assert_eq!(requirement(&m, &v, &|f| FieldSource::Event(f.to_string())), Req::True, "no piece of 3 characters");
    }

    #[test]
    fn alternation_inside_an_anchored_group_still_removes_a_prefix() {
        assert!(!top_level_alternation(r#"^\s*("[^"]*"|\S+)\s+"#));
        assert!(top_level_alternation("^a|b$"));
        assert!(!top_level_alternation(r"^[|]x"));
    }

    #[test]
    fn xml_escaped_characters_are_never_required() {
        assert_eq!(req(r#"CommandLine="*a & b*""#), Req::True);
        assert_eq!(req(r#"CommandLine="*cmd.exe /c echo x > out.txt*""#), Req::Lit("cmd.exe /c echo x ".into()));
    }
}

/// A requirement over literal indices of a shared automaton.
#[derive(Clone, Debug)]
enum IReq {
    True,
    Lit(usize),
    And(Vec<IReq>),
    Or(Vec<IReq>),
}

impl IReq {
    fn from(r: &Req, lits: &mut Vec<String>) -> IReq {
        match r {
            Req::True => IReq::True,
            Req::Lit(l) => IReq::Lit(match lits.iter().position(|x| x == l) {
                Some(i) => i,
                None => {
                    lits.push(l.clone());
                    lits.len() - 1
                }
            }),
            Req::And(v) => IReq::And(v.iter().map(|x| IReq::from(x, lits)).collect()),
            Req::Or(v) => IReq::Or(v.iter().map(|x| IReq::from(x, lits)).collect()),
        }
    }

    fn lits(&self, out: &mut Vec<usize>) {
        match self {
            IReq::True => {}
            IReq::Lit(i) => out.push(*i),
            IReq::And(v) | IReq::Or(v) => v.iter().for_each(|r| r.lits(out)),
        }
    }

    fn eval(&self, found: &[bool]) -> bool {
        match self {
            IReq::True => true,
            IReq::Lit(i) => found.get(*i).copied().unwrap_or(true),
            IReq::And(v) => v.iter().all(|r| r.eval(found)),
            IReq::Or(v) => v.iter().any(|r| r.eval(found)),
        }
    }
}

/// The prefilters of many pipelines over one automaton: one pass over a record's raw text says
/// which pipelines may want it, so an event visits only those (a pack of hundreds of searches).
pub struct Router {
    reqs: Vec<IReq>,
    ac: Option<AhoCorasick>,
    nlits: usize,
    /// The pipelines that want every record (their requirement holds with no literal found).
    always: Vec<usize>,
    /// Per literal, the other pipelines whose requirement names it: requirements are monotone,
    /// so only those of literals a record holds need evaluating.
    by_lit: Vec<Vec<usize>>,
}

impl Router {
    pub fn new(reqs: &[Req]) -> Router {
        let mut lits = Vec::new();
        let reqs: Vec<IReq> = reqs.iter().map(|r| IReq::from(r, &mut lits)).collect();
        let ac = if lits.is_empty() {
            None
        } else {
            // A DFA: one table lookup per byte, the fastest overlapping search for the
            // thousands of literals of a pack (a few MB of tables, built once).
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&lits)
                .ok()
        };
        let none = vec![false; lits.len()];
        let mut always = Vec::new();
        let mut by_lit = vec![Vec::new(); lits.len()];
        for (i, r) in reqs.iter().enumerate() {
            if r.eval(&none) {
                always.push(i);
                continue;
            }
            let mut mine = Vec::new();
            r.lits(&mut mine);
            mine.sort_unstable();
            mine.dedup();
            for l in mine {
                if let Some(list) = by_lit.get_mut(l) {
                    list.push(i);
                }
            }
        }
        Router { reqs, ac, nlits: lits.len(), always, by_lit }
    }

    /// The pipelines (indices, ascending) that may want the record with this raw text; `None`
    /// when all may. Only XML records are judged: the verbatim rule holds for their text (see
    /// the module comment).
    pub fn wanted(&self, raw: Option<&str>) -> Option<Vec<usize>> {
        let (Some(ac), Some(raw)) = (&self.ac, raw.filter(|r| r.trim_start().starts_with("<Event"))) else {
            return None;
        };
        let mut found = vec![false; self.nlits];
        let mut hits = Vec::new();
        for m in ac.find_overlapping_iter(raw.as_bytes()) {
            let l = m.pattern().as_usize();
            if let Some(slot) = found.get_mut(l) {
                if !*slot {
                    *slot = true;
                    hits.push(l);
                }
            }
        }
        let mut wanted = self.always.clone();
        let mut tried = vec![false; self.reqs.len()];
        for l in hits {
            for &i in self.by_lit.get(l).map(Vec::as_slice).unwrap_or_default() {
                if let Some(t) = tried.get_mut(i) {
                    if !*t {
                        *t = true;
                        if self.reqs.get(i).is_some_and(|r| r.eval(&found)) {
                            wanted.push(i);
                        }
                    }
                }
            }
        }
        wanted.sort_unstable();
        Some(wanted)
    }

    /// `wanted` for an event, from its `_raw`.
    pub fn wanted_for(&self, ev: &crate::event::Event) -> Option<Vec<usize>> {
        self.wanted(ev.get("_raw").map(|v| v.first().as_str()).as_deref())
    }
}

#[cfg(test)]
mod router_tests {
    use super::*;

    #[test]
    fn router_says_which_pipelines_may_want_a_record() {
        let r = Router::new(&[
            Req::Lit("regasm.exe".into()),
            Req::True,
            Req::Or(vec![Req::Lit("certutil".into()), Req::Lit("regasm.exe".into())]),
        ]);
        assert_eq!(r.wanted(Some("<Event><Data>C:\\CERTUTIL.exe</Data></Event>")), Some(vec![1, 2]));
        assert_eq!(r.wanted(Some("<Event><Data>regasm.exe</Data></Event>")), Some(vec![0, 1, 2]));
        assert_eq!(r.wanted(Some("<Event><Data>nothing</Data></Event>")), Some(vec![1]));
        assert_eq!(r.wanted(Some(r#"{"json": "not xml"}"#)), None, "only XML text is judged");
        // Only the pipelines naming a literal found are evaluated; the others must not be lost.
        let r = Router::new(&[
            Req::And(vec![Req::Lit("alpha".into()), Req::Lit("beta".into())]),
            Req::Or(vec![Req::True, Req::Lit("alpha".into())]),
            Req::And(vec![Req::Lit("gamma".into()), Req::Or(vec![Req::Lit("alpha".into()), Req::Lit("beta".into())])]),
        ]);
        assert_eq!(r.wanted(Some("<Event>alpha</Event>")), Some(vec![1]));
        assert_eq!(r.wanted(Some("<Event>beta gamma ALPHA</Event>")), Some(vec![0, 1, 2]));
        assert_eq!(r.wanted(Some("<Event>gamma beta</Event>")), Some(vec![1, 2]));
    }
}
