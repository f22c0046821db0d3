//! Getting access tokens: Huma's two connection modes.
//!
//! - **Service to service**: the client-credentials grant with the app's client secret
//!   ([`crate::GraphClientBuilder::client_credentials`]).
//! - **With user account**: the authorization-code grant with PKCE and `offline_access`
//!   ([`AuthorizationCodeFlow`]), then refresh tokens
//!   ([`crate::GraphClientBuilder::user_account`]). Every refresh returns a new refresh token
//!   that replaces the old one; the client hands it to a callback and keeps it for
//!   [`crate::GraphClient::refresh_token`], so the caller can persist it.

use crate::endpoints::{DEFAULT_LOGIN_URL, base_url, checked_url, default_settings, transport};
use crate::errors::GraphError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dirsync_runtime::{Call, ClientSettings, Transport};
use rand::RngCore;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;
use url::Url;

/// The scope of the client-credentials grant.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The scopes asked for in the user-account mode: a refresh token (`offline_access`) and the right
/// to read and write users.
pub const USER_ACCOUNT_SCOPES: &str =
    "openid offline_access https://graph.microsoft.com/User.ReadWrite.All";

/// Called with every new refresh token, so the caller can persist it (the old one stops working).
pub type RefreshTokenCallback = Arc<dyn Fn(&SecretString) + Send + Sync>;

/// How the client proves who it is.
pub(crate) enum Credentials {
    /// Service to service.
    ClientCredentials { client_id: String, client_secret: SecretString },
    /// With a user account: a refresh token from [`AuthorizationCodeFlow::redeem`].
    UserAccount {
        client_id: String,
        client_secret: SecretString,
        refresh_token: Mutex<SecretString>,
        on_refresh: Option<RefreshTokenCallback>,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"***")
                .finish(),
            Credentials::UserAccount { client_id, on_refresh, .. } => f
                .debug_struct("UserAccount")
                .field("client_id", client_id)
                .field("client_secret", &"***")
                .field("refresh_token", &"***")
                .field("on_refresh", &on_refresh.as_ref().map(|_| "callback"))
                .finish(),
        }
    }
}

impl Credentials {
    pub(crate) fn client_id(&self) -> &str {
        match self {
            Credentials::ClientCredentials { client_id, .. }
            | Credentials::UserAccount { client_id, .. } => client_id,
        }
    }

    pub(crate) fn refresh_token(&self) -> Option<SecretString> {
        match self {
            Credentials::UserAccount { refresh_token, .. } => {
                Some(refresh_token.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone())
            }
            Credentials::ClientCredentials { .. } => None,
        }
    }

    /// Fetches a new access token from the token endpoint.
    pub(crate) async fn fetch(
        &self,
        transport: &Transport,
        login: &LoginEndpoint,
    ) -> Result<TokenResponse, GraphError> {
        let refreshing = matches!(self, Credentials::UserAccount { .. });
        let form: Vec<(&str, String)> = match self {
            Credentials::ClientCredentials { client_id, client_secret } => vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", client_id.clone()),
                ("client_secret", client_secret.expose_secret().to_owned()),
                ("scope", GRAPH_DEFAULT_SCOPE.to_owned()),
            ],
            Credentials::UserAccount { client_id, client_secret, refresh_token, .. } => {
                let refresh = refresh_token.lock().unwrap_or_else(|p| p.into_inner()).clone();
                vec![
                    ("grant_type", "refresh_token".to_owned()),
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.expose_secret().to_owned()),
                    ("refresh_token", refresh.expose_secret().to_owned()),
                    ("scope", USER_ACCOUNT_SCOPES.to_owned()),
                ]
            }
        };
        let tokens = login.request(transport, &form, self.client_id(), refreshing).await?;
        if let Credentials::UserAccount { refresh_token, on_refresh, .. } = self
            && let Some(new) = &tokens.refresh_token
        {
            *refresh_token.lock().unwrap_or_else(|p| p.into_inner()) = new.clone();
            if let Some(callback) = on_refresh {
                callback(new);
            }
        }
        Ok(tokens)
    }
}

/// The identity platform's token endpoint for one tenant.
#[derive(Debug, Clone)]
pub(crate) struct LoginEndpoint {
    pub(crate) base: String,
    pub(crate) tenant: String,
}

