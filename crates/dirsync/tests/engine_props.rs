//! Properties of the engine over random snapshots: determinism, convergence, no field ever
//! blanked, and symmetry between the two sides.

use chrono::NaiveDate;
use dirsync::{
    directory::{
        Capabilities, Directory, InMemoryDirectory, InvalidValue, Limits, Record, RecordId,
        Snapshot,
    },
    model::{Address, CountryCode, Field, FieldSet, FieldValue, Person, Side},
    plan::{ChangeKind, Decision, Operation, Plan, reconcile},
    policy::{ConflictRule, CreationRule, MissingRule, Policy, Scope},
    store::SyncState,
};
use futures::executor::block_on;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeSet;

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = Option<&'static str>> {
    proptest::option::weighted(0.7, select(values))
}

fn arb_address() -> impl Strategy<Value = Address> {
    (
        pick(&["Main 1", "Main 1\nFlat 2", "Side 3"]),
        pick(&["0150", "0151"]),
        pick(&["Oslo", "Bergen"]),
        pick(&["NO", "SE"]),
    )
        .prop_map(|(street, postal, city, country)| {
            Address::new(
                street.unwrap_or(""),
                postal.unwrap_or(""),
                city.unwrap_or(""),
                country.and_then(|c| CountryCode::parse(c).ok()),
            )
        })
}

fn arb_person() -> impl Strategy<Value = Person> {
    (
        pick(&["a@x.no", "A@X.no", "b@x.no", "c@x.no", "d@x.no"]),
        pick(&["E1", "E2", "E3", "E-00000000000000017"]),
        pick(&["Ada", "Bo"]),
        pick(&["Lovelace", "Ek"]),
        pick(&["+47 1", "+47 2"]),
        proptest::option::weighted(0.6, arb_address()),
        pick(&["CTO", "Engineer"]),
        proptest::option::weighted(0.5, 1u32..3),
    )
        .prop_map(|(email, eid, given, family, phone, address, title, day)| {
            let mut p = Person::new();
            let texts = [
                (Field::EmploymentId, eid),
                (Field::GivenName, given),
                (Field::FamilyName, family),
                (Field::Phone, phone),
                (Field::JobTitle, title),
            ];
            for (field, value) in texts {
                if let Some(value) = value {
                    p.set(field, FieldValue::Text(value.into())).expect("text fields take text");
                }
            }
            if let Some(email) = email {
                p = p.with_email(email);
            }
            if let Some(address) = address {
                p = p.with_address(address);
            }
            if let Some(day) = day {
                p = p.with_employment_start_date(
                    NaiveDate::from_ymd_opt(2024, 1, day).expect("a valid day"),
                );
            }
            p
        })
}

/// A record's shape: values, active, a read-only field, an invalid address.
fn arb_record_parts() -> impl Strategy<Value = (Person, bool, Option<usize>, bool)> {
    (
        arb_person(),
        proptest::bool::weighted(0.9),
        proptest::option::weighted(0.15, 0..7usize),
        proptest::bool::weighted(0.1),
    )
}

fn records(prefix: &str, parts: Vec<(Person, bool, Option<usize>, bool)>) -> Vec<Record> {
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (person, active, read_only, invalid))| {
            let mut record = Record::new(format!("{prefix}{i}"), person);
            record.active = active;
            if let Some(f) = read_only {
                record.read_only.insert(Field::ALL[f]);
            }
            if invalid {
                // The country could not be read, so the address holds none.
                if let Some(a) = record.person.address().cloned() {
                    let street = a.street().unwrap_or("");
                    let without = Address::new(
                        street,
                        a.postal_code().unwrap_or(""),
                        a.city().unwrap_or(""),
                        None,
                    );
                    record.person = record.person.clone().with_address(without);
                }
                let reason = CountryCode::parse("Norway").expect_err("not alpha-2");
                record.invalid.push(InvalidValue::new(Field::Address, "Norway", reason));
            }
            record
        })
        .collect()
}

fn hr_caps() -> Capabilities {
    Capabilities {
        required_on_create: FieldSet::empty().with(Field::GivenName),
        email_required: true,
        ..Capabilities::default()
    }
}

fn idp_caps() -> Capabilities {
    Capabilities {
        limits: Limits { employment_id: Some(16), given_name: Some(64), ..Limits::default() },
        ..Capabilities::default()
    }
}

#[derive(Debug, Clone)]
struct Case {
    hr: Snapshot,
    idp: Snapshot,
    state: SyncState,
}

