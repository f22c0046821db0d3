//! The real clients connected to the fakes, and one sync through the library's
//! [`Synchronizer`]: a full one, and an incremental one over Graph's delta query (the library
//! reads Huma; Azure AD's changes come from the delta feed into a snapshot kept in memory).

use crate::fakes::Endpoints;
use crate::world::DOMAIN;
use azure_graph::{AzureDirectory, AzureDirectoryConfig, GraphClient, WriteBudget};
use dirsync::{
    apply::ApplyOptions,
    directory::{Cursor, Directory, IncrementalDirectory, Snapshot},
    model::Side,
    plan::{Plan, Summary},
    policy::Policy,
    report::Report,
    store::{MemoryStore, StateStore, SyncState},
    sync::{SyncError, Synchronizer, Timings},
};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig};
use secrecy::SecretString;
use std::time::{Duration, Instant};
use testkit::{FakeGraph, FakeHuma};

/// How the clients and the apply are tuned.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Huma requests in flight at once (list pages come one by one, details at once).
    pub huma_concurrency: usize,
    /// Graph requests in flight at once.
    pub graph_concurrency: usize,
    /// Writes (an update, a batch of 20 Graph updates, or a creation) under way at once.
    pub apply_concurrency: usize,
    /// The write budget the Graph client keeps to (`None`: none).
    pub write_budget: Option<WriteBudget>,
    /// How the Huma client retries.
    pub huma_retry: huma_api::RetryPolicy,
    /// How the Graph client retries.
    pub graph_retry: azure_graph::RetryPolicy,
    /// The timeout of one HTTP request.
    pub timeout: Duration,
}

impl Default for Tuning {
    /// What the tests use against fakes without latency: 64 Huma reads, 16 Graph requests and
    /// 16 writes at once; no client-side write budget (the tests write far less than the fake's);
    /// the clients' default retry policies.
    fn default() -> Self {
        Tuning {
            huma_concurrency: 64,
            graph_concurrency: 16,
            apply_concurrency: 16,
            write_budget: None,
            huma_retry: huma_api::RetryPolicy::default(),
            graph_retry: azure_graph::RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// The two directories over the real clients.
#[derive(Debug)]
pub struct Clients {
    /// Huma.
    pub huma: HumaDirectory,
    /// Azure AD.
    pub azure: AzureDirectory,
}

/// Why the clients could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The Huma client refused its configuration.
    #[error("the Huma client could not be built: {0}")]
    Huma(#[from] huma_api::HumaError),
    /// The Graph client refused its configuration.
    #[error("the Graph client could not be built: {0}")]
    Graph(#[from] azure_graph::GraphError),
}

/// Connects the real clients to the fakes at `endpoints`, with the fakes' credentials.
///
/// # Errors
/// A client refused its configuration.
pub fn connect(endpoints: &Endpoints, tuning: &Tuning) -> Result<Clients, ConnectError> {
    let huma = HumaClient::builder()
        .base_url(&endpoints.huma)
        .credentials(FakeHuma::CLIENT_ID, SecretString::from(FakeHuma::CLIENT_SECRET))
        .max_concurrency(tuning.huma_concurrency)
        .retry(tuning.huma_retry)
        .timeout(tuning.timeout)
        .build()?;
    let graph = GraphClient::builder()
        .tenant(FakeGraph::TENANT_ID)
        .client_credentials(FakeGraph::CLIENT_ID, SecretString::from(FakeGraph::CLIENT_SECRET))
        .graph_url(&endpoints.graph)
        .login_url(&endpoints.graph)
        .max_concurrency(tuning.graph_concurrency)
        .write_budget(tuning.write_budget)
        .retry(tuning.graph_retry)
        .timeout(tuning.timeout)
        .build()?;
    Ok(Clients {
        huma: HumaDirectory::new(huma, HumaDirectoryConfig::default()),
        azure: AzureDirectory::new(
            graph,
            AzureDirectoryConfig {
                upn_domain: DOMAIN.to_owned(),
                ..AzureDirectoryConfig::default()
            },
        ),
    })
}

/// The policy of every run here, as Huma's own integration works: Huma wins conflicts, missing
/// values are filled on the empty side, people only in Huma are created in Azure AD, nobody is
/// created in Huma: the demo company's ([`testkit::demo::policy`]).
pub fn policy() -> Policy {
    testkit::demo::policy()
}

/// How one run goes.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The policy.
    pub policy: Policy,
    /// Writes under way at once.
    pub apply_concurrency: usize,
    /// Keep Azure AD's snapshot and a delta cursor taken before the read, for
    /// [`incremental_sync`] (costs one more Graph request).
    pub keep_idp: bool,
    /// Try the writes held back after a refusal again now ([`ApplyOptions::retry_held`]).
    pub retry_held: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { policy: policy(), apply_concurrency: 16, keep_idp: false, retry_held: false }
    }
}

impl SyncOptions {
    /// These options with the apply concurrency of `tuning`.
    #[must_use]
    pub fn tuned(mut self, tuning: &Tuning) -> Self {
        self.apply_concurrency = tuning.apply_concurrency;
        self
    }

    fn synchronizer<'a>(
        &self,
        clients: &'a Clients,
        store: &'a dyn StateStore,
    ) -> Synchronizer<'a> {
        let options = ApplyOptions::default()
            .with_concurrency(self.apply_concurrency)
            .with_retry_held(self.retry_held);
        Synchronizer::new(&clients.huma, &clients.azure, store)
            .with_policy(self.policy.clone())
            .with_apply_options(options)
    }
}

