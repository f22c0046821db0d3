//! Groups: their transitive members (`GET /groups/{id}/transitiveMembers`, cast to users or not,
//! nested groups followed, paged), adding a member (`POST /groups/{id}/members/$ref`), and a
//! user's memberships among given groups (`POST /users/{id}/checkMemberGroups`).

use super::errors::{bad_request, error, not_found};
use super::users::{decode_token, encode_token, parse_select, parse_top, select_param};
use super::{Call, GraphState};
use crate::server::{Reply, uuid};
use crate::{FakeGraph, SeedError};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The most groups one `checkMemberGroups` may ask about.
const MAX_CHECKED: usize = 20;

/// One group: its name and its direct members (user and group ids).
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    name: String,
    members: BTreeSet<String>,
}

/// Every group, by id.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    by_id: BTreeMap<String, Group>,
}

impl Groups {
    /// Every member of `group`, directly or through nested groups (a cycle ends where it starts
    /// again), users and groups alike, in id order.
    fn transitive(&self, group: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut to_visit = vec![group.to_owned()];
        let mut visited = BTreeSet::new();
        while let Some(id) = to_visit.pop() {
            if !visited.insert(id.clone()) {
                continue;
            }
            for member in self.by_id.get(&id).map(|g| &g.members).into_iter().flatten() {
                found.insert(member.clone());
                if self.by_id.contains_key(member) {
                    to_visit.push(member.clone());
                }
            }
        }
        found
    }
}

/// `GET /v1.0/groups/{id}/transitiveMembers` and its cast `…/microsoft.graph.user` (only users):
/// `$select` of user properties, `$top` (1 to 999, default 100), `@odata.nextLink` with a
/// `$skiptoken`; 404 `Request_ResourceNotFound` for a group that does not exist.
pub(crate) fn list_members(state: &GraphState, group: &str, call: &Call) -> Reply {
    let users_only = call.segments.get(3).is_some_and(|cast| cast == "microsoft.graph.user");
    if !state.groups.by_id.contains_key(group) {
        return not_found(group);
    }
    let (select, top) = match (parse_select(call), parse_top(call)) {
        (Ok(select), Ok(top)) => (select, top),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    for unsupported in ["$filter", "$count", "$search", "$orderby", "$expand"] {
        if call.param(unsupported).is_some() {
            return error(
                400,
                "Request_UnsupportedQuery",
                format!("The fake Graph does not support {unsupported} on group members."),
            );
        }
    }
    let after = match call.param("$skiptoken").map(decode_token) {
        None => None,
        Some(Some(id)) => Some(id),
        Some(None) => {
            return bad_request("The specified page token value has expired or is invalid.");
        }
    };
    let members = state.groups.transitive(group);
    let mut listed = members
        .iter()
        .filter(|id| after.as_ref().is_none_or(|after| id.as_str() > after.as_str()))
        .filter_map(|id| member_json(state, id, users_only, select.as_deref()));
    let page: Vec<(String, Value)> = listed.by_ref().take(top).collect();
    let more = listed.next().is_some();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!("https://graph.microsoft.com/v1.0/$metadata#directoryObjects"),
    );
    if let (true, Some((last, _))) = (more, page.last()) {
        let cast = if users_only { "/microsoft.graph.user" } else { "" };
        let mut link = format!("{}/v1.0/groups/{group}/transitiveMembers{cast}?", state.base);
        if select.is_some() {
            link.push_str(&format!("$select={}&", select_param(select.as_deref())));
        }
        link.push_str(&format!("$top={top}&$skiptoken={}", encode_token(last)));
        body.insert("@odata.nextLink".into(), json!(link));
    }
    body.insert("value".into(), Value::Array(page.into_iter().map(|(_, v)| v).collect()));
    Reply::json(200, Value::Object(body))
}

