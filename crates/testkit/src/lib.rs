//! # testkit
//!
//! Stateful fake servers for tests, demos and benchmarks: [`FakeGraph`] plays Microsoft Graph and
//! the Microsoft identity platform's token endpoint, [`FakeHuma`] plays Huma's Open API. Both are
//! [wiremock](https://docs.rs/wiremock) servers whose one custom responder works over shared state,
//! so what a client writes it reads back, and what a test seeds the client sees.
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
//! // Point a Graph client at the fake: `.graph_url(graph.graph_url())` and
//! // `.login_url(graph.login_url())`, with FakeGraph::TENANT_ID, CLIENT_ID and CLIENT_SECRET.
//! // Run it, then look at what it did:
//! let counts = graph.counts();
//! println!("{} list pages, {} throttled", counts.get(Route::ListUsers), counts.faults_injected);
//! # Ok(()) }
//! ```
//!
//! ## Pointing a client at the fakes
//! Each fake answers the credentials of its default configuration, and has a method named after
//! each address its client's builder takes, returning exactly what that setter wants:
//!
//! | fake | credentials | addresses |
//! |---|---|---|
//! | [`FakeGraph`] | tenant [`FakeGraph::TENANT_ID`] (`11111111-2222-3333-4444-555555555555`), client [`FakeGraph::CLIENT_ID`], secret [`FakeGraph::CLIENT_SECRET`] | `.graph_url(graph.graph_url())`, `.login_url(graph.login_url())` |
//! | [`FakeHuma`] | client [`FakeHuma::CLIENT_ID`], secret [`FakeHuma::CLIENT_SECRET`] | `.base_url(huma.base_url())` |
//!
//! For requests made by hand: [`FakeGraph::token_endpoint`] and [`FakeGraph::api_url`]
//! (`{uri}/v1.0`), [`FakeHuma::token_endpoint`].
//!
//! ## Fake Graph ([`FakeGraph`], [`GraphConfig`])
//! - `POST {uri}/{tenant}/oauth2/v2.0/token`, form-encoded: `client_credentials` (needs a
//!   `scope` ending in `/.default`), `authorization_code` (codes from [`FakeGraph::sign_in`],
//!   redeemed once with the sign-in's `redirect_uri` and PKCE verifier, or unbound ones from
//!   [`FakeGraph::issue_authorization_code`]; a refresh token when the scope holds
//!   `offline_access`) and `refresh_token` (each use returns a new one and retires the old).
//!   Errors are the identity platform's (`AADSTS7000215` wrong secret, `AADSTS7000222` expired
//!   secret, `AADSTS700016` unknown client, `AADSTS90002` unknown tenant, `AADSTS700082` /
//!   `AADSTS70008` for refresh tokens, `AADSTS50011` / `AADSTS50148` for a code redeemed with
//!   another redirect URI or the wrong PKCE verifier).
//! - `GET {uri}/v1.0/users`: `$select` (only those properties and `id`), `$top` (default 100,
//!   1 to 999), `@odata.nextLink` with an opaque `$skiptoken`; `$filter` (`eq`, `startswith`,
//!   `and`/`or`) and `$count=true` (with `ConsistencyLevel: eventual`). Users are in id order.
//! - `GET|PATCH {uri}/v1.0/users/{id or userPrincipalName}`, `POST {uri}/v1.0/users`: Graph's
//!   validation, length limits and error bodies; admins ([`FakeGraph::set_admin`]) refuse
//!   sensitive properties (`accountEnabled` among them) with 403.
//! - Groups ([`FakeGraph::insert_group`], [`FakeGraph::add_group_member`], nested groups too):
//!   `GET {uri}/v1.0/groups/{id}/transitiveMembers` and its cast `…/microsoft.graph.user`
//!   (`$select`, `$top`, `@odata.nextLink`; 404 `Request_ResourceNotFound` for a group that does
//!   not exist), `POST {uri}/v1.0/groups/{id}/members/$ref` (a write; 400 for a member already
//!   there) and `POST {uri}/v1.0/users/{id}/checkMemberGroups` (at most 20 groups).
//! - `POST {uri}/v1.0/users/{id or userPrincipalName}/revokeSignInSessions`: 200
//!   `{"value": true}`, counted per user ([`FakeGraph::revocations`]); 404 for an unknown user,
//!   403 for an admin.
//! - Per-user refusals ([`FakeGraph::refuse_writes`]): every write to one user answers a given
//!   status and Graph error until [`FakeGraph::accept_writes`]. Users of the wrong shape
//!   ([`FakeGraph::set_raw_property`]): one property answered as any JSON value, e.g.
//!   `"jobTitle": 42`, by list, get and delta.
//! - `GET {uri}/v1.0/users/delta`: a full round ending in `@odata.deltaLink`, then only what
//!   changed (writes, seeding and [`FakeGraph::delete_user`] included; with
//!   `Prefer: return=minimal`, only the properties that changed); `$deltatoken=latest`;
//!   410 `syncStateNotFound` after [`FakeGraph::expire_delta_tokens`] or
//!   [`GraphConfig::delta_token_ttl`].
//! - `POST {uri}/v1.0/$batch`: up to 20 requests, each counted, faulted and budgeted on its own;
//!   a write among them (`POST`, `PUT`, `PATCH`) without a `Content-Type` header or a body
//!   answers Graph's inner 400 `BadRequest` "Write request id : N does not contain
//!   Content-Type header or body.".
//! - `POST {uri}/v1.0/users/{id or userPrincipalName}/sendMail`: answers 202 and keeps the
//!   message ([`FakeGraph::sent_mail`]); 404 `ErrorInvalidUser` for an unknown sender, 403
//!   `ErrorAccessDenied` without the permission ([`FakeGraph::set_mail_send_permission`]).
//! - The write budget ([`WriteBudget`]): creations and updates beyond it answer 429 with
//!   `Retry-After`.
//!
//! ## Fake Huma ([`FakeHuma`], [`HumaConfig`])
//! - `POST {uri}/auth/oauth/token` (form or JSON; `client_credentials` or `refresh_token`).
//! - `GET {uri}/users?limit&offset` (`PageUser`; `limit` default 25, over 50 answers 400),
//!   filters `isActive`, `search`, `id`, `team`, `location`, `company` (each up to 25 UUIDs,
//!   repeated or comma-separated: users in any of them; the filters together narrow),
//!   `orderDirection`; users in creation order.
//! - Teams, locations and companies ([`FakeHuma::insert_group`], [`FakeHuma::add_to_group`]):
//!   users' `teams`, `locations` and `companies`, and `GET {uri}/groups/{id}` (404
//!   `object:not-found` for one that does not exist).
//! - `GET|PATCH {uri}/users/{id}` (`UserDetails`, every field wrapped; locked fields
//!   ([`FakeHuma::lock_field`]) answer `editable: false` and refuse PATCHes with 400),
//!   `POST {uri}/users` (`UserInput`).
//! - `GET|POST {uri}/users/{userId}/positions`, `GET|PATCH {uri}/users/{userId}/positions/{id}`,
//!   `GET|POST {uri}/job-titles`, `GET {uri}/job-titles/{id}`.
//! - One user's controls: raw JSON of any type on a property of their list entry or details
//!   ([`FakeHuma::set_raw_property`], [`HumaView`]), an inactive account
//!   ([`FakeHuma::set_active`]), deletion (then 404 `object:not-found`,
//!   [`FakeHuma::delete_user`]), and writes that answer a given status and body
//!   ([`FakeHuma::fail_writes`]).
//! - Huma's profile webhooks, sent to a receiver as Huma sends them ([`HumaWebhook`]): the
//!   topic in the body and in `huma-topic`, the body signed in `huma-hmac-sha256`.
//!
//! ## What both front ends refuse
//! A `POST`, `PUT` or `PATCH` that carries neither `Content-Length` nor chunked
//! `Transfer-Encoding` answers 411 Length Required (the HTML page of Microsoft's front ends,
//! HTTP.sys), before anything else is looked at; such requests are counted in
//! [`RequestCounts::length_required`].
//!
//! ## Knobs both have
//! Latency added to every answer (`latency`, `set_latency`); fault rules ([`FaultRule`]: 429 with
//! `Retry-After`, 5xx, dropped connections; by rate from a seeded stream, by request number, or
//! every n-th request; on chosen [`Route`]s), replaceable at run time with `set_faults`; access
//! tokens that stop working after N requests (`token_max_uses`) or at once
//! (`expire_access_tokens`); request counters ([`RequestCounts`] from `counts()`).
//!
//! ## Dropped connections
//! A [`Fault::DropConnection`] closes the connection after the request was read and before any
//! response: the client sees a connection error (reset / "connection closed before message
//! completed"), at once, not a timeout. The dropped request has no effect on the state.
//! [`Fault::DropAfterApply`] carries the request out first, then drops the connection (a write
//! that happened although the client saw an error). Latency is not added to dropped requests.
//!
//! ## A real PostgreSQL ([`postgres::TempPostgres`])
//! Not a fake: a throwaway PostgreSQL cluster (`initdb` in a temporary folder, a free loopback
//! port, password authentication, TLS on request), for the state store's tests. Without
//! PostgreSQL installed it says in one line that the tests are skipped, unless
//! `DIRSYNC_REQUIRE_POSTGRES` is set (`.ci/run` sets it).
//!
//! ## Load
//! Users live in ordered maps, pages are found by key or index, and request recording is off, so a
//! page costs what it holds, not what the fake holds: 100k users read in pages of 999 at 20 ms
//! latency take about 3 s, and 100k Huma details 64 at a time about 35 s (latency-bound).
//! wiremock answers one request at a time (the delay is waited outside that), so handler cost,
//! not latency, bounds throughput.

mod counters;
pub mod demo;
mod faults;
mod graph;
mod huma;
mod intercept;
#[cfg(unix)]
pub mod postgres;
mod python;
mod route;
mod server;
mod support;

pub use counters::RequestCounts;
pub use faults::{Fault, FaultRule, Trigger};
pub use graph::{
    FakeGraph, GraphConfig, GraphUser, SentAttachment, SentMail, SignInPage, WriteBudget,
};
pub use huma::{
    FakeHuma, HumaAddress, HumaConfig, HumaGroup, HumaGroupKind, HumaPosition, HumaUser, HumaView,
    HumaWebhook, JobTitle, huma_signature,
};
pub use intercept::{Intercept, Intercepted};
pub use python::PythonTool;
pub use route::Route;
pub use support::{Captured, fast_retry, free_port};

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