impl LoginEndpoint {
    pub(crate) fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base, self.tenant)
    }

    fn authorize_endpoint(&self) -> Result<Url, GraphError> {
        let url = format!("{}/{}/oauth2/v2.0/authorize", self.base, self.tenant);
        Url::parse(&url).map_err(|e| {
            GraphError::Config(format!("the tenant {:?} does not make a URL: {e}", self.tenant))
        })
    }

    /// POSTs `form` to the token endpoint and reads the answer.
    pub(crate) async fn request(
        &self,
        transport: &Transport,
        form: &[(&str, String)],
        client_id: &str,
        refreshing: bool,
    ) -> Result<TokenResponse, GraphError> {
        let url = checked_url("login URL", &self.token_url())?;
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| GraphError::Config(format!("could not encode the token request: {e}")))?;
        // Asking for a token twice does no harm: it is sent again after a lost answer.
        let post = Call::new(Method::POST, url)
            .body("application/x-www-form-urlencoded", body.into_bytes())
            .idempotent(true);
        let span = tracing::debug_span!("token request", tenant = %self.tenant);
        let answer =
            transport.send_call(&post).instrument(span).await.map_err(|source| {
                GraphError::Transport { what: "the Azure login service", source }
            })?;
        if !answer.status.is_success() {
            let err = GraphError::from_token_answer(&answer, &self.tenant, client_id, refreshing);
            tracing::warn!(status = answer.status.as_u16(), "token request refused");
            return Err(err);
        }
        serde_json::from_slice::<TokenResponse>(&answer.body).map_err(|e| {
            GraphError::InvalidResponse {
                reason: format!("the token endpoint's answer is not a token: {e}"),
                // The body may hold a token: never keep it.
                body: String::new(),
            }
        })
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: SecretString,
    /// The stated lifetime, read leniently: a negative or unreadable value is none.
    #[serde(default, deserialize_with = "dirsync_runtime::lenient::optional_seconds")]
    pub(crate) expires_in: Option<Duration>,
    #[serde(default)]
    pub(crate) refresh_token: Option<SecretString>,
}

/// Tokens from redeeming an authorization code.
pub struct UserTokens {
    /// The access token, good for about an hour.
    pub access_token: SecretString,
    /// The refresh token: persist it and give it to
    /// [`crate::GraphClientBuilder::user_account`].
    pub refresh_token: SecretString,
    /// How long the access token is valid, as the login service stated it (zero when it stated
    /// no usable lifetime).
    pub expires_in: Duration,
}

impl fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserTokens")
            .field("access_token", &"***")
            .field("refresh_token", &"***")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The PKCE code verifier of one authorization request: keep it (server side) until the user
/// comes back with the code.
#[derive(Clone)]
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    /// A new random verifier (32 random bytes, base64url: 43 characters).
    pub fn generate() -> PkceVerifier {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        PkceVerifier(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A verifier kept from earlier (e.g. in the caller's session store).
    pub fn from_secret(verifier: SecretString) -> PkceVerifier {
        PkceVerifier(verifier)
    }

    /// The verifier, to store it.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// The S256 code challenge sent in the authorize URL.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.expose_secret().as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier(***)")
    }
}

/// One authorization request: the URL to send the user to, the `state` to check when they come
/// back, and the PKCE verifier to redeem the code with.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    /// Where to send the user's browser.
    pub url: Url,
    /// The `state` parameter; the redirect must bring back the same value.
    pub state: String,
    /// The PKCE verifier for [`AuthorizationCodeFlow::redeem`].
    pub verifier: PkceVerifier,
}

/// The "With user account" connection: the authorization-code grant with PKCE.
///
/// ```
/// use azure_graph::AuthorizationCodeFlow;
/// use azure_graph::SecretString;
/// let flow = AuthorizationCodeFlow::new(
///     "contoso.onmicrosoft.com",
///     "11111111-2222-3333-4444-555555555555",
///     SecretString::from("the secret's Value"),
///     "https://auth.hu.ma/oauth",
/// )?;
/// let request = flow.authorize_url();
/// assert!(request.url.as_str().starts_with(
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?"
/// ));
/// assert!(request.url.query().unwrap().contains("code_challenge_method=S256"));
/// // Send the browser to request.url; keep request.state and request.verifier;
/// // then `flow.redeem(code, &request.verifier).await?` gives the refresh token.
/// # Ok::<(), azure_graph::GraphError>(())
/// ```
pub struct AuthorizationCodeFlow {
    login: LoginEndpoint,
    authorize: Url,
    client_id: String,
    client_secret: SecretString,
    redirect_uri: Url,
    transport: Transport,
}

