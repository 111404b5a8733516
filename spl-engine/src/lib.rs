//! `spl-engine`: SPL AST → logical plan → streaming executor over events.

pub mod eval;
pub mod event;
pub mod read;
pub mod regex_util;
pub mod timefmt;
pub mod value;

pub use event::Event;
pub use value::{Atom, Value};
