//! Records a directory returned but that cannot be understood: kept, never written, never a
//! cause of a duplicate; too many of them fail the read.

use dirsync::{
    directory::{ErrorKind, InMemoryDirectory, Record, RecordId, Snapshot},
    model::Person,
    plan::FindingKind,
    policy::{CreationRule, Policy},
    store::{MemoryStore, StateStore},
    sync::{SyncError, Synchronizer},
};

fn person(name: &str) -> Person {
    Person::new()
        .with_email(format!("{}@example.com", name.to_lowercase()))
        .with_employment_id(format!("E-{name}"))
        .with_given_name(name)
}

fn create_everyone() -> Policy {
    Policy {
        create_in_hr: CreationRule::All,
        create_in_idp: CreationRule::All,
        ..Policy::default()
    }
}

#[tokio::test]
async fn an_unreadable_record_takes_no_writes_and_blocks_a_duplicate() {
    // Ada's Huma record cannot be read; only her email could. Bo's Azure record cannot be read
    // at all (no keys).
    let hr = InMemoryDirectory::new([
        Record::unreadable("h1", Person::new().with_email("ada@example.com"), "firstName is 42"),
        Record::new("h2", person("Cy")),
    ])
    .with_name("Huma");
    let idp = InMemoryDirectory::new([
        Record::new("a1", person("Ada").with_job_title("CTO")),
        Record::unreadable("a2", Person::new(), "jobTitle is a list"),
    ])
    .with_name("Azure AD");
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(create_everyone());
    let synced = sync.plan().await.expect("planned").apply().await.expect("applied");
    let plan = &synced.plan;

    let unreadable: Vec<&str> = plan
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Unreadable)
        .map(|f| f.records[0].id.as_str())
        .collect();
    assert_eq!(unreadable, ["h1", "a2"]);
    let h1 = plan
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Unreadable && f.records[0].id.as_str() == "h1")
        .expect("h1");
    assert!(
        h1.message.contains("firstName is 42") && h1.message.contains("correct the record in Huma")
    );
    // Ada exists in Azure AD only as far as pairing can tell, but she is not created in Huma:
    // the unreadable Huma record holds her email.
    let blocked = plan
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::WouldDuplicate)
        .expect("Ada is not created again");
    assert!(blocked.message.contains("cannot be read"), "{}", blocked.message);
    let created: Vec<&str> =
        plan.creations.iter().filter(|c| c.settled.is_some()).map(|c| c.record.as_str()).collect();
    assert_eq!(created, ["h2"], "only Cy is created (in Azure AD)");
    assert_eq!(hr.records().len(), 2, "nobody created in Huma");
    assert_eq!(synced.report.counts.created_in_idp, 1);
    assert!(dirsync_report::markdown(&synced.report).contains("Unreadable record"));
}

#[tokio::test]
async fn a_linked_record_that_cannot_be_read_keeps_its_link_and_is_left_alone() {
    let hr = InMemoryDirectory::new([Record::new("h1", person("Ada").with_job_title("CTO"))])
        .with_name("Huma");
    let idp = InMemoryDirectory::new([Record::new("a1", person("Ada").with_job_title("CTO"))])
        .with_name("Azure AD");
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(create_everyone());
    sync.plan().await.expect("planned").apply().await.expect("linked");

    // Her Azure record turns unreadable and her Huma title changes.
    idp.put(Record::unreadable("a1", Person::new(), "businessPhones is a number"));
    hr.put(Record::new("h1", person("Ada").with_job_title("CEO")));
    let synced = sync.plan().await.expect("planned").apply().await.expect("applied");
    assert!(synced.report.operations.is_empty(), "{:?}", synced.report.operations);
    assert!(synced.plan.creations.is_empty(), "she is not created again");
    let state = store.load().await.expect("saved");
    let link = &state.links[&RecordId::from("h1")];
    assert_eq!(link.idp, RecordId::from("a1"));
    assert_eq!(link.baseline.job_title(), Some("CTO"), "the last agreed values are kept");

    // Readable again: the change flows, by the kept link.
    idp.put(Record::new("a1", person("Ada").with_job_title("CTO")));
    let synced = sync.plan().await.expect("planned").apply().await.expect("applied");
    assert_eq!(synced.report.counts.updated_in_idp, 1);
}

#[tokio::test]
async fn more_than_five_percent_unreadable_fails_the_read() {
    let records = |unreadable: usize, of: usize| {
        (0..of).map(move |i| match i < unreadable {
            true => Record::unreadable(format!("u{i}"), Person::new(), "not an object"),
            false => Record::new(format!("u{i}"), person(&format!("P{i}"))),
        })
    };
    for (unreadable, of) in [(2, 10), (5, 100), (1, 1)] {
        let dir = InMemoryDirectory::new(records(unreadable, of)).with_name("Huma");
        assert!(Snapshot::read(&dir).await.is_ok(), "{unreadable} of {of}");
    }
    for (unreadable, of) in [(3, 10), (6, 100)] {
        let dir = InMemoryDirectory::new(records(unreadable, of)).with_name("Huma");
        let err = Snapshot::read(&dir).await.expect_err("the format changed");
        assert_eq!(err.kind(), ErrorKind::InvalidResponse);
        let message = err.to_string();
        assert!(message.contains(&format!("{unreadable} of the {of} people")), "{message}");
        assert!(message.contains("u0: not an object"), "{message}");
    }

    // Through a sync: nothing is written, the error names the system.
    let hr = InMemoryDirectory::new(records(3, 10)).with_name("Huma");
    let idp = InMemoryDirectory::new([]).with_name("Azure AD");
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(create_everyone());
    match sync.plan().await {
        Err(SyncError::Read { system, .. }) => assert_eq!(system, "Huma"),
        other => panic!("expected a failed read, got {other:?}"),
    }
    assert!(idp.records().is_empty());
}
