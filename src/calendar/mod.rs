//! Placeholder until the calendar module lands: only the regime type.
mod regime;
pub use regime::Regime;
