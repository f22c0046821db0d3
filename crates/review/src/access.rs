//! Who may use the page. A service puts the Router behind its own auth; the page itself refuses
//! forms from other sites always, and, when the program asks ([`crate::Review::with_access`]),
//! every request without the token and every request to a host name other than the loopback
//! address (so a web page cannot reach it by rebinding a name to 127.0.0.1).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use dirsync::model::Names;
use rand::RngCore as _;
use std::fmt;
use std::sync::Arc;
use subtle::ConstantTimeEq as _;

/// The secret in the page's address that `sync review` prints: without it, every request is
/// refused. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// A new random token: 32 bytes from the operating system's generator, as hex.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        AccessToken(hex.into())
    }

    /// The token, to print in the page's address.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    fn matches(&self, given: &str) -> bool {
        self.0.as_bytes().ct_eq(given.as_bytes()).into()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// What the page checks of every request.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub(crate) token: Option<AccessToken>,
    pub(crate) loopback_only: bool,
}

impl Access {
    /// Only requests that carry `token` (in the address: `?token=…`; the page's links and forms
    /// carry it), to a loopback host name (127.0.0.1 or localhost), as `sync review` serves it.
    pub fn local(token: AccessToken) -> Self {
        Access { token: Some(token), loopback_only: true }
    }
}

/// The state of the guard.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    pub(crate) access: Access,
    pub(crate) names: Names,
}

/// Refuses what [`Access`] and the same-origin rule do not allow, with a page that says why.
pub(crate) async fn guard(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if guard.access.loopback_only && !loopback(headers) {
        return refuse(
            &guard,
            StatusCode::FORBIDDEN,
            "This page answers only at 127.0.0.1 or localhost: open the address that was printed.",
        );
    }
    if let Some(token) = &guard.access.token {
        let given = request.uri().query().and_then(token_in);
        if !given.is_some_and(|given| token.matches(&given)) {
            return refuse(
                &guard,
                StatusCode::UNAUTHORIZED,
                "This address needs its token: open the whole address that `sync review` printed (it ends in ?token=…).",
            );
        }
    }
    if request.method() == Method::POST && !same_origin(headers) {
        return refuse(
            &guard,
            StatusCode::FORBIDDEN,
            "This form came from another site, so it was refused and nothing was written: use the review page itself.",
        );
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // The address holds the token: never send it to another site, and never show the page in
    // another's frame.
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// The `token` of a query string.
fn token_in(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_owned)
}

/// Whether the Host header names the loopback address: 127.0.0.1 or localhost, any port.
fn loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost")
}

/// Whether a form comes from the page itself: the browser's `Sec-Fetch-Site` says so (or that a
/// person typed the address); without it (an older browser), the `Origin`, when sent, must be
/// the page's own host.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin" || site == "none";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

fn refuse(guard: &Guard, status: StatusCode, why: &str) -> Response {
    let context = dirsync_report::review::Context {
        names: guard.names.clone(),
        ..dirsync_report::review::Context::default()
    };
    let heading = match status {
        StatusCode::UNAUTHORIZED => "The token is missing or wrong",
        _ => "Refused",
    };
    (status, Html(dirsync_report::review::refusal(&context, heading, why, false))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let token = AccessToken::random();
        assert_eq!(token.reveal().len(), 64);
        assert!(!format!("{token:?} {:?}", Access::local(token.clone())).contains(token.reveal()));
        assert_ne!(token, AccessToken::random());
    }

    #[test]
    fn loopback_names_with_or_without_a_port_are_loopback() {
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, value.parse().expect("a header"));
            loopback(&headers)
        };
        assert!(host("127.0.0.1:8080") && host("localhost") && host("LOCALHOST:1"));
        assert!(!host("evil.example") && !host("127.0.0.1.evil.example:80"));
    }
}
