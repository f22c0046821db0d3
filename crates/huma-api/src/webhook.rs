//! Verification and parsing of Huma's profile webhooks, usable without a client.
//!
//! Huma signs each request with the client secret configured for the webhook (header
//! `huma-hmac-sha256`: an HMAC-SHA256 of the raw body, hex or base64) and/or sends the configured
//! access token as `Authorization: Bearer <token>`. [`WebhookVerifier::verify`] checks whichever of
//! the two is configured (both, when both are), refuses bodies over a size limit before doing any
//! work, and parses the body into a [`WebhookEvent`].
//!
//! Huma says the format may change: unknown topics become [`Topic::Unknown`] and unknown fields are
//! ignored, never an error.

use crate::HumaUserId;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use subtle::ConstantTimeEq;

/// The header that carries the body's HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "huma-hmac-sha256";
/// The header that carries the topic.
pub const TOPIC_HEADER: &str = "huma-topic";
/// The default largest body accepted: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Read access to a request's headers, so any web framework can call the verifier.
///
/// Names are looked up case-insensitively. Implemented for slices, arrays and vectors of
/// `(name, value)` pairs and for `HashMap<String, String>`; implement it for your framework's
/// header map in a few lines.
pub trait WebhookHeaders {
    /// The first value of the header `name` (any letter case), if present and valid text.
    fn header(&self, name: &str) -> Option<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<S: std::hash::BuildHasher> WebhookHeaders for HashMap<String, String, S> {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What a webhook is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `users-create`: people were added.
    UsersCreate,
    /// `users-update`: people's profiles changed.
    UsersUpdate,
    /// `users-delete`: people were deleted.
    UsersDelete,
    /// `users-export`: people were exported to integrations.
    UsersExport,
    /// A topic this library does not know yet, as Huma spelled it (empty when none was given).
    Unknown(String),
}

impl Topic {
    /// The topic from Huma's spelling.
    pub fn parse(topic: &str) -> Topic {
        match topic.trim() {
            "users-create" => Topic::UsersCreate,
            "users-update" => Topic::UsersUpdate,
            "users-delete" => Topic::UsersDelete,
            "users-export" => Topic::UsersExport,
            other => Topic::Unknown(other.to_owned()),
        }
    }

    /// Huma's spelling of the topic.
    pub fn as_str(&self) -> &str {
        match self {
            Topic::UsersCreate => "users-create",
            Topic::UsersUpdate => "users-update",
            Topic::UsersDelete => "users-delete",
            Topic::UsersExport => "users-export",
            Topic::Unknown(other) => other,
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One person a webhook is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUser {
    /// The user's id, which never changes.
    pub id: HumaUserId,
    /// The user's email, when Huma sent one.
    pub email: Option<String>,
}

/// A verified webhook: its topic and the people it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// What happened.
    pub topic: Topic,
    /// Who it happened to.
    pub users: Vec<WebhookUser>,
}

impl WebhookEvent {
    /// The event in the core's terms, for [`dirsync::realtime::RealtimePush::push_event`]: `users-create`
    /// and `users-update` ask for a push; `users-delete`, `users-export` and unknown topics do
    /// not.
    ///
    /// ```
    /// use huma_api::webhook::{Topic, WebhookEvent};
    /// let event = WebhookEvent { topic: Topic::UsersUpdate, users: vec![] };
    /// assert!(event.to_hr_event().needs_push());
    /// ```
    pub fn to_hr_event(&self) -> dirsync::realtime::HrEvent {
        let change = match self.topic {
            Topic::UsersCreate => dirsync::realtime::HrChange::Created,
            Topic::UsersUpdate => dirsync::realtime::HrChange::Updated,
            Topic::UsersDelete => dirsync::realtime::HrChange::Deleted,
            Topic::UsersExport | Topic::Unknown(_) => dirsync::realtime::HrChange::Other,
        };
        let records =
            self.users.iter().map(|u| dirsync::directory::RecordId::new(u.id.as_str())).collect();
        dirsync::realtime::HrEvent { change, records }
    }
}

/// Why a webhook request was refused. The messages never reveal the expected signature or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is larger than the verifier accepts.
    #[error("the webhook body is {len} bytes, over the limit of {max}")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A secret is configured but the request has no `huma-hmac-sha256` header.
    #[error("the webhook request has no huma-hmac-sha256 signature header")]
    MissingSignature,
    /// The signature does not match the body and the configured secret.
    #[error(
        "the webhook signature does not match: check that the client secret configured here is the one set on the webhook in Huma"
    )]
    InvalidSignature,
    /// A token is configured but the request has no bearer token.
    #[error("the webhook request has no Authorization: Bearer token")]
    MissingToken,
    /// The bearer token is not the configured one.
    #[error(
        "the webhook bearer token does not match: check that the access token configured here is the one set on the webhook in Huma"
    )]
    InvalidToken,
    /// Neither a secret nor a token is configured, so nothing can be verified.
    #[error(
        "no webhook secret or token is configured: set at least one on the webhook in Huma and here"
    )]
    NotConfigured,
    /// The (verified) body is not a JSON object.
    #[error("the webhook body is not a JSON object: {reason}")]
    Malformed {
        /// What was wrong.
        reason: String,
    },
}

