//! The fake Huma Open API.

mod auth;
mod errors;
mod groups;
mod positions;
mod raw;
mod state;
mod users;
mod webhook;

pub use groups::{HumaGroup, HumaGroupKind};
pub use raw::HumaView;
pub use state::{HumaAddress, HumaPosition, HumaUser, JobTitle};
pub use webhook::{HumaWebhook, huma_signature};

use crate::counters::RequestCounts;
use crate::faults::{Fault, FaultEngine};
use crate::server::{Common, Reply, Service, bearer, lock, segments, uuid};
use crate::{FaultRule, Route, SeedError};
use auth::Tokens;
use dirsync::model::Person;
use rand::SeedableRng;
use rand::rngs::StdRng;
use raw::RawProperty;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::Request;

/// How a [`FakeHuma`] behaves. `HumaConfig::default()` suits most tests.
#[derive(Clone)]
pub struct HumaConfig {
    /// The API key's client id.
    pub client_id: String,
    /// The API key's client secret.
    pub client_secret: String,
    /// `organizationId` in token answers.
    pub organization_id: String,
    /// `userId` in token answers (the API key's service user).
    pub service_user_id: String,
    /// `expires_in` in token answers, in seconds, when `token_lifetime` is `None` (tokens then do
    /// not expire by time, only by use or by [`FakeHuma::expire_access_tokens`]).
    pub token_expires_in: u64,
    /// Each access token works for this many requests, then answers 401 until a new one is fetched.
    pub token_max_uses: Option<u64>,
    /// Each access token works for this long, and `expires_in` says so (rounded up to whole
    /// seconds); `None`: tokens do not expire by time (`expires_in` is then 3599).
    pub token_lifetime: Option<Duration>,
    /// Added to every response.
    pub latency: Duration,
    /// Fault-injection rules (see [`FaultRule`]).
    pub faults: Vec<FaultRule>,
    /// Seed of the random stream that rate-based faults draw from.
    pub fault_seed: u64,
    /// Seed for generated ids and tokens.
    pub seed: u64,
}

impl std::fmt::Debug for HumaConfig {
    /// Shows every setting but the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HumaConfig")
            .field("client_id", &self.client_id)
            .field("organization_id", &self.organization_id)
            .field("service_user_id", &self.service_user_id)
            .field("token_expires_in", &self.token_expires_in)
            .field("token_max_uses", &self.token_max_uses)
            .field("token_lifetime", &self.token_lifetime)
            .field("latency", &self.latency)
            .field("faults", &self.faults)
            .field("fault_seed", &self.fault_seed)
            .field("seed", &self.seed)
            .field("client_secret", &"***")
            .finish()
    }
}

impl Default for HumaConfig {
    fn default() -> Self {
        HumaConfig {
            client_id: FakeHuma::CLIENT_ID.to_owned(),
            client_secret: FakeHuma::CLIENT_SECRET.to_owned(),
            organization_id: "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d".to_owned(),
            service_user_id: "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d".to_owned(),
            token_expires_in: 3599,
            token_max_uses: None,
            token_lifetime: None,
            latency: Duration::ZERO,
            faults: Vec::new(),
            fault_seed: 0,
            seed: 2,
        }
    }
}

/// Everything behind the one lock.
#[derive(Debug)]
pub(crate) struct HumaState {
    pub(crate) users: HashMap<String, HumaUser>,
    /// User ids in list order (creation order).
    pub(crate) order: Vec<String>,
    emails: HashMap<String, String>,
    pub(crate) titles: Vec<JobTitle>,
    /// Teams, locations and companies, by id.
    pub(crate) groups: BTreeMap<String, HumaGroup>,
    /// Raw JSON set on users' properties, by user id, in the order set.
    raw: HashMap<String, Vec<RawProperty>>,
    /// What writes to a user answer instead of being carried out, by user id.
    failing_writes: HashMap<String, Reply>,
    pub(crate) tokens: Tokens,
    pub(crate) config: HumaConfig,
    pub(crate) rng: StdRng,
}

