//! Faults a real server does not make on demand, against wiremock: throttling, server errors,
//! malformed answers, a `totalResults` that lies, and SCIM error bodies.

mod common;

use common::TOKEN;
use dirsync::{
    directory::{Directory, DirectoryError, ErrorKind, FieldChange},
    model::{Field, FieldValue},
};
use dirsync_runtime::RecordingClock;
use dirsync_scim::{ScimClient, ScimDirectory, ScimDirectoryConfig, ScimError};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use testkit::fast_retry;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn spc(page: u32, patch: bool, etag: bool) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": patch },
        "filter": { "supported": true, "maxResults": page },
        "etag": { "supported": etag },
        "bulk": { "supported": false }
    })
}

/// A wiremock provider with pages of `page` users, PATCH and ETags.
async fn provider(page: u32) -> MockServer {
    provider_configured(ResponseTemplate::new(200).set_body_json(spc(page, true, true))).await
}

/// A wiremock provider that answers `/ServiceProviderConfig` with `config`.
async fn provider_configured(config: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/ServiceProviderConfig"))
        .respond_with(config)
        .mount(&server)
        .await;
    server
}

fn directory(server: &MockServer, clock: &RecordingClock) -> ScimDirectory {
    let client = ScimClient::builder()
        .base_url(format!("{}/scim/v2", server.uri()))
        .token(SecretString::from(TOKEN))
        .retry(fast_retry())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap_or_else(|e| panic!("a loopback URL is accepted: {e}"));
    ScimDirectory::new(client, ScimDirectoryConfig::default())
}

fn user(i: usize) -> Value {
    json!({ "id": format!("u{i}"), "userName": format!("u{i}@example.com") })
}

fn page(users: std::ops::Range<usize>, total: usize, start: usize) -> ResponseTemplate {
    let resources: Vec<Value> = users.map(user).collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources
    }))
}

/// Any `GET /Users`, whatever its query, answered with `answer`.
fn every_users_page(answer: ResponseTemplate) -> Mock {
    Mock::given(method("GET")).and(path("/scim/v2/Users")).respond_with(answer)
}

/// The error of a read whose every page request is answered with `answer`, sent as often as the
/// retry policy allows.
async fn a_read_answered_always(
    answer: ResponseTemplate,
    clock: &RecordingClock,
) -> DirectoryError {
    let server = provider(10).await;
    every_users_page(answer).expect(u64::from(fast_retry().max_attempts)).mount(&server).await;
    let err = directory(&server, clock).snapshot().await.err();
    err.unwrap_or_else(|| panic!("a provider that never answers a read fails it"))
}

async fn mount_page(server: &MockServer, start: usize, answer: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(query_param("startIndex", start.to_string()))
        .respond_with(answer)
        .expect(times)
        .mount(server)
        .await;
}

fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> ResponseTemplate {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(),
        "detail": detail
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    ResponseTemplate::new(status).set_body_json(body)
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_the_provider_asked_for() {
    let server = provider(10).await;
    let clock = RecordingClock::default();
    every_users_page(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_page(&server, 1, page(0..3, 3, 1), 1).await;
    let records = directory(&server, &clock).snapshot().await;
    assert_eq!(records.map(|r| r.len()).ok(), Some(3));
    assert_eq!(clock.waits(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn a_429_that_lasts_is_throttled_with_the_last_wait_asked_for() {
    let clock = RecordingClock::default();
    let answer = scim_error(429, None, "slow down").insert_header("Retry-After", "2");
    let err = a_read_answered_always(answer, &clock).await;
    assert_eq!(err.kind(), ErrorKind::Throttled);
    let Some(ScimError::Throttled { retry_after, attempts, details }) =
        err.downcast_ref::<ScimError>()
    else {
        panic!("a Throttled error: {err:?}")
    };
    assert_eq!((*retry_after, *attempts), (Some(Duration::from_secs(2)), 3));
    assert_eq!(details.message.as_deref(), Some("slow down"));
    assert_eq!(clock.waits(), [Duration::from_secs(2); 2]);
}

#[tokio::test]
async fn a_503_that_lasts_is_unavailable_after_the_retry_budget() {
    let clock = RecordingClock::default();
    let err = a_read_answered_always(scim_error(503, None, "maintenance"), &clock).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.to_string().contains("maintenance"), "{err}");
    assert_eq!(clock.waits().len(), 2);
}

#[tokio::test]
async fn a_provider_without_a_configuration_is_read_without_optional_features() {
    for status in [404, 501] {
        let server = provider_configured(scim_error(status, None, "not implemented")).await;
        mount_page(&server, 1, page(0..3, 3, 1), 1).await;
        let clock = RecordingClock::default();
        let records = directory(&server, &clock).snapshot().await;
        assert_eq!(records.map(|r| r.len()).ok(), Some(3), "{status}");
        assert!(clock.waits().is_empty(), "{status}: nothing to wait out");
    }
}

#[tokio::test]
async fn a_500_fails_at_once_and_a_write_is_not_sent_twice() {
    let server = provider(10).await;
    let clock = RecordingClock::default();
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(1)
        .mount(&server)
        .await;
    let person = dirsync::model::Person::new().with_email("ada@example.com");
    let err = directory(&server, &clock).create(&person).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Unavailable));
    assert!(clock.waits().is_empty());
}

#[tokio::test]
async fn a_malformed_page_fails_the_read_and_keeps_the_body() {
    let server = provider(10).await;
    let clock = RecordingClock::default();
    mount_page(&server, 1, ResponseTemplate::new(200).set_body_string("{\"Resources\": [oops"), 1)
        .await;
    let err = directory(&server, &clock).snapshot().await.err();
    let err = err.unwrap_or_else(|| panic!("a malformed page fails the read"));
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    let Some(ScimError::InvalidResponse { body, .. }) = err.downcast_ref::<ScimError>() else {
        panic!("an InvalidResponse: {err:?}")
    };
    assert!(body.contains("oops"));
}

#[tokio::test]
async fn a_user_without_an_id_fails_the_read() {
    let server = provider(10).await;
    let clock = RecordingClock::default();
    let answer = ResponseTemplate::new(200)
        .set_body_json(json!({ "totalResults": 1, "Resources": [{ "userName": "ada" }] }));
    mount_page(&server, 1, answer, 1).await;
    let err = directory(&server, &clock).snapshot().await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidResponse));
}

#[tokio::test]
async fn a_total_that_claims_too_many_fails_after_one_more_page() {
    let server = provider(5).await;
    let clock = RecordingClock::default();
    mount_page(&server, 1, page(0..5, 100, 1), 1).await;
    mount_page(&server, 6, page(5..7, 100, 6), 1).await;
    mount_page(&server, 8, page(7..7, 100, 8), 1).await;
    let err = directory(&server, &clock).snapshot().await.err();
    let err = err.unwrap_or_else(|| panic!("a listing that ends before its total fails"));
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("there are 100 users"), "{err}");
}

#[tokio::test]
async fn a_total_that_claims_too_few_is_not_believed() {
    let server = provider(5).await;
    let clock = RecordingClock::default();
    mount_page(&server, 1, page(0..5, 2, 1), 1).await;
    mount_page(&server, 6, page(5..10, 2, 6), 1).await;
    mount_page(&server, 11, page(10..12, 2, 11), 1).await;
    let records = directory(&server, &clock).snapshot().await;
    assert_eq!(records.map(|r| r.len()).ok(), Some(12));
}

#[tokio::test]
async fn a_provider_that_ignores_start_index_fails_the_read() {
    let server = provider(3).await;
    let clock = RecordingClock::default();
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalResults": 9, "Resources": [user(0), user(1), user(2)]
        })))
        .expect(2)
        .mount(&server)
        .await;
    let err = directory(&server, &clock).snapshot().await.err();
    let err = err.unwrap_or_else(|| panic!("the same page twice fails the read"));
    assert!(err.to_string().contains("came again"), "{err}");
}