fn arb_case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(arb_record_parts(), 0..8),
        prop::collection::vec(arb_record_parts(), 0..8),
        prop::collection::vec((0..8usize, 0..8usize, arb_person()), 0..4),
    )
        .prop_map(|(hr, idp, links)| {
            let hr = records("h", hr);
            let idp = records("a", idp);
            let mut state = SyncState::new();
            let mut taken = BTreeSet::new();
            for (h, i, baseline) in links {
                // One-to-one links, as apply keeps them; some point at records that do not exist.
                if taken.insert(format!("a{i}"))
                    && !state.links.contains_key(&RecordId::new(format!("h{h}")))
                {
                    state.link(format!("h{h}").into(), format!("a{i}").into(), baseline);
                }
            }
            Case {
                hr: Snapshot { capabilities: hr_caps(), records: hr, ..Snapshot::default() },
                idp: Snapshot { capabilities: idp_caps(), records: idp, ..Snapshot::default() },
                state,
            }
        })
}

fn arb_settling_policy() -> impl Strategy<Value = Policy> {
    (
        select(vec![ConflictRule::PreferHr, ConflictRule::PreferIdp, ConflictRule::Skip]),
        select(vec![MissingRule::Fill, MissingRule::Skip]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(conflicts, missing, create_hr, create_idp, include_inactive)| {
            let rule = |on: bool| if on { CreationRule::All } else { CreationRule::None };
            Policy {
                conflicts,
                missing,
                create_in_hr: rule(create_hr),
                create_in_idp: rule(create_idp),
                scope: Scope { include_inactive, ..Scope::default() },
                ..Policy::default()
            }
        })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    (arb_settling_policy(), select(vec![ConflictRule::Ask, ConflictRule::PreferHr]), any::<bool>())
        .prop_map(|(mut policy, phone, ask_missing)| {
            policy.field_conflicts.insert(Field::Phone, phone);
            if ask_missing {
                policy.missing = MissingRule::Ask;
            }
            policy
        })
}

/// Carries out a settled plan on in-memory copies and returns the state a careful apply would keep.
fn apply_in_memory(plan: &Plan, hr: &InMemoryDirectory, idp: &InMemoryDirectory) -> SyncState {
    let ops = plan.operations().expect("the policy settles everything");
    let mut state = SyncState::new();
    for pair in &plan.pairs {
        state.link(pair.hr.clone(), pair.idp.clone(), pair.agreed.clone());
    }
    for op in &ops.operations {
        match op {
            Operation::Update(update) => {
                let dir = if update.target == Side::Hr { hr } else { idp };
                block_on(dir.update(update.record(), &update.field_changes())).unwrap_or_else(
                    |e| panic!("the engine planned a write the directory refuses: {e}"),
                );
                let link = state.links.get_mut(&update.hr).expect("updates are of pairs");
                for change in &update.changes {
                    link.baseline.set(change.field, change.to.clone()).expect("same field");
                }
            }
            Operation::Create(create) => {
                let dir = if create.target == Side::Hr { hr } else { idp };
                let made = block_on(dir.create(&create.person)).unwrap_or_else(|e| {
                    panic!("the engine planned a create the directory refuses: {e}")
                });
                match create.target {
                    Side::Hr => state.link(made.id, create.source.clone(), Person::new()),
                    Side::Idp => state.link(create.source.clone(), made.id, Person::new()),
                }
            }
            // Leavers are off in these plans.
            Operation::Account(account) => panic!("no account change was asked for: {account:?}"),
        }
    }
    state.keep_broken_links(&plan.broken_links);
    state
}

/// A plan seen from the other side, with what depends on orientation (ids, names, messages and
/// order) taken out, so the two can be compared.
fn canonical(plan: &Plan, mirrored: bool) -> String {
    let flip = |side: Side| if mirrored { side.other() } else { side };
    let mut lines = Vec::new();
    for pair in &plan.pairs {
        let (hr, idp) = if mirrored { (&pair.idp, &pair.hr) } else { (&pair.hr, &pair.idp) };
        lines.push(format!(
            "pair {hr} {idp} {:?} {} {:?}",
            pair.matched_by, pair.in_scope, pair.agreed
        ));
    }
    for c in &plan.changes {
        let (hr, idp) = if mirrored { (&c.idp, &c.hr) } else { (&c.hr, &c.idp) };
        let (hv, iv) =
            if mirrored { (&c.idp_value, &c.hr_value) } else { (&c.hr_value, &c.idp_value) };
        let kind = match c.kind {
            ChangeKind::Missing(s) => format!("missing {:?}", flip(s)),
            ChangeKind::Changed(s) => format!("changed {:?}", flip(s)),
            ChangeKind::Conflict => "conflict".to_owned(),
        };
        let decision = c.settled.map(|s| match s.decision {
            Decision::UseHr => format!("use {:?} {:?}", flip(Side::Hr), s.by),
            Decision::UseIdp => format!("use {:?} {:?}", flip(Side::Idp), s.by),
            other => format!("{other:?} {:?}", s.by),
        });
        let mut blocked: Vec<String> =
            c.blocked.iter().map(|b| format!("{:?} {:?}", flip(b.toward), b.reason)).collect();
        blocked.sort();
        lines.push(format!(
            "change {hr} {idp} {:?} {kind} {hv:?} {iv:?} {blocked:?} {decision:?}",
            c.field
        ));
    }
    for c in &plan.creations {
        lines.push(format!(
            "create {:?} {} {:?} {:?} {:?}",
            flip(c.source),
            c.record,
            c.person,
            c.left_out,
            c.settled
        ));
    }
    for f in &plan.findings {
        let mut records: Vec<String> =
            f.records.iter().map(|r| format!("{:?} {}", flip(r.side), r.id)).collect();
        records.sort();
        lines.push(format!("finding {:?} {records:?}", f.kind));
    }
    lines.sort();
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_plan_is_deterministic_and_ignores_input_order(case in arb_case(), policy in arb_policy()) {
        let plan = reconcile(&case.hr, &case.idp, &case.state, &policy);
        prop_assert_eq!(&plan, &reconcile(&case.hr, &case.idp, &case.state, &policy));
        let mut hr = case.hr.clone();
        let mut idp = case.idp.clone();
        hr.records.reverse();
        idp.records.reverse();
        prop_assert_eq!(&plan, &reconcile(&hr, &idp, &case.state, &policy));
    }

    /// Applying a plan and reconciling again settles down: usually at once, at most one more run
    /// later, when an update frees a key (an employment id, an email) that someone waiting to be
    /// created carries. The engine never creates in the same run that frees the key, so a failed
    /// update can never turn a creation into a duplicate.
    #[test]
    fn applying_plans_converges_to_nothing_left_to_do(case in arb_case(), policy in arb_settling_policy()) {
        let hr = InMemoryDirectory::with_capabilities(hr_caps(), case.hr.records.clone());
        let idp = InMemoryDirectory::with_capabilities(idp_caps(), case.idp.records.clone());
        let (mut hr_now, mut idp_now, mut state) = (case.hr.clone(), case.idp.clone(), case.state.clone());
        let mut left = Vec::new();
        for _ in 0..3 {
            let plan = reconcile(&hr_now, &idp_now, &state, &policy);
            left = plan.operations().expect("settled").operations;
            if left.is_empty() {
                break;
            }
            state = apply_in_memory(&plan, &hr, &idp);
            hr_now = block_on(Snapshot::read(&hr)).expect("in memory");
            idp_now = block_on(Snapshot::read(&idp)).expect("in memory");
        }
        prop_assert!(left.is_empty(), "still left to do after two runs: {:#?}", left);
    }

    /// Someone whose linked twin was deleted is created again only by a person's decision or a
    /// rule naming them, never by a rule creating everyone; their link is kept for the next run.
    #[test]
    fn a_rule_never_creates_again_someone_whose_twin_was_deleted(case in arb_case(), policy in arb_policy()) {
        let plan = reconcile(&case.hr, &case.idp, &case.state, &policy);
        for broken in &plan.broken_links {
            let remaining = broken.remaining();
            prop_assert!(!plan.pairs.iter().any(|p| &p.hr == remaining || &p.idp == remaining));
            let creation = plan.creations.iter().find(|c| &c.record == remaining);
            if let (Some(creation), CreationRule::All) = (creation, policy.creation_rule(broken.gone)) {
                prop_assert_eq!(creation.settled.map(|s| s.decision), Some(Decision::Skip));
            }
        }
    }

    #[test]
    fn no_operation_ever_clears_a_known_value(case in arb_case(), policy in arb_settling_policy()) {
        let plan = reconcile(&case.hr, &case.idp, &case.state, &policy);
        for op in plan.operations().expect("settled").operations {
            let Operation::Update(update) = op else { continue };
            for change in update.changes {
                if let (Some(FieldValue::Address(from)), FieldValue::Address(to)) = (&change.from, &change.to) {
                    let kept = |a: Option<&str>, b: Option<&str>| a.is_none() || b.is_some();
                    prop_assert!(kept(from.street(), to.street()) && kept(from.postal_code(), to.postal_code())
                        && kept(from.city(), to.city()) && (from.country().is_none() || to.country().is_some()),
                        "{from:?} -> {to:?}");
                }
            }
        }
    }

    #[test]
    fn swapping_the_sides_swaps_the_plan(case in arb_case(), policy in arb_policy()) {
        let plan = reconcile(&case.hr, &case.idp, &case.state, &policy);
        let swapped = reconcile(&case.idp, &case.hr, &case.state.mirrored(), &policy.mirrored());
        prop_assert_eq!(canonical(&plan, false), canonical(&swapped, true));
    }
}