/// Verifies webhook requests from Huma and parses them into [`WebhookEvent`]s.
///
/// ```
/// use huma_api::webhook::{Topic, WebhookVerifier};
/// let verifier = WebhookVerifier::new(None, Some("s3cret-token".into()));
/// let body = br#"{"topic":"users-update","users":[{"id":"u1","email":"ada@example.com"}]}"#;
/// let event = verifier.verify(&[("Authorization", "Bearer s3cret-token")], body)?;
/// assert_eq!(event.topic, Topic::UsersUpdate);
/// assert_eq!(event.users[0].id.as_str(), "u1");
/// # Ok::<(), huma_api::webhook::WebhookError>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    secret: Option<SecretString>,
    token: Option<SecretString>,
    max_body: usize,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<SecretString>| if s.is_some() { "***" } else { "none" };
        f.debug_struct("WebhookVerifier")
            .field("secret", &redact(&self.secret))
            .field("token", &redact(&self.token))
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier that checks the HMAC signature when `secret` is given and the bearer token when
    /// `token` is given (both, when both are). With neither, every request is refused with
    /// [`WebhookError::NotConfigured`]; use [`parse_event`] to skip verification on purpose.
    pub fn new(secret: Option<SecretString>, token: Option<SecretString>) -> Self {
        WebhookVerifier { secret, token, max_body: DEFAULT_MAX_BODY }
    }

    /// Sets the largest body accepted, in bytes (default [`DEFAULT_MAX_BODY`]).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Verifies a request from its headers and raw body, then parses it.
    ///
    /// # Errors
    /// [`WebhookError`]: the body is too large, a configured check fails or its header is missing,
    /// or the verified body is not a JSON object.
    pub fn verify<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        if body.len() > self.max_body {
            return Err(WebhookError::BodyTooLarge { len: body.len(), max: self.max_body });
        }
        if self.secret.is_none() && self.token.is_none() {
            return Err(WebhookError::NotConfigured);
        }
        if let Some(secret) = &self.secret {
            let signature =
                headers.header(SIGNATURE_HEADER).ok_or(WebhookError::MissingSignature)?;
            if !signature_matches(secret, body, signature) {
                return Err(WebhookError::InvalidSignature);
            }
        }
        if let Some(token) = &self.token {
            let given = headers
                .header("authorization")
                .and_then(bearer_token)
                .ok_or(WebhookError::MissingToken)?;
            if !same_secret(token.expose_secret().as_bytes(), given.as_bytes()) {
                return Err(WebhookError::InvalidToken);
            }
        }
        let mut event = parse_event(body)?;
        if let Topic::Unknown(name) = &event.topic
            && name.is_empty()
            && let Some(topic) = headers.header(TOPIC_HEADER)
        {
            event.topic = Topic::parse(topic);
        }
        if let Topic::Unknown(name) = &event.topic {
            tracing::info!(topic = %name, "ignoring a webhook with a topic this library does not know");
        }
        Ok(event)
    }
}

