//! The report email through `POST /users/{sender}/sendMail`: against testkit's fake Graph (what
//! arrives) and wiremock (403, 404, 429 then success).
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{GraphMailer, SendMailError};
use common::*;
use dirsync::{
    mail::{MailErrorKind, Mailer},
    model::Names,
    report::Report,
};
use dirsync_report::ReportEmail;
use std::time::Duration;
use testkit::{FakeGraph, GraphConfig, GraphUser, Route};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn email(from: &str) -> dirsync::mail::Email {
    let mut report = Report { names: Names::new("Huma", "Azure AD"), ..Report::default() };
    report.counts.updated_in_idp = 3;
    report.counts.failed = 1;
    ReportEmail::new(&report)
        .with_organisation("Contoso")
        .to_email(from, ["hr@contoso.com", "it@contoso.com"])
}

fn fake_mailer(graph: &FakeGraph) -> GraphMailer {
    GraphMailer::new(fake_builder(graph, &RecordingClock::default()).build().unwrap())
}

#[tokio::test]
async fn the_fake_graph_receives_the_subject_html_recipients_and_attachments() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    graph.insert_user(GraphUser::new("sync@contoso.com")).unwrap();
    let email = email("sync@contoso.com");
    dirsync::mail::send_email(&fake_mailer(&graph), &email).await.unwrap();

    let sent = graph.sent_mail();
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert_eq!(mail.sender, "sync@contoso.com");
    assert_eq!(mail.subject, "Huma ↔ Azure AD sync for Contoso: 1 failed, 3 updated");
    assert_eq!(mail.content_type, "HTML");
    assert_eq!(mail.body, email.html);
    assert_eq!(mail.to, ["hr@contoso.com", "it@contoso.com"]);
    assert!(!mail.save_to_sent_items);
    let names: Vec<&str> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["report.json"]);
    assert_eq!(mail.attachments[0].bytes, email.attachments[0].bytes);
    assert_eq!(graph.counts().get(Route::SendMail), 1);
}

#[tokio::test]
async fn without_mail_send_the_error_names_the_permission_and_the_access_policy() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    graph.insert_user(GraphUser::new("sync@contoso.com")).unwrap();
    graph.set_mail_send_permission(false);
    let err = fake_mailer(&graph).send(&email("sync@contoso.com")).await.unwrap_err();
    assert_eq!(err.kind(), MailErrorKind::PermissionDenied);
    let text = err.to_string();
    assert!(text.contains("Mail.Send") && text.contains("application access policy"), "{text}");
    assert!(text.contains("ErrorAccessDenied"), "{text}");
    assert!(graph.sent_mail().is_empty());
}

#[tokio::test]
async fn an_unknown_sender_is_named_with_what_to_give_instead() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let err = fake_mailer(&graph).send_email(&email("nobody@contoso.com")).await.unwrap_err();
    assert!(matches!(err, SendMailError::UnknownSender { .. }), "{err:?}");
    assert!(err.to_string().contains("\"nobody@contoso.com\""), "{err}");
    assert!(err.to_string().contains("a user or shared mailbox that has Exchange"), "{err}");
}

async fn mount_send(server: &MockServer, answer: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1.0/users/sync%40contoso.com/sendMail"))
        .and(body_partial_json(serde_json::json!({"saveToSentItems": false})))
        .respond_with(answer)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_403_from_graph_is_permission_denied() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let body =
        graph_error("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    mount_send(&server, ResponseTemplate::new(403).set_body_json(body), 1).await;
    let (client, _) = client(&server);
    let err = GraphMailer::new(client).send_email(&email("sync@contoso.com")).await.unwrap_err();
    assert!(matches!(err, SendMailError::PermissionDenied { .. }), "{err:?}");
    assert!(err.to_string().contains("req-42"), "the request id is kept: {err}");
}

#[tokio::test]
async fn a_404_from_graph_is_an_unknown_sender() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let body = graph_error("ResourceNotFound", "Resource could not be discovered.");
    mount_send(&server, ResponseTemplate::new(404).set_body_json(body), 1).await;
    let (client, _) = client(&server);
    let err = GraphMailer::new(client).send(&email("sync@contoso.com")).await.unwrap_err();
    assert_eq!(err.kind(), MailErrorKind::UnknownSender);
}

#[tokio::test]
async fn a_429_waits_as_graph_asks_then_sends_once() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    mount_send(&server, ResponseTemplate::new(429).insert_header("Retry-After", "3"), 1).await;
    mount_send(&server, ResponseTemplate::new(202), 1).await;
    let (client, sleep) = client(&server);
    GraphMailer::new(client).send(&email("sync@contoso.com")).await.unwrap();
    assert_eq!(sleep.waits(), [Duration::from_secs(3)]);
}
