//! `sync apply --email-to ...`: the report emailed after the run, over SMTP or Microsoft Graph.
//!
//! A report email that cannot be sent never fails the sync: [`send_report`] returns what to
//! print ([`EmailOutcome`]), and the report files are written as before.

use crate::cli::{EmailArgs, EmailVia};
use crate::connect::{self, Directories, IdentityDirectory};
use azure_graph::{GraphClient, GraphMailer};
use dirsync::{
    mail::{MailErrorKind, Mailer},
    report::Report,
};
use dirsync_report::ReportEmail;
use dirsync_review::ReviewEmail;
use dirsync_smtp::{SmtpConfig, SmtpMailer};
use secrecy::SecretString;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The SMTP server's URL: `smtp://user@host:587` (STARTTLS) or `smtps://user@host:465`.
pub const SMTP_URL: &str = "SMTP_URL";
/// The SMTP user's password.
pub const SMTP_PASSWORD: &str = "SMTP_PASSWORD";

/// The SMTP settings, from the environment. `Debug` hides the password.
#[derive(Clone, Default)]
pub struct SmtpEnv {
    /// `SMTP_URL`.
    pub url: Option<String>,
    /// `SMTP_PASSWORD`.
    pub password: Option<SecretString>,
}

impl fmt::Debug for SmtpEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpEnv")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl SmtpEnv {
    /// `SMTP_URL` and `SMTP_PASSWORD` from the process's environment.
    pub fn from_env() -> Self {
        SmtpEnv {
            url: std::env::var(SMTP_URL).ok().filter(|v| !v.trim().is_empty()),
            password: connect::secret_from_env(SMTP_PASSWORD),
        }
    }
}

/// What became of the report email: print it with `Display`, on standard error when
/// [`EmailOutcome::is_failure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    /// No `--email-to`: nothing to send.
    NotAsked,
    /// `--email-on problems` and the run had none.
    NotNeeded,
    /// Sent.
    Sent {
        /// The recipients.
        to: Vec<String>,
        /// Through what.
        via: String,
    },
    /// Not sent; the sync and the report files are not affected.
    Failed {
        /// Why, and what to do.
        why: String,
    },
}

impl EmailOutcome {
    /// Whether the email was asked for and could not be sent.
    pub fn is_failure(&self) -> bool {
        matches!(self, EmailOutcome::Failed { .. })
    }
}

impl fmt::Display for EmailOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailOutcome::NotAsked => write!(f, "No report email asked for (--email-to)."),
            EmailOutcome::NotNeeded => {
                write!(f, "Report email not sent: the run had no problems (--email-on problems).")
            }
            EmailOutcome::Sent { to, via } => {
                write!(f, "Report emailed to {} through {via}.", to.join(", "))
            }
            EmailOutcome::Failed { why } => write!(
                f,
                "warning: the report email could not be sent: {why}. The sync is not affected \
                 and the report files are written as usual."
            ),
        }
    }
}

/// Emails `report` as `args` say, through SMTP (settings from `SMTP_URL` and `SMTP_PASSWORD`)
/// or through Microsoft Graph with the Azure AD connection the sync used; the subject names the
/// organisation, when given (the worker's emails are each about one of many).
pub async fn send_report(
    args: &EmailArgs,
    report: &Report,
    organisation: Option<&str>,
    directories: &Directories,
) -> EmailOutcome {
    let graph = match &directories.idp {
        IdentityDirectory::Azure(azure) => Some(azure.client()),
        _ => None,
    };
    let composer = ReportEmail::new(report).with_organisation(organisation.unwrap_or_default());
    send_report_with(args, composer, graph, &SmtpEnv::from_env()).await
}

/// [`send_report`] of the email `composer` makes, with the Graph client (none when the identity
/// directory is not Azure AD) and the SMTP settings given.
pub async fn send_report_with(
    args: &EmailArgs,
    composer: ReportEmail<'_>,
    graph: Option<&GraphClient>,
    smtp: &SmtpEnv,
) -> EmailOutcome {
    if args.email_to.is_empty() {
        return EmailOutcome::NotAsked;
    }
    if !composer.should_send(args.email_on.into()) {
        return EmailOutcome::NotNeeded;
    }
    let (mailer, from) = match mailer(args, graph, smtp) {
        Ok(found) => found,
        Err(why) => return EmailOutcome::Failed { why },
    };
    let email = composer.to_email(from, args.email_to.iter().map(|to| to.trim()));
    match dirsync::mail::send_email(mailer.as_ref(), &email).await {
        Ok(()) => EmailOutcome::Sent { to: email.to, via: mailer.name().to_owned() },
        Err(e) => EmailOutcome::Failed {
            why: with_advice(dirsync::directory::ErrorChain(&e), e.kind(), args.email_via),
        },
    }
}

