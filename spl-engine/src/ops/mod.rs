//! Operators, one module per command family.

pub mod chart;
pub mod datamodel;
pub mod fields;
pub mod fieldsummary;
pub mod filter;
pub mod foreach;
pub mod iplocation;
pub mod json;
pub mod kv;
pub mod lookup;
pub mod map;
pub mod misc;
pub mod outlier;
pub mod reshape;
pub mod rex;
pub mod rows;
pub mod simple;
pub mod sort;
pub mod stats;
pub mod streaming;
pub mod subsearch;
pub mod subsearch_format;
pub mod timechart;
pub mod tojson;
pub mod transaction;
pub mod tstats;
