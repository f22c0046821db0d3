//! # dirsync-review
//!
//! Huma's "Synchronize users" step as a page a service mounts: an axum [`Router`] over a sync of
//! two directories and a state store. It plans under the state's lease, shows the conflicts and
//! missing values to decide (one choice for all, or one per item), the people found on one side
//! only to tick for creation, the findings and held-back writes; "Synchronize users" applies under
//! the same lease with live progress, then shows the report (the report email's content) and
//! sends the email when asked.
//!
//! ```no_run
//! use dirsync::{directory::InMemoryDirectory, policy::Policy, store::MemoryStore};
//! use dirsync_review::Review;
//! use std::sync::Arc;
//! # async fn demo() -> std::io::Result<()> {
//! let review = Review::new(
//!     Arc::new(InMemoryDirectory::new([]).with_name("Huma")),
//!     Arc::new(InMemoryDirectory::new([]).with_name("Azure AD")),
//!     Arc::new(MemoryStore::new()),
//! )
//! .with_policy(Policy::default())
//! .start();
//! // Under the service's own path and auth (a tower layer of its own):
//! let app = axum::Router::new().nest("/admin/sync", review.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The guarantees the page keeps:
//!
//! - **One apply per plan.** The plan and its lease live in one task; the first "Synchronize
//!   users" claims the plan, and any other tab or a second press is shown the same progress.
//! - **A stale plan writes nothing.** Just before writing, both directories and the state are
//!   read again and planned with the same policy; unless that plan equals the one the page was
//!   built from, nothing is written, the lease is let go and the page offers to plan again.
//! - **Forms are read strictly.** A form that names an unknown field, decision, person or choice
//!   is refused whole (400, saying what was wrong); one for an older plan is refused (409).
//! - **Forms from other sites are refused** (`Sec-Fetch-Site` and `Origin` must be the page's
//!   own); [`Access::local`] adds a token on every request and the loopback host names only.
//!
//! Routes, relative to where the Router is mounted: `GET /` (the stage the review is at, step 1),
//! `GET /people` (step 2), `GET /progress`, `GET /events` (server-sent events), `GET /report`,
//! `GET /assets/dirsync.css`, `GET /assets/review.js`; `POST /plan`, `/decisions`, `/creations`
//! (with `apply`: "Synchronize users"), `/release`.

mod access;
mod actor;
mod email;
mod events;
mod forms;
mod routes;
mod stage;

pub use access::{Access, AccessToken};
pub use email::ReviewEmail;
pub use stage::Finished;

use axum::Router;
use axum::routing::{get, post};
use dirsync::{
    apply::ApplyOptions,
    directory::Directory,
    model::Names,
    plan::{Decision, ItemId, Plan},
    policy::Policy,
    store::StateStore,
};
use stage::{Shared, Stage};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// A review to start: the two directories, the store, and how to sync them (the same settings
/// as [`dirsync::sync::Synchronizer`]'s).
#[derive(Clone)]
pub struct Review {
    parts: Parts,
}

/// What the plan's task builds its [`dirsync::sync::Synchronizer`] from.
#[derive(Clone)]
pub(crate) struct Parts {
    pub(crate) hr: Arc<dyn Directory>,
    pub(crate) idp: Arc<dyn Directory>,
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) policy: Policy,
    pub(crate) options: ApplyOptions,
    pub(crate) holder: String,
    pub(crate) title: Option<String>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) decisions: Vec<(ItemId, Decision)>,
    pub(crate) email: Option<ReviewEmail>,
    pub(crate) access: Access,
}

impl std::fmt::Debug for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Review")
            .field("hr", &self.parts.hr.name())
            .field("idp", &self.parts.idp.name())
            .field("policy", &self.parts.policy)
            .field("holder", &self.parts.holder)
            .field("email", &self.parts.email)
            .field("access", &self.parts.access)
            .finish_non_exhaustive()
    }
}

impl Review {
    /// A review of `hr` (Huma) and `idp` (Azure AD) over the state in `store`, with the default
    /// [`Policy`] and [`ApplyOptions`].
    pub fn new(
        hr: Arc<dyn Directory>,
        idp: Arc<dyn Directory>,
        store: Arc<dyn StateStore>,
    ) -> Self {
        Review {
            parts: Parts {
                hr,
                idp,
                store,
                policy: Policy::default(),
                options: ApplyOptions::default(),
                holder: format!("review page, process {}", std::process::id()),
                title: None,
                read_timeout: None,
                decisions: Vec::new(),
                email: None,
                access: Access::default(),
            },
        }
    }

