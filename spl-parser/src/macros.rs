//! Backtick macro expansion (stub: the real expander replaces this file).

use crate::ast::Span;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct MacroDef {
    pub name: String,
    pub arguments: Vec<String>,
    pub definition: String,
}

#[derive(Clone, Debug, Default)]
pub struct MacroTable {
    pub defs: HashMap<(String, usize), MacroDef>,
}

impl MacroTable {
    pub fn insert(&mut self, def: MacroDef) {
        self.defs.insert((def.name.clone(), def.arguments.len()), def);
    }
    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.defs.get(&(name.to_string(), arity))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MacroError {
    pub message: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Expanded {
    pub original: String,
    pub text: String,
}

impl Expanded {
    pub fn original_span(&self, span: Span) -> Span {
        span
    }
    pub fn render_error(&self, span: Span, message: &str) -> String {
        crate::error::render_caret(&self.original, self.original_span(span), message)
    }
}

pub fn expand(text: &str, _table: &MacroTable) -> Result<Expanded, MacroError> {
    Ok(Expanded { original: text.to_string(), text: text.to_string() })
}
