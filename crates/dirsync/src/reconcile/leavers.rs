//! Leavers and returners: which identity-directory accounts to disable, sign out or enable again,
//! as the policy's [`crate::policy::Leavers`] says.

use super::pairing::{Broken, PairedRecords};
use super::{Input, name_of};
use crate::{AccountAction, AccountChange, AccountReason, ItemId, Record, Side, SyncState};

/// The account changes for the `pairs` and for the `broken` links whose HR record is gone, by
/// account, disable before revoke before enable.
pub(super) fn plan(
    input: &Input<'_>,
    state: &SyncState,
    pairs: &[PairedRecords<'_>],
    broken: &[Broken<'_>],
) -> Vec<AccountChange> {
    let leavers = input.policy.leavers;
    let caps = &input.idp.capabilities;
    if !leavers.disable || !caps.can_disable {
        return Vec::new();
    }
    let revoke = leavers.revoke_sessions && caps.can_revoke_sessions;
    let mut changes = Vec::new();
    let mut plan_for = |hr_id: &crate::RecordId, hr: Option<&Record>, idp: &Record| {
        if idp.is_unreadable() {
            return; // Whether it is enabled cannot be known.
        }
        let name = name_of(hr.unwrap_or(idp));
        let mut add = |action, reason| {
            let what = format!("{action:?}");
            changes.push(AccountChange {
                id: ItemId::derive("acct", &[idp.id.as_str(), &what]),
                hr: hr_id.clone(),
                idp: idp.id.clone(),
                name: name.clone(),
                action,
                reason,
            });
        };
        let disabled_by_sync = state.disabled.get(&idp.id);
        // Outside the scope, an account is changed only when the policy disables people who
        // left the scope; excluded accounts never take part in a pair.
        let outside = !idp.scope.is_in() || hr.is_some_and(|hr| !hr.scope.is_in());
        if outside && !input.policy.scope.disable_out_of_scope {
            return;
        }
        let left = match hr {
            None => Some(AccountReason::GoneFromHr),
            Some(_) if outside => Some(AccountReason::LeftScope),
            Some(hr) if !hr.active => Some(AccountReason::InactiveInHr),
            Some(_) => None,
        };
        match (left, idp.active) {
            (Some(reason), true) => {
                add(AccountAction::Disable, reason);
                if revoke {
                    add(AccountAction::RevokeSessions, reason);
                }
            }
            (Some(_), false) => {
                if revoke && disabled_by_sync.is_some_and(|d| !d.sessions_revoked) {
                    add(AccountAction::RevokeSessions, AccountReason::SessionsNotRevoked);
                }
            }
            // Only an account the sync disabled is enabled again; one an administrator
            // disabled by hand stays disabled.
            (None, false) if disabled_by_sync.is_some() => {
                let reason = match disabled_by_sync.map(|d| d.reason) {
                    Some(AccountReason::LeftScope) => AccountReason::BackInScope,
                    _ => AccountReason::ActiveAgainInHr,
                };
                add(AccountAction::Enable, reason);
            }
            (None, _) => {}
        }
    };
    for pair in pairs.iter().filter(|p| !p.unreadable) {
        let hr = input.record(Side::Hr, pair.hr);
        plan_for(&hr.id, Some(hr), input.record(Side::Idp, pair.idp));
    }
    for gone in broken.iter().filter(|b| b.left == Side::Idp) {
        plan_for(gone.hr, None, input.record(Side::Idp, gone.index));
    }
    changes.sort_by(|a, b| (&a.idp, a.action).cmp(&(&b.idp, b.action)));
    changes
}
