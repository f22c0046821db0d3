//! The units of work of an apply, and running one: a create, a batch of updates to one side, or
//! one account's changes in order.

use crate::report::Outcome;
use crate::{
    AccountAction, AccountChange, Create, Directory, DirectoryError, ErrorKind, FieldChange,
    Operation, Record, RecordId, Side, Update,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// How one operation ended, with the record it produced or found (for a create).
pub(super) struct Ended {
    pub(super) outcome: Outcome,
    pub(super) record: Option<Record>,
    pub(super) fatal: Option<DirectoryError>,
}

impl Ended {
    pub(super) fn done(record: Option<Record>) -> Self {
        Ended { outcome: Outcome::Done, record, fatal: None }
    }

    pub(super) fn failed(error: DirectoryError) -> Self {
        let outcome = Outcome::failed(&error);
        let fatal = error.kind().is_fatal().then_some(error);
        Ended { outcome, record: None, fatal }
    }

    pub(super) fn skipped(reason: String, record: Option<Record>) -> Self {
        Ended { outcome: Outcome::Skipped { reason }, record, fatal: None }
    }
}

/// The units of work: each create alone; updates of one side in groups of that directory's
/// [`Directory::batch_size`], so a directory that writes many people per request (Graph's
/// `$batch`) gets them together.
pub(super) fn units<'d>(
    operations: &[Operation],
    directory: impl Fn(Side) -> &'d dyn Directory,
) -> Vec<Vec<usize>> {
    let mut units = Vec::new();
    for side in Side::BOTH {
        let size = directory(side).batch_size().max(1);
        let updates: Vec<usize> = (0..operations.len())
            .filter(|&i| matches!(&operations[i], Operation::Update(u) if u.target == side))
            .collect();
        units.extend(updates.chunks(size).map(<[usize]>::to_vec));
    }
    units.extend(
        (0..operations.len())
            .filter(|&i| matches!(operations[i], Operation::Create(_)))
            .map(|i| vec![i]),
    );
    // An account's changes in plan order (disable, then revoke its sessions) in one unit.
    let mut accounts: BTreeMap<&RecordId, Vec<usize>> = BTreeMap::new();
    for (i, op) in operations.iter().enumerate() {
        if let Operation::Account(account) = op {
            accounts.entry(&account.idp).or_default().push(i);
        }
    }
    units.extend(accounts.into_values());
    units
}

/// Runs one account's changes in order; once one fails, the rest are skipped.
async fn run_account(accounts: &[&AccountChange], target: &dyn Directory) -> Vec<Ended> {
    let mut ends = Vec::with_capacity(accounts.len());
    let mut failed = false;
    for account in accounts {
        if failed {
            let why = format!(
                "not done: the account's earlier change in {} failed (see above)",
                target.name()
            );
            ends.push(Ended::skipped(why, None));
            continue;
        }
        tracing::debug!(name = %account.name, action = ?account.action, "changing the account");
        let result = match account.action {
            AccountAction::Disable => target.set_enabled(&account.idp, false).await,
            AccountAction::Enable => target.set_enabled(&account.idp, true).await,
            AccountAction::RevokeSessions => target.revoke_sessions(&account.idp).await,
        };
        failed = result.is_err();
        ends.push(ended(result));
    }
    ends
}

/// Runs one unit: a create, or a group of updates of one side; one end per operation, in order.
pub(super) async fn run_unit(
    operations: &[Operation],
    unit: &[usize],
    target: &dyn Directory,
) -> Vec<Ended> {
    let accounts: Vec<&AccountChange> = unit
        .iter()
        .filter_map(|&i| match &operations[i] {
            Operation::Account(account) => Some(account),
            _ => None,
        })
        .collect();
    if !accounts.is_empty() {
        return run_account(&accounts, target).await;
    }
    let updates: Vec<&Update> = unit
        .iter()
        .filter_map(|&i| match &operations[i] {
            Operation::Update(update) => Some(update),
            _ => None,
        })
        .collect();
    match (unit, updates.as_slice()) {
        ([index], []) => match &operations[*index] {
            Operation::Create(create) => {
                tracing::debug!(name = %create.name, "creating");
                vec![create_once(create, target).await]
            }
            _ => Vec::new(),
        },
        (_, [update]) => {
            tracing::debug!(name = %update.name, "updating");
            vec![ended(target.update(update.record(), &update.field_changes()).await)]
        }
        (_, updates) => {
            let batch: Vec<(RecordId, Vec<FieldChange>)> =
                updates.iter().map(|u| (u.record().clone(), u.field_changes())).collect();
            let mut results = target.update_many(&batch).await.into_iter();
            // A directory that answers fewer results than asked leaves the rest failed, not done.
            (0..updates.len())
                .map(|_| {
                    results.next().map(ended).unwrap_or_else(|| {
                        Ended::failed(DirectoryError::new(
                            ErrorKind::InvalidResponse,
                            "the directory gave no result for this update; sync again to retry it",
                        ))
                    })
                })
                .collect()
        }
    }
}

