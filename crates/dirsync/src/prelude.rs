//! The names a service that runs a sync uses most, to import at once:
//!
//! ```
//! use dirsync::prelude::*;
//!
//! let huma = InMemoryDirectory::new([Record::new("h1", Person::new().with_given_name("Ada"))]);
//! let azure = InMemoryDirectory::new([]);
//! let store = MemoryStore::new();
//! let sync = Synchronizer::new(&huma, &azure, &store).with_policy(Policy::default());
//! # let _ = sync;
//! ```
//!
//! Everything else is in the module that holds it: [`crate::plan`], [`crate::store`],
//! [`crate::report`], [`crate::realtime`], …

pub use crate::apply::ApplyOptions;
pub use crate::directory::{Directory, DirectoryError, InMemoryDirectory, Record, RecordId};
pub use crate::model::{Address, Field, Person, Side};
pub use crate::plan::{Decision, Plan};
pub use crate::policy::{ConflictRule, CreationRule, MissingRule, Policy, Scope};
pub use crate::realtime::RealtimePush;
pub use crate::report::Report;
pub use crate::store::{JsonFileStore, MemoryStore, StateStore};
pub use crate::sync::{PlannedSync, SyncError, Synced, Synchronizer};
