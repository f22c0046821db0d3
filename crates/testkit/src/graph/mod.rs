//! The fake Microsoft Graph (and Microsoft identity platform token endpoint).

mod accounts;
mod auth;
mod batch;
mod delta;
mod errors;
mod filter;
mod groups;
mod mail;
mod state;
mod users;

pub use mail::{SentAttachment, SentMail};
pub use state::GraphUser;

use crate::counters::RequestCounts;
use crate::faults::{Fault, FaultEngine, whole_seconds};
use crate::server::{Common, Reply, Service, bearer, lock, segments};
use crate::{FaultRule, Route, SeedError};
use auth::Tokens;
use dirsync::model::Person;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use state::Users;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::Request;

/// Graph's write budget: at most `writes` creations and updates per sliding `window`; more answer
/// `429` with a `Retry-After` that says when the oldest write leaves the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteBudget {
    /// Writes allowed per window.
    pub writes: usize,
    /// The window's length.
    pub window: Duration,
}

impl Default for WriteBudget {
    /// Graph's documented ceiling: 3,000 writes per 2 min 30 s per app and tenant.
    fn default() -> Self {
        WriteBudget { writes: 3_000, window: Duration::from_secs(150) }
    }
}

/// How a [`FakeGraph`] behaves. `GraphConfig::default()` suits most tests; set fields to taste.
#[derive(Clone)]
pub struct GraphConfig {
    /// The tenant in the token URL (`{uri}/{tenant_id}/oauth2/v2.0/token`).
    pub tenant_id: String,
    /// The application (client) id the token endpoint accepts.
    pub client_id: String,
    /// The client secret the token endpoint accepts.
    pub client_secret: String,
    /// Whether the client secret has expired (the token endpoint answers AADSTS7000222).
    pub secret_expired: bool,
    /// Domains a userPrincipalName may use; empty accepts any domain.
    pub verified_domains: Vec<String>,
    /// Added to every response (see [`FakeGraph::set_latency`]).
    pub latency: Duration,
    /// Fault-injection rules (see [`FaultRule`]).
    pub faults: Vec<FaultRule>,
    /// Seed of the random stream that rate-based faults draw from.
    pub fault_seed: u64,
    /// Each access token works for this many requests, then answers 401 until a new one is fetched.
    pub token_max_uses: Option<u64>,
    /// Each access token works for this long, and `expires_in` says so (rounded up to whole
    /// seconds); `None`: tokens do not expire by time (`expires_in` is then 3599).
    pub token_lifetime: Option<Duration>,
    /// The write budget.
    pub write_budget: WriteBudget,
    /// Users per page of delta query.
    pub delta_page_size: usize,
    /// Delta links (and their nextLinks) older than this answer 410 `syncStateNotFound`.
    pub delta_token_ttl: Option<Duration>,
    /// Whether `$batch` answers come back in shuffled order (as Graph allows).
    pub shuffle_batch_responses: bool,
    /// Seed for generated ids and tokens.
    pub seed: u64,
}

impl std::fmt::Debug for GraphConfig {
    /// Shows every setting but the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphConfig")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("secret_expired", &self.secret_expired)
            .field("verified_domains", &self.verified_domains)
            .field("latency", &self.latency)
            .field("faults", &self.faults)
            .field("fault_seed", &self.fault_seed)
            .field("token_max_uses", &self.token_max_uses)
            .field("token_lifetime", &self.token_lifetime)
            .field("write_budget", &self.write_budget)
            .field("delta_page_size", &self.delta_page_size)
            .field("delta_token_ttl", &self.delta_token_ttl)
            .field("shuffle_batch_responses", &self.shuffle_batch_responses)
            .field("seed", &self.seed)
            .field("client_secret", &"***")
            .finish()
    }
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            tenant_id: FakeGraph::TENANT_ID.to_owned(),
            client_id: FakeGraph::CLIENT_ID.to_owned(),
            client_secret: FakeGraph::CLIENT_SECRET.to_owned(),
            secret_expired: false,
            verified_domains: Vec::new(),
            latency: Duration::ZERO,
            faults: Vec::new(),
            fault_seed: 0,
            token_max_uses: None,
            token_lifetime: None,
            write_budget: WriteBudget::default(),
            delta_page_size: 100,
            delta_token_ttl: None,
            shuffle_batch_responses: false,
            seed: 1,
        }
    }
}

