//! No password in any log line: every event of a send, accepted or refused, at every level.
//!
//! A test binary of its own, so the subscriber is the process's only one and catches everything.

mod common;

use base64::Engine as _;
use common::{PASSWORD, Server, email};
use testkit::Captured;

#[tokio::test]
async fn the_password_is_in_no_log_line_whether_it_is_accepted_or_refused() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let server = Server::start("starttls");
    let right = server.mailer("smtp://sync%40example.com@localhost:{port}", PASSWORD);
    dirsync::mail::send_email(&right, &email()).await.expect("sent");
    let wrong = server.mailer("smtp://sync%40example.com@localhost:{port}", "wrong-password-55");
    dirsync::mail::send_email(&wrong, &email()).await.expect_err("refused");

    let text = logs.text();
    assert!(text.contains("report email sent"), "the send was logged: {text}");
    assert!(text.contains("report email not sent"), "the refusal was logged: {text}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(PASSWORD);
    for secret in [PASSWORD, encoded.as_str(), "wrong-password-55"] {
        assert!(!text.contains(secret), "a password was logged: {text}");
    }
}
