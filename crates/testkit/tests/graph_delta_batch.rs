//! Graph delta query and JSON batching.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, graph_token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{FakeGraph, FaultRule, GraphConfig, GraphUser, Route, WriteBudget};

/// Follows nextLinks to the deltaLink; the items and the deltaLink.
async fn round(url: &str, token: &str) -> (Vec<Value>, String) {
    let mut url = url.to_owned();
    let mut items = Vec::new();
    loop {
        let (status, page) = get(&url, token).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["value"].as_array().unwrap().iter().cloned());
        if let Some(next) = page["@odata.nextLink"].as_str() {
            url = next.to_owned();
        } else {
            return (items, page["@odata.deltaLink"].as_str().unwrap().to_owned());
        }
    }
}

fn seed(graph: &FakeGraph, n: usize) -> Vec<String> {
    graph.insert_users((0..n).map(|i| GraphUser::new(format!("user{i}@example.com")))).unwrap()
}

#[tokio::test]
async fn delta_returns_everything_then_only_what_changed() {
    let graph =
        FakeGraph::start(GraphConfig { delta_page_size: 10, ..GraphConfig::default() }).await;
    let ids = seed(&graph, 25);
    let token = graph_token(&graph).await;
    let start = format!("{}/users/delta?$select=id,city", graph.api_url());
    let (items, delta_link) = round(&start, &token).await;
    assert_eq!(items.len(), 25);
    assert_eq!(graph.counts().get(Route::Delta), 3);
    assert!(items.iter().all(|u| u.as_object().unwrap().len() == 2), "only id and city");

    let (items, delta_link) = round(&delta_link, &token).await;
    assert!(items.is_empty(), "nothing changed: {items:?}");

    let response = reqwest::Client::new()
        .patch(format!("{}/users/{}", graph.api_url(), ids[3]))
        .bearer_auth(&token)
        .json(&json!({"city": "Oslo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(graph.update_user(&ids[7], |u| u.city = Some("Bergen".into())));
    assert!(graph.delete_user(&ids[9]));
    let (items, delta_link) = round(&delta_link, &token).await;
    assert_eq!(
        items,
        vec![
            json!({"id": ids[3], "city": "Oslo"}),
            json!({"id": ids[7], "city": "Bergen"}),
            json!({"id": ids[9], "@removed": {"reason": "deleted"}}),
        ]
    );

    graph.expire_delta_tokens();
    let (status, body) = get(&delta_link, &token).await;
    assert_eq!(status, 410);
    assert_eq!(body["error"]["code"], "syncStateNotFound");
}

#[tokio::test]
async fn delta_tokens_expire_with_age() {
    let graph = FakeGraph::start(GraphConfig {
        delta_token_ttl: Some(Duration::from_millis(50)),
        ..GraphConfig::default()
    })
    .await;
    seed(&graph, 2);
    let token = graph_token(&graph).await;
    let (_, delta_link) = round(&format!("{}/users/delta", graph.api_url()), &token).await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(get(&delta_link, &token).await.0, 410);
}

#[tokio::test]
async fn latest_token_starts_from_now() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    seed(&graph, 5);
    let token = graph_token(&graph).await;
    let (items, link) =
        round(&format!("{}/users/delta?$deltatoken=latest", graph.api_url()), &token).await;
    assert!(items.is_empty());
    graph.insert_user(GraphUser::new("new@example.com")).unwrap();
    let (items, _) = round(&link, &token).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["userPrincipalName"], "new@example.com");
}

async fn batch(graph: &FakeGraph, token: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/$batch", graph.api_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn patch_request(id: &str, user: &str, body: Value) -> Value {
    json!({"id": id, "method": "PATCH", "url": format!("/users/{user}"),
           "headers": {"Content-Type": "application/json"}, "body": body})
}

#[tokio::test]
async fn batch_answers_each_request_on_its_own() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let token = graph_token(&graph).await;
    let (status, answer) = batch(
        &graph,
        &token,
        json!({"requests": [
            patch_request("1", &ids[0], json!({"jobTitle": "Chef"})),
            patch_request("2", "missing", json!({"jobTitle": "Chef"})),
            patch_request("3", &ids[1], json!({"employeeId": "x".repeat(17)})),
            {"id": "4", "method": "GET", "url": format!("/users/{}?$select=jobTitle", ids[0])},
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    let by_id = |id: &str| {
        answer["responses"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone()
    };
    assert_eq!(by_id("1")["status"], 204);
    assert_eq!(by_id("2")["status"], 404);
    assert_eq!(by_id("3")["status"], 400);
    assert_eq!(by_id("3")["body"]["error"]["code"], "Request_BadRequest");
    assert_eq!(by_id("4")["body"]["jobTitle"], "Chef");
    let counts = graph.counts();
    assert_eq!(
        (counts.get(Route::Batch), counts.batched, counts.get(Route::UpdateUser)),
        (1, 4, 3)
    );
}

#[tokio::test]
async fn batch_of_more_than_20_is_refused() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let token = graph_token(&graph).await;
    let requests: Vec<Value> =
        (0..21).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users/x"})).collect();
    let (status, _) = batch(&graph, &token, json!({ "requests": requests })).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn write_budget_throttles_inner_requests_with_their_own_retry_after() {
    let graph = FakeGraph::start(GraphConfig {
        write_budget: WriteBudget { writes: 2, window: Duration::from_secs(30) },
        ..GraphConfig::default()
    })
    .await;
    let ids = seed(&graph, 3);
    let token = graph_token(&graph).await;
    let requests: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| patch_request(&i.to_string(), id, json!({"city": "Oslo"})))
        .collect();
    let (_, answer) = batch(&graph, &token, json!({ "requests": requests })).await;
    let statuses: Vec<u64> = answer["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [204, 204, 429]);
    let retry_after = answer["responses"][2]["headers"]["Retry-After"].as_str().unwrap();
    assert!((29..=30).contains(&retry_after.parse::<u64>().unwrap()), "{retry_after}");
    assert_eq!(graph.counts().throttled_by_budget, 1);
    assert_eq!(graph.user(&ids[2]).unwrap().city, None);
}

#[tokio::test]
async fn inner_requests_draw_faults_too() {
    let graph = FakeGraph::start(GraphConfig {
        faults: vec![FaultRule::throttle(7).on_requests([2]).on_routes([Route::GetUser])],
        ..GraphConfig::default()
    })
    .await;
    let ids = seed(&graph, 1);
    let token = graph_token(&graph).await;
    let requests: Vec<Value> = (0..3)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{}", ids[0])}))
        .collect();
    let (_, answer) = batch(&graph, &token, json!({ "requests": requests })).await;
    let statuses: Vec<u64> = answer["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 429, 200]);
    assert_eq!(answer["responses"][1]["headers"]["Retry-After"], "7");
}

#[tokio::test]
async fn return_minimal_gives_only_the_changed_properties() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 3);
    let token = graph_token(&graph).await;
    let start = format!("{}/users/delta?$select=city,jobTitle,mail", graph.api_url());
    let (_, link) = round(&start, &token).await;
    assert!(graph.update_user(&ids[1], |u| u.job_title = Some("Chef".into())));
    let new = graph.insert_user(GraphUser::new("new@example.com")).unwrap();
    let page: Value = reqwest::Client::new()
        .get(&link)
        .bearer_auth(&token)
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["value"],
        json!([
            {"id": ids[1], "jobTitle": "Chef"},
            {"id": new, "mail": "new@example.com"},
        ])
    );
}

#[tokio::test]
async fn failed_dependencies_answer_424_and_answers_can_be_shuffled() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 1);
    let token = graph_token(&graph).await;
    let (_, answer) = batch(
        &graph,
        &token,
        json!({"requests": [
            patch_request("a", "missing", json!({"city": "Oslo"})),
            {"id": "b", "method": "GET", "url": format!("/users/{}", ids[0]), "dependsOn": ["a"]},
        ]}),
    )
    .await;
    assert_eq!(answer["responses"][1]["status"], 424);

    graph.set_shuffle_batch_responses(true);
    let requests: Vec<Value> = (0..20)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{}", ids[0])}))
        .collect();
    let (_, answer) = batch(&graph, &token, json!({ "requests": requests })).await;
    let order: Vec<&str> =
        answer["responses"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|id| id.parse::<u32>().unwrap());
    assert_ne!(order, sorted, "shuffled");
    assert_eq!(sorted.len(), 20);
}
