//! Someone deleted on one side since the last sync: reported, not created again by a rule that
//! creates everyone, and remembered until a person decides.

mod common;

use common::{person, snap};
use dirsync::{
    apply::{ApplyOptions, DirectoryPair, apply},
    directory::{InMemoryDirectory, Record, RecordId, Snapshot},
    model::Side,
    plan::{DecidedBy, Decision, FindingKind, Plan, Settled, reconcile},
    policy::{CreationRule, Policy},
    store::SyncState,
};

fn create_everyone() -> Policy {
    Policy {
        create_in_hr: CreationRule::All,
        create_in_idp: CreationRule::All,
        ..Policy::default()
    }
}

fn linked(pairs: &[(&str, &str)]) -> SyncState {
    let mut state = SyncState::new();
    for (hr, idp) in pairs {
        state.link((*hr).into(), (*idp).into(), person(&format!("{hr}@example.com")));
    }
    state
}

fn creation_settled(plan: &Plan, record: &str) -> Option<Settled> {
    let creation = plan.creations.iter().find(|c| c.record.as_str() == record);
    creation.expect("a creation for the record").settled
}

#[test]
fn a_person_deleted_in_the_directory_is_not_created_there_again_by_the_rule() {
    let hr =
        vec![Record::new("h1", person("h1@example.com")), Record::new("h2", person("new@x.no"))];
    let plan = reconcile(&snap(hr), &snap(vec![]), &linked(&[("h1", "a1")]), &create_everyone());

    let skip = Settled { decision: Decision::Skip, by: DecidedBy::Deletion };
    assert_eq!(creation_settled(&plan, "h1"), Some(skip));
    // Someone never linked is created as the rule says.
    assert_eq!(creation_settled(&plan, "h2").map(|s| s.decision), Some(Decision::Create));
    assert_eq!(plan.broken_links.len(), 1);
    let broken = &plan.broken_links[0];
    assert_eq!((broken.hr.as_str(), broken.idp.as_str(), broken.gone), ("h1", "a1", Side::Idp));
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::LinkBroken).unwrap();
    assert!(finding.message.contains("decide \"create\""), "{}", finding.message);
}

#[test]
fn a_person_deleted_in_hr_is_not_created_there_again_by_the_rule() {
    let idp = vec![Record::new("a1", person("h1@example.com"))];
    let plan = reconcile(&snap(vec![]), &snap(idp), &linked(&[("h1", "a1")]), &create_everyone());
    assert_eq!(creation_settled(&plan, "a1").map(|s| s.by), Some(DecidedBy::Deletion));
    assert_eq!(plan.broken_links[0].gone, Side::Hr);
    assert_eq!(plan.broken_links[0].remaining().as_str(), "a1");
}

#[test]
fn a_rule_naming_the_record_or_a_decision_creates_them_again() {
    let hr = || snap(vec![Record::new("h1", person("h1@example.com"))]);
    let state = linked(&[("h1", "a1")]);
    let named = Policy {
        create_in_idp: CreationRule::Selected(["h1".into()].into_iter().collect()),
        ..Policy::default()
    };
    let plan = reconcile(&hr(), &snap(vec![]), &state, &named);
    assert_eq!(creation_settled(&plan, "h1").map(|s| s.decision), Some(Decision::Create));

    let mut plan = reconcile(&hr(), &snap(vec![]), &state, &create_everyone());
    let id = plan.creations[0].id.clone();
    plan.decide(&id, Decision::Create).unwrap();
    assert_eq!(creation_settled(&plan, "h1").map(|s| s.decision), Some(Decision::Create));
}

#[test]
fn a_person_paired_again_by_email_keeps_no_broken_link() {
    // a1 was deleted and the person created again in the directory by hand as a2.
    let hr = vec![Record::new("h1", person("h1@example.com"))];
    let idp = vec![Record::new("a2", person("h1@example.com"))];
    let plan = reconcile(&snap(hr), &snap(idp), &linked(&[("h1", "a1")]), &create_everyone());
    assert_eq!(plan.pairs.len(), 1);
    assert!(plan.creations.is_empty() && plan.broken_links.is_empty());
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::LinkBroken).unwrap();
    assert!(finding.message.contains("now paired"), "{}", finding.message);
}

async fn sync(hr: &InMemoryDirectory, idp: &InMemoryDirectory, state: &mut SyncState) -> Plan {
    let plan = plan_for(hr, idp, state).await;
    let report = apply(&plan, DirectoryPair::new(hr, idp), state, &ApplyOptions::default()).await;
    let report = report.expect("applied");
    for broken in &plan.broken_links {
        let creation = plan.creations.iter().find(|c| &c.record == broken.remaining());
        let id = &creation.expect("a creation for the person left").id;
        let skipped = report.skipped.iter().find(|s| &s.item == id);
        let reason = &skipped.expect("the person left is reported skipped").reason;
        assert!(reason.contains("was deleted since the last sync"), "{reason}");
    }
    plan
}

async fn plan_for(hr: &InMemoryDirectory, idp: &InMemoryDirectory, state: &SyncState) -> Plan {
    let [hr, idp]: [Snapshot; 2] =
        [Snapshot::read(hr).await.expect("read"), Snapshot::read(idp).await.expect("read")];
    reconcile(&hr, &idp, state, &create_everyone())
}

#[tokio::test]
async fn the_link_is_kept_until_someone_decides_and_then_replaced() {
    let hr = InMemoryDirectory::new([Record::new("h1", person("h1@example.com"))]);
    let idp = InMemoryDirectory::new([]);
    let mut state = SyncState::new();
    sync(&hr, &idp, &mut state).await;
    let a1 = state.links[&RecordId::from("h1")].idp.clone();
    assert_eq!(idp.records().len(), 1, "created on the first run");

    // Deleted in the directory: two runs later, still not created, still remembered.
    idp.remove(&a1);
    for _ in 0..2 {
        let plan = sync(&hr, &idp, &mut state).await;
        assert_eq!(plan.broken_links.len(), 1);
        assert!(idp.records().is_empty(), "not created again");
        assert_eq!(state.links[&RecordId::from("h1")].idp, a1, "the link is kept");
    }

    // Someone decides to create them again: a new record, and the link now names it.
    let mut plan = plan_for(&hr, &idp, &state).await;
    let id = plan.creations[0].id.clone();
    plan.decide(&id, Decision::Create).unwrap();
    apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &ApplyOptions::default())
        .await
        .unwrap();
    let records = idp.records();
    assert_eq!(records.len(), 1);
    assert_eq!(state.links[&RecordId::from("h1")].idp, records[0].id);
    assert_ne!(records[0].id, a1);
    assert!(plan_for(&hr, &idp, &state).await.broken_links.is_empty());
}

#[tokio::test]
async fn a_link_whose_records_are_both_gone_is_dropped() {
    let hr = InMemoryDirectory::new([]);
    let idp = InMemoryDirectory::new([]);
    let mut state = linked(&[("h1", "a1")]);
    let plan = sync(&hr, &idp, &mut state).await;
    assert!(plan.broken_links.is_empty());
    assert!(state.links.is_empty());
    assert!(hr.records().is_empty() && idp.records().is_empty(), "nobody created");
}
