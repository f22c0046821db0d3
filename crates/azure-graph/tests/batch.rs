//! Batched writes: groups of 20, each inner answer read on its own, inner 429s retried alone.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{GraphError, GraphUserId, UserPatch};
use common::*;
use dirsync::{
    directory::{ErrorKind, FieldChange, RecordId},
    model::{Field, FieldValue},
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

type Decide = dyn Fn(&str, usize) -> Value + Send + Sync;

/// Answers each batch by asking `decide(user id, round)` for every inner request's answer, and
/// keeps every batch body it received.
struct BatchResponder {
    decide: Box<Decide>,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Respond for BatchResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let round = {
            let mut bodies = self.bodies.lock().unwrap();
            bodies.push(body.clone());
            bodies.len()
        };
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .rev() // answers may come in any order
            .map(|r| {
                let user = r["url"].as_str().unwrap().trim_start_matches("/users/");
                let mut answer = (self.decide)(user, round);
                answer["id"] = r["id"].clone();
                answer
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

async fn mount_batch(
    server: &MockServer,
    decide: Box<Decide>,
    expect: u64,
) -> Arc<Mutex<Vec<Value>>> {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(BatchResponder { decide, bodies: bodies.clone() })
        .expect(expect)
        .mount(server)
        .await;
    bodies
}

fn title(t: &str) -> Vec<FieldChange> {
    vec![FieldChange { field: Field::JobTitle, value: FieldValue::Text(t.into()) }]
}

#[tokio::test]
async fn mixed_inner_answers_fail_only_their_own_user_and_429s_are_retried_alone() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let bodies = mount_batch(
        &server,
        Box::new(|user, round| match (user, round) {
            ("ok200", _) => json!({"status": 200, "body": {}}),
            ("ok204", _) => json!({"status": 204}),
            ("admin", _) => json!({"status": 403, "body": graph_error(
                "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")}),
            ("busy", 1) => json!({"status": 429, "headers": {"Retry-After": "3"},
                                  "body": graph_error("TooManyRequests", "slow down")}),
            ("busy", _) => json!({"status": 204}),
            _ => json!({"status": 500}),
        }),
        2,
    )
    .await;
    let (dir, sleep) = directory(&server);
    let updates: Vec<(RecordId, Vec<FieldChange>)> = ["ok200", "ok204", "admin", "busy"]
        .iter()
        .map(|id| (RecordId::new(*id), title("CTO")))
        .collect();
    let results = dir.update_many(&updates).await;
    assert!(results[0].is_ok() && results[1].is_ok() && results[3].is_ok(), "{results:?}");
    let denied = results[2].as_ref().unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    assert!(denied.to_string().contains("admin role"), "{denied}");
    assert_eq!(sleep.waits(), [Duration::from_secs(3)]);

    let bodies = bodies.lock().unwrap();
    let first = bodies[0]["requests"].as_array().unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(
        first[0],
        json!({"id": "0", "method": "PATCH", "url": "/users/ok200",
               "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "CTO"}})
    );
    let retry = bodies[1]["requests"].as_array().unwrap();
    assert_eq!(retry.len(), 1, "only the throttled request is sent again");
    assert_eq!(retry[0]["url"], "/users/busy");
}

#[tokio::test]
async fn writes_go_in_batches_of_at_most_twenty() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let bodies = mount_batch(&server, Box::new(|_, _| json!({"status": 204})), 3).await;
    let (client, _) = client(&server);
    let updates: Vec<(GraphUserId, UserPatch)> = (0..45)
        .map(|i| {
            let mut patch = UserPatch::new();
            patch.set("jobTitle", format!("T{i}"));
            (GraphUserId::new(format!("u{i}")), patch)
        })
        .collect();
    let results = client.update_users(&updates).await;
    assert_eq!(results.len(), 45);
    assert!(results.iter().all(Result::is_ok));
    let mut sizes: Vec<usize> =
        bodies.lock().unwrap().iter().map(|b| b["requests"].as_array().unwrap().len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [5, 20, 20]);
    let all: Vec<Value> = bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| b["requests"].as_array().unwrap().clone())
        .collect();
    let u7 = all.iter().find(|r| r["url"] == "/users/u7").unwrap();
    assert_eq!(u7["body"], json!({"jobTitle": "T7"}));
}

#[tokio::test]
async fn an_inner_429_that_never_ends_fails_that_user_as_throttled() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_batch(
        &server,
        Box::new(|user, _| match user {
            "busy" => json!({"status": 429, "headers": {"retry-after": "1"}}),
            _ => json!({"status": 204}),
        }),
        4, // quick_retry(): 4 attempts
    )
    .await;
    let (dir, sleep) = directory(&server);
    let results = dir
        .update_many(&[(RecordId::new("fine"), title("A")), (RecordId::new("busy"), title("B"))])
        .await;
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().kind(), ErrorKind::Throttled);
    assert_eq!(sleep.waits(), [Duration::from_secs(1); 3]);
}

#[tokio::test]
async fn a_missing_inner_answer_fails_that_request_only() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"responses": [
            {"id": "0", "status": 204},
            {"id": "99", "status": 204}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let results = dir
        .update_many(&[(RecordId::new("a"), title("A")), (RecordId::new("b"), title("B"))])
        .await;
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().kind(), ErrorKind::InvalidResponse);
}

