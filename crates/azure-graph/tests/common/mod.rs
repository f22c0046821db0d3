//! Helpers shared by the integration tests: a wiremock server, a token endpoint, a client with
//! tiny retry waits and a clock that records waits instead of waiting.
#![allow(dead_code, unused_imports, unreachable_pub, clippy::unwrap_used)]

use azure_graph::{
    AzureDirectory, AzureDirectoryConfig, GraphClient, GraphClientBuilder, RetryPolicy,
};
pub use dirsync_runtime::RecordingClock;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TENANT: &str = "contoso-tenant";
pub const CLIENT_ID: &str = "app-client-id";
pub const SECRET: &str = "super-secret-value-123";
pub const ACCESS_TOKEN: &str = "eyJ-access-token-abc";

/// Quick retries: four attempts from a 2 ms base (tests count the attempts and the waits).
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, base_delay: Duration::from_millis(2), ..testkit::fast_retry() }
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

/// A builder for testkit's fake Graph, with its app's credentials.
pub fn fake_builder(graph: &testkit::FakeGraph, clock: &RecordingClock) -> GraphClientBuilder {
    use testkit::FakeGraph;
    GraphClient::builder()
        .tenant(FakeGraph::TENANT_ID)
        .client_credentials(FakeGraph::CLIENT_ID, SecretString::from(FakeGraph::CLIENT_SECRET))
        .graph_url(graph.graph_url())
        .login_url(graph.login_url())
        .retry(quick_retry())
        .write_budget(None)
        .clock(Arc::new(clock.clone()))
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

/// An error with its causes, each once.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    dirsync::directory::ErrorChain(err).to_string()
}

pub fn graph_error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message,
                     "innerError": {"request-id": "req-42", "date": "2026-01-01T00:00:00"}}})
}