    /// With `policy`: what it settles is shown as settled, and can be changed on the page.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.parts.policy = policy;
        self
    }

    /// With `options` for the apply. The page follows the writes through
    /// [`ApplyOptions::with_progress`], which replaces a progress function given here.
    #[must_use]
    pub fn with_apply_options(mut self, options: ApplyOptions) -> Self {
        self.parts.options = options;
        self
    }

    /// Describes the review to a sync that finds the state busy.
    #[must_use]
    pub fn with_holder(mut self, holder: impl Into<String>) -> Self {
        self.parts.holder = holder.into();
        self
    }

    /// The report's heading.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.parts.title = Some(title.into());
        self
    }

    /// The longest reading of one side ([`dirsync::sync::Synchronizer::with_read_timeout`]).
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.parts.read_timeout = Some(timeout);
        self
    }

    /// Decisions to start from (e.g. a decisions file): settled on each plan where their item
    /// is, shown as the person's, and changeable.
    #[must_use]
    pub fn with_decisions(
        mut self,
        decisions: impl IntoIterator<Item = (ItemId, Decision)>,
    ) -> Self {
        self.parts.decisions = decisions.into_iter().collect();
        self
    }

    /// Emails the report after the apply.
    #[must_use]
    pub fn with_email(mut self, email: ReviewEmail) -> Self {
        self.parts.email = Some(email);
        self
    }

    /// What every request must bring besides the same-origin rule (none by default: a service
    /// puts the Router behind its own auth).
    #[must_use]
    pub fn with_access(mut self, access: Access) -> Self {
        self.parts.access = access;
        self
    }

    /// Starts the task that will hold the plan (on the current tokio runtime); nothing is read
    /// until the page or [`Reviewing::plan`] asks.
    pub fn start(self) -> Reviewing {
        let shared = Arc::new(Shared::default());
        shared.carry(&self.parts.decisions);
        let (commands, receiver) = mpsc::unbounded_channel();
        let names = Names::new(self.parts.hr.name(), self.parts.idp.name());
        let title = self
            .parts
            .title
            .clone()
            .unwrap_or_else(|| format!("{} and {}: people synchronised", names.hr, names.idp));
        let access = self.parts.access.clone();
        let parts = Arc::new(self.parts);
        tokio::spawn(actor::run(parts, Arc::clone(&shared), receiver));
        Reviewing { shared, commands, access, names, title }
    }
}

/// A started review: its [`Router`], and what a program waits for.
///
/// When the Router and every handle are dropped, the plan is dropped and the lease let go.
#[derive(Debug, Clone)]
pub struct Reviewing {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<actor::Command>,
    access: Access,
    names: Names,
    title: String,
}

impl Reviewing {
    /// The page, to serve or to `nest` under a path of the service's.
    pub fn router(&self) -> Router {
        let app = routes::App {
            shared: Arc::clone(&self.shared),
            commands: self.commands.clone(),
            token: self.access.token.as_ref().map(|t| t.reveal().to_owned()),
            names: self.names.clone(),
            title: self.title.clone(),
        };
        let guard =
            Arc::new(access::Guard { access: self.access.clone(), names: self.names.clone() });
        Router::new()
            .route("/", get(routes::index))
            .route("/people", get(routes::people))
            .route("/progress", get(routes::progress))
            .route("/events", get(events::events))
            .route("/report", get(routes::report))
            .route("/assets/dirsync.css", get(routes::stylesheet))
            .route("/assets/review.js", get(routes::script))
            .route("/plan", post(routes::plan))
            .route("/decisions", post(routes::decisions))
            .route("/creations", post(routes::creations))
            .route("/release", post(routes::release))
            .with_state(app)
            .layer(axum::middleware::from_fn_with_state(guard, access::guard))
    }

    /// Plans now (takes the lease, reads both sides) and waits: for a program that shows the
    /// page only once there is a plan. The plan, as the page shows it.
    ///
    /// # Errors
    /// Why no plan could be made (the state is busy, a side could not be read), in words.
    pub async fn plan(&self) -> Result<Plan, String> {
        let claimed = self.shared.claim(|stage| match stage {
            Stage::Checking | Stage::Applying => None,
            _ => Some(Stage::Planning),
        });
        if !claimed {
            return Err("a sync of this plan is under way: wait for its report".to_owned());
        }
        let (reply, answer) = oneshot::channel();
        self.commands.send(actor::Command::Plan(reply)).map_err(|_| "the review has ended")?;
        answer.await.map_err(|_| "the review has ended".to_owned())??;
        match self.shared.stage() {
            Stage::Reviewing(view) => Ok(view.plan.clone()),
            _ => Err("the plan was replaced before it was shown".to_owned()),
        }
    }

    /// Waits until an apply ended and its result page was shown.
    pub async fn finished(&self) {
        self.shared.wait_ended().await;
        self.shared.wait_shown().await;
    }

    /// Waits until no writes are under way or being checked: a program asked to stop waits for
    /// this rather than leave the writes half done.
    pub async fn idle(&self) {
        let mut changes = self.shared.watch();
        while matches!(self.shared.stage(), Stage::Checking | Stage::Applying) {
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// How the apply ended, once it did; taken (a second call gives `None`).
    pub fn take_finished(&self) -> Option<Finished> {
        self.shared.take_finished()
    }

    /// Serves the page on `listener` until the apply ended and its result page was shown, or
    /// until `stop` (then it waits for writes under way to end): how a program that is only
    /// this page serves it. How the apply ended; `None` when stopped before one did.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        stop: impl Future<Output = ()>,
    ) -> Option<Finished> {
        let (shut, shutdown) = oneshot::channel::<()>();
        let server = axum::serve(listener, self.router())
            .with_graceful_shutdown(async move {
                let _ = shutdown.await;
            })
            .into_future();
        let server = tokio::spawn(server);
        tokio::select! {
            () = self.finished() => {}
            () = stop => {
                tracing::debug!("stopped: waiting for the writes under way");
                self.idle().await;
            }
        }
        let _ = shut.send(());
        // Open pages (an events stream) get a moment to close; the result is not theirs to hold.
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        self.take_finished()
    }
}