/// A member as the listing answers it: a user with its selected properties, or (unless only
/// users are asked for) a nested group; `None` for one that no longer exists.
fn member_json(
    state: &GraphState,
    id: &str,
    users_only: bool,
    select: Option<&[&'static str]>,
) -> Option<(String, Value)> {
    if let Some(stored) = state.users.by_id.get(id) {
        let mut user = stored.to_json(select);
        if let Value::Object(map) = &mut user {
            map.insert("@odata.type".into(), json!("#microsoft.graph.user"));
        }
        return Some((id.to_owned(), user));
    }
    let group = state.groups.by_id.get(id).filter(|_| !users_only)?;
    let value =
        json!({"@odata.type": "#microsoft.graph.group", "id": id, "displayName": group.name});
    Some((id.to_owned(), value))
}

/// `POST /v1.0/groups/{id}/members/$ref` with `{"@odata.id": "…/directoryObjects/{id}"}`: 204;
/// 404 for a group or an object that does not exist; 400 for a member already there.
pub(crate) fn add_member(state: &mut GraphState, group: &str, call: &Call) -> Reply {
    if !state.groups.by_id.contains_key(group) {
        return not_found(group);
    }
    let reference = call.body.as_ref().and_then(|b| b.get("@odata.id")).and_then(Value::as_str);
    let Some(member) = reference.and_then(|r| r.rsplit('/').next()).filter(|m| !m.is_empty())
    else {
        return bad_request("Invalid object identifier in the @odata.id of the request body.");
    };
    let member = match state.users.resolve(member) {
        Some(user) => user,
        None if state.groups.by_id.contains_key(member) => member.to_owned(),
        None => return not_found(member),
    };
    let Some(members) = state.groups.by_id.get_mut(group).map(|g| &mut g.members) else {
        return not_found(group);
    };
    if !members.insert(member) {
        return bad_request(
            "One or more added object references already exist for the following modified \
             properties: 'members'.",
        );
    }
    Reply::empty(204)
}

/// `POST /v1.0/users/{id | userPrincipalName}/checkMemberGroups` with `{"groupIds": [...]}` (at
/// most 20): the ids among them of the groups the user is a member of, directly or not.
pub(crate) fn check_member_groups(state: &GraphState, key: &str, call: &Call) -> Reply {
    let Some(user) = state.users.resolve(key) else { return not_found(key) };
    let ids = call.body.as_ref().and_then(|b| b.get("groupIds")).and_then(Value::as_array);
    let Some(ids) = ids.filter(|ids| ids.iter().all(Value::is_string)) else {
        return bad_request("The request body must hold groupIds, an array of group ids.");
    };
    if ids.len() > MAX_CHECKED {
        return bad_request(format!("At most {MAX_CHECKED} groups can be checked per request."));
    }
    let member_of: Vec<&Value> = ids
        .iter()
        .filter(|id| id.as_str().is_some_and(|id| state.groups.transitive(id).contains(&user)))
        .collect();
    Reply::json(
        200,
        json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
            "value": member_of,
        }),
    )
}

/// Groups, for tests to seed and inspect.
impl FakeGraph {
    /// Adds a group named `display_name` with no members; returns its id.
    pub fn insert_group(&self, display_name: &str) -> String {
        let mut state = self.state();
        let id = uuid(&mut state.users.rng);
        let group = Group { name: display_name.to_owned(), members: BTreeSet::new() };
        state.groups.by_id.insert(id.clone(), group);
        id
    }

    /// Makes `member` (a user by id or user principal name, or a group by id) a direct member
    /// of `group`, as an administrator would.
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such group or member.
    pub fn add_group_member(&self, group: &str, member: &str) -> Result<(), SeedError> {
        let mut state = self.state();
        let member = match state.users.resolve(member) {
            Some(user) => user,
            None if state.groups.by_id.contains_key(member) => member.to_owned(),
            None => return Err(SeedError::NotFound(format!("user or group {member}"))),
        };
        let group = state
            .groups
            .by_id
            .get_mut(group)
            .ok_or_else(|| SeedError::NotFound(format!("group {group}")))?;
        group.members.insert(member);
        Ok(())
    }

    /// Takes a direct member (a user by id or user principal name, or a group by id) out of
    /// `group`; false when it was not one.
    pub fn remove_group_member(&self, group: &str, member: &str) -> bool {
        let mut state = self.state();
        let member = state.users.resolve(member).unwrap_or_else(|| member.to_owned());
        state.groups.by_id.get_mut(group).is_some_and(|g| g.members.remove(&member))
    }

    /// Whether the user (by id or user principal name) is a member of `group`, directly or
    /// through nested groups.
    pub fn is_group_member(&self, group: &str, user: &str) -> bool {
        let state = self.state();
        let user = state.users.resolve(user).unwrap_or_else(|| user.to_owned());
        state.groups.transitive(group).contains(&user)
    }
}
