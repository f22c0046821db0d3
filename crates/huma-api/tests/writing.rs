//! Writing: PATCH bodies exactly as the spec wants, job titles by id on the current position,
//! and creating people.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

mod common;

use chrono::NaiveDate;
use common::*;
use dirsync::{
    directory::{Directory, ErrorKind, FieldChange, RecordId},
    model::{Address, CountryCode, Field, FieldValue, Person},
};
use huma_api::{HumaDirectory, HumaDirectoryConfig};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn directory(server: &MockServer, config: HumaDirectoryConfig) -> HumaDirectory {
    HumaDirectory::new(client(server), config)
}

fn text(field: Field, value: &str) -> FieldChange {
    FieldChange { field, value: FieldValue::Text(value.to_owned()) }
}

fn address(street: &str, postal: &str, city: &str, country: Option<&str>) -> FieldChange {
    let country = country.map(|c| CountryCode::parse(c).unwrap());
    FieldChange {
        field: Field::Address,
        value: FieldValue::Address(Address::new(street, postal, city, country)),
    }
}

async fn expect_patch(server: &MockServer, user: &str, body: serde_json::Value) {
    Mock::given(method("PATCH"))
        .and(path(format!("/users/{user}")))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(details(user)))
        .expect(1)
        .mount(server)
        .await;
}

