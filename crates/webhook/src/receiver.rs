//! The receiver: its settings, the push it runs for each request, and its axum Router.

use crate::{MAX_BODY, PATH, PushSummary};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use dirsync::{
    directory::Directory,
    realtime::{PersonLocks, PushSettings, RealtimePush},
    store::StateStore,
};
use huma_api::webhook::{WebhookError, WebhookHeaders, WebhookVerifier};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// Receives Huma's profile webhooks and pushes the people they name from Huma to Azure AD: the
/// two directories, the verifier, the sync's state and the push's settings, and the
/// [`Router`](Receiver::router) that serves them.
///
/// By default there is no state (every person is looked up by employment id or email),
/// auto-provisioning is off, the scope is [`dirsync::policy::Scope::default`] (people inactive in Huma or
/// disabled in Azure AD are left alone) and leavers are left alone ([`PushSettings::default`]).
#[derive(Clone)]
pub struct Receiver {
    hr: Arc<dyn Directory>,
    idp: Arc<dyn Directory>,
    verifier: WebhookVerifier,
    store: Option<Arc<dyn StateStore>>,
    settings: PushSettings,
    locks: PersonLocks,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("hr", &self.hr.name())
            .field("idp", &self.idp.name())
            .field("verifier", &self.verifier)
            .field("store", &self.store.is_some())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver that pushes from `hr` (Huma) to `idp` (Azure AD) the people of each webhook
    /// `verifier` accepts; bodies over [`MAX_BODY`] are refused.
    pub fn new(hr: Arc<dyn Directory>, idp: Arc<dyn Directory>, verifier: WebhookVerifier) -> Self {
        Receiver {
            hr,
            idp,
            verifier: verifier.max_body(MAX_BODY),
            store: None,
            settings: PushSettings::default(),
            locks: PersonLocks::new(),
        }
    }

    /// With the sync's state: its links find each person's Azure AD user, and what a push changes
    /// (a new link, a disabled account) is committed there without overwriting a running sync's.
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn StateStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// What each push may do: create people not in Azure AD yet, which people, leavers (with
    /// [`dirsync::policy::Leavers::disable`], a `users-delete` disables the accounts linked to the deleted
    /// people, found through the state's links), the most accounts one event disables (over it,
    /// nobody is disabled and the event is answered 502).
    #[must_use]
    pub fn with_settings(mut self, settings: PushSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Shares `locks` with other pushes of the same state (another receiver, a push of the
    /// embedder's own), so that pushes of one person run one after the other across them all.
    #[must_use]
    pub fn with_person_locks(mut self, locks: PersonLocks) -> Self {
        self.locks = locks;
        self
    }

    /// The push this receiver runs for each request, over its directories, state and settings.
    pub fn push(&self) -> RealtimePush<'_> {
        let push = RealtimePush::new(&*self.hr, &*self.idp)
            .with_settings(self.settings)
            .with_person_locks(&self.locks);
        match &self.store {
            Some(store) => push.with_store(&**store),
            None => push,
        }
    }

    /// The axum Router serving `POST` [`PATH`]; merge it into a service's Router, or nest it
    /// under a prefix of its own. Every clone of the receiver shares its [`PersonLocks`].
    pub fn router(&self) -> Router {
        Router::new()
            .route(PATH, post(receive))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(Arc::new(self.clone()))
    }

    /// Binds `addr` and serves [`router`](Receiver::router) in a task of its own, for a program
    /// or a test that serves nothing else; a service with routes of its own merges the Router
    /// into its own instead. Returns the bound address (with port 0, the one the system chose)
    /// and the task, which serves until it is aborted: dropping the handle leaves it serving.
    ///
    /// ```
    /// use dirsync::directory::InMemoryDirectory;
    /// use dirsync_webhook::{PATH, Receiver};
    /// use huma_api::{SecretString, webhook::WebhookVerifier};
    /// use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let receiver = Receiver::new(
    ///     Arc::new(InMemoryDirectory::new([]).with_name("Huma")),
    ///     Arc::new(InMemoryDirectory::new([]).with_name("Azure AD")),
    ///     WebhookVerifier::new(Some(SecretString::from("the webhook's secret")), None),
    /// );
    /// // Port 0: any free port, told in `addr`.
    /// let (addr, server) = receiver.spawn(([127, 0, 0, 1], 0).into()).await?;
    /// println!("Huma can post to http://{addr}{PATH}");
    /// server.abort();
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn spawn(
        &self,
        addr: SocketAddr,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = self.router();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the webhook server stopped");
            }
        });
        Ok((bound, task))
    }

    /// The answer to one request of `headers` and `body`.
    async fn answer(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let event = match self.verifier.verify(&Headers(headers), body) {
            Ok(event) => event,
            Err(refused) => return refusal(&refused),
        };
        let topic = event.topic.to_string();
        let Some(pushed) = self.push().push_event(&event.to_hr_event()).await else {
            let body = serde_json::json!({"topic": topic, "ignored": true});
            return json(StatusCode::ACCEPTED, &body);
        };
        // A failed read or write is a 502, so that the sender tries again.
        let status = if pushed.failed() { StatusCode::BAD_GATEWAY } else { StatusCode::OK };
        json(status, &PushSummary::new(topic, pushed))
    }
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receiver.answer(&headers, &body).await
}

/// The answer to a request the verifier refused.
fn refusal(refused: &WebhookError) -> Response {
    match refused {
        WebhookError::BodyTooLarge { len, max } => {
            tracing::warn!(len, max, "refused a webhook body over the limit");
            json(StatusCode::PAYLOAD_TOO_LARGE, &serde_json::json!({"error": "too large"}))
        }
        WebhookError::Malformed { reason } => {
            tracing::warn!(%reason, "refused a verified webhook whose body is not a JSON object");
            json(StatusCode::BAD_REQUEST, &serde_json::json!({"error": "malformed"}))
        }
        e => {
            // The reason goes to the log only: the sender learns nothing about what was expected.
            tracing::warn!(reason = %e, "refused a webhook that failed verification");
            json(StatusCode::UNAUTHORIZED, &serde_json::json!({"error": "unauthorized"}))
        }
    }
}

struct Headers<'a>(&'a HeaderMap);

impl WebhookHeaders for Headers<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

/// `value` as JSON with `status`. Through a `serde_json::Value`, whose keys are in sorted order:
/// the answers have always been written so.
fn json(status: StatusCode, value: &impl Serialize) -> Response {
    (status, axum::Json(serde_json::to_value(value).unwrap_or_default())).into_response()
}