/// Everything behind the one lock.
#[derive(Debug)]
pub(crate) struct GraphState {
    pub(crate) users: Users,
    pub(crate) tokens: Tokens,
    pub(crate) config: GraphConfig,
    writes: VecDeque<Instant>,
    pub(crate) delta_epoch: u64,
    pub(crate) started: Instant,
    pub(crate) base: String,
    pub(crate) outbox: mail::Outbox,
    /// What writes to a user answer instead of being carried out, by user id.
    pub(crate) refusals: HashMap<String, accounts::Refusal>,
    /// How often each user's sign-in sessions were revoked, by user id.
    pub(crate) revocations: HashMap<String, u64>,
    /// The groups and their members.
    pub(crate) groups: groups::Groups,
}

impl GraphState {
    /// Spends one write of the budget, or says how many seconds until one is free.
    fn spend_write(&mut self) -> Result<(), u64> {
        let WriteBudget { writes, window } = self.config.write_budget;
        let now = Instant::now();
        while self.writes.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.writes.pop_front();
        }
        if self.writes.len() >= writes {
            let wait = self.writes.front().map_or(window, |t| window.saturating_sub(now - *t));
            return Err(whole_seconds(wait));
        }
        self.writes.push_back(now);
        Ok(())
    }
}

/// One API call, from an HTTP request or from inside a `$batch`.
#[derive(Debug)]
pub(crate) struct Call {
    /// Path segments after `/v1.0`.
    pub(crate) segments: Vec<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    /// Whether the request carried `ConsistencyLevel: eventual` (needed for `$count`).
    pub(crate) eventual: bool,
    /// Whether the request carried `Prefer: return=minimal` (delta: only changed properties).
    pub(crate) minimal: bool,
}

impl Call {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The route of a method and path (`segments` after `/v1.0` unless `with_version`).
pub(crate) fn classify(method: &str, segments: &[String], with_version: bool) -> Route {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if with_version && let [_tenant, "oauth2", "v2.0", "token"] = segs.as_slice() {
        return if method == "POST" { Route::Token } else { Route::Other };
    }
    let api = if with_version {
        match segs.split_first() {
            Some((&"v1.0", rest)) => rest,
            _ => return Route::Other,
        }
    } else {
        segs.as_slice()
    };
    match (method, api) {
        ("GET", ["users"]) => Route::ListUsers,
        ("POST", ["users"]) => Route::CreateUser,
        ("GET", ["users", "delta"]) | ("GET", ["users", "delta()"]) => Route::Delta,
        ("GET", ["users", _]) => Route::GetUser,
        ("PATCH", ["users", _]) => Route::UpdateUser,
        ("POST", ["$batch"]) => Route::Batch,
        ("POST", ["users", _, "sendMail"]) => Route::SendMail,
        ("POST", ["users", _, "revokeSignInSessions"]) => Route::RevokeSessions,
        ("POST", ["users", _, "checkMemberGroups"]) => Route::CheckMemberGroups,
        ("GET", ["groups", _, "transitiveMembers"])
        | ("GET", ["groups", _, "transitiveMembers", "microsoft.graph.user"]) => {
            Route::ListGroupMembers
        }
        ("POST", ["groups", _, "members", "$ref"]) => Route::AddGroupMember,
        _ => Route::Other,
    }
}

/// Runs one authenticated API call of a known route.
pub(crate) fn api(state: &mut GraphState, common: &Common, route: Route, call: &Call) -> Reply {
    if route.is_write()
        && let Err(retry_after) = state.spend_write()
    {
        common.counters.throttled();
        return errors::throttled(retry_after);
    }
    let key = call.segments.get(1).map(String::as_str).unwrap_or_default();
    match route {
        Route::ListUsers => users::list(state, call),
        Route::GetUser => users::get(state, key, call),
        Route::CreateUser => users::create(state, call),
        Route::UpdateUser => users::update(state, key, call),
        Route::Delta => delta::delta(state, call),
        Route::Batch => batch::batch(state, common, call),
        Route::SendMail => mail::send_mail(state, key, call),
        Route::RevokeSessions => accounts::revoke_sessions(state, key, call),
        Route::CheckMemberGroups => groups::check_member_groups(state, key, call),
        Route::ListGroupMembers => groups::list_members(state, key, call),
        Route::AddGroupMember => groups::add_member(state, key, call),
        _ => match call.segments.first().map(String::as_str) {
            Some("users") | Some("$batch") => errors::error(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            ),
            Some(segment) => errors::error(
                400,
                "BadRequest",
                format!("Resource not found for the segment '{segment}'."),
            ),
            None => errors::error(400, "BadRequest", "Invalid request."),
        },
    }
}

pub(crate) struct GraphService {
    common: Common,
    state: Mutex<GraphState>,
}

impl Service for GraphService {
    fn common(&self) -> &Common {
        &self.common
    }

