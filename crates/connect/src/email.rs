//! The report emailed after a run: to whom, when, and how (over SMTP, with its settings from
//! `SMTP_URL` and `SMTP_PASSWORD`, or through Microsoft Graph with the sync's Azure AD app).
//!
//! A report email that cannot be sent never fails the sync: [`send_report`] returns what
//! became of it ([`EmailOutcome`]), to print.

use crate::directories::Directories;
use crate::secrets::secret_from_env;
use azure_graph::{GraphClient, GraphMailer};
use dirsync::{
    mail::{MailErrorKind, Mailer},
    report::Report,
};
use dirsync_report::ReportEmail;
use dirsync_smtp::{SmtpConfig, SmtpError, SmtpMailer};
use secrecy::SecretString;
use std::fmt;
use std::sync::Arc;

/// The environment variable holding the SMTP server's URL: `smtp://user@host:587` (STARTTLS)
/// or `smtps://user@host:465`.
pub const SMTP_URL: &str = "SMTP_URL";
/// The environment variable holding the SMTP user's password.
pub const SMTP_PASSWORD: &str = "SMTP_PASSWORD";

/// Who the report is emailed to after `apply`, and how. SMTP settings come from the environment:
/// `SMTP_URL` (`smtp://user@host:587` for STARTTLS, `smtps://user@host:465` for implicit TLS)
/// and `SMTP_PASSWORD`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct EmailSettings {
    /// Email the report to these addresses after `apply`.
    #[cfg_attr(feature = "clap", arg(long, value_name = "ADDR[,ADDR]", value_delimiter = ','))]
    pub email_to: Vec<String>,
    /// The address the report is sent from (with --email-via graph: a mailbox in the tenant).
    #[cfg_attr(feature = "clap", arg(long, value_name = "ADDR"))]
    pub email_from: Option<String>,
    /// Send it over SMTP (SMTP_URL, SMTP_PASSWORD) or through Microsoft Graph (needs Mail.Send).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = EmailVia::Smtp))]
    pub email_via: EmailVia,
    /// Send it after every run, or only when a write failed, something is newly held back or a
    /// finding is new (what stands is sent again weekly).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = EmailWhen::Always))]
    pub email_on: EmailWhen,
}

/// How the report email is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum EmailVia {
    /// Over SMTP.
    #[default]
    Smtp,
    /// Through Microsoft Graph's sendMail, with the Azure app of the sync.
    Graph,
}

/// When the report email is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum EmailWhen {
    /// After every run.
    #[default]
    Always,
    /// Only when a write failed or was not attempted, the run stopped, something is newly held
    /// back or a finding is new; findings that stand come again in a weekly reminder.
    Problems,
}

impl From<EmailWhen> for dirsync::mail::EmailOn {
    fn from(when: EmailWhen) -> Self {
        match when {
            EmailWhen::Always => dirsync::mail::EmailOn::Always,
            EmailWhen::Problems => dirsync::mail::EmailOn::Problems,
        }
    }
}

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
    /// [`SMTP_URL`] and [`SMTP_PASSWORD`] from the process's environment; blank means unset.
    pub fn from_env() -> Self {
        SmtpEnv {
            url: std::env::var(SMTP_URL).ok().filter(|v| !v.trim().is_empty()),
            password: secret_from_env(SMTP_PASSWORD),
        }
    }
}

/// Why no mailer can be made from the settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailerError {
    /// No sender address.
    #[error("--email-to needs --email-from ADDR, the address the email is sent from")]
    NoSender,
    /// Through Microsoft Graph, but the identity directory is not Azure AD.
    #[error(
        "--email-via graph sends through the Azure AD connection, and this sync has none: use \
         --email-via smtp"
    )]
    NoGraph,
    /// Over SMTP, but no `SMTP_URL`.
    #[error(
        "--email-via smtp needs {SMTP_URL} in the environment, e.g. \
         smtp://user%40example.com@mail.example.com:587 (with the password in {SMTP_PASSWORD}), \
         or use --email-via graph"
    )]
    NoSmtpUrl,
    /// The SMTP settings are refused; the message says which variable holds what to fix.
    #[error("{}", with_advice(.0, .0.kind(), EmailVia::Smtp))]
    Smtp(SmtpError),
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

/// Emails `report` as `settings` say, through SMTP (settings from [`SMTP_URL`] and
/// [`SMTP_PASSWORD`]) or through Microsoft Graph with the Azure AD connection the sync used; the
/// subject names the organisation, when given (a worker's emails are each about one of many).
pub async fn send_report(
    settings: &EmailSettings,
    report: &Report,
    organisation: Option<&str>,
    directories: &Directories,
) -> EmailOutcome {
    let composer = ReportEmail::new(report).with_organisation(organisation.unwrap_or_default());
    send_report_with(settings, composer, directories.idp.graph(), &SmtpEnv::from_env()).await
}

/// [`send_report`] of the email `composer` makes, with the Graph client (none when the identity
/// directory is not Azure AD) and the SMTP settings given.
pub async fn send_report_with(
    settings: &EmailSettings,
    composer: ReportEmail<'_>,
    graph: Option<&GraphClient>,
    smtp: &SmtpEnv,
) -> EmailOutcome {
    if settings.email_to.is_empty() {
        return EmailOutcome::NotAsked;
    }
    if !composer.should_send(settings.email_on.into()) {
        return EmailOutcome::NotNeeded;
    }
    let (mailer, from) = match mailer(settings, graph, smtp) {
        Ok(found) => found,
        Err(e) => return EmailOutcome::Failed { why: e.to_string() },
    };
    let email = composer.to_email(from, settings.email_to.iter().map(|to| to.trim()));
    match dirsync::mail::send_email(mailer.as_ref(), &email).await {
        Ok(()) => EmailOutcome::Sent { to: email.to, via: mailer.name().to_owned() },
        Err(e) => {
            tracing::debug!(error = %dirsync::directory::ErrorChain(&e), "report email not sent");
            let why = with_advice(dirsync::directory::ErrorChain(&e), e.kind(), settings.email_via);
            EmailOutcome::Failed { why }
        }
    }
}

/// `error` and, where the settings' flags or variables hold what to fix, which: the mailers
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

/// The mailer `settings` ask for, and the address it sends from.
///
/// # Errors
/// [`MailerError`]: no sender, no Graph connection for `--email-via graph`, no or refused SMTP
/// settings.
pub fn mailer(
    settings: &EmailSettings,
    graph: Option<&GraphClient>,
    smtp: &SmtpEnv,
) -> Result<(Arc<dyn Mailer>, String), MailerError> {
    let Some(from) = settings.email_from.as_deref().filter(|f| !f.trim().is_empty()) else {
        return Err(MailerError::NoSender);
    };
    let mailer: Arc<dyn Mailer> = match (settings.email_via, graph) {
        (EmailVia::Graph, Some(graph)) => Arc::new(GraphMailer::new(graph.clone())),
        (EmailVia::Graph, None) => return Err(MailerError::NoGraph),
        (EmailVia::Smtp, _) => Arc::new(smtp_mailer(smtp)?),
    };
    Ok((mailer, from.trim().to_owned()))
}

fn smtp_mailer(smtp: &SmtpEnv) -> Result<SmtpMailer, MailerError> {
    let url = smtp.url.as_deref().ok_or(MailerError::NoSmtpUrl)?;
    let mut config = SmtpConfig::from_url(url).map_err(MailerError::Smtp)?;
    if let Some(password) = &smtp.password {
        config = config.with_password(password.clone());
    }
    SmtpMailer::new(config).map_err(MailerError::Smtp)
}
