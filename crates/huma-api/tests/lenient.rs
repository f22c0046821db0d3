//! One user of the wrong shape is one unreadable record, not a failed read: the others are read as
//! usual, the unreadable one keeps its id and the keys that could be read, and its reason names
//! the property. An answer that is not JSON still fails the read.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

mod common;

use common::*;
use dirsync::{
    directory::{Directory, ErrorKind, Record, RecordId, Snapshot},
    model::Person,
};
use huma_api::{HumaDirectory, HumaDirectoryConfig, HumaError};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn directory(server: &MockServer) -> HumaDirectory {
    HumaDirectory::new(client(server), HumaDirectoryConfig::default())
}

/// Answers `GET /users/{id}` with `body`, once.
async fn mount_details_of(server: &MockServer, id: &str, body: Value) {
    mock(server, "GET", format!("/users/{id}"), ResponseTemplate::new(200).set_body_json(body), 1)
        .await;
}

/// Every other user's details, as [`details`] has them.
async fn mount_other_details(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/[^/]+$"))
        .respond_with(DetailsById)
        .mount(server)
        .await;
}

/// Sets the property at `pointer` (a JSON pointer) of `json` to `value`.
fn with(mut json: Value, pointer: &str, value: Value) -> Value {
    *json.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} is not in the details")) = value;
    json
}

async fn snapshot_by_id(server: &MockServer) -> Vec<Record> {
    let mut records = directory(server).snapshot().await.unwrap();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    records
}

/// The record of a user read in full, for comparison.
fn good(id: &str) -> Record {
    huma_api::mapping::record_from_json(
        &huma_api::HumaUserId::new(id),
        &serde_json::to_vec(&details(id)).unwrap(),
    )
    .unwrap()
}

fn keys(email: Option<&str>, employment_id: Option<&str>) -> Person {
    let mut person = Person::new();
    if let Some(email) = email {
        person = person.with_email(email);
    }
    if let Some(id) = employment_id {
        person = person.with_employment_id(id);
    }
    person
}

#[tokio::test]
async fn one_user_whose_details_have_the_wrong_shape_is_unreadable_and_the_others_are_read() {
    let server = server().await;
    let ids = user_ids(0..5);
    mount_list(&server, &ids, &[Some(5)]).await;
    mount_details_of(&server, "u002", with(details("u002"), "/status/active", json!("yes"))).await;
    mount_other_details(&server).await;

    let records = snapshot_by_id(&server).await;
    let read: Vec<(&str, bool)> =
        records.iter().map(|r| (r.id.as_str(), r.is_unreadable())).collect();
    assert_eq!(
        read,
        [("u000", false), ("u001", false), ("u002", true), ("u003", false), ("u004", false)]
    );
    let bad = &records[2];
    assert_eq!(bad.person, keys(Some("u002@example.com"), Some("E-u002")), "only the keys");
    assert_eq!(
        bad.unreadable.as_deref(),
        Some(
            "Huma's details of this user could not be read at `status.active`: \
             invalid type: string \"yes\", expected a boolean"
        )
    );
    for (record, id) in records.iter().zip(&ids).filter(|(r, _)| !r.is_unreadable()) {
        assert_eq!(record, &good(id), "{id} is read as if nobody else were wrong");
    }
    // One in five is few enough for a sync to go on without them.
    assert!(dirsync::directory::check_unreadable("Huma", &records).is_ok());
}