/// Azure AD as the last run saw it, and where its change feed stood before that read.
#[derive(Debug, Clone)]
pub struct KeptIdp {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// The delta cursor.
    pub cursor: Cursor,
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct SyncRun {
    /// The plan's summary.
    pub summary: Summary,
    /// The plan.
    pub plan: Plan,
    /// The apply's report.
    pub report: Report,
    /// How long each step took.
    pub timings: Timings,
    /// Azure AD's snapshot and delta cursor, when asked for.
    pub kept: Option<KeptIdp>,
    /// How many Azure AD records the incremental read brought (changed and removed); `None` for a
    /// full read.
    pub idp_changes: Option<usize>,
}

impl SyncRun {
    fn from(synced: dirsync::sync::Synced) -> Self {
        SyncRun {
            summary: synced.plan.summary(),
            plan: synced.plan,
            report: synced.report,
            timings: synced.timings,
            kept: None,
            idp_changes: None,
        }
    }
}

/// One full sync with its state in `store`, through the library's [`Synchronizer`].
///
/// # Errors
/// As [`dirsync::sync::PlannedSync::apply`]; pending decisions are refused.
pub async fn sync_with_store(
    clients: &Clients,
    store: &dyn StateStore,
    options: &SyncOptions,
) -> Result<SyncRun, SyncError> {
    let synced = options.synchronizer(clients, store).plan().await?.apply().await?;
    Ok(SyncRun::from(synced))
}

/// One full sync of the state in memory, `state`, which moves on with it; with
/// [`SyncOptions::keep_idp`], also a delta cursor taken before the read and Azure AD's snapshot
/// for [`incremental_sync`].
///
/// # Errors
/// As [`sync_with_store`]; after a stopped apply, `state` holds what was written.
pub async fn full_sync(
    clients: &Clients,
    state: &mut SyncState,
    options: &SyncOptions,
) -> Result<SyncRun, SyncError> {
    let store = MemoryStore::with_state(state.clone());
    let result = if options.keep_idp {
        kept_sync(clients, &store, options).await
    } else {
        sync_with_store(clients, &store, options).await
    };
    *state = store.load().await?;
    result
}

/// A full sync that also keeps Azure AD's snapshot and a delta cursor taken before its read.
async fn kept_sync(
    clients: &Clients,
    store: &dyn StateStore,
    options: &SyncOptions,
) -> Result<SyncRun, SyncError> {
    let leased = options.synchronizer(clients, store).begin().await?;
    let latest = Cursor::new(latest_delta_link(&clients.azure));
    let (hr, idp, changes) = futures::join!(
        Snapshot::read(&clients.huma),
        Snapshot::read(&clients.azure),
        clients.azure.changes_since(Some(&latest))
    );
    let hr = hr.map_err(read_failed(clients, Side::Hr))?;
    let idp = idp.map_err(read_failed(clients, Side::Idp))?;
    let cursor = changes.map_err(read_failed(clients, Side::Idp))?.cursor;
    let mut run = SyncRun::from(leased.plan_with(&hr, &idp).apply().await?);
    run.kept = Some(KeptIdp { snapshot: idp, cursor });
    Ok(run)
}

/// An incremental sync: Huma is read in full (it has no change feed), Azure AD only for what
/// changed since `kept`'s cursor, brought into `kept`'s snapshot; then planned and applied under
/// the library's lease as in [`full_sync`]. `kept` moves on to the new cursor.
///
/// # Errors
/// As [`full_sync`].
pub async fn incremental_sync(
    clients: &Clients,
    state: &mut SyncState,
    kept: &mut KeptIdp,
    options: &SyncOptions,
) -> Result<SyncRun, SyncError> {
    let started = Instant::now();
    let store = MemoryStore::with_state(state.clone());
    let leased = options.synchronizer(clients, &store).begin().await?;
    let (hr, changes) = futures::join!(
        Snapshot::read(&clients.huma),
        clients.azure.changes_since(Some(&kept.cursor))
    );
    let hr = hr.map_err(read_failed(clients, Side::Hr))?;
    let changes = changes.map_err(read_failed(clients, Side::Idp))?;
    let brought = changes.changed.len() + changes.removed.len();
    kept.cursor = changes.cursor.clone();
    kept.snapshot.apply_changes(changes);
    let idp_name = clients.azure.name();
    dirsync::directory::check_unreadable(idp_name, &kept.snapshot.records)
        .map_err(read_failed(clients, Side::Idp))?;
    let result = leased.plan_with(&hr, &kept.snapshot).apply().await;
    *state = store.load().await?;
    let mut run = SyncRun::from(result?);
    run.idp_changes = Some(brought);
    run.timings.total = started.elapsed();
    Ok(run)
}

fn read_failed(
    clients: &Clients,
    side: Side,
) -> impl Fn(dirsync::directory::DirectoryError) -> SyncError {
    let system = match side {
        Side::Hr => clients.huma.name(),
        Side::Idp => clients.azure.name(),
    }
    .to_owned();
    move |source| SyncError::Read { side, system: system.clone(), source }
}

/// A delta link that starts from now (`$deltatoken=latest`), with the directory's `$select`.
fn latest_delta_link(azure: &AzureDirectory) -> String {
    let select = azure_graph::select(azure_graph::PhoneProperty::MobilePhone).join(",");
    format!("{}/v1.0/users/delta?$select={select}&$deltatoken=latest", azure.client().graph_url())
}
