//! The reconciliation engine: a pure function from two snapshots, the last state and a policy to a
//! [`Plan`]. No I/O, no clock, no randomness: the same input gives the same plan in the same order.

mod compare;
mod creation;
mod findings;
mod ids;
mod key_index;
mod keys;
mod leavers;
mod pairing;
mod threads;

use crate::{
    BrokenLink, KeptLink, Names, Plan, Policy, Record, ScopeCount, ScopeStatus, Side, Snapshot,
    SyncState,
};
use compare::Compared;
use pairing::Pairing;
use rustc_hash::FxHashSet;

/// Pairs the records of both snapshots, compares the supported fields of each pair in scope, finds
/// who is missing on either side, and settles what the policy can.
///
/// Large snapshots (from 100,000 people a side) are worked on with up to as many threads as the
/// machine offers this process; the plan is the same on any number of threads.
///
/// # Panics
///
/// If a snapshot holds 2^31 records or more: the engine numbers records in 32 bits to keep its
/// tables small, and such a snapshot would need hundreds of gigabytes before it got here.
///
/// ```
/// use dirsync::{
///     directory::{Record, Snapshot},
///     model::{Field, Person},
///     plan::{ChangeKind, reconcile},
///     policy::{ConflictRule, Policy},
///     store::SyncState,
/// };
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
    reconcile_on(hr, idp, state, policy, threads::for_items)
}

/// [`reconcile`], on as many threads as `threads` gives for a number of pairs or records.
fn reconcile_on(
    hr: &Snapshot,
    idp: &Snapshot,
    state: &SyncState,
    policy: &Policy,
    threads: fn(usize) -> usize,
) -> Plan {
    let _span = tracing::debug_span!(
        "reconcile",
        hr = hr.records.len(),
        idp = idp.records.len(),
        links = state.links.len()
    )
    .entered();
    let input = Input { hr, idp, policy, names: Names::new(&hr.name, &idp.name) };
    let Pairing { pairs, unpaired, mut findings, broken, kept } =
        pairing::pair(hr, idp, state, &input.names, threads);

    // The pairs are compared in chunks on threads of their own; the first chunk's results have
    // room for everyone's, so that the largest part is not copied again.
    let mut chunks = threads::map_chunks(&pairs, threads(pairs.len()), |offset, chunk| {
        let mut compared = Compared::default();
        compared.pairs.reserve(if offset == 0 { pairs.len() } else { chunk.len() });
        compare::compare_pairs(&input, chunk, &mut compared);
        compared
    })
    .into_iter();
    let mut compared = chunks.next().unwrap_or_default();
    chunks.for_each(|later| compared.append(later));
    findings.append(&mut compared.findings);
    let mut plan = Plan {
        names: input.names.clone(),
        hr_capabilities: hr.capabilities.clone(),
        idp_capabilities: idp.capabilities.clone(),
        pairs: compared.pairs,
        changes: compared.changes,
        kept_links: kept
            .into_iter()
            .map(|(hr, link)| KeptLink {
                hr: hr.clone(),
                idp: link.idp.clone(),
                baseline: link.baseline.clone(),
            })
            .collect(),
        hr_scope: scope_count(hr),
        idp_scope: scope_count(idp),
        ..Plan::default()
    };
    plan.accounts = leavers::plan(&input, state, &pairs, &broken);
    let twins = creation::Twins::find([&hr.records, &idp.records], &unpaired, threads);
    // Those whose record on the other side was deleted since the last sync.
    let deleted: FxHashSet<(Side, usize)> = broken.iter().map(|b| (b.left, b.index)).collect();
    for side in Side::BOTH {
        for &index in &unpaired[side_index(side)] {
            let was_deleted = deleted.contains(&(side, index));
            let (creations, findings) = (&mut plan.creations, &mut findings);
            creation::consider(&input, side, index, was_deleted, creations, findings, &twins);
        }
    }
    plan.broken_links = broken
        .iter()
        .map(|b| BrokenLink {
            hr: b.hr.clone(),
            idp: b.link.idp.clone(),
            gone: b.left.other(),
            baseline: b.link.baseline.clone(),
        })
        .collect();
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
    names: Names,
}

