//! The fake Graph behaves as Graph's documentation says: auth, paging, `$select`, writes, limits.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, graph_token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{FakeGraph, GraphConfig, GraphUser, Route};

async fn patch(graph: &FakeGraph, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .patch(format!("{}/users/{id}", graph.api_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn seed(graph: &FakeGraph, n: usize) -> Vec<String> {
    graph
        .insert_users((0..n).map(|i| {
            let mut user = GraphUser::new(format!("user{i}@example.com"));
            user.employee_id = Some(format!("E{i}"));
            user
        }))
        .unwrap()
}

#[tokio::test]
async fn pages_follow_next_links_to_the_end_with_select() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    seed(&graph, 250);
    let token = graph_token(&graph).await;
    let mut url = format!("{}/users?$select=id,employeeId&$top=100", graph.api_url());
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    loop {
        let (status, page) = get(&url, &token).await;
        assert_eq!(status, 200);
        let value = page["value"].as_array().unwrap();
        sizes.push(value.len());
        for user in value {
            let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["employeeId", "id"]);
            ids.push(user["id"].as_str().unwrap().to_owned());
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&graph.uri()) && next.contains("$skiptoken="));
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    ids.dedup();
    assert_eq!(ids.len(), 250);
    assert_eq!(graph.counts().get(Route::ListUsers), 3);
    assert_eq!(graph.counts().get(Route::Token), 1);
}

#[tokio::test]
async fn default_page_is_100_and_top_over_999_is_refused() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    seed(&graph, 120);
    let token = graph_token(&graph).await;
    let (_, page) = get(&format!("{}/users", graph.api_url()), &token).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 100);
    assert!(page["value"][0].get("userPrincipalName").is_some());
    assert!(page["value"][0].get("employeeId").is_none());
    let (status, body) = get(&format!("{}/users?$top=1000", graph.api_url()), &token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    let (status, body) = get(&format!("{}/users?$select=nonsense", graph.api_url()), &token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let response = reqwest::get(format!("{}/users", graph.api_url())).await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let (status, _) = get(&format!("{}/users", graph.api_url()), "made-up").await;
    assert_eq!(status, 401);
    assert_eq!(graph.counts().unauthorized, 2);
}

#[tokio::test]
async fn wrong_or_expired_secret_is_refused_with_aadsts_codes() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ask = |secret: &'static str| {
        reqwest::Client::new()
            .post(graph.token_endpoint())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", FakeGraph::CLIENT_ID),
                ("client_secret", secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
    };
    let response = ask("wrong").await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(body["error_description"].as_str().unwrap().starts_with("AADSTS7000215:"));

    graph.set_secret_expired(true);
    let body: Value = ask(FakeGraph::CLIENT_SECRET).await.unwrap().json().await.unwrap();
    assert_eq!(body["error_codes"], json!([7000222]));
}

#[tokio::test]
async fn a_signed_in_code_is_redeemed_only_with_its_redirect_uri_and_pkce_verifier() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let verifier = "a-verifier-of-at-least-forty-three-characters-0123456789";
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier));
    let authorize = format!(
        "{}/{}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri=\
         http%3A%2F%2Flocalhost%3A8400%2F&code_challenge={challenge}&code_challenge_method=S256",
        graph.uri(),
        FakeGraph::TENANT_ID,
        FakeGraph::CLIENT_ID
    );
    let redeem = |redirect: &str, verifier: Option<&str>| {
        let code = graph.sign_in(&authorize).unwrap();
        let mut form = vec![
            ("client_id", FakeGraph::CLIENT_ID.to_owned()),
            ("client_secret", FakeGraph::CLIENT_SECRET.to_owned()),
            ("scope", "offline_access https://graph.microsoft.com/User.ReadWrite.All".to_owned()),
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", redirect.to_owned()),
        ];
        form.extend(verifier.map(|v| ("code_verifier", v.to_owned())));
        let request = reqwest::Client::new().post(graph.token_endpoint()).form(&form);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let right = "http://localhost:8400/";

    let (status, body) = redeem(right, Some(verifier)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["refresh_token"].is_string());
    let (status, body) = redeem(right, Some("another-verifier")).await;
    assert_eq!((status, &body["error_codes"]), (StatusCode::BAD_REQUEST, &json!([50148])));
    let (_, body) = redeem(right, None).await;
    assert_eq!(
        body["error_codes"],
        json!([50148]),
        "a verifier is needed once a challenge was sent"
    );
    let (status, body) = redeem("http://localhost:9999/", Some(verifier)).await;
    assert_eq!((status, &body["error_codes"]), (StatusCode::BAD_REQUEST, &json!([50011])));

    let other_app = authorize.replace(FakeGraph::CLIENT_ID, "someone-elses-app");
    assert!(graph.sign_in(&other_app).unwrap_err().starts_with("AADSTS700016"));
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let code = graph.issue_authorization_code();
    let client = reqwest::Client::new();
    let redeem =
        |form: Vec<(&'static str, String)>| client.post(graph.token_endpoint()).form(&form).send();
    let base = || {
        vec![
            ("client_id", FakeGraph::CLIENT_ID.to_owned()),
            ("client_secret", FakeGraph::CLIENT_SECRET.to_owned()),
            (
                "scope",
                "openid offline_access https://graph.microsoft.com/User.ReadWrite.All".to_owned(),
            ),
        ]
    };
    let mut form = base();
    form.push(("grant_type", "authorization_code".into()));
    form.push(("code", code.clone()));
    let first: Value = redeem(form.clone()).await.unwrap().json().await.unwrap();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(redeem(form).await.unwrap().status(), 400, "a code works once");

    let mut form = base();
    form.push(("grant_type", "refresh_token".into()));
    form.push(("refresh_token", refresh.clone()));
    let second: Value = redeem(form.clone()).await.unwrap().json().await.unwrap();
    assert_ne!(second["refresh_token"].as_str().unwrap(), refresh);
    let reused: Value = redeem(form).await.unwrap().json().await.unwrap();
    assert_eq!(reused["error"], "invalid_grant");
}

#[tokio::test]
async fn patch_changes_the_user_and_enforces_limits() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 1);
    let token = graph_token(&graph).await;
    let (status, _) =
        patch(&graph, &token, &ids[0], json!({"jobTitle": "Engineer", "employeeId": "12345"}))
            .await;
    assert_eq!(status, 204);
    assert_eq!(graph.user(&ids[0]).unwrap().job_title.as_deref(), Some("Engineer"));

    let (status, body) =
        patch(&graph, &token, &ids[0], json!({"employeeId": "x".repeat(17)})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    assert_eq!(graph.user(&ids[0]).unwrap().employee_id.as_deref(), Some("12345"));
    let (status, _) = patch(&graph, &token, &ids[0], json!({"postalCode": "1".repeat(41)})).await;
    assert_eq!(status, 400);
    let (status, _) =
        patch(&graph, &token, &ids[0], json!({"streetAddress": "s".repeat(1024)})).await;
    assert_eq!(status, 204);
    let (status, _) = patch(&graph, &token, &ids[0], json!({"noSuchProperty": 1})).await;
    assert_eq!(status, 400);

    let (status, body) = patch(&graph, &token, "no-such-id", json!({"city": "Oslo"})).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(graph.counts().get(Route::UpdateUser), 6);
}

