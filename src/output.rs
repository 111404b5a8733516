//! Printers: table, JSON Lines, CSV — one writer per format behind one small trait.

use std::io::{self, Write};

use clap::ValueEnum;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use spl_engine::value::{format_num, Atom};
use spl_engine::{Event, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Which internal (`_`-prefixed) fields a row shows: `_time` always (formatted), others only
/// when the search named them in `table`/`fields`.
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    pub keep_internal: Vec<String>,
    pub tz_offset: i32,
}

impl Visibility {
    fn shows(&self, name: &str) -> bool {
        !name.starts_with('_') || name == "_time" || self.keep_internal.iter().any(|k| k == name)
    }
}

pub trait RowWriter {
    fn row(&mut self, ev: &Event) -> io::Result<()>;
    /// Several rows, in order (a writer may encode them on all cores).
    fn rows(&mut self, evs: &[Event]) -> io::Result<()> {
        evs.iter().try_for_each(|ev| self.row(ev))
    }
    fn finish(&mut self) -> io::Result<()>;
}

fn atom_text(name: &str, a: &Atom, tz: i32) -> String {
    match (name, a.to_num()) {
        ("_time", Some(t)) => iso_time(t, tz),
        _ => a.as_str().into_owned(),
    }
}

/// `_time` shown as ISO-8601 with milliseconds and offset, as Splunk exports it.
pub fn iso_time(t: f64, tz: i32) -> String {
    let secs = t.floor() as i64;
    let millis = ((t - t.floor()) * 1000.0).round() as u32;
    let Some(off) = chrono::FixedOffset::east_opt(tz) else { return format_num(t) };
    match chrono::DateTime::from_timestamp(secs, millis.min(999) * 1_000_000) {
        Some(d) => d.with_timezone(&off).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        None => format_num(t),
    }
}

fn value_text(name: &str, v: &Value, tz: i32) -> String {
    v.atoms().iter().map(|a| atom_text(name, a, tz)).collect::<Vec<_>>().join("\n")
}

/// JSON Lines: one object per row, multivalue fields as arrays, numbers as numbers.
pub struct JsonWriter<W: Write> {
    pub out: W,
    pub vis: Visibility,
}

/// One JSON Lines row: fields in order, internal ones hidden (`Visibility`), numbers as JSON
/// numbers (integers without a fraction), multivalue fields as arrays, `_time` as ISO text.
fn encode_row_json(ev: &Event, vis: &Visibility, out: &mut Vec<u8>) -> io::Result<()> {
    fn atom(name: &str, a: &Atom, tz: i32, out: &mut Vec<u8>) -> io::Result<()> {
        match a {
            Atom::Num(n) if name != "_time" && n.is_finite() => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    serde_json::to_writer(out, &(*n as i64))?;
                } else {
                    serde_json::to_writer(out, n)?;
                }
            }
            Atom::Num(n) if name != "_time" => serde_json::to_writer(out, &format_num(*n))?,
            _ => serde_json::to_writer(out, &atom_text(name, a, tz))?,
        }
        Ok(())
    }
    out.push(b'{');
    let mut first = true;
    for (k, v) in &ev.fields {
        if !vis.shows(k) {
            continue;
        }
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, k.as_str())?;
        out.push(b':');
        match v {
            Value::One(a) => atom(k, a, vis.tz_offset, out)?,
            Value::Many(list) => {
                out.push(b'[');
                for (i, a) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    atom(k, a, vis.tz_offset, out)?;
                }
                out.push(b']');
            }
        }
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

