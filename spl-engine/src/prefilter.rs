//! Raw-byte prefilter: from a plan, derive literal strings that every event it can match must
//! contain, and skip parsing records that lack them (ripgrep's trick: a literal scan before the
//! expensive engine).
//!
//! Soundness rule: a field's value may be required as a substring of the raw record only when
//! the value is *verbatim* — copied from the record's text (reader fields, aliases, and evals
//! that keep a contiguous piece of such a field). Fields computed from constants (`action`,
//! `vendor_product`) or synthesized by the reader (`source`, `host`) never yield literals.
//! Literals are ASCII, compared ignoring ASCII case like search values, and free of
//! XML-escaped characters.
//!
//! Some synthesized values are still known for a record: its System `EventID` (read off the
//! bytes when nothing else could make that field), hence `EventCode` and the other fields
//! aliased only from it; its `sourcetype` (the XML reader's, or the parsed event's), `source`
//! (`XmlWinEventLog:` and its System `Channel`, read off the bytes) and `index` (`main`); and
//! its `tag`/`eventtype`, which require what one of the eventtypes giving them requires. So a
//! `tstats` over `Endpoint.Processes` requires a process EventID, not nothing, and a search of
//! `source="XmlWinEventLog:Microsoft-Windows-AppLocker/*"` the AppLocker channel.
//!
//! Events that are not XML records (JSON, classic WinEventLog, plain text) are routed after
//! parsing on their field names and values instead of their raw text (`Router::wanted_for`):
//! a literal required of a field lies in its value, whatever escaping the raw text used. Read
//! in blocks, their records are also judged before parsing (`RawFilter::admits_text`,
//! `Router::wanted_text`) on a text holding every value: a text line or classic block as it
//! is, a JSON line with its strings unescaped too (`json_record_text`).

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
    /// The record's System `EventID` matches this search value (read off the raw bytes by
    /// `read::xml::peek_event_id`; holds when it cannot be read there).
    Eid(String),
    /// The record's header field matches this search value (`Header`: known before parsing
    /// for an XML record; the event's, after).
    Header(Header, String),
    And(Vec<Req>),
    Or(Vec<Req>),
}

/// A field the XML reader and the extraction give every record, whose value is known before
/// the record is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// The reader's (`read::xml::SOURCETYPE`), or the one `--sourcetype` forces.
    Sourcetype,
    /// `XmlWinEventLog:` and the record's `Channel` (`read::xml::peek_channel`), or the one
    /// `--source` forces; not known when the channel cannot be read off the bytes.
    Source,
    /// `main`, given by the extraction to records naming no index: a requirement on it also
    /// admits records holding the literal `index` (a field of their own).
    Index,
}

impl Header {
    const ALL: [Header; 3] = [Header::Sourcetype, Header::Source, Header::Index];

    fn of(field: &str) -> Option<Header> {
        Header::ALL.into_iter().find(|h| h.name() == field)
    }

    fn name(self) -> &'static str {
        match self {
            Header::Sourcetype => "sourcetype",
            Header::Source => "source",
            Header::Index => "index",
        }
    }
}

/// A record's header values, in `Header::ALL` order (`None`: not known, any may match).
type Heads<'a> = [Option<&'a str>; 3];

impl Req {
    fn and(items: Vec<Req>) -> Req {
        let mut v: Vec<Req> = Vec::new();
        for r in items {
            match r {
                Req::True => {}
                Req::And(inner) => inner.into_iter().for_each(|x| push_new(&mut v, x)),
                r => push_new(&mut v, r),
            }
        }
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
        let mut flat = Vec::new();
        for r in items {
            match r {
                Req::Or(inner) => inner.into_iter().for_each(|x| push_new(&mut flat, x)),
                r => push_new(&mut flat, r),
            }
        }
        let mut items = flat;
        if items.len() == 1 {
            return items.pop().unwrap_or(Req::True);
        }
        Req::Or(items)
    }

    /// Whether every record meeting this requirement meets `other`, as far as their shapes
    /// show (false when that cannot be told): a search given its subsearch's terms requires
    /// more than it did, and still all it did.
    pub fn implies(&self, other: &Req) -> bool {
        match (self, other) {
            (_, Req::True) => true,
            (a, b) if a == b => true,
            (a, Req::And(w)) => w.iter().all(|b| a.implies(b)),
            (Req::Or(v), b) => v.iter().all(|a| a.implies(b)),
            (a, Req::Or(w)) if w.iter().any(|b| a.implies(b)) => true,
            (Req::And(v), b) => v.iter().any(|a| a.implies(b)),
            _ => false,
        }
    }

    /// Any of several pipelines may want the record.
    pub fn any(items: Vec<Req>) -> Req {
        Req::or(items)
    }

    /// Every one of several conditions holds.
    pub fn all(items: Vec<Req>) -> Req {
        Req::and(items)
    }

    /// This requirement with the literals of the XML header every record has taken as held
    /// (`in_xml_skeleton`): it then asks no more of a record that has the header. So are
    /// literals holding an XML-escaped character (plans make none; `usable_literal`): the
    /// router's split of a record into text and markup (`split_markup`) cuts at those.
    fn without_header_literals(self) -> Req {
        match self {
            Req::Lit(l) if in_xml_skeleton(&l) || l.contains(XML_ESCAPED) => Req::True,
            Req::And(v) => Req::and(v.into_iter().map(Req::without_header_literals).collect()),
            Req::Or(v) => Req::or(v.into_iter().map(Req::without_header_literals).collect()),
            r => r,
        }
    }
}

/// Search values a record's EventID or sourcetype is tested against, compiled once.
struct ValuePatterns {
    /// Per pattern (in `Req::collect_eids` order): exact values lower-cased, and globs.
    exact: std::collections::HashMap<String, Vec<usize>>,
    globs: Vec<(usize, crate::search::Glob)>,
    n: usize,
}

impl ValuePatterns {
    fn new(pats: &[String]) -> ValuePatterns {
        let mut e = ValuePatterns { exact: Default::default(), globs: Vec::new(), n: pats.len() };
        for (i, p) in pats.iter().enumerate() {
            if p.contains('*') {
                e.globs.push((i, crate::search::Glob::new(p, false)));
            } else {
                e.exact.entry(crate::search::fold(p)).or_default().push(i);
            }
        }
        e
    }

    /// Which patterns the record's value may match: all when it is not known.
    fn matching(&self, value: Option<&str>) -> Vec<usize> {
        let Some(v) = value else { return (0..self.n).collect() };
        let mut out = self.exact.get(&crate::search::fold(v)).cloned().unwrap_or_default();
        out.extend(self.globs.iter().filter(|(_, g)| g.matches(v)).map(|(i, _)| *i));
        out
    }
}

/// Add `r` unless it is there already (`a OR a` is `a`).
fn push_new(v: &mut Vec<Req>, r: Req) {
    if !v.contains(&r) {
        v.push(r);
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
    /// Fields that hold exactly the System `EventID` of an XML record: `EventID` (unless a rule
    /// sets it) and fields every rule setting them aliases from such a field (`EventCode`).
    eid_fields: HashSet<String>,
    /// Per eventtype: its name, tags and what its search requires (`tag=process` requires
    /// what one of the eventtypes tagged `process` does); `None` inside an eventtype's search.
    eventtypes: Option<Vec<(String, Vec<String>, Req)>>,
    /// Per `Header::ALL`: no rule sets the field, so it is what the reader or extraction gave.
    heads_kept: [bool; 3],
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
        let mut v = Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), ..Default::default() };
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
        v.eid_fields = eid_fields(content);
        v.heads_kept =
            Header::ALL.map(|h| {
                !(h == Header::Index && content.index_forced)
                    && content.sourcetypes.iter().flat_map(|m| &m.rules).all(|r| {
                        r.alias.iter().all(|(t, _)| t != h.name()) && r.eval.iter().all(|(t, _, _)| t != h.name())
                    })
            });
        // Within eventtypes (`tag=process` requires what one of a dozen does, in every search
        // reading the tag) only the sourcetype is routed on: their EventIDs already tell
        // records apart, and their sources doubled the requirements the pack's router evaluates.
        let kept = v.heads_kept;
        v.heads_kept = Header::ALL.map(|h| h == Header::Sourcetype && kept.first() == Some(&true));
        let reqs = content
            .eventtypes
            .iter()
            .map(|et| {
                let r = requirement(&et.search, &v, &|f| FieldSource::Event(f.to_string()));
                (et.name.clone(), et.tags.clone(), r)
            })
            .collect();
        v.eventtypes = Some(reqs);
        v.heads_kept = kept;
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

    /// What `tag=pat` or `eventtype=pat` requires: what one of the eventtypes giving such a
    /// value requires, or the field's name in the record (a reader field of that name would
    /// stand when no eventtype matches).
    fn eventtype_requirement(&self, field: &str, pat: &Pattern) -> Req {
        let Some(types) = &self.eventtypes else { return Req::True };
        let mut alts: Vec<Req> = types
            .iter()
            .filter(
                |(name, tags, _)| if field == "tag" { tags.iter().any(|t| pat.matches(t)) } else { pat.matches(name) },
            )
            .map(|(_, _, r)| r.clone())
            .collect();
        alts.push(Req::Lit(field.to_string()));
        Req::or(alts)
    }
}