impl HumaState {
    pub(crate) fn new_id(&mut self) -> String {
        uuid(&mut self.rng)
    }

    pub(crate) fn ordered(&self, descending: bool) -> Box<dyn Iterator<Item = &HumaUser> + '_> {
        let ids = self.order.iter().filter_map(|id| self.users.get(id));
        if descending { Box::new(ids.rev()) } else { Box::new(ids) }
    }

    /// The user's list entry (`User`) as the API answers it, raw values included.
    pub(crate) fn summary_of(&self, user: &HumaUser) -> Value {
        let mut summary = user.summary();
        self.put_memberships(&mut summary, user, false);
        self.with_raw(user, summary, HumaView::ListEntry)
    }

    /// The user in full (`UserDetails`) as the API answers it, raw values included.
    pub(crate) fn details_of(&self, user: &HumaUser) -> Value {
        let mut details = user.details();
        self.put_memberships(&mut details, user, true);
        self.with_raw(user, details, HumaView::Details)
    }

    fn with_raw(&self, user: &HumaUser, json: Value, view: HumaView) -> Value {
        match self.raw.get(&user.id) {
            Some(raw) => raw::apply(json, raw, view),
            None => json,
        }
    }

    pub(crate) fn email_taken(&self, email: &str, id: &str) -> bool {
        self.emails.get(&email.to_lowercase()).is_some_and(|holder| holder != id)
    }

    pub(crate) fn title(&self, id: &str) -> Option<&JobTitle> {
        self.titles.iter().find(|t| t.id == id)
    }

    pub(crate) fn title_named(&self, name: &str) -> Option<&JobTitle> {
        self.titles.iter().find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }

    pub(crate) fn add_title(&mut self, name: &str) -> JobTitle {
        let title = JobTitle { id: self.new_id(), name: name.trim().to_owned() };
        self.titles.push(title.clone());
        title
    }

    /// The registered title for a seeded one: by id, else by name, else newly registered.
    fn resolve_title(&mut self, title: &JobTitle) -> JobTitle {
        if let Some(known) = self.title(&title.id) {
            return known.clone();
        }
        if title.id.is_empty() {
            if let Some(known) = self.title_named(&title.name) {
                return known.clone();
            }
            return self.add_title(&title.name);
        }
        self.titles.push(title.clone());
        title.clone()
    }

    /// Stores a user (new, or replacing the one with its id): assigns missing ids and registers
    /// its job titles.
    pub(crate) fn put_user(&mut self, mut user: HumaUser) -> Result<String, SeedError> {
        if user.id.is_empty() {
            user.id = self.new_id();
        }
        if self.email_taken(&user.email, &user.id) {
            return Err(SeedError::Taken(user.email));
        }
        for position in &mut user.positions {
            if position.id.is_empty() {
                position.id = uuid(&mut self.rng);
            }
        }
        for i in 0..user.positions.len() {
            if let Some(title) = user.positions[i].title.clone() {
                user.positions[i].title = Some(self.resolve_title(&title));
            }
        }
        if let Some(title) = user.legacy_job_title.clone() {
            user.legacy_job_title = Some(self.resolve_title(&title));
        }
        let id = user.id.clone();
        match self.users.get(&id) {
            Some(old) => {
                self.emails.remove(&old.email.to_lowercase());
            }
            None => self.order.push(id.clone()),
        }
        self.emails.insert(user.email.to_lowercase(), id.clone());
        self.users.insert(id.clone(), user);
        Ok(id)
    }
}

