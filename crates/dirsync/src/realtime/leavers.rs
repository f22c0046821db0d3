//! Leavers in real time: a person deleted or made inactive in the HR system has their account
//! disabled at once, with the same rules and the same memory as a sync.

use super::push::{PersonPush, PushAction, PushSummary, RealtimePush};
use crate::{
    AccountAction, AccountReason, DisabledAccount, ErrorChain, Record, RecordId, StateChanges,
    SyncState, default_max_disables,
};
use chrono::Utc;

impl RealtimePush<'_> {
    /// The account change `hr`'s state calls for on their `twin`, if any: disable a leaver's
    /// account, enable again one the sync disabled.
    pub(super) fn account_change(
        &self,
        hr: &Record,
        twin: &Record,
        state: &SyncState,
    ) -> Option<AccountAction> {
        if !self.leavers.disable || !self.directories.idp.capabilities().can_disable {
            return None;
        }
        match (hr.active, twin.active) {
            (false, true) => Some(AccountAction::Disable),
            (true, false) if state.disabled.contains_key(&twin.id) => Some(AccountAction::Enable),
            _ => None,
        }
    }

    /// Disables `twin`, the account of the HR person `hr` who left, signs it out when
    /// configured, and remembers it in the state.
    pub(super) async fn leave(
        &self,
        out: PersonPush,
        hr: &RecordId,
        twin: &Record,
        reason: AccountReason,
    ) -> PersonPush {
        let idp = self.directories.idp;
        let names = self.directories.names();
        if let Err(e) = idp.set_enabled(&twin.id, false).await {
            let detail = format!(
                "{} refused to disable the account {}: {}",
                names.idp,
                twin.id,
                ErrorChain(&e)
            );
            return out.with_detail(PushAction::Failed, detail);
        }
        let revoke = self.leavers.revoke_sessions && idp.capabilities().can_revoke_sessions;
        let revoked = match revoke.then(|| idp.revoke_sessions(&twin.id)) {
            Some(revoking) => revoking.await.map_err(|e| ErrorChain(&e).to_string()),
            None => Err(String::new()),
        };
        let disabled = DisabledAccount {
            hr: hr.clone(),
            at: Utc::now(),
            reason,
            sessions_revoked: revoked.is_ok(),
        };
        self.save_disabled(&twin.id, Some(disabled)).await;
        let sessions = match (&revoked, revoke) {
            (Ok(()), _) => " and its sign-in sessions revoked".to_owned(),
            (Err(e), true) => format!(
                "; its sign-in sessions could not be revoked ({e}), the next sync tries again"
            ),
            (Err(_), false) => String::new(),
        };
        let detail = format!(
            "{}: the account {} in {} was disabled{sessions}",
            reason.explain(&names),
            twin.id,
            names.idp
        );
        out.with_detail(PushAction::Disabled, detail)
    }

    /// Enables again `twin`, which the sync disabled when `hr` left, and forgets it; the person
    /// as it went wrong otherwise.
    pub(super) async fn enable(&self, hr: &Record, twin: &Record) -> Result<(), Box<PersonPush>> {
        let names = self.directories.names();
        if let Err(e) = self.directories.idp.set_enabled(&twin.id, true).await {
            let detail = format!(
                "{} refused to enable the account {} again: {}",
                names.idp,
                twin.id,
                ErrorChain(&e)
            );
            let out = PersonPush::new(hr.id.clone()).with_detail(PushAction::Failed, detail);
            return Err(Box::new(out));
        }
        tracing::info!(hr = %hr.id, idp = %twin.id, "account enabled again");
        self.save_disabled(&twin.id, None).await;
        Ok(())
    }

    /// Why an event that may disable `leaving` accounts disables none, when that is over the
    /// limit ([`RealtimePush::with_max_disables`], by default [`default_max_disables`] of the
    /// linked people).
    pub(super) fn over_disable_limit(&self, leaving: usize, state: &SyncState) -> Option<String> {
        let max = self.max_disables.unwrap_or_else(|| default_max_disables(state.links.len()));
        if !self.leavers.disable || leaving <= max {
            return None;
        }
        tracing::warn!(leaving, max, "event refused by the threshold on disabled accounts");
        Some(format!(
            "the event would disable {leaving} accounts, more than the {max} one event may \
             disable; nobody was disabled: run a sync to see the list, then raise the limit if it \
             is meant"
        ))
    }

    /// Disables the accounts of the HR people `hr_ids`, whom an event says were deleted: each is
    /// read again (one still active is no leaver), and only linked accounts are disabled.
    pub(super) async fn disable_deleted(&self, hr_ids: &[RecordId]) -> PushSummary {
        let state = self.state().await;
        let linked = hr_ids.iter().filter(|id| state.links.contains_key(*id)).count();
        if let Some(detail) = self.over_disable_limit(linked, &state) {
            let people = hr_ids
                .iter()
                .map(|id| PersonPush::new(id.clone()).with_detail(PushAction::Failed, &*detail))
                .collect();
            return PushSummary { people };
        }
        let mut people = Vec::with_capacity(hr_ids.len());
        for id in hr_ids {
            let pushed = self.disable_one(id, &state).await;
            tracing::info!(hr = %pushed.hr, idp = ?pushed.idp, action = ?pushed.action, "leaver");
            people.push(pushed);
        }
        PushSummary { people }
    }

    async fn disable_one(&self, id: &RecordId, state: &SyncState) -> PersonPush {
        let names = self.directories.names();
        let mut out = PersonPush::new(id.clone());
        let reason = match self.directories.hr.get(id).await {
            Ok(None) => AccountReason::GoneFromHr,
            Ok(Some(record)) if record.is_unreadable() => {
                let detail = format!(
                    "the person's record in {} cannot be understood, so whether they left cannot \
                     be told; nothing done",
                    names.hr
                );
                return out.with_detail(PushAction::Unreadable, detail);
            }
            Ok(Some(record)) if !record.active => AccountReason::InactiveInHr,
            Ok(Some(_)) => {
                let detail = format!("still active in {}: not a leaver, nothing done", names.hr);
                return out.with_detail(PushAction::Unchanged, detail);
            }
            Err(e) => {
                let detail =
                    format!("could not read the person in {}: {}", names.hr, ErrorChain(&e));
                return out.with_detail(PushAction::Failed, detail);
            }
        };
        let Some(link) = state.links.get(id) else {
            let detail = format!("not linked to an account in {}: nothing to disable", names.idp);
            return out.with_detail(PushAction::Gone, detail);
        };
        out.idp = Some(link.idp.clone());
        match self.directories.idp.get(&link.idp).await {
            Ok(Some(twin)) if twin.is_unreadable() => {
                let detail =
                    format!("the account in {} cannot be understood; nothing done", names.idp);
                out.with_detail(PushAction::Unreadable, detail)
            }
            Ok(Some(twin)) if twin.active => self.leave(out, id, &twin, reason).await,
            Ok(Some(_)) => {
                let detail = format!("the account in {} is disabled already", names.idp);
                out.with_detail(PushAction::Inactive, detail)
            }
            Ok(None) => {
                let detail =
                    format!("the linked account {} no longer exists in {}", link.idp, names.idp);
                out.with_detail(PushAction::DeletedInIdp, detail)
            }
            Err(e) => {
                let detail = format!(
                    "could not read the account {} in {}: {}",
                    link.idp,
                    names.idp,
                    ErrorChain(&e)
                );
                out.with_detail(PushAction::Failed, detail)
            }
        }
    }

    /// Remembers (or forgets) the account `idp` as disabled by the sync, if there is a store.
    async fn save_disabled(&self, idp: &RecordId, account: Option<DisabledAccount>) {
        let Some(store) = self.store else { return };
        let mut changes = StateChanges::new();
        changes.disabled.insert(idp.clone(), account);
        if let Err(e) = store.commit(&changes).await {
            tracing::warn!(error = %ErrorChain(&e), "the disabled account could not be remembered in the state");
        }
    }
}
