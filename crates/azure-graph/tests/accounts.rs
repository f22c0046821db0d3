//! Account control: `accountEnabled` through PATCH, `revokeSignInSessions` through POST, the 403
//! on an administrator's account, and the same retries and write budget as every write.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{AccountAction, GraphError, GraphUserId, WriteBudget};
use common::*;
use dirsync::directory::{Directory, ErrorKind, RecordId};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn denied() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(graph_error(
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    ))
}

fn no_body(request: &Request) -> bool {
    request.body.is_empty()
}

#[tokio::test]
async fn disabling_and_enabling_patch_only_account_enabled() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    for enabled in [false, true] {
        Mock::given(method("PATCH"))
            .and(path("/v1.0/users/u1"))
            .and(header("content-type", "application/json"))
            .and(header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str()))
            .and(body_json(json!({ "accountEnabled": enabled })))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (dir, sleep) = directory(&server);
    dir.set_enabled(&RecordId::new("u1"), false).await.unwrap();
    dir.set_enabled(&RecordId::new("u1"), true).await.unwrap();
    assert!(sleep.waits().is_empty());
    assert_eq!(dir.client().stats().requests, 3, "a token and two PATCHes");
}

#[tokio::test]
async fn revoking_posts_without_a_body_but_with_its_length_and_takes_200_or_204() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .and(no_body)
        // Microsoft's front ends answer a POST that does not say its length with 411.
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean",
            "value": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u2/revokeSignInSessions"))
        .and(no_body)
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    dir.revoke_sessions(&RecordId::new("u1")).await.unwrap();
    dir.revoke_sessions(&RecordId::new("u2")).await.unwrap();
}

#[tokio::test]
async fn ids_are_percent_encoded_in_the_path() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/ada%40contoso.com/revokeSignInSessions"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    client.revoke_sign_in_sessions(&GraphUserId::new("ada@contoso.com")).await.unwrap();
}

#[tokio::test]
async fn a_403_on_disabling_an_administrator_says_what_to_do() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/boss"))
        .respond_with(denied())
        .expect(2)
        .mount(&server)
        .await;
    let (dir, sleep) = directory(&server);
    let err = dir.set_enabled(&RecordId::new("boss"), false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let message = err.to_string();
    assert!(message.starts_with("Azure AD refused to disable the account of boss: "), "{message}");
    for needed in [
        "holds an admin role",
        "disable it by hand in the Microsoft Entra admin center",
        "Privileged Authentication Administrator",
        "User.EnableDisableAccount.All",
        "HTTP 403, Authorization_RequestDenied, request id req-42",
    ] {
        assert!(message.contains(needed), "{needed:?} missing from {message}");
    }
    assert!(sleep.waits().is_empty(), "a 403 is not retried");

    let err = dir.client().set_account_enabled(&GraphUserId::new("boss"), true).await.unwrap_err();
    let GraphError::AccountRefused { action, user, details } = &err else { panic!("{err:?}") };
    assert_eq!((*action, user.as_str()), (AccountAction::Enable, "boss"));
    assert_eq!(details.code.as_deref(), Some("Authorization_RequestDenied"));
    assert!(err.to_string().contains("refused to enable the account of boss"), "{err}");
}

#[tokio::test]
async fn a_403_on_revoking_an_administrators_sessions_says_what_to_do() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/boss/revokeSignInSessions"))
        .respond_with(denied())
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.revoke_sessions(&RecordId::new("boss")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let message = err.to_string();
    assert!(message.starts_with("Azure AD refused to revoke the sign-in sessions of boss"));
    assert!(message.contains("Revoke sessions"), "{message}");
    assert!(message.contains("User.RevokeSessions.All"), "{message}");
}

#[tokio::test]
async fn a_404_is_not_found_and_a_400_is_an_invalid_value() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/gone"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(graph_error("Request_ResourceNotFound", "Resource 'gone' ...")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/odd/revokeSignInSessions"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(graph_error("Request_BadRequest", "No.")),
        )
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.set_enabled(&RecordId::new("gone"), false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = dir.revoke_sessions(&RecordId::new("odd")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.to_string().contains("No."), "{err}");
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    for (verb, url) in
        [("PATCH", "/v1.0/users/u1"), ("POST", "/v1.0/users/u1/revokeSignInSessions")]
    {
        Mock::given(method(verb))
            .and(path(url))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method(verb))
            .and(path(url))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (dir, sleep) = directory(&server);
    dir.set_enabled(&RecordId::new("u1"), false).await.unwrap();
    dir.revoke_sessions(&RecordId::new("u1")).await.unwrap();
    assert_eq!(sleep.waits(), [Duration::from_secs(3), Duration::from_secs(3)]);
    assert_eq!(dir.client().stats().retries, 2);
}

#[tokio::test]
async fn account_control_spends_the_write_budget() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let clock = RecordingClock::default();
    // 4 writes per 200 ms leave 3 usable: the fourth waits for the window to move on.
    let budget = WriteBudget { writes: 4, per: Duration::from_millis(200) };
    let client = builder(&server, &clock).write_budget(Some(budget)).build().unwrap();
    let u1 = GraphUserId::new("u1");
    client.set_account_enabled(&u1, false).await.unwrap();
    client.revoke_sign_in_sessions(&u1).await.unwrap();
    client.revoke_sign_in_sessions(&u1).await.unwrap();
    assert!(clock.waits().is_empty());
    client.set_account_enabled(&u1, true).await.unwrap();
    assert_eq!(clock.waits(), [Duration::from_millis(200)]);
}
