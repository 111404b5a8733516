//! `spl-engine`: SPL AST → logical plan → streaming executor over events.
//!
//! Phases, one module each: [`plan`] turns the parser's AST into typed [`ops`] operators;
//! [`exec`] streams events through them. [`read`] turns files into events, [`extract`] applies
//! content-defined field extraction, [`content`] loads macros, detections, lookups, sourcetype
//! mappings and data models.

pub mod content;
pub mod detection;
pub mod eval;
pub mod event;
pub mod exec;
pub mod extract;
pub mod memo;
pub mod needed;
pub mod ops;
pub mod packed;
pub mod plan;
pub mod prefilter;
pub mod pushdown;
pub mod read;
pub mod regex_util;
pub mod search;
pub mod spill;
pub mod stats;
pub mod timefmt;
pub mod value;

pub use event::Event;
pub use value::{Atom, Value};
