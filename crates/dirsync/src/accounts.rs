//! Leavers: identity-directory accounts disabled when their person leaves the HR system, enabled
//! again when they return, and what the sync remembers of the accounts it disabled.

use crate::{ItemId, Names, RecordId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What is done to an identity-directory account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    /// Disable the account (Azure AD: `accountEnabled: false`); never delete it.
    Disable,
    /// Sign the user out everywhere (Azure AD: `revokeSignInSessions`).
    RevokeSessions,
    /// Enable again an account the sync disabled.
    Enable,
}

impl AccountAction {
    /// A short description for people: "disable the account".
    pub fn describe(self) -> &'static str {
        match self {
            AccountAction::Disable => "disable the account",
            AccountAction::RevokeSessions => "revoke the sign-in sessions",
            AccountAction::Enable => "enable the account again",
        }
    }
}

impl fmt::Display for AccountAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why an account is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountReason {
    /// The person is inactive in the HR system.
    InactiveInHr,
    /// The person's HR record was deleted while linked to this account.
    GoneFromHr,
    /// The person is active again in the HR system, and the sync had disabled the account.
    ActiveAgainInHr,
    /// The account was disabled, but its sessions have not been revoked yet.
    SessionsNotRevoked,
    /// The person left the scope of one side (see [`crate::policy::Scope::disable_out_of_scope`]).
    LeftScope,
    /// The person is back in the scope, and the sync had disabled the account when they left it.
    BackInScope,
}

impl AccountReason {
    /// The reason for a person to read, naming the systems by `names`.
    pub fn explain(self, names: &Names) -> String {
        match self {
            AccountReason::InactiveInHr => format!("inactive in {}", names.hr),
            AccountReason::GoneFromHr => format!("no longer in {}", names.hr),
            AccountReason::ActiveAgainInHr => format!(
                "active again in {}; the sync had disabled the account in {}",
                names.hr, names.idp
            ),
            AccountReason::SessionsNotRevoked => {
                "disabled earlier, but the sign-in sessions were not revoked then".to_owned()
            }
            AccountReason::LeftScope => "left the scope of the sync".to_owned(),
            AccountReason::BackInScope => format!(
                "back in the scope of the sync; the sync had disabled the account in {} when \
                 they left it",
                names.idp
            ),
        }
    }
}

/// One change to a leaver's (or returner's) account, planned by [`crate::plan::reconcile`] from the
/// policy's [`crate::policy::Leavers`], and the write that makes it ([`crate::plan::Operation::Account`]). The policy settles it: there is nothing to decide, but the
/// number of accounts one run may disable is bounded ([`crate::apply::ApplyOptions::max_disables`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChange {
    /// A stable id.
    pub id: ItemId,
    /// The HR record (it may no longer exist: see [`AccountReason::GoneFromHr`]).
    pub hr: RecordId,
    /// The identity directory's account.
    pub idp: RecordId,
    /// The person's name.
    pub name: String,
    /// What is done.
    pub action: AccountAction,
    /// Why.
    pub reason: AccountReason,
}

/// An account the sync disabled, remembered in [`crate::store::SyncState::disabled`] so that only such
/// accounts are ever enabled again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisabledAccount {
    /// The HR record of the person.
    pub hr: RecordId,
    /// When it was disabled.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: AccountReason,
    /// Whether the sign-in sessions were revoked too.
    #[serde(default)]
    pub sessions_revoked: bool,
}

/// The default of [`crate::apply::ApplyOptions::max_disables`]: 10 accounts, or 5 % of the `linked`
/// people, whichever is larger, like Entra's accidental-deletion threshold.
///
/// ```
/// assert_eq!(dirsync::apply::default_max_disables(40), 10);
/// assert_eq!(dirsync::apply::default_max_disables(1_000), 50);
/// ```
pub fn default_max_disables(linked: usize) -> usize {
    (linked / 20).max(10)
}
