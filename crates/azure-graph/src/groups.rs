//! Groups, for a scope: a group's users (transitive, with the properties a sync needs), a
//! user's memberships among some groups, and adding a new user to a group.

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::page::{UserEntry, read_listed};
use crate::paging;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// The most groups one `checkMemberGroups` asks about.
const MAX_CHECKED: usize = 20;

/// A group id as it goes into a URL path.
fn segment(group: &str) -> String {
    url::form_urlencoded::byte_serialize(group.as_bytes()).collect::<String>().replace('+', "%20")
}

/// The permission reading a group's members needs.
const READ_MEMBERS: &str = "the app needs the application permission GroupMember.Read.All (or \
    Group.Read.All) with admin consent to read the members of the scope's groups";
/// The permission adding a member needs.
const ADD_MEMBERS: &str = "the app needs the application permission GroupMember.ReadWrite.All \
    with admin consent to add new users to the scope's group";

/// `GroupNotFound` for a 404 on `group`, a 403 saying which permission is `needed`; any other
/// error as it is.
fn group_error(group: &str, error: GraphError, needed: &str) -> GraphError {
    match error {
        GraphError::NotFound { details } => {
            GraphError::GroupNotFound { group: group.to_owned(), details }
        }
        GraphError::PermissionDenied { details, .. } => {
            GraphError::PermissionDenied { needed: needed.to_owned(), details }
        }
        other => other,
    }
}

#[derive(Deserialize)]
struct Ids {
    #[serde(default)]
    value: Vec<String>,
}

impl GraphClient {
    /// The users who are members of `group`, directly or through nested groups, with the
    /// properties in `select`: `GET /groups/{id}/transitiveMembers/microsoft.graph.user`, 999 a
    /// page, every `@odata.nextLink` followed; each user read on its own, as in
    /// [`GraphClient::list_users`]. Needs `GroupMember.Read.All` (or `Group.Read.All`).
    ///
    /// # Errors
    /// [`GraphError::GroupNotFound`] when there is no such group; any page failing fails it.
    pub async fn group_users(
        &self,
        group: &str,
        select: &[&str],
    ) -> Result<Vec<UserEntry>, GraphError> {
        let path = format!("/groups/{}/transitiveMembers/microsoft.graph.user", segment(group));
        let mut url = url::Url::parse(&self.api(&path))
            .map_err(|e| GraphError::Config(format!("bad Graph URL for group {group:?}: {e}")))?;
        if !select.is_empty() {
            url.query_pairs_mut().append_pair("$select", &select.join(","));
        }
        url.query_pairs_mut().append_pair("$top", "999");
        let collected = paging::collect(self, url.as_str(), false, read_listed)
            .await
            .map_err(|e| group_error(group, e, READ_MEMBERS))?;
        tracing::debug!(
            group,
            users = collected.items.len(),
            pages = collected.pages,
            "group read"
        );
        Ok(collected.items)
    }

    /// Whether `group` exists, by asking for one of its users.
    ///
    /// # Errors
    /// [`GraphError::GroupNotFound`] when there is none; other failures.
    pub async fn check_group(&self, group: &str) -> Result<(), GraphError> {
        let path = format!(
            "/groups/{}/transitiveMembers/microsoft.graph.user?$select=id&$top=1",
            segment(group)
        );
        let answer = self.call(Method::GET, &self.api(&path), Call::default()).await;
        answer.map(|_| ()).map_err(|e| group_error(group, e, READ_MEMBERS))
    }

    /// The ids among `groups` of those `user` is a member of, directly or through nested
    /// groups: `POST /users/{id}/checkMemberGroups`, 20 groups a request. A read, though a POST:
    /// it writes nothing and is sent again like a GET.
    ///
    /// # Errors
    /// [`GraphError::NotFound`] when there is no such user; other failures.
    pub async fn member_groups(
        &self,
        user: &GraphUserId,
        groups: &[String],
    ) -> Result<Vec<String>, GraphError> {
        let url = self.api(&format!("/users/{}/checkMemberGroups", user.path_segment()));
        let mut member_of = Vec::new();
        for chunk in groups.chunks(MAX_CHECKED) {
            let body = json!({ "groupIds": chunk });
            let call = Call { idempotent: Some(true), body: Some(&body), ..Call::default() };
            let answer = self.call(Method::POST, &url, call).await?;
            let ids: Ids =
                serde_json::from_slice(&answer.body).map_err(|e| GraphError::InvalidResponse {
                    reason: format!("the answer to checkMemberGroups is not a list of ids: {e}"),
                    body: dirsync_runtime::truncate(&answer.text(), dirsync_runtime::KEPT_BODY),
                })?;
            member_of.extend(ids.value);
        }
        Ok(member_of)
    }

    /// Adds `user` to `group`: `POST /groups/{id}/members/$ref`, through the write budget. A
    /// refusal after which the user turns out to be a member (as when a first try was made but
    /// its answer lost) is success.
    ///
    /// # Errors
    /// [`GraphError::GroupNotFound`] when there is no such group; the refusal otherwise.
    pub async fn add_group_member(
        &self,
        group: &str,
        user: &GraphUserId,
    ) -> Result<(), GraphError> {
        let url = self.api(&format!("/groups/{}/members/$ref", segment(group)));
        let reference = self.api(&format!("/directoryObjects/{}", user.path_segment()));
        let body = json!({ "@odata.id": reference });
        let call = Call { writes: 1, body: Some(&body), ..Call::default() };
        match self.call(Method::POST, &url, call).await {
            Ok(_) => Ok(()),
            Err(GraphError::Rejected { .. })
                if self
                    .member_groups(user, &[group.to_owned()])
                    .await
                    .is_ok_and(|m| !m.is_empty()) =>
            {
                Ok(())
            }
            Err(e) => Err(group_error(group, e, ADD_MEMBERS)),
        }
    }
}
