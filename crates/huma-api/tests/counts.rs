//! Reads that never trust a count: a `total` that is wrong, changing or negative never causes a
//! storm of requests or an endless read, and pages that contradict each other fail the read.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use dirsync::directory::{Directory, ErrorKind};
use huma_api::{HumaDirectory, HumaDirectoryConfig, HumaError, HumaUserId};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn page_with_total(ids: &[String], total: serde_json::Value) -> ResponseTemplate {
    let items: Vec<_> = ids.iter().map(|id| summary(id)).collect();
    ResponseTemplate::new(200).set_body_json(json!({ "items": items, "total": total }))
}

/// The list requests the server received.
async fn list_requests(server: &MockServer) -> usize {
    let requests = server.received_requests().await.unwrap();
    requests.iter().filter(|r| r.url.path() == "/users").count()
}

#[tokio::test]
async fn a_total_larger_than_the_pages_stops_at_the_first_short_page() {
    let server = server().await;
    let ids = user_ids(0..120);
    mount_list(&server, &ids, &[Some(1_000_000)]).await;
    let users = client(&server).all_users().await.unwrap();
    assert_eq!(users.len(), 120);
    assert_eq!(list_requests(&server).await, 3, "no page past the short one");
}

#[tokio::test]
async fn an_empty_first_page_ends_the_read_whatever_the_total() {
    let server = server().await;
    mount_page(&server, 0, page(&[], Some(5_000))).await;
    assert!(client(&server).all_users().await.unwrap().is_empty());
    assert_eq!(list_requests(&server).await, 1);
}

#[tokio::test]
async fn a_negative_or_unreadable_total_is_no_total() {
    for total in [json!(-1), json!(-1_000_000), json!("many"), json!(1.5e300), json!(null)] {
        let server = server().await;
        let ids = user_ids(0..60);
        mount_page(&server, 0, page_with_total(&ids[0..50], total.clone())).await;
        mount_page(&server, 50, page_with_total(&ids[50..60], total.clone())).await;
        let users = client(&server).all_users().await.unwrap();
        assert_eq!(users.len(), 60, "total {total}");
    }
}

#[tokio::test]
async fn a_total_that_changes_between_pages_is_only_a_hint() {
    let server = server().await;
    let ids = user_ids(0..140);
    // The list grew while it was read: the second page says so; the last one says too little.
    mount_list(&server, &ids, &[Some(60), Some(140), Some(7)]).await;
    assert_eq!(client(&server).all_users().await.unwrap().len(), 140);
    assert_eq!(list_requests(&server).await, 3);
}

/// A server that ignores `offset`: every page is the same full page.
struct SamePage(Vec<String>);

impl Respond for SamePage {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        page(&self.0, Some(1_000_000))
    }
}

#[tokio::test]
async fn a_server_that_ignores_the_offset_fails_the_read_after_two_pages() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/users"))
        .respond_with(SamePage(user_ids(0..50)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/[^/]+$"))
        .respond_with(DetailsById)
        .mount(&server)
        .await;
    let err = client(&server).all_users().await.unwrap_err();
    assert!(matches!(err, HumaError::InconsistentPages { .. }), "{err:?}");
    assert!(err.to_string().contains("repeats items already read"), "{err}");
    assert_eq!(list_requests(&server).await, 2);
    // Through the directory: the snapshot fails, it is never partial.
    let huma = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());
    let err = huma.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}

#[tokio::test]
async fn a_page_longer_than_asked_for_fails_the_read() {
    let server = server().await;
    mount_page(&server, 0, page(&user_ids(0..51), Some(51))).await;
    let err = client(&server).all_users().await.unwrap_err();
    assert!(matches!(err, HumaError::InconsistentPages { .. }), "{err:?}");
    assert!(err.to_string().contains("51 items, more than the 50 asked for"), "{err}");
}

#[tokio::test]
async fn a_search_stops_at_a_short_page_whatever_the_total() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("search", "ada"))
        .and(query_param("offset", "0"))
        .respond_with(page(&user_ids(0..3), Some(900)))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client(&server).search_users("ada").await.unwrap().len(), 3);
}

#[tokio::test]
async fn positions_stop_at_a_short_page_and_refuse_a_repeating_one() {
    let server = server().await;
    let position = |id: &str| json!({"id": id, "status": "CURRENT"});
    Mock::given(method("GET"))
        .and(path("/users/u1/positions"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [position("p1"), position("p2")], "total": 10_000
        })))
        .expect(1)
        .mount(&server)
        .await;
    let positions = client(&server).positions(&HumaUserId::new("u1")).await.unwrap();
    assert_eq!(positions.len(), 2);

    let full: Vec<_> = (0..50).map(|i| position(&format!("p{i}"))).collect();
    Mock::given(method("GET"))
        .and(path("/users/u2/positions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": full, "total": -4})))
        .expect(2)
        .mount(&server)
        .await;
    let err = client(&server).positions(&HumaUserId::new("u2")).await.unwrap_err();
    assert!(matches!(err, HumaError::InconsistentPages { .. }), "{err:?}");
}
