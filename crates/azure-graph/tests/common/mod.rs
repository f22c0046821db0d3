//! Helpers shared by the integration tests: a wiremock server, a token endpoint, a client with
//! tiny retry waits and a clock that records waits instead of waiting.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use azure_graph::{
    AzureDirectory, AzureDirectoryConfig, Clock, GraphClient, GraphClientBuilder, RetryPolicy,
};
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TENANT: &str = "contoso-tenant";
pub const CLIENT_ID: &str = "app-client-id";
pub const SECRET: &str = "super-secret-value-123";
pub const ACCESS_TOKEN: &str = "eyJ-access-token-abc";

/// A clock that records every wait and moves its own time forward instead of waiting (the
/// requests cross real sockets, where paused time would fire their timeouts early).
#[derive(Debug, Clone)]
pub struct RecordingClock {
    start: tokio::time::Instant,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Default for RecordingClock {
    fn default() -> Self {
        RecordingClock { start: tokio::time::Instant::now(), waits: Arc::default() }
    }
}

impl RecordingClock {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Clock for RecordingClock {
    fn now(&self) -> tokio::time::Instant {
        self.start + self.waits().iter().sum::<Duration>()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap().push(duration);
        Box::pin(tokio::task::yield_now())
    }
}

pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(60),
    }
}

pub fn builder(server: &MockServer, sleep: &RecordingClock) -> GraphClientBuilder {
    GraphClient::builder()
        .tenant(TENANT)
        .client_credentials(CLIENT_ID, SecretString::from(SECRET))
        .graph_url(server.uri())
        .login_url(server.uri())
        .retry(quick_retry())
        .write_budget(None)
        .clock(Arc::new(sleep.clone()))
}

pub fn client(server: &MockServer) -> (GraphClient, RecordingClock) {
    let sleep = RecordingClock::default();
    (builder(server, &sleep).build().unwrap(), sleep)
}

pub fn directory(server: &MockServer) -> (AzureDirectory, RecordingClock) {
    let (client, sleep) = client(server);
    let config = AzureDirectoryConfig { upn_domain: "contoso.com".into(), ..Default::default() };
    (AzureDirectory::new(client, config), sleep)
}

pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

pub fn token_body(token: &str) -> Value {
    json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token})
}

/// A token endpoint that must be called exactly `times`.
pub async fn mount_token(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(ACCESS_TOKEN)))
        .expect(times)
        .mount(server)
        .await;
}

pub fn user(id: &str) -> Value {
    json!({"id": id, "accountEnabled": true, "givenName": format!("Given {id}"),
           "userPrincipalName": format!("{id}@contoso.com")})
}

/// The $select the directory sends with the default configuration.
pub const SELECT: &str = "id,accountEnabled,mail,userPrincipalName,employeeId,givenName,surname,\
mobilePhone,streetAddress,postalCode,city,country,jobTitle,employeeHireDate,onPremisesSyncEnabled";

pub fn graph_error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message,
                     "innerError": {"request-id": "req-42", "date": "2026-01-01T00:00:00"}}})
}

/// An error and its causes, one message each, the way `anyhow`'s `{:#}` shows them.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut messages = vec![err.to_string()];
    let mut cause = err.source();
    while let Some(next) = cause {
        messages.push(next.to_string());
        cause = next.source();
    }
    messages.join(": ")
}
