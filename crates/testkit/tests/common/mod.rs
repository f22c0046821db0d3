//! What the fakes' own tests share: tokens from both fakes, a plain GET, and any request to the
//! fake Huma.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // each test file uses a different part

use reqwest::StatusCode;
use serde_json::Value;
use testkit::{FakeGraph, FakeHuma};

/// An access token from the fake Graph (client credentials).
pub async fn graph_token(graph: &FakeGraph) -> String {
    graph_token_answer(graph).await["access_token"].as_str().unwrap().to_owned()
}

/// The fake Graph's whole answer to a client-credentials token request.
pub async fn graph_token_answer(graph: &FakeGraph) -> Value {
    reqwest::Client::new()
        .post(graph.token_endpoint())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", FakeGraph::CLIENT_ID),
            ("client_secret", FakeGraph::CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An access token from the fake Huma, checking the answer has every field of `Credentials`.
pub async fn huma_token(huma: &FakeHuma) -> String {
    let answer: Value = reqwest::Client::new()
        .post(huma.token_endpoint())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", FakeHuma::CLIENT_ID),
            ("client_secret", FakeHuma::CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in
        ["access_token", "token_type", "expires_in", "refresh_token", "organizationId", "userId"]
    {
        assert!(answer.get(key).is_some(), "{key} missing from {answer}");
    }
    answer["access_token"].as_str().unwrap().to_owned()
}

/// GET `url` with `token`: the status and the JSON body (null when there is none).
pub async fn get(url: &str, token: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `method path` on the fake Huma with `token` and a JSON `body`: the status and the JSON answer
/// (null when there is none).
pub async fn send(
    huma: &FakeHuma,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", huma.uri())).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
