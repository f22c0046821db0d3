//! `POST /v1.0/$batch`: up to 20 inner requests, each answered on its own.

use super::errors::{error, server_error, throttled};
use super::{Call, GraphState, classify};
use crate::Route;
use crate::faults::Fault;
use crate::server::{Common, Reply, segments};
use rand::seq::SliceRandom;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The most requests one batch may hold.
const MAX_REQUESTS: usize = 20;

fn invalid(message: &str) -> Reply {
    error(400, "BadRequest", message)
}

/// Runs a batch against the state; every inner request is counted, may draw a fault and spends
/// the write budget like a request of its own.
pub(crate) fn batch(state: &mut GraphState, common: &Common, call: &Call) -> Reply {
    let Some(requests) =
        call.body.as_ref().and_then(|b| b.get("requests")).and_then(Value::as_array)
    else {
        return invalid("Invalid batch payload format.");
    };
    if requests.is_empty() {
        return invalid("Invalid batch payload format: the batch holds no requests.");
    }
    if requests.len() > MAX_REQUESTS {
        return invalid(&format!(
            "The batch holds {} requests; the maximum is {MAX_REQUESTS}.",
            requests.len()
        ));
    }
    let mut ids = Vec::with_capacity(requests.len());
    for request in requests {
        let Some(id) = request.get("id").and_then(Value::as_str) else {
            return invalid("Invalid batch payload format: every request needs an id.");
        };
        if ids.contains(&id) {
            return invalid(&format!("Batch request ids must be unique; '{id}' repeats."));
        }
        if request.get("method").and_then(Value::as_str).is_none()
            || request.get("url").and_then(Value::as_str).is_none()
        {
            return invalid(
                "Invalid batch payload format: every request needs a method and a url.",
            );
        }
        ids.push(id);
    }
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        let id = request["id"].as_str().unwrap_or_default().to_owned();
        let failed_dependency = request
            .get("dependsOn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|dep| !statuses.get(dep).is_some_and(|s| (200..300).contains(s)));
        let reply = if failed_dependency {
            error(424, "FailedDependency", "A request this one depends on failed.")
        } else {
            inner(state, common, request)
        };
        statuses.insert(id.clone(), reply.status);
        responses.push(answer(id, reply));
    }
    if state.config.shuffle_batch_responses {
        responses.shuffle(&mut state.users.rng);
    }
    Reply::json(200, json!({ "responses": responses }))
}

fn inner(state: &mut GraphState, common: &Common, request: &Value) -> Reply {
    let method = request["method"].as_str().unwrap_or_default().to_ascii_uppercase();
    let raw_url = request["url"].as_str().unwrap_or_default();
    if raw_url.contains("://") {
        return error(
            400,
            "BadRequest",
            "A batched request's url must be relative, such as /users/{id}.",
        );
    }
    let Ok(url) = url::Url::parse(&format!("http://graph/{}", raw_url.trim_start_matches('/')))
    else {
        return error(400, "BadRequest", "Invalid request url.");
    };
    let body = request.get("body").cloned();
    let has_content_type = header(request, "content-type").is_some();
    let write = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
    if write && (!has_content_type || body.is_none()) {
        let id = request["id"].as_str().unwrap_or_default();
        return error(
            400,
            "BadRequest",
            format!("Write request id : {id} does not contain Content-Type header or body."),
        );
    }
    if body.is_some() && !has_content_type {
        return error(
            400,
            "BadRequest",
            "A batched request with a body needs a Content-Type header.",
        );
    }
    let segments = segments(url.path());
    let route = classify(&method, &segments, false);
    common.counters.batched(route);
    let fault = crate::server::lock(&common.faults).next(route);
    let apply_then_fail = match fault {
        None => false,
        Some(fault) => {
            common.counters.fault();
            match fault {
                Fault::Throttle { retry_after_secs } => return throttled(retry_after_secs),
                Fault::ServerError { status } => return server_error(status),
                Fault::DropConnection => return server_error(504),
                Fault::DropAfterApply => true,
            }
        }
    };
    if route == Route::Batch {
        return error(400, "BadRequest", "A batch cannot hold another batch.");
    }
    let call = Call {
        segments,
        query: url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        body,
        eventual: header(request, "consistencylevel")
            .is_some_and(|v| v.eq_ignore_ascii_case("eventual")),
        minimal: header(request, "prefer")
            .is_some_and(|v| v.to_ascii_lowercase().contains("return=minimal")),
    };
    let reply = super::api(state, common, route, &call);
    if apply_then_fail { server_error(504) } else { reply }
}

/// A header of an inner request, by name without case.
fn header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    let headers = request.get("headers")?.as_object()?;
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
}

fn answer(id: String, reply: Reply) -> Value {
    let mut headers = Map::new();
    for (name, value) in reply.headers {
        headers.insert(name, Value::String(value));
    }
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id));
    out.insert("status".into(), json!(reply.status));
    if let Some(body) = reply.body {
        headers.insert("Content-Type".into(), json!("application/json; odata.metadata=minimal"));
        out.insert("headers".into(), Value::Object(headers));
        out.insert("body".into(), body);
    } else {
        out.insert("headers".into(), Value::Object(headers));
    }
    Value::Object(out)
}
