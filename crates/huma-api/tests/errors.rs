//! Each error shape Huma answers with, retries after 429 and 5xx, and the core's error kinds.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

mod common;

use common::*;
use dirsync::{
    directory::{Directory, DirectoryError, ErrorKind, FieldChange, RecordId},
    model::{Field, FieldValue, Person},
};
use huma_api::{HumaDirectory, HumaDirectoryConfig, HumaError, HumaUserId, RetryPolicy};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn phone(value: &str) -> FieldChange {
    FieldChange { field: Field::Phone, value: FieldValue::Text(value.to_owned()) }
}

async fn answer_patch(server: &MockServer, answer: ResponseTemplate, expected: u64) {
    Mock::given(method("PATCH"))
        .and(path("/users/u1"))
        .respond_with(answer)
        .expect(expected)
        .mount(server)
        .await;
}

async fn update(server: &MockServer) -> DirectoryError {
    HumaDirectory::new(client(server), HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[phone("+47 1")])
        .await
        .unwrap_err()
}

fn huma_error(err: &DirectoryError) -> &HumaError {
    err.downcast_ref::<HumaError>().expect("it stands in for a HumaError")
}

#[tokio::test]
async fn invalid_field_format_keeps_the_message_and_the_fields() {
    let server = server().await;
    let body = json!({
        "errorCode": "field:invalid-format",
        "errorMessage": "Phone number is not valid",
        "fields": ["phone"]
    });
    answer_patch(&server, ResponseTemplate::new(400).set_body_json(body), 1).await;
    let err = update(&server).await;
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert_eq!(
        err.message(),
        "Huma refused the request: Phone number is not valid (fields: phone)"
    );
    let HumaError::InvalidField { code, fields, .. } = huma_error(&err) else { panic!("{err:?}") };
    assert_eq!(code.as_deref(), Some("field:invalid-format"));
    assert_eq!(fields, &["phone"]);
}

#[tokio::test]
async fn not_found_is_its_own_kind_with_what_was_looked_for() {
    let server = server().await;
    let body = json!({
        "errorCode": "object:not-found", "errorMessage": "Object not found",
        "interpolations": { "type": "User", "id": "u1" }
    });
    answer_patch(&server, ResponseTemplate::new(404).set_body_json(body), 1).await;
    let err = update(&server).await;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let HumaError::NotFound { interpolations, .. } = huma_error(&err) else { panic!("{err:?}") };
    assert_eq!(interpolations.get("type").map(String::as_str), Some("User"));
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/users/u1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    mock(&server, "GET", "/users/u1", ResponseTemplate::new(200).set_body_json(details("u1")), 1)
        .await;
    let details = client(&server).user(&HumaUserId::new("u1")).await.unwrap();
    assert_eq!(details.id.as_str(), "u1");
}

#[tokio::test]
async fn a_server_error_beyond_the_budget_keeps_the_status_and_message() {
    let server = server().await;
    let body = json!({
        "timestamp": "2021-02-26T11:11:10.152Z", "status": 500, "error": "Internal Server Error",
        "message": "Something broke", "path": "/users/u1"
    });
    // The first attempt and two retries.
    answer_patch(&server, ResponseTemplate::new(500).set_body_json(body), 3).await;
    let err = update(&server).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.kind().is_transient());
    let HumaError::Server { status, message, .. } = huma_error(&err) else { panic!("{err:?}") };
    assert_eq!((*status, message.as_deref()), (500, Some("Something broke")));
}

#[tokio::test]
async fn an_unreadable_server_error_keeps_the_raw_body() {
    let server = server().await;
    answer_patch(
        &server,
        ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
        3,
    )
    .await;
    let err = update(&server).await;
    let HumaError::Server { status, message, body, .. } = huma_error(&err) else {
        panic!("{err:?}")
    };
    assert_eq!((*status, message.as_deref()), (502, None));
    assert_eq!(body, "<html>Bad Gateway</html>");
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_429_retried() {
    let server = server_with_sequence(vec![
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        ResponseTemplate::new(200).set_body_json(details("u1")),
    ])
    .await;
    HumaDirectory::new(client(&server), HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[phone("+47 1")])
        .await
        .unwrap();
}

/// A server whose `PATCH /users/u1` answers `answers` in turn, each exactly once.
async fn server_with_sequence(answers: Vec<ResponseTemplate>) -> MockServer {
    let server = server().await;
    for (i, answer) in answers.into_iter().enumerate() {
        // Later mocks have lower priority (higher number), so the first unspent one answers.
        Mock::given(method("PATCH"))
            .and(path("/users/u1"))
            .respond_with(answer)
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap())
            .expect(1)
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn a_retry_after_longer_than_the_cap_ends_at_once_with_the_wait() {
    let server = server().await;
    answer_patch(&server, ResponseTemplate::new(429).insert_header("Retry-After", "3600"), 1).await;
    let err = update(&server).await;
    assert_eq!(err.kind(), ErrorKind::Throttled);
    let HumaError::Throttled { retry_after } = huma_error(&err) else { panic!("{err:?}") };
    assert_eq!(*retry_after, Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn a_creation_is_not_retried_after_a_server_error() {
    let server = server().await;
    mock(&server, "POST", "/users", ResponseTemplate::new(503), 1).await;
    let person = Person::new().with_email("a@b.c").with_given_name("A").with_family_name("B");
    let err = HumaDirectory::new(client(&server), HumaDirectoryConfig::default())
        .create(&person)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn a_creation_is_retried_after_a_429() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/users"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(summary("new1")))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    mock(
        &server,
        "GET",
        "/users/new1",
        ResponseTemplate::new(200).set_body_json(details("new1")),
        1,
    )
    .await;
    let person = Person::new().with_email("a@b.c").with_given_name("A").with_family_name("B");
    let record = HumaDirectory::new(client(&server), HumaDirectoryConfig::default())
        .create(&person)
        .await
        .unwrap();
    assert_eq!(record.id.as_str(), "new1");
}

#[tokio::test]
async fn forbidden_is_permission_denied() {
    let server = server().await;
    answer_patch(
        &server,
        ResponseTemplate::new(403)
            .set_body_json(json!({ "errorMessage": "Missing permission users:write" })),
        1,
    )
    .await;
    let err = update(&server).await;
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("Missing permission users:write"), "{err}");
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_an_invalid_response_with_the_body_kept() {
    let server = server().await;
    // Cut off mid-answer: not JSON, so no record of it can be trusted (a user of the wrong
    // shape is an unreadable record instead: tests/lenient.rs).
    let body = r#"{"id": "u1", "givenName": {"value": "Ad"#;
    mock(&server, "GET", "/users/u1", ResponseTemplate::new(200).set_body_string(body), 1).await;
    let err = HumaDirectory::new(client(&server), HumaDirectoryConfig::default())
        .get(&RecordId::new("u1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    let HumaError::Decode { body: kept, what, .. } = huma_error(&err) else { panic!("{err:?}") };
    assert_eq!((kept.as_str(), what.as_str()), (body, "GET /users/u1"));
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // A port nothing listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = huma_api::HumaClient::builder()
        .base_url(uri)
        .credentials(CLIENT_ID, CLIENT_SECRET.into())
        .retry(RetryPolicy { max_attempts: 2, ..testkit::fast_retry() })
        .build()
        .unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert!(matches!(err, HumaError::Http(_)), "{err:?}");
    assert_eq!(DirectoryError::from(err).kind(), ErrorKind::Unavailable);
}
