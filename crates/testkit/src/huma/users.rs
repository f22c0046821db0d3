//! `/users`: list pages (limit ≤ 50), details, update and create.

use super::errors::{invalid_field, invalid_fields, not_found};
use super::state::HumaAddress;
use super::{HumaGroupKind, HumaState, HumaUser};
use crate::server::Reply;
use serde_json::{Value, json};

/// The largest page Huma serves, and its default.
const MAX_LIMIT: i64 = 50;
const DEFAULT_LIMIT: i64 = 25;
/// Huma's longest text values.
const MAX_TEXT: usize = 255;

fn int_param(query: &[(String, String)], name: &str, default: i64) -> Result<i64, Reply> {
    match query.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, raw)) => raw
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid_field(name, &format!("'{raw}' is not a valid value for {name}"))),
    }
}

/// The values of a list filter (`team=a&team=b`, or `team=a,b`): at most 25 UUIDs.
fn uuid_list<'q>(query: &'q [(String, String)], name: &str) -> Result<Vec<&'q str>, Reply> {
    let values: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.len() > 25 {
        return Err(invalid_field(name, &format!("at most 25 values of {name}")));
    }
    if let Some(bad) = values.iter().find(|v| !is_uuid(v)) {
        return Err(invalid_field(name, &format!("'{bad}' is not a valid UUID")));
    }
    Ok(values)
}

/// `GET /users?limit&offset` with the filters `isActive`, `search`, `id`, `team`, `location`,
/// `company` and `orderDirection`. Each group filter keeps the users in any of its groups; the
/// filters together keep those all of them keep.
///
/// A `limit` over 50 (or below 0) answers 400 `field:invalid-format` naming `limit`: the spec
/// declares `maximum: 50` and answers `InvalidFieldFormatResponse` for bad requests.
pub(crate) fn list(state: &HumaState, query: &[(String, String)]) -> Reply {
    let limit = match int_param(query, "limit", DEFAULT_LIMIT) {
        Ok(limit) if (0..=MAX_LIMIT).contains(&limit) => limit as usize,
        Ok(_) => return invalid_field("limit", "limit must be between 0 and 50"),
        Err(reply) => return reply,
    };
    let offset = match int_param(query, "offset", 0) {
        Ok(offset) if offset >= 0 => offset as usize,
        Ok(_) => return invalid_field("offset", "offset must be 0 or more"),
        Err(reply) => return reply,
    };
    let active = match query.iter().find(|(k, _)| k == "isActive").map(|(_, v)| v.as_str()) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return invalid_field("isActive", "isActive must be true or false"),
    };
    let search = query.iter().find(|(k, _)| k == "search").map(|(_, v)| v.to_lowercase());
    let ids: Vec<&str> =
        query.iter().filter(|(k, _)| k == "id").flat_map(|(_, v)| v.split(',')).collect();
    if ids.len() > 25 {
        return invalid_field("id", "at most 25 ids");
    }
    let descending =
        match query.iter().find(|(k, _)| k == "orderDirection").map(|(_, v)| v.as_str()) {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(_) => {
                return invalid_field("orderDirection", "orderDirection must be ASC or DESC");
            }
        };
    let mut groups = Vec::new();
    for kind in HumaGroupKind::ALL {
        match uuid_list(query, kind.name()) {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => groups.push((kind, ids)),
            Err(reply) => return reply,
        }
    }
    let filtered = active.is_some() || search.is_some() || !ids.is_empty() || !groups.is_empty();
    let (total, items): (usize, Vec<Value>) = if filtered {
        let keep = |user: &&HumaUser| {
            groups.iter().all(|(kind, ids)| state.belongs(user, *kind, ids))
                && active.is_none_or(|a| user.active == a)
                && (ids.is_empty() || ids.contains(&user.id.as_str()))
                && search.as_ref().is_none_or(|s| {
                    [&user.given_name, &user.family_name, &user.email]
                        .iter()
                        .any(|v| v.to_lowercase().contains(s.as_str()))
                })
        };
        let matching: Vec<&HumaUser> = state.ordered(descending).filter(keep).collect();
        let items = matching.iter().skip(offset).take(limit).map(|u| state.summary_of(u)).collect();
        (matching.len(), items)
    } else {
        let total = state.order.len();
        let range = offset.min(total)..offset.saturating_add(limit).min(total);
        let ids = if descending {
            let (start, end) = (total - range.end, total - range.start);
            state.order[start..end].iter().rev().collect::<Vec<_>>()
        } else {
            state.order[range].iter().collect()
        };
        (
            total,
            ids.into_iter()
                .filter_map(|id| state.users.get(id))
                .map(|u| state.summary_of(u))
                .collect(),
        )
    };
    Reply::json(200, json!({"total": total, "items": items}))
}

