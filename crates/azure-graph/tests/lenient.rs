//! Lenient reads: one user of the wrong shape among good ones becomes one unreadable record, in a
//! listing, a delta round, a search and a get; a page of the wrong shape still fails the read.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{GraphUser, PhoneProperty, UserEntry, to_record};
use common::*;
use dirsync::{
    directory::{Directory, ErrorKind, IncrementalDirectory, Record, RecordId},
    model::Person,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The record the strict mapping makes of a good user.
fn strict(user: &Value) -> Record {
    let user: GraphUser = serde_json::from_value(user.clone()).unwrap();
    to_record(&user, PhoneProperty::MobilePhone)
}

fn good(id: &str, employee_id: &str) -> Value {
    json!({"id": id, "accountEnabled": true, "mail": format!("{id}@contoso.com"),
           "employeeId": employee_id, "givenName": "Ada", "jobTitle": "CTO", "city": "Oslo",
           "country": "NO", "employeeHireDate": "2024-03-01T00:00:00Z"})
}

/// A user whose job title is a number.
fn bad() -> Value {
    json!({"id": "u-bad", "accountEnabled": true, "mail": " Bad@Contoso.com ",
           "userPrincipalName": "bad@contoso.onmicrosoft.com", "employeeId": "E-7",
           "givenName": "Bad", "jobTitle": 42})
}

fn assert_the_bad_one(record: &Record) {
    assert_eq!(record.id.as_str(), "u-bad");
    assert!(record.is_unreadable());
    assert_eq!(
        record.unreadable.as_deref(),
        Some("jobTitle: invalid type: integer `42`, expected a string")
    );
    assert_eq!(
        record.person,
        Person::new().with_employment_id("E-7").with_email("Bad@Contoso.com")
    );
}

async fn serve(server: &MockServer, at: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn one_bad_user_in_a_listing_is_one_unreadable_record_and_the_others_are_read() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let (a, b, c) = (good("u-a", "E-1"), good("u-b", "E-2"), good("u-c", "E-3"));
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [a, bad(), b],
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken=p2", server.uri()),
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [c]})))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["u-a", "u-bad", "u-b", "u-c"]);
    assert_the_bad_one(&records[1]);
    for (record, user) in [(&records[0], &a), (&records[2], &b), (&records[3], &c)] {
        assert_eq!(record, &strict(user), "a good user reads as it always did");
    }
}

#[tokio::test]
async fn a_user_without_a_readable_id_gets_an_id_no_real_user_has() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    serve(
        &server,
        "/v1.0/users",
        json!({"value": [good("u-a", "E-1"), {"id": "", "mail": "x@contoso.com"}, {"id": 7}]}),
    )
    .await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.unwrap();
    assert_eq!(records.len(), 3);
    let made_up: Vec<&str> = records[1..].iter().map(|r| r.id.as_str()).collect();
    assert_eq!(made_up, ["#unreadable-1-2", "#unreadable-1-3"]);
    assert_eq!(records[1].person.email(), Some("x@contoso.com"));
    assert!(records[1].unreadable.as_deref().unwrap().contains("non-blank object id"));
    assert!(records[2].unreadable.as_deref().unwrap().starts_with("id: invalid type: integer"));
}

#[tokio::test]
async fn a_page_whose_value_is_not_an_array_still_fails_the_read() {
    for body in
        [json!({"value": {"id": "u-a"}}), json!({"value": "users"}), json!([good("u", "E")])]
    {
        let server = MockServer::start().await;
        mount_token(&server, 1).await;
        serve(&server, "/v1.0/users", body.clone()).await;
        let (dir, _) = directory(&server);
        let err = dir.snapshot().await.expect_err("the read fails");
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{body}");
        assert!(
            err.to_string().contains("page 1 of the listing is not a user collection"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn one_bad_user_in_a_delta_round_is_one_unreadable_record_and_removals_still_work() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let (a, b) = (good("u-a", "E-1"), good("u-b", "E-2"));
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$select", SELECT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [a, {"id": "u-gone", "@removed": {"reason": "deleted"}}],
            "@odata.nextLink": format!("{}/v1.0/users/delta?$skiptoken=s2", server.uri()),
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$skiptoken", "s2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [bad(), b, {"id": "u-binned", "@removed": {"reason": "changed"}}],
            "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken=d1", server.uri()),
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let round = dir.client().users_delta(&SELECT.split(',').collect::<Vec<_>>(), None).await;
    let round = round.unwrap();
    let removed: Vec<&str> = round.removed.iter().map(|id| id.as_str()).collect();
    assert_eq!(removed, ["u-gone", "u-binned"]);
    let users: Vec<&str> = round.users.iter().map(|u| u.id().as_str()).collect();
    assert_eq!(users, ["u-a", "u-bad", "u-b"]);
    assert!(matches!(round.users[1], UserEntry::Unreadable(_)));
    let records: Vec<Record> =
        round.users.iter().map(|u| u.to_record(PhoneProperty::MobilePhone)).collect();
    assert_the_bad_one(&records[1]);
    assert_eq!(records[0], strict(&a));
    assert_eq!(records[2], strict(&b));
}

#[tokio::test]
async fn a_later_good_entry_of_the_same_user_in_a_round_wins_over_a_bad_one() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let mut fixed = bad();
    fixed["jobTitle"] = json!("CTO");
    serve(
        &server,
        "/v1.0/users/delta",
        json!({"value": [bad(), fixed],
               "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken=d1", server.uri())}),
    )
    .await;
    let (dir, _) = directory(&server);
    let changes = dir.changes_since(None).await.unwrap();
    assert_eq!(changes.changed.len(), 1);
    assert!(!changes.changed[0].is_unreadable());
    assert_eq!(changes.changed[0].person.job_title(), Some("CTO"));
}

#[tokio::test]
async fn a_delta_page_whose_value_is_not_an_array_still_fails() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    serve(&server, "/v1.0/users/delta", json!({"value": 5, "@odata.deltaLink": "x"})).await;
    let (dir, _) = directory(&server);
    let err = dir.changes_since(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}

#[tokio::test]
async fn get_returns_a_user_of_the_wrong_shape_as_unreadable() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    serve(&server, "/v1.0/users/u-bad", bad()).await;
    serve(&server, "/v1.0/users/by-upn", json!({"id": ["x"], "employeeId": "E-9"})).await;
    serve(&server, "/v1.0/users/u-a", good("u-a", "E-1")).await;
    let (dir, _) = directory(&server);
    assert_the_bad_one(&dir.get(&RecordId::new("u-bad")).await.unwrap().unwrap());
    // Without a readable id of its own, it is the one that was asked for.
    let odd = dir.get(&RecordId::new("by-upn")).await.unwrap().unwrap();
    assert_eq!((odd.id.as_str(), odd.person.employment_id()), ("by-upn", Some("E-9")));
    assert!(odd.is_unreadable());
    assert_eq!(dir.get(&RecordId::new("u-a")).await.unwrap().unwrap(), strict(&good("u-a", "E-1")));
}

#[tokio::test]
async fn a_search_finds_an_unreadable_user_by_its_keys() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    serve(&server, "/v1.0/users", json!({"value": [bad()]})).await;
    let (dir, _) = directory(&server);
    let found = dir.find_matching(&Person::new().with_employment_id("E-7")).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_the_bad_one(&found[0]);
}
