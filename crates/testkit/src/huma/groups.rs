//! Huma's groups of people: teams, locations and companies. A user's `teams`, `locations` and
//! `companies` (in the list and in their details) follow from the groups they belong to; the
//! user list filters by them; `GET /groups/{id}` answers one group, or 404.

use super::errors::not_found;
use super::{HumaState, HumaUser};
use crate::server::{Reply, uuid};
use crate::{FakeHuma, SeedError};
use serde_json::{Value, json};

/// What kind of group a Huma group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HumaGroupKind {
    /// A team (`type: team`, in a user's `teams`; the list filter `team`).
    Team,
    /// A location (`location`, `locations`, `location`).
    Location,
    /// A company, a legal entity of the organisation (`company`, `companies`, `company`).
    Company,
}

impl HumaGroupKind {
    /// Every kind, in the order users' lists and filters name them.
    pub const ALL: [HumaGroupKind; 3] =
        [HumaGroupKind::Team, HumaGroupKind::Location, HumaGroupKind::Company];

    /// The group's `type`, and the list filter's name.
    pub fn name(self) -> &'static str {
        match self {
            HumaGroupKind::Team => "team",
            HumaGroupKind::Location => "location",
            HumaGroupKind::Company => "company",
        }
    }

    /// The property of a user that lists their groups of this kind.
    fn property(self) -> &'static str {
        match self {
            HumaGroupKind::Team => "teams",
            HumaGroupKind::Location => "locations",
            HumaGroupKind::Company => "companies",
        }
    }
}

/// A group as the fake stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumaGroup {
    /// `id` (a UUID).
    pub id: String,
    /// `name`.
    pub name: String,
    /// `type`.
    pub kind: HumaGroupKind,
}

impl HumaGroup {
    fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "type": self.kind.name()})
    }
}

impl HumaState {
    /// Whether `user` belongs to one of `ids`, groups of `kind`.
    pub(crate) fn belongs(&self, user: &HumaUser, kind: HumaGroupKind, ids: &[&str]) -> bool {
        user.groups.iter().any(|g| {
            ids.contains(&g.as_str()) && self.groups.get(g).is_some_and(|group| group.kind == kind)
        })
    }

    /// Sets the user's `teams`, `locations` and `companies` in `json` (a list entry, or details
    /// when `wrapped`) from the groups they belong to.
    pub(crate) fn put_memberships(&self, json: &mut Value, user: &HumaUser, wrapped: bool) {
        let Value::Object(map) = json else { return };
        for kind in HumaGroupKind::ALL {
            let groups: Vec<Value> = user
                .groups
                .iter()
                .filter_map(|id| self.groups.get(id))
                .filter(|group| group.kind == kind)
                .map(HumaGroup::to_json)
                .collect();
            let value = match wrapped {
                true => json!({"value": groups, "editable": false, "integrations": {}}),
                false => Value::Array(groups),
            };
            map.insert(kind.property().to_owned(), value);
        }
    }
}

/// `GET /groups/{id}`: the group (`GroupDetails`: id, name, members), or 404 `object:not-found`.
pub(crate) fn get(state: &HumaState, id: &str) -> Reply {
    let Some(group) = state.groups.get(id) else { return not_found("Group", id) };
    let members: Vec<Value> = state
        .ordered(false)
        .filter(|user| user.groups.iter().any(|g| g == id))
        .map(|user| state.summary_of(user))
        .collect();
    Reply::json(200, json!({"id": group.id, "name": group.name, "members": members}))
}

/// Teams, locations and companies, for tests to seed.
impl FakeHuma {
    /// Adds a group of `kind` named `name`; returns its id.
    pub fn insert_group(&self, name: &str, kind: HumaGroupKind) -> String {
        let mut state = self.state();
        let id = uuid(&mut state.rng);
        state.groups.insert(id.clone(), HumaGroup { id: id.clone(), name: name.to_owned(), kind });
        id
    }

    /// Every group, in id order.
    pub fn groups(&self) -> Vec<HumaGroup> {
        self.state().groups.values().cloned().collect()
    }

    /// Puts the user `user` in the group `group` (no change when they are in it already).
    ///
    /// # Errors
    /// [`SeedError::NotFound`] when there is no such user or group.
    pub fn add_to_group(&self, user: &str, group: &str) -> Result<(), SeedError> {
        let mut state = self.state();
        if !state.groups.contains_key(group) {
            return Err(SeedError::NotFound(format!("group {group}")));
        }
        let user = state.users.get_mut(user).ok_or_else(|| SeedError::NotFound(user.to_owned()))?;
        if !user.groups.iter().any(|g| g == group) {
            user.groups.push(group.to_owned());
        }
        Ok(())
    }

    /// Takes the user `user` out of the group `group`; false when they were not in it.
    pub fn remove_from_group(&self, user: &str, group: &str) -> bool {
        let mut state = self.state();
        let Some(user) = state.users.get_mut(user) else { return false };
        let before = user.groups.len();
        user.groups.retain(|g| g != group);
        user.groups.len() != before
    }
}