/// The route of a Huma request.
fn classify(method: &str, segments: &[String]) -> Route {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method, segs.as_slice()) {
        ("POST", ["auth", "oauth", "token"]) => Route::Token,
        ("GET", ["users"]) => Route::ListUsers,
        ("POST", ["users"]) => Route::CreateUser,
        ("GET", ["users", _]) => Route::GetUser,
        ("PATCH", ["users", _]) => Route::UpdateUser,
        ("GET", ["users", _, "positions"]) => Route::ListPositions,
        ("POST", ["users", _, "positions"]) => Route::CreatePosition,
        ("GET", ["users", _, "positions", _]) => Route::GetPosition,
        ("PATCH", ["users", _, "positions", _]) => Route::UpdatePosition,
        ("GET", ["job-titles"]) => Route::ListJobTitles,
        ("POST", ["job-titles"]) => Route::CreateJobTitle,
        ("GET", ["job-titles", _]) => Route::GetJobTitle,
        ("GET", ["groups", _]) => Route::GetGroup,
        _ => Route::Other,
    }
}

pub(crate) struct HumaService {
    common: Common,
    state: Mutex<HumaState>,
}

impl Service for HumaService {
    fn common(&self) -> &Common {
        &self.common
    }

    fn route(&self, request: &Request) -> Route {
        classify(request.method.as_str(), &segments(request.url.path()))
    }

    fn fault_reply(&self, _route: Route, fault: &Fault, request: &Request) -> Reply {
        let path = request.url.path();
        match fault {
            Fault::Throttle { retry_after_secs } => {
                errors::standard(429, path, "Too many requests")
                    .header("Retry-After", retry_after_secs.to_string())
            }
            Fault::ServerError { status } => errors::standard(*status, path, "Injected fault"),
            Fault::DropConnection | Fault::DropAfterApply => {
                errors::standard(504, path, "Injected fault")
            }
        }
    }

    fn handle(&self, route: Route, request: &Request) -> Reply {
        let segments = segments(request.url.path());
        let mut state = lock(&self.state);
        if route == Route::Token {
            let content_type = request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            return auth::token(&mut state, &content_type, &request.body);
        }
        if let Err(reply) = state.tokens.check(bearer(&request.headers).as_deref()) {
            self.common.counters.unauthorized();
            return reply;
        }
        let body: Option<Value> = if request.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice(&request.body) {
                Ok(body) => Some(body),
                Err(_) => return errors::invalid_fields("The request body is not valid JSON", &[]),
            }
        };
        let query = crate::server::query(request);
        let seg = |i: usize| segments.get(i).map(String::as_str).unwrap_or_default();
        let state = &mut *state;
        let writes_to_user =
            matches!(route, Route::UpdateUser | Route::CreatePosition | Route::UpdatePosition);
        if writes_to_user && let Some(reply) = state.failing_writes.get(seg(1)) {
            return reply.clone();
        }
        match route {
            Route::ListUsers => users::list(state, &query),
            Route::GetUser => users::get(state, seg(1)),
            Route::UpdateUser => users::update(state, seg(1), body.as_ref()),
            Route::CreateUser => users::create(state, body.as_ref()),
            Route::ListPositions => positions::list(state, seg(1), &query),
            Route::GetPosition => positions::get(state, seg(1), seg(3)),
            Route::CreatePosition => positions::create(state, seg(1), body.as_ref()),
            Route::UpdatePosition => positions::update(state, seg(1), seg(3), body.as_ref()),
            Route::ListJobTitles => positions::list_titles(state, &query),
            Route::GetJobTitle => positions::get_title(state, seg(1)),
            Route::CreateJobTitle => positions::create_title(state, body.as_ref()),
            Route::GetGroup => groups::get(state, seg(1)),
            _ => {
                let known = matches!(seg(0), "users" | "job-titles" | "auth" | "groups");
                let status = if known && segments.len() <= 4 { 405 } else { 404 };
                errors::standard(status, request.url.path(), "No handler for this request")
            }
        }
    }
}

