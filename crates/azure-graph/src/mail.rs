//! The report email through Microsoft Graph: `POST /users/{sender}/sendMail`, as the app, from a
//! mailbox of the tenant. Needs the `Mail.Send` application permission, best restricted to that
//! one mailbox with an application access policy (`docs/azure-setup.md`).

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use async_trait::async_trait;
use base64::Engine as _;
use dirsync::mail::{Email, MailError, MailErrorKind, Mailer};
use dirsync_runtime::ErrorDetails;
use reqwest::Method;
use serde_json::{Value, json};

/// The most a `sendMail` request may carry (Graph refuses requests over 4 MB); attachments that
/// would make it bigger are left out, and the email says so.
const MAX_REQUEST_BYTES: usize = 3_500_000;

/// A [`Mailer`] that sends through Microsoft Graph as the app, from one mailbox of the tenant.
///
/// The sender in `POST /users/{sender}/sendMail` is the email's `from` address (a user or
/// shared mailbox with Exchange Online). Graph takes one body, so the HTML part is sent and
/// Exchange makes the plain-text alternative. The message is not saved to Sent Items.
///
/// ```
/// use azure_graph::{GraphClient, GraphMailer};
/// use azure_graph::SecretString;
/// let client = GraphClient::builder()
///     .tenant("contoso.onmicrosoft.com")
///     .client_credentials("11111111-2222-3333-4444-555555555555", SecretString::from("s3cr3t"))
///     .build()?;
/// let mailer = GraphMailer::new(client); // the same client the sync uses
/// assert_eq!(dirsync::mail::Mailer::name(&mailer), "Microsoft Graph (sendMail)");
/// # Ok::<(), azure_graph::GraphError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GraphMailer {
    client: GraphClient,
}

impl GraphMailer {
    /// A mailer over `client`.
    pub fn new(client: GraphClient) -> Self {
        GraphMailer { client }
    }

    /// Sends `email` from the mailbox of its `from` address, with this crate's own error.
    ///
    /// A 429 is sent again (Graph did not act on it); a server error or a network fault is not,
    /// so the email is never sent twice.
    ///
    /// # Errors
    /// [`SendMailError::PermissionDenied`] without `Mail.Send` (or outside the application
    /// access policy), [`SendMailError::UnknownSender`] for a sender with no mailbox, or another
    /// [`GraphError`].
    pub async fn send_email(&self, email: &Email) -> Result<(), SendMailError> {
        let sender = GraphUserId::new(email.from.trim());
        let url = self.client.api(&format!("/users/{}/sendMail", sender.path_segment()));
        let body = request_body(email);
        let call = Call { body: Some(&body), ..Call::default() };
        let span = tracing::info_span!("graph_send_mail", to = email.to.len());
        let sent =
            tracing::Instrument::instrument(self.client.call(Method::POST, &url, call), span);
        match sent.await {
            Ok(_) => Ok(()),
            Err(GraphError::PermissionDenied { details, .. }) => {
                Err(SendMailError::PermissionDenied { sender: email.from.clone(), details })
            }
            Err(GraphError::NotFound { details }) => {
                Err(SendMailError::UnknownSender { sender: email.from.clone(), details })
            }
            Err(other) => Err(SendMailError::Graph(other)),
        }
    }
}

#[async_trait]
impl Mailer for GraphMailer {
    fn name(&self) -> &str {
        "Microsoft Graph (sendMail)"
    }

    async fn send(&self, email: &Email) -> Result<(), MailError> {
        self.send_email(email).await.map_err(|e| MailError::from_source(e.kind(), e))
    }
}