/// The HMAC-SHA256 of `body` with `secret`, hex: the [`SIGNATURE_HEADER`] Huma sends with each
/// webhook, which [`WebhookVerifier::verify`] checks. Beside the verifier so that whoever sends
/// webhooks to a receiver (a test, a fake Huma, a relay) signs them the way Huma does.
///
/// ```
/// use huma_api::SecretString;
/// use huma_api::webhook::{SIGNATURE_HEADER, WebhookVerifier, sign};
/// let body = br#"{"topic":"users-update","users":[{"id":"u1"}]}"#;
/// let signature = sign("s3cret", body);
/// let verifier = WebhookVerifier::new(Some(SecretString::from("s3cret")), None);
/// assert!(verifier.verify(&[(SIGNATURE_HEADER, signature.as_str())], body).is_ok());
/// ```
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => String::new(),
    }
}

/// Parses a webhook body without verifying it: for callers that check requests some other way.
///
/// The topic is the body's `topic` (empty [`Topic::Unknown`] when absent); users without a usable
/// `id` are skipped, unknown fields ignored.
///
/// # Errors
/// [`WebhookError::Malformed`] when the body is not a JSON object.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed { reason: e.to_string() })?;
    let Value::Object(object) = value else {
        return Err(WebhookError::Malformed { reason: "expected an object".to_owned() });
    };
    let topic = match object.get("topic") {
        Some(Value::String(topic)) => Topic::parse(topic),
        _ => Topic::Unknown(String::new()),
    };
    let users = match object.get("users") {
        Some(Value::Array(users)) => users.iter().filter_map(webhook_user).collect(),
        Some(other) => {
            tracing::warn!(kind = %json_kind(other), "ignoring a webhook `users` that is not a list");
            Vec::new()
        }
        None => Vec::new(),
    };
    Ok(WebhookEvent { topic, users })
}

fn webhook_user(value: &Value) -> Option<WebhookUser> {
    let id = value.get("id").and_then(Value::as_str).map(str::trim).filter(|id| !id.is_empty());
    let Some(id) = id else {
        tracing::warn!("ignoring a webhook user without an id");
        return None;
    };
    let email = value
        .get("email")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    Some(WebhookUser { id: HumaUserId::new(id), email })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme in any letter case).
fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether `signature` (hex or base64, optionally prefixed `sha256=`) is the HMAC-SHA256 of `body`
/// with `secret`. Compared in constant time.
fn signature_matches(secret: &SecretString, body: &[u8], signature: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    let signature = signature.trim();
    let signature = signature.strip_prefix("sha256=").unwrap_or(signature);
    let candidates = [
        hex::decode(signature).ok(),
        base64::engine::general_purpose::STANDARD.decode(signature).ok(),
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(signature).ok(),
        base64::engine::general_purpose::URL_SAFE.decode(signature).ok(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).ok(),
    ];
    // Every candidate is compared, so the time taken does not tell which encoding matched.
    let mut matched = subtle::Choice::from(0);
    for candidate in candidates.iter().flatten() {
        if candidate.len() == expected.len() {
            matched |= candidate.as_slice().ct_eq(expected.as_slice());
        }
    }
    matched.into()
}

/// Compares two secrets in constant time, also hiding their lengths (both are hashed first).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let signature = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(signature, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_a_token() {
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn header_lookup_ignores_case() {
        let headers = vec![("Huma-HMAC-SHA256".to_owned(), "x".to_owned())];
        assert_eq!(headers.header("huma-hmac-sha256"), Some("x"));
        assert_eq!(headers.header("huma-topic"), None);
    }

    #[test]
    fn topics_round_trip_and_unknown_ones_are_kept() {
        for name in ["users-create", "users-update", "users-delete", "users-export", "x-new"] {
            assert_eq!(Topic::parse(name).as_str(), name);
        }
        assert_eq!(Topic::parse("groups-create"), Topic::Unknown("groups-create".into()));
    }

    #[test]
    fn same_secret_compares_content() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
    }

    #[test]
    fn debug_never_shows_the_secrets() {
        let v = WebhookVerifier::new(Some("hunter2".into()), Some("tok-123".into()));
        let shown = format!("{v:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("tok-123"), "{shown}");
        assert!(shown.contains("***"));
    }
}
