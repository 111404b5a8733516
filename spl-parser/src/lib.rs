//! `spl-parser`: Splunk SPL text → AST with byte spans.
//!
//! Phases, one file each: [`macros`] (comment removal and backtick macro expansion with a
//! source map back to the original text), then the nom parser in `parse/` (`mod.rs`
//! pipelines and subsearches, `search.rs` the search language, `eval.rs` eval expressions,
//! `command.rs` typed command bodies, `lex.rs` shared tokens), and [`error`] (messages with a
//! caret under the original text). Nothing here knows about the engine.
//!
//! ```
//! use spl_parser::{expand, parse_pipeline, MacroDef, MacroTable};
//! let mut macros = MacroTable::default();
//! macros.insert(MacroDef { name: "sysmon".into(), arguments: vec![], definition: "sourcetype=sysmon".into() });
//! let expanded = expand("`sysmon` EventCode=1 | stats count by host", &macros).unwrap();
//! let pipeline = parse_pipeline(&expanded.text).unwrap();
//! assert_eq!(pipeline.commands[1].name, "stats");
//! ```

pub mod ast;
pub mod error;
pub mod macros;
mod parse;

pub use ast::*;
pub use error::{render_caret, ParseError};
pub use macros::{expand, Expanded, MacroDef, MacroError, MacroTable};

/// Parse a whole pipeline (`search ... | stats ... | ...`). Text not starting with `|` begins
/// with an implicit `search`. Spans refer to `text`.
pub fn parse_pipeline(text: &str) -> Result<Pipeline, ParseError> {
    parse::pipeline(text)
}

/// Parse a search-language expression alone (as after `search`).
pub fn parse_search_expr(text: &str) -> Result<Option<SearchExpr>, ParseError> {
    parse::search_expr_only(text)
}

/// Parse an eval expression alone (as after `where`).
pub fn parse_eval_expr(text: &str) -> Result<Expr, ParseError> {
    parse::eval_expr_only(text)
}
