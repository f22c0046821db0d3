//! Which Huma people a [`HumaDirectory`](crate::HumaDirectory) looks after: those in any of some
//! teams, locations or companies, read through the user list's filters of the same names.

use dirsync::{directory::Record, plan::ScopeStatus};
use serde::Deserialize;

/// The most values one list filter takes (the spec's `maxItems`).
const MAX_PER_FILTER: usize = 25;

/// The people of Huma in any of these teams, locations or companies (group UUIDs); nothing
/// given (the default): everyone.
///
/// ```
/// use huma_api::HumaScope;
/// let scope = HumaScope {
///     companies: vec!["0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d".into()],
///     ..HumaScope::default()
/// };
/// assert!(!scope.is_everyone());
/// assert_eq!(
///     scope.describe().as_deref(),
///     Some("the people of company 0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d")
/// );
/// assert!(HumaScope::default().describe().is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HumaScope {
    /// Team UUIDs.
    pub teams: Vec<String>,
    /// Location UUIDs.
    pub locations: Vec<String>,
    /// Company UUIDs (a group's legal entities).
    pub companies: Vec<String>,
}

impl HumaScope {
    /// Whether the scope takes in everyone (no team, location or company given).
    pub fn is_everyone(&self) -> bool {
        self.teams.is_empty() && self.locations.is_empty() && self.companies.is_empty()
    }

    /// The scope for people, "the people of team A, location B or company C"; `None` for
    /// everyone.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<String> = self
            .kinds()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(kind, ids)| {
                let kind = if ids.len() == 1 { kind.to_owned() } else { plural(kind) };
                format!("{kind} {}", ids.join(", "))
            })
            .collect();
        match parts.as_slice() {
            [] => None,
            [one] => Some(format!("the people of {one}")),
            [init @ .., last] => Some(format!("the people of {} or {last}", init.join(", "))),
        }
    }

    /// Each kind's filter name (`team`, `location`, `company`) and ids.
    pub(crate) fn kinds(&self) -> impl Iterator<Item = (&'static str, &[String])> {
        [("team", &self.teams), ("location", &self.locations), ("company", &self.companies)]
            .into_iter()
            .map(|(kind, ids)| (kind, ids.as_slice()))
    }

    /// The user listings that together read the scope: one per kind and per 25 ids, each the
    /// query pairs of its filter (Huma keeps those that every filter given keeps, so the kinds
    /// are read apart to take in those of any of them).
    pub(crate) fn listings(&self) -> Vec<Vec<(&'static str, String)>> {
        let mut listings = Vec::new();
        for (kind, ids) in self.kinds() {
            for chunk in ids.chunks(MAX_PER_FILTER) {
                listings.push(chunk.iter().map(|id| (kind, id.clone())).collect());
            }
        }
        listings
    }

    /// `record` marked with where it stands, by the teams, locations and companies of its
    /// details (`body`, the JSON of `GET /users/{id}`): outside the scope when it is in none of
    /// its groups, or when they cannot be read.
    pub(crate) fn mark(&self, record: Record, body: &[u8]) -> Record {
        if self.is_everyone() {
            return record;
        }
        let inside = match serde_json::from_slice::<Memberships>(body) {
            Ok(memberships) => self.kinds().any(|(kind, ids)| {
                memberships.of(kind).iter().any(|group| ids.iter().any(|id| group.is(id)))
            }),
            Err(e) => {
                tracing::warn!(user = %record.id, error = %e, "a Huma user's groups could not be read; taken as outside the scope");
                false
            }
        };
        let status = if inside { ScopeStatus::In } else { ScopeStatus::Out };
        record.with_scope(status)
    }
}

fn plural(kind: &str) -> String {
    match kind {
        "company" => "companies".to_owned(),
        other => format!("{other}s"),
    }
}

/// The groups of a user's details: `teams`, `locations`, `companies`, each wrapped.
#[derive(Deserialize, Default)]
struct Memberships {
    #[serde(default)]
    teams: Option<Wrapped>,
    #[serde(default)]
    locations: Option<Wrapped>,
    #[serde(default)]
    companies: Option<Wrapped>,
}

#[derive(Deserialize, Default)]
struct Wrapped {
    #[serde(default)]
    value: Option<Vec<GroupRef>>,
}

#[derive(Deserialize)]
struct GroupRef {
    #[serde(default)]
    id: Option<String>,
}

impl GroupRef {
    fn is(&self, id: &str) -> bool {
        self.id.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(id))
    }
}

impl Memberships {
    fn of(&self, kind: &str) -> &[GroupRef] {
        let wrapped = match kind {
            "team" => &self.teams,
            "location" => &self.locations,
            _ => &self.companies,
        };
        wrapped.as_ref().and_then(|w| w.value.as_deref()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::model::Person;

    fn scope() -> HumaScope {
        HumaScope {
            teams: vec!["t1".into()],
            companies: (0..30).map(|i| format!("c{i}")).collect(),
            ..HumaScope::default()
        }
    }

    #[test]
    fn a_scope_is_read_per_kind_and_per_25_ids() {
        let listings = scope().listings();
        let sizes: Vec<(usize, &str)> = listings.iter().map(|l| (l.len(), l[0].0)).collect();
        assert_eq!(sizes, [(1, "team"), (25, "company"), (5, "company")]);
        assert!(HumaScope::default().listings().is_empty());
    }

    #[test]
    fn the_description_names_every_kind() {
        let scope = HumaScope { teams: vec!["t1".into(), "t2".into()], ..scope() };
        let text = scope.describe().unwrap_or_default();
        assert!(text.starts_with("the people of teams t1, t2 or companies c0, c1"), "{text}");
    }

    #[test]
    fn a_user_is_in_the_scope_by_any_of_their_groups() {
        let record = || Record::new("u1", Person::new());
        let details = |teams: &str| {
            format!(
                r#"{{"id":"u1","teams":{{"value":{teams},"editable":false}},"companies":{{"value":[]}}}}"#
            )
        };
        let inside = scope().mark(record(), details(r#"[{"id":"T1","name":"x"}]"#).as_bytes());
        assert!(inside.scope.is_in());
        let outside = scope().mark(record(), details(r#"[{"id":"t9"}]"#).as_bytes());
        assert_eq!(outside.scope, ScopeStatus::Out);
        let unreadable = scope().mark(record(), details(r#""teams""#).as_bytes());
        assert_eq!(unreadable.scope, ScopeStatus::Out);
        let everyone = HumaScope::default().mark(record(), b"not even JSON");
        assert!(everyone.scope.is_in());
    }
}
