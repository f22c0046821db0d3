//! The fake Graph's account control, admin refusals, per-user refusals and users of the wrong
//! shape, directly and inside `$batch`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, graph_token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{FakeGraph, GraphConfig, GraphUser, Route, SeedError};

const DENIED: &str = "Insufficient privileges to complete the operation.";

async fn send(
    graph: &FakeGraph,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", graph.api_url()))
        .bearer_auth(token);
    request = match body {
        Some(body) => request.json(&body),
        // A write says it has no body, as Graph's front end requires.
        None => request.header(reqwest::header::CONTENT_LENGTH, "0"),
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn patch(graph: &FakeGraph, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    send(graph, token, reqwest::Method::PATCH, &format!("/users/{id}"), Some(body)).await
}

async fn revoke(graph: &FakeGraph, token: &str, id: &str) -> (StatusCode, Value) {
    let path = format!("/users/{id}/revokeSignInSessions");
    send(graph, token, reqwest::Method::POST, &path, None).await
}

fn seed(graph: &FakeGraph, n: usize) -> Vec<String> {
    graph.insert_users((0..n).map(|i| GraphUser::new(format!("user{i}@example.com")))).unwrap()
}

/// Follows nextLinks to the deltaLink: the items and the deltaLink.
async fn delta_round(url: &str, token: &str) -> (Vec<Value>, String) {
    let mut url = url.to_owned();
    let mut items = Vec::new();
    loop {
        let (status, page) = get(&url, token).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return (items, page["@odata.deltaLink"].as_str().unwrap().to_owned()),
        }
    }
}

/// The user with `id` in a page of users (pages are in id order, not seeding order).
fn listed<'a>(page: &'a Value, id: &str) -> &'a Value {
    page["value"].as_array().unwrap().iter().find(|u| u["id"] == id).unwrap()
}

fn assert_graph_error(body: &Value, code: &str, message: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
    assert!(body["error"]["innerError"]["request-id"].is_string(), "{body}");
}

#[tokio::test]
async fn account_enabled_is_stored_listed_returned_and_patched() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let token = graph_token(&graph).await;
    let start = format!("{}/users/delta?$select=accountEnabled", graph.api_url());
    let (items, delta_link) = delta_round(&start, &token).await;
    assert!(items.iter().all(|u| u["accountEnabled"] == json!(true)), "{items:?}");

    let (status, _) = patch(&graph, &token, &ids[1], json!({"accountEnabled": false})).await;
    assert_eq!(status, 204);
    assert_eq!(graph.user(&ids[1]).unwrap().account_enabled, Some(false));
    let url = format!("{}/users/{}?$select=accountEnabled", graph.api_url(), ids[1]);
    assert_eq!(get(&url, &token).await.1["accountEnabled"], json!(false));
    let (_, page) = get(&format!("{}/users?$select=accountEnabled", graph.api_url()), &token).await;
    assert_eq!(listed(&page, &ids[0])["accountEnabled"], json!(true));
    assert_eq!(listed(&page, &ids[1])["accountEnabled"], json!(false));
    let (items, _) = delta_round(&delta_link, &token).await;
    assert_eq!(items, [json!({"id": ids[1], "accountEnabled": false})]);

    let (status, body) = patch(&graph, &token, &ids[0], json!({"accountEnabled": "false"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    assert_eq!(graph.user(&ids[0]).unwrap().account_enabled, Some(true));
}

#[tokio::test]
async fn revoking_sessions_answers_true_and_is_counted_per_user() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let token = graph_token(&graph).await;
    let (status, body) = revoke(&graph, &token, &ids[0]).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], json!(true));
    assert_eq!(body["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean");
    let (status, _) = revoke(&graph, &token, "user0@example.com").await;
    assert_eq!(status, 200, "by user principal name too");
    assert_eq!(graph.revocations(&ids[0]), 2);
    assert_eq!(graph.revocations("USER0@example.com"), 2);
    assert_eq!(graph.revocations(&ids[1]), 0);

    let (status, body) = revoke(&graph, &token, "no-such-user").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(graph.revocations("no-such-user"), 0);
    let counts = graph.counts();
    assert_eq!(counts.get(Route::RevokeSessions), 3);
    let (status, _) = send(
        &graph,
        &token,
        reqwest::Method::GET,
        &format!("/users/{}/revokeSignInSessions", ids[0]),
        None,
    )
    .await;
    assert_eq!(status, 405, "only POST");
}

