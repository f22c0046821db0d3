//! What the SMTP tests share: a real SMTP server process (Python's aiosmtpd) started with a
//! certificate made for it, and a report email to send through it.
//!
//! The server needs a Python with aiosmtpd: `DIRSYNC_SMTP_PYTHON` names it (`.ci/run` sets it up);
//! without it the tests make `.ci/venv-smtp` themselves:
//!
//! ```text
//! python3 -m venv .ci/venv-smtp && .ci/venv-smtp/bin/pip install -r .ci/requirements.txt
//! ```
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use dirsync::{
    directory::ErrorKind,
    model::{Field, FieldValue, Names, Side},
    report::{Action, FieldReport, OperationReport, Outcome, Report},
};
use dirsync_report::ReportEmail;
use dirsync_smtp::{SmtpConfig, SmtpMailer};
use secrecy::SecretString;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "sync@example.com";
pub const PASSWORD: &str = "correct-horse-battery-staple-7f3a";
pub const PYTHON: &str = "DIRSYNC_SMTP_PYTHON";

/// A Python with aiosmtpd: the one `DIRSYNC_SMTP_PYTHON` names, else `.ci/venv-smtp`'s, made
/// from `.ci/requirements.txt`.
const AIOSMTPD: testkit::PythonTool = testkit::PythonTool {
    env: PYTHON,
    venv: ".ci/venv-smtp",
    executable: "bin/python",
    install: &[".ci/requirements.txt"],
    import: Some("aiosmtpd"),
};

fn python() -> PathBuf {
    AIOSMTPD.locate().unwrap_or_else(|why| {
        panic!("these tests send through a real SMTP server (aiosmtpd), and {why}")
    })
}

/// A running aiosmtpd; dropping it stops the process.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    certificate: String,
    folder: tempfile::TempDir,
}

impl Server {
    /// Starts the server in `mode` ("starttls", "tls" or "plain").
    pub fn start(mode: &str) -> Server {
        let python = python();
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
    pub fn mailer(&self, url: &str, password: &str) -> SmtpMailer {
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
    pub fn received(&self) -> Vec<Value> {
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
    pub fn first_message(&self) -> Value {
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
pub fn report() -> Report {
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
        reason: None,
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
            },
        ),
    ];
    report.counts.updated_in_idp = 1;
    report.counts.updated_in_hr = 1;
    report.counts.failed = 1;
    report
}

pub fn email() -> dirsync::mail::Email {
    ReportEmail::new(&report())
        .with_organisation("Example AS")
        .to_email(USER, ["hr@example.com", "it@example.com"])
}