#[tokio::test]
async fn a_whole_batch_that_fails_fails_each_of_its_requests() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(graph_error("BadRequest", "Invalid batch payload")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let mut patch = UserPatch::new();
    patch.set("city", "Oslo");
    let results = client
        .update_users(&[(GraphUserId::new("a"), patch.clone()), (GraphUserId::new("b"), patch)])
        .await;
    for r in &results {
        let err = r.as_ref().unwrap_err();
        assert!(matches!(err, GraphError::BatchFailed(_)), "{err:?}");
        // The batch's error is this update's error, said once.
        let shown = chain(err);
        assert!(shown.starts_with("the batch request failed: "), "{shown}");
        assert_eq!(shown.matches("Invalid batch payload").count(), 1, "{shown}");
    }
}

#[tokio::test]
async fn invalid_changes_and_empty_patches_send_nothing() {
    let server = MockServer::start().await;
    mount_token(&server, 0).await;
    mount_batch(&server, Box::new(|_, _| json!({"status": 204})), 0).await;
    let (dir, _) = directory(&server);
    let wrong =
        vec![FieldChange { field: Field::Phone, value: FieldValue::Date(chrono::NaiveDate::MIN) }];
    let results =
        dir.update_many(&[(RecordId::new("a"), wrong), (RecordId::new("b"), Vec::new())]).await;
    assert_eq!(results[0].as_ref().unwrap_err().kind(), ErrorKind::InvalidValue);
    assert!(results[1].is_ok());
}

#[tokio::test]
async fn the_core_writes_through_batches_of_twenty() {
    use dirsync::directory::Directory;
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let bodies = mount_batch(&server, Box::new(|_, _| json!({"status": 204})), 2).await;
    let (dir, _) = directory(&server);
    let dir: &dyn Directory = &dir;
    assert_eq!(dir.batch_size(), 20);
    let updates: Vec<(RecordId, Vec<FieldChange>)> =
        (0..25).map(|i| (RecordId::new(format!("u{i}")), title("CTO"))).collect();
    let results = dir.update_many(&updates).await;
    assert_eq!(results.len(), 25);
    assert!(results.iter().all(Result::is_ok));
    let mut sizes: Vec<usize> =
        bodies.lock().unwrap().iter().map(|b| b["requests"].as_array().unwrap().len()).collect();
    // The two batches go at once, and may arrive in either order.
    sizes.sort_unstable();
    assert_eq!(sizes, [5, 20]);
}