impl<W: Write> RowWriter for JsonWriter<W> {
    fn row(&mut self, ev: &Event) -> io::Result<()> {
        let mut buf = Vec::with_capacity(512);
        encode_row_json(ev, &self.vis, &mut buf)?;
        self.out.write_all(&buf)
    }
    fn rows(&mut self, evs: &[Event]) -> io::Result<()> {
        use rayon::prelude::*;
        let vis = &self.vis;
        let encoded: Vec<io::Result<Vec<u8>>> = evs
            .par_iter()
            .map(|ev| {
                let mut buf = Vec::with_capacity(512);
                encode_row_json(ev, vis, &mut buf).map(|()| buf)
            })
            .collect();
        for buf in encoded {
            self.out.write_all(&buf?)?;
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Rows a table prints at a time, each page with the columns its rows have: a table is for
/// reading, and one of every row of a large search took gigabytes (8 GB and 27 s for the 44,312
/// events of 64 MiB) before printing anything.
const TABLE_PAGE: usize = 500;

/// Table and CSV need the union of columns. CSV holds its rows until the end, in the run's
/// memory budget (past it they spill to the temporary file, `--memory-budget`), then writes the
/// header and them; a table prints a page of `TABLE_PAGE` rows at a time.
pub struct TabularWriter<W: Write> {
    pub out: W,
    pub vis: Visibility,
    pub csv: bool,
    /// The columns of the rows held: a column first seen in a later row goes before the known
    /// column that follows it there (`fieldsummary`'s `max` before `numeric_count`), else
    /// last.
    cols: indexmap::IndexSet<String>,
    /// CSV: every row.
    spool: spl_engine::spill::RowSpool,
    /// Table: the rows of the page being filled.
    page: Vec<Event>,
}

impl<W: Write> TabularWriter<W> {
    pub fn new(out: W, vis: Visibility, csv: bool) -> Self {
        let (cols, spool, page) = Default::default();
        TabularWriter { out, vis, csv, cols, spool, page }
    }

    fn note_columns(&mut self, ev: &Event) {
        let shown: Vec<&str> = ev.fields.keys().map(|k| k.as_str()).filter(|k| self.vis.shows(k)).collect();
        for (i, k) in shown.iter().enumerate() {
            if self.cols.contains(*k) {
                continue;
            }
            // Before the known column that follows it in the row, else last: the columns seen
            // before stay first, and the row's order is kept.
            let at = shown
                .get(i + 1..)
                .unwrap_or_default()
                .iter()
                .find_map(|n| self.cols.get_index_of(*n))
                .unwrap_or(self.cols.len());
            self.cols.shift_insert(at, k.to_string());
        }
    }

    /// Print the page's rows as one table, under the columns they have.
    fn print_page(&mut self) -> io::Result<()> {
        if self.page.is_empty() {
            return Ok(());
        }
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
        t.set_header(self.cols.iter());
        for r in &self.page {
            t.add_row(cells(&self.cols, &self.vis, r));
        }
        writeln!(self.out, "{t}")?;
        self.page.clear();
        self.cols.clear();
        Ok(())
    }
}

/// A row's cells under `cols` (empty where it has no such field).
fn cells<'a>(
    cols: &'a indexmap::IndexSet<String>,
    vis: &'a Visibility,
    r: &'a Event,
) -> impl Iterator<Item = String> + 'a {
    cols.iter().map(|c| r.get(c).map(|v| value_text(c, v, vis.tz_offset)).unwrap_or_default())
}

impl<W: Write> RowWriter for TabularWriter<W> {
    fn row(&mut self, ev: &Event) -> io::Result<()> {
        self.note_columns(ev);
        if self.csv {
            return self.spool.push(ev).map_err(|e| io::Error::other(e.message));
        }
        self.page.push(ev.clone());
        if self.page.len() >= TABLE_PAGE {
            self.print_page()?;
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        if self.csv && self.cols.is_empty() {
            // No rows (or none with a shown field): an empty file, as Splunk exports no results;
            // the `csv` writer would quote one empty header cell (`""`).
            return self.out.flush();
        }
        if self.csv {
            let mut w = csv::Writer::from_writer(&mut self.out);
            w.write_record(self.cols.iter()).map_err(csv_io)?;
            let (cols, vis) = (&self.cols, &self.vis);
            // The write error itself, not its text: a closed pipe (`| head`) must stay one.
            let mut failed = None;
            self.spool
                .drain(&mut |p| match w.write_record(cells(cols, vis, &p.unpack())) {
                    Ok(()) => Ok(spl_engine::exec::Flow::Continue),
                    Err(e) => {
                        failed = Some(csv_io(e));
                        Ok(spl_engine::exec::Flow::Stop)
                    }
                })
                .map_err(|e| io::Error::other(e.message))?;
            if let Some(e) = failed {
                return Err(e);
            }
            w.flush()?;
        } else {
            self.print_page()?;
        }
        self.out.flush()
    }
}

/// A CSV writer's error as the I/O error it wraps, when it is one.
fn csv_io(e: csv::Error) -> io::Error {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        _ => io::Error::other(text),
    }
}

pub fn writer<'a>(format: Format, out: Box<dyn Write + 'a>, vis: Visibility) -> Box<dyn RowWriter + 'a> {
    match format {
        Format::Json => Box::new(JsonWriter { out, vis }),
        Format::Table => Box::new(TabularWriter::new(out, vis, false)),
        Format::Csv => Box::new(TabularWriter::new(out, vis, true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_keep_numbers_and_arrays_and_hide_internal_fields() {
        let mut ev = Event::new();
        ev.set("count", 3.0);
        ev.push("user", "a".into());
        ev.push("user", "b".into());
        ev.set("_raw", "x");
        let mut j = Vec::new();
        encode_row_json(&ev, &Visibility::default(), &mut j).unwrap();
        assert_eq!(String::from_utf8(j).unwrap(), "{\"count\":3,\"user\":[\"a\",\"b\"]}\n");
    }

    #[test]
    fn json_rows_are_written_as_their_maps_print() {
        let mut ev = Event::new();
        ev.set("_time", 1.5);
        ev.set("count", 3.0);
        ev.set("ratio", 0.125);
        ev.set("big", 1e300);
        ev.set("nan", f64::NAN);
        ev.set("quote", "a \"b\"\n\\ é \u{1}");
        ev.push("user", "a".into());
        ev.push("user", Atom::Num(2.0));
        ev.set("_raw", "hidden");
        let vis = Visibility { tz_offset: 3600, ..Visibility::default() };
        let mut written = Vec::new();
        encode_row_json(&ev, &vis, &mut written).unwrap();
        // What the serde_json map this replaced printed for the row, byte for byte.
        let printed = concat!(
            r#"{"_time":"1970-01-01T01:00:01.500+01:00","count":3,"ratio":0.125,"big":1e+300,"nan":"nan","#,
            r#""quote":"a \"b\"\n\\ é \u0001","user":["a",2]}"#,
            "\n"
        );
        assert_eq!(String::from_utf8(written).unwrap(), printed);
        let mut w = JsonWriter { out: Vec::new(), vis: vis.clone() };
        w.rows(&[ev.clone(), Event::new(), ev]).unwrap();
        assert_eq!(String::from_utf8(w.out).unwrap(), format!("{printed}{{}}\n{printed}"));
    }

    #[test]
    fn time_prints_iso_with_offset() {
        assert_eq!(iso_time(0.5, 0), "1970-01-01T00:00:00.500+00:00");
        assert_eq!(iso_time(0.0, 3600), "1970-01-01T01:00:00.000+01:00");
    }

    fn mixed_rows(n: usize) -> Vec<Event> {
        (0..n)
            .map(|i| {
                let mut ev = Event::new();
                ev.set("i", i as f64);
                ev.set(if i % 2 == 0 { "even" } else { "odd" }, "x,\"y\"");
                if i >= n - 3 {
                    ev.set("late", "z");
                }
                ev.push("mv", "a".into());
                ev.push("mv", Atom::Num(i as f64));
                ev
            })
            .collect()
    }

    #[test]
    fn csv_of_no_rows_is_empty() {
        let mut out = Vec::new();
        let mut w = TabularWriter::new(&mut out, Visibility::default(), true);
        w.finish().unwrap();
        drop(w);
        assert!(out.is_empty(), "{:?}", String::from_utf8_lossy(&out));
    }

    /// CSV gives every row under the union of all rows' columns, whether its rows were held in
    /// memory or spilled to the temporary file.
    #[test]
    fn csv_rows_read_back_from_the_spill_file_are_those_held() {
        let rows = mixed_rows(3_000);
        let write = |spill: bool| {
            let mut out = Vec::new();
            let mut w = TabularWriter::new(&mut out, Visibility::default(), true);
            if spill {
                w.spool.held_limit(Some(4096));
            }
            rows.iter().try_for_each(|r| w.row(r)).unwrap();
            w.finish().unwrap();
            drop(w);
            String::from_utf8(out).unwrap()
        };
        let held = write(false);
        assert_eq!(held, write(true));
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(held.as_bytes());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ["i", "even", "odd", "late", "mv"]);
        let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 3_000);
        assert_eq!(records[0].iter().collect::<Vec<_>>(), ["0", "x,\"y\"", "", "", "a\n0"]);
        assert_eq!(records[2_999].iter().collect::<Vec<_>>(), ["2999", "", "x,\"y\"", "z", "a\n2999"]);
    }

    /// A column a later row brings goes where that row has it: before the known column after
    /// it (a `fieldsummary` row of a numeric field has `max`…`stdev` the first row lacked).
    #[test]
    fn columns_first_seen_in_a_later_row_keep_that_rows_order() {
        let row = |names: &[&str]| {
            let mut ev = Event::new();
            for n in names {
                ev.set(*n, "1");
            }
            ev
        };
        let mut out = Vec::new();
        let mut w = TabularWriter::new(&mut out, Visibility::default(), true);
        w.row(&row(&["field", "count", "is_exact", "numeric_count", "values"])).unwrap();
        w.row(&row(&["field", "count", "is_exact", "max", "mean", "numeric_count", "stdev", "values"])).unwrap();
        w.row(&row(&["extra", "field"])).unwrap();
        w.row(&row(&["field", "last"])).unwrap();
        w.finish().unwrap();
        drop(w);
        let header = String::from_utf8(out).unwrap().lines().next().unwrap().to_string();
        assert_eq!(header, "extra,field,count,is_exact,max,mean,numeric_count,stdev,values,last");
    }

    /// A table is printed a page at a time, each under the columns its rows have.
    #[test]
    fn a_table_is_printed_a_page_at_a_time() {
        let rows = mixed_rows(TABLE_PAGE * 2 + 10);
        let mut out = Vec::new();
        let mut w = TabularWriter::new(&mut out, Visibility::default(), false);
        rows.iter().try_for_each(|r| w.row(r)).unwrap();
        // Two pages printed already, the third held.
        assert_eq!(w.page.len(), 10);
        w.finish().unwrap();
        drop(w);
        let text = String::from_utf8(out).unwrap();
        let headers: Vec<&str> = text.lines().filter(|l| l.contains(" i ")).collect();
        assert_eq!(headers.len(), 3, "{headers:?}");
        assert!(headers.iter().take(2).all(|h| !h.contains("late")), "{headers:?}");
        assert!(headers[2].contains("late"), "{headers:?}");
        assert_eq!(text.lines().filter(|l| l.contains("x,\"y\"")).count(), rows.len());
    }
}
