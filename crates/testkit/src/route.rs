//! The kinds of request the fakes tell apart, for counters and for aiming faults.

use std::fmt;

/// One kind of request. The two fakes share this list: `ListUsers` is Graph's `GET /v1.0/users` on
/// [`FakeGraph`](crate::FakeGraph) and Huma's `GET /users` on [`FakeHuma`](crate::FakeHuma).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Route {
    /// The token endpoint (Graph: `POST /{tenant}/oauth2/v2.0/token`; Huma: `POST /auth/oauth/token`).
    Token,
    /// A page of the user list (Graph `GET /v1.0/users`, Huma `GET /users`).
    ListUsers,
    /// One user (Graph `GET /v1.0/users/{id}`, Huma `GET /users/{id}`).
    GetUser,
    /// A creation (Graph `POST /v1.0/users`, Huma `POST /users`).
    CreateUser,
    /// An update (Graph `PATCH /v1.0/users/{id}`, Huma `PATCH /users/{id}`).
    UpdateUser,
    /// A page of Graph's delta query (`GET /v1.0/users/delta`, its nextLinks and deltaLinks).
    Delta,
    /// Graph's `POST /v1.0/$batch` (the outer request; inner requests count under their own route).
    Batch,
    /// Huma `GET /users/{userId}/positions`.
    ListPositions,
    /// Huma `GET /users/{userId}/positions/{id}`.
    GetPosition,
    /// Huma `POST /users/{userId}/positions`.
    CreatePosition,
    /// Huma `PATCH /users/{userId}/positions/{id}`.
    UpdatePosition,
    /// Huma `GET /job-titles`.
    ListJobTitles,
    /// Huma `GET /job-titles/{id}`.
    GetJobTitle,
    /// Huma `POST /job-titles`.
    CreateJobTitle,
    /// Graph's `POST /v1.0/users/{id}/sendMail`.
    SendMail,
    /// Graph's `POST /v1.0/users/{id}/revokeSignInSessions`.
    RevokeSessions,
    /// Anything else (answered 404 or 405 the way the service would).
    Other,
    /// A page of Graph's `GET /v1.0/groups/{id}/transitiveMembers` (also cast to
    /// `microsoft.graph.user`).
    ListGroupMembers,
    /// Graph's `POST /v1.0/groups/{id}/members/$ref`.
    AddGroupMember,
    /// Graph's `POST /v1.0/users/{id}/checkMemberGroups`.
    CheckMemberGroups,
    /// Huma's `GET /groups/{id}` (a team, location or company).
    GetGroup,
}

impl Route {
    /// Every route, in a fixed order.
    pub const ALL: [Route; 21] = [
        Route::Token,
        Route::ListUsers,
        Route::GetUser,
        Route::CreateUser,
        Route::UpdateUser,
        Route::Delta,
        Route::Batch,
        Route::ListPositions,
        Route::GetPosition,
        Route::CreatePosition,
        Route::UpdatePosition,
        Route::ListJobTitles,
        Route::GetJobTitle,
        Route::CreateJobTitle,
        Route::SendMail,
        Route::RevokeSessions,
        Route::Other,
        Route::ListGroupMembers,
        Route::AddGroupMember,
        Route::CheckMemberGroups,
        Route::GetGroup,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Whether the route changes data (what Graph's write budget counts; revoking sessions is a
    /// POST to a user, which Graph counts as a write).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Route::CreateUser
                | Route::UpdateUser
                | Route::RevokeSessions
                | Route::AddGroupMember
                | Route::CreatePosition
                | Route::UpdatePosition
                | Route::CreateJobTitle
        )
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
