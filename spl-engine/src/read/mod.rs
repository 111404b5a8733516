//! Event readers, one module per input format, behind one small interface: a file (or stdin)
//! becomes a stream of [`Record`]s. A malformed record is reported as [`Record::Malformed`] and
//! the reader goes on with the next one; nothing already read is lost.