    fn route(&self, request: &Request) -> Route {
        classify(request.method.as_str(), &segments(request.url.path()), true)
    }

    fn fault_reply(&self, route: Route, fault: &Fault, _request: &Request) -> Reply {
        match (route, fault) {
            (Route::Token, Fault::Throttle { retry_after_secs }) => Reply::json(
                429,
                serde_json::json!({"error": "temporarily_unavailable", "error_description": "AADSTS50196: The server terminated an operation because it encountered a client request loop.", "error_codes": [50196]}),
            )
            .header("Retry-After", retry_after_secs.to_string()),
            (Route::Token, Fault::ServerError { status }) => Reply::json(
                *status,
                serde_json::json!({"error": "temporarily_unavailable", "error_description": "AADSTS90033: A transient error has occurred. Please try again.", "error_codes": [90033]}),
            ),
            (_, Fault::Throttle { retry_after_secs }) => errors::throttled(*retry_after_secs),
            (_, Fault::ServerError { status }) => errors::server_error(*status),
            (_, Fault::DropConnection | Fault::DropAfterApply) => errors::server_error(504),
        }
    }

    fn handle(&self, route: Route, request: &Request) -> Reply {
        let segments = segments(request.url.path());
        let mut state = lock(&self.state);
        if route == Route::Token {
            let tenant = segments.first().map(String::as_str).unwrap_or_default();
            return auth::token(&mut state, tenant, &request.body);
        }
        if segments.first().map(String::as_str) != Some("v1.0") {
            return Reply::empty(404);
        }
        if let Err(reply) = state.tokens.check(bearer(&request.headers).as_deref()) {
            self.common.counters.unauthorized();
            return reply;
        }
        let body = if request.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice(&request.body) {
                Ok(body) => Some(body),
                Err(_) => {
                    return errors::bad_request(
                        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                    );
                }
            }
        };
        let eventual = request
            .headers
            .get("consistencylevel")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
        let minimal =
            request.headers.get_all("prefer").iter().any(|v| {
                v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("return=minimal"))
            });
        let call = Call {
            segments: segments[1..].to_vec(),
            query: crate::server::query(request),
            body,
            eventual,
            minimal,
        };
        api(&mut state, &self.common, route, &call)
    }
}

