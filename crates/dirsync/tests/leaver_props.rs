//! Properties of the leavers' plan over random organisations: an account is only ever disabled
//! for a person who left, only enabled again if the sync disabled it, never touched when it
//! cannot be read; and nothing at all with leavers off.

use dirsync::{
    directory::{Record, RecordId, Snapshot},
    model::Person,
    plan::{AccountAction, AccountReason, reconcile},
    policy::{Leavers, Policy},
    store::{DisabledAccount, SyncState},
};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
enum InHr {
    Active,
    Inactive,
    Gone,
    Unreadable,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    hr: InHr,
    idp_active: bool,
    idp_unreadable: bool,
    linked: bool,
    disabled_by_sync: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let hr = prop_oneof![
        Just(InHr::Active),
        Just(InHr::Inactive),
        Just(InHr::Gone),
        Just(InHr::Unreadable)
    ];
    (hr, any::<bool>(), prop::bool::weighted(0.1), any::<bool>(), any::<bool>()).prop_map(
        |(hr, idp_active, idp_unreadable, linked, disabled_by_sync)| Case {
            hr,
            idp_active,
            idp_unreadable,
            linked,
            disabled_by_sync,
        },
    )
}

fn build(cases: &[Case]) -> (Snapshot, Snapshot, SyncState) {
    let (mut hr, mut idp, mut state) = (Vec::new(), Vec::new(), SyncState::new());
    for (i, c) in cases.iter().enumerate() {
        let person = Person::new().with_email(format!("p{i}@example.com"));
        let (h, a) = (format!("h{i}"), format!("a{i}"));
        match c.hr {
            InHr::Active => hr.push(Record::new(h.clone(), person.clone())),
            InHr::Inactive => hr.push(Record::new(h.clone(), person.clone()).inactive()),
            InHr::Gone => {}
            InHr::Unreadable => hr.push(Record::unreadable(h.clone(), person.clone(), "bad")),
        }
        let mut record = match c.idp_unreadable {
            true => Record::unreadable(a.clone(), person.clone(), "bad"),
            false => Record::new(a.clone(), person.clone()),
        };
        record.active = c.idp_active;
        idp.push(record);
        if c.linked {
            state.link(h.clone().into(), a.clone().into(), person);
        }
        if c.disabled_by_sync {
            let disabled = DisabledAccount {
                hr: h.into(),
                at: chrono::DateTime::UNIX_EPOCH,
                reason: AccountReason::InactiveInHr,
                sessions_revoked: false,
            };
            state.disabled.insert(a.into(), disabled);
        }
    }
    (Snapshot::new(hr), Snapshot::new(idp), state)
}

proptest! {
    #[test]
    fn accounts_change_only_for_leavers_and_returners(cases in prop::collection::vec(case(), 1..40)) {
        let (hr, idp, state) = build(&cases);
        let on = Policy {
            leavers: Leavers { disable: true, revoke_sessions: true },
            ..Policy::default()
        };
        let plan = reconcile(&hr, &idp, &state, &on);
        prop_assert_eq!(&plan, &reconcile(&hr, &idp, &state, &on), "deterministic");
        let by_id: BTreeMap<&RecordId, &Case> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| (&idp.records[i].id, c))
            .collect();
        for account in &plan.accounts {
            let c = by_id[&account.idp];
            prop_assert!(!c.idp_unreadable, "an unreadable account is never touched: {:?}", account);
            match account.action {
                AccountAction::Disable => {
                    prop_assert!(c.idp_active, "{:?} {:?}", account, c);
                    let left = matches!(c.hr, InHr::Inactive) || matches!(c.hr, InHr::Gone) && c.linked;
                    prop_assert!(left, "only a leaver is disabled: {:?} {:?}", account, c);
                }
                AccountAction::Enable => {
                    prop_assert!(!c.idp_active && c.disabled_by_sync, "{:?} {:?}", account, c);
                    prop_assert!(matches!(c.hr, InHr::Active), "{:?} {:?}", account, c);
                }
                AccountAction::RevokeSessions => {
                    prop_assert!(!matches!(c.hr, InHr::Active | InHr::Unreadable), "{:?} {:?}", account, c);
                }
            }
        }
        // Every linked, active account of a person inactive in HR is disabled.
        for (i, c) in cases.iter().enumerate() {
            if c.linked && matches!(c.hr, InHr::Inactive) && c.idp_active && !c.idp_unreadable {
                let id = RecordId::new(format!("a{i}"));
                let disabled = plan.accounts.iter().any(|a| a.idp == id && a.action == AccountAction::Disable);
                prop_assert!(disabled, "{:?}", c);
            }
        }
        let off = reconcile(&hr, &idp, &state, &Policy::default());
        prop_assert!(off.accounts.is_empty());
    }
}