/// A pointer into the details, the wrong value put there, the property the reason names, what
/// serde says, and whether the email and the employment id are still kept as keys.
type WrongShape = (&'static str, Value, &'static str, &'static str, (bool, bool));

#[tokio::test]
async fn each_wrong_shape_names_its_property_and_keeps_the_keys_that_are_text() {
    let e = |id: &str| format!("E-{id}");
    let cases: Vec<WrongShape> = vec![
        ("/givenName", json!(42), "givenName", "invalid type: integer `42`", (true, true)),
        ("/givenName/value", json!(42), "givenName.value", "expected a string", (true, true)),
        ("/familyName/value", json!(["Lovelace"]), "familyName.value", "sequence", (true, true)),
        ("/phone/value", json!({"number": 4}), "phone.value", "map", (true, true)),
        ("/homeAddress/value", json!("Storgata 1"), "homeAddress.value", "string", (true, true)),
        ("/homeAddress/value/city", json!(150), "homeAddress.value.city", "integer", (true, true)),
        ("/homeAddress/editable", json!("no"), "homeAddress.editable", "boolean", (true, true)),
        ("/currentPositions", json!({}), "currentPositions", "expected a sequence", (true, true)),
        (
            "/currentPositions/0/title/name",
            json!(7),
            "currentPositions[0].title.name",
            "integer `7`",
            (true, true),
        ),
        ("/jobTitle/value", json!("CTO"), "jobTitle.value", "string \"CTO\"", (true, true)),
        ("/status", json!("ACTIVE"), "status", "string \"ACTIVE\"", (true, true)),
        ("/email/value", json!(["a@example.com"]), "email.value", "sequence", (false, true)),
        ("/email", json!(true), "email", "boolean", (false, true)),
        ("/employmentId/value", json!(HUGE), "employmentId.value", "out of range", (true, false)),
        ("/employmentId/value", json!(12345), "employmentId.value", "integer", (true, false)),
        ("/id", json!(null), "id", "invalid type: null", (true, true)),
    ];
    for (pointer, value, named, says, (has_email, has_id)) in cases {
        let server = server().await;
        let body = with(details("u1"), pointer, value)
            .to_string()
            .replace(&json!(HUGE).to_string(), "1e400");
        mock(&server, "GET", "/users/u1", ResponseTemplate::new(200).set_body_string(body), 1)
            .await;
        let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
        let reason = record.unreadable.as_deref().unwrap_or_else(|| panic!("{pointer}: read"));
        assert!(reason.contains(&format!("at `{named}`:")), "{pointer}: {reason}");
        assert!(reason.contains(says), "{pointer}: {reason}");
        let expected =
            keys(has_email.then_some("u1@example.com"), has_id.then(|| e("u1")).as_deref());
        assert_eq!(record.person, expected, "{pointer}");
        assert_eq!(record.id.as_str(), "u1");
    }
}

#[tokio::test]
async fn nulls_and_unknown_properties_of_any_type_are_read_as_usual() {
    let server = server().await;
    let mut body = details("u1");
    body["phone"] = json!({"value": null});
    body["homeAddress"] = json!(null);
    body["status"] = json!({"active": null, "since": [1, 2]});
    body["someFutureField"] = json!([{"deep": [[[1e300]]]}]);
    let body = body.to_string().replace("1e300", "1e999");
    mock(&server, "GET", "/users/u1", ResponseTemplate::new(200).set_body_string(body), 1).await;
    let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
    assert!(!record.is_unreadable(), "{:?}", record.unreadable);
    assert_eq!((record.person.phone(), record.person.address()), (None, None));
    assert_eq!(record.person.given_name(), Some("Given u1"));
    assert!(record.active);
}

#[tokio::test]
async fn details_that_are_json_but_not_an_object_or_of_another_user_are_unreadable() {
    for (body, says) in [
        (json!(["u1", {"value": "Ada"}]), "it is an array, not a JSON object"),
        (json!("u1"), "it is a string, not a JSON object"),
        (json!(null), "it is null, not a JSON object"),
        (details("u2"), "Huma answered with the details of user u2 when asked for this user's"),
        (json!({"givenName": {"value": "Ada"}}), "missing field `id`"),
    ] {
        let server = server().await;
        mount_details_of(&server, "u1", body.clone()).await;
        let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
        assert_eq!(record.id.as_str(), "u1", "{body}");
        let reason = record.unreadable.unwrap_or_default();
        assert!(reason.contains(says), "{body}: {reason}");
    }
}

#[tokio::test]
async fn a_list_entry_of_the_wrong_shape_is_unreadable_with_the_keys_of_its_details() {
    let server = server().await;
    let ids = user_ids(0..3);
    let mut entries: Vec<Value> = ids.iter().map(|id| summary(id)).collect();
    entries[1]["status"] = json!({"active": "yes"});
    entries[1]["email"] = json!("listed@example.com");
    mount_page(&server, 0, page_of(entries)).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/u00[012]$"))
        .respond_with(DetailsById)
        .expect(3)
        .mount(&server)
        .await;

    let records = snapshot_by_id(&server).await;
    let bad = &records[1];
    assert_eq!(bad.id.as_str(), "u001");
    // The details' email comes first; only the details have the employment id.
    assert_eq!(bad.person, keys(Some("u001@example.com"), Some("E-u001")));
    assert_eq!(
        bad.unreadable.as_deref(),
        Some(
            "this user's entry in Huma's user list could not be read at `status.active`: \
             invalid type: string \"yes\", expected a boolean"
        )
    );
    assert_eq!(records[0], good("u000"));
    assert_eq!(records[2], good("u002"));
}

#[tokio::test]
async fn a_list_entry_and_details_both_wrong_give_both_reasons_and_the_list_email() {
    let server = server().await;
    let mut entry = summary("u1");
    entry["givenName"] = json!(42);
    entry["email"] = json!("listed@example.com");
    mount_page(&server, 0, page_of(vec![entry])).await;
    let mut body = with(details("u1"), "/givenName/value", json!(false));
    body["email"] = json!({"value": 5});
    mount_details_of(&server, "u1", body).await;

    let records = snapshot_by_id(&server).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].person, keys(Some("listed@example.com"), Some("E-u1")));
    let reason = records[0].unreadable.as_deref().unwrap();
    assert!(
        reason
            .starts_with("this user's entry in Huma's user list could not be read at `givenName`"),
        "{reason}"
    );
    assert!(
        reason.contains("; and Huma's details of this user could not be read at `email.value`"),
        "{reason}"
    );
}

