//! Account control: enabling and disabling sign-in (`accountEnabled`) and revoking a user's
//! sign-in sessions (`revokeSignInSessions`).

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::users::GraphUserId;
use reqwest::Method;
use serde_json::json;
use std::fmt;
use tracing::Instrument;

/// What was asked of one account; [`GraphError::AccountRefused`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountAction {
    /// `accountEnabled: true`.
    Enable,
    /// `accountEnabled: false`.
    Disable,
    /// `revokeSignInSessions`.
    RevokeSessions,
}

impl AccountAction {
    /// What to do when Azure AD refuses the action for one user, in an admin's words.
    ///
    /// The roles are those Microsoft lists under "Who can perform sensitive actions": only a
    /// Privileged Authentication Administrator (or a Global Administrator) may change the
    /// sensitive properties of users who hold admin roles; an app's Graph permissions alone
    /// (`User.ReadWrite.All`, `User.EnableDisableAccount.All`) are not enough for them.
    pub fn remedy(self) -> String {
        let (by_hand, permission) = match self {
            AccountAction::Enable => ("enable it by hand", "User.EnableDisableAccount.All"),
            AccountAction::Disable => ("disable it by hand", "User.EnableDisableAccount.All"),
            AccountAction::RevokeSessions => (
                "revoke them by hand (the user's page → Revoke sessions)",
                "User.RevokeSessions.All",
            ),
        };
        format!(
            "{by_hand} in the Microsoft Entra admin center as a Privileged Authentication \
             Administrator or Global Administrator, or give the app a role that may change \
             administrators' accounts (Privileged Authentication Administrator); if the user \
             holds no admin role, grant the app {permission} or User.ReadWrite.All with admin \
             consent"
        )
    }
}

impl fmt::Display for AccountAction {
    /// The action as it reads before a user: "disable the account of".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountAction::Enable => "enable the account of",
            AccountAction::Disable => "disable the account of",
            AccountAction::RevokeSessions => "revoke the sign-in sessions of",
        })
    }
}

impl GraphClient {
    /// Enables or disables sign-in for one user: `PATCH /users/{id}` with
    /// `{"accountEnabled": enabled}`, through the write budget, retried on 429 and 503 like any
    /// update.
    ///
    /// # Errors
    /// [`GraphError::AccountRefused`] for a 403: `accountEnabled` is a sensitive property, which
    /// the app may not change for a user who holds an admin role. [`GraphError::NotFound`] for a
    /// user that does not exist; otherwise as [`GraphClient::update_user`].
    pub async fn set_account_enabled(
        &self,
        id: &GraphUserId,
        enabled: bool,
    ) -> Result<(), GraphError> {
        let action = if enabled { AccountAction::Enable } else { AccountAction::Disable };
        let url = self.api(&format!("/users/{}", id.path_segment()));
        let body = json!({ "accountEnabled": enabled });
        let call = Call { writes: 1, idempotent: true, body: Some(&body), ..Call::default() };
        let span = tracing::info_span!("account", action = ?action, user = %id);
        async {
            self.call(Method::PATCH, &url, call).await.map_err(|e| refused(e, action, id))?;
            tracing::info!(enabled, "changed whether the Azure AD account can sign in");
            Ok(())
        }
        .instrument(span)
        .await
    }

    /// Signs one user out everywhere: `POST /users/{id}/revokeSignInSessions`, which makes every
    /// refresh token issued to the user invalid (Graph may take a few minutes to apply it).
    ///
    /// Any 2xx is success: v1.0 answers 200 `{"value": true}` where its documentation promises
    /// 204, and Microsoft says to take any 2xx as success. Sent again after a network fault, since
    /// revoking twice does no harm; it counts against the write budget.
    ///
    /// # Errors
    /// [`GraphError::AccountRefused`] for a 403 (most likely a user who holds an admin role),
    /// [`GraphError::NotFound`] for a user that does not exist, or a failed request.
    pub async fn revoke_sign_in_sessions(&self, id: &GraphUserId) -> Result<(), GraphError> {
        let action = AccountAction::RevokeSessions;
        let url = self.api(&format!("/users/{}/revokeSignInSessions", id.path_segment()));
        let call = Call { writes: 1, idempotent: true, ..Call::default() };
        let span = tracing::info_span!("account", action = ?action, user = %id);
        async {
            self.call(Method::POST, &url, call).await.map_err(|e| refused(e, action, id))?;
            tracing::info!("revoked the Azure AD user's sign-in sessions");
            Ok(())
        }
        .instrument(span)
        .await
    }
}

/// A 403 on account control is about this one user: it becomes [`GraphError::AccountRefused`].
fn refused(err: GraphError, action: AccountAction, user: &GraphUserId) -> GraphError {
    match err {
        GraphError::PermissionDenied { details, .. } => {
            GraphError::AccountRefused { action, user: user.clone(), details }
        }
        other => other,
    }
}
