//! # dirsync
//!
//! Keep people in step between an HR system (Huma) and an identity directory (Azure AD / Entra ID).
//!
//! This crate is the vendor-neutral core: the model of a [`Person`], the supported [`Field`]s,
//! ISO 3166-1 alpha-2 [`CountryCode`]s, the [`Directory`] trait that adapters implement, and the
//! pure reconciliation engine. It does no HTTP; the `azure-graph` and `huma-api` crates do.
#![warn(missing_docs)]

mod apply;
mod capabilities;
mod country;
mod directory;
mod error;
mod field;
mod id;
mod memory;
mod operations;
mod person;
mod plan;
mod policy;
mod realtime;
mod reconcile;
mod record;
mod report;
mod side;
mod state;
mod store;
mod text;

pub use apply::{ApplyError, ApplyOptions, Progress, apply};
pub use capabilities::{Capabilities, Limits, TooLong};
pub use country::{CountryCode, CountryError};
pub use directory::{
    Changes, Cursor, Directory, FieldChange, IncrementalDirectory, Snapshot, same_person,
};
pub use error::{DirectoryError, ErrorKind};
pub use field::{Field, FieldSet};
pub use id::ItemId;
pub use memory::InMemoryDirectory;
pub use operations::{Create, Operation, Operations, PlannedChange, SkippedWrite, Update};
pub use person::{Address, FieldRef, FieldValue, Person, WrongKind};
pub use plan::{
    BlockReason, Blocked, Change, ChangeKind, Creation, DecidedBy, Decision, DecisionError,
    Finding, FindingKind, MatchedBy, Pair, PendingDecisions, Plan, RecordRef, Settled, Summary,
};
pub use policy::{ConflictRule, CreationRule, MissingRule, Policy, Scope};
pub use realtime::{RealtimeOp, realtime_push};
pub use reconcile::reconcile;
pub use record::{InvalidValue, Record, RecordId};
pub use report::{Action, Counts, FieldReport, OperationReport, Outcome, Report, SkippedItem};
pub use side::Side;
pub use state::{Link, SyncState};
pub use store::{JsonFileStore, STATE_FORMAT, StateError, StateStore};
