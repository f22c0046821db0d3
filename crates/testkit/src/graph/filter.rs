//! A small OData `$filter`: `prop eq 'value'`, `prop eq null|true|false`, `startswith(prop,'x')`,
//! joined by `and` / `or` (`and` binds tighter), as Graph's users support them.

use super::GraphUser;
use super::state::{TEXT_PROPERTIES, property_named};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Eq(&'static str, Value),
    /// `prop eq 'text'` on a text property: its index in `TEXT_PROPERTIES`, found once at parse.
    EqText(usize, String),
    StartsWith(&'static str, String),
}

/// A parsed filter: alternatives, each a conjunction of terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter(Vec<Vec<Term>>);

/// Splits at a keyword outside quotes (`' or '`, `' and '`, ignoring case).
fn split_outside_quotes<'a>(text: &'a str, keyword: &str) -> Vec<&'a str> {
    let lower = text.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            quoted = !quoted;
        } else if !quoted && lower[i..].starts_with(keyword) {
            parts.push(&text[start..i]);
            i += keyword.len();
            start = i;
            continue;
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn literal(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Some(Value::String(inner.replace("''", "'")));
    }
    match text {
        "null" => Some(Value::Null),
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ => None,
    }
}

fn term(text: &str) -> Option<Term> {
    let text = text.trim().trim_start_matches('(').trim_end_matches(')').trim();
    if let Some(args) = text
        .strip_prefix("startswith(")
        .or_else(|| text.strip_prefix("startsWith("))
        .map(|rest| rest.trim_end_matches(')'))
    {
        let (name, value) = args.split_once(',')?;
        let (name, _) = property_named(name.trim())?;
        let Value::String(prefix) = literal(value)? else { return None };
        return Some(Term::StartsWith(name, prefix));
    }
    let parts = split_outside_quotes(text, " eq ");
    let [name, value] = parts.as_slice() else { return None };
    let (name, _) = property_named(name.trim())?;
    let value = literal(value)?;
    match (TEXT_PROPERTIES.iter().position(|(text, _)| *text == name), value) {
        (Some(index), Value::String(text)) => Some(Term::EqText(index, text)),
        (_, value) => Some(Term::Eq(name, value)),
    }
}

impl Filter {
    /// Parses a filter; `None` when the fake does not understand it.
    pub(crate) fn parse(text: &str) -> Option<Filter> {
        split_outside_quotes(text, " or ")
            .into_iter()
            .map(|any| split_outside_quotes(any, " and ").into_iter().map(term).collect())
            .collect::<Option<Vec<Vec<Term>>>>()
            .map(Filter)
    }

    /// The ids that can match, from `users`' lookup index, when the filter is only `eq` terms on
    /// `mail`, `userPrincipalName` or `employeeId` joined by `or`; `None` otherwise (scan).
    pub(crate) fn candidates(&self, users: &super::state::Users) -> Option<Vec<String>> {
        let indexed = super::state::Users::indexed();
        let mut ids: Vec<String> = Vec::new();
        for all in &self.0 {
            let [Term::EqText(index, want)] = all.as_slice() else { return None };
            if !indexed.contains(index) {
                return None;
            }
            if let Some(found) = users.lookup.get(&(*index, want.to_ascii_lowercase())) {
                ids.extend(found.iter().cloned());
            }
        }
        ids.sort();
        ids.dedup();
        Some(ids)
    }

    /// Whether a user matches (strings compare without case, as Graph's directory does).
    pub(crate) fn matches(&self, user: &GraphUser) -> bool {
        self.0.iter().any(|all| {
            all.iter().all(|term| match term {
                Term::EqText(index, want) => (TEXT_PROPERTIES[*index].1)(user)
                    .is_some_and(|have| have.eq_ignore_ascii_case(want)),
                Term::Eq(name, wanted) => match (user.property(name), wanted) {
                    (Value::String(have), Value::String(want)) => have.eq_ignore_ascii_case(want),
                    (Value::Array(items), Value::String(want)) => items
                        .iter()
                        .any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case(want))),
                    (have, want) => &have == want,
                },
                Term::StartsWith(name, prefix) => user
                    .property(name)
                    .as_str()
                    .is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase())),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_of_eq_terms_with_quotes() {
        let filter = Filter::parse(
            "employeeId eq '42' or mail eq 'o''brien@example.com' or userPrincipalName eq 'x'",
        )
        .unwrap_or(Filter(Vec::new()));
        let mut user = GraphUser::new("O'Brien@example.com");
        assert!(filter.matches(&user));
        user.mail = None;
        user.user_principal_name = None;
        assert!(!filter.matches(&user));
        user.employee_id = Some("42".into());
        assert!(filter.matches(&user));
        assert!(Filter::parse("employeeId gt '1'").is_none());
    }
}
