//! Event files as an `EventSource`: read each file with its reader, apply content field
//! extraction, count what was read and what was skipped as malformed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use spl_engine::exec::{Context, EventSource, ExecError, Flow, Routed, Router};
use spl_engine::prefilter::RawFilter;
use spl_engine::read::{self, ReadOptions, Record};
use spl_engine::Event;

/// How many malformed records are listed by location (the rest are counted).
const SHOWN_ISSUES: usize = 5;

#[derive(Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub events: AtomicU64,
    /// Events parsed: those read less those the prefilter skipped unparsed.
    pub parsed: AtomicU64,
    pub malformed: AtomicU64,
    /// Events outside the run's time range (`--earliest`/`--latest`): parsed, or judged on
    /// their raw time unparsed.
    pub outside: AtomicU64,
    pub issues: Mutex<Vec<String>>,
}

pub struct FileSource {
    pub files: Vec<PathBuf>,
    /// Progress on stderr (terminal only); shown once a run takes more than a second.
    pub progress: Option<Progress>,
    pub opts: ReadOptions,
    pub ctx: Context,
    pub strict: bool,
    pub counters: Counters,
    /// Only the first full scan counts (subsearches re-scan the same input).
    counted: AtomicBool,
    /// Scans so far; from the second on, a small input is parsed once more in full and kept.
    scans: std::sync::atomic::AtomicUsize,
    /// Parsed, extracted events of a small input that is scanned repeatedly (a pack with
    /// subsearches re-reads it once per subsearch).
    cache: Mutex<Option<std::sync::Arc<Vec<Event>>>>,
    /// What extraction may leave out: fields no search of the run reads.
    pub skip: spl_engine::needed::Skip,
    /// Standard input, copied to an anonymous temporary file when first read by a run that may
    /// scan its input more than once (standard input can be read once only).
    stdin_copy: Mutex<Option<std::fs::File>>,
    /// The run scans its input once (no search has a subsearch): standard input is read as it
    /// streams, not copied.
    pub stdin_once: bool,
    /// Standard input was read as it streams.
    stdin_read: AtomicBool,
}

/// Inputs up to this size are kept in memory once scanned twice (about 5 bytes of memory per
/// input byte).
const CACHE_INPUT_LIMIT: u64 = 32 << 20;

impl FileSource {
    pub fn new(paths: &[PathBuf], opts: ReadOptions, ctx: Context, strict: bool) -> Result<FileSource, String> {
        let files: Vec<PathBuf> = read::expand_paths(paths)
            .map_err(|e| e.to_string())?
            .into_iter()
            // Files met while walking a folder that are plainly not logs (docs, scripts, content)
            // are left out; a file named on the command line is always read.
            .filter(|f| paths.contains(f) || !is_not_a_log(f))
            .collect();
        if files.is_empty() {
            return Err(format!(
                "no event files found in {}",
                paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(FileSource::of_files(files, opts, ctx, strict))
    }

    /// No input, for searches that read none (`Pipeline::needs_input`).
    pub fn empty(opts: ReadOptions, ctx: Context) -> FileSource {
        FileSource::of_files(Vec::new(), opts, ctx, false)
    }

    fn of_files(files: Vec<PathBuf>, opts: ReadOptions, ctx: Context, strict: bool) -> FileSource {
        FileSource {
            scans: Default::default(),
            cache: Mutex::new(None),
            files,
            progress: None,
            opts,
            ctx,
            strict,
            counters: Counters::default(),
            counted: AtomicBool::new(false),
            skip: Default::default(),
            stdin_copy: Mutex::new(None),
            stdin_once: false,
            stdin_read: AtomicBool::new(false),
        }
    }

    /// `files read, events read, parsed, skipped as malformed` for stderr.
    pub fn summary(&self) -> String {
        let c = &self.counters;
        let mut s = format!(
            "{} files read, {} events read, {} parsed, {} skipped as malformed",
            c.files.load(Ordering::Relaxed),
            c.events.load(Ordering::Relaxed),
            c.parsed.load(Ordering::Relaxed),
            c.malformed.load(Ordering::Relaxed)
        );
        if !self.ctx.range.is_all_time() {
            s.push_str(&format!(", {} outside --earliest/--latest", c.outside.load(Ordering::Relaxed)));
        }
        if let Ok(issues) = c.issues.lock() {
            for i in issues.iter() {
                s.push_str("\n  malformed: ");
                s.push_str(i);
            }
            let more = c.malformed.load(Ordering::Relaxed).saturating_sub(issues.len() as u64);
            if more > 0 {
                s.push_str(&format!("\n  … and {more} more"));
            }
        }
        s
    }
}

/// A file (not standard input) that starts as EVTX does.
fn is_evtx_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    path.as_os_str() != "-"
        && std::fs::File::open(path).and_then(|f| f.take(8).read_to_end(&mut head)).is_ok()
        && head.starts_with(read::evtx::MAGIC)
}

fn is_not_a_log(f: &std::path::Path) -> bool {
    const NOT_LOGS: &[&str] = &["md", "py", "rs", "sh", "yml", "yaml", "toml", "lock", "html", "ps1", "pyc"];
    f.extension().and_then(|x| x.to_str()).is_some_and(|x| NOT_LOGS.contains(&x.to_ascii_lowercase().as_str()))
}

/// A progress bar over detections (validate, test) on stderr when it is a terminal; hidden
/// otherwise.
pub fn detection_progress(total: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let target = if std::io::stderr().is_terminal() {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), target);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} detections {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// A progress bar over the bytes of the input files, drawn on stderr only when it is a
/// terminal and the run has lasted a second (short runs stay quiet).
pub struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    shown: AtomicBool,
}

impl Progress {
    pub fn new(files: &[PathBuf]) -> Progress {
        let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::hidden());
        // No colour codes in the template, so NO_COLOR needs nothing more.
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
        {
            bar.set_style(style);
        }
        Progress { bar, started: std::time::Instant::now(), shown: AtomicBool::new(false) }
    }