/// A running fake Microsoft Graph: users, delta query, `$batch` and the token endpoint, over shared
/// state that tests seed and inspect. Dropping it stops the server.
///
/// A client connects with [`FakeGraph::TENANT_ID`], [`FakeGraph::CLIENT_ID`] and
/// [`FakeGraph::CLIENT_SECRET`] (those of [`GraphConfig::default`]), its Graph URL set to
/// [`FakeGraph::graph_url`] and its login URL to [`FakeGraph::login_url`]: each is exactly what
/// the `azure-graph` client builder's setter of the same name takes
/// (`GraphClient::builder().tenant(FakeGraph::TENANT_ID).client_credentials(FakeGraph::CLIENT_ID,
/// SecretString::from(FakeGraph::CLIENT_SECRET)).graph_url(graph.graph_url())
/// .login_url(graph.login_url())`). Requests made by hand go to [`FakeGraph::token_endpoint`]
/// and [`FakeGraph::api_url`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use testkit::{FakeGraph, GraphConfig, GraphUser};
/// let graph = FakeGraph::start(GraphConfig::default()).await;
/// let id = graph.insert_user(GraphUser::new("ada@example.com"))?;
/// assert_eq!(
///     graph.token_endpoint(),
///     format!("{}/{}/oauth2/v2.0/token", graph.login_url(), FakeGraph::TENANT_ID)
/// );
/// assert_eq!(graph.api_url(), format!("{}/v1.0", graph.graph_url()));
/// assert_eq!(graph.user(&id).and_then(|u| u.mail).as_deref(), Some("ada@example.com"));
/// # Ok(())
/// # }
/// ```
pub struct FakeGraph {
    server: crate::server::Server,
    service: Arc<GraphService>,
}

impl std::fmt::Debug for FakeGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGraph").field("uri", &self.server.uri()).finish_non_exhaustive()
    }
}

impl FakeGraph {
    /// The tenant id of the default configuration ([`GraphConfig::tenant_id`]): the tenant a
    /// client names, in `{login_url}/{tenant}/oauth2/v2.0/token`.
    pub const TENANT_ID: &'static str = "11111111-2222-3333-4444-555555555555";
    /// The client id of the default configuration.
    pub const CLIENT_ID: &'static str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    /// The client secret of the default configuration.
    pub const CLIENT_SECRET: &'static str = "fake-graph-client-secret";

    /// Starts the fake on a free local port.
    pub async fn start(config: GraphConfig) -> FakeGraph {
        let common = Common::new(config.faults.clone(), config.fault_seed, config.latency);
        let mut tokens = Tokens::default();
        tokens.max_uses = config.token_max_uses;
        tokens.lifetime = config.token_lifetime;
        let state = GraphState {
            users: Users::new(StdRng::seed_from_u64(config.seed)),
            tokens,
            config,
            writes: VecDeque::new(),
            delta_epoch: 0,
            started: Instant::now(),
            base: String::new(),
            outbox: mail::Outbox::default(),
            refusals: HashMap::new(),
            revocations: HashMap::new(),
            groups: groups::Groups::default(),
        };
        let service = Arc::new(GraphService { common, state: Mutex::new(state) });
        let server = crate::server::start(service.clone()).await;
        lock(&service.state).base = server.uri();
        FakeGraph { server, service }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GraphState> {
        lock(&self.service.state)
    }

    /// The server's address, `http://127.0.0.1:port`: Graph and the login service both live
    /// there.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// What the Graph client builder's `graph_url` takes (in place of
    /// `https://graph.microsoft.com`): the server's address, without `/v1.0`.
    pub fn graph_url(&self) -> String {
        self.uri()
    }

    /// What the Graph client builder's `login_url` takes (in place of
    /// `https://login.microsoftonline.com`): the server's address, without the tenant.
    pub fn login_url(&self) -> String {
        self.uri()
    }

    /// The token endpoint itself, `{uri}/{tenant}/oauth2/v2.0/token`, for a request made by hand
    /// (a client builder takes [`FakeGraph::login_url`]).
    pub fn token_endpoint(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.uri(), self.state().config.tenant_id)
    }

    /// The root of the API, `{uri}/v1.0`, for a request made by hand (`{api_url}/users`; a client
    /// builder takes [`FakeGraph::graph_url`]).
    pub fn api_url(&self) -> String {
        format!("{}/v1.0", self.uri())
    }

