//! Following `@odata.nextLink` to the end, so callers never write the loop.

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::HashSet;

/// One page of a collection.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

/// Everything a paged listing returned, and the deltaLink of its last page if it had one.
pub(crate) struct Collected<T> {
    pub(crate) items: Vec<T>,
    pub(crate) delta_link: Option<String>,
    pub(crate) pages: usize,
}

/// GETs `first` and every page after it. A page that fails fails the whole listing (a partial
/// listing would be mistaken for "these users are absent"); a next link seen before is an error.
pub(crate) async fn collect<T: DeserializeOwned>(
    client: &GraphClient,
    first: &str,
    eventual: bool,
) -> Result<Collected<T>, GraphError> {
    let mut seen: HashSet<String> = HashSet::from([first.to_owned()]);
    let mut url = first.to_owned();
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let call = Call { idempotent: true, eventual, ..Call::default() };
        let answer = client.call(Method::GET, &url, call).await?;
        let page: Page<T> =
            serde_json::from_slice(&answer.body).map_err(|e| GraphError::InvalidResponse {
                reason: format!("page {} of the listing is not a user collection: {e}", pages + 1),
                body: answer.text().chars().take(4096).collect(),
            })?;
        pages += 1;
        items.extend(page.value);
        match page.next_link {
            Some(next) => {
                client.check_link(&next)?;
                // Every page after the first must be paid for by the users seen so far (one
                // empty page is allowed): a server that keeps sending empty pages with new links
                // would otherwise be read forever.
                if pages > items.len() + 1 {
                    return Err(GraphError::InvalidResponse {
                        reason: format!(
                            "Microsoft Graph sent {pages} pages holding only {} users and still                              links to another; the listing was stopped",
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
