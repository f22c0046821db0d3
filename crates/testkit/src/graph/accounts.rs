//! Account control and the per-user refusals tests set: `POST /users/{id}/revokeSignInSessions`,
//! and the answer a write to one user gets instead of being carried out.

use super::errors::{error, forbidden, not_found};
use super::{Call, GraphState};
use crate::server::Reply;
use serde_json::json;

/// The error every write to one user answers, until taken back
/// ([`FakeGraph::refuse_writes`](crate::FakeGraph::refuse_writes)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
}

/// The refusal set for the user `id`, as Graph's error answer, if there is one.
pub(crate) fn refused(state: &GraphState, id: &str) -> Option<Reply> {
    state.refusals.get(id).map(|r| error(r.status, &r.code, r.message.clone()))
}

/// `POST /v1.0/users/{id | userPrincipalName}/revokeSignInSessions`: 200 `{"value": true}` as
/// Graph answers in v1.0 (its documentation calls the 200 a known issue and says to take any 2xx
/// as success); 403 for a user who holds an admin role, as for the sensitive properties.
pub(crate) fn revoke_sessions(state: &mut GraphState, key: &str, _call: &Call) -> Reply {
    let Some(id) = state.users.resolve(key) else { return not_found(key) };
    if let Some(reply) = refused(state, &id) {
        return reply;
    }
    if state.users.admins.contains(&id) {
        return forbidden();
    }
    *state.revocations.entry(id).or_default() += 1;
    Reply::json(
        200,
        json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean",
            "value": true,
        }),
    )
}
