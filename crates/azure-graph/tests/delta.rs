//! Incremental reads through `/users/delta`: the deltaLink as cursor, `@removed` entries, and an
//! expired token falling back to a full read.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use dirsync::directory::{Cursor, ErrorKind, IncrementalDirectory};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The first round: two pages, then a deltaLink with token `d1`.
async fn mount_first_round(server: &MockServer, expect: u64) {
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$select", SELECT))
        .and(query_param_is_missing("$top"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [user("a"), user("b")],
            "@odata.nextLink": format!("{}/v1.0/users/delta?$skiptoken=s2", server.uri()),
        })))
        .expect(expect)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$skiptoken", "s2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            // The same user twice in one round happens; the last one wins.
            "value": [user("c"), {"id": "a", "givenName": "Again"}],
            "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken=d1", server.uri()),
        })))
        .expect(expect)
        .mount(server)
        .await;
}

fn saved_cursor(server: &MockServer, token: &str) -> Cursor {
    Cursor::new(format!("{}/v1.0/users/delta?$deltatoken={token}", server.uri()))
}

#[tokio::test]
async fn a_first_read_reads_everyone_and_saves_the_delta_link() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_first_round(&server, 1).await;
    let (dir, _) = directory(&server);
    let changes = dir.changes_since(None).await.unwrap();
    let ids: Vec<&str> = changes.changed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(changes.changed[0].person.given_name(), Some("Again"));
    assert!(changes.removed.is_empty());
    assert_eq!(changes.cursor, saved_cursor(&server, "d1"));
    assert!(changes.full_read.unwrap().contains("no delta token yet"));
}

#[tokio::test]
async fn the_next_read_brings_changes_and_removals_only() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                {"id": "b", "jobTitle": "CTO", "accountEnabled": true},
                {"id": "gone", "@removed": {"reason": "deleted"}},
                {"id": "binned", "@removed": {"reason": "changed"}},
            ],
            "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken=d2", server.uri()),
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let changes = dir.changes_since(Some(&saved_cursor(&server, "d1"))).await.unwrap();
    assert_eq!(changes.full_read, None);
    assert_eq!(changes.changed.len(), 1);
    assert_eq!(changes.changed[0].person.job_title(), Some("CTO"));
    let removed: Vec<&str> = changes.removed.iter().map(|r| r.as_str()).collect();
    assert_eq!(removed, ["gone", "binned"]);
    assert_eq!(changes.cursor, saved_cursor(&server, "d2"));
}

async fn expired_token_falls_back(status: u16, code: &str) {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "old"))
        .respond_with(
            ResponseTemplate::new(status).set_body_json(graph_error(code, "token expired")),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_first_round(&server, 1).await;
    let (dir, _) = directory(&server);
    let changes = dir.changes_since(Some(&saved_cursor(&server, "old"))).await.unwrap();
    let reason = changes.full_read.expect("a full read is reported");
    assert!(reason.contains("expired") && reason.contains(code), "{reason}");
    assert_eq!(changes.changed.len(), 3);
    assert_eq!(changes.cursor, saved_cursor(&server, "d1"));
}

#[tokio::test]
async fn an_expired_delta_token_410_falls_back_to_a_full_read() {
    expired_token_falls_back(410, "syncStateNotFound").await;
}

#[tokio::test]
async fn a_resync_required_400_falls_back_to_a_full_read() {
    expired_token_falls_back(400, "resyncRequired").await;
}

#[tokio::test]
async fn a_cursor_for_another_host_is_never_followed() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_first_round(&server, 1).await;
    let (dir, _) = directory(&server);
    let foreign = Cursor::new("https://evil.example/v1.0/users/delta?$deltatoken=x");
    let changes = dir.changes_since(Some(&foreign)).await.unwrap();
    assert!(changes.full_read.unwrap().contains("not a delta link"));
}

#[tokio::test]
async fn other_errors_are_errors() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(graph_error("Authorization_RequestDenied", "x")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.changes_since(Some(&saved_cursor(&server, "d1"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn a_round_without_a_delta_link_is_an_invalid_response() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.changes_since(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}
