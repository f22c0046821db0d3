//! Account control: enabling and disabling sign-in (`accountEnabled`) and revoking a user's
//! sign-in sessions (`revokeSignInSessions`).

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::model::AccountAction;
use reqwest::Method;
use serde_json::json;
use tracing::Instrument;

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
        let call = Call { writes: 1, idempotent: Some(true), body: Some(&body), ..Call::default() };
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
        // Revoking twice does no harm; it goes without a body, with `Content-Length: 0`.
        let call = Call { writes: 1, idempotent: Some(true), ..Call::default() };
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