    /// Every user, in id order (Graph's paging order).
    pub fn users(&self) -> Vec<GraphUser> {
        self.state().users.by_id.values().map(|s| s.user.clone()).collect()
    }

    /// One user by id or user principal name.
    pub fn user(&self, key: &str) -> Option<GraphUser> {
        let state = self.state();
        let id = state.users.resolve(key)?;
        state.users.by_id.get(&id).map(|s| s.user.clone())
    }

    /// How many users there are.
    pub fn user_count(&self) -> usize {
        self.state().users.by_id.len()
    }

    /// Adds a user (or replaces the one with its id) and returns its id, assigning one if `id` is
    /// empty. The change shows in delta query like any other.
    ///
    /// # Errors
    /// [`SeedError::Taken`] when another user holds its userPrincipalName.
    pub fn insert_user(&self, user: GraphUser) -> Result<String, SeedError> {
        let upn = user.user_principal_name.clone().unwrap_or_default();
        self.state().users.put(user).map_err(|_| SeedError::Taken(upn))
    }

    /// Adds many users under one lock (fast seeding); returns their ids in order.
    ///
    /// # Errors
    /// [`SeedError::Taken`] at the first userPrincipalName already held (earlier ones stay added).
    pub fn insert_users(
        &self,
        users: impl IntoIterator<Item = GraphUser>,
    ) -> Result<Vec<String>, SeedError> {
        let mut state = self.state();
        users
            .into_iter()
            .map(|user| {
                let upn = user.user_principal_name.clone().unwrap_or_default();
                state.users.put(user).map_err(|_| SeedError::Taken(upn))
            })
            .collect()
    }

    /// Adds the user Azure AD would hold for this person (see [`GraphUser::from_person`]).
    ///
    /// # Errors
    /// [`SeedError::Taken`] when the person's email is already a userPrincipalName.
    pub fn insert_person(&self, person: &Person) -> Result<String, SeedError> {
        self.insert_user(GraphUser::from_person(person))
    }

    /// Replaces a user out of band (as an admin in the portal would); same as
    /// [`insert_user`](Self::insert_user).
    ///
    /// # Errors
    /// [`SeedError::Taken`] when another user holds its userPrincipalName.
    pub fn set_user(&self, user: GraphUser) -> Result<String, SeedError> {
        self.insert_user(user)
    }

    /// Changes a user out of band with a closure; false when there is no such user.
    pub fn update_user(&self, key: &str, change: impl FnOnce(&mut GraphUser)) -> bool {
        let mut state = self.state();
        let Some(id) = state.users.resolve(key) else { return false };
        let Some(mut user) = state.users.by_id.get(&id).map(|s| s.user.clone()) else {
            return false;
        };
        change(&mut user);
        user.id = id;
        state.users.put(user).is_ok()
    }

    /// Deletes a user out of band; delta query reports it as removed. False when there was none.
    pub fn delete_user(&self, key: &str) -> bool {
        let mut state = self.state();
        let Some(id) = state.users.resolve(key) else { return false };
        state.users.remove(&id)
    }

    /// Marks a user (by id) as holding an admin role, or not: a PATCH of one of its sensitive
    /// properties (`accountEnabled`, `businessPhones`, `mobilePhone`, `otherMails`,
    /// `passwordProfile`, `userPrincipalName`), and revoking its sign-in sessions, answer 403
    /// `Authorization_RequestDenied` "Insufficient privileges to complete the operation.", as
    /// Graph answers an app without a role that may change administrators. Its other properties
    /// can still be changed, and other users are not affected. The same holds inside `$batch`.
    pub fn set_admin(&self, id: &str, admin: bool) {
        let mut state = self.state();
        if admin {
            state.users.admins.insert(id.to_owned());
        } else {
            state.users.admins.remove(id);
        }
    }

