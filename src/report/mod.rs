//! The reports' pure part: what a request's clock says about it (`facts`), the campaign's
//! figures (`stats`), which deadlines are late or soon (`deadlines`), the deadline calendar
//! feed (`ics`), a request as an export row (`rows`) and the charts (`charts`). Data in,
//! values or bytes out; the services load the data and write the files.

pub mod charts;
pub mod deadlines;
pub mod facts;
pub mod ics;
pub mod rows;
pub mod stats;

pub use facts::{assess, Assessed, Recorded, RequestFacts};
pub use stats::{definitions, Definition, Figures, Group, Stats, StatsBuilder};
