//! Reading a paged listing (`limit` and `offset`) without trusting its `total`.

use crate::HumaError;
use futures::stream::{self, BoxStream, StreamExt};
use std::collections::HashSet;
use std::future::Future;

/// One page as read: its items and the `total` it stated, if any.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: Option<u64>,
}

struct Reading<F> {
    fetch: F,
    offset: u64,
    seen: HashSet<String>,
    done: bool,
}

/// The pages of a listing, one after another: page `n + 1` is asked for only after page `n`
/// came back full, so no more pages are asked for than the items seen allow plus one. The read
/// ends at the first short or empty page, or once the items read reach the `total` the latest
/// page stated (a `total` larger than what exists costs nothing; a smaller one cannot end the
/// read before a full page). A page longer than `limit`, or a full page of nothing but items
/// already read, fails the read with [`HumaError::InconsistentPages`].
pub(crate) fn pages<'a, T, F, Fut>(
    what: &'a str,
    limit: u64,
    key: fn(&T) -> String,
    fetch: F,
) -> BoxStream<'a, Result<Vec<T>, HumaError>>
where
    T: Send + 'a,
    F: FnMut(u64) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>, HumaError>> + Send + 'a,
{
    let start = Reading { fetch, offset: 0, seen: HashSet::new(), done: false };
    stream::try_unfold(start, move |mut reading| async move {
        if reading.done {
            return Ok(None);
        }
        let page = (reading.fetch)(reading.offset).await?;
        let count = page.items.len() as u64;
        let contradiction =
            |reason: String| HumaError::InconsistentPages { what: what.to_owned(), reason };
        if count > limit {
            return Err(contradiction(format!(
                "a page at offset {} holds {count} items, more than the {limit} asked for",
                reading.offset
            )));
        }
        let new = page.items.iter().filter(|item| reading.seen.insert(key(item))).count();
        if count == limit && new == 0 {
            return Err(contradiction(format!(
                "the page at offset {} repeats items already read",
                reading.offset
            )));
        }
        reading.offset += count;
        let reached = page.total.is_some_and(|total| reading.offset >= total);
        reading.done = count < limit || reached;
        tracing::trace!(what, offset = reading.offset, done = reading.done, "page read");
        Ok(Some((page.items, reading)))
    })
    .boxed()
}
