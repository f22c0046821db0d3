//! Tokens: both connection modes, caching without a stampede, and errors that say what to do.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{AuthorizationCodeFlow, GraphClient, GraphError, PkceVerifier};
use common::*;
use dirsync::directory::{Directory, ErrorKind};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn token_refusal(server: &MockServer, status: u16, code: u64, error: &str) {
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: something went wrong.\r\nTrace ID: t-1"),
            "error_codes": [code],
            "trace_id": "trace-1",
            "correlation_id": "corr-1"
        })))
        .expect(1)
        .mount(server)
        .await;
}

async fn refusal_of(code: u64, error: &str) -> GraphError {
    let server = MockServer::start().await;
    token_refusal(&server, 401, code, error).await;
    let (client, _) = client(&server);
    client.authenticate().await.unwrap_err()
}

#[tokio::test]
async fn expired_secret_says_create_a_new_one_and_reconnect() {
    let err = refusal_of(7000222, "invalid_client").await;
    assert!(matches!(err, GraphError::SecretExpired { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("client secret has expired"), "{text}");
    assert!(text.contains("create a new client secret") && text.contains("reconnect"), "{text}");
    assert_eq!(err.details().unwrap().request_id.as_deref(), Some("trace-1"));
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[tokio::test]
async fn wrong_secret_says_use_the_value_not_the_id() {
    let err = refusal_of(7000215, "invalid_client").await;
    assert!(matches!(err, GraphError::InvalidSecret { .. }), "{err:?}");
    assert!(err.to_string().contains("the secret's Value, not its Secret ID"), "{err}");
}

#[tokio::test]
async fn unknown_tenant_names_the_tenant() {
    let err = refusal_of(90002, "invalid_request").await;
    assert!(matches!(err, GraphError::TenantNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("tenant {TENANT:?} was not found")), "{err}");
}

#[tokio::test]
async fn unknown_app_names_the_client_id() {
    let err = refusal_of(700016, "unauthorized_client").await;
    assert!(matches!(err, GraphError::AppNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains(CLIENT_ID), "{err}");
}

#[tokio::test]
async fn an_unknown_code_keeps_the_description() {
    let err = refusal_of(50000, "server_error").await;
    assert!(matches!(err, GraphError::TokenRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("AADSTS50000"), "{err}");
}

#[tokio::test]
async fn token_request_is_client_credentials_with_the_default_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains(format!("client_secret={SECRET}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(ACCESS_TOKEN)))
        .expect(1)
        .mount(&server)
        .await;
    read_u1(&server, 3).await;
}

/// Mounts `GET /users/u1` for the access token, expected `times`, and reads it that many times
/// through one client.
async fn read_u1(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .and(header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(user("u1")))
        .expect(times)
        .mount(server)
        .await;
    let (client, _) = client(server);
    for _ in 0..times {
        let got = client.get_user(&"u1".into_id(), &["id"]).await.unwrap();
        assert_eq!(got.unwrap().id().as_str(), "u1");
    }
}

trait IntoId {
    fn into_id(self) -> azure_graph::GraphUserId;
}
impl IntoId for &str {
    fn into_id(self) -> azure_graph::GraphUserId {
        azure_graph::GraphUserId::new(self)
    }
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body(ACCESS_TOKEN))
                .set_delay(Duration::from_millis(150)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user("u1")))
        .expect(20)
        .mount(&server)
        .await;
    let sleep = RecordingClock::default();
    let client = builder(&server, &sleep).max_concurrency(20).build().unwrap();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user(&"u1".into_id(), &[]).await })
    });
    for call in futures::future::join_all(calls).await {
        assert!(call.unwrap().unwrap().is_some());
    }
}

#[tokio::test]
async fn missing_permission_on_reads_says_which_permission() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(403).set_body_json(graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let text = err.to_string();
    assert!(text.contains("User.ReadWrite.All") && text.contains("admin consent"), "{text}");
    assert!(text.contains("User Administrator role"), "{text}");
    assert!(text.contains("req-42"), "the request id is kept: {text}");
}

