//! The Microsoft identity platform's token endpoint and Graph's bearer-token check.

use super::GraphState;
use super::errors::unauthorized;
use crate::server::{Reply, trace_id};
use rand::Rng;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// What an authorization request asked for, checked again when its code is redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignIn {
    pub(crate) redirect_uri: String,
    /// The PKCE challenge, if the request sent one.
    pub(crate) code_challenge: Option<Challenge>,
}

/// A PKCE `code_challenge` and whether it is the verifier's SHA-256 (`S256`) or the verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) value: String,
    pub(crate) s256: bool,
}

impl Challenge {
    fn fits(&self, verifier: &str) -> bool {
        if self.s256 { pkce_challenge(verifier) == self.value } else { verifier == self.value }
    }
}

impl SignIn {
    /// The error a redemption gets when it does not fit this sign-in, as Entra ID answers it.
    fn refusal(&self, redirect_uri: Option<&str>, code_verifier: Option<&str>) -> Option<Reply> {
        if redirect_uri != Some(self.redirect_uri.as_str()) {
            let sent = redirect_uri.unwrap_or_default();
            return Some(aad_error(
                400,
                "invalid_request",
                50011,
                &format!(
                    "The redirect URI '{sent}' specified in the request does not match the redirect URIs configured for the application."
                ),
            ));
        }
        let challenge = self.code_challenge.as_ref()?;
        let verified = code_verifier.is_some_and(|v| challenge.fits(v));
        (!verified).then(|| {
            aad_error(
                400,
                "invalid_grant",
                50148,
                "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
            )
        })
    }
}

/// The S256 challenge of a PKCE verifier: base64url (no padding) of its SHA-256.
fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// Issued tokens and codes.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    /// Access token → (authenticated requests made with it, when it was issued).
    access: HashMap<String, (u64, Instant)>,
    expired: HashSet<String>,
    refresh: HashSet<String>,
    expired_refresh: HashSet<String>,
    /// Authorization code → what the sign-in that issued it asked for, when it came through
    /// [`super::FakeGraph::sign_in`].
    codes: HashMap<String, Option<SignIn>>,
    pub(crate) max_uses: Option<u64>,
    pub(crate) lifetime: Option<Duration>,
}

impl Tokens {
    fn mint(prefix: &str, rng: &mut impl Rng) -> String {
        format!("{prefix}.{:032x}", rng.random::<u128>())
    }

    pub(crate) fn new_code(&mut self, rng: &mut impl Rng, sign_in: Option<SignIn>) -> String {
        let code = Self::mint("code", rng);
        self.codes.insert(code.clone(), sign_in);
        code
    }

    pub(crate) fn new_refresh(&mut self, rng: &mut impl Rng) -> String {
        let token = Self::mint("graph-rt", rng);
        self.refresh.insert(token.clone());
        token
    }

    pub(crate) fn expire_access(&mut self) {
        let access = std::mem::take(&mut self.access);
        self.expired.extend(access.into_keys());
    }

    pub(crate) fn expire_refresh(&mut self) {
        let refresh = std::mem::take(&mut self.refresh);
        self.expired_refresh.extend(refresh);
    }

    /// Checks a bearer token and counts its use; the 401 to answer otherwise.
    pub(crate) fn check(&mut self, token: Option<&str>) -> Result<(), Reply> {
        let Some(token) = token else { return Err(unauthorized("Access token is empty.")) };
        if self.expired.contains(token) {
            return Err(unauthorized("Lifetime validation failed, the token is expired."));
        }
        let Some((uses, issued)) = self.access.get_mut(token) else {
            return Err(unauthorized("IDX14100: JWT is not well formed, there are no dots (.)."));
        };
        *uses += 1;
        let too_old = self.lifetime.is_some_and(|life| issued.elapsed() >= life);
        if too_old || self.max_uses.is_some_and(|max| *uses > max) {
            self.access.remove(token);
            self.expired.insert(token.to_owned());
            return Err(unauthorized("Lifetime validation failed, the token is expired."));
        }
        Ok(())
    }
}

