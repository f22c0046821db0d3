//! Real-time push: changes made in the HR system, announced by its webhooks, pushed to the
//! identity directory at once.
//!
//! Only HR → identity directory: changes made in the identity directory reach the HR system on the
//! next sync only, as in Huma's own integration.

mod leavers;
mod op;
mod push;

pub use op::{AutoProvisioning, CreateRefusal, RealtimeOp, realtime_push};
pub use push::{HrChange, HrEvent, PersonPush, PushAction, PushSummary, RealtimePush};