impl fmt::Debug for AuthorizationCodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCodeFlow")
            .field("login_url", &self.login.base)
            .field("tenant", &self.login.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish()
    }
}

impl AuthorizationCodeFlow {
    /// A flow for the app `client_id` in `tenant` that redirects back to `redirect_uri` (Huma's is
    /// `https://auth.hu.ma/oauth`), against the public login service.
    ///
    /// # Errors
    /// [`GraphError::Config`] for a redirect URI that is not a URL, or not `https://` (loopback
    /// excepted).
    pub fn new(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
        redirect_uri: &str,
    ) -> Result<AuthorizationCodeFlow, GraphError> {
        let redirect_uri = checked_url("redirect URI", redirect_uri)?;
        let login = LoginEndpoint { base: DEFAULT_LOGIN_URL.to_owned(), tenant: tenant.into() };
        Ok(AuthorizationCodeFlow {
            authorize: login.authorize_endpoint()?,
            login,
            client_id: client_id.into(),
            client_secret,
            redirect_uri,
            transport: transport(&ClientSettings {
                timeout: Duration::from_secs(30),
                ..default_settings()
            })?,
        })
    }

    /// Uses another login service base URL (a test server); `http://` only on loopback.
    ///
    /// # Errors
    /// [`GraphError::Config`] for a URL that is not allowed.
    pub fn login_url(mut self, url: &str) -> Result<AuthorizationCodeFlow, GraphError> {
        self.login.base = base_url("login URL", url)?;
        self.authorize = self.login.authorize_endpoint()?;
        Ok(self)
    }

    /// A new authorization request with a fresh PKCE verifier and state.
    pub fn authorize_url(&self) -> AuthorizeRequest {
        let verifier = PkceVerifier::generate();
        let mut state_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut state_bytes);
        let state = URL_SAFE_NO_PAD.encode(state_bytes);
        let mut url = self.authorize.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", self.redirect_uri.as_str())
            .append_pair("response_mode", "query")
            .append_pair("scope", USER_ACCOUNT_SCOPES)
            .append_pair("state", &state)
            .append_pair("code_challenge", &verifier.challenge())
            .append_pair("code_challenge_method", "S256");
        AuthorizeRequest { url, state, verifier }
    }

    /// Redeems the code the redirect brought back, for an access token and a refresh token.
    ///
    /// Check the redirect's `state` against [`AuthorizeRequest::state`] before calling this.
    ///
    /// # Errors
    /// The identity platform's refusal (an expired code, a wrong secret, ...), or no refresh token
    /// in the answer.
    pub async fn redeem(
        &self,
        code: &str,
        verifier: &PkceVerifier,
    ) -> Result<UserTokens, GraphError> {
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("client_secret", self.client_secret.expose_secret().to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", self.redirect_uri.as_str().to_owned()),
            ("code_verifier", verifier.secret().expose_secret().to_owned()),
            ("scope", USER_ACCOUNT_SCOPES.to_owned()),
        ];
        let tokens = self.login.request(&self.transport, &form, &self.client_id, false).await?;
        let refresh_token = tokens.refresh_token.ok_or_else(|| GraphError::InvalidResponse {
            reason: "the token endpoint gave no refresh token: the app must be allowed the \
                     offline_access scope"
                .to_owned(),
            body: String::new(),
        })?;
        Ok(UserTokens {
            access_token: tokens.access_token,
            refresh_token,
            expires_in: tokens.expires_in.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_the_rfc_7636_example() {
        let v = PkceVerifier::from_secret("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(format!("{v:?}"), "PkceVerifier(***)");
    }

    #[test]
    fn generated_verifiers_are_long_and_distinct() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert_eq!(a.secret().expose_secret().len(), 43);
        assert_ne!(a.secret().expose_secret(), b.secret().expose_secret());
    }

    #[test]
    fn token_response_accepts_expires_in_as_text() {
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","expires_in":"3599"}"#).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(3599)));
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","expires_in":-1}"#).unwrap();
        assert_eq!(t.expires_in, None);
    }
}