#[tokio::test]
async fn admins_refuse_sensitive_changes_and_revocation_and_others_are_unaffected() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let (admin, other) = (&ids[0], &ids[1]);
    graph.set_admin(admin, true);
    let token = graph_token(&graph).await;
    for body in [
        json!({"accountEnabled": false}),
        json!({"businessPhones": ["+47 1"]}),
        json!({"mobilePhone": "+47 1"}),
        json!({"otherMails": ["a@example.com"]}),
        json!({"passwordProfile": {"password": "S3cret!xyz"}}),
        json!({"userPrincipalName": "boss@example.com"}),
        json!({"city": "Oslo", "accountEnabled": false}),
    ] {
        let (status, answer) = patch(&graph, &token, admin, body.clone()).await;
        assert_eq!(status, 403, "{body}");
        assert_graph_error(&answer, "Authorization_RequestDenied", DENIED);
    }
    let (status, answer) = revoke(&graph, &token, admin).await;
    assert_eq!(status, 403);
    assert_graph_error(&answer, "Authorization_RequestDenied", DENIED);
    assert_eq!(graph.revocations(admin), 0);
    let stored = graph.user(admin).unwrap();
    assert_eq!((stored.account_enabled, stored.city), (Some(true), None), "nothing changed");

    let (status, _) = patch(&graph, &token, admin, json!({"city": "Oslo"})).await;
    assert_eq!(status, 204, "an admin's other properties can change");
    let (status, _) = patch(&graph, &token, other, json!({"accountEnabled": false})).await;
    assert_eq!(status, 204);
    assert_eq!(revoke(&graph, &token, other).await.0, 200);

    graph.set_admin(admin, false);
    let (status, _) = patch(&graph, &token, admin, json!({"accountEnabled": false})).await;
    assert_eq!(status, 204);
    assert_eq!(graph.user(admin).unwrap().account_enabled, Some(false));
}

#[tokio::test]
async fn writes_to_one_user_are_refused_until_taken_back() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let token = graph_token(&graph).await;
    let message = "Invalid value specified for property 'jobTitle' of resource 'User'.";
    graph.refuse_writes("user0@example.com", 400, "Request_BadRequest", message).unwrap();

    let (status, answer) = patch(&graph, &token, &ids[0], json!({"jobTitle": "CTO"})).await;
    assert_eq!(status, 400);
    assert_graph_error(&answer, "Request_BadRequest", message);
    let (status, answer) = revoke(&graph, &token, &ids[0]).await;
    assert_eq!(status, 400);
    assert_graph_error(&answer, "Request_BadRequest", message);
    assert_eq!(graph.user(&ids[0]).unwrap().job_title, None);
    assert_eq!(graph.revocations(&ids[0]), 0);
    let (status, _) = get(&format!("{}/users/{}", graph.api_url(), ids[0]), &token).await;
    assert_eq!(status, 200, "reads are not refused");
    let (status, _) = patch(&graph, &token, &ids[1], json!({"jobTitle": "CTO"})).await;
    assert_eq!(status, 204, "other users are not refused");

    graph.refuse_writes(&ids[1], 503, "serviceNotAvailable", "Try later.").unwrap();
    assert_eq!(patch(&graph, &token, &ids[1], json!({"city": "Oslo"})).await.0, 503);

    graph.accept_writes(&ids[0]);
    let (status, _) = patch(&graph, &token, &ids[0], json!({"jobTitle": "CTO"})).await;
    assert_eq!(status, 204);
    assert_eq!(graph.user(&ids[0]).unwrap().job_title.as_deref(), Some("CTO"));
    assert_eq!(
        graph.refuse_writes("nobody@example.com", 400, "Request_BadRequest", message),
        Err(SeedError::NotFound("user nobody@example.com".into()))
    );
}