/// A running fake Huma Open API: token, users, positions and job titles over shared state that
/// tests seed and inspect. Dropping it stops the server.
///
/// A client connects with [`FakeHuma::CLIENT_ID`] and [`FakeHuma::CLIENT_SECRET`] (those of
/// [`HumaConfig::default`]), its base URL set to [`FakeHuma::base_url`]: exactly what the
/// `huma-api` client builder's `base_url` takes (`HumaClient::builder().base_url(huma.base_url())
/// .credentials(FakeHuma::CLIENT_ID, SecretString::from(FakeHuma::CLIENT_SECRET))`). Requests made
/// by hand get their token from [`FakeHuma::token_endpoint`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use testkit::{FakeHuma, HumaConfig, HumaUser};
/// let huma = FakeHuma::start(HumaConfig::default()).await;
/// let id = huma.insert_user(HumaUser::new("ada@example.com", "Ada", "Lovelace"))?;
/// assert_eq!(huma.token_endpoint(), format!("{}/auth/oauth/token", huma.base_url()));
/// assert_eq!(huma.user(&id).map(|u| u.given_name).as_deref(), Some("Ada"));
/// # Ok(())
/// # }
/// ```
pub struct FakeHuma {
    server: crate::server::Server,
    service: Arc<HumaService>,
}

impl std::fmt::Debug for FakeHuma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeHuma").field("uri", &self.server.uri()).finish_non_exhaustive()
    }
}

impl FakeHuma {
    /// The client id of the default configuration.
    pub const CLIENT_ID: &'static str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    /// The client secret of the default configuration.
    pub const CLIENT_SECRET: &'static str = "6ba7b810-9dad-41d1-80b4-00c04fd430c8";

