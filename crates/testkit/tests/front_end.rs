//! What both fakes refuse before looking at a request, as the services' front ends do: a write
//! that does not say how long it is; and Graph's refusal of a batched write without its
//! Content-Type.
#![allow(clippy::unwrap_used)]

mod common;

use common::{graph_token, huma_token};
use reqwest::header::CONTENT_LENGTH;
use serde_json::{Value, json};
use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, Route};

#[tokio::test]
async fn a_write_without_its_length_is_answered_411_and_carried_out_with_it() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let id = graph.insert_user(GraphUser::new("ada@example.com")).unwrap();
    let token = graph_token(&graph).await;
    let url = format!("{}/users/{id}/revokeSignInSessions", graph.api_url());
    let client = reqwest::Client::new();
    // An HTTP client sends no Content-Length for a POST without a body.
    let response = client.post(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 411);
    let page = response.text().await.unwrap();
    assert!(page.contains("HTTP Error 411. The request must be chunked or have a content length."));
    assert_eq!(graph.revocations(&id), 0, "a refused request changes nothing");
    assert_eq!(graph.counts().length_required, 1);

    let response =
        client.post(&url).bearer_auth(&token).header(CONTENT_LENGTH, "0").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(graph.revocations(&id), 1);
    let (status, _) = common::get(&format!("{}/users/{id}", graph.api_url()), &token).await;
    assert_eq!(status, 200, "a read needs no length");
    assert_eq!(graph.counts().length_required, 1);
}

#[tokio::test]
async fn the_fake_huma_answers_a_write_without_its_length_411() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let token = huma_token(&huma).await;
    let client = reqwest::Client::new();
    let url = format!("{}/job-titles", huma.uri());
    let response = client.post(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 411);
    assert_eq!((huma.counts().length_required, huma.counts().get(Route::CreateJobTitle)), (1, 1));
    let response = client.post(&url).bearer_auth(&token).json(&json!({"name": "Chef"})).send();
    assert!(response.await.unwrap().status().is_success());
}

#[tokio::test]
async fn a_batched_write_without_content_type_gets_graphs_inner_400() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let id = graph.insert_user(GraphUser::new("ada@example.com")).unwrap();
    let token = graph_token(&graph).await;
    let requests = json!({"requests": [
        {"id": "1", "method": "PATCH", "url": format!("/users/{id}"), "body": {"city": "Oslo"}},
        {"id": "2", "method": "POST", "url": format!("/users/{id}/revokeSignInSessions")},
        {"id": "3", "method": "PATCH", "url": format!("/users/{id}"),
         "headers": {"content-type": "application/json"}, "body": {"jobTitle": "CTO"}},
        {"id": "4", "method": "GET", "url": format!("/users/{id}")},
    ]});
    let response = reqwest::Client::new()
        .post(format!("{}/$batch", graph.api_url()))
        .bearer_auth(&token)
        .json(&requests)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let by_id = |id: &str| {
        answer["responses"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap()
    };
    for id in ["1", "2"] {
        let refused = by_id(id);
        assert_eq!(refused["status"], 400);
        assert_eq!(refused["body"]["error"]["code"], "BadRequest");
        let message =
            format!("Write request id : {id} does not contain Content-Type header or body.");
        assert_eq!(refused["body"]["error"]["message"], message.as_str());
    }
    assert_eq!(
        (by_id("3")["status"].clone(), by_id("4")["status"].clone()),
        (json!(204), json!(200))
    );
    let user = graph.user(&id).unwrap();
    assert_eq!((user.city, user.job_title.as_deref()), (None, Some("CTO")));
    assert_eq!(graph.revocations(&id), 0);
}
