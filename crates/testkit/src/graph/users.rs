//! `/v1.0/users`: list pages, one user, create and update, with Graph's validation.

use super::errors::{bad_request, forbidden, invalid_value, not_found};
use super::filter::Filter;
use super::state::{Kind, PROPERTIES, SENSITIVE, property_named};
use super::{Call, GraphState, GraphUser};
use crate::server::Reply;
use serde_json::{Map, Value, json};
use std::ops::Bound;

/// The most users one page may hold, and the default.
const MAX_TOP: usize = 999;
const DEFAULT_TOP: usize = 100;

/// The `$select` of a request: canonical property names without `id`, or `None` for the default set.
pub(crate) fn parse_select(call: &Call) -> Result<Option<Vec<&'static str>>, Reply> {
    let Some(raw) = call.param("$select") else { return Ok(None) };
    let mut names = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some((canonical, _)) = property_named(name) else {
            return Err(bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.user'."
            )));
        };
        if canonical != "id" && !names.contains(&canonical) {
            names.push(canonical);
        }
    }
    Ok(Some(names))
}

/// `$select` written back into a link.
pub(crate) fn select_param(select: Option<&[&'static str]>) -> String {
    select
        .map(|names| {
            let mut all = vec!["id"];
            all.extend_from_slice(names);
            all.join(",")
        })
        .unwrap_or_default()
}

pub(crate) fn parse_top(call: &Call) -> Result<usize, Reply> {
    let Some(raw) = call.param("$top") else { return Ok(DEFAULT_TOP) };
    match raw.trim().parse::<usize>() {
        Ok(top) if (1..=MAX_TOP).contains(&top) => Ok(top),
        _ => Err(super::errors::error(
            400,
            "Request_UnsupportedQuery",
            format!("Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive."),
        )),
    }
}

/// An opaque skiptoken for "after this id".
pub(crate) fn encode_token(text: &str) -> String {
    let mut token = String::from("RFNwdAI");
    for byte in text.as_bytes() {
        token.push_str(&format!("{byte:02x}"));
    }
    token
}

/// The text inside a token from [`encode_token`].
pub(crate) fn decode_token(token: &str) -> Option<String> {
    let hex = token.strip_prefix("RFNwdAI")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The query options of a `GET /v1.0/users`, checked as Graph checks them.
struct ListQuery<'a> {
    select: Option<Vec<&'static str>>,
    top: usize,
    filter: Option<Filter>,
    filter_text: Option<&'a str>,
    count: bool,
    after: Option<String>,
}

impl<'a> ListQuery<'a> {
    fn parse(call: &'a Call) -> Result<ListQuery<'a>, Reply> {
        let filter_text = call.param("$filter");
        let (select, top) = (parse_select(call)?, parse_top(call)?);
        let filter = filter_text.map(parse_filter).transpose()?;
        let count = parse_count(call)?;
        reject_unsupported(call)?;
        let after = call.param("$skiptoken").map(parse_skiptoken).transpose()?;
        Ok(ListQuery { select, top, filter, filter_text, count, after })
    }

    /// The link to the page after `last`, keeping every option of this request.
    fn next_link(&self, base: &str, last: &str) -> String {
        let mut link = format!("{base}/v1.0/users?");
        if self.select.is_some() {
            link.push_str(&format!("$select={}&", select_param(self.select.as_deref())));
        }
        if let Some(text) = self.filter_text {
            let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
            link.push_str(&format!("$filter={encoded}&"));
        }
        if self.count {
            link.push_str("$count=true&");
        }
        link.push_str(&format!("$top={}&$skiptoken={}", self.top, encode_token(last)));
        link
    }
}

fn parse_filter(text: &str) -> Result<Filter, Reply> {
    Filter::parse(text).ok_or_else(|| {
        super::errors::error(
            400,
            "Request_UnsupportedQuery",
            format!("Unsupported or invalid query filter clause specified: '{text}'."),
        )
    })
}

fn parse_count(call: &Call) -> Result<bool, Reply> {
    match call.param("$count") {
        None | Some("false") => Ok(false),
        Some("true") if call.eventual => Ok(true),
        Some(_) => Err(super::errors::error(
            400,
            "Request_BadRequest",
            "$count is only supported with the ConsistencyLevel header set to eventual.",
        )),
    }
}

fn parse_skiptoken(token: &str) -> Result<String, Reply> {
    decode_token(token)
        .ok_or_else(|| bad_request("The specified page token value has expired or is invalid."))
}

fn reject_unsupported(call: &Call) -> Result<(), Reply> {
    match ["$orderby", "$search", "$expand", "$skip"].into_iter().find(|o| call.param(o).is_some())
    {
        Some(option) => Err(super::errors::error(
            400,
            "Request_UnsupportedQuery",
            format!("The fake Graph does not support the query option {option}."),
        )),
        None => Ok(()),
    }
}

type Entry<'s> = (&'s String, &'s super::state::Stored);

/// The users after the skiptoken, in id order: an `eq` filter on indexed properties is answered
/// from the index, in id order, as a scan would answer it.
fn candidates<'s>(
    state: &'s GraphState,
    query: &ListQuery<'_>,
) -> (Box<dyn Iterator<Item = Entry<'s>> + 's>, Option<Vec<String>>) {
    let after = query.after.clone();
    let indexed = query.filter.as_ref().and_then(|f| f.candidates(&state.users));
    let iter: Box<dyn Iterator<Item = Entry<'s>> + 's> = match (&indexed, after) {
        (Some(ids), after) => {
            let entries: Vec<Entry<'s>> = ids
                .iter()
                .filter(|id| after.as_ref().is_none_or(|after| id.as_str() > after.as_str()))
                .filter_map(|id| state.users.by_id.get_key_value(id))
                .collect();
            Box::new(entries.into_iter())
        }
        (None, Some(after)) => Box::new(
            state.users.by_id.range::<str, _>((Bound::Excluded(after.as_str()), Bound::Unbounded)),
        ),
        (None, None) => Box::new(state.users.by_id.range::<str, _>(..)),
    };
    (iter, indexed)
}

/// `@odata.count`: every user the filter matches, on every page.
fn total(state: &GraphState, filter: Option<&Filter>, indexed: Option<&[String]>) -> usize {
    match (filter, indexed) {
        (Some(filter), Some(ids)) => ids
            .iter()
            .filter_map(|id| state.users.by_id.get(id))
            .filter(|s| filter.matches(&s.user))
            .count(),
        (Some(filter), None) => {
            state.users.by_id.values().filter(|s| filter.matches(&s.user)).count()
        }
        (None, _) => state.users.by_id.len(),
    }
}

/// `GET /v1.0/users`.
pub(crate) fn list(state: &GraphState, call: &Call) -> Reply {
    let query = match ListQuery::parse(call) {
        Ok(query) => query,
        Err(reply) => return reply,
    };
    let (range, indexed) = candidates(state, &query);
    let mut value = Vec::with_capacity(query.top.min(state.users.by_id.len()));
    let mut last = None;
    let mut more = false;
    for (id, stored) in range {
        if query.filter.as_ref().is_some_and(|f| !f.matches(&stored.user)) {
            continue;
        }
        if value.len() == query.top {
            more = true;
            break;
        }
        value.push(stored.to_json(query.select.as_deref()));
        last = Some(id);
    }
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context(query.select.as_deref())));
    if query.count {
        let total = total(state, query.filter.as_ref(), indexed.as_deref());
        body.insert("@odata.count".into(), json!(total));
    }
    if let (true, Some(last)) = (more, last) {
        body.insert("@odata.nextLink".into(), json!(query.next_link(&state.base, last)));
    }
    body.insert("value".into(), Value::Array(value));
    Reply::json(200, Value::Object(body))
}