/// An error from the token endpoint, in the identity platform's shape.
fn aad_error(status: u16, error: &str, code: u32, message: &str) -> Reply {
    let trace = trace_id();
    let correlation = trace_id();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) fn token(state: &mut GraphState, tenant: &str, body: &[u8]) -> Reply {
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return missing_parameter("grant_type");
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if let Err(refused) = check_client(state, tenant, &field) {
        return refused;
    }
    let Some(grant) = field("grant_type") else { return missing_parameter("grant_type") };
    let scope = field("scope").unwrap_or_default().to_owned();
    match grant_refresh(state, grant, &scope, &field) {
        Ok(refresh) => issue(state, refresh, &scope),
        Err(refused) => refused,
    }
}

fn missing_parameter(name: &str) -> Reply {
    let message = format!("The request body must contain the following parameter: '{name}'.");
    aad_error(400, "invalid_request", 900144, &message)
}

/// The tenant, the app and its secret, as the identity platform checks them.
fn check_client<'f>(
    state: &GraphState,
    tenant: &str,
    field: &impl Fn(&str) -> Option<&'f str>,
) -> Result<(), Reply> {
    if !tenant.eq_ignore_ascii_case(&state.config.tenant_id) {
        return Err(aad_error(
            400,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    if field("grant_type").is_none() {
        return Err(missing_parameter("grant_type"));
    }
    let Some(client_id) = field("client_id") else { return Err(missing_parameter("client_id")) };
    if client_id != state.config.client_id {
        return Err(aad_error(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        ));
    }
    match field("client_secret") {
        None => Err(aad_error(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )),
        Some(secret) if secret != state.config.client_secret => Err(aad_error(
            401,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )),
        Some(_) if state.config.secret_expired => Err(aad_error(
            401,
            "invalid_client",
            7000222,
            &format!(
                "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app."
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// What the grant allows: a refresh token to hand out with the access token, if any.
fn grant_refresh<'f>(
    state: &mut GraphState,
    grant: &str,
    scope: &str,
    field: &impl Fn(&str) -> Option<&'f str>,
) -> Result<Option<String>, Reply> {
    const EXPIRED: &str = "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.";
    match grant {
        "client_credentials" => {
            if !scope.split(' ').any(|s| s.ends_with("/.default")) {
                return Err(aad_error(
                    400,
                    "invalid_scope",
                    1002012,
                    &format!(
                        "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                    ),
                ));
            }
            Ok(None)
        }
        "authorization_code" => {
            let code = field("code").unwrap_or_default();
            let Some(sign_in) = state.tokens.codes.remove(code) else {
                return Err(aad_error(400, "invalid_grant", 70008, EXPIRED));
            };
            let refusal = |s: SignIn| s.refusal(field("redirect_uri"), field("code_verifier"));
            if let Some(refusal) = sign_in.and_then(refusal) {
                return Err(refusal);
            }
            let offline = scope.split(' ').any(|s| s == "offline_access");
            Ok(offline.then(|| state.tokens.new_refresh(&mut state.users.rng)))
        }
        "refresh_token" => {
            let old = field("refresh_token").unwrap_or_default();
            if state.tokens.expired_refresh.contains(old) {
                return Err(aad_error(
                    400,
                    "invalid_grant",
                    700082,
                    "The refresh token has expired due to inactivity. The token was issued a long time ago and was inactive for 90.00:00:00.",
                ));
            }
            if !state.tokens.refresh.remove(old) {
                return Err(aad_error(400, "invalid_grant", 70008, EXPIRED));
            }
            Ok(Some(state.tokens.new_refresh(&mut state.users.rng)))
        }
        other => Err(aad_error(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

/// A new access token (and `refresh`, when the grant gives one).
fn issue(state: &mut GraphState, refresh: Option<String>, scope: &str) -> Reply {
    let access = Tokens::mint("graph-at", &mut state.users.rng);
    let expires_in = state.tokens.lifetime.map_or(3599, crate::faults::whole_seconds);
    state.tokens.access.insert(access.clone(), (0, Instant::now()));
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": access,
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
        body["scope"] = json!(scope);
    }
    Reply::json(200, body)
}
