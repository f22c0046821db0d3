//! # dirsync
//!
//! Keep people in step between an HR system (Huma) and an identity directory (Azure AD / Entra ID),
//! as a library a service embeds.
//!
//! A service runs a sync with a [`Synchronizer`]: two [`Directory`]s (the `huma-api` and
//! `azure-graph` crates implement it over the real services), a [`StateStore`] that remembers
//! what the last sync agreed on, and a [`Policy`]:
//!
//! ```
//! use dirsync::{
//!     ApplyOptions, ConflictRule, CreationRule, Decision, InMemoryDirectory, MemoryStore, Person,
//!     Policy, Record, Synchronizer,
//! };
//! # futures::executor::block_on(async {
//! // Over the real services: `huma_api::HumaDirectory`, `azure_graph::AzureDirectory`, and a
//! // `JsonFileStore` (see the `embed` example); here, directories in memory.
//! let huma = InMemoryDirectory::new([
//!     Record::new("h1", Person::new().with_email("ada@example.com").with_job_title("CTO")),
//!     Record::new("h2", Person::new().with_email("bo@example.com").with_given_name("Bo")),
//! ])
//! .with_name("Huma");
//! let azure = InMemoryDirectory::new([
//!     Record::new("a1", Person::new().with_email("Ada@example.com").with_job_title("Engineer")),
//! ])
//! .with_name("Azure AD");
//! let store = MemoryStore::new();
//! let policy = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
//! let sync = Synchronizer::new(&huma, &azure, &store)
//!     .with_policy(policy)
//!     .with_apply_options(ApplyOptions::default().with_max_people_changed(Some(100)));
//!
//! // 1. Read both sides at once under the state's lease, and plan.
//! let mut planned = sync.plan().await?;
//! assert_eq!(planned.plan().summary().conflicts, 1); // Ada's job title
//! assert_eq!(planned.plan().summary().create_in_idp, 1); // Bo
//!
//! // 2. Settle what the policy left open (here: Huma wins), or ask a person.
//! for id in planned.pending() {
//!     planned.decide(&id, Decision::UseHr)?;
//! }
//!
//! // 3. Apply under the same lease, save the state, get the report.
//! let synced = planned.apply().await?;
//! assert_eq!(synced.report.counts.updated_in_idp, 1);
//! assert_eq!(synced.report.counts.created_in_idp, 1);
//! assert_eq!(azure.records().len(), 2);
//! // The report is data (JSON); the `dirsync-report` crate lays it out as a page or an email.
//! assert!(synced.report.to_json()?.contains("\"updated_in_idp\":1"));
//!
//! // Run again: nothing is left to do.
//! let again = sync.plan().await?;
//! assert!(again.plan().operations()?.operations.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! What a sync does, step by step (each step is public, for a service that runs them itself):
//!
//! 1. **Read** a [`Snapshot`] of each side through the [`Directory`] trait: every record, or an
//!    error; never a partial read.
//! 2. **Reconcile** with [`reconcile`], a pure function: pair records (remembered links, then
//!    employment id, then email), compare the supported [`Field`]s, and produce a [`Plan`] of
//!    missing values, one-sided changes, conflicts, creations and [`Finding`]s.
//! 3. **Decide**: the [`Policy`] settles what it can; the rest are pending decisions a person
//!    settles by id ([`PlannedSync::decide`]).
//! 4. **Apply** the settled plan ([`apply`]): the writes through both directories with bounded
//!    concurrency and a timeout each, and a [`Report`]: plain data (JSON), which the
//!    `dirsync-report` crate lays out as an HTML page, Markdown and the report email.
//! 5. **Remember** the [`SyncState`] (links and the values both sides agreed on) through the
//!    [`StateStore`], so the next run can tell who changed what.
//!
//! Changes made in Huma reach Azure AD at once with [`RealtimePush`], from Huma's webhooks; the
//! state's lease and atomic updates keep a sync and the receiver from undoing each other's work,
//! across processes.
#![warn(missing_docs)]

mod accounts;
mod apply;
mod capabilities;
mod country;
mod directory;
mod email;
mod error;
mod field;
mod id;
mod item;
mod mail;
mod memory;
mod names;
mod news;
mod operations;
mod person;
mod plan;
mod policy;
mod quarantine;
mod realtime;
mod reconcile;
mod record;
mod report;
mod scope;
mod side;
mod state;
mod store;
mod sync;
mod text;
mod timeout;

pub use accounts::{
    AccountAction, AccountChange, AccountReason, DisabledAccount, default_max_disables,
};
pub use apply::{ApplyError, ApplyOptions, DirectoryPair, Progress, ProgressFn, apply};
pub use capabilities::{Capabilities, InvalidCharacters, LengthUnit, Limits, NewRecord, TooLong};
pub use country::{CountryCode, CountryError};
pub use directory::{
    Changes, Cursor, Directory, FieldChange, IncrementalDirectory, LOOK_UP_CONCURRENCY,
    MAX_UNREADABLE_PERCENT, Snapshot, check_unreadable, same_person,
};
pub use email::{EmailError, check_email};
pub use error::{DirectoryError, ErrorChain, ErrorKind};
pub use field::{Field, FieldSet};
pub use id::ItemId;
pub use item::{ItemKind, PlanItem};
pub use mail::{Attachment, Email, EmailOn, MailError, MailErrorKind, Mailer, send_email};
pub use memory::InMemoryDirectory;
pub use names::Names;
pub use news::REMINDER_INTERVAL;
pub use operations::{Create, Operation, Operations, PlannedChange, SkippedWrite, Update};
pub use person::{Address, FieldRef, FieldValue, Person, WrongKind};
pub use plan::{
    BlockReason, Blocked, BrokenLink, Change, ChangeKind, Creation, DecidedBy, Decision,
    DecisionError, Finding, FindingKind, KeptLink, MatchedBy, Pair, PendingDecisions, Plan,
    RecordRef, Settled, Summary,
};
pub use policy::{ConflictRule, CreationRule, Leavers, MissingRule, Policy, Scope};
pub use quarantine::{HeldWrite, RETRY_SCHEDULE, Write, held_back, is_held_back};
pub use realtime::{
    AutoProvisioning, HrChange, HrEvent, PersonLocks, PersonPush, PushAction, PushSettings,
    PushSummary, RealtimePush,
};
pub use reconcile::reconcile;
pub use record::{InvalidValue, Record, RecordId};
pub use report::{
    Action, Counts, FieldReport, HeldItem, News, OperationReport, Outcome, Report, SkippedItem,
    Stopped,
};
pub use scope::{ScopeCount, ScopeStatus};
pub use side::Side;
pub use state::{Link, Reported, SyncState};
pub use store::{
    HistoryQuery, JsonFileStore, Lease, LeaseHolder, MemoryStore, RunEntry, RunHistory, RunOutcome,
    RunRecord, STATE_FORMAT, StateChanges, StateError, StateStore, WriteOutcome, WriteRecord,
    release_held, replace_file, replace_private_file,
};
pub use sync::{LeasedSync, PlannedSync, SyncError, Synced, Synchronizer, Timings};
