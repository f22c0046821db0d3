//! Huma's token endpoint (`POST /auth/oauth/token`) and its bearer-token check.

use super::HumaState;
use super::errors::{invalid_field, invalid_token};
use crate::server::Reply;
use rand::Rng;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Issued tokens.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    /// Access token → (authenticated requests made with it, when it was issued).
    access: HashMap<String, (u64, Instant)>,
    expired: HashSet<String>,
    refresh: HashSet<String>,
    pub(crate) max_uses: Option<u64>,
    pub(crate) lifetime: Option<Duration>,
}

impl Tokens {
    pub(crate) fn expire_access(&mut self) {
        let access = std::mem::take(&mut self.access);
        self.expired.extend(access.into_keys());
    }

    /// Checks a bearer token and counts its use; the 401 to answer otherwise.
    pub(crate) fn check(&mut self, token: Option<&str>) -> Result<(), Reply> {
        let Some(token) = token else {
            return Err(invalid_token(
                "unauthorized",
                "Full authentication is required to access this resource",
            ));
        };
        if self.expired.contains(token) {
            return Err(invalid_token("invalid_token", &format!("Access token expired: {token}")));
        }
        let Some((uses, issued)) = self.access.get_mut(token) else {
            return Err(invalid_token("invalid_token", "Invalid access token"));
        };
        *uses += 1;
        let too_old = self.lifetime.is_some_and(|life| issued.elapsed() >= life);
        if too_old || self.max_uses.is_some_and(|max| *uses > max) {
            self.access.remove(token);
            self.expired.insert(token.to_owned());
            return Err(invalid_token("invalid_token", &format!("Access token expired: {token}")));
        }
        Ok(())
    }
}

/// The fields of a token request, form-encoded or JSON.
fn fields(content_type: &str, body: &[u8]) -> Option<HashMap<String, String>> {
    if content_type.contains("json") {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else { return None };
        Some(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
        )
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .ok()
            .map(|v| v.into_iter().collect())
    }
}

/// `POST /auth/oauth/token`.
pub(crate) fn token(state: &mut HumaState, content_type: &str, body: &[u8]) -> Reply {
    let Some(form) = fields(content_type, body) else {
        return invalid_field("grant_type", "The request body could not be read");
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            let id = form.get("client_id").map(String::as_str);
            let secret = form.get("client_secret").map(String::as_str);
            if id != Some(state.config.client_id.as_str())
                || secret != Some(state.config.client_secret.as_str())
            {
                return Reply::json(
                    401,
                    json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
                );
            }
        }
        Some("refresh_token") => {
            let old = form.get("refresh_token").cloned().unwrap_or_default();
            if !state.tokens.refresh.remove(&old) {
                return invalid_token("invalid_token", "Invalid refresh token");
            }
        }
        Some(_) => return invalid_field("grant_type", "Unsupported grant type"),
        None => return invalid_field("grant_type", "grant_type is required"),
    };
    let access = format!("huma-at.{:032x}", state.rng.random::<u128>());
    let refresh = format!("huma-rt.{:032x}", state.rng.random::<u128>());
    state.tokens.access.insert(access.clone(), (0, Instant::now()));
    state.tokens.refresh.insert(refresh.clone());
    Reply::json(
        200,
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": state.tokens.lifetime.map_or(state.config.token_expires_in, crate::faults::whole_seconds),
            "refresh_token": refresh,
            "organizationId": state.config.organization_id,
            "userId": state.config.service_user_id,
            "authProvider": "client_credentials",
        }),
    )
}
