//! Injected faults, token expiry, latency and counters, on both fakes.
#![allow(clippy::unwrap_used)]

mod common;

use common::{graph_token, graph_token_answer, huma_token};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::{
    FakeGraph, FakeHuma, FaultRule, GraphConfig, GraphUser, HumaConfig, HumaUser, Route,
};

async fn status(url: &str, token: &str) -> u16 {
    reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn throttle_by_request_number_carries_retry_after() {
    let graph = FakeGraph::start(GraphConfig {
        faults: vec![FaultRule::throttle(3).on_requests([2]).on_routes([Route::ListUsers])],
        ..GraphConfig::default()
    })
    .await;
    let token = graph_token(&graph).await;
    let url = format!("{}/users", graph.api_url());
    assert_eq!(status(&url, &token).await, 200);
    let response = reqwest::Client::new().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(status(&url, &token).await, 200);
    let counts = graph.counts();
    assert_eq!((counts.get(Route::ListUsers), counts.faults_injected), (3, 1));
}

#[tokio::test]
async fn server_errors_use_the_services_bodies() {
    let huma = FakeHuma::start(HumaConfig {
        faults: vec![FaultRule::server_error(503).on_requests([1])],
        ..HumaConfig::default()
    })
    .await;
    let token = huma_token(&huma).await;
    let response =
        reqwest::Client::new().get(format!("{}/users", huma.uri())).bearer_auth(&token).send();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 503);
    assert_eq!(body["path"], "/users");
    assert_eq!(status(&format!("{}/users", huma.uri()), &token).await, 200);
}

#[tokio::test]
async fn dropped_connections_fail_the_request_and_change_nothing() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let id = graph.insert_user(GraphUser::new("ada@example.com")).unwrap();
    let token = graph_token(&graph).await;
    graph.set_faults(vec![FaultRule::drop_connection().on_requests([1])], 0);
    let client = reqwest::Client::new();
    let patch = || {
        client
            .patch(format!("{}/users/{id}", graph.api_url()))
            .bearer_auth(&token)
            .json(&json!({"city": "Oslo"}))
            .send()
    };
    let error = patch().await.unwrap_err();
    assert!(!error.is_timeout(), "{error}");
    assert_eq!(graph.user(&id).unwrap().city, None);
    assert_eq!(patch().await.unwrap().status(), 204);
    let counts = graph.counts();
    assert_eq!((counts.dropped, counts.get(Route::UpdateUser)), (1, 2));
}

#[tokio::test]
async fn rate_faults_repeat_with_the_same_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let huma = FakeHuma::start(HumaConfig {
            faults: vec![FaultRule::server_error(500).at_rate(0.3)],
            fault_seed: seed,
            ..HumaConfig::default()
        })
        .await;
        let token = huma_token(&huma).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(status(&format!("{}/job-titles", huma.uri()), &token).await);
        }
        statuses
    }
    let first = run(42).await;
    assert_eq!(first, run(42).await);
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
}

#[tokio::test]
async fn tokens_expire_after_n_requests_until_a_new_one_is_fetched() {
    let graph =
        FakeGraph::start(GraphConfig { token_max_uses: Some(2), ..GraphConfig::default() }).await;
    let token = graph_token(&graph).await;
    let url = format!("{}/users", graph.api_url());
    assert_eq!(status(&url, &token).await, 200);
    assert_eq!(status(&url, &token).await, 200);
    let response = reqwest::Client::new().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(status(&url, &token).await, 401);
    let fresh = graph_token(&graph).await;
    assert_eq!(status(&url, &fresh).await, 200);

    let huma = FakeHuma::start(HumaConfig::default()).await;
    huma.insert_user(HumaUser::new("a@example.com", "A", "B")).unwrap();
    let token = huma_token(&huma).await;
    assert_eq!(status(&format!("{}/users", huma.uri()), &token).await, 200);
    huma.expire_access_tokens();
    assert_eq!(status(&format!("{}/users", huma.uri()), &token).await, 401);
    assert_eq!(huma.counts().unauthorized, 1);
}

#[tokio::test]
async fn latency_delays_answers() {
    let huma =
        FakeHuma::start(HumaConfig { latency: Duration::from_millis(60), ..HumaConfig::default() })
            .await;
    let token = huma_token(&huma).await;
    let started = Instant::now();
    assert_eq!(status(&format!("{}/users", huma.uri()), &token).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn counters_count_per_route_and_reset() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let id = huma.insert_user(HumaUser::new("a@example.com", "A", "B")).unwrap();
    let token = huma_token(&huma).await;
    status(&format!("{}/users", huma.uri()), &token).await;
    status(&format!("{}/users/{id}", huma.uri()), &token).await;
    status(&format!("{}/users/{id}", huma.uri()), &token).await;
    let counts = huma.counts();
    assert_eq!(counts.get(Route::Token), 1);
    assert_eq!(counts.get(Route::ListUsers), 1);
    assert_eq!(counts.get(Route::GetUser), 2);
    assert_eq!(counts.http_requests, 4);
    huma.reset_counts();
    assert_eq!(huma.counts().http_requests, 0);
}

#[tokio::test]
async fn drop_after_apply_keeps_the_write_so_a_retry_meets_a_duplicate() {
    let huma = FakeHuma::start(HumaConfig {
        faults: vec![FaultRule::drop_after_apply().on_requests([1]).on_routes([Route::CreateUser])],
        ..HumaConfig::default()
    })
    .await;
    let token = huma_token(&huma).await;
    let client = reqwest::Client::new();
    let create = || {
        client
            .post(format!("{}/users", huma.uri()))
            .bearer_auth(&token)
            .json(&json!({"email": "n@example.com", "givenName": "N", "familyName": "M", "groups": []}))
            .send()
    };
    assert!(create().await.is_err());
    assert!(huma.user_by_email("n@example.com").is_some());
    let retry = create().await.unwrap();
    assert_eq!(retry.status(), 400);
    assert_eq!(huma.user_count(), 1);
    assert_eq!(huma.counts().dropped, 1);
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime_and_say_so() {
    let graph = FakeGraph::start(GraphConfig {
        token_lifetime: Some(Duration::from_millis(100)),
        ..GraphConfig::default()
    })
    .await;
    let answer = graph_token_answer(&graph).await;
    assert_eq!(answer["expires_in"], 1);
    let token = answer["access_token"].as_str().unwrap();
    let url = format!("{}/users", graph.api_url());
    assert_eq!(status(&url, token).await, 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(status(&url, token).await, 401);
}
