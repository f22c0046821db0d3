//! Properties of the engine at the edge of the scope, over random organisations: nobody outside
//! the scope ever gets a write or an account change (unless people out of scope are disabled),
//! excluded records are never paired and nobody is created in their stead, and the plan does not
//! depend on the order the records come in.

use dirsync::{
    directory::{Record, RecordId, Snapshot, same_person},
    model::{Person, Side},
    plan::{AccountAction, AccountReason, Operation, Plan, reconcile},
    policy::{ConflictRule, CreationRule, Leavers, Policy, Scope},
    store::{DisabledAccount, SyncState},
};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Where one side's record of a person stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stand {
    In,
    Out,
    Excluded,
    Gone,
}

fn stand(excluded_weight: u32) -> impl Strategy<Value = Stand> {
    prop_oneof![
        6 => Just(Stand::In),
        2 => Just(Stand::Out),
        excluded_weight => Just(Stand::Excluded),
        1 => Just(Stand::Gone),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    hr: Stand,
    idp: Stand,
    active: [bool; 2],
    linked: bool,
    /// 0: the same email on both sides; 1: the same employment id; 2: a shared email that others
    /// carry too; 3: nothing in common.
    keys: u8,
    phones: [u8; 2],
    disabled_by_sync: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        stand(1),
        stand(2),
        [prop::bool::weighted(0.85), prop::bool::weighted(0.85)],
        any::<bool>(),
        0u8..4,
        [0u8..3, 0u8..3],
        prop::bool::weighted(0.2),
    )
        .prop_map(|(hr, idp, active, linked, keys, phones, disabled_by_sync)| Case {
            hr,
            idp,
            active,
            linked,
            keys,
            phones,
            disabled_by_sync,
        })
}

fn person(i: usize, side: Side, c: &Case) -> Person {
    let email = match (c.keys, side) {
        (0, _) => format!("p{i}@example.com"),
        (1, Side::Hr) => format!("hr{i}@example.com"),
        (1, Side::Idp) => format!("idp{i}@example.com"),
        (2, _) => "shared@example.com".to_owned(),
        _ => format!("{side:?}{i}@example.com"),
    };
    let mut person = Person::new().with_email(email).with_given_name(format!("P{i}"));
    if c.keys == 1 {
        person = person.with_employment_id(format!("E{i}"));
    }
    let phone = c.phones[usize::from(side == Side::Idp)];
    if phone > 0 {
        person = person.with_phone(format!("+47 {phone}"));
    }
    person
}

fn record(id: String, stand: Stand, active: bool, person: Person) -> Option<Record> {
    let mut record = Record::new(id, person);
    record.active = active;
    match stand {
        Stand::In => Some(record),
        Stand::Out => Some(record.out_of_scope()),
        Stand::Excluded => Some(record.excluded()),
        Stand::Gone => None,
    }
}

struct World {
    hr: Snapshot,
    idp: Snapshot,
    state: SyncState,
    /// Where each record stands, by side and id.
    stands: BTreeMap<(Side, RecordId), Stand>,
}

fn world(cases: &[Case], scoped: [bool; 2]) -> World {
    let (mut hr, mut idp, mut state) = (Vec::new(), Vec::new(), SyncState::new());
    let mut stands = BTreeMap::new();
    let (mut hr_gone, mut idp_gone) = (Vec::new(), Vec::new());
    for (i, c) in cases.iter().enumerate() {
        let (h, a) = (RecordId::new(format!("h{i}")), RecordId::new(format!("a{i}")));
        stands.insert((Side::Hr, h.clone()), c.hr);
        stands.insert((Side::Idp, a.clone()), c.idp);
        hr.extend(record(h.to_string(), c.hr, c.active[0], person(i, Side::Hr, c)));
        idp.extend(record(a.to_string(), c.idp, c.active[1], person(i, Side::Idp, c)));
        if c.linked {
            state.link(h.clone(), a.clone(), person(i, Side::Hr, c).with_phone("+47 0"));
            // A scoped read looked the linked records up: those missing are known to be gone.
            if c.hr == Stand::Gone {
                hr_gone.push(h.clone());
            }
            if c.idp == Stand::Gone {
                idp_gone.push(a.clone());
            }
        }
        if c.disabled_by_sync {
            let reason =
                if i % 2 == 0 { AccountReason::LeftScope } else { AccountReason::GoneFromHr };
            let at = chrono::DateTime::UNIX_EPOCH;
            let account = DisabledAccount { hr: h, at, reason, sessions_revoked: false };
            state.disabled.insert(a, account);
        }
    }
    let snapshot = |records, scoped: bool, gone| {
        let mut snapshot = Snapshot::new(records);
        if scoped {
            snapshot = snapshot.with_scope("the test's scope");
            snapshot.gone = gone;
        }
        snapshot
    };
    World {
        hr: snapshot(hr, scoped[0], hr_gone),
        idp: snapshot(idp, scoped[1], idp_gone),
        state,
        stands,
    }
}

fn policy() -> impl Strategy<Value = Policy> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(prefer_hr, include_inactive, disable, revoke, disable_out_of_scope)| Policy {
            conflicts: if prefer_hr { ConflictRule::PreferHr } else { ConflictRule::PreferIdp },
            create_in_idp: CreationRule::All,
            create_in_hr: CreationRule::All,
            scope: Scope { include_inactive, disable_out_of_scope },
            leavers: Leavers { disable, revoke_sessions: revoke },
            ..Policy::default()
        },
    )
}

fn stand_of(world: &World, side: Side, id: &RecordId) -> Stand {
    world.stands.get(&(side, id.clone())).copied().unwrap_or(Stand::Gone)
}