/// `error` and, where this program's flags or variables hold what to fix, which: the libraries
/// say what is wrong in their own words and know nothing of them.
fn with_advice(error: impl fmt::Display, kind: MailErrorKind, via: EmailVia) -> String {
    let advice = match (kind, via) {
        (MailErrorKind::Config | MailErrorKind::Authentication, EmailVia::Smtp) => {
            format!("the server and the user are in {SMTP_URL}, the password in {SMTP_PASSWORD}")
        }
        (MailErrorKind::Connection, EmailVia::Smtp) => {
            format!("the server's host and port are in {SMTP_URL}")
        }
        (MailErrorKind::RecipientRefused | MailErrorKind::InvalidAddress, _) => {
            "the addresses are those given with --email-to and --email-from".to_owned()
        }
        (MailErrorKind::UnknownSender, _) => "give that address with --email-from".to_owned(),
        _ => return error.to_string(),
    };
    format!("{error} ({advice})")
}

/// The mailer `args` ask for and the address it sends from.
fn mailer(
    args: &EmailArgs,
    graph: Option<&GraphClient>,
    smtp: &SmtpEnv,
) -> Result<(Arc<dyn Mailer>, String), String> {
    let Some(from) = args.email_from.as_deref().filter(|f| !f.trim().is_empty()) else {
        return Err("--email-to needs --email-from ADDR, the address the email is sent from".into());
    };
    let mailer: Arc<dyn Mailer> = match (args.email_via, graph) {
        (EmailVia::Graph, Some(graph)) => Arc::new(GraphMailer::new(graph.clone())),
        (EmailVia::Graph, None) => {
            return Err("--email-via graph sends through the Azure AD connection, and this sync \
                        has none: use --email-via smtp"
                .into());
        }
        (EmailVia::Smtp, _) => Arc::new(smtp_mailer(smtp)?),
    };
    Ok((mailer, from.trim().to_owned()))
}

/// The report email of `sync review`, as `args` ask (`Ok(None)` without --email-to): the page
/// sends it after the apply and says so.
///
/// # Errors
/// What is missing to send it, in words.
pub fn review_email(
    args: &EmailArgs,
    graph: Option<&GraphClient>,
    smtp: &SmtpEnv,
) -> Result<Option<ReviewEmail>, String> {
    if args.email_to.is_empty() {
        return Ok(None);
    }
    let (mailer, from) = mailer(args, graph, smtp)?;
    let to = args.email_to.iter().map(|to| to.trim().to_owned());
    Ok(Some(ReviewEmail::new(mailer, from, to).on(args.email_on.into())))
}

fn smtp_mailer(smtp: &SmtpEnv) -> Result<SmtpMailer, String> {
    let url = smtp.url.as_deref().ok_or_else(|| {
        format!(
            "--email-via smtp needs {SMTP_URL} in the environment, e.g. \
             smtp://user%40example.com@mail.example.com:587 (with the password in \
             {SMTP_PASSWORD}), or use --email-via graph"
        )
    })?;
    let refused = |e: dirsync_smtp::SmtpError| with_advice(&e, e.kind(), EmailVia::Smtp);
    let mut config = SmtpConfig::from_url(url).map_err(refused)?;
    if let Some(password) = &smtp.password {
        config = config.with_password(password.clone());
    }
    SmtpMailer::new(config).map_err(refused)
}