    fn tick(&self, events: u64) {
        if !self.shown.load(Ordering::Relaxed) && self.started.elapsed() > std::time::Duration::from_secs(1) {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        if events.is_multiple_of(4096) {
            self.bar.set_message(format!("{events} events"));
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Records handed from the reading thread to the searching one, in batches to keep the channel
/// cheap.
const BATCH: usize = 512;

/// What the reading side hands to the searching side.
enum Item {
    /// An event, with what the router said of it when there is one.
    Event(Event, Option<Routed>),
    Malformed(spl_engine::read::Malformed),
    /// Records the prefilter skipped unparsed (they count as read).
    Skipped(u64),
    /// Records left unparsed because their raw time is outside the run's time range (they
    /// count as read and outside).
    Outside(u64),
    /// Reading could not go on.
    Failed(String),
    /// A file of this many bytes was read to its end (for the progress bar).
    FileDone(u64),
}

/// Bytes of whole records a reading block holds (about 175 events of XmlWinEventLog). Parsed
/// blocks in flight were most of a pack's memory on small inputs; 1 MiB blocks were no faster.
const BLOCK_BYTES: usize = 256 << 10;
/// Blocks read ahead of the search: enough to keep both cores parsing; each parsed block of a
/// pack run holds ~3 MB of events and data-model rows (8 in flight cost more memory, no time).
const BLOCKS_IN_FLIGHT: usize = 4;
/// Batches of parsed records (other formats) extracted and routed ahead of the search: each
/// holds `BATCH` events and their data-model rows.
const RECORD_BATCHES_IN_FLIGHT: usize = 3;
/// EVTX chunks (64 KiB each) parsed ahead of the search.
const EVTX_CHUNKS_IN_FLIGHT: usize = 16;
/// Tar members smaller than this are read in one stream with their neighbours (`scan_opened`).
const SMALL_MEMBER: u64 = 1 << 20;

/// Whether a record may be wanted before it is parsed: the router's verdict (`wanted`) when
/// it gives one, else the filter's, `admits` asking it (no filter: every record may be).
fn may_be_wanted(
    wanted: Option<&[usize]>,
    filter: Option<&RawFilter>,
    admits: impl FnOnce(&RawFilter) -> bool,
) -> bool {
    match wanted {
        Some(w) => !w.is_empty(),
        None => filter.is_none_or(admits),
    }
}

/// A parsed record as the search takes it: extracted, and routed when there is a router.
fn extracted(rec: Record, ctx: &Context, skip: &spl_engine::needed::Skip, router: Option<&Router>) -> Item {
    match rec {
        Record::Event(mut ev) => {
            spl_engine::extract::extract_with(&ctx.content, &ctx.fns, &mut ev, skip);
            let routed = router.map(|r| r.prepare(&ev));
            Item::Event(ev, routed)
        }
        Record::Malformed(m) => Item::Malformed(m),
    }
}

/// Judges raw XmlWinEventLog records before parsing (the router, else the filter) and parses
/// and extracts those kept: what XML blocks and EVTX chunks share.
struct Judge<'a> {
    filter: Option<&'a RawFilter>,
    router: Option<&'a Router>,
    opts: &'a ReadOptions,
    ctx: &'a Context,
    skip: &'a spl_engine::needed::Skip,
    /// The sourcetype the records will have (`--sourcetype` overrides the reader's).
    sourcetype: &'a str,
    scratch: spl_engine::prefilter::Scratch,
    /// Records left out since the last item.
    skipped: u64,
    /// The run's time range, when records may be judged on their raw time (no content rule
    /// sets `_time`), and the records it left out since the last item.
    range: Option<spl_engine::exec::TimeRange>,
    outside: u64,
    items: Vec<Item>,
}

/// Whether some rule of the content that may apply to XmlWinEventLog records of `sourcetype`
/// (and of `source`, when forced) assigns `_time`: then a record's raw time may not be its
/// event's. A mapping cannot apply when its `sourcetype` pattern does not match, or its
/// `source` pattern matches no `XmlWinEventLog:<channel>` (the reader's source).
fn content_sets_time(content: &spl_engine::content::Content, sourcetype: &str, source: Option<&str>) -> bool {
    let st = spl_engine::value::Value::str(sourcetype);
    let may_apply = |m: &&spl_engine::content::SourcetypeMapping| {
        m.matchers.iter().all(|(f, pat)| match (f.as_str(), source) {
            ("sourcetype", _) => pat.matches_value(&st),
            ("source", Some(s)) => pat.matches_value(&spl_engine::value::Value::str(s)),
            ("source", None) => pat.may_match_starting_with("XmlWinEventLog:"),
            _ => true,
        })
    };
    content
        .sourcetypes
        .iter()
        .filter(may_apply)
        .flat_map(|m| &m.rules)
        .any(|r| r.eval.iter().any(|(t, _, _)| t == "_time") || r.alias.iter().any(|(t, _)| t == "_time"))
}

impl<'a> Judge<'a> {
    fn new(
        filter: Option<&'a RawFilter>,
        router: Option<&'a Router>,
        opts: &'a ReadOptions,
        ctx: &'a Context,
        skip: &'a spl_engine::needed::Skip,
    ) -> Judge<'a> {
        let sourcetype = opts.sourcetype.as_deref().unwrap_or(spl_engine::read::xml::SOURCETYPE);
        Judge {
            filter,
            router,
            opts,
            ctx,
            skip,
            sourcetype,
            scratch: Default::default(),
            skipped: 0,
            range: Some(ctx.range)
                .filter(|r| !r.is_all_time() && !content_sets_time(&ctx.content, sourcetype, opts.source.as_deref())),
            outside: 0,
            items: Vec::new(),
        }
    }

    /// Records skipped in bulk, unparsed.
    fn skipped(&mut self, n: u64) {
        self.skipped += n;
    }

    /// One record: `raw` gives its text, `parse` its event (overrides applied) if it is kept.
    fn record<R>(&mut self, rec: R, raw: impl Fn(&R) -> &[u8], parse: impl FnOnce(R) -> Record) {
        let source = self.opts.source.as_deref();
        let raw = raw(&rec);
        // Outside the time range by its raw time: never parsed (a time not read off the raw
        // text is judged once parsed).
        if let Some(range) = &self.range {
            if spl_engine::read::xml::peek_system_time(raw).is_some_and(|t| !range.admits(Some(t))) {
                self.outside += 1;
                return;
            }
        }
        // With a router, its one pass over the record says whether any pipeline may want it.
        let wanted = self.router.and_then(|r| r.wanted_xml(raw, self.sourcetype, source, &mut self.scratch));
        if !may_be_wanted(wanted.as_deref(), self.filter, |f| f.admits(raw, self.sourcetype, source)) {
            self.skipped += 1;
            return;
        }
        let item = match parse(rec) {
            Record::Event(mut ev) => {
                spl_engine::extract::extract_with(&self.ctx.content, &self.ctx.fns, &mut ev, self.skip);
                // Routing the event again would give the same answer as its raw text.
                let routed = self.router.map(|r| r.prepare_wanted(&ev, wanted));
                Item::Event(ev, routed)
            }
            Record::Malformed(m) => Item::Malformed(m),
        };
        self.push(item);
    }

    fn push(&mut self, item: Item) {
        self.flush_left_out();
        self.items.push(item);
    }

    /// The records left out since the last item, as items (they count as read).
    fn flush_left_out(&mut self) {
        if self.skipped > 0 {
            self.items.push(Item::Skipped(std::mem::take(&mut self.skipped)));
        }
        if self.outside > 0 {
            self.items.push(Item::Outside(std::mem::take(&mut self.outside)));
        }
    }

    fn finish(mut self) -> Vec<Item> {
        self.flush_left_out();
        self.items
    }
}

/// Split one block into records, skip those the prefilter rejects (in bulk where it can), and
/// parse and extract the rest. Also returns the block's newline count and its buffer.
fn xml_block(
    mut split: spl_engine::read::xml::XmlSplitter,
    mut judge: Judge<'_>,
    file: &str,
) -> (Vec<Item>, u64, Vec<u8>) {
    let anchor = judge.filter.and_then(|f| f.anchor(judge.opts.source.is_some()));
    loop {
        // Jump over stretches of records holding none of the required literals.
        if let Some(a) = &anchor {
            let n = split.skip_without(a);
            judge.skipped(n);
        }
        match split.next() {
            None => break,
            Some(Ok(raw)) => {
                let opts = judge.opts;
                judge.record(raw, |r| &r.bytes, |r| read::parse_raw_xml(&r, file, opts));
            }
            Some(Err(m)) => judge.push(Item::Malformed(m)),
        }
    }
    (judge.finish(), split.lines_seen(), split.into_buffer())
}

/// Parse one EVTX chunk: each record is rendered as XmlWinEventLog text, judged as such before
/// parsing, and parsed by the XML reader (as the sequential EVTX reader does).
fn evtx_chunk(job: read::evtx::ChunkJob, mut judge: Judge<'_>) -> Vec<Item> {
    for r in job.render() {
        match r {
            Ok(rendered) => {
                let opts = judge.opts;
                judge.record(rendered, |r| r.xml.as_bytes(), |r| read::parse_rendered_evtx(r, opts));
            }
            Err(m) => judge.push(Item::Malformed(m)),
        }
    }
    judge.finish()
}

/// What the reading thread of an EVTX run hands out: a chunk to parse, or the end of a file.
enum EvtxJob {
    Chunk(read::evtx::ChunkJob),
    FileDone(u64),
}

impl FileSource {
    /// Read one file on a helper thread, handing batches of ready events to `f` on this thread
    /// in file order. XmlWinEventLog text is split into raw records there, tested against the
    /// prefilter, and parsed and extracted on all cores; JSON, classic WinEventLog, text and CSV
    /// likewise, in blocks of whole records; EVTX in chunks; a tar's members in turn.
    fn scan_file(
        &self,
        path: &std::path::Path,
        count: bool,
        filter: Option<&RawFilter>,
        router: Option<&Router>,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<Flow, ExecError> {
        let stdin = path.as_os_str() == "-";
        if stdin && self.stdin_once && self.stdin_read.swap(true, Ordering::SeqCst) {
            return Err(ExecError::new("standard input was read once already and this run reads its input again"));
        }
        let opened = if stdin && !self.stdin_once {
            read::open_file_split(read::STDIN, std::path::Path::new(""), self.stdin_file()?, &self.opts)
        } else {
            read::open_split(path, &self.opts)
        }
        .map_err(|e| ExecError::new(e.to_string()))?;
        self.scan_opened(opened, path, count, filter, router, f)
    }

    /// Standard input as a file read from its start: copied whole to an anonymous temporary
    /// file (`--temp-dir`) the first time. Kept parsed in memory instead, a 590 MB EVTX piped in
    /// took 3.7 GB.
    fn stdin_file(&self) -> Result<std::fs::File, ExecError> {
        use std::io::{Seek, SeekFrom};
        let mut copy = self.stdin_copy.lock().map_err(|_| ExecError::new("standard input's copy: lock poisoned"))?;
        let why = |e: std::io::Error| {
            ExecError::new(format!("copying standard input to a temporary file: {e} (see --temp-dir)"))
        };
        if copy.is_none() {
            let mut file = spl_engine::spill::temp_file().map_err(why)?;
            std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(why)?;
            *copy = Some(file);
        }
        let file = copy.as_ref().ok_or_else(|| ExecError::new("standard input's copy is missing"))?;
        // The clone shares the copy's offset: scans read it one after another, each from the start.
        let mut file = file.try_clone().map_err(why)?;
        file.seek(SeekFrom::Start(0)).map_err(why)?;
        Ok(file)
    }

    /// `scan_file` of an opened input. A tar archive's members in turn: small ones as one stream
    /// of records, each big one as a file of its format is.
    fn scan_opened(
        &self,
        opened: read::Opened,
        path: &std::path::Path,
        count: bool,
        filter: Option<&RawFilter>,
        router: Option<&Router>,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<Flow, ExecError> {
        let ctx = &self.ctx;
        let skip = &self.skip;
        match opened {
            read::Opened::RawXml { split, file, opts } => {
                let mut split = *split;
                // Finished blocks' buffers come back to be read into again.
                let (recycle, spares) = std::sync::mpsc::channel::<Vec<u8>>();
                let next = move || split.next_block(BLOCK_BYTES, spares.try_recv().unwrap_or_default());
                let work = |block: Result<read::xml::XmlSplitter, read::Malformed>| match block {
                    Ok(block) => {
                        let judge = Judge::new(filter, router, &opts, ctx, skip);
                        let (items, lines, buf) = xml_block(block, judge, &file);
                        let _ = recycle.send(buf);
                        (items, lines)
                    }
                    Err(m) => (vec![Item::Malformed(m)], 0),
                };
                self.run_ordered(BLOCKS_IN_FLIGHT, next, work, path, count, f)
            }
            read::Opened::Lines(mut split) => {
                // Blocks of whole records parsed on all cores; past a stretch with no place to
                // cut, records parsed on the reading thread.
                let next = move || split.next_job(BLOCK_BYTES, BATCH);
                // Before parsing, a record's sourcetype and source are known only when forced (a
                // JSON record may name its own; a text line's sourcetype is only the forced one),
                // its index never.
                let heads = [self.opts.sourcetype.as_deref(), self.opts.source.as_deref(), None];
                // Worth judging only if a line can be left out: not when, the headers being
                // what they are, some search wants a line holding no literal (every line).
                let may_want = |text: &[u8], scratch: &mut spl_engine::prefilter::Scratch| {
                    let wanted = router.and_then(|r| r.wanted_text(text, heads, scratch));
                    may_be_wanted(wanted.as_deref(), filter, |f| f.admits_text(text, heads))
                };
                let judged = !may_want(b"", &mut Default::default());
                let work = |job: read::LineJob| {
                    let (records, skipped) = match job {
                        read::LineJob::Block(block) if judged => {
                            let mut scratch = spl_engine::prefilter::Scratch::default();
                            // Records judged on their text before parsing (`LineBlock::records_judged`).
                            block.records_judged(&mut |text: &[u8]| may_want(text, &mut scratch))
                        }
                        read::LineJob::Block(block) => (block.records(), 0),
                        read::LineJob::Parsed(records) => (records, 0),
                    };
                    let mut items: Vec<Item> =
                        records.into_iter().map(|rec| extracted(rec, ctx, skip, router)).collect();
                    if skipped > 0 {
                        items.push(Item::Skipped(skipped));
                    }
                    (items, 0)
                };
                self.run_ordered(RECORD_BATCHES_IN_FLIGHT, next, work, path, count, f)
            }
            read::Opened::Tar(mut members) => {
                // Small members (an EVTX file of a chunk or two, a short log) are read one after
                // another as one stream, parsed on the reading thread and extracted on all
                // cores: scanning each alone left the cores idle between them. A big one met
                // on the way is scanned alone, in blocks.
                let mut big: Option<read::Opened> = None;
                loop {
                    if let Some(opened) = big.take() {
                        if self.scan_opened(opened, path, count, filter, router, f)? == Flow::Stop {
                            return Ok(Flow::Stop);
                        }
                    }
                    let (members, stash) = (&mut members, &mut big);
                    let mut current: Option<read::Records> = None;
                    let next = move || loop {
                        if let Some(records) = &mut current {
                            let batch: Vec<Record> = records.by_ref().take(BATCH).collect();
                            if !batch.is_empty() {
                                return Some(batch);
                            }
                            current = None;
                        }
                        match members.next_member()? {
                            Err(m) => return Some(vec![Record::Malformed(m)]),
                            Ok(opened) if members.last_size() < SMALL_MEMBER => current = Some(opened.into_records()),
                            Ok(opened) => {
                                *stash = Some(opened);
                                return None;
                            }
                        }
                    };
                    let work = |batch: Vec<Record>| {
                        (batch.into_iter().map(|rec| extracted(rec, ctx, skip, router)).collect(), 0)
                    };
                    if self.run_ordered(RECORD_BATCHES_IN_FLIGHT, next, work, path, count, f)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                    if big.is_none() {
                        return Ok(Flow::Continue);
                    }
                }
            }
            read::Opened::Evtx { mut chunks, opts } => {
                let next = move || chunks.next();
                let work = |job| (evtx_chunk(job, Judge::new(filter, router, &opts, ctx, skip)), 0);
                self.run_ordered(EVTX_CHUNKS_IN_FLIGHT, next, work, path, count, f)
            }
        }
    }

    /// Hand out jobs on a reading thread of their own (`next`), do them on all cores (`work`:
    /// the items of a job and the newlines it held), and feed their items to `f` on this thread
    /// in job order. At most `in_flight` jobs run ahead of the search, which keeps memory flat.
    fn run_ordered<J: Send>(
        &self,
        in_flight: usize,
        mut next: impl FnMut() -> Option<J> + Send,
        work: impl Fn(J) -> (Vec<Item>, u64) + Sync,
        path: &std::path::Path,
        count: bool,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<Flow, ExecError> {
        let work = &work;
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<std::sync::mpsc::Receiver<(Vec<Item>, u64)>>(in_flight);
            scope.spawn(move || {
                rayon::in_place_scope(|s| {
                    while let Some(job) = next() {
                        let (btx, brx) = std::sync::mpsc::sync_channel(1);
                        // The receiver hung up (the search stopped early): stop reading.
                        if tx.send(brx).is_err() {
                            return;
                        }
                        s.spawn(move |_| {
                            let _ = btx.send(work(job));
                        });
                    }
                });
            });
            // Jobs count lines from 1: make the locations of malformed records absolute.
            let mut line_base = 0u64;
            let batches = rx.into_iter().map(|brx| match brx.recv() {
                Ok((mut items, lines)) => {
                    for it in &mut items {
                        if let Item::Malformed(m) = it {
                            m.location.line = m.location.line.map(|l| l + line_base);
                        }
                    }
                    line_base += lines;
                    items
                }
                // A job whose worker vanished would be lost silently; say so instead.
                Err(_) => vec![Item::Failed(format!("{}: a reading thread stopped unexpectedly", path.display()))],
            });
            self.consume(batches, count, f)
        })
    }

    /// Read consecutive EVTX files as one stream of chunks, parsed on all cores: EVTX folders
    /// hold many small files (a chunk or two each), which one file at a time would leave to one
    /// core.
    fn scan_evtx_files(
        &self,
        paths: &[PathBuf],
        count: bool,
        filter: Option<&RawFilter>,
        router: Option<&Router>,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<Flow, ExecError> {
        let mut files = paths.iter();
        let mut current: Option<(read::evtx::EvtxChunks, u64)> = None;
        let counters = &self.counters;
        let next = move || loop {
            if let Some((chunks, size)) = &mut current {
                match chunks.next() {
                    Some(job) => return Some(EvtxJob::Chunk(job)),
                    None => {
                        let size = *size;
                        current = None;
                        return Some(EvtxJob::FileDone(size));
                    }
                }
            }
            let path = files.next()?;
            if count {
                counters.files.fetch_add(1, Ordering::Relaxed);
            }
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            current = Some((read::evtx::chunks_from_path(path, &path.display().to_string()), size));
        };
        let work = |job: EvtxJob| match job {
            EvtxJob::Chunk(job) => (evtx_chunk(job, Judge::new(filter, router, &self.opts, &self.ctx, &self.skip)), 0),
            EvtxJob::FileDone(size) => (vec![Item::FileDone(size)], 0),
        };
        let first = paths.first().map_or(std::path::Path::new(""), PathBuf::as_path);
        self.run_ordered(EVTX_CHUNKS_IN_FLIGHT, next, work, first, count, f)
    }

    fn consume(
        &self,
        rx: impl Iterator<Item = Vec<Item>>,
        count: bool,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<Flow, ExecError> {
        for batch in rx {
            for rec in batch {
                match rec {
                    Item::Skipped(n) => {
                        if count {
                            self.counters.events.fetch_add(n, Ordering::Relaxed);
                        }
                    }
                    Item::Outside(n) => {
                        if count {
                            self.counters.events.fetch_add(n, Ordering::Relaxed);
                            self.counters.outside.fetch_add(n, Ordering::Relaxed);
                        }
                    }
                    Item::Event(ev, routed) => {
                        if count {
                            let n = self.counters.events.fetch_add(1, Ordering::Relaxed) + 1;
                            self.counters.parsed.fetch_add(1, Ordering::Relaxed);
                            if let Some(p) = &self.progress {
                                p.tick(n);
                            }
                        }
                        // Every search of the run, subsearches included, sees only its range.
                        if !self.ctx.range.admits(ev.time()) {
                            if count {
                                self.counters.outside.fetch_add(1, Ordering::Relaxed);
                            }
                            continue;
                        }
                        if f(ev, routed)? == Flow::Stop {
                            return Ok(Flow::Stop);
                        }
                    }
                    Item::Failed(message) => return Err(ExecError::new(message)),
                    Item::FileDone(size) => {
                        if let (true, Some(p)) = (count, &self.progress) {
                            p.bar.inc(size);
                        }
                    }
                    Item::Malformed(m) => {
                        if self.strict {
                            return Err(ExecError::new(format!("malformed event at {}: {}", m.location, m.message)));
                        }
                        if count {
                            self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut issues) = self.counters.issues.lock() {
                                if issues.len() < SHOWN_ISSUES {
                                    issues.push(format!("{}: {}", m.location, m.message));
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(Flow::Continue)
    }
}

impl EventSource for FileSource {
    fn scan(&self, f: &mut dyn FnMut(Event) -> Result<Flow, ExecError>) -> Result<(), ExecError> {
        self.scan_filtered(None, None, &mut |ev, _| f(ev))
    }

    fn scan_filtered(
        &self,
        filter: Option<&RawFilter>,
        router: Option<&Router>,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<(), ExecError> {
        let cached = self.cache.lock().ok().and_then(|c| c.clone());
        if let Some(events) = cached {
            // The filter only lets a scan skip work; handing out every event is always right.
            for ev in events.iter() {
                if f(ev.clone(), None)? == Flow::Stop {
                    break;
                }
            }
            return Ok(());
        }
        let nth = self.scans.fetch_add(1, Ordering::SeqCst);
        let copied =
            self.stdin_copy.lock().ok().and_then(|c| c.as_ref().and_then(|f| f.metadata().ok()).map(|m| m.len()));
        let total: u64 = self.files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum::<u64>()
            + copied.unwrap_or(0);
        let count = !self.counted.swap(true, Ordering::SeqCst);
        if nth >= 1 && total <= CACHE_INPUT_LIMIT && !self.strict {
            // Scanned again: read it all once more, unfiltered, and keep it for later scans.
            let mut all = Vec::new();
            self.scan_files(None, None, count, &mut |ev, _| {
                all.push(ev);
                Ok(Flow::Continue)
            })?;
            let all = std::sync::Arc::new(all);
            if let Ok(mut c) = self.cache.lock() {
                *c = Some(all.clone());
            }
            for ev in all.iter() {
                if f(ev.clone(), None)? == Flow::Stop {
                    break;
                }
            }
            return Ok(());
        }
        self.scan_files(filter, router, count, f)
    }
}

impl FileSource {
    fn scan_files(
        &self,
        filter: Option<&RawFilter>,
        router: Option<&Router>,
        count: bool,
        f: &mut dyn FnMut(Event, Option<Routed>) -> Result<Flow, ExecError>,
    ) -> Result<(), ExecError> {
        let mut rest: &[PathBuf] = &self.files;
        while let Some(path) = rest.first() {
            let evtx = rest.iter().take_while(|p| is_evtx_file(p)).count();
            let flow = if evtx > 0 {
                let (run, tail) = rest.split_at(evtx);
                rest = tail;
                self.scan_evtx_files(run, count, filter, router, f)?
            } else {
                rest = rest.get(1..).unwrap_or_default();
                let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                if count {
                    self.counters.files.fetch_add(1, Ordering::Relaxed);
                }
                let flow = self.scan_file(path, count, filter, router, f)?;
                if let (true, Some(p)) = (count, &self.progress) {
                    p.bar.inc(size);
                }
                flow
            };
            if flow == Flow::Stop {
                return Ok(());
            }
        }
        Ok(())
    }
}
