//! `spelunk`: run Splunk SPL detections offline over event logs.
//!
//! The CLI only wires the crates together: `session` loads content layers and compiles
//! searches, `source` reads event files, `output` prints rows, and one module per subcommand.

mod cmd_run;
mod cmd_test;
mod cmd_validate;
mod output;
mod session;
mod source;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

// Reading events allocates many small strings; mimalloc handles that pattern far better than
// the system allocator. Built without transparent huge pages (Cargo.toml `no_thp`): the kernel
// zeroed a 2 MiB page whenever a purged arena was touched again, ~10 % of a pack's CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes (documented in the README).
pub mod exit {
    /// Success, with or without rows.
    pub const OK: u8 = 0;
    /// A detection or search failed: syntax, macro, plan or run error; `test --strict` failures.
    pub const DETECTION_ERROR: u8 = 1;
    /// Bad command line.
    pub const USAGE: u8 = 2;
    /// Input could not be read (missing file, unreadable folder), or `--strict` met a malformed event.
    pub const INPUT_ERROR: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "spelunk",
    version,
    about = "Run Splunk SPL security detections offline over Windows/Sysmon event logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run detections (ESCU YAML files or folders of them) over event files.
    Run {
        /// Detection YAML files or folders.
        #[arg(required = true)]
        detections: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        out: OutputArgs,
        /// Emit one risk event per result row (Enterprise Security risk-based alerting shape).
        #[arg(long)]
        risk: bool,
    },
    /// Run an ad-hoc SPL search over event files.
    Search {
        /// The SPL text (macros are expanded).
        spl: String,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Print the expanded SPL and the plan of a search or detection.
    Explain {
        /// SPL text, a detection YAML file, or a folder of them (each is explained).
        target: String,
        #[command(flatten)]
        common: Common,
    },
    /// Check detections: YAML, macros, syntax, and whether the engine can execute them.
    Validate {
        /// Detection files or folders (default: the detections of every content layer).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Run each detection's `tests:` over its attack data, like contentctl's unit tests.
    Test {
        /// Detection files or folders (default: the detections of every content layer).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// Folder holding the attack data (INDEX.tsv maps URLs to files when present).
        #[arg(long)]
        data_root: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Exit non-zero when a detection fails.
        #[arg(long)]
        strict: bool,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

/// Content and macro options shared by every subcommand.
#[derive(Args, Clone, Default)]
pub struct Common {
    /// Content folder (security_content layout: macros/, lookups/, detections/ …). Repeatable;
    /// later folders override earlier ones. The built-in pack is the lowest layer.
    #[arg(long = "content", value_name = "DIR")]
    pub content: Vec<PathBuf>,
    /// Override or add a macro: `NAME=DEFINITION` or `NAME(arg1,arg2)=DEFINITION`. Wins over
    /// every content layer. Repeatable.
    #[arg(long = "macro", value_name = "NAME=DEFINITION")]
    pub macros: Vec<String>,
    /// YAML file of macros (security_content format: one mapping or a list). Repeatable.
    #[arg(long = "macros-file", value_name = "FILE")]
    pub macros_files: Vec<PathBuf>,
    /// Time zone offset for displayed times, e.g. `+02:00` (default UTC).
    #[arg(long, value_name = "OFFSET")]
    pub tz: Option<String>,
    /// The search's "now" as epoch seconds (default: the current time). For reproducible
    /// `now()`/`relative_time` results.
    #[arg(long, value_name = "EPOCH")]
    pub now: Option<f64>,
    /// MaxMind GeoIP2/GeoLite2 City database (`.mmdb`) for `iplocation` (default: the
    /// SPELUNK_GEOIP_DB environment variable).
    #[arg(long, value_name = "FILE.mmdb")]
    pub geoip: Option<PathBuf>,
}

#[derive(Args, Clone, Default)]
pub struct Input {
    /// Event files or folders (`-` reads stdin). Folders are walked. Required, but for a search
    /// that reads no events (`| makeresults …`, `| inputlookup …`).
    #[arg(long = "events", short = 'e', value_name = "FILE|DIR")]
    pub events: Vec<PathBuf>,
    /// Force the sourcetype (and the reader) of the inputs.
    #[arg(long)]
    pub sourcetype: Option<String>,
    /// Force the `source` field of the inputs.
    #[arg(long)]
    pub source: Option<String>,
    /// Put the inputs in this index (Splunk's inputs.conf `index`), e.g. `kubernetes_metrics`
    /// for ESCU's `kubernetes_metrics` macro. Default: an event's own `index` field, else `main`
    #[arg(long)]
    pub index: Option<String>,
    /// Stop at the first malformed event instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// No progress or summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// After the run, list on stderr the searches that took the most time (events routed to
    /// each, time feeding them, time finishing aggregations; subsearches not counted).
    #[arg(long)]
    pub profile: bool,
    /// Memory that aggregation groups and rows kept to the end of input may take, all searches
    /// together, before those holding the most spill to a temporary file: `32M`, `512K`, `2G`
    /// (MiB when no unit is given); 0 never spills.
    #[arg(long, value_name = "SIZE", default_value = "32M", value_parser = parse_size)]
    pub memory_budget: usize,
    /// Folder for the spill file (default: TMPDIR, else the system's temporary folder).
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
    /// Start of the search time range, as Splunk's time picker sets it: only events at or after
    /// it are read (subsearches included). A time modifier (`-24h`, `-7d@d`, `@w1`), `now`, an
    /// epoch, or `%m/%d/%Y:%H:%M:%S`; relative to --now, in --tz.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub earliest: Option<String>,
    /// End of the search time range: only events before it are read. Same forms as --earliest.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub latest: Option<String>,
}

#[derive(Args, Clone, Default)]
pub struct OutputArgs {
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub format: Option<output::Format>,
    /// Write rows to this file instead of stdout.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Run { detections, common, input, out, risk } => cmd_run::run(&detections, &common, &input, &out, risk),
        Command::Search { spl, common, input, out } => cmd_run::search(&spl, &common, &input, &out),
        Command::Explain { target, common } => cmd_run::explain(&target, &common),
        Command::Validate { paths, common, format } => cmd_validate::validate(&paths, &common, format),
        Command::Test { paths, common, data_root, format, strict } => {
            cmd_test::test(&paths, &common, &data_root, format, strict)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "spelunk", &mut std::io::stdout());
            exit::OK
        }
    };
    ExitCode::from(code)
}

/// A size in bytes from `64M`, `512K`, `2G` or `64` (MiB).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => t.split_at(at),
        None => (t, "M"),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("unknown unit `{unit}`: use K, M or G")),
    };
    let n: u64 = num.trim().parse().map_err(|_| format!("`{s}` is not a size such as 64M"))?;
    n.checked_mul(1 << shift).and_then(|b| usize::try_from(b).ok()).ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn sizes_take_k_m_g_and_default_to_mib() {
        assert_eq!(super::parse_size("64"), Ok(64 << 20));
        assert_eq!(super::parse_size("512K"), Ok(512 << 10));
        assert_eq!(super::parse_size("2g"), Ok(2 << 30));
        assert_eq!(super::parse_size("3MiB"), Ok(3 << 20));
        assert_eq!(super::parse_size("0"), Ok(0));
        assert!(super::parse_size("1T").is_err());
        assert!(super::parse_size("-1M").is_err());
    }
}