    /// Starts the fake on a free local port.
    pub async fn start(config: HumaConfig) -> FakeHuma {
        let common = Common::new(config.faults.clone(), config.fault_seed, config.latency);
        let mut tokens = Tokens::default();
        tokens.max_uses = config.token_max_uses;
        tokens.lifetime = config.token_lifetime;
        let state = HumaState {
            users: HashMap::new(),
            order: Vec::new(),
            emails: HashMap::new(),
            titles: Vec::new(),
            groups: BTreeMap::new(),
            raw: HashMap::new(),
            failing_writes: HashMap::new(),
            tokens,
            rng: StdRng::seed_from_u64(config.seed),
            config,
        };
        let service = Arc::new(HumaService { common, state: Mutex::new(state) });
        let server = crate::server::start(service.clone()).await;
        FakeHuma { server, service }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HumaState> {
        lock(&self.service.state)
    }

    /// The base URL (`http://127.0.0.1:port`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// What the Huma client builder's `base_url` takes (in place of Huma's own address): the
    /// server's address.
    pub fn base_url(&self) -> String {
        self.uri()
    }

    /// The token endpoint itself, `{uri}/auth/oauth/token`, for a request made by hand (a client
    /// builder takes [`FakeHuma::base_url`]).
    pub fn token_endpoint(&self) -> String {
        format!("{}/auth/oauth/token", self.uri())
    }

    /// Every user, in list order (creation order).
    pub fn users(&self) -> Vec<HumaUser> {
        self.state().ordered(false).cloned().collect()
    }

    /// One user by id.
    pub fn user(&self, id: &str) -> Option<HumaUser> {
        self.state().users.get(id).cloned()
    }

    /// One user by email (ignoring case).
    pub fn user_by_email(&self, email: &str) -> Option<HumaUser> {
        let state = self.state();
        let id = state.emails.get(&email.to_lowercase())?;
        state.users.get(id).cloned()
    }

    /// How many users there are.
    pub fn user_count(&self) -> usize {
        self.state().users.len()
    }

    /// Adds a user (or replaces the one with its id) and returns its id, assigning ids where empty
    /// and registering its positions' job titles (an empty title id means "by name").
    ///
    /// # Errors
    /// [`SeedError::Taken`] when another user holds its email.
    pub fn insert_user(&self, user: HumaUser) -> Result<String, SeedError> {
        self.state().put_user(user)
    }

    /// Adds many users under one lock (fast seeding); returns their ids in order.
    ///
    /// # Errors
    /// [`SeedError::Taken`] at the first email already held (earlier ones stay added).
    pub fn insert_users(
        &self,
        users: impl IntoIterator<Item = HumaUser>,
    ) -> Result<Vec<String>, SeedError> {
        let mut state = self.state();
        users.into_iter().map(|user| state.put_user(user)).collect()
    }

    /// Adds the user Huma would hold for this person (see [`HumaUser::from_person`]).
    ///
    /// # Errors
    /// [`SeedError::Taken`] when another user holds the person's email.
    pub fn insert_person(&self, person: &Person) -> Result<String, SeedError> {
        self.insert_user(HumaUser::from_person(person))
    }

    /// Changes a user with a closure (as someone in Huma's web app would); false when there is no
    /// such user or the change would duplicate an email.
    pub fn update_user(&self, id: &str, change: impl FnOnce(&mut HumaUser)) -> bool {
        let mut state = self.state();
        let Some(mut user) = state.users.get(id).cloned() else { return false };
        change(&mut user);
        user.id = id.to_owned();
        state.put_user(user).is_ok()
    }

    /// Locks a field of a user (`editable: false`, with a `locked_disconnect` warning from an
    /// integration called `payroll`); PATCHes that touch it answer 400. Field names are
    /// `UserDetails` names: `employmentId`, `phone`, `homeAddress`, `givenName`, ...
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn lock_field(&self, id: &str, field: &str) -> Result<(), SeedError> {
        let mut state = self.state();
        let user = state.users.get_mut(id).ok_or_else(|| SeedError::NotFound(id.to_owned()))?;
        user.locked.insert(field.to_owned(), "payroll".to_owned());
        Ok(())
    }

    /// Makes a locked field editable again.
    pub fn unlock_field(&self, id: &str, field: &str) {
        if let Some(user) = self.state().users.get_mut(id) {
            user.locked.remove(field);
        }
    }

    /// Makes a user active or not (`status.active`), as an administrator in Huma's web app would.
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn set_active(&self, id: &str, active: bool) -> Result<(), SeedError> {
        let mut state = self.state();
        let user = state.users.get_mut(id).ok_or_else(|| SeedError::NotFound(id.to_owned()))?;
        user.active = active;
        Ok(())
    }

    /// Deletes a user, as Huma does: the list no longer shows them, and `GET`, `PATCH` and their
    /// positions answer 404 `object:not-found`. Their email is free again; raw values and
    /// failing writes set for them go too. Returns the user as they were.
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn delete_user(&self, id: &str) -> Result<HumaUser, SeedError> {
        let mut state = self.state();
        let user = state.users.remove(id).ok_or_else(|| SeedError::NotFound(id.to_owned()))?;
        state.order.retain(|listed| listed != id);
        state.emails.remove(&user.email.to_lowercase());
        state.raw.remove(id);
        state.failing_writes.remove(id);
        Ok(user)
    }

    /// Sets a property of a user to raw JSON of any type, so the API answers it as it is: in
    /// their list entry ([`HumaView::ListEntry`], `GET /users`) or in their details
    /// ([`HumaView::Details`], `GET /users/{id}` and the answer to `PATCH /users/{id}`). `path`
    /// is dot-separated, with numbers as array indexes (`status.active`, `givenName.value`,
    /// `currentPositions.0.title.name`); an empty path replaces the whole entry or details.
    /// The value stays, whatever is written to the user, until
    /// [`FakeHuma::clear_raw_properties`]; a later value for the same path wins.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), testkit::SeedError> {
    /// use serde_json::json;
    /// use testkit::{FakeHuma, HumaConfig, HumaUser, HumaView};
    /// let huma = FakeHuma::start(HumaConfig::default()).await;
    /// let id = huma.insert_user(HumaUser::new("ada@example.com", "Ada", "Lovelace"))?;
    /// huma.set_raw_property(&id, HumaView::Details, "status.active", json!("yes"))?;
    /// huma.set_raw_property(&id, HumaView::ListEntry, "givenName", json!(42))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn set_raw_property(
        &self,
        id: &str,
        view: HumaView,
        path: &str,
        value: Value,
    ) -> Result<(), SeedError> {
        self.add_raw(id, RawProperty::new(view, path, Some(value)))
    }