#[tokio::test]
async fn list_entries_without_a_readable_id_are_kept_under_stand_in_ids_and_no_detail_is_read() {
    let server = server().await;
    let entries = vec![
        summary("u000"),
        json!({"id": 42, "email": "forty-two@example.com"}),
        json!({"email": {"value": "wrapped@example.com"}}),
        json!("u9"),
        json!(null),
        summary("u005"),
    ];
    mount_page(&server, 0, page_of(entries)).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/u00[05]$"))
        .respond_with(DetailsById)
        .expect(2)
        .mount(&server)
        .await;
    let records = directory(&server).snapshot().await.unwrap();
    let mut unreadable: Vec<(&str, Option<&str>, &str)> = records
        .iter()
        .filter(|r| r.is_unreadable())
        .map(|r| (r.id.as_str(), r.person.email(), r.unreadable.as_deref().unwrap()))
        .collect();
    unreadable.sort();
    let stand_in = |n: u64| format!("(user list entry at offset {n} without an id)");
    let (one, two, three, four) = (stand_in(1), stand_in(2), stand_in(3), stand_in(4));
    assert_eq!(
        unreadable,
        [
            (
                one.as_str(),
                Some("forty-two@example.com"),
                "this user's entry in Huma's user list could not be read at `id`: invalid type: integer `42`, expected a string"
            ),
            (
                two.as_str(),
                Some("wrapped@example.com"),
                "this user's entry in Huma's user list could not be read at `email`: invalid type: map, expected a string"
            ),
            (
                three.as_str(),
                None,
                "this user's entry in Huma's user list could not be read: it is a string, not a JSON object"
            ),
            (
                four.as_str(),
                None,
                "this user's entry in Huma's user list could not be read: it is null, not a JSON object"
            ),
        ]
    );
    assert_eq!(records.iter().filter(|r| !r.is_unreadable()).count(), 2);
}

