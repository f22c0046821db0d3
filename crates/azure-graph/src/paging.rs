//! Following `@odata.nextLink` to the end, so callers never write the loop.

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::page::read_page;
use reqwest::Method;
use std::collections::HashSet;

/// Everything a paged listing returned, and the deltaLink of its last page if it had one.
pub(crate) struct Collected<T> {
    pub(crate) items: Vec<T>,
    pub(crate) delta_link: Option<String>,
    pub(crate) pages: usize,
}

/// GETs `first` and every page after it, reading each element with `read` (its raw text, its
/// page's number and its position in the page, both from 1). A page that fails fails the whole
/// listing (a partial listing would be mistaken for "these users are absent"); a next link seen
/// before is an error. One element that cannot be read fails nothing: `read` says what it is.
pub(crate) async fn collect<T>(
    client: &GraphClient,
    first: &str,
    eventual: bool,
    read: impl Fn(&str, usize, usize) -> T,
) -> Result<Collected<T>, GraphError> {
    let mut seen: HashSet<String> = HashSet::from([first.to_owned()]);
    let mut url = first.to_owned();
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let call = Call { eventual, ..Call::default() };
        let answer = client.call(Method::GET, &url, call).await?;
        let number = pages + 1;
        let page = read_page(&answer.body, number, |text, at| read(text, number, at))?;
        pages = number;
        items.extend(page.elements);
        match page.next_link {
            Some(next) => {
                client.check_link(&next)?;
                // Every page after the first must be paid for by the users seen so far (one
                // empty page is allowed): a server that keeps sending empty pages with new links
                // would otherwise be read forever.
                if pages > items.len() + 1 {
                    return Err(GraphError::InvalidResponse {
                        reason: format!(
                            "Microsoft Graph sent {pages} pages holding only {} users and still \
                             links to another; the listing was stopped",
                            items.len()
                        ),
                        body: String::new(),
                    });
                }
                if !seen.insert(next.clone()) {
                    return Err(GraphError::RepeatedNextLink {
                        url: next.split('?').next().unwrap_or_default().to_owned(),
                    });
                }
                tracing::trace!(pages, "following nextLink");
                url = next;
            }
            None => return Ok(Collected { items, delta_link: page.delta_link, pages }),
        }
    }
}
