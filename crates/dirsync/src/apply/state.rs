//! The state after an apply: links rebuilt from the plan, baselines advanced for the writes that
//! succeeded, the accounts disabled or enabled, and the writes to hold back next time.

use super::units::Ended;
use crate::report::Outcome;
use crate::{
    AccountAction, DisabledAccount, Field, FieldValue, ItemId, Operation, Operations, Plan,
    RecordId, Side, SyncState, quarantine,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// The state after running `ops` of `plan` (out of `planned`, every write it called for) from
/// `old`, and, per operation, whether it was refused again after being held back before.
pub(super) fn advance(
    plan: &Plan,
    planned: &Operations,
    ops: &Operations,
    ended: &[Ended],
    old: &SyncState,
    now: DateTime<Utc>,
) -> (SyncState, Vec<bool>) {
    let mut state = advanced_state(plan, ops, ended, old);
    remember_accounts(&mut state, ops, ended, now);
    let ran: Vec<(&Operation, &Outcome)> =
        ops.operations.iter().zip(ended).map(|(op, end)| (op, &end.outcome)).collect();
    let (held, refused_again) = quarantine::remember(&old.held, planned, &ran, now);
    state.held = held;
    (state, refused_again)
}

/// The state after this run: links rebuilt from the plan, baselines advanced only for writes that
/// succeeded.
fn advanced_state(plan: &Plan, ops: &Operations, ended: &[Ended], old: &SyncState) -> SyncState {
    // For each HR record and field: whether every write of it succeeded, and the value written.
    let mut written: HashMap<(&RecordId, Field), (bool, &FieldValue)> = HashMap::new();
    let hr_of_item: HashMap<&ItemId, &RecordId> =
        plan.changes.iter().map(|c| (&c.id, &c.hr)).collect();
    for (op, end) in ops.operations.iter().zip(ended) {
        if let Operation::Update(update) = op {
            let ok = matches!(end.outcome, Outcome::Done);
            for change in &update.changes {
                let entry = written.entry((&update.hr, change.field)).or_insert((true, &change.to));
                entry.0 &= ok;
            }
        }
    }
    for skipped in &ops.skipped {
        if let Some(hr) = hr_of_item.get(&skipped.item)
            && let Some(entry) = written.get_mut(&(*hr, skipped.field))
        {
            entry.0 = false;
        }
    }

    let mut links = BTreeMap::new();
    for pair in &plan.pairs {
        let mut baseline = pair.agreed.clone();
        for field in Field::ALL {
            if let Some((true, value)) = written.get(&(&pair.hr, field)) {
                // Cannot fail: the value was planned for this field.
                let _ = baseline.set(field, (*value).clone());
            }
        }
        links.insert(pair.hr.clone(), (pair.idp.clone(), baseline));
    }
    for (op, end) in ops.operations.iter().zip(ended) {
        let (Operation::Create(create), Some(record)) = (op, &end.record) else { continue };
        let baseline = create.person.shared_with(&record.person);
        let (hr, idp) = match create.target {
            Side::Idp => (create.source.clone(), record.id.clone()),
            Side::Hr => (record.id.clone(), create.source.clone()),
        };
        links.insert(hr, (idp, baseline));
    }

    let mut state = SyncState {
        cursors: old.cursors.clone(),
        disabled: old.disabled.clone(),
        reported: old.reported.clone(),
        ..SyncState::default()
    };
    for (hr, (idp, baseline)) in links {
        state.link(hr, idp, baseline);
    }
    state.keep_broken_links(&plan.broken_links);
    state.keep_links(&plan.kept_links);
    state
}

/// Remembers the accounts this run disabled (and whose sessions it revoked), and forgets those
/// it enabled again.
fn remember_accounts(state: &mut SyncState, ops: &Operations, ended: &[Ended], now: DateTime<Utc>) {
    for (op, end) in ops.operations.iter().zip(ended) {
        let (Operation::Account(account), Outcome::Done) = (op, &end.outcome) else { continue };
        match account.action {
            AccountAction::Disable => {
                let disabled = DisabledAccount {
                    hr: account.hr.clone(),
                    at: now,
                    reason: account.reason,
                    sessions_revoked: false,
                };
                state.disabled.insert(account.idp.clone(), disabled);
            }
            AccountAction::RevokeSessions => {
                if let Some(disabled) = state.disabled.get_mut(&account.idp) {
                    disabled.sessions_revoked = true;
                }
            }
            AccountAction::Enable => {
                state.disabled.remove(&account.idp);
            }
        }
    }
}