    /// Makes every write to one user (by id or user principal name) answer `status` with Graph's
    /// error body (`code`, `message`) instead of being carried out, until
    /// [`FakeGraph::accept_writes`]: a PATCH, revoking its sign-in sessions, and the same inside
    /// `$batch`. For a value Graph refuses, say 400 `Request_BadRequest`. Reads are not affected.
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn refuse_writes(
        &self,
        key: &str,
        status: u16,
        code: &str,
        message: &str,
    ) -> Result<(), SeedError> {
        let mut state = self.state();
        let id =
            state.users.resolve(key).ok_or_else(|| SeedError::NotFound(format!("user {key}")))?;
        let refusal =
            accounts::Refusal { status, code: code.to_owned(), message: message.to_owned() };
        state.refusals.insert(id, refusal);
        Ok(())
    }

    /// Takes back [`FakeGraph::refuse_writes`] for one user (by id or user principal name).
    pub fn accept_writes(&self, key: &str) {
        let mut state = self.state();
        if let Some(id) = state.users.resolve(key) {
            state.refusals.remove(&id);
        }
    }

    /// How often the sign-in sessions of one user (by id or user principal name) were revoked
    /// (`POST /users/{id}/revokeSignInSessions` answered 200).
    pub fn revocations(&self, key: &str) -> u64 {
        let state = self.state();
        state.users.resolve(key).and_then(|id| state.revocations.get(&id).copied()).unwrap_or(0)
    }

    /// Makes list, get and delta answer `value` for one property of one user (by id or user
    /// principal name), as given, whatever its type: a user of the wrong shape, such as
    /// `"jobTitle": 42`. `property` is a user property the fake knows (as in `$select`), or `id`.
    /// The change shows in delta query. A write of the property (a PATCH, or seeding a new value)
    /// replaces the raw value with the written one; [`FakeGraph::clear_raw_properties`] takes them
    /// all back.
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user or property.
    pub fn set_raw_property(
        &self,
        key: &str,
        property: &str,
        value: Value,
    ) -> Result<(), SeedError> {
        let name = match property {
            "id" => "id",
            other => state::property_named(other)
                .map(|(name, _)| name)
                .ok_or_else(|| SeedError::NotFound(format!("user property {other}")))?,
        };
        let mut state = self.state();
        let id =
            state.users.resolve(key).ok_or_else(|| SeedError::NotFound(format!("user {key}")))?;
        state.users.set_raw(&id, name, Some(value));
        Ok(())
    }

    /// Answers one user's own values again for every property given by
    /// [`FakeGraph::set_raw_property`]; false when there is no such user.
    pub fn clear_raw_properties(&self, key: &str) -> bool {
        let mut state = self.state();
        let Some(id) = state.users.resolve(key) else { return false };
        let names: Vec<String> =
            state.users.by_id.get(&id).map(|s| s.raw.keys().cloned().collect()).unwrap_or_default();
        for name in names {
            state.users.set_raw(&id, &name, None);
        }
        true
    }

    /// A one-time authorization code for the `authorization_code` grant (as if a user had signed in),
    /// bound to no redirect URI or PKCE challenge; [`FakeGraph::sign_in`] binds them.
    pub fn issue_authorization_code(&self) -> String {
        let mut state = self.state();
        let state = &mut *state;
        state.tokens.new_code(&mut state.users.rng, None)
    }

    /// Signs a user in at `authorize_url` (as the browser would): the one-time code for it, which
    /// the token endpoint then redeems only with the same `redirect_uri` and, when the URL carried
    /// a PKCE `code_challenge` (S256 or plain), the `code_verifier` it was made from (else
    /// AADSTS50011 or AADSTS50148).
    ///
    /// # Errors
    /// The URL is not an authorization request for this app (the reason, as Entra ID would show it).
    pub fn sign_in(&self, authorize_url: &str) -> Result<String, String> {
        self.sign_in_page().sign_in(authorize_url)
    }

    /// [`FakeGraph::sign_in`] as a value of its own, for a closure that must outlive a borrow of
    /// the fake (a person answering a program's prompt in a test).
    pub fn sign_in_page(&self) -> SignInPage {
        SignInPage(self.service.clone())
    }

