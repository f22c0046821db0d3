//! `/v1.0/users/delta`: a full round ending in a deltaLink, then only what changed since.

use super::errors::{bad_request, error};
use super::state::Change;
use super::users::{context, decode_token, encode_token, parse_select};
use super::{Call, GraphState};
use crate::server::Reply;
use serde_json::{Map, Value, json};
use std::ops::Bound;

/// Where a delta round stands; what its links carry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Position {
    /// `true` in the first (full) round, where `cursor` is the last id served; otherwise `cursor` is
    /// the last change number served.
    initial: bool,
    epoch: u64,
    issued_ms: u64,
    /// The change number this round reads up to (later changes wait for the next round).
    upto: u64,
    /// The change number this round reads from (what the last round read up to).
    since: u64,
    cursor: String,
    select: Option<Vec<&'static str>>,
}

impl Position {
    fn encode(&self) -> String {
        let select = self.select.as_ref().map_or("*".to_owned(), |names| names.join(","));
        let kind = if self.initial { "i" } else { "c" };
        encode_token(&format!(
            "{kind}|{}|{}|{}|{}|{select}|{}",
            self.epoch, self.issued_ms, self.upto, self.since, self.cursor
        ))
    }

    fn decode(token: &str) -> Option<Position> {
        let text = decode_token(token)?;
        let mut parts = text.splitn(7, '|');
        let initial = match parts.next()? {
            "i" => true,
            "c" => false,
            _ => return None,
        };
        let epoch = parts.next()?.parse().ok()?;
        let issued_ms = parts.next()?.parse().ok()?;
        let upto = parts.next()?.parse().ok()?;
        let since = parts.next()?.parse().ok()?;
        let select = match parts.next()? {
            "*" => None,
            names => Some(
                names
                    .split(',')
                    .filter(|n| !n.is_empty())
                    .map(|n| super::state::property_named(n).map(|(c, _)| c))
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        let cursor = parts.next()?.to_owned();
        Some(Position { initial, epoch, issued_ms, upto, since, cursor, select })
    }
}

fn expired() -> Reply {
    error(
        410,
        "syncStateNotFound",
        "The sync state generation is not found. The token has expired: start a new round of delta query without a token.",
    )
}

/// `GET /v1.0/users/delta` with no token, a `$skiptoken` or a `$deltatoken`.
pub(crate) fn delta(state: &GraphState, call: &Call) -> Reply {
    let now_ms = u64::try_from(state.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let position = match position(state, call, now_ms) {
        Ok(Some(position)) => position,
        Ok(None) => return latest(state, call, now_ms),
        Err(reply) => return reply,
    };
    let (value, next_cursor) = if position.initial {
        first_round(state, &position)
    } else {
        changes(state, call, &position)
    };
    match next_cursor {
        Some(cursor) => {
            let next = Position { cursor, ..position.clone() };
            page(state, value, Some(&next), None, position.select.as_deref())
        }
        None => {
            let done = Position {
                initial: false,
                cursor: position.upto.to_string(),
                issued_ms: now_ms,
                ..position.clone()
            };
            page(state, value, None, Some(&done), position.select.as_deref())
        }
    }
}

/// Where the request reads from; `None` for `$deltatoken=latest` (a link and no data).
fn position(state: &GraphState, call: &Call, now_ms: u64) -> Result<Option<Position>, Reply> {
    let delta = call.param("$deltatoken");
    match (call.param("$skiptoken"), delta) {
        (Some(_), Some(_)) => {
            Err(bad_request("A request cannot carry both a skip token and a delta token."))
        }
        (None, Some("latest")) => Ok(None),
        (None, None) => Ok(Some(Position {
            initial: true,
            epoch: state.delta_epoch,
            issued_ms: now_ms,
            upto: state.users.seq,
            since: 0,
            cursor: String::new(),
            select: parse_select(call)?,
        })),
        (Some(token), None) | (None, Some(token)) => {
            let Some(mut position) = Position::decode(token) else { return Err(expired()) };
            let too_old = state.config.delta_token_ttl.is_some_and(|ttl| {
                now_ms.saturating_sub(position.issued_ms) > ttl.as_millis() as u64
            });
            if position.epoch != state.delta_epoch || too_old {
                return Err(expired());
            }
            if delta.is_some() {
                // A new round: everything changed after the last one, up to now.
                position.initial = false;
                position.since = position.upto;
                position.cursor = position.upto.to_string();
                position.upto = state.users.seq;
                position.issued_ms = now_ms;
            }
            Ok(Some(position))
        }
    }
}

/// `$deltatoken=latest`: a deltaLink from now, with no data.
fn latest(state: &GraphState, call: &Call, now_ms: u64) -> Reply {
    let select = match parse_select(call) {
        Ok(select) => select,
        Err(reply) => return reply,
    };
    let at = Position {
        initial: false,
        epoch: state.delta_epoch,
        issued_ms: now_ms,
        upto: state.users.seq,
        since: state.users.seq,
        cursor: state.users.seq.to_string(),
        select,
    };
    page(state, Vec::new(), None, Some(&at), at.select.as_deref())
}

/// A page of the first round: every user, in id order, after the cursor; and where the next
/// page starts, if there is one.
fn first_round(state: &GraphState, position: &Position) -> (Vec<Value>, Option<String>) {
    let size = state.config.delta_page_size.max(1);
    let mut value = Vec::with_capacity(size);
    let range = state
        .users
        .by_id
        .range::<str, _>((Bound::Excluded(position.cursor.as_str()), Bound::Unbounded));
    let mut last_id: Option<&String> = None;
    for (id, stored) in range {
        if value.len() == size {
            return (value, last_id.cloned());
        }
        value.push(stored.to_json(position.select.as_deref()));
        last_id = Some(id);
    }
    (value, None)
}

/// A page of a later round: what changed after the cursor, up to the round's end; and where the
/// next page starts, if there is one.
fn changes(state: &GraphState, call: &Call, position: &Position) -> (Vec<Value>, Option<String>) {
    let size = state.config.delta_page_size.max(1);
    let mut value = Vec::with_capacity(size);
    let from: u64 = position.cursor.parse().unwrap_or(0);
    let mut last = from;
    let upto = position.upto.max(from);
    for (seq, change) in state.users.changes.range((Bound::Excluded(from), Bound::Included(upto))) {
        if value.len() == size {
            return (value, Some(last.to_string()));
        }
        last = *seq;
        value.push(match change {
            Change::Updated(id) => match state.users.by_id.get(id) {
                Some(stored) if call.minimal => {
                    stored.changed_since(position.since, position.select.as_deref())
                }
                Some(stored) => stored.to_json(position.select.as_deref()),
                None => removed(id),
            },
            Change::Deleted(id) => removed(id),
        });
    }
    (value, None)
}

fn removed(id: &str) -> Value {
    json!({"id": id, "@removed": {"reason": "deleted"}})
}

fn page(
    state: &GraphState,
    value: Vec<Value>,
    next: Option<&Position>,
    delta: Option<&Position>,
    select: Option<&[&'static str]>,
) -> Reply {
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context(select)));
    if let Some(next) = next {
        body.insert(
            "@odata.nextLink".into(),
            json!(format!("{}/v1.0/users/delta?$skiptoken={}", state.base, next.encode())),
        );
    }
    if let Some(delta) = delta {
        body.insert(
            "@odata.deltaLink".into(),
            json!(format!("{}/v1.0/users/delta?$deltatoken={}", state.base, delta.encode())),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Reply::json(200, Value::Object(body))
}