impl Input<'_> {
    fn name(&self, side: Side) -> &str {
        self.names.of(side)
    }

    fn snapshot(&self, side: Side) -> &Snapshot {
        match side {
            Side::Hr => self.hr,
            Side::Idp => self.idp,
        }
    }

    fn record(&self, side: Side, index: usize) -> &Record {
        &self.snapshot(side).records[index]
    }

    /// Whether the record may be changed: in its directory's scope, and active unless the
    /// policy includes inactive people.
    fn in_scope(&self, record: &Record) -> bool {
        record.scope.is_in() && (record.active || self.policy.scope.include_inactive)
    }
}

/// What a snapshot read in a scope held of it; `None` for a snapshot of everyone.
fn scope_count(snapshot: &Snapshot) -> Option<ScopeCount> {
    let description = snapshot.scope.clone()?;
    let mut count = ScopeCount { description, ..ScopeCount::default() };
    for record in &snapshot.records {
        match record.scope {
            ScopeStatus::Out => count.outside += 1,
            ScopeStatus::Excluded => count.excluded += 1,
            _ => count.people += 1,
        }
    }
    Some(count)
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

#[cfg(test)]
mod tests {
    use super::reconcile_on;
    use crate::{
        ConflictRule, CreationRule, Field, InvalidValue, Person, Policy, Record, Snapshot,
        SyncState,
    };

    /// People on both sides in every situation the engine tells apart, `n` of each kind.
    fn organisation(n: usize) -> (Snapshot, Snapshot, SyncState) {
        let (mut hr, mut idp, mut state) = (Vec::new(), Vec::new(), SyncState::new());
        for i in 0..n * 10 {
            let person = Person::new()
                .with_email(format!("p{}@example.com", i % (n * 9)))
                .with_employment_id(format!("E{i}"))
                .with_given_name(format!("Name{i}"))
                .with_job_title("Engineer");
            let (h, a) = (format!("h{i}"), format!("a{i}"));
            let other = person.clone().with_job_title("Architect");
            match i % 10 {
                0 => hr.push(Record::new(h, person)),
                1 => idp.push(Record::new(a, person.with_employment_id(""))),
                2 => {
                    hr.push(Record::new(h.clone(), other));
                    idp.push(Record::new(a.clone(), person.clone()));
                    state.link(h.into(), a.into(), person);
                }
                3 => {
                    hr.push(Record::new(h, other.with_phone("1")));
                    idp.push(Record::new(a, person.with_employment_id("")));
                }
                4 => {
                    let invalid = InvalidValue::new(Field::Address, "Norway", "not alpha-2");
                    hr.push(Record::new(h, person.clone()).inactive());
                    idp.push(Record::new(a, person).with_invalid(invalid));
                }
                5 => {
                    hr.push(Record::new(h.clone(), person.clone()));
                    hr.push(Record::new(h, other));
                    idp.push(Record::new(a, person));
                }
                _ => {
                    hr.push(Record::new(h.clone(), person.clone()));
                    idp.push(Record::new(a.clone(), person.clone()));
                    state.link(h.into(), a.into(), person);
                }
            }
        }
        (Snapshot::new(hr), Snapshot::new(idp), state)
    }

    #[test]
    fn the_plan_is_the_same_on_any_number_of_threads() {
        let (hr, idp, state) = organisation(40);
        let policy = Policy {
            conflicts: ConflictRule::PreferHr,
            create_in_idp: CreationRule::All,
            create_in_hr: CreationRule::All,
            ..Policy::default()
        };
        let one = reconcile_on(&hr, &idp, &state, &policy, |_| 1);
        assert!(one.pairs.len() > 200 && !one.changes.is_empty() && !one.findings.is_empty());
        assert!(!one.creations.is_empty());
        for threads in [|_| 2, |_| 3, |_| 7, |n| n] {
            assert_eq!(reconcile_on(&hr, &idp, &state, &policy, threads), one);
        }
    }
}
