//! The lenient reader against testkit's stateful fake Huma: a user broken in Huma is one
//! unreadable record among readable ones until it is corrected; inactive, deleted and refused
//! users are read as Huma shows them.
#![allow(clippy::unwrap_used)]

use dirsync::{
    directory::{Directory, ErrorKind, FieldChange, Record, Snapshot},
    model::{Field, FieldValue, Person},
};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, HumaError, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;
use testkit::{FakeHuma, HumaConfig, HumaUser, HumaView};

/// A fake with `n` users, each with an email and an employment id; their ids in list order.
async fn fake_with(n: usize) -> (FakeHuma, Vec<String>) {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let users = (0..n).map(|i| HumaUser {
        employment_id: Some(format!("E{i}")),
        phone: Some("+47 400 00 000".into()),
        ..HumaUser::new(format!("p{i}@example.com"), format!("Given{i}"), "Family")
    });
    let ids = huma.insert_users(users).unwrap();
    (huma, ids)
}

fn directory(huma: &FakeHuma) -> HumaDirectory {
    let client = HumaClient::builder()
        .base_url(huma.base_url())
        .credentials(FakeHuma::CLIENT_ID, SecretString::from(FakeHuma::CLIENT_SECRET))
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    HumaDirectory::new(client, HumaDirectoryConfig::default())
}

async fn snapshot_by_id(huma: &FakeHuma) -> Vec<Record> {
    let mut records = Snapshot::read(&directory(huma)).await.unwrap().records;
    records.sort_by(|a, b| a.id.cmp(&b.id));
    records
}

fn keys(i: usize) -> Person {
    Person::new().with_email(format!("p{i}@example.com")).with_employment_id(format!("E{i}"))
}

#[tokio::test]
async fn one_user_broken_in_huma_is_unreadable_until_corrected_and_nobody_else_changes() {
    let (huma, ids) = fake_with(60).await;
    let before = snapshot_by_id(&huma).await;
    assert!(before.iter().all(|r| !r.is_unreadable()));

    huma.set_raw_property(&ids[37], HumaView::Details, "status.active", json!("yes")).unwrap();
    let during = snapshot_by_id(&huma).await;
    assert_eq!(during.len(), 60);
    let (broken, others): (Vec<&Record>, Vec<&Record>) =
        during.iter().partition(|r| r.id.as_str() == ids[37]);
    let broken = broken[0];
    assert_eq!(broken.person, keys(37));
    let reason = broken.unreadable.as_deref().unwrap();
    assert!(
        reason.contains("`status.active`") && reason.contains("expected a boolean"),
        "{reason}"
    );
    let unchanged: Vec<&Record> = before.iter().filter(|r| r.id.as_str() != ids[37]).collect();
    assert_eq!(others, unchanged);

    huma.clear_raw_properties(&ids[37]);
    assert_eq!(snapshot_by_id(&huma).await, before, "corrected in Huma, read as before");
}

#[tokio::test]
async fn a_broken_list_entry_keeps_the_keys_of_the_details_or_of_the_entry() {
    let (huma, ids) = fake_with(4).await;
    huma.set_raw_property(&ids[1], HumaView::ListEntry, "givenName", json!(42)).unwrap();
    huma.set_raw_property(&ids[2], HumaView::ListEntry, "id", json!(["not", "an", "id"])).unwrap();
    let records = directory(&huma).snapshot().await.unwrap();
    let find = |id: &str| records.iter().find(|r| r.id.as_str() == id).unwrap();

    let named = find(&ids[1]);
    assert_eq!(named.person, keys(1));
    assert!(
        named.unreadable.as_deref().unwrap().contains("user list could not be read at `givenName`")
    );
    let stand_in = find("(user list entry at offset 2 without an id)");
    assert_eq!(stand_in.person, Person::new().with_email("p2@example.com"));
    assert!(stand_in.unreadable.as_deref().unwrap().contains("at `id`"));
    assert_eq!(records.iter().filter(|r| r.is_unreadable()).count(), 2);
    assert_eq!(records.len(), 4);
}

#[tokio::test]
async fn many_broken_users_fail_the_read_as_a_format_change() {
    let (huma, ids) = fake_with(20).await;
    for id in &ids[..3] {
        huma.set_raw_property(id, HumaView::Details, "givenName.value", json!(1)).unwrap();
    }
    let err = Snapshot::read(&directory(&huma)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}

#[tokio::test]
async fn get_reads_a_broken_user_as_unreadable_and_a_deleted_one_as_none() {
    let (huma, ids) = fake_with(3).await;
    let dir = directory(&huma);
    huma.set_raw_property(&ids[0], HumaView::Details, "homeAddress", json!("Storgata 1")).unwrap();
    let record = dir.get(&ids[0].as_str().into()).await.unwrap().unwrap();
    assert!(record.unreadable.as_deref().unwrap().contains("at `homeAddress`"));
    assert_eq!(record.person, keys(0));

    huma.delete_user(&ids[1]).unwrap();
    assert_eq!(dir.get(&ids[1].as_str().into()).await.unwrap(), None);
    let event = huma_api::webhook::parse_event(
        format!(r#"{{"topic":"users-delete","users":[{{"id":"{}"}}]}}"#, ids[1]).as_bytes(),
    )
    .unwrap();
    assert!(dir.records_for(&event).await.unwrap().is_empty());
    let read = dir.snapshot().await.unwrap();
    assert_eq!(read.len(), 2);
    assert!(read.iter().all(|r| r.id.as_str() != ids[1]));
}

#[tokio::test]
async fn an_inactive_user_is_read_inactive_and_whole() {
    let (huma, ids) = fake_with(2).await;
    huma.set_active(&ids[1], false).unwrap();
    let records = snapshot_by_id(&huma).await;
    let inactive = records.iter().find(|r| r.id.as_str() == ids[1]).unwrap();
    assert!(!inactive.active && !inactive.is_unreadable());
    assert_eq!(inactive.person.given_name(), Some("Given1"));
}

#[tokio::test]
async fn a_write_huma_refuses_is_an_invalid_value_until_it_is_taken_back() {
    let (huma, ids) = fake_with(1).await;
    let dir = directory(&huma);
    let body = json!({
        "errorCode": "field:invalid-format", "errorMessage": "Invalid field format",
        "fields": ["phone"],
    });
    huma.fail_writes(&ids[0], 400, body).unwrap();
    let change = [FieldChange { field: Field::Phone, value: FieldValue::Text("+47 1".into()) }];
    let err = dir.update(&ids[0].as_str().into(), &change).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    let huma_err = err.downcast_ref::<HumaError>().unwrap();
    assert!(
        matches!(huma_err, HumaError::InvalidField { fields, .. } if fields == &["phone"]),
        "{huma_err:?}"
    );
    assert_eq!(huma.user(&ids[0]).unwrap().phone.as_deref(), Some("+47 400 00 000"));

    huma.stop_failing_writes(&ids[0]);
    dir.update(&ids[0].as_str().into(), &change).await.unwrap();
    assert_eq!(huma.user(&ids[0]).unwrap().phone.as_deref(), Some("+47 1"));
}
