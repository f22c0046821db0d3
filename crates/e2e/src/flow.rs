//! One sync, the way a service embedding the library runs it: the real clients, both sides read at
//! once, reconcile, apply; and the incremental variant over Graph's delta query.

use crate::fakes::Endpoints;
use crate::world::DOMAIN;
use azure_graph::{AzureDirectory, AzureDirectoryConfig, GraphClient, WriteBudget};
use dirsync::{
    ApplyError, ApplyOptions, ConflictRule, CreationRule, Cursor, Directory, DirectoryError,
    IncrementalDirectory, JsonFileStore, MissingRule, Plan, Policy, Report, Snapshot, StateError,
    StateStore, Summary, SyncState, reconcile,
};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig};
use secrecy::SecretString;
use std::time::{Duration, Instant};
use testkit::{FakeGraph, FakeHuma};

/// How the clients and the apply are tuned.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Huma details read at once (and list pages, once the total is known).
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
/// created in Huma.
pub fn policy() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        missing: MissingRule::Fill,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::None,
        ..Policy::default()
    }
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
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { policy: policy(), apply_concurrency: 16, keep_idp: false }
    }
}

impl SyncOptions {
    /// These options with the apply concurrency of `tuning`.
    #[must_use]
    pub fn tuned(mut self, tuning: &Tuning) -> Self {
        self.apply_concurrency = tuning.apply_concurrency;
        self
    }
}

/// How long each step took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Reading both sides (at once).
    pub read: Duration,
    /// Reconciling (pure computation).
    pub reconcile: Duration,
    /// Applying the plan.
    pub apply: Duration,
    /// The whole run.
    pub total: Duration,
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

/// Why a run stopped before or during the apply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Huma could not be read; nothing was written.
    #[error("could not read the people in Huma, so nothing was written: {0}")]
    ReadHr(#[source] DirectoryError),
    /// Azure AD could not be read; nothing was written.
    #[error("could not read the people in Azure AD, so nothing was written: {0}")]
    ReadIdp(#[source] DirectoryError),
    /// The policy left decisions open; nothing was written.
    #[error("{0} decision(s) are pending, so nothing was written")]
    Pending(usize),
    /// The apply stopped (refused credentials) or refused the plan.
    #[error("the apply stopped: {0}")]
    Apply(#[from] ApplyError),
    /// The state file could not be read or written.
    #[error("the state file: {0}")]
    State(#[from] StateError),
}

/// One full sync: reads both sides at once (Huma's list pages in parallel once its total is
/// known, details while pages arrive, Graph's pages in turn), reconciles with `state`, applies,
/// and advances `state`.
///
/// # Errors
/// A failed read (nothing written), pending decisions, or an apply that stopped; after a stopped
/// apply, `state` holds what was written.
pub async fn full_sync(
    clients: &Clients,
    state: &mut SyncState,
    options: &SyncOptions,
) -> Result<SyncRun, SyncError> {
    let started = Instant::now();
    let cursor = async {
        if !options.keep_idp {
            return Ok(None);
        }
        let latest = Cursor::new(latest_delta_link(&clients.azure));
        clients.azure.changes_since(Some(&latest)).await.map(|changes| Some(changes.cursor))
    };
    let (hr, idp, cursor) =
        futures::join!(Snapshot::read(&clients.huma), Snapshot::read(&clients.azure), cursor);
    let hr = hr.map_err(SyncError::ReadHr)?;
    let idp = idp.map_err(SyncError::ReadIdp)?;
    let cursor = cursor.map_err(SyncError::ReadIdp)?;
    let read = started.elapsed();
    let mut run = plan_and_apply(clients, &hr, &idp, state, options, read, started).await?;
    run.kept = cursor.map(|cursor| KeptIdp { snapshot: idp, cursor });
    Ok(run)
}

/// An incremental sync: Huma is read in full (it has no change feed), Azure AD only for what
/// changed since `kept`'s cursor, brought into `kept`'s snapshot; then reconcile and apply as in
/// [`full_sync`]. `kept` moves on to the new cursor.
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
    let (hr, changes) = futures::join!(
        Snapshot::read(&clients.huma),
        clients.azure.changes_since(Some(&kept.cursor))
    );
    let hr = hr.map_err(SyncError::ReadHr)?;
    let changes = changes.map_err(SyncError::ReadIdp)?;
    let brought = changes.changed.len() + changes.removed.len();
    kept.cursor = changes.cursor.clone();
    kept.snapshot.apply_changes(changes);
    let read = started.elapsed();
    let mut run =
        plan_and_apply(clients, &hr, &kept.snapshot, state, options, read, started).await?;
    run.idp_changes = Some(brought);
    Ok(run)
}

async fn plan_and_apply(
    clients: &Clients,
    hr: &Snapshot,
    idp: &Snapshot,
    state: &mut SyncState,
    options: &SyncOptions,
    read: Duration,
    started: Instant,
) -> Result<SyncRun, SyncError> {
    let reconciling = Instant::now();
    let plan = reconcile(hr, idp, state, &options.policy);
    let reconcile_time = reconciling.elapsed();
    let summary = plan.summary();
    if !plan.is_settled() {
        return Err(SyncError::Pending(summary.pending));
    }
    let applying = Instant::now();
    let apply_options =
        ApplyOptions { concurrency: options.apply_concurrency, ..ApplyOptions::default() };
    let hr_dir: &dyn Directory = &clients.huma;
    let idp_dir: &dyn Directory = &clients.azure;
    let report = dirsync::apply(&plan, hr_dir, idp_dir, state, &apply_options, &|_| {}).await?;
    let timings = Timings {
        read,
        reconcile: reconcile_time,
        apply: applying.elapsed(),
        total: started.elapsed(),
    };
    Ok(SyncRun { summary, plan, report, timings, kept: None, idp_changes: None })
}

/// A full sync with its state in `store`: load, run, save (also after an apply that stopped on
/// refused credentials, so what was written is remembered).
///
/// # Errors
/// As [`full_sync`], and a state file that cannot be read or written.
pub async fn sync_with_store(
    clients: &Clients,
    store: &JsonFileStore,
    options: &SyncOptions,
) -> Result<SyncRun, SyncError> {
    let mut state = store.load()?;
    match full_sync(clients, &mut state, options).await {
        Ok(run) => {
            store.save(&state)?;
            Ok(run)
        }
        Err(SyncError::Apply(error @ ApplyError::Fatal { .. })) => {
            store.save(&state)?;
            Err(SyncError::Apply(error))
        }
        Err(other) => Err(other),
    }
}

/// A delta link that starts from now (`$deltatoken=latest`), with the directory's `$select`.
fn latest_delta_link(azure: &AzureDirectory) -> String {
    let select = azure_graph::select(azure_graph::PhoneProperty::MobilePhone).join(",");
    format!("{}/v1.0/users/delta?$select={select}&$deltatoken=latest", azure.client().graph_url())
}
