//! # dirsync
//!
//! Keep people in step between an HR system (Huma) and an identity directory (Azure AD / Entra ID),
//! as a library a service embeds.
//!
//! A service runs a sync with a [`sync::Synchronizer`]: two [`directory::Directory`]s (the
//! `huma-api` and `azure-graph` crates implement it over the real services), a
//! [`store::StateStore`] that remembers what the last sync agreed on, and a [`policy::Policy`]:
//!
//! ```
//! use dirsync::prelude::*; // the names most services use; the rest by module, below
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
//! 1. **Read** a [`directory::Snapshot`] of each side through the [`directory::Directory`] trait:
//!    every record, or an error; never a partial read.
//! 2. **Reconcile** with [`plan::reconcile`], a pure function: pair records (remembered links,
//!    then employment id, then email), compare the supported [`model::Field`]s, and produce a
//!    [`plan::Plan`] of missing values, one-sided changes, conflicts, creations and [`plan::Finding`]s.
//! 3. **Decide**: the [`policy::Policy`] settles what it can; the rest are pending decisions a
//!    person settles by id ([`sync::PlannedSync::decide`]).
//! 4. **Apply** the settled plan ([`apply::apply()`]): the writes through both directories with
//!    bounded concurrency and a timeout each, and a [`report::Report`]: plain data (JSON), which the
//!    `dirsync-report` crate lays out as an HTML page, Markdown and the report email.
//! 5. **Remember** the [`store::SyncState`] (links and the values both sides agreed on) through the
//!    [`store::StateStore`], so the next run can tell who changed what.
//!
//! Changes made in Huma reach Azure AD at once with [`realtime::RealtimePush`], from Huma's
//! webhooks; the state's lease and atomic updates keep a sync and the receiver from undoing each
//! other's work, across processes.
//!
//! # Where things are
//!
//! | Module | What it holds |
//! |---|---|
//! | [`prelude`] | the names most services use, to import with `use dirsync::prelude::*` |
//! | [`sync`] | [`sync::Synchronizer`]: a whole run under the state's lease |
//! | [`directory`] | the [`directory::Directory`] trait, [`directory::Record`]s, snapshots, errors, capabilities, a directory in memory |
//! | [`model`] | a [`model::Person`], the supported [`model::Field`]s and values, countries, [`model::Side`] |
//! | [`policy`] | the [`policy::Policy`]: rules for conflicts, missing values, creations, leavers, and the [`policy::Scope`] |
//! | [`plan`] | [`plan::reconcile`] and its [`plan::Plan`]: pairs, changes, creations, findings, decisions, operations |
//! | [`apply`](mod@apply) | [`apply::apply()`] and its options, thresholds and progress |
//! | [`held`] | writes refused for good and held back |
//! | [`report`] | the [`report::Report`] of a run, as data |
//! | [`store`] | the [`store::SyncState`] and where it lives: [`store::StateStore`], its lease, the run history |
//! | [`realtime`] | [`realtime::RealtimePush`]: Huma's webhooks pushed at once |
//! | [`mail`] | the report email's [`mail::Mailer`] trait and when to send |
#![warn(missing_docs)]

mod accounts;
pub mod apply;
mod capabilities;
mod country;
pub mod directory;
mod email;
mod error;
mod field;
mod id;
mod item;
pub mod mail;
mod memory;
mod names;
mod news;
mod operations;
mod person;
pub mod plan;
pub mod policy;
mod quarantine;
pub mod realtime;
mod reconcile;
mod record;
pub mod report;
mod scope;
mod side;
mod state;
pub mod store;
pub mod sync;
mod text;
mod timeout;

pub mod held;
pub mod model;
pub mod prelude;

// The crate's own code names everything from the root; the public paths are the modules above.
use accounts::{
    AccountAction, AccountChange, AccountReason, DisabledAccount, default_max_disables,
};
use apply::{ApplyError, ApplyOptions, DirectoryPair};
use capabilities::{Capabilities, InvalidCharacters, NewRecord, TooLong};
use country::CountryCode;
use directory::{Changes, Cursor, Directory, FieldChange, IncrementalDirectory, Snapshot};
use email::check_email;
use error::{DirectoryError, ErrorChain, ErrorKind};
use field::{Field, FieldSet};
use id::ItemId;
use item::PlanItem;
use names::Names;
use operations::{Create, Operation, Operations, SkippedWrite, Update};
use person::{FieldRef, FieldValue, Person};
use plan::{
    BlockReason, Blocked, BrokenLink, Change, ChangeKind, Creation, DecidedBy, Decision,
    DecisionError, Finding, FindingKind, KeptLink, MatchedBy, Pair, PendingDecisions, Plan,
    RecordRef, Settled,
};
use policy::{ConflictRule, CreationRule, Leavers, MissingRule, Policy, Scope};
use quarantine::{HeldWrite, Write};
use reconcile::reconcile;
use record::{InvalidValue, Record, RecordId};
use report::{Action, Counts, HeldItem, Outcome, Report};
use scope::{ScopeCount, ScopeStatus};
use side::Side;
use state::{Link, Reported, SyncState};
use store::{
    Lease, LeaseHolder, RunOutcome, RunRecord, StateChanges, StateError, StateStore, release_held,
};