fn ended(result: Result<(), DirectoryError>) -> Ended {
    match result {
        Ok(()) => Ended::done(None),
        Err(e) => Ended::failed(e),
    }
}

/// Creates the person unless the target already holds them.
async fn create_once(create: &Create, target: &dyn Directory) -> Ended {
    let found = match target.find_matching(&create.person).await {
        Ok(found) => found,
        Err(e) => return Ended::failed(e),
    };
    match found.as_slice() {
        [] => match target.create(&create.person).await {
            Ok(record) => Ended::done(Some(record)),
            Err(e) => Ended::failed(e),
        },
        [record] if !record.scope.is_in() => Ended::skipped(outside_scope(target, record), None),
        [record] => Ended::skipped(
            format!(
                "already exists in {} as {} (same employment id or email); linked to it \
                 instead of creating a duplicate",
                target.name(),
                record.id
            ),
            Some(record.clone()),
        ),
        several => {
            let ids: Vec<&str> = several.iter().map(|r| r.id.as_str()).collect();
            Ended::skipped(
                format!(
                    "{} records in {} already have this person's employment id or email \
                     ({}); not created: remove the duplicates, then sync again",
                    several.len(),
                    target.name(),
                    ids.join(", ")
                ),
                None,
            )
        }
    }
}

/// Why a person is not created when the target holds them already, outside its scope: not
/// linked either, since nothing may be written to such a record.
fn outside_scope(target: &dyn Directory, record: &Record) -> String {
    let (system, id) = (target.name(), &record.id);
    match record.scope {
        crate::ScopeStatus::Excluded => format!(
            "already exists in {system} as {id} (same employment id or email), which is excluded \
             from the sync; not created, so as not to make a duplicate, and not linked"
        ),
        _ => format!(
            "already exists in {system} as {id} (same employment id or email), outside the scope \
             of the sync; not created, so as not to make a duplicate, and not linked: bring {id} \
             into the scope, and the next sync pairs them"
        ),
    }
}

pub(super) fn operation_span(index: usize, op: &Operation, batch: usize) -> tracing::Span {
    match op {
        Operation::Update(u) if batch > 1 => {
            tracing::info_span!("operation", index, action = "update", target = ?u.target, batch)
        }
        Operation::Update(u) => {
            let fields: Vec<&str> = u.changes.iter().map(|c| c.field.label()).collect();
            tracing::info_span!(
                "operation",
                index,
                action = "update",
                target = ?u.target,
                record = %u.record(),
                fields = ?fields
            )
        }
        Operation::Create(c) => tracing::info_span!(
            "operation",
            index,
            action = "create",
            target = ?c.target,
            source = %c.source,
            item = %c.item
        ),
        Operation::Account(a) => tracing::info_span!(
            "operation",
            index,
            action = ?a.action,
            record = %a.idp,
            reason = ?a.reason
        ),
    }
}

pub(super) fn timed_out(target: &dyn Directory, timeout: Duration) -> DirectoryError {
    DirectoryError::new(
        ErrorKind::Unavailable,
        format!(
            "{} did not answer within {} s; the write may or may not have been made, and the \
             next sync compares it again",
            target.name(),
            timeout.as_secs_f64()
        ),
    )
}

pub(super) fn panicked(panic: &Box<dyn std::any::Any + Send>) -> DirectoryError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    DirectoryError::new(
        ErrorKind::Other,
        format!("the directory adapter panicked ({what}); this is a bug in the adapter"),
    )
}
