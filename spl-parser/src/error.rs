//! Parse errors: what was expected where. Spans are in the text given to the parser; the CLI
//! maps them back to the original (pre-expansion) text with `Expanded::original_span`.

use crate::ast::Span;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        ParseError { message: message.into(), span }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.span.start)
    }
}

impl std::error::Error for ParseError {}

/// Render `message` with the line of `text` that holds `span` and a caret line under it:
///
/// ```text
/// error: expected a value after `=`
///   |
/// 1 | `sysmon` EventID= | stats count
///   |                  ^
/// ```
pub fn render_caret(text: &str, span: Span, message: &str) -> String {
    // Spans from untrusted input may fall inside a UTF-8 character: widen to boundaries.
    let start = text.floor_char_boundary(span.start.min(text.len()));
    let span = Span::new(start, text.ceil_char_boundary(span.end.min(text.len())));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_no = text[..line_start].matches('\n').count() + 1;
    let line = &text[line_start..line_end];
    let col = text[line_start..start].chars().count();
    let width = text[start..span.end.clamp(start, line_end)].chars().count().max(1);
    let gutter = " ".repeat(line_no.to_string().len());
    format!("error: {message}\n{gutter} |\n{line_no} | {line}\n{gutter} | {}{}", " ".repeat(col), "^".repeat(width))
}