#[tokio::test]
async fn batch_sub_requests_meet_the_same_refusals() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 3);
    let (admin, plain, refused) = (&ids[0], &ids[1], &ids[2]);
    graph.set_admin(admin, true);
    graph.refuse_writes(refused, 400, "Request_BadRequest", "No.").unwrap();
    let token = graph_token(&graph).await;
    let patch_request = |id: &str, to: &str| {
        json!({"id": id, "method": "PATCH", "url": format!("/users/{to}"),
               "headers": {"Content-Type": "application/json"}, "body": {"accountEnabled": false}})
    };
    let revoke_request = |id: &str, to: &str| {
        json!({"id": id, "method": "POST", "url": format!("/users/{to}/revokeSignInSessions"),
               "headers": {"Content-Type": "application/json"}, "body": {}})
    };
    let requests = json!({"requests": [
        patch_request("1", admin), patch_request("2", plain), patch_request("3", refused),
        revoke_request("4", admin), revoke_request("5", plain), revoke_request("6", refused),
        revoke_request("7", "no-such-user"),
    ]});
    let (status, answer) =
        send(&graph, &token, reqwest::Method::POST, "/$batch", Some(requests)).await;
    assert_eq!(status, 200);
    let responses = answer["responses"].as_array().unwrap();
    let by_id = |id: &str| responses.iter().find(|r| r["id"] == id).unwrap();
    let statuses: Vec<u64> =
        (1..=7).map(|i| by_id(&i.to_string())["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [403, 204, 400, 403, 200, 400, 404]);
    assert_graph_error(&by_id("1")["body"], "Authorization_RequestDenied", DENIED);
    assert_graph_error(&by_id("4")["body"], "Authorization_RequestDenied", DENIED);
    assert_graph_error(&by_id("6")["body"], "Request_BadRequest", "No.");
    assert_eq!(by_id("5")["body"]["value"], json!(true));
    assert_eq!(graph.user(plain).unwrap().account_enabled, Some(false));
    assert_eq!(graph.user(admin).unwrap().account_enabled, Some(true));
    assert_eq!((graph.revocations(plain), graph.revocations(admin)), (1, 0));
    assert_eq!(graph.counts().get(Route::RevokeSessions), 4);
}

#[tokio::test]
async fn raw_values_of_the_wrong_shape_are_answered_by_list_get_and_delta() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let token = graph_token(&graph).await;
    let select = "$select=id,jobTitle,businessPhones,mail";
    let (_, delta_link) =
        delta_round(&format!("{}/users/delta?{select}", graph.api_url()), &token).await;

    graph.set_raw_property(&ids[0], "jobTitle", json!(42)).unwrap();
    graph.set_raw_property("user0@example.com", "businessPhones", json!("x")).unwrap();
    let (_, page) = get(&format!("{}/users?{select}", graph.api_url()), &token).await;
    let first = listed(&page, &ids[0]);
    assert_eq!((&first["jobTitle"], &first["businessPhones"]), (&json!(42), &json!("x")));
    assert_eq!(listed(&page, &ids[1])["jobTitle"], Value::Null, "others are not affected");
    let (_, one) = get(&format!("{}/users/{}?{select}", graph.api_url(), ids[0]), &token).await;
    assert_eq!(one["jobTitle"], json!(42));
    let (_, default) = get(&format!("{}/users/{}", graph.api_url(), ids[0]), &token).await;
    assert_eq!(default["jobTitle"], json!(42), "in Graph's default properties too");
    let (items, delta_link) = delta_round(&delta_link, &token).await;
    assert_eq!(items.len(), 1);
    assert_eq!((&items[0]["id"], &items[0]["jobTitle"]), (&json!(ids[0]), &json!(42)));

    // A write of the property replaces the raw value; the other stays.
    let (status, _) = patch(&graph, &token, &ids[0], json!({"jobTitle": "CTO"})).await;
    assert_eq!(status, 204);
    let (_, one) = get(&format!("{}/users/{}?{select}", graph.api_url(), ids[0]), &token).await;
    assert_eq!((&one["jobTitle"], &one["businessPhones"]), (&json!("CTO"), &json!("x")));

    // Even the id can be of the wrong shape.
    graph.set_raw_property(&ids[1], "id", json!(7)).unwrap();
    let (_, page) = get(&format!("{}/users?{select}", graph.api_url()), &token).await;
    assert!(page["value"].as_array().unwrap().iter().any(|u| u["id"] == json!(7)), "{page}");
    assert!(graph.clear_raw_properties(&ids[1]));
    assert!(graph.clear_raw_properties(&ids[0]));
    let (_, page) = get(&format!("{}/users?{select}", graph.api_url()), &token).await;
    assert_eq!(listed(&page, &ids[0])["businessPhones"], json!([]));
    assert_eq!(listed(&page, &ids[1])["jobTitle"], Value::Null);
    let (items, _) = delta_round(&delta_link, &token).await;
    assert_eq!(items.len(), 2, "clearing shows in delta too: {items:?}");

    assert_eq!(
        graph.set_raw_property(&ids[0], "noSuchProperty", json!(1)),
        Err(SeedError::NotFound("user property noSuchProperty".into()))
    );
    assert!(graph.set_raw_property("nobody", "jobTitle", json!(1)).is_err());
    assert!(!graph.clear_raw_properties("nobody"));
}
