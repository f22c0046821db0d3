//! Bounding how long a directory may take, on any executor (the core has no async runtime).

use std::future::Future;
use std::time::Duration;

/// `future`'s output, or `None` when it has not finished within `timeout`.
pub(crate) async fn within<F: Future>(timeout: Duration, future: F) -> Option<F::Output> {
    let future = std::pin::pin!(future);
    let timer = futures_timer::Delay::new(timeout);
    match futures::future::select(future, timer).await {
        futures::future::Either::Left((output, _)) => Some(output),
        futures::future::Either::Right(((), _)) => None,
    }
}
