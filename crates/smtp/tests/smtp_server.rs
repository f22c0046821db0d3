//! Sending through a real SMTP server process: Python's aiosmtpd, started by each test with a
//! certificate made for it, STARTTLS or implicit TLS, and authentication. What arrives is parsed
//! by the server with Python's own MIME parser and checked here.
//!
//! The tests need a Python with aiosmtpd, named by `DIRSYNC_TEST_PYTHON` (`.ci/run` sets it up):
//!
//! ```text
//! python3 -m venv .ci/venv && .ci/venv/bin/pip install aiosmtpd==1.4.6
//! DIRSYNC_TEST_PYTHON=$PWD/.ci/venv/bin/python cargo test -p dirsync-smtp
//! ```

use base64::Engine as _;
use dirsync::{
    Action, ErrorKind, Field, FieldReport, FieldValue, MailErrorKind, Mailer, Names,
    OperationReport, Outcome, Report, ReportEmail, Side,
};
use dirsync_smtp::{SmtpConfig, SmtpError, SmtpMailer};
use secrecy::SecretString;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "sync@example.com";
const PASSWORD: &str = "correct-horse-battery-staple-7f3a";
const PYTHON: &str = "DIRSYNC_TEST_PYTHON";

/// A running aiosmtpd; dropping it stops the process.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    certificate: String,
    folder: tempfile::TempDir,
}

impl Server {
    /// Starts the server in `mode` ("starttls", "tls" or "plain").
    fn start(mode: &str) -> Server {
        let python = std::env::var_os(PYTHON).unwrap_or_else(|| {
            panic!(
                "{PYTHON} is not set: these tests send through a real SMTP server (aiosmtpd). \
                 Set it up once with `python3 -m venv .ci/venv && .ci/venv/bin/pip install \
                 aiosmtpd==1.4.6`, then run with {PYTHON}=$PWD/.ci/venv/bin/python (.ci/run \
                 does both)"
            )
        });
        let folder = tempfile::tempdir().expect("a temporary folder");
        let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("a certificate");
        let certificate = key.cert.pem();
        let cert_path = folder.path().join("cert.pem");
        let key_path = folder.path().join("key.pem");
        std::fs::write(&cert_path, &certificate).expect("certificate written");
        std::fs::write(&key_path, key.signing_key.serialize_pem()).expect("key written");
        let out = folder.path().join("received");
        std::fs::create_dir(&out).expect("folder made");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut child = Command::new(&python)
            .arg(script)
            .args([mode.as_ref(), cert_path.as_os_str(), key_path.as_os_str(), out.as_os_str()])
            .env("SMTP_TEST_USER", USER)
            .env("SMTP_TEST_PASSWORD", PASSWORD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.to_string_lossy()));
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("the server's first line");
        let port =
            line.trim().strip_prefix("READY ").and_then(|p| p.parse().ok()).unwrap_or_else(|| {
                panic!(
                    "the SMTP server did not start (is aiosmtpd installed in {}?): {line:?}",
                    python.to_string_lossy()
                )
            });
        let stdin = child.stdin.take();
        Server { child, stdin, port, certificate, folder }
    }

    /// The mailer for `url` (with `{port}` replaced), trusting this server's certificate.
    fn mailer(&self, url: &str, password: &str) -> SmtpMailer {
        let config = SmtpConfig::from_url(&url.replace("{port}", &self.port.to_string()))
            .expect("a valid URL")
            .with_timeout(Duration::from_secs(20))
            .with_root_certificate(self.certificate.as_bytes());
        let config = if password.is_empty() {
            config
        } else {
            config.with_password(SecretString::from(password))
        };
        SmtpMailer::new(config).expect("a mailer")
    }

    /// The messages received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.folder.path().join("received"))
            .expect("the folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("JSON"))
            .collect()
    }

    /// Waits for the first message (the server writes it before it answers 250, so it is there
    /// once `send` returned; the wait covers a slow file system only).
    fn first_message(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(message) = self.received().into_iter().next() {
                return message;
            }
            assert!(Instant::now() < deadline, "no message arrived");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A run with a failed write and two changes.
fn report() -> Report {
    let op = |name: &str, target: Side, outcome: Outcome| OperationReport {
        action: Action::Update,
        target,
        name: name.to_owned(),
        hr: Some("h1".into()),
        idp: Some("a1".into()),
        fields: vec![FieldReport {
            field: Field::JobTitle,
            from: Some(FieldValue::Text("Engineer".into())),
            to: FieldValue::Text("CTO".into()),
        }],
        outcome,
    };
    let mut report = Report { names: Names::new("Huma", "Azure AD"), ..Report::default() };
    report.operations = vec![
        op("Ada Lovelace", Side::Idp, Outcome::Done),
        op("Åse Ødegård", Side::Hr, Outcome::Done),
        op(
            "Grace Hopper",
            Side::Idp,
            Outcome::Failed {
                kind: ErrorKind::PermissionDenied,
                message: "Insufficient privileges".into(),
                advice: "grant the permission, then sync again".into(),
            },
        ),
    ];
    report.counts.updated_in_idp = 1;
    report.counts.updated_in_hr = 1;
    report.counts.failed = 1;
    report
}

fn email() -> dirsync::Email {
    ReportEmail::new(&report())
        .with_organisation("Example AS")
        .to_email(USER, ["hr@example.com", "it@example.com"])
}

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
    dirsync::send_email(&mailer, &email).await.expect("sent");

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
    let text = dirsync::ErrorChain(&err).to_string();
    assert!(text.contains("SMTP_PASSWORD"), "{text}");
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
    assert!(err.to_string().contains("--email-to"), "{err}");
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