#[tokio::test]
async fn admins_refuse_sensitive_changes_only() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 1);
    graph.set_admin(&ids[0], true);
    let token = graph_token(&graph).await;
    let (status, body) = patch(&graph, &token, &ids[0], json!({"mobilePhone": "+47 1"})).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    let (status, _) = patch(&graph, &token, &ids[0], json!({"city": "Oslo"})).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn post_creates_with_required_properties_and_unique_upn() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let token = graph_token(&graph).await;
    let client = reqwest::Client::new();
    let user = json!({
        "accountEnabled": true,
        "displayName": "Ada Lovelace",
        "mailNickname": "ada",
        "userPrincipalName": "ada@example.com",
        "passwordProfile": {"password": "S3cret!x", "forceChangePasswordNextSignIn": true},
        "employeeHireDate": "2024-03-01T00:00:00+01:00",
    });
    let post = |body: Value| {
        client.post(format!("{}/users", graph.api_url())).bearer_auth(&token).json(&body).send()
    };
    let response = post(user.clone()).await.unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["displayName"], "Ada Lovelace");
    let stored = graph.user(id).unwrap();
    assert_eq!(stored.employee_hire_date.as_deref(), Some("2024-02-29T23:00:00Z"));
    assert_eq!(graph.user("ADA@example.com").unwrap().id, id);

    let duplicate: Value = post(user.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(duplicate["error"]["code"], "Request_BadRequest");
    let mut missing = user;
    missing.as_object_mut().unwrap().remove("mailNickname");
    missing["userPrincipalName"] = json!("grace@example.com");
    assert_eq!(post(missing).await.unwrap().status(), 400);
    assert_eq!(graph.user_count(), 1);
}

#[tokio::test]
async fn get_one_user_by_id_or_upn() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ids = seed(&graph, 2);
    let token = graph_token(&graph).await;
    let (status, user) =
        get(&format!("{}/users/{}?$select=employeeId", graph.api_url(), ids[1]), &token).await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], ids[1].as_str());
    assert!(user.get("displayName").is_none());
    let (status, user) = get(&format!("{}/users/user0@example.com", graph.api_url()), &token).await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], ids[0].as_str());
}

#[tokio::test]
async fn filter_finds_by_employee_id_or_mail_and_counts_with_eventual_consistency() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    seed(&graph, 30);
    let token = graph_token(&graph).await;
    let url = format!(
        "{}/users?$filter=employeeId eq 'E7' or mail eq 'USER9@example.com'&$count=true&$select=employeeId",
        graph.api_url()
    );
    let response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["@odata.count"], 2);
    let mut found: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["employeeId"].as_str().unwrap())
        .collect();
    found.sort_unstable();
    assert_eq!(found, ["E7", "E9"]);
    let (status, _) = get(&url, &token).await;
    assert_eq!(status, 400, "$count needs ConsistencyLevel: eventual");
    let (status, body) =
        get(&format!("{}/users?$filter=employeeId gt '1'", graph.api_url()), &token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
}

#[tokio::test]
async fn seeding_with_a_struct_literal() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let id = graph
        .insert_user(GraphUser {
            user_principal_name: Some("kim@example.com".into()),
            display_name: Some("Kim".into()),
            employee_id: Some("7".into()),
            ..GraphUser::default()
        })
        .unwrap();
    assert_eq!(graph.user(&id).unwrap().employee_id.as_deref(), Some("7"));
}
