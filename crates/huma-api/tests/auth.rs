//! Client credentials: the token request, caching, one refresh under concurrency, 401 mid-run,
//! a wrong key, and secrets kept out of Debug and errors.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

mod common;

use common::*;
use dirsync::directory::{Directory, ErrorKind, RecordId};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, HumaError, HumaUserId};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_user(server: &MockServer, token: &str, expected: u64) {
    Mock::given(method("GET"))
        .and(path("/users/u1"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(details("u1")))
        .expect(expected)
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_token_is_requested_with_the_form_and_reused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
        )))
        .respond_with(token_answer("tok-a", 3600))
        .expect(1)
        .mount(&server)
        .await;
    mount_user(&server, "tok-a", 3).await;
    let client = client(&server);
    for _ in 0..3 {
        client.user(&HumaUserId::new("u1")).await.unwrap();
    }
}

#[tokio::test]
async fn concurrent_requests_share_one_token_request() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/auth/oauth/token",
        token_answer("tok-a", 3600).set_delay(Duration::from_millis(100)),
        1,
    )
    .await;
    mount_user(&server, "tok-a", 10).await;
    let client = client(&server);
    let calls = (0..10).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.user(&HumaUserId::new("u1")).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_token_without_a_usable_lifetime_is_not_fetched_before_every_call() {
    for expires_in in [json!(0), json!(-3600), json!(2), json!("soon"), json!(null)] {
        let server = MockServer::start().await;
        let answer = ResponseTemplate::new(200)
            .set_body_json(json!({"access_token": "tok-short", "expires_in": expires_in}));
        mock(&server, "POST", "/auth/oauth/token", answer, 1).await;
        mount_user(&server, "tok-short", 5).await;
        let client = client(&server);
        for _ in 0..5 {
            client.user(&HumaUserId::new("u1")).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_401_invalid_token_mid_run_refreshes_once_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/oauth/token"))
        .respond_with(token_answer("tok-old", 3600))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mock(&server, "POST", "/auth/oauth/token", token_answer("tok-new", 3600), 1).await;
    Mock::given(method("GET"))
        .and(path("/users/u1"))
        .and(header("authorization", "Bearer tok-old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_token", "error_description": "Access token expired"
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_user(&server, "tok-new", 2).await;
    let huma = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());
    assert!(huma.get(&RecordId::new("u1")).await.unwrap().is_some());
    // The new token is cached: the next request needs no token request.
    assert!(huma.get(&RecordId::new("u1")).await.unwrap().is_some());
}

#[tokio::test]
async fn a_token_refused_again_after_a_refresh_is_an_authentication_error() {
    let server = MockServer::start().await;
    mock(&server, "POST", "/auth/oauth/token", token_answer("tok", 3600), 2).await;
    mock(
        &server,
        "GET",
        "/users/u1",
        ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_token", "error_description": "User does not exist"
        })),
        2,
    )
    .await;
    let huma = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());
    let err = huma.get(&RecordId::new("u1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.message().contains("User does not exist"), "{err}");
}

#[tokio::test]
async fn a_wrong_key_says_so_plainly_and_nothing_else_is_called() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/auth/oauth/token",
        ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client", "error_description": "Bad client credentials"
        })),
        1,
    )
    .await;
    mock(&server, "GET", "/users", page(&[], Some(0)), 0).await;
    let huma = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());
    let err = huma.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.kind().is_fatal());
    assert!(
        err.message()
            .contains("check the Client ID and Client secret under System settings → Open API"),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));
}

#[tokio::test]
async fn authenticate_checks_the_key_up_front() {
    let server = MockServer::start().await;
    mock(&server, "POST", "/auth/oauth/token", ResponseTemplate::new(400).set_body_json(json!({
            "errorCode": "field:invalid-format", "errorMessage": "client_secret must be a UUID", "fields": ["client_secret"]
        })), 1).await;
    let err = client(&server).authenticate().await.unwrap_err();
    assert!(matches!(err, HumaError::InvalidCredentials { status: 400, .. }), "{err:?}");
    assert!(err.to_string().contains("client_secret must be a UUID"));
}

#[tokio::test]
async fn the_token_request_is_retried_on_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/oauth/token"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mock(&server, "POST", "/auth/oauth/token", token_answer("tok", 3600), 1).await;
    client(&server).authenticate().await.unwrap();
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let server = server().await;
    let client = client(&server);
    client.authenticate().await.unwrap();
    let huma = HumaDirectory::new(client.clone(), HumaDirectoryConfig::default());
    for shown in [format!("{client:?}"), format!("{huma:?}")] {
        assert!(!shown.contains(CLIENT_SECRET), "{shown}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let build = |url: &str| {
        HumaClient::builder().base_url(url).credentials(CLIENT_ID, CLIENT_SECRET.into()).build()
    };
    assert!(matches!(build("http://openapi.humahr.com"), Err(HumaError::Config { .. })));
    assert!(build("http://127.0.0.1:9").is_ok());
    assert_eq!(
        build("https://openapi.humahr.com").unwrap().base_url().as_str(),
        "https://openapi.humahr.com/"
    );
    assert_eq!(
        HumaClient::builder().credentials("a", "b".into()).build().unwrap().base_url().as_str(),
        "https://openapi.humahr.com/"
    );
}
