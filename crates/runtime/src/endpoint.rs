//! The one rule for endpoints: `https://`, or plain `http://` only to a loopback address.

use std::net::IpAddr;
use url::{Host, Url};

/// Why an endpoint URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The text is not a URL.
    #[error("{url:?} is not a URL ({reason}): give a full address such as https://host")]
    NotAUrl {
        /// The text given.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback: a token would travel unencrypted.
    #[error(
        "{url:?} uses plain http: use https:// (http:// is allowed only on loopback addresses)"
    )]
    PlainHttp {
        /// The URL given.
        url: String,
    },
    /// Neither `https://` nor `http://`.
    #[error("{url:?} must be an https:// URL")]
    NotHttps {
        /// The URL given.
        url: String,
    },
    /// A base URL with a query or a fragment.
    #[error("{url:?} must not have a query or a fragment")]
    HasQuery {
        /// The URL given.
        url: String,
    },
}

/// Whether `url` points at this machine (`127.0.0.0/8`, `::1`, `localhost`), whatever its
/// scheme (`smtp://127.0.0.1` holds its address as a name, which is read as an address here).
///
/// ```
/// use dirsync_runtime::is_loopback;
/// let loopback = |text: &str| is_loopback(&url::Url::parse(text).unwrap());
/// assert!(loopback("http://127.0.0.1:8080") && loopback("smtp://127.0.0.1:25"));
/// assert!(loopback("smtp://[::1]:25") && loopback("https://LOCALHOST"));
/// assert!(!loopback("http://10.0.0.1") && !loopback("smtp://mail.example.com"));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost")
                || domain.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// `{base}/{segments…}`: each segment escaped (an id holding `/` or `?` stays one segment), the
/// base's own path kept.
///
/// ```
/// use dirsync_runtime::join;
/// let base = url::Url::parse("https://api.example.com/scim/v2/").unwrap();
/// assert_eq!(join(&base, &["Users", "a/b c"]).as_str(), "https://api.example.com/scim/v2/Users/a%2Fb%20c");
/// ```
pub fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Parses a service's base URL: `https://` anywhere, `http://` to loopback only (tests, local
/// fakes), no query or fragment.
///
/// ```
/// use dirsync_runtime::endpoint_url;
/// assert!(endpoint_url("https://graph.microsoft.com").is_ok());
/// assert!(endpoint_url("http://127.0.0.1:8080").is_ok());
/// assert!(endpoint_url("http://graph.example.com").is_err());
/// ```
///
/// # Errors
/// [`EndpointError`] saying what is wrong.
pub fn endpoint_url(text: &str) -> Result<Url, EndpointError> {
    let url = Url::parse(text.trim())
        .map_err(|e| EndpointError::NotAUrl { url: text.to_owned(), reason: e.to_string() })?;
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(EndpointError::PlainHttp { url: text.to_owned() }),
        _ => return Err(EndpointError::NotHttps { url: text.to_owned() }),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(EndpointError::HasQuery { url: text.to_owned() });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://graph.microsoft.com",
            "https://demo.openapi.humahr.com/",
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://[::1]:9000",
        ] {
            assert!(endpoint_url(ok).is_ok(), "{ok}");
        }
        let refused = |text: &str| endpoint_url(text).unwrap_err();
        assert!(matches!(refused("http://10.0.0.1"), EndpointError::PlainHttp { .. }));
        assert!(matches!(refused("http://graph.microsoft.com"), EndpointError::PlainHttp { .. }));
        assert!(matches!(refused("ftp://127.0.0.1"), EndpointError::NotHttps { .. }));
        assert!(matches!(refused("openapi.humahr.com"), EndpointError::NotAUrl { .. }));
        assert!(matches!(refused("https://h.example/?a=1"), EndpointError::HasQuery { .. }));
    }
}