pub(crate) fn context(select: Option<&[&'static str]>) -> String {
    match select {
        Some(_) => {
            format!("https://graph.microsoft.com/v1.0/$metadata#users({})", select_param(select))
        }
        None => "https://graph.microsoft.com/v1.0/$metadata#users".to_owned(),
    }
}

/// `GET /v1.0/users/{id | userPrincipalName}`.
pub(crate) fn get(state: &GraphState, key: &str, call: &Call) -> Reply {
    let select = match parse_select(call) {
        Ok(select) => select,
        Err(reply) => return reply,
    };
    let Some(stored) = state.users.resolve(key).and_then(|id| state.users.by_id.get(&id)) else {
        return not_found(key);
    };
    let mut body = stored.to_json(select.as_deref());
    if let Value::Object(map) = &mut body {
        map.insert(
            "@odata.context".into(),
            json!(format!("{}/$entity", context(select.as_deref()))),
        );
    }
    Reply::json(200, body)
}

/// Checks every property of a create or update body; the values to store (normalised) or the 400.
fn validate(
    state: &GraphState,
    body: &Map<String, Value>,
    id: &str,
) -> Result<Vec<(String, Value)>, Reply> {
    let mut out = Vec::with_capacity(body.len());
    for (key, value) in body {
        if key.starts_with('@') {
            continue;
        }
        let Some((name, kind)) = PROPERTIES.iter().find(|(n, _)| *n == key).copied() else {
            if key.starts_with("extension_") {
                out.push((key.clone(), value.clone()));
                continue;
            }
            return Err(bad_request(format!(
                "Property '{key}' does not exist as a declared property or extension property."
            )));
        };
        let value = match (kind, value) {
            (Kind::ReadOnly, _) => {
                return Err(bad_request(format!(
                    "Property '{name}' is read-only and cannot be set."
                )));
            }
            (Kind::Text(_), Value::Null)
                if matches!(name, "displayName" | "userPrincipalName" | "mailNickname") =>
            {
                return Err(invalid_value(name));
            }
            (Kind::Text(_), Value::Null) => Value::Null,
            (Kind::Text(max), Value::String(text)) => {
                let len = text.chars().count();
                if len > max
                    || (len == 0
                        && matches!(name, "displayName" | "userPrincipalName" | "mailNickname"))
                {
                    return Err(invalid_value(name));
                }
                if name == "userPrincipalName" {
                    check_upn(state, text, id)?;
                }
                if name == "usageLocation" && !text.chars().all(|c| c.is_ascii_alphabetic()) {
                    return Err(invalid_value(name));
                }
                if text.is_empty() { Value::Null } else { Value::String(text.clone()) }
            }
            (Kind::Bool, Value::Bool(flag)) => Value::Bool(*flag),
            (Kind::Phones(max), Value::Array(items)) => {
                if items.len() > max
                    || !items.iter().all(|i| i.as_str().is_some_and(|s| s.chars().count() <= 64))
                {
                    return Err(invalid_value(name));
                }
                Value::Array(items.clone())
            }
            (Kind::Phones(_), Value::Null) => Value::Array(Vec::new()),
            (Kind::DateTime, Value::Null) => Value::Null,
            (Kind::DateTime, Value::String(text)) => {
                match chrono::DateTime::parse_from_rfc3339(text) {
                    Ok(at) => Value::String(
                        at.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    ),
                    Err(_) => {
                        return Err(bad_request(format!(
                            "Cannot convert the literal '{text}' to the expected type 'Edm.DateTimeOffset'."
                        )));
                    }
                }
            }
            (Kind::Password, Value::Object(profile)) => {
                if profile.get("password").and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(invalid_value("passwordProfile"));
                }
                Value::Null
            }
            (Kind::Any, value) => value.clone(),
            _ => return Err(invalid_value(name)),
        };
        out.push((name.to_owned(), value));
    }
    Ok(out)
}

