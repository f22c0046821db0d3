//! # dirsync-e2e
//!
//! A whole sync across the crates — the real [`huma_api`] and [`azure_graph`] clients, the
//! [`dirsync`] engine — against testkit's fake Huma and fake Graph, shared by the end-to-end
//! tests (`tests/`) and the benchmark (`benches/sync.rs`).
//!
//! - [`world`]: a deterministic population of N people with about 5% differing between the two
//!   sides (conflicts, missing values, people on one side only), and what a sync must do with it.
//! - [`fakes`]: both fakes started and seeded with a world, their counters, and a dump of their
//!   users in a sorted, comparable form (generated ids left out) to compare final states.
//! - [`flow`]: the real clients connected to the fakes, one full sync (both sides read at once,
//!   reconcile, apply), an incremental sync over Graph delta, with timings.
//! - [`memory`]: the process's resident memory and its peak, from `/proc/self/status`.
//!
//! ```no_run
//! use dirsync::store::SyncState;
//! use dirsync_e2e::{fakes::{FakeSettings, Fakes}, flow::{self, SyncOptions, Tuning}, world::World};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let world = World::generate(1_000);
//! let fakes = Fakes::start(&FakeSettings::default()).await;
//! fakes.seed(&world)?;
//! let clients = flow::connect(&fakes.endpoints(), &Tuning::default())?;
//! let mut state = SyncState::new();
//! let run = flow::full_sync(&clients, &mut state, &SyncOptions::default()).await?;
//! assert_eq!(run.report.counts.updated_in_idp, world.expected.update_idp);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod fakes;
pub mod flow;
pub mod memory;
pub mod world;

/// The README's and the guides' Rust blocks, compiled as doc tests (and run, unless a block is
/// marked `no_run`), so that they cannot drift from the API they show. Its dev-dependencies are
/// every crate they use.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../../README.md")]
    struct Readme;
    #[doc = include_str!("../../../examples/README.md")]
    struct Examples;
    #[doc = include_str!("../../../docs/README.md")]
    struct Guides;
    #[doc = include_str!("../../../docs/azure-setup.md")]
    struct AzureSetup;
    #[doc = include_str!("../../../docs/huma-setup.md")]
    struct HumaSetup;
    #[doc = include_str!("../../../docs/field-mapping.md")]
    struct FieldMapping;
    #[doc = include_str!("../../../docs/conflicts.md")]
    struct Conflicts;
    #[doc = include_str!("../../../docs/scim.md")]
    struct Scim;
    #[doc = include_str!("../../../docs/email.md")]
    struct Email;
    #[doc = include_str!("../../../docs/operations.md")]
    struct Operations;
    #[doc = include_str!("../../../docs/leavers.md")]
    struct Leavers;
    #[doc = include_str!("../../../docs/scope.md")]
    struct Scope;
    #[doc = include_str!("../../../docs/review.md")]
    struct Review;
    #[doc = include_str!("../../../docs/embedding.md")]
    struct Embedding;
    #[doc = include_str!("../../../docs/performance.md")]
    struct Performance;
}
