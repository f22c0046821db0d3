//! # testkit
//!
//! Stateful fake servers for tests, demos and benchmarks: [`FakeGraph`] plays Microsoft Graph and
//! the Microsoft identity platform's token endpoint, [`FakeHuma`] plays Huma's Open API. Both are
//! [wiremock](https://docs.rs/wiremock) servers whose one custom responder works over shared state,
//! so what a client writes it reads back, and what a test seeds the client sees.
//!
//! Knobs common to both: per-request latency, injected faults ([`FaultRule`]: 429 with
//! `Retry-After`, 5xx, dropped connections; by rate or by request number), access tokens that
//! expire after N requests, and request counters ([`RequestCounts`], per [`Route`]). Graph also has
//! its write budget ([`WriteBudget`]).
//!
//! ```no_run
//! use testkit::{FakeGraph, FaultRule, GraphConfig, GraphUser, Route};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let graph = FakeGraph::start(GraphConfig {
//!     faults: vec![FaultRule::throttle(1).on_requests([2]).on_routes([Route::ListUsers])],
//!     ..GraphConfig::default()
//! })
//! .await;
//! graph.insert_user(GraphUser::new("ada@example.com"))?;
//! // Point a client at graph.uri() (token at graph.token_url()), run it, then:
//! assert_eq!(graph.counts().get(Route::ListUsers), 0);
//! # Ok(()) }
//! ```
//!
//! ## Dropped connections
//! A [`Fault::DropConnection`] closes the connection after the request was read and before any
//! response: the client sees a connection error (reset / "connection closed before message
//! completed"), at once, not a timeout. The dropped request has no effect on the state.
//! [`Fault::DropAfterApply`] carries the request out first, then drops the connection (a write
//! that happened although the client saw an error). Latency is not added to dropped requests.

mod counters;
mod faults;
mod graph;
mod huma;
mod route;
mod server;

pub use counters::RequestCounts;
pub use faults::{Fault, FaultRule, Trigger};
pub use graph::{FakeGraph, GraphConfig, GraphUser, WriteBudget};
pub use huma::{FakeHuma, HumaAddress, HumaConfig, HumaPosition, HumaUser, JobTitle};
pub use route::Route;

/// Why seeding a user failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeedError {
    /// Another user already holds this userPrincipalName (Graph) or email (Huma).
    Taken(String),
    /// There is no such user or object.
    NotFound(String),
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::Taken(key) => write!(f, "another user already holds {key}"),
            SeedError::NotFound(key) => write!(f, "there is no {key}"),
        }
    }
}

impl std::error::Error for SeedError {}
