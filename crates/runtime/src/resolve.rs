//! Host names looked up through the system's resolver, with a failed look-up told apart from
//! other connection failures: a name that does not resolve now will not resolve a second later
//! either, so it is not worth the retries a refused connection gets.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::error::Error as StdError;
use std::io;
use std::net::SocketAddr;

/// The system's resolver (`getaddrinfo` on a blocking thread, as reqwest's own), whose failures
/// are an [`UnresolvedHost`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await;
            match found.map(Iterator::collect::<Vec<SocketAddr>>) {
                Ok(addrs) if !addrs.is_empty() => Ok(Box::new(addrs.into_iter()) as Addrs),
                Ok(_) => {
                    let source = io::Error::new(io::ErrorKind::NotFound, "no address for it");
                    Err(Box::new(UnresolvedHost { host, source }) as _)
                }
                Err(source) => Err(Box::new(UnresolvedHost { host, source }) as _),
            }
        })
    }
}

/// A host name the system's resolver could not find (DNS): the address is misspelt, points at
/// a host that does not exist, or this machine has no working DNS.
#[derive(Debug, thiserror::Error)]
#[error(
    "the host name {host} could not be found (DNS): check the address it comes from (the \
     client's base, Graph or login URL) and this machine's network and DNS settings"
)]
pub struct UnresolvedHost {
    /// The host name.
    pub host: String,
    /// The resolver's error.
    #[source]
    source: io::Error,
}

/// The [`UnresolvedHost`] somewhere in `error`'s chain of causes, if there is one.
pub(crate) fn unresolved_host<'e>(
    error: &'e (dyn StdError + 'static),
) -> Option<&'e UnresolvedHost> {
    // The same walk as `dirsync::directory::ErrorChain::find`; this crate is below `dirsync`.
    std::iter::successors(Some(error), |&error| error.source())
        .find_map(|error| error.downcast_ref::<UnresolvedHost>())
}
