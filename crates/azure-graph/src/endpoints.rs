//! Where Microsoft Graph and the identity platform are, and the HTTP set up to reach them.

use crate::errors::GraphError;
use dirsync_runtime::{ClientSettings, Transport};
use std::time::Duration;
use url::Url;

/// The public Graph service.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// The public identity platform.
pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";

/// How many Graph requests are in flight at once, unless configured.
pub const DEFAULT_GRAPH_CONCURRENCY: usize = 4;

/// The client's settings before the builder changes them: the public Graph service, a 60 s
/// timeout, [`DEFAULT_GRAPH_CONCURRENCY`].
pub(crate) fn default_settings() -> ClientSettings {
    let user_agent = concat!("dirsync-azure-graph/", env!("CARGO_PKG_VERSION"));
    ClientSettings::new(user_agent, Duration::from_secs(60), DEFAULT_GRAPH_CONCURRENCY)
        .with_base_url(DEFAULT_GRAPH_URL)
}

/// The shared runtime's transport: rustls, timeouts, no redirects (a token must not follow one).
pub(crate) fn transport(settings: &ClientSettings) -> Result<Transport, GraphError> {
    Transport::new(settings).map_err(|e| GraphError::Config(format!("could not set up HTTP: {e}")))
}

/// Parses `value` as an `https://` URL, or `http://` to a loopback host.
pub(crate) fn checked_url(what: &str, value: &str) -> Result<Url, GraphError> {
    dirsync_runtime::endpoint_url(value).map_err(|e| GraphError::Config(format!("the {what}: {e}")))
}

/// A checked base URL without a trailing slash, query or fragment.
pub(crate) fn base_url(what: &str, value: &str) -> Result<String, GraphError> {
    Ok(checked_url(what, value)?.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_except_on_loopback() {
        assert!(base_url("x", "http://127.0.0.1:9/").is_ok());
        assert!(base_url("x", "http://[::1]:9").is_ok());
        assert!(base_url("x", "http://localhost:9").is_ok());
        assert!(base_url("x", "http://10.0.0.1").is_err());
        assert!(base_url("x", "http://graph.microsoft.com").is_err());
        assert!(base_url("x", "ftp://127.0.0.1").is_err());
        assert_eq!(
            base_url("x", "https://graph.microsoft.com/").unwrap(),
            "https://graph.microsoft.com"
        );
    }
}
