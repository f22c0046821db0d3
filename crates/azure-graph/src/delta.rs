//! Incremental reads with `/users/delta`.

use crate::client::GraphClient;
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::page::{DeltaElement, UserEntry, read_delta_element};
use crate::paging;
use std::collections::HashMap;

/// What one delta round returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaRound {
    /// Users created or changed (every user, on a first round), once each; a user of the wrong
    /// shape is a [`UserEntry::Unreadable`].
    pub users: Vec<UserEntry>,
    /// Users removed (`@removed`, soft or hard deleted).
    pub removed: Vec<GraphUserId>,
    /// Where the next round starts: save it.
    pub delta_link: String,
}

impl GraphClient {
    /// A delta round: from the start (`from` is `None`: every user, with `select`) or from a saved
    /// deltaLink (only what changed since; the select is encoded in the link). Each user is read
    /// on its own, as in [`GraphClient::list_users`].
    ///
    /// # Errors
    /// [`GraphError::DeltaExpired`] when the saved link can no longer be used
    /// (`syncStateNotFound`, `resyncRequired`): start again from `None`. A saved link that does
    /// not lead to the configured Graph service is refused, so the token never goes elsewhere.
    pub async fn users_delta(
        &self,
        select: &[&str],
        from: Option<&str>,
    ) -> Result<DeltaRound, GraphError> {
        let first = match from {
            Some(link) => {
                self.check_link(link)?;
                link.to_owned()
            }
            None => {
                let mut url = url::Url::parse(&self.api("/users/delta"))
                    .map_err(|e| GraphError::Config(format!("bad Graph URL: {e}")))?;
                if !select.is_empty() {
                    url.query_pairs_mut().append_pair("$select", &select.join(","));
                }
                url.to_string()
            }
        };
        let collected = paging::collect(self, &first, false, read_delta_element).await?;
        let delta_link = collected.delta_link.ok_or_else(|| GraphError::InvalidResponse {
            reason: "the last page of the delta round has no @odata.deltaLink".to_owned(),
            body: String::new(),
        })?;
        self.check_link(&delta_link)?;
        // A user may come more than once in a round; the last entry wins.
        let mut order: Vec<GraphUserId> = Vec::new();
        let mut last: HashMap<GraphUserId, DeltaElement> = HashMap::new();
        for element in collected.items {
            let id = match &element {
                DeltaElement::Entry(entry) => entry.id().clone(),
                DeltaElement::Removed(id) => id.clone(),
            };
            if last.insert(id.clone(), element).is_none() {
                order.push(id);
            }
        }
        let mut round = DeltaRound { users: Vec::new(), removed: Vec::new(), delta_link };
        for id in order {
            match last.remove(&id) {
                Some(DeltaElement::Removed(_)) => round.removed.push(id),
                Some(DeltaElement::Entry(entry)) => round.users.push(entry),
                None => {}
            }
        }
        tracing::debug!(
            changed = round.users.len(),
            removed = round.removed.len(),
            pages = collected.pages,
            "delta round"
        );
        Ok(round)
    }
}