/// `Verbatim::eid_fields` of the content's rules: the largest set holding `EventID` that no
/// EVAL sets and whose members are aliased only from members (`EventCode` from `EventID`, and
/// back in the classic format). On a record whose text names none of them but `EventID`, as
/// its one element, the reader makes only `EventID`, and aliases copy that value around.
fn eid_fields(content: &Content) -> HashSet<String> {
    let mut aliases: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    let mut evals: HashSet<&str> = HashSet::new();
    for r in content.sourcetypes.iter().flat_map(|m| &m.rules) {
        for (t, src) in &r.alias {
            aliases.entry(t).or_default().push(src);
        }
        evals.extend(r.eval.iter().map(|(t, _, _)| t.as_str()));
    }
    let mut set: HashSet<&str> = aliases.keys().copied().chain(["EventID"]).collect();
    set.retain(|f| !evals.contains(f) && !SYNTHESIZED.contains(f));
    loop {
        let keep: HashSet<&str> = set
            .iter()
            .copied()
            .filter(|f| aliases.get(f).is_none_or(|srcs| srcs.iter().all(|s| set.contains(s))))
            .collect();
        if keep.len() == set.len() {
            break;
        }
        set = keep;
    }
    if !set.contains("EventID") {
        return HashSet::new();
    }
    // Only fields EventID's value can reach or come from matter: the rest of the set (e.g.
    // `RecordNumber` and `EventRecordID` aliased both ways) never meets it.
    let mut reach: HashSet<&str> = HashSet::from(["EventID"]);
    loop {
        let before = reach.len();
        for (t, srcs) in &aliases {
            if set.contains(t) && srcs.iter().any(|s| reach.contains(s) || reach.contains(t)) {
                reach.insert(t);
                reach.extend(srcs.iter().copied());
            }
        }
        if reach.len() == before {
            return reach.into_iter().map(str::to_string).collect();
        }
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
                let anchored = |both: bool| {
                    let (start, end) = (re.starts_with('^'), re.ends_with('$') && !escaped_end(re));
                    !top_level_alternation(re) && if both { start && end } else { start || end }
                };
                // Removing an anchored prefix or suffix keeps a contiguous piece; so does
                // taking one group of a match of the whole value (`replace(_raw, "^.* user
                // (\S+) .*$", "\1")`), which leaves the value as it is when it does not match.
                if rep.is_empty() && anchored(false) || is_group_ref(rep) && anchored(true) {
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

/// Whether a regex's final `$` is escaped (a literal dollar, not an anchor).
fn escaped_end(re: &str) -> bool {
    let body = re.strip_suffix('$').unwrap_or(re);
    body.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Whether a replacement is one group reference and nothing else (`\1`).
fn is_group_ref(rep: &str) -> bool {
    rep.strip_prefix('\\').is_some_and(|d| d.len() == 1 && d.bytes().all(|b| b.is_ascii_digit()))
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
        Matcher::AnyOf(set) => Req::or(set.alts.iter().map(|x| requirement(x, verbatim, field_map)).collect()),
        Matcher::Eq { field, pat } if field == "tag" || field == "eventtype" => {
            verbatim.eventtype_requirement(field, pat)
        }
        Matcher::Eq { field, pat } => {
            let source = field_map(field);
            if let (Some(h), Pattern::Glob(g), FieldSource::Event(f)) = (Header::of(field), pat, &source) {
                if f.as_str() == field.as_str() && verbatim.heads_kept.get(h as usize) == Some(&true) {
                    let held = Req::Header(h, g.literals().collect::<Vec<_>>().join("*"));
                    return match h {
                        Header::Index => Req::or(vec![held, Req::Lit("index".into())]),
                        _ => held,
                    };
                }
            }
            let eid = match (&source, pat) {
                (FieldSource::Event(f), Pattern::Glob(g)) if verbatim.eid_fields.contains(f) => {
                    // Unless the record names another of those fields (which the reader would
                    // then make from its text), the field's value is the record's EventID.
                    let mut others: Vec<&String> = verbatim.eid_fields.iter().filter(|n| *n != "EventID").collect();
                    others.sort();
                    if others.iter().all(|n| usable_literal(n)) {
                        let mut alts = vec![Req::Eid(g.literals().collect::<Vec<_>>().join("*"))];
                        alts.extend(others.into_iter().map(|n| Req::Lit(n.clone())));
                        Req::or(alts)
                    } else {
                        Req::True
                    }
                }
                _ => Req::True,
            };
            // Separator characters the value may hold that are not in the record.
            let seps = match source {
                FieldSource::Event(f) => verbatim.pieces_of_field(&f),
                // A calculated field qualifies when the pattern matches none of its constants.
                FieldSource::Calculated(e) => {
                    outcomes(e, verbatim).filter(|(cs, _)| !cs.iter().any(|c| pat.matches(c))).map(|(_, s)| s)
                }
                FieldSource::Unknown => None,
            };
            let Some(seps) = seps else { return eid };
            let text = match pat {
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
            };
            Req::and(vec![text, eid])
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

/// Literals at least one of which every admitted record contains (`None`: no such set; empty:
/// no record is admitted before parsing).
/// `read_source`: records get their `source` from their own text (no `--source`), so a
/// `source=` value requires a piece of it (`source_literal`).
fn anchors(r: &Req, read_source: bool) -> Option<Vec<String>> {
    match r {
        Req::Header(Header::Source, p) if read_source => source_literal(p).map(|l| vec![l]),
        // Before parsing, an XML record's index is `main`: a value that does not match it holds
        // only by a record's own `index` field, which the literal beside it stands for.
        Req::Header(Header::Index, p) if !crate::search::Glob::new(p, false).matches(crate::extract::DEFAULT_INDEX) => {
            Some(Vec::new())
        }
        Req::True | Req::Eid(_) | Req::Header(..) => None,
        Req::Lit(l) => Some(vec![l.clone()]),
        // Any child's set will do: take the one with the fewest, longest literals.
        Req::And(v) => v
            .iter()
            .filter_map(|c| anchors(c, read_source))
            .min_by_key(|a| (a.len(), usize::MAX - a.iter().map(String::len).min().unwrap_or(0))),
        Req::Or(v) => {
            let mut all = Vec::new();
            for c in v {
                for l in anchors(c, read_source)? {
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
    /// `req` over `facts`.
    ireq: IReq,
    facts: Facts,
    ac: AhoCorasick,
    anchor: Option<regex::bytes::Regex>,
    /// `anchor` when records take their `source` from their own text, where it differs.
    read_anchor: Option<regex::bytes::Regex>,
    /// `ac` for texts judged whole (`admits_text`), made when first needed.
    text_ac: std::sync::OnceLock<Option<AhoCorasick>>,
}

impl std::fmt::Debug for RawFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawFilter({:?})", self.req)
    }
}

/// A literal every XML record contains whose `source`, read from its own text, matches the
/// search value `p` (folded): that source is `XmlWinEventLog:` and the record's `Channel`, or a
/// `source` field of its own, both verbatim text of the record. A piece of `p` lies in that
/// text unless it may overlap the `XmlWinEventLog:` the reader adds: past a first piece that
/// holds all of it, or in a value that cannot start with it, none does.
fn source_literal(p: &str) -> Option<String> {
    const ADDED: &str = "xmlwineventlog:";
    let mut pieces: Vec<&str> = p.split('*').collect();
    let first = pieces.first_mut()?;
    match first.strip_prefix(ADDED) {
        Some(rest) => *first = rest,
        // `xml*…` or `*…`: a piece may lie partly in the prefix.
        None if ADDED.starts_with(*first) => return None,
        // `wineventlog:…`: never a channel's source; a field's holds every piece.
        None => {}
    }
    pieces.into_iter().filter(|l| usable_literal(l)).max_by_key(|l| l.len()).map(str::to_string)
}

/// A case-insensitive search for any of these literals (none for an empty set, which
/// `anchors` gives a requirement no record meets before parsing: nothing is skipped then).
fn any_of(lits: &[String]) -> Option<regex::bytes::Regex> {
    if lits.is_empty() {
        return None;
    }
    let alts: Vec<String> = lits.iter().map(|l| regex::escape(l)).collect();
    regex::bytes::RegexBuilder::new(&format!("(?i-u:{})", alts.join("|"))).unicode(false).build().ok()
}

/// Literals up to which a bulk skip searches with SIMD (the regex crate's Teddy searcher takes
/// up to 64 patterns).
const FAST_ANCHOR_LITERALS: usize = 64;

impl RawFilter {
    /// `None` when the requirement is `True` (nothing to skip on).
    pub fn new(req: Req) -> Option<RawFilter> {
        if req == Req::True {
            return None;
        }
        let (facts, mut ireqs) = Facts::compile(std::iter::once(&req));
        let ireq = ireqs.pop()?;
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&facts.lits)
            .ok()?;
        // The bulk scan uses the regex crate: its case-insensitive literal search (SIMD over the
        // case variants) is what ripgrep relies on, and beats a rare-byte prefilter on XML.
        let (plain, read) = (anchors(&req, false), anchors(&req, true));
        let read_anchor = if read == plain { None } else { read.and_then(|a| any_of(&a)) };
        let anchor = plain.and_then(|a| any_of(&a));
        Some(RawFilter { req, ireq, facts, ac, anchor, read_anchor, text_ac: Default::default() })
    }

    /// `new` for use beside a `Router`, which judges every record itself: only when it can skip
    /// stretches of records in bulk faster than the router walks them, that is when its anchor
    /// has few literals. (A pack's anchor has thousands: a regex over them walks an automaton
    /// as the router does, and took ~10 MB.)
    pub fn for_bulk_skip(req: Req) -> Option<RawFilter> {
        if anchors(&req, false).is_some_and(|a| a.len() <= FAST_ANCHOR_LITERALS) {
            RawFilter::new(req)
        } else {
            None
        }
    }

    /// Where the first of the literals one of which every admitted record contains occurs, for
    /// skipping input in bulk; `None` from the outer option when there is no such set.
    /// `source_forced`: `--source` gives the records their source, not their text.
    pub fn anchor(&self, source_forced: bool) -> Option<impl Fn(&[u8]) -> Option<usize> + '_> {
        let re = if source_forced { None } else { self.read_anchor.as_ref() };
        re.or(self.anchor.as_ref()).map(|re| move |hay: &[u8]| re.find(hay).map(|m| m.start()))
    }

    /// Whether an XML record with this text may be wanted, `sourcetype` being what the reader
    /// will give it (`read::xml::SOURCETYPE`, or the one `--sourcetype` forces) and `source`
    /// the one `--source` forces.
    pub fn admits(&self, raw: &[u8], sourcetype: &str, source: Option<&str>) -> bool {
        if let Req::Lit(_) = self.req {
            return self.ac.is_match(raw);
        }
        self.admits_given(raw, self.facts.xml_values(raw, sourcetype, source), &self.ac)
    }

    /// Whether a record judged on `text` (a line format's text, `LineBlock::records_judged`)
    /// may be wanted, its headers being `heads` (`None` where not known before parsing: every
    /// value is then taken as held) and its EventID not known.
    pub fn admits_text(&self, text: &[u8], heads: [Option<&str>; 3]) -> bool {
        // A literal holding `\` gets a DFA without prefilter: the rare-byte prefilter picks
        // `\`, which Windows paths are full of (1.04 s against 0.75 s over 256 MiB of JSON
        // lines); for other literals it skips most of the text (0.49 s against 0.76 s).
        let ac = self
            .text_ac
            .get_or_init(|| {
                if !self.facts.lits.iter().any(|l| l.contains('\\')) {
                    return None;
                }
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .prefilter(false)
                    .build(&self.facts.lits)
                    .ok()
            })
            .as_ref()
            .unwrap_or(&self.ac);
        self.admits_given(text, self.facts.values(b"", heads), ac)
    }

    /// The requirement over the EventID and header facts `held` and the literals `ac` finds in
    /// `text`.
    fn admits_given(&self, text: &[u8], held: Vec<usize>, ac: &AhoCorasick) -> bool {
        let mut found = vec![false; self.facts.len()];
        let mut values = false;
        for f in held {
            if let Some(slot) = found.get_mut(f) {
                *slot = true;
                values = true;
            }
        }
        // Requirements are monotone: one met by the EventID and header alone needs no scan.
        if values && self.ireq.eval(&found) {
            return true;
        }
        let mut left = self.facts.lits.len();
        for m in ac.find_overlapping_iter(text) {
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
        self.ireq.eval(&found)
    }

    pub fn describe(&self) -> String {
        describe(&self.req)
    }
}

/// The text a prefilter judges a JSON record by before it is parsed, lower-cased into `out`:
/// its line, then, when the line holds escapes, the line with every string unescaped. A value
/// the parser makes from a string lies in the second (escapes undone); `_raw`, the line itself,
/// in the first. `false` (judge nothing, parse) unless the line is one whole object whose
/// numbers the parser keeps as written: serde_json (with `arbitrary_precision`) keeps a
/// number's text, but writes an exponent back as `1e+5`. A line that is a piece of a
/// multi-line record is never one whole object. (Like a skipped XML record, a line left out is
/// not checked: one the parser would reject is not reported malformed then.)
pub fn json_record_text(line: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let line = line.trim_ascii();
    if !(line.starts_with(b"{") && line.ends_with(b"}")) {
        return false;
    }
    let (mut depth, mut i, mut escapes) = (0usize, 0usize, false);
    while let Some(&b) = line.get(i) {
        match b {
            b'"' => {
                // To the closing quote, over escapes.
                i += 1;
                loop {
                    let Some(at) = line.get(i..).and_then(|r| memchr::memchr2(b'"', b'\\', r)) else { return false };
                    i += at;
                    if line.get(i) == Some(&b'"') {
                        break;
                    }
                    escapes = true;
                    i += 2;
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                // The first object must close at the line's end (not `{…}{…}`).
                if depth == 0 && i + 1 != line.len() {
                    return false;
                }
            }
            b'-' | b'0'..=b'9' => {
                let end = line
                    .get(i..)
                    .and_then(|r| r.iter().position(|c| !matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')));
                let num = line.get(i..i + end.unwrap_or(line.len() - i)).unwrap_or_default();
                if num.iter().any(|c| matches!(c, b'e' | b'E')) {
                    return false;
                }
                i += num.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return false;
    }
    out.extend(line.iter().map(u8::to_ascii_lowercase));
    if escapes {
        out.push(b'\n');
        unescape_json_lower(line, out);
    }
    true
}

/// `line` with the escapes of its strings undone (`\uXXXX` as UTF-8), lower-cased, onto `out`.
fn unescape_json_lower(line: &[u8], out: &mut Vec<u8>) {
    let hex = |at: usize| -> Option<u32> {
        let digits = std::str::from_utf8(line.get(at..at + 4)?).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        if b != b'\\' {
            out.push(b.to_ascii_lowercase());
            i += 1;
            continue;
        }
        let mut unit = None;
        match line.get(i + 1) {
            Some(b'u') => unit = hex(i + 2),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(c) => out.push(c.to_ascii_lowercase()),
            None => {}
        }
        i += 2;
        let Some(first) = unit else { continue };
        i += 4;
        // A surrogate pair is one character.
        let code = match (first, line.get(i..i + 2)) {
            (0xD800..=0xDBFF, Some(b"\\u")) => match hex(i + 2) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    i += 6;
                    0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                }
                _ => first,
            },
            _ => first,
        };
        let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER).to_ascii_lowercase();
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

fn describe(r: &Req) -> String {
    match r {
        Req::True => "true".into(),
        Req::Lit(l) => format!("{l:?}"),
        Req::Eid(p) => format!("EventID={p}"),
        Req::Header(h, p) => format!("{}={p}", h.name()),
        Req::And(v) => format!("({})", v.iter().map(describe).collect::<Vec<_>>().join(" AND ")),
        Req::Or(v) => format!("({})", v.iter().map(describe).collect::<Vec<_>>().join(" OR ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_requirement_implies_what_its_shape_shows_it_does() {
        use super::Req::{self, *};
        let lit = |s: &str| Lit(s.to_string());
        let (a, b, c) = (lit("alpha"), lit("beta"), lit("gamma"));
        let ab = Req::all(vec![a.clone(), b.clone()]);
        assert!(ab.implies(&a) && ab.implies(&ab) && a.implies(&True) && True.implies(&True));
        assert!(!a.implies(&ab) && !True.implies(&a) && !a.implies(&b));
        assert!(a.implies(&Req::any(vec![a.clone(), c.clone()])));
        assert!(Req::any(vec![ab.clone(), a.clone()]).implies(&a));
        assert!(!Req::any(vec![a.clone(), c.clone()]).implies(&a));
        // A search given its subsearch's terms: more required, all of before still.
        let before = Req::all(vec![Eid("4662".into()), a.clone()]);
        let after = Req::all(vec![before.clone(), Req::any(vec![b.clone(), c.clone()])]);
        assert!(after.implies(&before) && !before.implies(&after));
    }

    use super::*;
    use crate::search::{CompileCtx, Matcher};

    fn matcher(spl: &str) -> Matcher {
        let e = spl_parser::parse_search_expr(spl).expect("parses").expect("non-empty");
        Matcher::compile(&e, &CompileCtx { now: 0.0, tz: 0 }).expect("compiles")
    }

    fn req(spl: &str) -> Req {
        let v = Verbatim {
            computed: SYNTHESIZED.iter().map(|s| s.to_string()).chain(["action".to_string()]).collect(),
            ..Default::default()
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
        assert!(f.admits(
            b"<Data Name='Image'>C:\\RegAsm.EXE</Data><Data Name='CommandLine'>x -ENC y</Data>",
            crate::read::xml::SOURCETYPE,
            None
        ));
        assert!(!f.admits(b"<Data Name='Image'>C:\\RegAsm.EXE</Data>", crate::read::xml::SOURCETYPE, None));
        assert!(!f.admits(b"<Data Name='CommandLine'>x -enc y</Data>", crate::read::xml::SOURCETYPE, None));
    }

    #[test]
    fn calculated_fields_with_constant_fallbacks_still_require_the_literal() {
        let v = Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), ..Default::default() };
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
        let mut v = Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), ..Default::default() };
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
    fn one_group_of_a_match_of_the_whole_value_is_a_piece_of_it() {
        let v = Verbatim { computed: SYNTHESIZED.iter().map(|s| s.to_string()).collect(), ..Default::default() };
        for (e, piece) in [
            (r#"replace(_raw, "^.*: Invalid user (\S+) from .*$", "\1")"#, true),
            (r#"if(match(_raw, "x"), replace(_raw, "^\w+ (\S+)$", "\2"), null())"#, true),
            // Unanchored: every match is replaced, so pieces of the value are joined.
            (r#"replace(_raw, "user (\S+)", "\1")"#, false),
            (r#"replace(_raw, "^.* user (\S+) costs \$", "\1")"#, false),
            (r#"replace(_raw, "^a (\S+)$|^b (\S+)$", "\1")"#, false),
            (r#"replace(_raw, "^(\S+) (\S+)$", "\1-\2")"#, false),
            (r#"replace(sourcetype, "^(\S+)$", "\1")"#, false),
        ] {
            let expr = spl_parser::parse_eval_expr(e).unwrap();
            assert_eq!(pieces(&expr, &v).is_some(), piece, "{e}");
        }
    }

    #[test]
    fn alternation_inside_an_anchored_group_still_removes_a_prefix() {
        assert!(!top_level_alternation(r#"^\s*("[^"]*"|\S+)\s+"#));
        assert!(top_level_alternation("^a|b$"));
        assert!(!top_level_alternation(r"^[|]x"));
    }

    /// Content like the pack's: `EventCode` aliased from `EventID` (and back in a classic
    /// format), an unrelated alias cycle, and eventtypes behind `tag`.
    fn windows_content() -> Content {
        let files = [
            ("m/sourcetypes/x.yml", "name: x\nmatch:\n  sourcetype: XmlWinEventLog\nrules:\n  - alias:\n      EventCode: EventID\n      RecordNumber: EventRecordID\n"),
            ("m/sourcetypes/c.yml", "name: c\nmatch:\n  sourcetype: WinEventLog\nrules:\n  - alias:\n      EventID: EventCode\n      EventRecordID: RecordNumber\n"),
            ("m/eventtypes/e.yml", "- name: proc\n  search: 'EventCode IN (1, 4688)'\n  tags: [process]\n- name: pan\n  search: 'sourcetype=\"pan:traffic\"'\n  tags: [network]\n- name: win_net\n  search: 'EventCode=5156'\n  tags: [network]\n"),
        ];
        let files = files
            .iter()
            .map(|(path, text)| crate::content::ContentFile { path: (*path).into(), text: (*text).into() })
            .collect();
        let mut c = Content::default();
        c.load_files(std::path::Path::new("m"), files).unwrap();
        c
    }

    #[test]
    fn event_codes_tags_and_sourcetypes_require_what_the_reader_and_eventtypes_make_sure_of() {
        let content = windows_content();
        let v = Verbatim::from_content(&content);
        let mut eid: Vec<&str> = v.eid_fields.iter().map(String::as_str).collect();
        eid.sort();
        assert_eq!(eid, ["EventCode", "EventID"], "RecordNumber <-> EventRecordID never meets EventID");
        let record = |system: &str, data: &str| {
            format!("<Event xmlns='x'><System>{system}<Channel>Security</Channel><Computer>h</Computer></System><EventData>{data}</EventData></Event>")
        };
        let records = [
            record("<EventID>4688</EventID>", "<Data Name='NewProcessName'>C:\\a.exe</Data>"),
            record("<EventID>4624</EventID>", ""),
            record("<EventID>1</EventID>", ""),
            record("<EventID>5156</EventID>", ""),
            record("<EventID Qualifiers='0'>4688</EventID>", ""),
            record("<EventID>4624</EventID>", "<Data Name='EventCode'>4688</Data>"),
            record("<EventID><![CDATA[4688]]></EventID>", ""),
            record("<EventID>4624</EventID>", "<Data Name='tag'>process</Data>"),
        ];
        let fns = crate::eval::FnContext { now: 0.0, tz: Default::default() };
        let cases = [
            ("EventCode=4688", vec![true, false, false, false, true, true, true, false]),
            // A record naming `EventCode` might have its EventID aliased from it: kept.
            ("EventID=4688", vec![true, false, false, false, true, true, true, false]),
            ("tag=process", vec![true, false, true, false, true, true, true, true]),
            ("tag=network", vec![false, false, false, true, false, false, false, true]),
            ("sourcetype=pan:traffic", vec![false; 8]),
        ];
        for (spl, admitted) in cases {
            let m = matcher(spl);
            let r = requirement(&m, &v, &|f| FieldSource::Event(f.to_string()));
            let f = RawFilter::new(r.clone()).expect("a filter");
            let router = Router::new(&[r.clone(), Req::True]).expect("an automaton");
            for (raw, want) in records.iter().zip(&admitted) {
                assert_eq!(
                    f.admits(raw.as_bytes(), crate::read::xml::SOURCETYPE, None),
                    *want,
                    "{spl} on {raw}: {}",
                    f.describe()
                );
                let routed = router.wanted(Some(raw), Some(crate::read::xml::SOURCETYPE)).unwrap();
                assert_eq!(routed.contains(&0), *want, "{spl} routed on {raw}");
                // The rule: a record the search matches is never left out.
                let mut ev = crate::read::parse_xml_event(raw).unwrap();
                crate::extract::extract(&content, &fns, &mut ev);
                assert!(!m.matches(&ev) || *want, "{spl} matches {raw} but the filter drops it");
            }
        }
        // Before parsing, the filter judges on the sourcetype the reader will give: its own, or
        // the one `--sourcetype` forces.
        let f =
            RawFilter::new(requirement(&matcher("sourcetype=pan:traffic"), &v, &|f| FieldSource::Event(f.to_string())))
                .unwrap();
        assert!(!f.admits(records[0].as_bytes(), crate::read::xml::SOURCETYPE, None));
        assert!(f.admits(records[0].as_bytes(), "pan:traffic", None));
        // After parsing, the router judges on the event's own sourcetype.
        let r = requirement(&matcher("sourcetype=pan:traffic"), &v, &|f| FieldSource::Event(f.to_string()));
        let router = Router::new(&[r]).expect("an automaton");
        assert_eq!(router.wanted(Some(&records[0]), Some("pan:traffic")), Some(vec![0]));
        assert_eq!(router.wanted(Some(&records[0]), Some("XmlWinEventLog")), Some(vec![]));
        assert_eq!(router.wanted(Some(&records[0]), None), Some(vec![0]), "no single sourcetype: not judged");
    }

    #[test]
    fn a_source_value_requires_the_pieces_of_it_the_record_holds() {
        let lit = |p: &str| source_literal(p);
        assert_eq!(
            lit("xmlwineventlog:microsoft-windows-applocker/*").as_deref(),
            Some("microsoft-windows-applocker/")
        );
        assert_eq!(lit("xmlwineventlog:security").as_deref(), Some("security"));
        assert_eq!(lit("xmlwineventlog:*sysmon/operational").as_deref(), Some("sysmon/operational"));
        // Never a channel's source: a `source` field of the record's own holds all of it.
        assert_eq!(lit("wineventlog:security").as_deref(), Some("wineventlog:security"));
        // A piece may lie partly in the `XmlWinEventLog:` the reader adds.
        assert_eq!(lit("*wineventlog:security"), None);
        assert_eq!(lit("xmlwin*security"), None);
        assert_eq!(lit("xmlwineventlog:ab"), None, "too short to search for");
    }

    /// An XML record's `source` is `XmlWinEventLog:` and its channel, its `index` `main`: both
    /// known before parsing, so `source=…` and `index=…` searches (the `applocker` macro, the
    /// Risk data model's `index=risk`) need not parse every record.
    #[test]
    fn source_and_index_searches_route_on_what_the_reader_and_extraction_give() {
        let content = windows_content();
        let v = Verbatim::from_content(&content);
        let record = |channel: &str, data: &str| {
            format!("<Event xmlns='x'><System><EventID>8004</EventID>{channel}<Computer>h</Computer></System><EventData>{data}</EventData></Event>")
        };
        let records = [
            record(
                "<Channel>Microsoft-Windows-AppLocker/EXE and DLL</Channel>",
                "<Data Name='FilePath'>C:\\a.exe</Data>",
            ),
            record("<Channel>Security</Channel>", ""),
            record("<Channel>security</Channel>", "<Data Name='index'>risk</Data>"),
            // No channel: the record's own `source` stands, and cannot be told before parsing.
            record("", "<Data Name='source'>XmlWinEventLog:Microsoft-Windows-AppLocker/MSI</Data>"),
            record("<Channel>Microsoft-Windows-Sysmon/Operational</Channel>", "<Data Name='Image'>x</Data>"),
        ];
        let fns = crate::eval::FnContext { now: 0.0, tz: Default::default() };
        let cases = [
            (
                r#"(source="WinEventLog:Microsoft-Windows-AppLocker/*" OR source="XmlWinEventLog:Microsoft-Windows-AppLocker/*")"#,
                [true, false, false, true, false],
            ),
            ("source=XmlWinEventLog:Security", [false, true, true, true, false]),
            // A record naming an `index` of its own might hold any: kept by the literal.
            ("index=risk", [false, false, true, false, false]),
            ("index=main", [true, true, true, true, true]),
            (
                "sourcetype=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational OR source=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
                [false, false, false, true, true],
            ),
        ];
        for (spl, admitted) in cases {
            let m = matcher(spl);
            let r = requirement(&m, &v, &|f| FieldSource::Event(f.to_string()));
            assert_ne!(r, Req::True, "{spl}");
            let f = RawFilter::new(r.clone()).expect("a filter");
            let router = Router::new(&[r.clone(), Req::Lit("never there".into())]).expect("an automaton");
            let mut scratch = Scratch::default();
            for (raw, want) in records.iter().zip(admitted) {
                let st = crate::read::xml::SOURCETYPE;
                assert_eq!(f.admits(raw.as_bytes(), st, None), want, "{spl} on {raw}: {}", f.describe());
                let routed = router.wanted_xml(raw.as_bytes(), st, None, &mut scratch).unwrap();
                assert_eq!(routed.contains(&0), want, "{spl} routed on {raw}");
                // The rule: a record the search matches is never left out.
                let mut ev = crate::read::parse_xml_event(raw).unwrap();
                crate::extract::extract(&content, &fns, &mut ev);
                assert!(!m.matches(&ev) || want, "{spl} matches {raw} but the filter drops it");
                // Nor skipped in bulk by a literal its source requires.
                let in_bulk = f.anchor(false).is_none_or(|find| find(raw.as_bytes()).is_some());
                assert!(!m.matches(&ev) || in_bulk, "{spl} matches {raw} but the bulk skip drops it");
                // After parsing, the event's own values judge.
                let after = router.wanted_for(&ev).unwrap().contains(&0);
                assert!(!m.matches(&ev) || after, "{spl} matches the event of {raw} but the router drops it");
            }
        }
        // `index=risk` skips in bulk the records that do not name an index of their own.
        let m = matcher("index=risk");
        let f = RawFilter::new(requirement(&m, &v, &|f| FieldSource::Event(f.to_string()))).unwrap();
        let find = f.anchor(true).unwrap();
        assert!(find(records[2].as_bytes()).is_some() && find(records[0].as_bytes()).is_none());
        // `--source` forces the source whatever the channel: then nothing is skipped in bulk.
        let m = matcher("source=XmlWinEventLog:Microsoft-Windows-AppLocker/*");
        let f = RawFilter::new(requirement(&m, &v, &|f| FieldSource::Event(f.to_string()))).unwrap();
        assert!(f.anchor(true).is_none());
        let find = f.anchor(false).unwrap();
        assert!(find(records[0].as_bytes()).is_some() && find(records[1].as_bytes()).is_none());
        let forced = Some("XmlWinEventLog:Microsoft-Windows-AppLocker/Script");
        assert!(f.admits(records[1].as_bytes(), crate::read::xml::SOURCETYPE, forced));
        assert!(!f.admits(records[0].as_bytes(), crate::read::xml::SOURCETYPE, Some("XmlWinEventLog:Security")));
    }

    #[test]
    fn xml_escaped_characters_are_never_required() {
        assert_eq!(req(r#"CommandLine="*a & b*""#), Req::True);
        assert_eq!(req(r#"CommandLine="*cmd.exe /c echo x > out.txt*""#), Req::Lit("cmd.exe /c echo x ".into()));
    }
}

/// Pieces of text every XmlWinEventLog record holds, each contiguous (lower case): the
/// `<System>` header Windows writes.
const XML_SKELETON: &[&str] = &[
    "<event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>",
    "<system><provider name='",
    "<eventid>",
    "</eventid><version>",
    "</version><level>",
    "</level><task>",
    "</task><opcode>",
    "</opcode><keywords>",
    "</keywords><timecreated systemtime='",
    "<eventrecordid>",
    "</eventrecordid><correlation",
    "<execution processid='",
    "' threadid='",
    "<channel>",
    "</channel><computer>",
    "</computer><security",
    "</system>",
    "</event>",
];

/// Whether every XmlWinEventLog record holds this literal (ignoring ASCII case) in its header.
fn in_xml_skeleton(lit: &str) -> bool {
    let lit = lit.to_ascii_lowercase();
    XML_SKELETON.iter().any(|piece| piece.contains(lit.as_str()))
}

/// A requirement over numbered facts a record may hold (`Facts`).
#[derive(Clone, Debug)]
enum IReq {
    True,
    Fact(usize),
    And(Vec<IReq>),
    Or(Vec<IReq>),
}

/// Distinct strings numbered in order of first sight.
#[derive(Default)]
struct Numbering {
    all: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Numbering {
    fn add(&mut self, s: &str) {
        if !self.index.contains_key(s) {
            self.index.insert(s.to_string(), self.all.len());
            self.all.push(s.to_string());
        }
    }
}

/// The facts some requirements test, numbered: the literals of the record's text (found by
/// one automaton pass), then the EventID values, then the values of each `Header`.
struct Facts {
    lits: Vec<String>,
    eids: ValuePatterns,
    /// Per `Header::ALL`.
    heads: [ValuePatterns; 3],
}

impl Facts {
    /// Number the facts of `reqs` and state each requirement over those numbers.
    fn compile<'a>(reqs: impl Iterator<Item = &'a Req> + Clone) -> (Facts, Vec<IReq>) {
        let (mut lits, mut eids) = (Numbering::default(), Numbering::default());
        let mut heads: [Numbering; 3] = Default::default();
        fn collect(r: &Req, lits: &mut Numbering, eids: &mut Numbering, heads: &mut [Numbering; 3]) {
            match r {
                Req::True => {}
                Req::Lit(l) => lits.add(l),
                Req::Eid(p) => eids.add(p),
                Req::Header(h, p) => heads.get_mut(*h as usize).into_iter().for_each(|n| n.add(p)),
                Req::And(v) | Req::Or(v) => v.iter().for_each(|c| collect(c, lits, eids, heads)),
            }
        }
        reqs.clone().for_each(|r| collect(r, &mut lits, &mut eids, &mut heads));
        let (nl, ne) = (lits.all.len(), eids.all.len());
        let number = |r: &Req| -> usize {
            let at = |n: &Numbering, s: &String| n.index.get(s).copied().unwrap_or(usize::MAX);
            match r {
                Req::Lit(l) => at(&lits, l),
                Req::Eid(p) => nl + at(&eids, p),
                Req::Header(h, p) => {
                    let before: usize = heads.iter().take(*h as usize).map(|n| n.all.len()).sum();
                    heads.get(*h as usize).map_or(usize::MAX, |n| nl + ne + before + at(n, p))
                }
                _ => usize::MAX,
            }
        };
        fn convert(r: &Req, number: &dyn Fn(&Req) -> usize) -> IReq {
            match r {
                Req::True => IReq::True,
                Req::And(v) => IReq::And(v.iter().map(|c| convert(c, number)).collect()),
                Req::Or(v) => IReq::Or(v.iter().map(|c| convert(c, number)).collect()),
                atom => IReq::Fact(number(atom)),
            }
        }
        let ireqs = reqs.map(|r| convert(r, &number)).collect();
        let facts = Facts {
            eids: ValuePatterns::new(&eids.all),
            heads: heads.map(|n| ValuePatterns::new(&n.all)),
            lits: lits.all,
        };
        (facts, ireqs)
    }

    fn len(&self) -> usize {
        self.lits.len() + self.eids.n + self.heads.iter().map(|h| h.n).sum::<usize>()
    }

    /// The EventID and header facts a record holds (every one it may, where a value is not
    /// known).
    fn values(&self, raw: &[u8], heads: Heads<'_>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut base = self.lits.len();
        if self.eids.n > 0 {
            out.extend(self.eids.matching(crate::read::xml::peek_event_id(raw)).into_iter().map(|j| base + j));
        }
        base += self.eids.n;
        for (pats, value) in self.heads.iter().zip(heads) {
            if pats.n > 0 {
                out.extend(pats.matching(value).into_iter().map(|k| base + k));
            }
            base += pats.n;
        }
        out
    }

    /// `values` of an XML record before it is parsed: the `sourcetype` the reader will give
    /// it, the `source` `--source` forces or else its channel's, and the index `main` (the
    /// requirement admits a record naming an `index` of its own by its literal).
    fn xml_values(&self, raw: &[u8], sourcetype: &str, source: Option<&str>) -> Vec<usize> {
        let from_channel = match source {
            None if self.heads.get(Header::Source as usize).is_some_and(|p| p.n > 0) => {
                crate::read::xml::peek_channel(raw).map(|c| format!("XmlWinEventLog:{c}"))
            }
            _ => None,
        };
        self.values(raw, [Some(sourcetype), source.or(from_channel.as_deref()), Some(crate::extract::DEFAULT_INDEX)])
    }
}

impl IReq {
    fn facts(&self, out: &mut Vec<usize>) {
        match self {
            IReq::True => {}
            IReq::Fact(i) => out.push(*i),
            IReq::And(v) | IReq::Or(v) => v.iter().for_each(|r| r.facts(out)),
        }
    }

    /// Facts at least one of which a record meeting the requirement holds, chosen so that few
    /// records hold them: of an AND, one child's (literals rather than EventIDs, which most
    /// records have; then the fewest). A pipeline need only be tried on records holding one.
    fn keys(&self, nlits: usize) -> Option<Vec<usize>> {
        // Before any record is counted: an EventID or header fact as held by every record,
        // a literal by a share small enough that only their number tells sets of them apart.
        let guess = |f: usize| if f >= nlits { 1.0 } else { 2f64.powi(-20) };
        self.cheapest_keys(&guess).map(|(k, _)| k)
    }

    /// `keys` chosen on how often each fact is held (`p`, a share of records): of an AND, the
    /// child whose keys are held least often (then the fewest). With the estimated share of
    /// records holding one (at most the sum of theirs).
    fn cheapest_keys(&self, p: &dyn Fn(usize) -> f64) -> Option<(Vec<usize>, f64)> {
        match self {
            IReq::True => None,
            IReq::Fact(i) => Some((vec![*i], p(*i))),
            IReq::And(v) => v
                .iter()
                .filter_map(|c| c.cheapest_keys(p))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.len().cmp(&b.0.len()))),
            IReq::Or(v) => {
                let (mut all, mut share) = (Vec::new(), 0.0);
                for c in v {
                    let (k, q) = c.cheapest_keys(p)?;
                    all.extend(k);
                    share += q;
                }
                Some((all, share.min(1.0)))
            }
        }
    }

    /// The same requirement with its children in the order that settles it at the least
    /// expected cost (`p`: the share of records holding each fact), taking the facts as
    /// independent: an AND's children by cost over the chance of failing, an OR's by cost over
    /// the chance of holding. With the share of records estimated to meet it, and its size.
    fn ordered(&self, p: &dyn Fn(usize) -> f64) -> (IReq, f64, f64) {
        let rank = |kids: &mut Vec<(IReq, f64, f64)>, and: bool| {
            let key = |k: &(IReq, f64, f64)| k.2 / (if and { 1.0 - k.1 } else { k.1 }).max(1e-9);
            kids.sort_by(|a, b| key(a).total_cmp(&key(b)));
        };
        match self {
            IReq::True => (IReq::True, 1.0, 1.0),
            IReq::Fact(i) => (IReq::Fact(*i), p(*i), 1.0),
            IReq::And(v) => {
                let mut kids: Vec<(IReq, f64, f64)> = v.iter().map(|c| c.ordered(p)).collect();
                rank(&mut kids, true);
                let share = kids.iter().map(|k| k.1).product::<f64>();
                let size = 1.0 + kids.iter().map(|k| k.2).sum::<f64>();
                (IReq::And(kids.into_iter().map(|k| k.0).collect()), share, size)
            }
            IReq::Or(v) => {
                let mut kids: Vec<(IReq, f64, f64)> = v.iter().map(|c| c.ordered(p)).collect();
                rank(&mut kids, false);
                let share = 1.0 - kids.iter().map(|k| 1.0 - k.1).product::<f64>();
                let size = 1.0 + kids.iter().map(|k| k.2).sum::<f64>();
                (IReq::Or(kids.into_iter().map(|k| k.0).collect()), share, size)
            }
        }
    }

    fn eval(&self, found: &[bool]) -> bool {
        match self {
            IReq::True => true,
            IReq::Fact(i) => found.get(*i).copied().unwrap_or(true),
            IReq::And(v) => v.iter().all(|r| r.eval(found)),
            IReq::Or(v) => v.iter().any(|r| r.eval(found)),
        }
    }
}

/// What `Router::wanted_xml` works in, kept between records (all false and empty between calls).
#[derive(Default)]
pub struct Scratch {
    /// Per fact, whether the record holds it; `hits` lists those set.
    found: Vec<bool>,
    hits: Vec<usize>,
    /// Per pipeline, whether its requirement was evaluated; `touched` lists those set.
    tried: Vec<bool>,
    touched: Vec<usize>,
    /// The record's text (element text and attribute values) lower-cased, the pieces apart.
    folded: Vec<u8>,
    /// The record's markup (tags without their attribute values) lower-cased.
    skel: Vec<u8>,
    /// The record lower-cased.
    lower: Vec<u8>,
    /// The automaton's patterns the record holds (with repeats).
    pats: Vec<u32>,
}

/// Markup skeletons (lower-cased) and the automaton's patterns each holds.
type SkeletonMemo = std::collections::HashMap<Box<[u8]>, Box<[u32]>, ahash::RandomState>;

/// Markup skeletons a router remembers, and the longest it remembers (at most 1 MiB in all;
/// a Sysmon record's is ~700 bytes): records of other shapes have their markup scanned too.
const SKELETONS_MAX: usize = 256;
const SKELETON_BYTES_MAX: usize = 4096;

/// Split an XML record into its text (element text and attribute values, into `text`) and its
/// markup (tags up to and with the quotes around attribute values, into `skel`), both
/// lower-cased, pieces apart separated by `<`; `lower` gets the whole record lower-cased.
/// Every piece ends at a markup delimiter (`<`, `>`, a quote), so a literal without one lies
/// in the record exactly where it lies in one piece, and the automaton finds the same
/// literals in the two as in the record. `false` (`text` and `skel` then undefined) when the
/// record holds a declaration, comment, CDATA section or processing instruction, or an
/// unterminated tag: then the record is scanned whole.
fn split_markup(raw: &[u8], lower: &mut Vec<u8>, text: &mut Vec<u8>, skel: &mut Vec<u8>) -> bool {
    // Folded whole (in bulk), then copied piece by piece: folding each short piece cost more.
    lower.clear();
    lower.extend(raw.iter().map(u8::to_ascii_lowercase));
    let lower: &[u8] = lower;
    let fold =
        |out: &mut Vec<u8>, range: std::ops::Range<usize>| out.extend_from_slice(lower.get(range).unwrap_or_default());
    text.clear();
    skel.clear();
    let mut i = 0;
    while let Some(rest) = raw.get(i..) {
        let lt = memchr::memchr(b'<', rest).map_or(raw.len(), |p| i + p);
        fold(text, i..lt);
        text.push(b'<');
        if lt >= raw.len() {
            return true;
        }
        if matches!(raw.get(lt + 1), Some(b'!' | b'?')) {
            return false;
        }
        // `raw[j]` starts a piece of markup: `<` or the quote closing an attribute value.
        let mut j = lt;
        loop {
            let Some(k) = raw.get(j + 1..).and_then(|r| memchr::memchr3(b'>', b'\'', b'"', r)).map(|p| j + 1 + p)
            else {
                return false;
            };
            fold(skel, j..k + 1);
            let Some(&q) = raw.get(k) else { return false };
            if q == b'>' {
                i = k + 1;
                break;
            }
            let Some(end) = raw.get(k + 1..).and_then(|r| memchr::memchr(q, r)).map(|p| k + 1 + p) else {
                return false;
            };
            fold(text, k + 1..end);
            text.push(b'<');
            j = end;
        }
    }
    true
}

/// The prefilters of many pipelines over one automaton: one pass over a record's raw text says
/// which pipelines may want it, so an event visits only those (a pack of hundreds of searches).
pub struct Router {
    reqs: Vec<IReq>,
    facts: Facts,
    /// Finds the literals not in the XML header, in lower case, in a record's bytes folded
    /// to lower case; `None` when there are none. A double-array automaton: as fast per byte as
    /// aho-corasick's DFA for a pack's two thousand literals, in 0.3 MB instead of 10 MB.
    ac: Option<daachorse::DoubleArrayAhoCorasick<u32>>,
    /// The literals (facts) each pattern of `ac` is (literals differing only in case share one).
    searched: Vec<Vec<usize>>,
    /// Per markup skeleton seen (a record's tags without attribute values: a few dozen shapes,
    /// one per EventID and set of Data names), the patterns it holds. Markup is ~45 % of a
    /// Sysmon record's bytes, so the automaton walks only the text of most records.
    skeletons: std::sync::RwLock<SkeletonMemo>,
    /// The pipelines that want every record (their requirement holds with no fact found).
    always: Vec<usize>,
    /// Per fact, the other pipelines to try on a record holding it (`IReq::keys`): requirements
    /// are monotone, so only those of facts a record holds need evaluating.
    by_fact: Vec<Vec<usize>>,
    /// How often each fact was held by the first `LEARN_RECORDS` records judged.
    learner: std::sync::Mutex<Learner>,
    /// `by_fact` with the keys chosen again on those counts (`IReq::cheapest_keys`), and the
    /// requirements ordered on them (`IReq::ordered`), once they are in: the shortest literals
    /// (`user`, `.exe`) are not the rarest, and a pipeline keyed on one was tried, its whole
    /// requirement evaluated, on nearly every record.
    tuned: std::sync::OnceLock<Tuned>,
}

/// Whether raw text is an XML record (`<Event…`), whose literals the router may look for.
fn is_xml_record(raw: &[u8]) -> bool {
    let start = raw.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(raw.len());
    raw.get(start..).is_some_and(|r| r.starts_with(b"<Event"))
}

/// Records whose facts a router counts before choosing its keys again.
const LEARN_RECORDS: u32 = 2048;

/// The requirements that hold with no fact found (every record is wanted by them), and per
/// fact the others whose `keys` (all their facts when it gives none) hold it.
fn index_by_keys(
    reqs: &[IReq],
    nfacts: usize,
    keys: impl Fn(&IReq) -> Option<Vec<usize>>,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let none = vec![false; nfacts];
    let (mut always, mut by_fact) = (Vec::new(), vec![Vec::new(); nfacts]);
    for (i, r) in reqs.iter().enumerate() {
        if r.eval(&none) {
            always.push(i);
            continue;
        }
        let mut mine = keys(r).unwrap_or_else(|| {
            let mut all = Vec::new();
            r.facts(&mut all);
            all
        });
        mine.sort_unstable();
        mine.dedup();
        for f in mine {
            if let Some(list) = by_fact.get_mut(f) {
                list.push(i);
            }
        }
    }
    (always, by_fact)
}

/// A router's requirements and keys as chosen on the facts of its first records.
struct Tuned {
    reqs: Vec<IReq>,
    by_fact: Vec<Vec<usize>>,
}

#[derive(Default)]
struct Learner {
    records: u32,
    held: Vec<u32>,
}

impl Router {
    /// `None` when the literals' automaton cannot be built (then no record is judged).
    pub fn new(reqs: &[Req]) -> Option<Router> {
        // Literals of the XML header every record has are taken as found: assuming a fact only
        // routes a record to more pipelines, never fewer, and the automaton then neither looks
        // for them nor reports them (some occur in every record: `system`, `http://`).
        let reqs: Vec<Req> = reqs.iter().cloned().map(Req::without_header_literals).collect();
        let (facts, reqs) = Facts::compile(reqs.iter());
        // Pattern k of the automaton is the literals `searched[k]`.
        let mut patterns: indexmap::IndexMap<String, Vec<usize>> = indexmap::IndexMap::new();
        for (l, lit) in facts.lits.iter().enumerate() {
            patterns.entry(lit.to_ascii_lowercase()).or_default().push(l);
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            let patvals = patterns.keys().enumerate().map(|(k, p)| (p.as_str(), k as u32));
            Some(daachorse::DoubleArrayAhoCorasick::with_values(patvals).ok()?)
        };
        let searched: Vec<Vec<usize>> = patterns.into_values().collect();
        let nlits = facts.lits.len();
        let (always, by_fact) = index_by_keys(&reqs, facts.len(), |r| r.keys(nlits));
        Some(Router {
            reqs,
            facts,
            ac,
            searched,
            skeletons: Default::default(),
            always,
            by_fact,
            learner: Default::default(),
            tuned: Default::default(),
        })
    }

    /// `new`, leaving out the pipelines not `live` (they take no events): they are never
    /// wanted, so a record only they could want is wanted by none and need not be parsed. Their
    /// literals are not searched for either: a second pass over a few pipelines scans with a
    /// small automaton.
    pub fn live(reqs: &[Req], live: &[bool]) -> Option<Router> {
        let is_live = |i: usize| live.get(i).copied().unwrap_or(true);
        let masked: Vec<Req> =
            reqs.iter().enumerate().map(|(i, r)| if is_live(i) { r.clone() } else { Req::True }).collect();
        let mut router = Router::new(&masked)?;
        router.always.retain(|&i| is_live(i));
        Some(router)
    }

    /// The pipelines (indices, ascending) that may want the record with this raw text; `None`
    /// when all may. Only XML records are judged: the verbatim rule holds for their text (see
    /// the module comment).
    /// `sourcetype` is the record's; its `source` and `index` are taken as not known.
    pub fn wanted(&self, raw: Option<&str>, sourcetype: Option<&str>) -> Option<Vec<usize>> {
        self.wanted_given(raw?.as_bytes(), &|f, raw| f.values(raw, [sourcetype, None, None]), &mut Scratch::default())
    }

    /// `wanted` for an XML record's raw bytes before it is parsed, `sourcetype` being what
    /// the reader will give it and `source` the one `--source` forces; `scratch` is reused
    /// across records.
    pub fn wanted_xml(
        &self,
        raw: &[u8],
        sourcetype: &str,
        source: Option<&str>,
        scratch: &mut Scratch,
    ) -> Option<Vec<usize>> {
        self.wanted_given(raw, &|f, raw| f.xml_values(raw, sourcetype, source), scratch)
    }

    /// `wanted` for a record judged on `text` (a line format's text,
    /// `LineBlock::records_judged`), its headers being `heads` (`None` where not known before
    /// parsing) and its EventID not known.
    pub fn wanted_text(&self, text: &[u8], heads: [Option<&str>; 3], scratch: &mut Scratch) -> Option<Vec<usize>> {
        self.wanted_in(Text::Fields(text), &|f, _| f.values(b"", heads), scratch)
    }

    /// `wanted`, `values` giving the EventID and header facts the record holds.
    fn wanted_given(
        &self,
        raw: &[u8],
        values: &dyn Fn(&Facts, &[u8]) -> Vec<usize>,
        scratch: &mut Scratch,
    ) -> Option<Vec<usize>> {
        if !is_xml_record(raw) {
            return None;
        }
        self.wanted_in(Text::Xml(raw), values, scratch)
    }

    /// `wanted_given` over either kind of text; `None` when there are no facts to judge on.
    fn wanted_in(
        &self,
        text: Text<'_>,
        values: &dyn Fn(&Facts, &[u8]) -> Vec<usize>,
        scratch: &mut Scratch,
    ) -> Option<Vec<usize>> {
        if self.facts.len() == 0 {
            return None;
        }
        let Scratch { found, hits, tried, touched, folded, skel, lower, pats } = scratch;
        found.resize(self.facts.len(), false);
        tried.resize(self.reqs.len(), false);
        pats.clear();
        let raw = match text {
            Text::Xml(raw) => {
                if let Some(ac) = &self.ac {
                    if split_markup(raw, lower, folded, skel) {
                        pats.extend(ac.find_overlapping_iter(&*folded).map(|m| m.value()));
                        self.skeleton_patterns(ac, skel, pats);
                    } else {
                        pats.extend(ac.find_overlapping_iter(&*lower).map(|m| m.value()));
                    }
                }
                raw
            }
            Text::Fields(text) => {
                if let Some(ac) = &self.ac {
                    pats.extend(ac.find_overlapping_iter(text).map(|m| m.value()));
                }
                text
            }
        };
        let lits = pats.iter().flat_map(|&k| self.searched.get(k as usize).into_iter().flatten().copied());
        for l in lits.chain(values(&self.facts, raw)) {
            if let Some(slot) = found.get_mut(l) {
                if !*slot {
                    *slot = true;
                    hits.push(l);
                }
            }
        }
        // Keys are chosen on the facts of XML records (the usual input of a pack).
        if self.tuned.get().is_none() && matches!(text, Text::Xml(_)) {
            self.learn(hits);
        }
        let (reqs, by_fact) = self.tuned.get().map_or((&self.reqs, &self.by_fact), |t| (&t.reqs, &t.by_fact));
        let mut wanted = self.always.clone();
        for &l in hits.iter() {
            for &i in by_fact.get(l).map(Vec::as_slice).unwrap_or_default() {
                if let Some(t) = tried.get_mut(i) {
                    if !*t {
                        *t = true;
                        touched.push(i);
                        if reqs.get(i).is_some_and(|r| r.eval(found)) {
                            wanted.push(i);
                        }
                    }
                }
            }
        }
        // Clear only what this record set, so that the cost follows the facts found.
        for l in hits.drain(..) {
            if let Some(f) = found.get_mut(l) {
                *f = false;
            }
        }
        for i in touched.drain(..) {
            if let Some(t) = tried.get_mut(i) {
                *t = false;
            }
        }
        wanted.sort_unstable();
        Some(wanted)
    }

    /// Count the facts a record holds; at `LEARN_RECORDS` records, choose the keys again.
    fn learn(&self, held: &[usize]) {
        // A poisoned lock only means another thread panicked: the first keys stay.
        let Ok(mut learner) = self.learner.lock() else { return };
        if self.tuned.get().is_some() {
            return;
        }
        learner.held.resize(self.facts.len(), 0);
        for &f in held {
            if let Some(n) = learner.held.get_mut(f) {
                *n += 1;
            }
        }
        learner.records += 1;
        if learner.records >= LEARN_RECORDS {
            let _ = self.tuned.set(self.keys_on_counts(&learner.held, learner.records));
        }
    }

    /// `by_fact` with each pipeline's keys chosen on how many of `records` held each fact, and
    /// the requirements ordered on it. Any keys are sound (a record meeting a requirement holds one of its keys), so which
    /// records were counted changes no result, only how many requirements are evaluated.
    fn keys_on_counts(&self, held: &[u32], records: u32) -> Tuned {
        let share = |f: usize| (f64::from(held.get(f).copied().unwrap_or(0)) + 0.5) / (f64::from(records) + 1.0);
        let (_, by_fact) = index_by_keys(&self.reqs, self.facts.len(), |r| r.cheapest_keys(&share).map(|(k, _)| k));
        Tuned { reqs: self.reqs.iter().map(|r| r.ordered(&share).0).collect(), by_fact }
    }

    /// Add to `pats` the patterns the markup skeleton `skel` holds, from the memo or the
    /// automaton (then remembered, within `SKELETONS_MAX` and `SKELETON_BYTES_MAX`).
    fn skeleton_patterns(&self, ac: &daachorse::DoubleArrayAhoCorasick<u32>, skel: &[u8], pats: &mut Vec<u32>) {
        // A poisoned lock only means another thread panicked while inserting: scan instead.
        if let Ok(memo) = self.skeletons.read() {
            if let Some(known) = memo.get(skel) {
                pats.extend_from_slice(known);
                return;
            }
        }
        let mut found: Vec<u32> = ac.find_overlapping_iter(skel).map(|m| m.value()).collect();
        found.sort_unstable();
        found.dedup();
        pats.extend(&found);
        // Not waited for: a shape not remembered now is on one of its next records.
        if skel.len() <= SKELETON_BYTES_MAX {
            if let Ok(mut m) = self.skeletons.try_write() {
                if m.len() < SKELETONS_MAX {
                    m.insert(skel.into(), found.into());
                }
            }
        }
    }

    /// `wanted` for an event, from its `_raw`, `sourcetype`, `source` and `index` (a
    /// multivalue one is not judged on). An event whose raw text is not an XML record (JSON,
    /// classic WinEventLog, plain text) is judged on its fields instead (`fields_text`).
    pub fn wanted_for(&self, ev: &crate::event::Event) -> Option<Vec<usize>> {
        let one = |h: Header| ev.get(h.name()).filter(|v| v.atoms().len() == 1).map(|v| v.first().as_str());
        let [st, src, idx] = Header::ALL.map(one);
        let raw = ev.get("_raw").map(|v| v.first().as_str());
        let heads = [st.as_deref(), src.as_deref(), idx.as_deref()];
        let mut scratch = Scratch::default();
        match raw.as_deref().map(str::as_bytes) {
            Some(raw) if is_xml_record(raw) => {
                self.wanted_in(Text::Xml(raw), &|f, raw| f.values(raw, heads), &mut scratch)
            }
            _ => {
                let mut text = Vec::new();
                fields_text(ev, &mut text);
                // No EventID is read off such text: every EventID fact is taken as held.
                self.wanted_in(Text::Fields(&text), &|f, _| f.values(b"", heads), &mut scratch)
            }
        }
    }
}

/// The text a router scans for an event that is not an XML record: its field names and values
/// (`_raw` among them), lower-cased, one a line. A literal a search requires of a field lies in
/// that field's value, as the value matched the search (the verbatim rule, applied to the
/// event's values rather than to its raw text, where JSON escapes or a reader's rebuilding
/// could hide it); one standing for a field's name (`tag`, `index`) is its name.
fn fields_text(ev: &crate::event::Event, out: &mut Vec<u8>) {
    for (name, value) in &ev.fields {
        out.extend(name.as_bytes().iter().map(u8::to_ascii_lowercase));
        out.push(b'\n');
        for a in value.atoms() {
            out.extend(a.as_str().as_bytes().iter().map(u8::to_ascii_lowercase));
            out.push(b'\n');
        }
    }
}

/// What a router scans: an XML record's raw bytes, or an event's `fields_text`.
#[derive(Clone, Copy)]
enum Text<'a> {
    Xml(&'a [u8]),
    Fields(&'a [u8]),
}

#[cfg(test)]
mod router_tests {
    use super::*;

    /// The patterns an automaton over `lits` finds in a record: whole, and split into text and
    /// markup (`None` when the split declines the record).
    fn found_whole_and_split(lits: &[&str], raw: &str) -> (Vec<u32>, Option<Vec<u32>>) {
        let ac =
            daachorse::DoubleArrayAhoCorasick::<u32>::with_values(lits.iter().enumerate().map(|(k, l)| (*l, k as u32)))
                .expect("an automaton");
        let ids = |hay: &[u8]| ac.find_overlapping_iter(hay).map(|m| m.value()).collect::<Vec<u32>>();
        let norm = |mut v: Vec<u32>| {
            v.sort_unstable();
            v.dedup();
            v
        };
        let whole = norm(ids(&raw.as_bytes().to_ascii_lowercase()));
        let (mut lower, mut text, mut skel) = (Vec::new(), Vec::new(), Vec::new());
        let split = split_markup(raw.as_bytes(), &mut lower, &mut text, &mut skel).then(|| {
            let mut v = ids(&text);
            v.extend(ids(&skel));
            norm(v)
        });
        (whole, split)
    }

    #[test]
    fn a_record_split_into_text_and_markup_holds_the_literals_the_whole_record_does() {
        // Literals as the router gets them: lower case, no markup delimiter.
        let lits = [
            "image",
            "data name",
            "name=",
            "cmd.exe",
            "system32\\",
            "4688",
            "eventdata",
            "/data",
            "x",
            "xx",
            "a b",
            "b c",
            "rundll32",
            "=",
            "&amp;",
            "amp",
            "dir 2",
            "1 ",
            "processid=",
            "version",
        ];
        let records = [
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4688</EventID>\
             <Execution ProcessID='4' ThreadID='8'/></System><EventData><Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data>\
             <Data Name='CommandLine'>cmd.exe /c dir 2>&amp;1 > x.txt</Data></EventData></Event>",
            "  \r\n<Event><EventData><Data Name=\"Image\">rundll32 xx</Data><Data Name='q'>it\"s a b c</Data></EventData></Event>\n",
            "<Event><System><Provider Name='a>b' Guid=\"{x'y}\"/></System><Data>image</Data><Data/></Event>",
            "<Event><Data Name='Version'>x</Data>tail x</Event>",
        ];
        for raw in records {
            let (whole, split) = found_whole_and_split(&lits, raw);
            assert_eq!(split.as_ref(), Some(&whole), "{raw}");
        }
        // What the split cannot follow is scanned whole.
        for raw in [
            "<Event><Data><![CDATA[a <b> c]]></Data></Event>",
            "<Event><!-- image --><Data>x</Data></Event>",
            "<?xml version='1.0'?><Event/>",
            "<Event><Data Name='Image>x</Data></Event>",
            "<Event><Data Name='Image'>x</Data",
        ] {
            assert_eq!(found_whole_and_split(&lits, raw).1, None, "{raw}");
        }
    }

    #[test]
    fn keys_are_chosen_again_on_how_often_records_held_each_fact() {
        // `user` is the shortest key of the first requirement, and in every record.
        let reqs = [
            Req::And(vec![
                Req::Lit("user".into()),
                Req::Or(vec![Req::Lit("regasm".into()), Req::Lit("regsvcs".into())]),
            ]),
            Req::Lit("user".into()),
        ];
        let r = Router::new(&reqs).expect("an automaton");
        let lit = |name: &str| r.facts.lits.iter().position(|l| l == name).expect("a literal");
        let (user, regasm, regsvcs) = (lit("user"), lit("regasm"), lit("regsvcs"));
        assert_eq!(r.by_fact.get(user), Some(&vec![0, 1]), "before counting: the fewest keys");
        let plain = "<Event><EventData><Data Name='User'>x</Data></EventData></Event>";
        let hit = "<Event><EventData><Data Name='User'>x</Data><Data>RegAsm.exe</Data></EventData></Event>";
        let mut scratch = Scratch::default();
        for n in 0..LEARN_RECORDS + 10 {
            let rec = if n % 100 == 0 { hit } else { plain };
            let want = if n % 100 == 0 { vec![0, 1] } else { vec![1] };
            // The same answers before and after the keys change.
            assert_eq!(
                r.wanted_xml(rec.as_bytes(), crate::read::xml::SOURCETYPE, None, &mut scratch),
                Some(want),
                "record {n}"
            );
        }
        let tuned = &r.tuned.get().expect("keys chosen again").by_fact;
        assert_eq!(tuned.get(user), Some(&vec![1]));
        assert_eq!((tuned.get(regasm), tuned.get(regsvcs)), (Some(&vec![0]), Some(&vec![0])));
    }

    #[test]
    fn requirements_ordered_on_counts_settle_the_same_way() {
        use IReq::{And, Fact, Or};
        let share = |f: usize| [0.9, 0.1, 0.5, 0.01].get(f).copied().unwrap_or(1.0);
        let req = And(vec![Fact(0), Or(vec![Fact(3), Fact(2), Fact(1)]), Fact(3)]);
        let (ordered, p, _) = req.ordered(&share);
        // The AND's rarest child first; the OR's most common first.
        assert!(matches!(&ordered, And(v) if matches!(v.first(), Some(Fact(3)))), "{ordered:?}");
        assert!(
            matches!(&ordered, And(v) if v.iter().any(|c| matches!(c, Or(o) if matches!(o.first(), Some(Fact(2)))))),
            "{ordered:?}"
        );
        assert!(p > 0.0 && p <= 0.01);
        for bits in 0..16u32 {
            let found: Vec<bool> = (0..4).map(|i| bits & (1 << i) != 0).collect();
            assert_eq!(req.eval(&found), ordered.eval(&found), "facts {found:?}");
        }
    }

    #[test]
    fn records_of_one_markup_shape_are_routed_on_their_own_text() {
        let r = Router::new(&[Req::Lit("regasm.exe".into()), Req::Lit("commandline".into()), Req::Lit("4104".into())])
            .expect("an automaton");
        let rec = |image: &str| {
            format!(
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID>\
                 </System><EventData><Data Name='Image'>{image}</Data><Data Name='CommandLine'>x</Data></EventData></Event>"
            )
        };
        let mut scratch = Scratch::default();
        // The second and third records take the first one's remembered markup.
        for _ in 0..2 {
            assert_eq!(
                r.wanted_xml(rec("C:\\RegAsm.exe").as_bytes(), crate::read::xml::SOURCETYPE, None, &mut scratch),
                Some(vec![0, 1])
            );
            assert_eq!(
                r.wanted_xml(rec("C:\\notepad.exe").as_bytes(), crate::read::xml::SOURCETYPE, None, &mut scratch),
                Some(vec![1])
            );
        }
        // An attribute value is text: the markup memo does not carry it to the next record.
        let attr = |v: &str| format!("<Event><System><Execution ProcessID='{v}'/></System></Event>");
        assert_eq!(
            r.wanted_xml(attr("4104").as_bytes(), crate::read::xml::SOURCETYPE, None, &mut scratch),
            Some(vec![2])
        );
        assert_eq!(r.wanted_xml(attr("7").as_bytes(), crate::read::xml::SOURCETYPE, None, &mut scratch), Some(vec![]));
        // A literal holding a markup delimiter (none come from plans) is taken as held.
        let r = Router::new(&[Req::Lit("a>b".into()), Req::Lit("zz".into())]).expect("an automaton");
        assert_eq!(r.wanted(Some("<Event><Data>x</Data></Event>"), None), Some(vec![0]));
    }

    #[test]
    fn router_says_which_pipelines_may_want_a_record() {
        let r = Router::new(&[
            Req::Lit("regasm.exe".into()),
            Req::True,
            Req::Or(vec![Req::Lit("certutil".into()), Req::Lit("regasm.exe".into())]),
        ])
        .expect("an automaton");
        assert_eq!(r.wanted(Some("<Event><Data>C:\\CERTUTIL.exe</Data></Event>"), None), Some(vec![1, 2]));
        assert_eq!(r.wanted(Some("<Event><Data>regasm.exe</Data></Event>"), None), Some(vec![0, 1, 2]));
        assert_eq!(r.wanted(Some("<Event><Data>nothing</Data></Event>"), None), Some(vec![1]));
        assert_eq!(r.wanted(Some(r#"{"json": "not xml"}"#), None), None, "only XML text is judged");
        // Only the pipelines naming a literal found are evaluated; the others must not be lost.
        let r = Router::new(&[
            Req::And(vec![Req::Lit("alpha".into()), Req::Lit("beta".into())]),
            Req::Or(vec![Req::True, Req::Lit("alpha".into())]),
            Req::And(vec![Req::Lit("gamma".into()), Req::Or(vec![Req::Lit("alpha".into()), Req::Lit("beta".into())])]),
        ])
        .expect("an automaton");
        assert_eq!(r.wanted(Some("<Event>alpha</Event>"), None), Some(vec![1]));
        assert_eq!(r.wanted(Some("<Event>beta gamma ALPHA</Event>"), None), Some(vec![0, 1, 2]));
        assert_eq!(r.wanted(Some("<Event>gamma beta</Event>"), None), Some(vec![1, 2]));
    }

    #[test]
    fn literals_of_the_xml_header_are_taken_as_found() {
        // `system` and `computer` are in every record's <System> header: a pipeline needing only
        // them wants every record; one needing them and `certutil` is keyed on `certutil`.
        let r = Router::new(&[
            Req::Lit("SYSTEM".into()),
            Req::And(vec![Req::Lit("computer".into()), Req::Lit("certutil".into())]),
            Req::Or(vec![Req::Lit("http://".into()), Req::Lit("never".into())]),
        ])
        .expect("an automaton");
        assert_eq!(r.always, vec![0, 2]);
        // Header literals are not even numbered, and the OR holding `http://` always holds.
        assert_eq!(
            (r.facts.lits.as_slice(), r.searched.as_slice()),
            (["certutil".to_string()].as_slice(), [vec![0]].as_slice()),
            "only `certutil` is searched for"
        );
        assert_eq!(r.wanted(Some("<Event><Data>certutil</Data></Event>"), None), Some(vec![0, 1, 2]));
        assert_eq!(r.wanted(Some("<Event><Data>nothing</Data></Event>"), None), Some(vec![0, 2]));
        assert!(in_xml_skeleton("EventID") && in_xml_skeleton("schemas.microsoft.com"));
        // Literals differing only in case are one pattern of the automaton, found in any case.
        let r = Router::new(&[Req::Lit("CertUtil".into()), Req::Lit("certutil".into()), Req::Lit("cert".into())])
            .expect("an automaton");
        assert_eq!(r.searched, [vec![0, 1], vec![2]]);
        assert_eq!(r.wanted(Some("<Event><Data>C:\\CERTUTIL.EXE</Data></Event>"), None), Some(vec![0, 1, 2]));
        assert_eq!(r.wanted(Some("<Event><Data>cErT</Data></Event>"), None), Some(vec![2]));
        assert!(!in_xml_skeleton("sysmon") && !in_xml_skeleton("cmd.exe"));
    }

    #[test]
    fn events_not_in_xml_are_routed_on_their_fields() {
        let st = |p: &str| Req::Header(Header::Sourcetype, p.into());
        let r = Router::live(
            &[
                // A sysmon search: a sourcetype or a source, and a literal.
                Req::And(vec![
                    Req::Or(vec![st("xmlwineventlog"), Req::Header(Header::Source, "*sysmon*".into())]),
                    Req::Lit("regasm.exe".into()),
                ]),
                // A literal and an EventID: no EventID is read off fields, so only the literal.
                Req::And(vec![Req::Lit("certutil".into()), Req::Eid("1".into())]),
                Req::And(vec![st("aws:cloudtrail"), Req::Lit("DeleteTrail".into())]),
                Req::True,
                // Not live: never wanted.
                st("aws:cloudtrail"),
                // `index=risk`: the index field's value, or a field named `index`.
                Req::Or(vec![Req::Header(Header::Index, "risk".into()), Req::Lit("index".into())]),
            ],
            &[true, true, true, true, false, true],
        )
        .expect("an automaton");
        let event = |pairs: &[(&str, &str)]| crate::event::Event::from_pairs(pairs);
        // JSON text escapes a backslash: the literal is looked for in the values, not in `_raw`.
        let trail = |st: &str, name: &str| {
            event(&[
                ("_raw", r#"{"eventName": "x", "path": "C:\Tools\CertUtil.exe"}"#),
                ("eventName", name),
                ("path", r"C:\Tools\CertUtil.exe"),
                ("sourcetype", st),
                ("source", "trail.json"),
            ])
        };
        // (No index field: `index=risk` may hold.)
        assert_eq!(r.wanted_for(&trail("aws:cloudtrail", "DeleteTrail")), Some(vec![1, 2, 3, 5]));
        assert_eq!(r.wanted_for(&trail("aws:cloudtrail", "CreateUser")), Some(vec![1, 3, 5]));
        assert_eq!(r.wanted_for(&trail("XmlWinEventLog", "DeleteTrail")), Some(vec![1, 3, 5]));
        let sysmon = event(&[
            ("_raw", "LogName=Microsoft-Windows-Sysmon/Operational\nImage=C:\\x\\REGASM.EXE"),
            ("sourcetype", "WinEventLog"),
            ("source", "WinEventLog:Microsoft-Windows-Sysmon/Operational"),
        ]);
        assert_eq!(r.wanted_for(&sysmon), Some(vec![0, 3, 5]));
        // A header field that is missing or multivalue is not known: every pattern may match.
        assert_eq!(r.wanted_for(&event(&[("_raw", "deletetrail regasm.exe")])), Some(vec![0, 2, 3, 5]));
        let mut two = trail("x", "DeleteTrail");
        two.set("sourcetype", crate::value::Value::from_atoms(vec!["a".into(), "aws:cloudtrail".into()]).unwrap());
        assert_eq!(r.wanted_for(&two), Some(vec![1, 2, 3, 5]));
        // The index's value decides, but the literal `index` (a field of a record's own, for
        // XML text) is held by any event with an index field.
        let mut risk = trail("x", "y");
        risk.set("index", "main");
        assert_eq!(r.wanted_for(&risk), Some(vec![1, 3, 5]));
        // An XML record is still judged on its text.
        let xml = event(&[("_raw", "<Event><Data>certutil</Data></Event>"), ("sourcetype", "XmlWinEventLog")]);
        assert_eq!(r.wanted_for(&xml), Some(vec![1, 3, 5]));
    }

    #[test]
    fn scratch_is_left_clean_and_pipelines_not_live_are_never_wanted() {
        let r = Router::live(
            &[
                Req::Lit("regasm.exe".into()),
                Req::True,
                Req::And(vec![Req::Lit("certutil".into()), Req::Eid("1".into())]),
                Req::Lit("mimikatz".into()),
            ],
            &[true, false, true, false],
        )
        .expect("an automaton");
        assert_eq!(r.searched.len(), 2, "a pipeline not live has its literals left out");
        let mut scratch = Scratch::default();
        let mut wanted = |raw: &str| r.wanted_xml(raw.as_bytes(), crate::read::xml::SOURCETYPE, None, &mut scratch);
        let sysmon1 = "<Event><System><EventID>1</EventID></System><Data>certutil regasm.exe</Data></Event>";
        assert_eq!(wanted(sysmon1), Some(vec![0, 2]));
        // What the previous record found must not leak into the next one.
        assert_eq!(wanted("<Event><Data>nothing</Data></Event>"), Some(vec![]));
        assert_eq!(wanted("<Event><System><EventID>3</EventID></System>certutil</Event>"), Some(vec![]));
        assert_eq!(wanted(sysmon1), Some(vec![0, 2]));
        assert_eq!(wanted("<Event><Data>mimikatz</Data></Event>"), Some(vec![]));
    }
}

#[cfg(test)]
mod json_text_tests {
    use super::*;

    fn text(line: &str) -> Option<String> {
        let mut out = Vec::new();
        json_record_text(line.as_bytes(), &mut out).then(|| String::from_utf8(out).expect("UTF-8"))
    }

    #[test]
    fn only_one_whole_object_with_numbers_kept_as_written_is_judged() {
        assert_eq!(
            text(r#" {"A":1,"b":[true,null,{"c":-12}]} "#).as_deref(),
            Some(r#"{"a":1,"b":[true,null,{"c":-12}]}"#)
        );
        for not_judged in [
            r#"{"a":1}{"b":2}"#, // two objects: parsed as written
            r#"{"a":1},"#,       // an array's element line
            r#"{"a": {"b": 1}"#, // the start of a multi-line record
            r#"{"a": "x}"#,      // an unterminated string
            r#"{"a":1e5}"#,      // an exponent comes back as `1e+5`
            r#"{"a":2E-3}"#,
            r#"[{"a":1}]"#,
            "",
        ] {
            assert_eq!(text(not_judged), None, "{not_judged}");
        }
        // Other numbers keep their text.
        let kept = r#"{"a":-0,"b":1.50,"c":123456789012345678901234567890,"d":-12.5000}"#;
        assert_eq!(text(kept).as_deref(), Some(kept));
    }

    #[test]
    fn escaped_values_are_judged_as_the_parser_gives_them() {
        // The line as written (for `_raw`), then with escapes undone (for the parsed values).
        assert_eq!(
            text(r#"{"p":"C:\\Windows\\CMD.exe /c \"x\"","u":"\u0041\u00e9\/\ud83d\ude00\n"}"#).as_deref(),
            Some(concat!(
                r#"{"p":"c:\\windows\\cmd.exe /c \"x\"","u":"\u0041\u00e9\/\ud83d\ude00\n"}"#,
                "\n",
                "{\"p\":\"c:\\windows\\cmd.exe /c \"x\"\",\"u\":\"aé/😀\n\"}"
            ))
        );
        // A lone surrogate (which the parser rejects) still leaves the rest judged.
        assert!(text(r#"{"u":"\ud800x"}"#).is_some_and(|t| t.ends_with("\u{fffd}x\"}")));
    }

    /// The soundness rule, on generated lines: when a line is judged, every value the reader
    /// makes of it (`read::flatten_json` over what serde_json parses), lower-cased, lies in the
    /// judged text, and so does the line (`_raw`).
    #[test]
    fn every_value_the_reader_makes_lies_in_the_judged_text() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let pieces =
            ["a", "Z", "\\", "\"", "/", "\n", "\t", "é", "😀", "\u{1}", " ", "x.y", "{", "}", "[", "]", ",", ":"];
        let (mut judged, mut lines) = (0, 0);
        for _ in 0..3000 {
            let word = |next: &mut dyn FnMut(u64) -> u64| -> String {
                (0..next(6)).map(|_| pieces[next(pieces.len() as u64) as usize]).collect()
            };
            let mut obj = serde_json::Map::new();
            for _ in 0..1 + next(4) {
                let value = match next(6) {
                    0 => serde_json::json!(next(1 << 40) as i64 - (1 << 39)),
                    1 => serde_json::json!(next(1000) as f64 / 7.0),
                    2 => serde_json::json!([word(&mut next), next(9)]),
                    3 => serde_json::json!({ word(&mut next): word(&mut next) }),
                    4 => serde_json::json!(next(2) == 0),
                    _ => serde_json::json!(word(&mut next)),
                };
                obj.insert(word(&mut next), value);
            }
            let plain = serde_json::Value::Object(obj).to_string();
            // The same line, `Z` (found in strings only) written as a `\u` escape, `/` as `\/`.
            let escaped = plain.replace('Z', "\\u005A").replace('/', "\\/");
            // Numbers a parser without `arbitrary_precision` writes back differently (`100.0`,
            // `-0.0`, `1.5`, a float); exponents still come back so (`1e+2`).
            let odd = ["1e2", "-0", "1.50", "123456789012345678901234567890", "0.10", "2E-3"][next(6) as usize];
            let numbered = format!("{{\"n\":{odd},{}", plain.get(1..).unwrap_or_default());
            for line in [plain, escaped, numbered] {
                lines += 1;
                let mut text = Vec::new();
                if !json_record_text(line.as_bytes(), &mut text) {
                    continue;
                }
                judged += 1;
                let text = String::from_utf8_lossy(&text).into_owned();
                let parsed: serde_json::Value = serde_json::from_str(&line).expect("generated JSON parses");
                let mut ev = crate::event::Event::new();
                crate::read::flatten_json("", &parsed, &mut ev);
                assert!(text.contains(&line.to_ascii_lowercase()), "{line}");
                for (name, value) in &ev.fields {
                    for atom in value.atoms() {
                        let v = atom.as_str().to_ascii_lowercase();
                        assert!(text.contains(&v), "value {v:?} of {name} not in the text of {line}");
                    }
                }
            }
        }
        assert!(judged > lines / 4 && judged < lines, "{judged} of {lines} lines judged");
    }

    #[test]
    fn a_filter_and_a_router_find_literals_in_unescaped_values() {
        let req = Req::and(vec![Req::Lit("\\cmd.exe".into()), Req::Header(Header::Sourcetype, "st".into())]);
        let filter = RawFilter::new(req.clone()).expect("a filter");
        let router = Router::new(&[req, Req::Lit("\\notepad.exe".into())]).expect("a router");
        let mut scratch = Scratch::default();
        let judge = |line: &str, st: Option<&str>, scratch: &mut Scratch| {
            let mut t = Vec::new();
            assert!(json_record_text(line.as_bytes(), &mut t));
            (filter.admits_text(&t, [st, None, None]), router.wanted_text(&t, [st, None, None], scratch))
        };
        let line = r#"{"Image":"C:\\Windows\\System32\\CMD.EXE"}"#;
        assert_eq!(judge(line, None, &mut scratch), (true, Some(vec![0])), "the sourcetype, not known, is held");
        assert_eq!(judge(line, Some("st"), &mut scratch), (true, Some(vec![0])));
        assert_eq!(judge(line, Some("other"), &mut scratch), (false, Some(vec![])));
        let other = r#"{"Image":"C:\\Windows\\notepad.exe"}"#;
        assert_eq!(judge(other, None, &mut scratch), (false, Some(vec![1])));
        // `\u005c` is a backslash once parsed.
        assert_eq!(judge(r#"{"Image":"C:\u005ccmd.exe"}"#, None, &mut scratch), (true, Some(vec![0])));
    }
}