async fn no_position_calls(server: &MockServer) {
    Mock::given(wiremock::matchers::path_regex(r"/positions"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

async fn mount_positions(server: &MockServer, user: &str, items: serde_json::Value) {
    mock(
        server,
        "GET",
        format!("/users/{user}/positions"),
        ResponseTemplate::new(200).set_body_json(
            json!({ "total": items.as_array().map_or(0, Vec::len), "items": items }),
        ),
        1,
    )
    .await;
}

fn two_positions() -> serde_json::Value {
    json!([
        { "id": "p-old", "title": { "id": "t0", "name": "Intern" }, "contractStartDate": "2015-01-01", "status": "ENDED" },
        { "id": "p-now", "title": { "id": "t1", "name": "Engineer" }, "contractStartDate": "2021-03-01", "status": "CURRENT" }
    ])
}

#[tokio::test]
async fn only_the_changed_fields_are_sent() {
    let server = server().await;
    expect_patch(
        &server,
        "u1",
        json!({ "givenName": "Ada", "phone": "+47 123", "employmentId": "E-17" }),
    )
    .await;
    no_position_calls(&server).await;
    let changes = [
        text(Field::GivenName, "Ada"),
        text(Field::Phone, " +47 123 "),
        text(Field::EmploymentId, "E-17"),
    ];
    directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &changes)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_address_is_sent_whole_with_its_street_split_into_three_lines() {
    let server = server().await;
    expect_patch(
        &server,
        "u1",
        json!({ "homeAddress": {
            "line1": "Storgata 1", "line2": "Leilighet 2", "line3": "Oppgang C, Bakgården",
            "postalCode": "0150", "city": "Oslo", "country": "NO"
        }}),
    )
    .await;
    let change =
        address("Storgata 1\nLeilighet 2\nOppgang C\nBakgården", "0150", "Oslo", Some("no"));
    directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[change])
        .await
        .unwrap();
}

#[tokio::test]
async fn absent_address_parts_are_sent_as_empty_strings() {
    let server = server().await;
    expect_patch(
        &server,
        "u1",
        json!({ "homeAddress": {
            "line1": "Storgata 1", "line2": "", "line3": "", "postalCode": "", "city": "Oslo", "country": ""
        }}),
    )
    .await;
    let change = address("Storgata 1", "", "Oslo", None);
    directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[change])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_job_title_is_written_by_id_to_the_current_position() {
    let server = server().await;
    mount_positions(&server, "u1", two_positions()).await;
    Mock::given(method("GET"))
        .and(path("/job-titles"))
        .and(query_param("search", "CTO"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            { "id": "t-assistant", "name": "CTO Assistant" },
            { "id": "t-lower", "name": "cto" },
            { "id": "t-cto", "name": "CTO" }
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/users/u1/positions/p-now"))
        .and(body_json(json!({ "titleId": "t-cto" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "p-now" })))
        .expect(1)
        .mount(&server)
        .await;
    mock(&server, "PATCH", "/users/u1", ResponseTemplate::new(500), 0).await;
    mock(&server, "POST", "/job-titles", ResponseTemplate::new(500), 0).await;
    let huma = directory(&server, HumaDirectoryConfig::default());
    huma.update(&RecordId::new("u1"), &[text(Field::JobTitle, "CTO")]).await.unwrap();
}

#[tokio::test]
async fn the_start_date_is_the_current_positions_contract_start_date() {
    let server = server().await;
    mount_positions(&server, "u1", two_positions()).await;
    Mock::given(method("PATCH"))
        .and(path("/users/u1/positions/p-now"))
        .and(body_json(json!({ "contractStartDate": "2022-08-15" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "p-now" })))
        .expect(1)
        .mount(&server)
        .await;
    let change = FieldChange {
        field: Field::EmploymentStartDate,
        value: FieldValue::Date(NaiveDate::from_ymd_opt(2022, 8, 15).unwrap()),
    };
    directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[change])
        .await
        .unwrap();
}

#[tokio::test]
async fn user_fields_and_position_fields_go_to_their_own_endpoints_in_one_update() {
    let server = server().await;
    expect_patch(&server, "u1", json!({ "familyName": "Lovelace" })).await;
    mount_positions(&server, "u1", two_positions()).await;
    Mock::given(method("GET"))
        .and(path("/job-titles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{ "id": "t-cto", "name": "CTO" }])),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/users/u1/positions/p-now"))
        .and(body_json(json!({ "titleId": "t-cto", "contractStartDate": "2020-01-02" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "p-now" })))
        .expect(1)
        .mount(&server)
        .await;
    let changes = [
        text(Field::FamilyName, "Lovelace"),
        text(Field::JobTitle, "CTO"),
        FieldChange {
            field: Field::EmploymentStartDate,
            value: FieldValue::Date(NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()),
        },
    ];
    directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &changes)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_job_title_is_refused_unless_creating_is_allowed() {
    let server = server().await;
    mount_positions(&server, "u1", two_positions()).await;
    mock(
        &server,
        "GET",
        "/job-titles",
        ResponseTemplate::new(200)
            .set_body_json(json!([{ "id": "t-x", "name": "Chief Tea Officer Deputy" }])),
        1,
    )
    .await;
    mock(&server, "POST", "/job-titles", ResponseTemplate::new(500), 0).await;
    mock(&server, "PATCH", "/users/u1/positions/p-now", ResponseTemplate::new(500), 0).await;
    let err = directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[text(Field::JobTitle, "Chief Tea Officer")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.message().contains("\"Chief Tea Officer\" does not exist in Huma"), "{err}");
}

#[tokio::test]
async fn a_job_title_is_created_once_when_allowed_and_then_remembered() {
    let server = server().await;
    mock(
        &server,
        "GET",
        "/users/u1/positions",
        ResponseTemplate::new(200).set_body_json(json!({ "total": 2, "items": two_positions() })),
        2,
    )
    .await;
    mock(&server, "GET", "/job-titles", ResponseTemplate::new(200).set_body_json(json!([])), 1)
        .await;
    Mock::given(method("POST"))
        .and(path("/job-titles"))
        .and(body_json(json!({ "name": "Chief Tea Officer" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "t-new", "name": "Chief Tea Officer" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/users/u1/positions/p-now"))
        .and(body_json(json!({ "titleId": "t-new" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "p-now" })))
        .expect(2)
        .mount(&server)
        .await;
    let huma = directory(
        &server,
        HumaDirectoryConfig { create_job_titles: true, ..HumaDirectoryConfig::default() },
    );
    huma.update(&RecordId::new("u1"), &[text(Field::JobTitle, "Chief Tea Officer")]).await.unwrap();
    huma.update(&RecordId::new("u1"), &[text(Field::JobTitle, "chief tea officer")]).await.unwrap();
}

#[tokio::test]
async fn without_a_current_position_job_title_cannot_be_written() {
    let server = server().await;
    mount_positions(&server, "u1", json!([{ "id": "p-old", "status": "ENDED" }])).await;
    let err = directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[text(Field::JobTitle, "CTO")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("no current position"), "{err}");
}

#[tokio::test]
async fn a_failed_position_write_after_the_user_patch_says_what_was_done() {
    let server = server().await;
    expect_patch(&server, "u1", json!({ "phone": "+47 1" })).await;
    mount_positions(&server, "u1", json!([])).await;
    let err = directory(&server, HumaDirectoryConfig::default())
        .update(&RecordId::new("u1"), &[text(Field::Phone, "+47 1"), text(Field::JobTitle, "CTO")])
        .await
        .unwrap_err();
    assert!(
        err.message().starts_with("updated u1's own fields in Huma, but a later step failed"),
        "{err}"
    );
}

#[tokio::test]
async fn creating_a_person_posts_the_user_then_the_remaining_fields() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/users"))
        .and(body_json(json!({
            "email": "ada@example.com", "givenName": "Ada", "familyName": "Lovelace",
            "phone": "+47 1", "groups": ["6f1a2b3c-0000-4000-8000-00000000000a"], "invite": false
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(summary("new1")))
        .expect(1)
        .mount(&server)
        .await;
    expect_patch(
        &server,
        "new1",
        json!({
            "employmentId": "E-1",
            "homeAddress": { "line1": "Storgata 1", "line2": "", "line3": "", "postalCode": "0150", "city": "Oslo", "country": "NO" }
        }),
    )
    .await;
    let mut created = details("new1");
    created["currentPositions"] = json!([]);
    mock(&server, "GET", "/users/new1", ResponseTemplate::new(200).set_body_json(created), 1).await;
    no_position_calls(&server).await;
    let huma = directory(
        &server,
        HumaDirectoryConfig {
            groups_for_new_users: vec!["6f1a2b3c-0000-4000-8000-00000000000a".into()],
            ..HumaDirectoryConfig::default()
        },
    );
    let person = Person::new()
        .with_email("ada@example.com")
        .with_given_name("Ada")
        .with_family_name("Lovelace")
        .with_phone("+47 1")
        .with_employment_id("E-1")
        .with_address(Address::new("Storgata 1", "0150", "Oslo", CountryCode::parse("NO").ok()));
    let record = huma.create(&person).await.unwrap();
    assert_eq!(record.id.as_str(), "new1");
}

#[tokio::test]
async fn a_new_user_with_a_current_position_gets_job_title_and_start_date_and_an_invitation() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/users"))
        .and(body_json(json!({
            "email": "ada@example.com", "givenName": "Ada", "familyName": "Lovelace", "groups": [], "invite": true
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(summary("new1")))
        .expect(1)
        .mount(&server)
        .await;
    mock(
        &server,
        "GET",
        "/users/new1",
        ResponseTemplate::new(200).set_body_json(details("new1")),
        2,
    )
    .await;
    mount_positions(&server, "new1", json!([{ "id": "p1", "status": "CURRENT" }])).await;
    mock(
        &server,
        "GET",
        "/job-titles",
        ResponseTemplate::new(200).set_body_json(json!([{ "id": "t-cto", "name": "CTO" }])),
        1,
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path("/users/new1/positions/p1"))
        .and(body_json(json!({ "titleId": "t-cto", "contractStartDate": "2024-02-01" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "p1" })))
        .expect(1)
        .mount(&server)
        .await;
    mock(&server, "PATCH", "/users/new1", ResponseTemplate::new(500), 0).await;
    let huma =
        directory(&server, HumaDirectoryConfig { invite: true, ..HumaDirectoryConfig::default() });
    let person = Person::new()
        .with_email("ada@example.com")
        .with_given_name("Ada")
        .with_family_name("Lovelace")
        .with_job_title("CTO")
        .with_employment_start_date(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
    huma.create(&person).await.unwrap();
}

#[tokio::test]
async fn a_person_without_email_or_names_is_not_sent() {
    let server = server().await;
    mock(&server, "POST", "/users", ResponseTemplate::new(500), 0).await;
    let huma = directory(&server, HumaDirectoryConfig::default());
    let no_email = Person::new().with_given_name("Ada").with_family_name("L");
    let err = huma.create(&no_email).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.message().contains("without an email"), "{err}");
    let no_family = Person::new().with_email("a@b.c").with_given_name("Ada");
    assert!(huma.create(&no_family).await.unwrap_err().message().contains("family name"));
}

#[tokio::test]
async fn a_failure_after_creation_names_the_new_user() {
    let server = server().await;
    mock(&server, "POST", "/users", ResponseTemplate::new(200).set_body_json(summary("new1")), 1)
        .await;
    mock(&server, "PATCH", "/users/new1", ResponseTemplate::new(400).set_body_json(json!({
            "errorCode": "field:invalid-format", "errorMessage": "Invalid field Format", "fields": ["employmentId"]
        })), 1).await;
    let huma = directory(&server, HumaDirectoryConfig::default());
    let person = Person::new()
        .with_email("a@b.c")
        .with_given_name("A")
        .with_family_name("B")
        .with_employment_id("E 1");
    let err = huma.create(&person).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(
        err.message().starts_with("created user new1 in Huma, but a later step failed"),
        "{err}"
    );
    // The cause is the next link of the chain, not part of the message.
    assert!(common::chain(&err).contains("employmentId"), "{err}");
}

#[tokio::test]
async fn capabilities_follow_the_spec() {
    let server = MockServer::start().await;
    let caps = directory(&server, HumaDirectoryConfig::default()).capabilities();
    assert_eq!(caps.writable, dirsync::model::FieldSet::all());
    assert!(caps.email_required && caps.can_create);
    assert_eq!(
        caps.required_on_create.iter().collect::<Vec<_>>(),
        [Field::GivenName, Field::FamilyName]
    );
    assert_eq!(
        (
            caps.limits.employment_id,
            caps.limits.given_name,
            caps.limits.family_name,
            caps.limits.phone
        ),
        (Some(255), Some(255), Some(255), Some(255))
    );
}