/// Every record of `side` that is outside the scope or excluded.
fn not_in_scope(world: &World, side: Side) -> Vec<&Record> {
    let snapshot = if side == Side::Hr { &world.hr } else { &world.idp };
    snapshot.records.iter().filter(|r| !r.scope.is_in()).collect()
}

fn check_writes(world: &World, plan: &Plan, policy: &Policy) -> Result<(), TestCaseError> {
    let ops = plan.operations().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let out_of_scope_allowed = policy.scope.disable_out_of_scope && policy.leavers.disable;
    for op in &ops.operations {
        match op {
            Operation::Update(u) => {
                prop_assert_eq!(stand_of(world, Side::Hr, &u.hr), Stand::In, "{:?}", u);
                prop_assert_eq!(stand_of(world, Side::Idp, &u.idp), Stand::In, "{:?}", u);
            }
            Operation::Create(c) => {
                prop_assert_eq!(stand_of(world, c.target.other(), &c.source), Stand::In, "{:?}", c);
                for twin in not_in_scope(world, c.target) {
                    prop_assert!(
                        !same_person(&twin.person, &c.person),
                        "{:?} duplicates {:?}, which is outside the scope",
                        c,
                        twin.id
                    );
                }
            }
            Operation::Account(a) => {
                let (hr, idp) =
                    (stand_of(world, Side::Hr, &a.hr), stand_of(world, Side::Idp, &a.idp));
                prop_assert!(idp != Stand::Excluded && hr != Stand::Excluded, "{:?}", a);
                if hr == Stand::Out || idp == Stand::Out {
                    prop_assert!(out_of_scope_allowed, "out of scope, yet changed: {:?}", a);
                }
            }
        }
    }
    Ok(())
}

fn check_pairs(world: &World, plan: &Plan) -> Result<(), TestCaseError> {
    for pair in &plan.pairs {
        let (hr, idp) =
            (stand_of(world, Side::Hr, &pair.hr), stand_of(world, Side::Idp, &pair.idp));
        prop_assert!(hr != Stand::Excluded && idp != Stand::Excluded, "paired: {:?}", pair);
        if hr == Stand::Out || idp == Stand::Out {
            prop_assert!(pair.outside_scope && !pair.in_scope, "{:?}", pair);
            prop_assert_eq!(pair.matched_by, dirsync::plan::MatchedBy::Link, "by a link only");
        }
    }
    for creation in &plan.creations {
        let source = stand_of(world, creation.source, &creation.record);
        prop_assert_eq!(source, Stand::In, "{:?}", creation);
    }
    // Each link to an excluded record is kept as it is.
    for (hr, link) in &world.state.links {
        let excluded = stand_of(world, Side::Hr, hr) == Stand::Excluded
            || stand_of(world, Side::Idp, &link.idp) == Stand::Excluded;
        let kept = plan.kept_links.iter().any(|k| &k.hr == hr && k.idp == link.idp);
        let linked_once = world.state.links.values().filter(|l| l.idp == link.idp).count() == 1;
        if excluded && linked_once {
            prop_assert!(kept, "the link of {} is kept", hr);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn nobody_outside_the_scope_gets_a_write_and_excluded_records_are_never_paired(
        cases in prop::collection::vec(case(), 1..30),
        scoped in [any::<bool>(), any::<bool>()],
        policy in policy(),
    ) {
        let world = world(&cases, scoped);
        let plan = reconcile(&world.hr, &world.idp, &world.state, &policy);
        check_writes(&world, &plan, &policy)?;
        check_pairs(&world, &plan)?;
    }

    #[test]
    fn the_plan_does_not_depend_on_the_order_of_the_records(
        cases in prop::collection::vec(case(), 1..30),
        scoped in [any::<bool>(), any::<bool>()],
        policy in policy(),
        seed in any::<u64>(),
    ) {
        let world = world(&cases, scoped);
        let plan = reconcile(&world.hr, &world.idp, &world.state, &policy);
        let mut shuffled = (world.hr.clone(), world.idp.clone());
        let key = |r: &Record| (r.id.as_str().len() as u64 ^ seed).wrapping_mul(seed | 1)
            .rotate_left(r.id.as_str().bytes().map(u32::from).sum::<u32>() % 64);
        shuffled.0.records.sort_by_key(key);
        shuffled.1.records.sort_by_key(key);
        shuffled.1.records.reverse();
        let again = reconcile(&shuffled.0, &shuffled.1, &world.state, &policy);
        prop_assert_eq!(plan, again);
    }
}

#[test]
fn an_account_out_of_scope_is_disabled_only_when_asked() {
    let cases = [Case {
        hr: Stand::Out,
        idp: Stand::In,
        active: [true, true],
        linked: true,
        keys: 0,
        phones: [1, 2],
        disabled_by_sync: false,
    }];
    let world = world(&cases, [true, true]);
    let leavers = Leavers { disable: true, revoke_sessions: false };
    let off = Policy { leavers, ..Policy::default() };
    let plan = reconcile(&world.hr, &world.idp, &world.state, &off);
    assert!(plan.accounts.is_empty(), "{:?}", plan.accounts);
    assert!(plan.changes.is_empty(), "nothing is compared for writing: {:?}", plan.changes);

    let on = Policy { scope: Scope { disable_out_of_scope: true, ..Scope::default() }, ..off };
    let plan = reconcile(&world.hr, &world.idp, &world.state, &on);
    let actions: Vec<_> = plan.accounts.iter().map(|a| (a.action, a.reason)).collect();
    assert_eq!(actions, [(AccountAction::Disable, AccountReason::LeftScope)]);
}
