//! `POST /v1.0/users/{id or userPrincipalName}/sendMail`: checked as Graph checks it, and kept in
//! an outbox for tests to read ([`FakeGraph::sent_mail`]).

use super::errors::error;
use super::{Call, FakeGraph, GraphState};
use crate::server::Reply;
use base64::Engine as _;
use serde_json::Value;

/// One message the fake was asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    /// The sender from the path, as resolved: the user's id.
    pub sender_id: String,
    /// The sender's userPrincipalName.
    pub sender: String,
    /// `message.subject`.
    pub subject: String,
    /// `message.body.contentType`: `HTML` or `Text`.
    pub content_type: String,
    /// `message.body.content`.
    pub body: String,
    /// The addresses of `message.toRecipients`.
    pub to: Vec<String>,
    /// `message.attachments`, decoded.
    pub attachments: Vec<SentAttachment>,
    /// `saveToSentItems` (Graph's default: true).
    pub save_to_sent_items: bool,
}

/// A file attachment of a [`SentMail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentAttachment {
    /// `name`.
    pub name: String,
    /// `contentType`.
    pub content_type: String,
    /// `contentBytes`, decoded.
    pub bytes: Vec<u8>,
}

/// What was sent, and whether the app may send.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    sent: Vec<SentMail>,
    /// The app lacks `Mail.Send`: every send answers 403.
    denied: bool,
}

/// Handles one `sendMail` for the user `key`.
pub(crate) fn send_mail(state: &mut GraphState, key: &str, call: &Call) -> Reply {
    if state.outbox.denied {
        return error(
            403,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        );
    }
    let Some(id) = state.users.resolve(key) else {
        return error(404, "ErrorInvalidUser", format!("The requested user '{key}' is invalid."));
    };
    let sender = state
        .users
        .by_id
        .get(&id)
        .and_then(|s| s.user.user_principal_name.clone())
        .unwrap_or_default();
    let Some(message) = call.body.as_ref().and_then(|b| b.get("message")) else {
        return error(400, "ErrorInvalidRequest", "Empty Payload. JSON content expected.");
    };
    let text = |v: &Value, path: &[&str]| {
        path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).map(str::to_owned)
    };
    let to: Vec<String> = message
        .get("toRecipients")
        .and_then(Value::as_array)
        .map(|all| all.iter().filter_map(|r| text(r, &["emailAddress", "address"])).collect())
        .unwrap_or_default();
    if to.is_empty() || to.iter().any(|a| !a.contains('@')) {
        return error(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
    }
    let mut attachments = Vec::new();
    for a in message.get("attachments").and_then(Value::as_array).into_iter().flatten() {
        if text(a, &["@odata.type"]).as_deref() != Some("#microsoft.graph.fileAttachment") {
            return error(400, "ErrorInvalidRequest", "The attachment type is not supported.");
        }
        let Some(bytes) = text(a, &["contentBytes"])
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        else {
            return error(400, "ErrorInvalidRequest", "contentBytes is not valid base64.");
        };
        attachments.push(SentAttachment {
            name: text(a, &["name"]).unwrap_or_default(),
            content_type: text(a, &["contentType"]).unwrap_or_default(),
            bytes,
        });
    }
    state.outbox.sent.push(SentMail {
        sender_id: id,
        sender,
        subject: text(message, &["subject"]).unwrap_or_default(),
        content_type: text(message, &["body", "contentType"]).unwrap_or_else(|| "Text".into()),
        body: text(message, &["body", "content"]).unwrap_or_default(),
        to,
        attachments,
        save_to_sent_items: call
            .body
            .as_ref()
            .and_then(|b| b.get("saveToSentItems"))
            .and_then(Value::as_bool)
            .unwrap_or(true),
    });
    Reply::empty(202)
}

impl FakeGraph {
    /// Every message sent through `sendMail` so far, in order.
    pub fn sent_mail(&self) -> Vec<SentMail> {
        self.state().outbox.sent.clone()
    }

    /// Grants or takes away the app's `Mail.Send` permission (granted at start); without it,
    /// `sendMail` answers 403 `ErrorAccessDenied`.
    pub fn set_mail_send_permission(&self, granted: bool) {
        self.state().outbox.denied = !granted;
    }
}