/// Why Microsoft Graph did not send an email.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendMailError {
    /// A 403: the app may not send mail, or not as this sender.
    #[error(
        "Microsoft Graph refused to send mail as {sender}: the Azure app needs the application \
         permission Mail.Send (Microsoft Graph) with admin consent, and, where an application \
         access policy restricts it to chosen mailboxes, {sender} must be one of them \
         (docs/azure-setup.md says how) ({details})"
    )]
    PermissionDenied {
        /// The sender asked for.
        sender: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// A 404: no user or mailbox with this address.
    #[error(
        "there is no mailbox {sender:?} in this Azure AD tenant to send from: send from the \
         address of a user or shared mailbox that has Exchange Online ({details})"
    )]
    UnknownSender {
        /// The sender asked for.
        sender: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// Anything else (credentials, throttling beyond the retries, the network).
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl SendMailError {
    /// The kind the core's [`MailError`] carries.
    pub fn kind(&self) -> MailErrorKind {
        match self {
            SendMailError::PermissionDenied { .. } => MailErrorKind::PermissionDenied,
            SendMailError::UnknownSender { .. } => MailErrorKind::UnknownSender,
            SendMailError::Graph(e) => match e.kind() {
                dirsync::directory::ErrorKind::Authentication => MailErrorKind::Authentication,
                dirsync::directory::ErrorKind::Throttled
                | dirsync::directory::ErrorKind::Unavailable => MailErrorKind::Unavailable,
                dirsync::directory::ErrorKind::InvalidValue => MailErrorKind::RecipientRefused,
                _ => MailErrorKind::Other,
            },
        }
    }
}

/// The `sendMail` request: the HTML body, the recipients, the attachments that fit.
fn request_body(email: &Email) -> Value {
    let recipients: Vec<Value> =
        email.to.iter().map(|to| json!({"emailAddress": {"address": to.trim()}})).collect();
    let mut room = MAX_REQUEST_BYTES.saturating_sub(email.html.len() + email.subject.len() + 1024);
    let mut attachments = Vec::new();
    let mut left_out = Vec::new();
    for attachment in &email.attachments {
        let content = base64::engine::general_purpose::STANDARD.encode(&attachment.bytes);
        if content.len() > room {
            left_out.push(attachment.name.as_str());
            continue;
        }
        room -= content.len();
        attachments.push(json!({
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": attachment.name,
            "contentType": attachment.content_type,
            "contentBytes": content,
        }));
    }
    let mut html = email.html.clone();
    if !left_out.is_empty() {
        tracing::warn!(left_out = ?left_out, "attachments too big for one Graph request");
        let note = format!(
            "<p style=\"font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#59636e\">\
             Not attached, as Microsoft Graph takes at most 4 MB in one message: {}.</p>\n",
            left_out.join(", ")
        );
        match html.rfind("</body>") {
            Some(at) => html.insert_str(at, &note),
            None => html.push_str(&note),
        }
    }
    json!({
        "message": {
            "subject": email.subject,
            "body": {"contentType": "HTML", "content": html},
            "toRecipients": recipients,
            "attachments": attachments,
        },
        "saveToSentItems": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::mail::Attachment;

    fn email(attachment_bytes: usize) -> Email {
        Email {
            from: "sync@contoso.com".into(),
            to: vec!["hr@contoso.com".into(), " it@contoso.com ".into()],
            subject: "Huma ↔ Azure AD sync: 2 updated".into(),
            text: "text".into(),
            html: "<html><body><p>hi</p></body></html>".into(),
            attachments: vec![
                Attachment {
                    name: "changes.csv".into(),
                    content_type: "text/csv; charset=utf-8".into(),
                    bytes: b"a,b\n".to_vec(),
                },
                Attachment {
                    name: "report.json".into(),
                    content_type: "application/json".into(),
                    bytes: vec![b' '; attachment_bytes],
                },
            ],
        }
    }

    #[test]
    fn the_request_has_the_html_body_recipients_and_file_attachments() {
        let body = request_body(&email(10));
        let message = &body["message"];
        assert_eq!(body["saveToSentItems"], false);
        assert_eq!(message["body"]["contentType"], "HTML");
        assert_eq!(message["toRecipients"][1]["emailAddress"]["address"], "it@contoso.com");
        let csv = &message["attachments"][0];
        assert_eq!(csv["@odata.type"], "#microsoft.graph.fileAttachment");
        assert_eq!(csv["contentBytes"], "YSxiCg==");
        assert_eq!(message["attachments"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn attachments_beyond_graphs_limit_are_left_out_and_the_email_says_so() {
        let body = request_body(&email(4_000_000));
        let message = &body["message"];
        assert_eq!(message["attachments"].as_array().map(Vec::len), Some(1));
        let html = message["body"]["content"].as_str().unwrap_or_default();
        assert!(html.contains("Not attached") && html.contains("report.json"), "{html}");
        assert!(html.ends_with("</body></html>"), "{html}");
    }
}
