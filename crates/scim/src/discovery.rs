//! What a service provider says it supports: `/ServiceProviderConfig` (RFC 7643 §5).

use crate::errors::ScimError;
use dirsync_runtime::{KEPT_BODY, truncate};
use serde_json::Value;

/// The features of a SCIM service provider that change how users are read and written.
///
/// Read from `/ServiceProviderConfig` on first use (see [`crate::ScimClient::features`]), or set
/// by hand for a provider that does not publish it
/// ([`crate::ScimClientBuilder::features`]).
///
/// ```
/// use dirsync_scim::ServiceProviderConfig;
/// let config = ServiceProviderConfig::parse(br#"{
///     "patch": {"supported": true},
///     "filter": {"supported": true, "maxResults": 200},
///     "etag": {"supported": false},
///     "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0}
/// }"#)?;
/// assert!(config.patch && config.filter && !config.etag);
/// assert_eq!(config.max_results, Some(200));
/// # Ok::<(), dirsync_scim::ScimError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceProviderConfig {
    /// `PATCH` is supported; without it, a change is a `PUT` of the whole user.
    pub patch: bool,
    /// Bulk requests are supported (not used yet: every write is one request).
    pub bulk: bool,
    /// Filtering is supported; without it, a search reads every user.
    pub filter: bool,
    /// The most resources the provider returns in one answer (`filter.maxResults`); pages are
    /// asked for no bigger than this.
    pub max_results: Option<u32>,
    /// Resources are versioned with ETags: writes then carry `If-Match`, so that a change made
    /// at the provider since the read is never overwritten.
    pub etag: bool,
}

impl ServiceProviderConfig {
    /// What is assumed of a provider that publishes no configuration: nothing optional.
    pub const MINIMAL: ServiceProviderConfig = ServiceProviderConfig {
        patch: false,
        bulk: false,
        filter: false,
        max_results: None,
        etag: false,
    };

    /// The configuration from a `/ServiceProviderConfig` body. A feature that is not mentioned
    /// is not supported.
    ///
    /// # Errors
    /// [`ScimError::InvalidResponse`] when the body is not a JSON object.
    pub fn parse(body: &[u8]) -> Result<ServiceProviderConfig, ScimError> {
        let value: Value = match serde_json::from_slice(body) {
            Ok(value @ Value::Object(_)) => value,
            _ => {
                return Err(ScimError::InvalidResponse {
                    reason: "the ServiceProviderConfig is not a JSON object".to_owned(),
                    body: truncate(&String::from_utf8_lossy(body), KEPT_BODY),
                });
            }
        };
        let supported = |name: &str| match value.get(name).and_then(|f| f.get("supported")) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        let max_results = value
            .get("filter")
            .and_then(|f| f.get("maxResults"))
            .and_then(Value::as_u64)
            .filter(|n| *n > 0)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        Ok(ServiceProviderConfig {
            patch: supported("patch"),
            bulk: supported("bulk"),
            filter: supported("filter"),
            max_results,
            etag: supported("etag"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_not_mentioned_are_not_supported() {
        let config = ServiceProviderConfig::parse(br#"{"patch":{"supported":true}}"#);
        assert_eq!(
            config.ok(),
            Some(ServiceProviderConfig { patch: true, ..ServiceProviderConfig::MINIMAL })
        );
        assert!(ServiceProviderConfig::parse(b"[]").is_err());
    }
}
