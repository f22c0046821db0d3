//! The reconciliation engine: a pure function from two snapshots, the last state and a policy to a
//! [`Plan`]. No I/O, no clock, no randomness: the same input gives the same plan in the same order.

mod compare;
mod creation;
mod findings;
mod ids;
mod key_index;
mod keys;
mod pairing;

use crate::{Plan, Policy, Record, Side, Snapshot, SyncState};
use pairing::Pairing;

/// Pairs the records of both snapshots, compares the supported fields of each pair in scope, finds
/// who is missing on either side, and settles what the policy can.
///
/// ```
/// use dirsync::{reconcile, ChangeKind, ConflictRule, Field, Person, Policy, Record, Snapshot, SyncState};
/// let hr = Snapshot::new(vec![Record::new("h1", Person::new().with_email("ada@example.com").with_job_title("CTO"))]);
/// let idp = Snapshot::new(vec![Record::new("a1", Person::new().with_email("ADA@example.com").with_job_title("Engineer"))]);
/// let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
///
/// let plan = reconcile(&hr, &idp, &SyncState::new(), &policy);
/// assert_eq!(plan.pairs.len(), 1);
/// assert_eq!(plan.changes[0].field, Field::JobTitle);
/// assert_eq!(plan.changes[0].kind, ChangeKind::Conflict);
/// let ops = plan.operations().expect("the policy settled everything");
/// assert_eq!(ops.operations.len(), 1); // one update: the job title in the directory
/// ```
pub fn reconcile(hr: &Snapshot, idp: &Snapshot, state: &SyncState, policy: &Policy) -> Plan {
    let _span = tracing::debug_span!(
        "reconcile",
        hr = hr.records.len(),
        idp = idp.records.len(),
        links = state.links.len()
    )
    .entered();
    let Pairing { pairs, unpaired, mut findings } = pairing::pair(hr, idp, state);

    let input = Input { hr, idp, policy };
    let mut plan = Plan {
        hr_capabilities: hr.capabilities.clone(),
        idp_capabilities: idp.capabilities.clone(),
        max_people_changed: policy.max_people_changed,
        pairs: Vec::with_capacity(pairs.len()),
        ..Plan::default()
    };
    for pair in &pairs {
        compare::compare_pair(&input, pair, &mut plan, &mut findings);
    }
    // Every record of both sides is shown to the twin search, in the order the snapshot holds it.
    let mut twins = creation::Twins::new([&hr.records, &idp.records], &unpaired);
    for side in Side::BOTH {
        for record in &input.snapshot(side).records {
            twins.see(side, record);
        }
    }
    for side in Side::BOTH {
        for &index in &unpaired[side_index(side)] {
            creation::consider(&input, side, index, &mut plan.creations, &mut findings, &twins);
        }
    }
    plan.creations.sort_by(|a, b| (a.source, &a.record).cmp(&(b.source, &b.record)));
    findings.sort_by(|a, b| (a.kind, &a.records, &a.id).cmp(&(b.kind, &b.records, &b.id)));
    plan.findings = findings;
    tracing::debug!(summary = ?plan.summary(), "reconciled");
    plan
}

/// What every step reads.
struct Input<'a> {
    hr: &'a Snapshot,
    idp: &'a Snapshot,
    policy: &'a Policy,
}

impl Input<'_> {
    fn snapshot(&self, side: Side) -> &Snapshot {
        match side {
            Side::Hr => self.hr,
            Side::Idp => self.idp,
        }
    }

    fn record(&self, side: Side, index: usize) -> &Record {
        &self.snapshot(side).records[index]
    }

    fn in_scope(&self, record: &Record) -> bool {
        record.active || self.policy.scope.include_inactive
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Hr => 0,
        Side::Idp => 1,
    }
}

/// A readable name for a record: the person's name, else the record id.
fn name_of(record: &Record) -> String {
    record.person.display_name().unwrap_or_else(|| record.id.to_string())
}
