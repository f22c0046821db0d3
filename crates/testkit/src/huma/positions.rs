//! `/users/{userId}/positions` and `/job-titles`.

use super::HumaState;
use super::errors::{invalid_field, invalid_fields, not_found};
use super::state::{HumaPosition, JobTitle};
use super::users::is_uuid;
use crate::server::Reply;
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

const CONTRACT_TYPES: &[&str] = &[
    "Permanent",
    "Temporary",
    "Seasonal",
    "Casual",
    "Trainee",
    "JobTrainingProgram",
    "Consultant",
    "Freelance",
    "ThirdParty",
    "Other",
];

/// `GET /users/{userId}/positions?limit&offset` (`PagePositionSummary`).
pub(crate) fn list(state: &HumaState, user_id: &str, query: &[(String, String)]) -> Reply {
    let Some(user) = state.users.get(user_id) else { return not_found("User", user_id) };
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let parse = |name: &str| match param(name) {
        None => Ok(None),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(invalid_field(name, &format!("'{raw}' is not a valid value for {name}"))),
        },
    };
    let (limit, offset) = match (parse("limit"), parse("offset")) {
        (Ok(limit), Ok(offset)) => (limit.unwrap_or(usize::MAX), offset.unwrap_or(0)),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    let items: Vec<Value> =
        user.positions.iter().skip(offset).take(limit).map(HumaPosition::summary).collect();
    Reply::json(200, json!({"total": user.positions.len(), "items": items}))
}

/// `GET /users/{userId}/positions/{id}` (`Position`).
pub(crate) fn get(state: &HumaState, user_id: &str, id: &str) -> Reply {
    let Some(user) = state.users.get(user_id) else { return not_found("User", user_id) };
    match user.positions.iter().find(|p| p.id == id) {
        Some(position) => Reply::json(200, position.details()),
        None => not_found("Position", id),
    }
}

fn date(body: &Map<String, Value>, key: &str, bad: &mut Vec<String>) -> Option<Option<NaiveDate>> {
    match body.get(key)? {
        Value::Null => Some(None),
        Value::String(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                bad.push(key.to_owned());
                None
            }
        },
        _ => {
            bad.push(key.to_owned());
            None
        }
    }
}

/// Applies a `PositionCreateInput` or `PositionUpdateInput`; the 400 or 404 to answer otherwise.
fn apply(
    state: &HumaState,
    position: &mut HumaPosition,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), Reply> {
    let mut bad = Vec::new();
    if creating {
        for key in ["contractStartDate", "contractType", "titleId"] {
            if body.get(key).is_none_or(Value::is_null) {
                bad.push(key.to_owned());
            }
        }
    }
    if let Some(start) = date(body, "contractStartDate", &mut bad) {
        position.contract_start_date = start;
    }
    if let Some(end) = date(body, "contractEndDate", &mut bad) {
        position.contract_end_date = end;
    }
    match body.get("contractType") {
        None | Some(Value::Null) => {}
        Some(Value::String(kind)) if CONTRACT_TYPES.contains(&kind.as_str()) => {
            position.contract_type = kind.clone();
        }
        Some(_) => bad.push("contractType".to_owned()),
    }
    match body.get("percentage") {
        None | Some(Value::Null) => {}
        Some(value) => match value.as_i64() {
            Some(p) if (0..=100).contains(&p) => position.percentage = p,
            _ => bad.push("percentage".to_owned()),
        },
    }
    let mut title = None;
    match body.get("titleId") {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if is_uuid(id) => title = Some(id.clone()),
        Some(_) => bad.push("titleId".to_owned()),
    }
    if !bad.is_empty() {
        return Err(invalid_fields("Invalid field format", &bad));
    }
    if let Some(id) = title {
        match state.title(&id) {
            Some(title) => position.title = Some(title.clone()),
            None => return Err(not_found("JobTitle", &id)),
        }
    }
    Ok(())
}

/// `POST /users/{userId}/positions` (`PositionCreateInput` → `Position`).
pub(crate) fn create(state: &mut HumaState, user_id: &str, body: Option<&Value>) -> Reply {
    let Some(user) = state.users.get(user_id) else { return not_found("User", user_id) };
    let Some(Value::Object(body)) = body else {
        return invalid_fields("The request body must be a JSON object", &[]);
    };
    let mut position = HumaPosition {
        id: String::new(),
        title: None,
        contract_start_date: None,
        contract_end_date: None,
        contract_type: "Permanent".to_owned(),
        percentage: 100,
    };
    if let Err(reply) = apply(state, &mut position, body, true) {
        return reply;
    }
    let mut user = user.clone();
    position.id = state.new_id();
    let answer = position.details();
    user.positions.push(position);
    match state.put_user(user) {
        Ok(_) => Reply::json(200, answer),
        Err(_) => invalid_field("email", "Email is already in use"),
    }
}

/// `PATCH /users/{userId}/positions/{id}` (`PositionUpdateInput` → `Position`).
pub(crate) fn update(
    state: &mut HumaState,
    user_id: &str,
    id: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(user) = state.users.get(user_id) else { return not_found("User", user_id) };
    let Some(index) = user.positions.iter().position(|p| p.id == id) else {
        return not_found("Position", id);
    };
    let Some(Value::Object(body)) = body else {
        return invalid_fields("The request body must be a JSON object", &[]);
    };
    let mut user = user.clone();
    if let Err(reply) = apply(state, &mut user.positions[index], body, false) {
        return reply;
    }
    let answer = user.positions[index].details();
    match state.put_user(user) {
        Ok(_) => Reply::json(200, answer),
        Err(_) => invalid_field("email", "Email is already in use"),
    }
}

/// `GET /job-titles?search=` (an array of `JobTitleSummary`).
pub(crate) fn list_titles(state: &HumaState, query: &[(String, String)]) -> Reply {
    let search = query.iter().find(|(k, _)| k == "search").map(|(_, v)| v.to_lowercase());
    let titles: Vec<Value> = state
        .titles
        .iter()
        .filter(|t| search.as_ref().is_none_or(|s| t.name.to_lowercase().contains(s.as_str())))
        .map(JobTitle::to_json)
        .collect();
    Reply::json(200, Value::Array(titles))
}

/// `GET /job-titles/{id}` (`JobTitle`).
pub(crate) fn get_title(state: &HumaState, id: &str) -> Reply {
    match state.title(id) {
        Some(title) => Reply::json(200, title.to_json()),
        None => not_found("JobTitle", id),
    }
}

/// `POST /job-titles` (`JobTitleCreateInput` → `JobTitle`). A name already taken (ignoring case)
/// answers 400 naming `name`.
pub(crate) fn create_title(state: &mut HumaState, body: Option<&Value>) -> Reply {
    let name = body.and_then(|b| b.get("name")).and_then(Value::as_str).map(str::trim);
    let Some(name) = name.filter(|n| !n.is_empty() && n.chars().count() <= 255) else {
        return invalid_field("name", "name is required (at most 255 characters)");
    };
    if state.title_named(name).is_some() {
        return invalid_field("name", "A job title with this name already exists");
    }
    let title = state.add_title(name);
    Reply::json(200, title.to_json())
}
