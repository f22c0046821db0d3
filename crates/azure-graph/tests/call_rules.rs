//! The runtime's one 401 rule and one idempotency rule, as Graph's calls meet them: a refused
//! token is replaced once, then the refusal is `GraphError::Unauthorized`; an update is sent again
//! after a 503, a creation only after a 429.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{GraphError, GraphUserId, NewUser, UserPatch};
use common::*;
use dirsync::directory::ErrorKind;
use secrecy::SecretString;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A token endpoint that hands out `tokens` in turn, each once.
async fn mount_tokens(server: &MockServer, tokens: &[&str]) {
    for (i, token) in tokens.iter().enumerate() {
        Mock::given(method("POST"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token)))
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap())
            .expect(1)
            .mount(server)
            .await;
    }
}

async fn answer(server: &MockServer, verb: &str, at: &str, status: u16, times: u64) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(user("u1")))
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

fn u1() -> GraphUserId {
    GraphUserId::new("u1")
}

#[tokio::test]
async fn a_401_then_success_is_one_refresh() {
    let server = MockServer::start().await;
    mount_tokens(&server, &["at-1", "at-2"]).await;
    Mock::given(header("authorization", "Bearer at-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(graph_error("InvalidAuthenticationToken", "Token expired")),
        )
        .expect(1)
        .mount(&server)
        .await;
    answer(&server, "GET", "/v1.0/users/u1", 200, 1).await;
    let (client, _) = client(&server);
    assert!(client.get_user(&u1(), &[]).await.unwrap().is_some());
}

#[tokio::test]
async fn a_401_twice_is_unauthorized_after_exactly_one_refresh() {
    let server = MockServer::start().await;
    mount_tokens(&server, &["at-1", "at-2"]).await;
    let refused = graph_error("InvalidAuthenticationToken", "Access token validation failure.");
    Mock::given(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(refused))
        .expect(2)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client.get_user(&u1(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.to_string().contains("request id req-42"), "{err}");
}

#[tokio::test]
async fn an_update_is_sent_again_after_a_503() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    answer(&server, "PATCH", "/v1.0/users/u1", 503, 1).await;
    answer(&server, "PATCH", "/v1.0/users/u1", 204, 1).await;
    let (client, sleep) = client(&server);
    let mut patch = UserPatch::new();
    patch.set("city", "Oslo");
    client.update_user(&u1(), &patch).await.unwrap();
    assert_eq!(sleep.waits().len(), 1);
}

fn new_user() -> NewUser {
    NewUser {
        user_principal_name: "ada@contoso.com".into(),
        mail_nickname: "ada".into(),
        display_name: "Ada".into(),
        account_enabled: true,
        password: SecretString::from("Pa55word!xyz-1"),
        properties: UserPatch::new(),
    }
}

#[tokio::test]
async fn a_creation_is_not_sent_again_after_a_503() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    answer(&server, "POST", "/v1.0/users", 503, 1).await;
    let (client, sleep) = client(&server);
    let err = client.create_user(&new_user()).await.unwrap_err();
    assert!(matches!(err, GraphError::Unavailable { attempts: 1, .. }), "{err:?}");
    assert!(sleep.waits().is_empty());
}

#[tokio::test]
async fn a_creation_is_sent_again_after_a_429() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    answer(&server, "POST", "/v1.0/users", 429, 1).await;
    answer(&server, "POST", "/v1.0/users", 201, 1).await;
    let (client, _) = client(&server);
    let created = client.create_user(&new_user()).await.unwrap();
    assert_eq!(created.id.as_str(), "u1");
    assert_eq!(created.user_principal_name.as_deref(), Some("u1@contoso.com"));
}
