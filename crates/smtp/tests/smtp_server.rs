//! Sending through a real SMTP server process: Python's aiosmtpd, started by each test with a
//! certificate made for it, STARTTLS or implicit TLS, and authentication. What arrives is parsed
//! by the server with Python's own MIME parser and checked here.
//!
//! The server needs `DIRSYNC_SMTP_PYTHON`: see `common/mod.rs`.

mod common;

use base64::Engine as _;
use common::{PASSWORD, Server, USER, email};
use dirsync::mail::{MailErrorKind, Mailer};
use dirsync_smtp::{SmtpConfig, SmtpError, SmtpMailer};
use secrecy::SecretString;
use serde_json::Value;

/// Python's parser gives the parts with `\n` line ends; ours are `\n` already.
fn same_text(arrived: &Value, sent: &str) {
    let arrived = arrived.as_str().expect("a part").replace("\r\n", "\n");
    assert_eq!(arrived.trim_end(), sent.trim_end());
}

fn assert_no_secret(message: &Value) {
    let all = message.to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(PASSWORD);
    assert!(!all.contains(PASSWORD) && !all.contains(&encoded), "the password arrived");
}

#[tokio::test]
async fn starttls_with_authentication_delivers_the_subject_both_parts_and_the_attachments() {
    let server = Server::start("starttls");
    let mailer =
        server.mailer(&format!("smtp://{}@localhost:{{port}}", "sync%40example.com"), PASSWORD);
    let email = email();
    dirsync::mail::send_email(&mailer, &email).await.expect("sent");

    let message = server.first_message();
    assert_eq!(message["subject"], "Huma ↔ Azure AD sync for Example AS: 1 failed, 2 updated");
    assert_eq!(message["subject"], email.subject.as_str());
    assert_eq!(message["tls"], true, "STARTTLS was used");
    assert_eq!(message["authenticated_as"], USER);
    assert_eq!(message["rcpt_tos"], serde_json::json!(["hr@example.com", "it@example.com"]));
    assert_eq!(message["content_type"], "multipart/mixed");
    same_text(&message["text"], &email.text);
    same_text(&message["html"], &email.html);
    assert!(message["text"].as_str().is_some_and(|t| t.contains("Åse Ødegård")));
    let attachments = message["attachments"].as_array().expect("attachments");
    let names: Vec<&str> = attachments.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["changes.csv", "report.json"]);
    assert_eq!(attachments[0]["content_type"], "text/csv");
    for (arrived, sent) in attachments.iter().zip(&email.attachments) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(arrived["bytes"].as_str().expect("base64"))
            .expect("base64");
        assert_eq!(bytes, sent.bytes, "{} arrived as sent", sent.name);
    }
    assert_no_secret(&message);
    assert!(!format!("{mailer:?}").contains(PASSWORD));
}

#[tokio::test]
async fn implicit_tls_with_authentication_delivers() {
    let server = Server::start("tls");
    let mailer = server.mailer("smtps://sync%40example.com@localhost:{port}", PASSWORD);
    mailer.send(&email()).await.expect("sent");
    let message = server.first_message();
    assert_eq!(message["tls"], true);
    assert_eq!(message["authenticated_as"], USER);
    assert_no_secret(&message);
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_advice_and_without_the_password() {
    let server = Server::start("starttls");
    let wrong = "not-the-password-91c2";
    let mailer = server.mailer("smtp://sync%40example.com@localhost:{port}", wrong);
    let err = mailer.send(&email()).await.expect_err("refused");
    assert_eq!(err.kind(), MailErrorKind::Authentication);
    let text = dirsync::directory::ErrorChain(&err).to_string();
    assert!(text.contains("check the user name in the SMTP URL and the password"), "{text}");
    assert!(!text.contains(wrong) && !format!("{err:?}").contains(wrong), "{text}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_refused_recipient_says_which_addresses_to_check() {
    let server = Server::start("starttls");
    let mailer = server.mailer("smtp://sync%40example.com@localhost:{port}", PASSWORD);
    let mut email = email();
    email.to = vec!["refused@example.com".to_owned()];
    let err = mailer.send_email(&email).await.expect_err("refused");
    assert!(matches!(err, SmtpError::RecipientRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("the recipients' and the sender's addresses"), "{err}");
}

#[tokio::test]
async fn a_server_whose_certificate_is_not_trusted_is_not_sent_to() {
    let server = Server::start("tls");
    let config =
        SmtpConfig::from_url(&format!("smtps://sync%40example.com@localhost:{}", server.port))
            .expect("a URL")
            .with_password(SecretString::from(PASSWORD));
    let err =
        SmtpMailer::new(config).expect("a mailer").send_email(&email()).await.expect_err("refused");
    assert!(matches!(err, SmtpError::Tls { .. }), "{err:?}");
    assert_eq!(err.kind(), MailErrorKind::Connection);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn starttls_is_required_when_the_url_says_smtp() {
    let server = Server::start("plain");
    let mailer = server.mailer("smtp://localhost:{port}", "");
    let err = mailer.send_email(&email()).await.expect_err("no STARTTLS offered");
    assert!(matches!(err, SmtpError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("offers STARTTLS"), "{err}");
    assert!(server.received().is_empty(), "nothing goes out unencrypted");
}

#[tokio::test]
async fn plain_smtp_to_this_machine_delivers() {
    let server = Server::start("plain");
    let mailer = server.mailer("smtp://127.0.0.1:{port}?tls=none", "");
    mailer.send(&email()).await.expect("sent");
    let message = server.first_message();
    assert_eq!(message["tls"], false);
    assert_eq!(message["subject"], email().subject.as_str());
}