/// `GET /users/{id}`.
pub(crate) fn get(state: &HumaState, id: &str) -> Reply {
    match state.users.get(id) {
        Some(user) => Reply::json(200, state.details_of(user)),
        None => not_found("User", id),
    }
}

/// A text value of at most 255 characters, `None` for `null` or empty; records the field if
/// invalid.
fn text(value: &Value, field: &str, bad: &mut Vec<String>) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) if s.is_empty() => Some(None),
        Value::String(s) if s.chars().count() <= MAX_TEXT => Some(Some(s.clone())),
        _ => {
            bad.push(field.to_owned());
            None
        }
    }
}

fn valid_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@') && !email.contains(' ')
    })
}

fn address(value: &Value, bad: &mut Vec<String>) -> Option<Option<HumaAddress>> {
    let Value::Object(map) = value else {
        if value.is_null() {
            return Some(None);
        }
        bad.push("homeAddress".to_owned());
        return None;
    };
    let mut part = |key: &str| -> String {
        match map.get(key) {
            Some(Value::String(s)) if s.chars().count() <= MAX_TEXT => s.clone(),
            _ => {
                bad.push(format!("homeAddress.{key}"));
                String::new()
            }
        }
    };
    let mut address = HumaAddress {
        line1: part("line1"),
        line2: part("line2"),
        line3: part("line3"),
        postal_code: part("postalCode"),
        city: part("city"),
        country: part("country"),
    };
    if !address.country.is_empty() {
        let is_alpha2 = address.country.len() == 2
            && address.country.bytes().all(|b| b.is_ascii_alphabetic())
            && dirsync::model::CountryCode::parse(&address.country).is_ok();
        if is_alpha2 {
            address.country = address.country.to_ascii_uppercase();
        } else {
            bad.push("homeAddress.country".to_owned());
        }
    }
    Some(Some(address))
}

/// The `UserDetailsInput` fields the fake accepts without storing them.
const ACCEPTED_UNSTORED: &[&str] = &[
    "nationality",
    "birthDate",
    "civilStatus",
    "gender",
    "dietaryRequirements",
    "interests",
    "funfacts",
    "bankAccount",
    "supervisor",
    "relevantExperienceInMonths",
    "relevantExperienceInYears",
    "seniorityNote",
    "excludeFromInsights",
    "excludeFromSurveys",
    "privateEmail",
    "custom",
];