#[tokio::test]
async fn scim_error_bodies_become_errors_that_say_what_to_do() {
    let cases = [
        (401, None, "token expired", ErrorKind::Authentication, "create a new token"),
        (403, None, "read-only token", ErrorKind::PermissionDenied, "right to read and write"),
        (404, None, "no such user", ErrorKind::NotFound, "deleted"),
        (409, Some("uniqueness"), "userName taken", ErrorKind::AlreadyExists, "pairs them"),
        (400, Some("invalidValue"), "title too long", ErrorKind::InvalidValue, "correct the value"),
        (412, None, "version mismatch", ErrorKind::Other, "sync again"),
    ];
    for (status, scim_type, detail, kind, advice) in cases {
        let server = provider(10).await;
        let clock = RecordingClock::default();
        Mock::given(method("GET"))
            .and(path("/scim/v2/Users/u1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(user(1)))
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path("/scim/v2/Users/u1"))
            .respond_with(scim_error(status, scim_type, detail))
            .expect(1)
            .mount(&server)
            .await;
        let change =
            [FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }];
        let err = directory(&server, &clock).update(&"u1".into(), &change).await.err();
        let err = err.unwrap_or_else(|| panic!("{status} is an error"));
        assert_eq!(err.kind(), kind, "{status}: {err}");
        let text = err.to_string();
        assert!(text.contains(detail) && text.contains(advice), "{status}: {text}");
        if let Some(t) = scim_type {
            assert!(text.contains(t), "{text}");
        }
    }
}

#[tokio::test]
async fn a_change_is_a_patch_with_the_version_just_read_in_if_match() {
    let server = provider(10).await;
    let clock = RecordingClock::default();
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(user(1)).insert_header("ETag", "W/\"42\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Users/u1"))
        .and(header("If-Match", "W/\"42\""))
        .and(header("Authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let change = [FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }];
    let written = directory(&server, &clock).update(&"u1".into(), &change).await;
    assert!(written.is_ok(), "{written:?}");
    let requests = server.received_requests().await.unwrap_or_default();
    let patch = requests.iter().find(|r| r.method.as_str() == "PATCH");
    let body: Value = patch.and_then(|r| serde_json::from_slice(&r.body).ok()).unwrap_or_default();
    assert_eq!(body["Operations"][0], json!({ "op": "replace", "path": "title", "value": "CTO" }));
}

/// A provider whose `GET /Users/u1` finds the user, and whose `PATCH` answers `answers` in turn,
/// each once.
async fn patched_with(answers: &[u16]) -> MockServer {
    let server = provider(10).await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user(1)))
        .mount(&server)
        .await;
    for (i, status) in answers.iter().enumerate() {
        Mock::given(method("PATCH"))
            .and(path("/scim/v2/Users/u1"))
            .respond_with(ResponseTemplate::new(*status))
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap_or(u8::MAX))
            .expect(1)
            .mount(&server)
            .await;
    }
    server
}

/// A change of one user's title, written to a provider whose `PATCH` answers `answers` in turn.
async fn patch_answered(answers: &[u16], clock: &RecordingClock) -> Result<(), DirectoryError> {
    let server = patched_with(answers).await;
    let title = [FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }];
    directory(&server, clock).update(&"u1".into(), &title).await
}

#[tokio::test]
async fn a_patch_is_sent_again_after_a_429_never_after_a_503() {
    let clock = RecordingClock::default();
    let written = patch_answered(&[429, 204], &clock).await;
    assert!(written.is_ok(), "{written:?}");
    let refused = patch_answered(&[503], &clock).await;
    assert_eq!(refused.err().map(|e| e.kind()), Some(ErrorKind::Unavailable));
}

#[tokio::test]
async fn a_refused_bearer_token_is_the_authentication_error_at_once() {
    let clock = RecordingClock::default();
    // The token is fixed: there is nothing to refresh, so the request is sent once.
    let refused = patch_answered(&[401], &clock).await.err();
    assert_eq!(refused.map(|e| e.kind()), Some(ErrorKind::Authentication));
    assert!(clock.waits().is_empty());
}

#[tokio::test]
async fn a_write_that_does_not_say_its_length_is_a_bug_to_report_never_held_back() {
    let refused = patch_answered(&[411], &RecordingClock::default()).await;
    let refused = refused.err().unwrap_or_else(|| panic!("a 411 fails the write"));
    assert_eq!(refused.kind(), ErrorKind::Protocol);
    assert!(!dirsync::held::is_held_back(refused.kind()));
    assert!(refused.to_string().contains("bug in dirsync"), "{refused}");
}
