//! The user resource and the calls on it: list, get, find, create, update.

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::model::{GraphUser, NewUser, UserPatch};
use crate::page::{UserEntry, read_entry, read_listed};
use crate::paging;
use dirsync_runtime::{Answer, KEPT_BODY, truncate};
use reqwest::Method;
use serde_json::value::RawValue;

fn select_query(url: &mut url::Url, select: &[&str]) {
    if !select.is_empty() {
        url.query_pairs_mut().append_pair("$select", &select.join(","));
    }
}

fn parse_url(s: &str) -> Result<url::Url, GraphError> {
    url::Url::parse(s).map_err(|e| GraphError::Config(format!("bad Graph URL {s:?}: {e}")))
}

fn parse_user(answer: &Answer) -> Result<GraphUser, GraphError> {
    serde_json::from_slice(&answer.body).map_err(|e| not_a_user(answer, &e))
}

fn not_a_user(answer: &Answer, e: &serde_json::Error) -> GraphError {
    GraphError::InvalidResponse {
        reason: format!("the answer is not a user: {e}"),
        body: truncate(&answer.text(), KEPT_BODY),
    }
}

/// Quotes a string for an OData `$filter`.
pub(crate) fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl GraphClient {
    /// Every user, with the properties in `select`, in pages of 999 (the most Graph allows),
    /// following `@odata.nextLink` to the end.
    ///
    /// Each user is read on its own: one of the wrong shape (`"jobTitle": 42`) is a
    /// [`UserEntry::Unreadable`] with the keys that could be read, not a failed listing.
    ///
    /// # Errors
    /// Any page failing fails the listing; a repeated next link is
    /// [`GraphError::RepeatedNextLink`].
    pub async fn list_users(&self, select: &[&str]) -> Result<Vec<UserEntry>, GraphError> {
        let mut url = parse_url(&self.api("/users"))?;
        select_query(&mut url, select);
        url.query_pairs_mut().append_pair("$top", "999");
        let collected = paging::collect(self, url.as_str(), false, read_listed).await?;
        tracing::debug!(users = collected.items.len(), pages = collected.pages, "listed users");
        Ok(collected.items)
    }

    /// The users matching an OData `filter` (an advanced query: `ConsistencyLevel: eventual`),
    /// each read on its own as in [`GraphClient::list_users`].
    ///
    /// # Errors
    /// A failed read.
    pub async fn find_users(
        &self,
        filter: &str,
        select: &[&str],
    ) -> Result<Vec<UserEntry>, GraphError> {
        let mut url = parse_url(&self.api("/users"))?;
        url.query_pairs_mut().append_pair("$filter", filter).append_pair("$count", "true");
        select_query(&mut url, select);
        url.query_pairs_mut().append_pair("$top", "999");
        Ok(paging::collect(self, url.as_str(), true, read_listed).await?.items)
    }

    /// One user, or `None` if there is no such user. A user of the wrong shape is a
    /// [`UserEntry::Unreadable`] (under `id` when its own id cannot be read).
    ///
    /// # Errors
    /// A failed read other than 404, or an answer that is not JSON.
    pub async fn get_user(
        &self,
        id: &GraphUserId,
        select: &[&str],
    ) -> Result<Option<UserEntry>, GraphError> {
        let mut url = parse_url(&self.api(&format!("/users/{}", id.path_segment())))?;
        select_query(&mut url, select);
        match self.call(Method::GET, url.as_str(), Call::default()).await {
            Ok(answer) => {
                let raw: &RawValue =
                    serde_json::from_slice(&answer.body).map_err(|e| not_a_user(&answer, &e))?;
                Ok(Some(read_entry(raw.get(), || id.clone())))
            }
            Err(GraphError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// PATCHes only the properties in `patch`; an empty patch sends nothing.
    ///
    /// # Errors
    /// Graph refused (a 403 on a user who holds an admin role, a 404, a bad value) or could not
    /// be reached.
    pub async fn update_user(&self, id: &GraphUserId, patch: &UserPatch) -> Result<(), GraphError> {
        if patch.is_empty() {
            return Ok(());
        }
        let url = self.api(&format!("/users/{}", id.path_segment()));
        let body = patch.to_json();
        // Setting properties to values twice does no harm: sent again after a server error.
        let call = Call { writes: 1, idempotent: Some(true), body: Some(&body), ..Call::default() };
        self.call(Method::PATCH, &url, call).await.map(|_| ())
    }

    /// Creates a user and returns it as Graph answered.
    ///
    /// Sent again after a 429 (Graph did not act on it), never after a server error or a network
    /// fault: the user may have been created.
    ///
    /// # Errors
    /// Graph refused (a user principal name already taken, a domain that is not verified, ...).
    pub async fn create_user(&self, user: &NewUser) -> Result<GraphUser, GraphError> {
        let url = self.api("/users");
        let body = user.to_json();
        let call = Call { writes: 1, body: Some(&body), ..Call::default() };
        let answer = self.call(Method::POST, &url, call).await?;
        parse_user(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_strings_double_their_quotes() {
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
    }
}