/// `PATCH /users/{id}` with a `UserDetailsInput`; answers the new `UserDetails`.
pub(crate) fn update(state: &mut HumaState, id: &str, body: Option<&Value>) -> Reply {
    let Some(current) = state.users.get(id) else { return not_found("User", id) };
    let Some(Value::Object(body)) = body else {
        return invalid_fields("The request body must be a JSON object", &[]);
    };
    let locked: Vec<String> =
        body.keys().filter(|k| current.locked.contains_key(k.as_str())).cloned().collect();
    if !locked.is_empty() {
        return invalid_fields("Field is not editable", &locked);
    }
    let mut user = current.clone();
    let mut bad = Vec::new();
    for (key, value) in body {
        match key.as_str() {
            "givenName" | "familyName" | "email" => match text(value, key, &mut bad) {
                Some(Some(v)) if key == "email" => {
                    if !valid_email(&v) || state.email_taken(&v, id) {
                        bad.push(key.clone());
                    } else {
                        user.email = v;
                    }
                }
                Some(Some(v)) if key == "givenName" => user.given_name = v,
                Some(Some(v)) => user.family_name = v,
                Some(None) => bad.push(key.clone()),
                None => {}
            },
            "preferredName" => {
                if let Some(v) = text(value, key, &mut bad) {
                    user.preferred_name = v;
                }
            }
            "phone" => {
                if let Some(v) = text(value, key, &mut bad) {
                    user.phone = v;
                }
            }
            "employmentId" => {
                if let Some(v) = text(value, key, &mut bad) {
                    user.employment_id = v;
                }
            }
            "homeAddress" => {
                if let Some(v) = address(value, &mut bad) {
                    user.home_address = v;
                }
            }
            "nationality" => {
                let ok = value.is_null()
                    || value.as_str().is_some_and(|c| {
                        c.is_empty()
                            || (c.len() == 2 && dirsync::model::CountryCode::parse(c).is_ok())
                    });
                if !ok {
                    bad.push(key.clone());
                }
            }
            other if ACCEPTED_UNSTORED.contains(&other) => {}
            _ => {}
        }
    }
    if !bad.is_empty() {
        return invalid_fields("Invalid field format", &bad);
    }
    match state.put_user(user) {
        Ok(id) => get(state, &id),
        Err(_) => invalid_field("email", "Email is already in use"),
    }
}

/// `POST /users` with a `UserInput`; answers the `User`.
pub(crate) fn create(state: &mut HumaState, body: Option<&Value>) -> Reply {
    let Some(Value::Object(body)) = body else {
        return invalid_fields("The request body must be a JSON object", &[]);
    };
    let mut bad = Vec::new();
    let required = |key: &str, bad: &mut Vec<String>| -> String {
        match body.get(key).map(|v| text(v, key, bad)) {
            Some(Some(Some(v))) => v,
            Some(None) => String::new(),
            _ => {
                bad.push(key.to_owned());
                String::new()
            }
        }
    };
    let email = required("email", &mut bad);
    let given_name = required("givenName", &mut bad);
    let family_name = required("familyName", &mut bad);
    if !email.is_empty() && (!valid_email(&email) || state.email_taken(&email, "")) {
        bad.push("email".to_owned());
    }
    let groups = match body.get("groups") {
        Some(Value::Array(items)) => {
            let groups: Vec<String> =
                items.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            if groups.len() != items.len() || !groups.iter().all(|g| is_uuid(g)) {
                bad.push("groups".to_owned());
            }
            groups
        }
        _ => {
            bad.push("groups".to_owned());
            Vec::new()
        }
    };
    let optional =
        |key: &str, bad: &mut Vec<String>| body.get(key).and_then(|v| text(v, key, bad)).flatten();
    let phone = optional("phone", &mut bad);
    let preferred_name = optional("preferredName", &mut bad);
    if !bad.is_empty() {
        let message =
            if bad.iter().any(|f| f == "email") && !email.is_empty() && valid_email(&email) {
                "Email is already in use"
            } else {
                "Invalid field format"
            };
        return invalid_fields(message, &bad);
    }
    let mut user = HumaUser::new(email, given_name, family_name);
    user.phone = phone;
    user.preferred_name = preferred_name;
    user.groups = groups;
    match state.put_user(user) {
        Ok(id) => match state.users.get(&id) {
            Some(user) => Reply::json(200, user.summary()),
            None => not_found("User", &id),
        },
        Err(_) => invalid_field("email", "Email is already in use"),
    }
}

/// Whether a value has the form of a UUID.
pub(crate) fn is_uuid(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() }
        })
}