fn user_account_client(server: &MockServer, saved: Arc<Mutex<Vec<String>>>) -> GraphClient {
    let sleep = RecordingClock::default();
    GraphClient::builder()
        .tenant(TENANT)
        .user_account(CLIENT_ID, SecretString::from(SECRET), SecretString::from("rt-1"))
        .on_refresh_token(move |t| saved.lock().unwrap().push(t.expose_secret().to_owned()))
        .graph_url(server.uri())
        .login_url(server.uri())
        .retry(quick_retry())
        .clock(Arc::new(sleep))
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_refresh_hands_back_the_new_refresh_token() {
    let server = MockServer::start().await;
    for (old, new, access) in [("rt-1", "rt-2", "at-1"), ("rt-2", "rt-3", "at-2")] {
        Mock::given(method("POST"))
            .and(path(token_path()))
            .and(body_string_contains("grant_type=refresh_token"))
            .and(body_string_contains(format!("refresh_token={old}&")))
            .and(body_string_contains("offline_access"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3599, "access_token": access,
                "refresh_token": new
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    // The first token is refused once (say, revoked): the client refreshes again with rt-2.
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(graph_error("InvalidAuthenticationToken", "x")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user("u1")))
        .expect(1)
        .mount(&server)
        .await;
    let saved = Arc::new(Mutex::new(Vec::new()));
    let client = user_account_client(&server, saved.clone());
    assert!(client.get_user(&"u1".into_id(), &[]).await.unwrap().is_some());
    assert_eq!(*saved.lock().unwrap(), ["rt-2", "rt-3"]);
    assert_eq!(client.refresh_token().unwrap().expose_secret(), "rt-3");
}

#[tokio::test]
async fn an_expired_refresh_token_says_reconnect_with_a_user_account() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "AADSTS700082: The refresh token has expired due to inactivity.",
            "error_codes": [700082]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = user_account_client(&server, Arc::default());
    let err = client.authenticate().await.unwrap_err();
    assert!(matches!(err, GraphError::RefreshTokenExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("reconnect with a user account"), "{err}");
}

#[tokio::test]
async fn authorization_code_flow_uses_pkce_and_redeems_the_code() {
    let server = MockServer::start().await;
    let flow = AuthorizationCodeFlow::new(
        TENANT,
        CLIENT_ID,
        SecretString::from(SECRET),
        "https://auth.hu.ma/oauth",
    )
    .unwrap()
    .login_url(&server.uri())
    .unwrap();
    let request = flow.authorize_url();
    assert_eq!(request.url.path(), format!("/{TENANT}/oauth2/v2.0/authorize"));
    let q: std::collections::HashMap<String, String> =
        request.url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], "https://auth.hu.ma/oauth");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"], request.verifier.challenge());
    assert_eq!(q["state"], request.state);
    assert!(q["scope"].split(' ').any(|s| s == "offline_access"));
    assert!(!request.url.as_str().contains(request.verifier.secret().expose_secret()));

    let verifier = request.verifier.secret().expose_secret().to_owned();
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(body_string_contains(format!("code_verifier={verifier}")))
        .and(body_string_contains("redirect_uri=https%3A%2F%2Fauth.hu.ma%2Foauth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": 3599, "access_token": "at", "refresh_token": "rt"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let stored = PkceVerifier::from_secret(SecretString::from(verifier));
    let tokens = flow.redeem("the-code", &stored).await.unwrap();
    assert_eq!(tokens.refresh_token.expose_secret(), "rt");
    assert_eq!(tokens.expires_in, Duration::from_secs(3599));
}

#[tokio::test]
async fn plain_http_is_refused_except_on_loopback() {
    let err = GraphClient::builder()
        .tenant(TENANT)
        .client_credentials(CLIENT_ID, SecretString::from(SECRET))
        .login_url("http://login.example.com")
        .build()
        .unwrap_err();
    assert!(matches!(err, GraphError::Config(_)));
    assert!(err.to_string().contains("https://"), "{err}");
    let redirect = AuthorizationCodeFlow::new(
        TENANT,
        CLIENT_ID,
        SecretString::from(SECRET),
        "http://x.example/cb",
    );
    assert!(redirect.is_err());
}

#[tokio::test]
async fn a_login_host_that_cannot_be_found_fails_at_once_naming_it() {
    // No fake behind it: the default retry policy's six attempts would take about 20 s.
    let client = GraphClient::builder()
        .tenant(TENANT)
        .client_credentials(CLIENT_ID, SecretString::from(SECRET))
        .login_url("https://login.dirsync-test.invalid")
        .build()
        .unwrap();
    let err = client.authenticate().await.unwrap_err();
    let GraphError::Transport { source, .. } = &err else { panic!("no answer: {err:?}") };
    assert_eq!(source.attempts, 2, "{err:?}");
    let unresolved = source.unresolved_host().expect("a name that was not found");
    assert_eq!(unresolved.host, "login.dirsync-test.invalid");
}

#[tokio::test]
async fn a_token_without_a_usable_lifetime_is_not_fetched_before_every_call() {
    for expires_in in [json!(0), json!(-1), json!(3), json!("x")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"token_type": "Bearer", "expires_in": expires_in, "access_token": ACCESS_TOKEN}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        read_u1(&server, 5).await;
    }
}
