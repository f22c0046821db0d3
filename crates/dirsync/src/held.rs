//! Writes a directory refused for good, held back so a sync does not send them on every run:
//! each [`HeldWrite`] is tried again on a [`RETRY_SCHEDULE`], or as soon as its value changes on
//! either side (compared as values, [`HeldWrite::value_data`] and [`HeldWrite::current_data`],
//! not as they are shown), or when a person releases it ([`crate::store::release_held`]).

pub use crate::quarantine::{HeldWrite, RETRY_SCHEDULE, Write, held_back, is_held_back};