fn check_upn(state: &GraphState, upn: &str, id: &str) -> Result<(), Reply> {
    let Some((local, domain)) = upn.split_once('@') else {
        return Err(invalid_value("userPrincipalName"));
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') || upn.contains(' ') {
        return Err(invalid_value("userPrincipalName"));
    }
    let domains = &state.config.verified_domains;
    if !domains.is_empty() && !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
        return Err(bad_request(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        ));
    }
    if state.users.upn_taken(upn, id) {
        return Err(bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        ));
    }
    Ok(())
}

fn object(call: &Call) -> Result<&Map<String, Value>, Reply> {
    match &call.body {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("Empty Payload. JSON content expected.")),
    }
}

/// `POST /v1.0/users`.
pub(crate) fn create(state: &mut GraphState, call: &Call) -> Reply {
    let body = match object(call) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    for required in
        ["accountEnabled", "displayName", "mailNickname", "passwordProfile", "userPrincipalName"]
    {
        if body.get(required).is_none_or(Value::is_null) {
            return bad_request(format!(
                "Property '{required}' is required when creating the resource 'User'."
            ));
        }
    }
    let id = state.users.new_id();
    let values = match validate(state, body, &id) {
        Ok(values) => values,
        Err(reply) => return reply,
    };
    let mut user = GraphUser { id: id.clone(), ..GraphUser::default() };
    for (name, value) in values {
        user.set_property(&name, value);
    }
    let answer = user.to_json(None);
    match state.users.put(user) {
        Ok(_) => {
            let mut answer = answer;
            answer["@odata.context"] = json!(context(None) + "/$entity");
            Reply::json(201, answer)
                .header("Location", format!("https://graph.microsoft.com/v2/directoryObjects/{id}/Microsoft.DirectoryServices.User"))
        }
        Err(_) => bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        ),
    }
}

/// `PATCH /v1.0/users/{id | userPrincipalName}`.
pub(crate) fn update(state: &mut GraphState, key: &str, call: &Call) -> Reply {
    let Some(id) = state.users.resolve(key) else { return not_found(key) };
    if let Some(reply) = super::accounts::refused(state, &id) {
        return reply;
    }
    let body = match object(call) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    if state.users.admins.contains(&id) && body.keys().any(|k| SENSITIVE.contains(&k.as_str())) {
        return forbidden();
    }
    let values = match validate(state, body, &id) {
        Ok(values) => values,
        Err(reply) => return reply,
    };
    let Some(stored) = state.users.by_id.get(&id) else { return not_found(key) };
    let mut user = stored.user.clone();
    let written: Vec<String> = values.iter().map(|(name, _)| name.clone()).collect();
    for (name, value) in values {
        user.set_property(&name, value);
    }
    match state.users.put(user) {
        Ok(_) => {
            state.users.clear_raw(&id, &written);
            Reply::empty(204)
        }
        Err(_) => bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        ),
    }
}