    /// Leaves a property out of a user's list entry or details (`path` as for
    /// [`FakeHuma::set_raw_property`]), until [`FakeHuma::clear_raw_properties`].
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn remove_raw_property(
        &self,
        id: &str,
        view: HumaView,
        path: &str,
    ) -> Result<(), SeedError> {
        self.add_raw(id, RawProperty::new(view, path, None))
    }

    fn add_raw(&self, id: &str, property: RawProperty) -> Result<(), SeedError> {
        let mut state = self.state();
        if !state.users.contains_key(id) {
            return Err(SeedError::NotFound(id.to_owned()));
        }
        state.raw.entry(id.to_owned()).or_default().push(property);
        Ok(())
    }

    /// Takes back every raw value set on a user: the API answers their stored values again.
    pub fn clear_raw_properties(&self, id: &str) {
        self.state().raw.remove(id);
    }

    /// Makes every write to a user (`PATCH /users/{id}`, and creating or updating their
    /// positions) answer `status` with `body`, leaving them unchanged, until
    /// [`FakeHuma::stop_failing_writes`]. Reads still work.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), testkit::SeedError> {
    /// use serde_json::json;
    /// use testkit::{FakeHuma, HumaConfig, HumaUser};
    /// let huma = FakeHuma::start(HumaConfig::default()).await;
    /// let id = huma.insert_user(HumaUser::new("ada@example.com", "Ada", "Lovelace"))?;
    /// // A value Huma refuses: its `InvalidFieldFormatResponse`.
    /// huma.fail_writes(&id, 400, json!({
    ///     "errorCode": "field:invalid-format",
    ///     "errorMessage": "Invalid field format",
    ///     "fields": ["phone"],
    /// }))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user.
    pub fn fail_writes(&self, id: &str, status: u16, body: Value) -> Result<(), SeedError> {
        let mut state = self.state();
        if !state.users.contains_key(id) {
            return Err(SeedError::NotFound(id.to_owned()));
        }
        state.failing_writes.insert(id.to_owned(), Reply::json(status, body));
        Ok(())
    }

    /// Lets writes to a user through again after [`FakeHuma::fail_writes`].
    pub fn stop_failing_writes(&self, id: &str) {
        self.state().failing_writes.remove(id);
    }

    /// Every job title, in creation order.
    pub fn job_titles(&self) -> Vec<JobTitle> {
        self.state().titles.clone()
    }

    /// The job title with this name (ignoring case), created if missing.
    pub fn insert_job_title(&self, name: &str) -> JobTitle {
        let mut state = self.state();
        match state.title_named(name) {
            Some(title) => title.clone(),
            None => state.add_title(name),
        }
    }

    /// Makes every access token issued so far expire (401 until a new one is fetched).
    pub fn expire_access_tokens(&self) {
        self.state().tokens.expire_access();
    }

    /// Sets how long access tokens work (`None`: no limit by time); applies to tokens already issued.
    pub fn set_token_lifetime(&self, lifetime: Option<Duration>) {
        self.state().tokens.lifetime = lifetime;
    }

    /// Sets how many requests each access token serves before it expires (`None`: no limit).
    pub fn set_token_max_uses(&self, max_uses: Option<u64>) {
        self.state().tokens.max_uses = max_uses;
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
