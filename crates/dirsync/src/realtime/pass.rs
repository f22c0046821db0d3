//! One person through the sync's own engine: a snapshot of one HR record and its twin, the part
//! of the state that concerns them, the writes toward the identity directory only, and the
//! state's changes committed.

use crate::apply::{Writes, apply_writes};
use crate::{
    ApplyError, ApplyOptions, ConflictRule, CreationRule, DirectoryPair, ErrorChain, Leavers,
    MissingRule, Plan, Policy, Record, RecordId, Report, Scope, Side, SkippedWrite, Snapshot,
    StateChanges, StateStore, SyncState, reconcile,
};
use chrono::{DateTime, Utc};

/// What one pass of the engine planned and did.
pub(super) struct Pass {
    /// The plan for this one person.
    pub(super) plan: Plan,
    /// Writes the plan calls for toward the identity directory that cannot be made, and why.
    pub(super) skipped: Vec<SkippedWrite>,
    /// How the writes went (refused credentials included, with the report).
    pub(super) applied: Result<Report, ApplyError>,
}

/// The rules a push runs the engine with: the HR system's values win, missing values are filled
/// (toward the identity directory only: only its writes are made), people are created there with
/// auto-provisioning, and the sync's scope and leaver rules hold.
pub(super) fn push_policy(create: bool, scope: Scope, leavers: Leavers) -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        missing: MissingRule::Fill,
        create_in_idp: if create { CreationRule::All } else { CreationRule::None },
        create_in_hr: CreationRule::None,
        scope,
        leavers,
        ..Policy::default()
    }
}

/// The part of `state` that concerns the HR record `hr` and the account `twin`: its link, the
/// account's memory of being disabled, and the writes held back for either.
fn concerning(state: &SyncState, hr: &RecordId, twin: Option<&RecordId>) -> SyncState {
    let mine = |record: &RecordId| record == hr || Some(record) == twin;
    let mut part = SyncState::new();
    if let Some(link) = state.links.get(hr) {
        part.links.insert(hr.clone(), link.clone());
    }
    if let Some(twin) = twin
        && let Some(disabled) = state.disabled.get(twin)
    {
        part.disabled.insert(twin.clone(), disabled.clone());
    }
    part.held = state.held.iter().filter(|held| mine(&held.record)).cloned().collect();
    part
}

/// Runs the engine for the HR record `id` (`hr`, or none when it is gone) and its `twin`, makes
/// the identity directory's writes, and commits what changed in `state` to `store`.
pub(super) async fn run(
    directories: DirectoryPair<'_>,
    store: Option<&dyn StateStore>,
    policy: &Policy,
    (id, hr, twin): (&RecordId, Option<&Record>, Option<&Record>),
    state: &SyncState,
    now: DateTime<Utc>,
) -> Pass {
    let before = concerning(state, id, twin.map(|t| &t.id));
    // Each record was read by id: a linked one not found is gone, whatever the scope.
    let snapshot = |side: Side, record: Option<&Record>, linked: Option<&RecordId>| {
        let directory = directories.get(side);
        let gone = linked.filter(|linked| record.is_none_or(|r| &r.id != *linked));
        Snapshot {
            name: directory.name().to_owned(),
            capabilities: directory.capabilities(),
            records: record.cloned().into_iter().collect(),
            scope: directory.scope(),
            gone: gone.cloned().into_iter().collect(),
        }
    };
    let linked = before.links.get(id).map(|link| &link.idp);
    let (hr, idp) = (snapshot(Side::Hr, hr, Some(id)), snapshot(Side::Idp, twin, linked));
    let plan = reconcile(&hr, &idp, &before, policy);
    let writes = match Writes::of(&plan, &before.held, now, false) {
        Ok(writes) => writes.toward(Side::Idp),
        Err(pending) => {
            return Pass { plan, skipped: Vec::new(), applied: Err(ApplyError::Pending(pending)) };
        }
    };
    let skipped = writes.to_make().skipped.clone();
    let mut after = before.clone();
    let options = ApplyOptions::default().with_concurrency(1).with_now(now);
    let applied = apply_writes(&plan, writes, directories, &mut after, &options).await;
    commit(store, &StateChanges::between(&before, &after)).await;
    Pass { plan, skipped, applied }
}

/// Commits `changes` to `store`, if there is one and they change something; a state that cannot
/// be written is logged: the writes were made, and the next sync pairs by key.
async fn commit(store: Option<&dyn StateStore>, changes: &StateChanges) {
    let Some(store) = store.filter(|_| !changes.is_empty()) else { return };
    if let Err(e) = store.commit(changes).await {
        tracing::warn!(error = %ErrorChain(&e), "the push's changes to the state could not be saved");
    }
}
