//! # dirsync
//!
//! Keep people in step between an HR system (Huma) and an identity directory (Azure AD / Entra ID).
//!
//! This crate is the vendor-neutral core; it does no HTTP (the `azure-graph` and `huma-api` crates
//! implement [`Directory`] over the real services). A sync runs in five steps:
//!
//! 1. **Read** a [`Snapshot`] of each side through the [`Directory`] trait: every record, or an
//!    error; never a partial read.
//! 2. **Reconcile** with [`reconcile`], a pure function: pair records (remembered links, then
//!    employment id, then email), compare the supported [`Field`]s, and produce a [`Plan`] of
//!    missing values, one-sided changes, conflicts, creations and [`Finding`]s.
//! 3. **Decide**: the [`Policy`] settles what it can; the rest are pending decisions a person
//!    settles by id with [`Plan::decide`].
//! 4. **Apply** the settled plan with [`apply`], which writes through both directories with
//!    bounded concurrency and returns a [`Report`] (JSON, Markdown or HTML).
//! 5. **Remember** the [`SyncState`] (links and the values both sides agreed on) through a
//!    [`StateStore`] such as [`JsonFileStore`], so the next run can tell who changed what.
//!
//! ```
//! use dirsync::{
//!     apply, reconcile, ApplyOptions, ConflictRule, CreationRule, Directory, InMemoryDirectory,
//!     Person, Policy, Record, Snapshot, SyncState,
//! };
//! # futures::executor::block_on(async {
//! let huma = InMemoryDirectory::new([
//!     Record::new("h1", Person::new().with_email("ada@example.com").with_job_title("CTO")),
//!     Record::new("h2", Person::new().with_email("bo@example.com").with_given_name("Bo")),
//! ]);
//! let azure = InMemoryDirectory::new([
//!     Record::new("a1", Person::new().with_email("Ada@example.com").with_job_title("Engineer")),
//! ]);
//! let policy = Policy {
//!     conflicts: ConflictRule::PreferHr,
//!     create_in_idp: CreationRule::All,
//!     ..Policy::default()
//! };
//! let mut state = SyncState::new();
//!
//! let plan = reconcile(&Snapshot::read(&huma).await?, &Snapshot::read(&azure).await?, &state, &policy);
//! assert_eq!(plan.summary().conflicts, 1); // the job title
//! assert_eq!(plan.summary().create_in_idp, 1); // Bo
//!
//! let report = apply(&plan, &huma, &azure, &mut state, &ApplyOptions::default(), &|_| {}).await?;
//! assert_eq!(report.counts.updated_in_idp, 1);
//! assert_eq!(report.counts.created_in_idp, 1);
//! assert_eq!(azure.records().len(), 2);
//!
//! // Run again: nothing is left to do.
//! let again = reconcile(&Snapshot::read(&huma).await?, &Snapshot::read(&azure).await?, &state, &policy);
//! assert!(again.operations()?.operations.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![warn(missing_docs)]

mod apply;
mod capabilities;
mod country;
mod directory;
mod email;
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
pub use capabilities::{Capabilities, InvalidCharacters, LengthUnit, Limits, NewRecord, TooLong};
pub use country::{CountryCode, CountryError};
pub use directory::{
    Changes, Cursor, Directory, FieldChange, IncrementalDirectory, Snapshot, same_person,
};
pub use email::{EmailError, check_email};
pub use error::{DirectoryError, ErrorKind};
pub use field::{Field, FieldSet};
pub use id::ItemId;
pub use memory::InMemoryDirectory;
pub use operations::{Create, Operation, Operations, PlannedChange, SkippedWrite, Update};
pub use person::{Address, FieldRef, FieldValue, Person, WrongKind};
pub use plan::{
    BlockReason, Blocked, BrokenLink, Change, ChangeKind, Creation, DecidedBy, Decision,
    DecisionError, Finding, FindingKind, MatchedBy, Pair, PendingDecisions, Plan, RecordRef,
    Settled, Summary,
};
pub use policy::{ConflictRule, CreationRule, MissingRule, Policy, Scope};
pub use realtime::{RealtimeOp, realtime_push};
pub use reconcile::reconcile;
pub use record::{InvalidValue, Record, RecordId};
pub use report::{Action, Counts, FieldReport, OperationReport, Outcome, Report, SkippedItem};
pub use side::Side;
pub use state::{Link, SyncState};
pub use store::{JsonFileStore, STATE_FORMAT, StateError, StateStore};