    /// A valid refresh token for the `refresh_token` grant.
    pub fn issue_refresh_token(&self) -> String {
        let mut state = self.state();
        let state = &mut *state;
        state.tokens.new_refresh(&mut state.users.rng)
    }

    /// Makes every access token issued so far expire (401 until a new one is fetched).
    pub fn expire_access_tokens(&self) {
        self.state().tokens.expire_access();
    }

    /// Makes every refresh token issued so far expire (AADSTS700082).
    pub fn expire_refresh_tokens(&self) {
        self.state().tokens.expire_refresh();
    }

    /// Sets whether the client secret has expired (AADSTS7000222).
    pub fn set_secret_expired(&self, expired: bool) {
        self.state().config.secret_expired = expired;
    }

    /// Sets how long access tokens work (`None`: no limit by time); applies to tokens already issued.
    pub fn set_token_lifetime(&self, lifetime: Option<Duration>) {
        self.state().tokens.lifetime = lifetime;
    }

    /// Sets how many requests each access token serves before it expires (`None`: no limit).
    pub fn set_token_max_uses(&self, max_uses: Option<u64>) {
        self.state().tokens.max_uses = max_uses;
    }

    /// Makes every delta link and delta nextLink issued so far answer 410 `syncStateNotFound`.
    pub fn expire_delta_tokens(&self) {
        self.state().delta_epoch += 1;
    }

    /// Sets the write budget (spent writes stay counted).
    pub fn set_write_budget(&self, budget: WriteBudget) {
        self.state().config.write_budget = budget;
    }

    /// Sets whether `$batch` answers are shuffled.
    pub fn set_shuffle_batch_responses(&self, shuffle: bool) {
        self.state().config.shuffle_batch_responses = shuffle;
    }

    /// Sets the latency added to every response.
    pub fn set_latency(&self, latency: Duration) {
        self.service.common.set_latency(latency);
    }

    /// Replaces the fault rules; request numbers start again from 1.
    pub fn set_faults(&self, rules: Vec<FaultRule>, seed: u64) {
        *lock(&self.service.common.faults) = FaultEngine::new(rules, seed);
    }

    /// What the fake has been asked so far.
    pub fn counts(&self) -> RequestCounts {
        self.service.common.counters.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_counts(&self) {
        self.service.common.counters.reset();
    }
}

/// The fake's sign-in page: see [`FakeGraph::sign_in`].
#[derive(Clone)]
pub struct SignInPage(Arc<GraphService>);

impl std::fmt::Debug for SignInPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInPage").finish_non_exhaustive()
    }
}

impl SignInPage {
    /// As [`FakeGraph::sign_in`].
    ///
    /// # Errors
    /// As [`FakeGraph::sign_in`].
    pub fn sign_in(&self, authorize_url: &str) -> Result<String, String> {
        let url = url::Url::parse(authorize_url).map_err(|e| format!("not a URL: {e}"))?;
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v);
        let mut state = lock(&self.0.state);
        let state = &mut *state;
        if param("client_id").as_deref() != Some(state.config.client_id.as_str()) {
            return Err("AADSTS700016: Application not found in the directory.".to_owned());
        }
        if param("response_type").as_deref() != Some("code") {
            return Err("AADSTS900144: The request body must contain 'response_type'.".to_owned());
        }
        let Some(redirect_uri) = param("redirect_uri").map(|v| v.into_owned()) else {
            return Err("AADSTS900144: The request must contain 'redirect_uri'.".to_owned());
        };
        // RFC 7636: without a method the challenge is the verifier itself ("plain").
        let code_challenge = param("code_challenge").map(|challenge| {
            let s256 = param("code_challenge_method").is_some_and(|m| m == "S256");
            auth::Challenge { value: challenge.into_owned(), s256 }
        });
        let sign_in = auth::SignIn { redirect_uri, code_challenge };
        Ok(state.tokens.new_code(&mut state.users.rng, Some(sign_in)))
    }
}
