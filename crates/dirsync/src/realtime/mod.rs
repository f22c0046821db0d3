//! Real-time push: changes made in the HR system, announced by its webhooks, pushed to the
//! identity directory at once, through the sync's own engine.
//!
//! Only HR → identity directory: changes made in the identity directory reach the HR system on the
//! next sync only, as in Huma's own integration.

mod classify;
mod event;
mod locks;
mod pass;
mod push;
mod twin;

pub use event::{AutoProvisioning, HrChange, HrEvent, PersonPush, PushAction, PushSummary};
pub use locks::PersonLocks;
pub use push::{PushSettings, RealtimePush};