/// Writes `report`'s email to `path` as an `.eml` file a mail program opens (the demo's way of
/// showing it), and says where.
pub fn write_eml(report: &Report, organisation: &str, from: &str, to: &str, path: &Path) -> String {
    let email = ReportEmail::new(report).with_organisation(organisation).to_email(from, [to]);
    let written = dirsync_smtp::to_eml(&email)
        .map_err(|e| e.to_string())
        .and_then(|eml| std::fs::write(path, eml).map_err(|e| e.to_string()));
    match written {
        Ok(()) => format!("Report email ({}) written to {}", email.subject, path.display()),
        Err(e) => format!("warning: cannot write the report email to {}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::EmailWhen;
    use testkit::{FakeGraph, GraphConfig, GraphUser};

    fn args(to: &[&str], via: EmailVia, on: EmailWhen) -> EmailArgs {
        EmailArgs {
            email_to: to.iter().map(|s| (*s).to_owned()).collect(),
            email_from: Some("dirsync@nordlys.example".to_owned()),
            email_via: via,
            email_on: on,
        }
    }

    fn failed_report() -> Report {
        let mut report = Report::default();
        report.counts.failed = 1;
        report
    }

    async fn graph() -> (FakeGraph, GraphClient) {
        let graph = FakeGraph::start(GraphConfig::default()).await;
        graph.insert_user(GraphUser::new("dirsync@nordlys.example")).expect("seeded");
        let client = GraphClient::builder()
            .tenant(FakeGraph::TENANT_ID)
            .client_credentials(FakeGraph::CLIENT_ID, SecretString::from(FakeGraph::CLIENT_SECRET))
            .graph_url(graph.graph_url())
            .login_url(graph.login_url())
            .build()
            .expect("a client");
        (graph, client)
    }

    /// [`send_report_with`] of `report`, naming no organisation, without SMTP settings.
    async fn send(args: &EmailArgs, report: &Report, graph: Option<&GraphClient>) -> EmailOutcome {
        send_report_with(args, ReportEmail::new(report), graph, &SmtpEnv::default()).await
    }

    #[tokio::test]
    async fn the_report_goes_through_graph_when_asked() {
        let (fake, client) = graph().await;
        let args = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Always);
        let outcome = send(&args, &failed_report(), Some(&client)).await;
        assert_eq!(
            outcome,
            EmailOutcome::Sent {
                to: vec!["hr@nordlys.example".into()],
                via: "Microsoft Graph (sendMail)".into()
            }
        );
        assert_eq!(fake.sent_mail()[0].to, ["hr@nordlys.example"]);
    }

    #[tokio::test]
    async fn nothing_is_sent_without_recipients_or_problems_when_problems_only() {
        let (fake, client) = graph().await;
        let none = args(&[], EmailVia::Graph, EmailWhen::Always);
        let clean = Report::default();
        assert_eq!(send(&none, &clean, Some(&client)).await, EmailOutcome::NotAsked);
        let problems = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Problems);
        assert_eq!(send(&problems, &clean, Some(&client)).await, EmailOutcome::NotNeeded);
        assert!(fake.sent_mail().is_empty());
    }

    #[tokio::test]
    async fn a_failure_to_send_is_a_warning_that_says_what_to_do() {
        let (fake, client) = graph().await;
        let smtp = args(&["hr@nordlys.example"], EmailVia::Smtp, EmailWhen::Always);
        let outcome = send(&smtp, &failed_report(), Some(&client)).await;
        assert!(outcome.is_failure());
        assert!(outcome.to_string().contains("SMTP_URL"), "{outcome}");
        assert!(outcome.to_string().contains("The sync is not affected"), "{outcome}");

        fake.set_mail_send_permission(false);
        let graph = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Always);
        let outcome = send(&graph, &failed_report(), Some(&client)).await;
        assert!(outcome.to_string().contains("Mail.Send"), "{outcome}");

        let no_azure = send(&graph, &failed_report(), None).await;
        assert!(no_azure.to_string().contains("use --email-via smtp"), "{no_azure}");

        let mut no_sender = graph.clone();
        no_sender.email_from = None;
        let outcome = send(&no_sender, &failed_report(), Some(&client)).await;
        assert!(outcome.to_string().contains("--email-from"), "{outcome}");
    }

    #[tokio::test]
    async fn refused_smtp_settings_name_the_variables_that_hold_them() {
        let smtp = args(&["hr@nordlys.example"], EmailVia::Smtp, EmailWhen::Always);
        let send = |url: String| {
            let (smtp, env) = (smtp.clone(), SmtpEnv { url: Some(url), password: None });
            async move {
                let report = failed_report();
                send_report_with(&smtp, ReportEmail::new(&report), None, &env).await.to_string()
            }
        };
        let in_the_url = send("smtp://u:hunter2@mail.example.com".into()).await;
        assert!(in_the_url.contains("the password in SMTP_PASSWORD"), "{in_the_url}");
        assert!(!in_the_url.contains("hunter2"), "{in_the_url}");
        let without = send("smtp://u@mail.example.com".into()).await;
        assert!(without.contains("the password in SMTP_PASSWORD"), "{without}");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let closed = send(format!("smtp://127.0.0.1:{port}?tls=none")).await;
        assert!(closed.contains("host and port are in SMTP_URL"), "{closed}");
    }

    #[tokio::test]
    async fn an_unknown_graph_sender_names_the_flag_that_gave_it() {
        let (fake, client) = graph().await;
        let mut graph = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Always);
        graph.email_from = Some("nobody@nordlys.example".to_owned());
        let report = failed_report();
        let composer = ReportEmail::new(&report);
        let outcome = send_report_with(&graph, composer, Some(&client), &SmtpEnv::default()).await;
        let said = outcome.to_string();
        assert!(said.contains("no mailbox \"nobody@nordlys.example\""), "{said}");
        assert!(said.contains("give that address with --email-from"), "{said}");
        assert!(fake.sent_mail().is_empty());
    }

    #[test]
    fn the_smtp_password_never_shows() {
        let env = SmtpEnv {
            url: Some("smtp://u@mail.example.com".into()),
            password: Some(SecretString::from("hunter2")),
        };
        assert!(!format!("{env:?}").contains("hunter2"));
    }

    #[test]
    fn the_demo_email_is_written_as_an_eml_file() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("report.eml");
        let said = write_eml(
            &failed_report(),
            "Nordlys AS",
            "dirsync@nordlys.example",
            "hr@nordlys.example",
            &path,
        );
        assert!(said.contains("1 failed"), "{said}");
        let eml = std::fs::read_to_string(&path).expect("written");
        assert!(eml.contains("multipart/alternative") && eml.contains("report.json"), "{eml}");
    }
}