#[tokio::test]
async fn details_that_are_not_json_fail_the_read() {
    let server = server().await;
    mount_list(&server, &user_ids(0..3), &[Some(3)]).await;
    mock(
        &server,
        "GET",
        "/users/u001",
        ResponseTemplate::new(200).set_body_string("<html>502 Bad Gateway</html>"),
        1,
    )
    .await;
    mount_other_details(&server).await;
    let err = directory(&server).snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(chain(&err).contains("GET /users/u001"), "{}", chain(&err));
}

#[tokio::test]
async fn a_page_that_is_not_json_or_whose_items_are_not_an_array_fails_the_read() {
    for body in [
        "<html></html>",
        r#"{"items": {"id": "u1"}}"#,
        r#"{"items": null}"#,
        "[]",
        r#"{"total": 1, "items": [{"id": "u1"}"#,
    ] {
        let server = server().await;
        mount_page(&server, 0, ResponseTemplate::new(200).set_body_string(body)).await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/users/.+$"))
            .respond_with(DetailsById)
            .expect(0)
            .mount(&server)
            .await;
        let err = directory(&server).snapshot().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{body}");
        let HumaError::Decode { what, .. } = huma_error(&err) else { panic!("{body}: {err:?}") };
        assert_eq!(what, "GET /users");
    }
}

#[tokio::test]
async fn too_many_unreadable_users_fail_the_snapshot_as_a_format_change() {
    let server = server().await;
    let ids = user_ids(0..10);
    mount_list(&server, &ids, &[Some(10)]).await;
    for id in &ids[..3] {
        mount_details_of(&server, id, with(details(id), "/givenName/value", json!(1))).await;
    }
    mount_other_details(&server).await;
    let err = Snapshot::read(&directory(&server)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.message().contains("3 of the 10 people read from Huma"), "{err}");
}

#[tokio::test]
async fn the_list_as_it_is_names_the_entry_it_cannot_read() {
    let server = server().await;
    let mut entries: Vec<Value> = user_ids(0..3).iter().map(|id| summary(id)).collect();
    entries[2]["familyName"] = json!({"value": "F"});
    mount_page(&server, 0, page_of(entries)).await;
    let err = client(&server).all_users().await.unwrap_err();
    let HumaError::Decode { what, body, .. } = &err else { panic!("{err:?}") };
    assert_eq!(what, "GET /users (the user at offset 2, at `familyName`)");
    assert!(body.contains(r#""familyName":{"value":"F"}"#), "{body}");
    assert!(chain(&err).contains("invalid type: map, expected a string"), "{}", chain(&err));
}

#[tokio::test]
async fn find_matching_finds_an_unreadable_user_by_the_email_of_their_details() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("search", "u1@example.com"))
        .respond_with(page(&["u1".into()], Some(1)))
        .expect(1)
        .mount(&server)
        .await;
    mount_details_of(&server, "u1", with(details("u1"), "/homeAddress/value", json!(7))).await;
    let found = directory(&server)
        .find_matching(&Person::new().with_email("u1@example.com"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0].is_unreadable());
    assert_eq!(found[0].person, keys(Some("u1@example.com"), Some("E-u1")));
}

#[tokio::test]
async fn a_webhooks_user_of_the_wrong_shape_is_read_as_unreadable() {
    let server = server().await;
    mount_details_of(&server, "u1", with(details("u1"), "/status/active", json!(1))).await;
    let event =
        huma_api::webhook::parse_event(br#"{"topic":"users-update","users":[{"id":"u1"}]}"#)
            .unwrap();
    let records = directory(&server).records_for(&event).await.unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].unreadable.as_deref().unwrap().contains("`status.active`"));
}

/// Stands in for a number beyond f64, which serde_json cannot write but Huma's JSON could hold.
const HUGE: &str = "<1e400>";

fn page_of(items: Vec<Value>) -> ResponseTemplate {
    let total = items.len();
    ResponseTemplate::new(200).set_body_json(json!({ "total": total, "items": items }))
}

fn huma_error(err: &dirsync::directory::DirectoryError) -> &HumaError {
    err.downcast_ref::<HumaError>().unwrap_or_else(|| panic!("not a HumaError: {err:?}"))
}
