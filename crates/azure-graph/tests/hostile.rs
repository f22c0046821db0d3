//! Hostile Graph user JSON through the public mapping (`GraphUser` → `to_record`) and through a
//! whole read: nulls, odd countries, invalid hire dates, huge strings, control characters and
//! values of the wrong JSON type.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{GRAPH_LIMITS, GraphUser, PhoneProperty, new_user, to_record};
use chrono::NaiveDate;
use common::*;
use dirsync::{
    Address, BlockReason, Capabilities, CountryCode, Directory, ErrorKind, Field, FieldRef, Person,
    Record,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn record(json: Value) -> Record {
    let user: GraphUser = serde_json::from_value(json).expect("a user of the right shape");
    to_record(&user, PhoneProperty::MobilePhone)
}

fn graph() -> Capabilities {
    Capabilities { limits: GRAPH_LIMITS, ..Capabilities::default() }
}

#[test]
fn null_and_blank_properties_are_absent() {
    let r = record(json!({
        "id": "u1", "accountEnabled": null, "mail": null, "userPrincipalName": null,
        "employeeId": null, "givenName": "", "surname": " \t ", "mobilePhone": null,
        "businessPhones": null, "streetAddress": "\r\n", "postalCode": null, "city": "  ",
        "country": "  ", "jobTitle": null, "employeeHireDate": "", "onPremisesSyncEnabled": null
    }));
    assert_eq!(r.person, Person::new());
    assert!(r.invalid.is_empty(), "{:?}", r.invalid);
    assert!(r.active, "an account that does not say it is disabled is active");
    assert!(r.read_only.is_empty());
}

#[test]
fn each_odd_country_is_kept_or_noted() {
    // (country as Azure holds it, the alpha-2 code kept, whether it is noted, the suggestion)
    let cases: [(&str, Option<&str>, Option<&str>); 10] = [
        ("no", Some("NO"), None),
        (" NO ", Some("NO"), None),
        ("Norway", None, Some("NO")),
        ("NOR", None, Some("NO")),
        ("XK", None, None),
        ("НО", None, None),   // Cyrillic look-alike
        ("ＮＯ", None, None), // fullwidth
        ("N\u{0}", None, None),
        ("N O", None, None),
        ("NO\u{200b}", None, None), // a zero-width space is not white space
    ];
    for (raw, kept, suggestion) in cases {
        let r = record(json!({"id": "u1", "city": "Oslo", "country": raw}));
        let address = r.person.address().expect("the city is kept");
        assert_eq!(address.city(), Some("Oslo"), "{raw:?}");
        assert_eq!(address.country().map(|c| c.as_str()), kept, "{raw:?}");
        match kept {
            Some(_) => assert!(r.invalid.is_empty(), "{raw:?}: {:?}", r.invalid),
            None => {
                let bad = r.invalid_value(Field::Address).expect("the country is noted");
                assert_eq!(bad.value, raw.trim(), "{raw:?}");
                assert!(bad.reason.contains("not an ISO 3166-1 alpha-2 code"), "{}", bad.reason);
                match suggestion {
                    Some(code) => assert!(bad.reason.contains(&format!("did you mean {code}?"))),
                    None => assert!(!bad.reason.contains("did you mean"), "{}", bad.reason),
                }
            }
        }
    }
    // A country alone that is not valid leaves no address at all, but is still noted.
    let r = record(json!({"id": "u1", "country": "Norway"}));
    assert_eq!(r.person.address(), None);
    assert_eq!(r.invalid_value(Field::Address).unwrap().value, "Norway");
}

#[test]
fn invalid_hire_dates_are_noted_not_failed() {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let cases: [(&str, Option<NaiveDate>); 10] = [
        ("2024-03-01T00:00:00Z", date(2024, 3, 1)),
        ("2024-03-01", date(2024, 3, 1)),
        // Its day in UTC.
        ("2024-03-01T23:30:00-02:00", date(2024, 3, 2)),
        ("2024-02-30T00:00:00Z", None),
        ("2023-02-29", None),
        ("0000-00-00T00:00:00Z", None),
        ("31.12.2020", None),
        ("soon", None),
        ("2024-03-01T00:00:00Z\u{0}", None),
        ("+275760-09-13T00:00:00Z", None),
    ];
    for (raw, expected) in cases {
        let r = record(json!({"id": "u1", "employeeHireDate": raw}));
        assert_eq!(r.person.employment_start_date(), expected, "{raw:?}");
        match expected {
            Some(_) => assert!(r.invalid.is_empty(), "{raw:?}"),
            None => {
                let bad = r.invalid_value(Field::EmploymentStartDate).expect("noted");
                assert_eq!(bad.value, raw);
                assert!(bad.reason.contains("is not a date"), "{}", bad.reason);
            }
        }
    }
}

#[test]
fn huge_values_are_read_whole_and_refused_on_write() {
    let huge = "x".repeat(100_000);
    let r = record(json!({
        "id": "u1", "givenName": huge, "employeeId": "E-000000000000017",
        "streetAddress": format!("{huge}\n{huge}"), "jobTitle": "T".repeat(129)
    }));
    assert_eq!(r.person.given_name().map(str::len), Some(100_000));
    let caps = graph();
    let refused = |field| caps.refusal(field, r.person.get(field).unwrap());
    let too_long = |field| match refused(field) {
        Some(BlockReason::TooLong(t)) => (t.part, t.len, t.max),
        other => panic!("{field}: {other:?}"),
    };
    assert_eq!(too_long(Field::GivenName), (String::new(), 100_000, 64));
    assert_eq!(too_long(Field::EmploymentId), (String::new(), 17, 16));
    assert_eq!(too_long(Field::JobTitle), (String::new(), 129, 128));
    assert_eq!(too_long(Field::Address), ("street".to_owned(), 200_001, 1024));
}

#[test]
fn control_characters_are_read_as_they_are_and_never_written() {
    let r = record(json!({
        "id": "u1", "mail": " Ada@Example.COM\u{0} ", "givenName": "Ada\u{0}",
        "surname": "Love\u{1b}[2Jlace", "mobilePhone": "+47\t1",
        "streetAddress": "Main 1\r\nFlat 2", "city": "Os\u{7}lo"
    }));
    let p = &r.person;
    assert_eq!(p.email(), Some("Ada@Example.COM\u{0}"));
    assert_eq!(p.given_name(), Some("Ada\u{0}"));
    assert_eq!(p.address().unwrap().street(), Some("Main 1\nFlat 2"));
    let caps = graph();
    let refused = |field: Field| match caps.refusal(field, p.get(field).unwrap()) {
        Some(BlockReason::InvalidCharacters(c)) => (c.part, c.character, c.position),
        other => panic!("{field}: {other:?}"),
    };
    assert_eq!(refused(Field::GivenName), (String::new(), '\u{0}', 4));
    assert_eq!(refused(Field::FamilyName), (String::new(), '\u{1b}', 5));
    assert_eq!(refused(Field::Phone), (String::new(), '\t', 4));
    // The street's line break is fine; the city's bell is not.
    assert_eq!(refused(Field::Address), ("city".to_owned(), '\u{7}', 3));
    let street_only = Address::new("Main 1\nFlat 2", "", "", None);
    assert_eq!(caps.refusal(Field::Address, FieldRef::Address(&street_only)), None);
}

#[test]
fn the_sign_in_name_of_a_new_user_drops_what_graph_cannot_take() {
    // Built straight from a person (the engine would not create one whose email has a NUL).
    let person = Person::new().with_given_name("\u{0}Åsa\u{7}").with_family_name("Berg\u{1b}");
    let user = new_user(&person, "contoso.com", PhoneProperty::MobilePhone, "p".into()).unwrap();
    assert_eq!(user.mail_nickname, "aasa.berg");
    assert_eq!(user.user_principal_name, "aasa.berg@contoso.com");
    let nothing_usable = Person::new().with_given_name("\u{0}\u{7}").with_family_name("中文");
    let err = new_user(&nothing_usable, "contoso.com", PhoneProperty::MobilePhone, "p".into())
        .unwrap_err();
    assert!(err.to_string().contains("no email and no given or family name"), "{err}");
    let long = Person::new().with_given_name("a".repeat(300));
    let user = new_user(&long, "contoso.com", PhoneProperty::MobilePhone, "p".into()).unwrap();
    assert_eq!(user.mail_nickname.len(), 64);
    assert_eq!(user.display_name.chars().count(), 256);
}

#[test]
fn values_of_the_wrong_json_type_fail_to_parse_with_the_property_named() {
    let cases = [
        (json!({"id": "u1", "givenName": 5}), "invalid type: integer `5`, expected a string"),
        (json!({"id": "u1", "accountEnabled": "false"}), "expected a boolean"),
        (json!({"id": "u1", "businessPhones": "+47 1"}), "expected a sequence"),
        (json!({"id": "u1", "employeeHireDate": {"date": "2024-03-01"}}), "expected a string"),
        (json!({"givenName": "Ada"}), "missing field `id`"),
        (json!({"id": null}), "invalid type: null"),
    ];
    for (json, message) in cases {
        let err = serde_json::from_value::<GraphUser>(json.clone()).unwrap_err();
        assert!(err.to_string().contains(message), "{json}: {err}");
    }
    // Nulls inside businessPhones are skipped, not an error.
    let r = to_record(
        &serde_json::from_value(json!({"id": "u1", "businessPhones": [null, " ", "+47 1"]}))
            .unwrap(),
        PhoneProperty::BusinessPhones,
    );
    assert_eq!(r.person.phone(), Some("+47 1"));
}

async fn serve_users(server: &MockServer, body: Vec<u8>) {
    mount_token(server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_listing_of_hostile_users_is_read_with_each_value_noted() {
    let server = MockServer::start().await;
    let users = json!({"value": [
        {"id": "u-norway", "mail": "a@x.no", "city": "Oslo", "country": "Norway"},
        {"id": "u-date", "mail": "b@x.no", "employeeHireDate": "2024-02-30T00:00:00Z"},
        {"id": "u-nul", "mail": "c@x.no", "givenName": "C\u{0}", "country": "ＮＯ"},
        {"id": "u-null", "mail": null, "userPrincipalName": " D@X.no ", "givenName": null},
        {"id": "u-huge", "mail": "e@x.no", "jobTitle": "T".repeat(50_000)}
    ]});
    serve_users(&server, serde_json::to_vec(&users).unwrap()).await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.expect("every user has the right shape");
    let by_id = |id: &str| records.iter().find(|r| r.id.as_str() == id).unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(by_id("u-norway").invalid_value(Field::Address).unwrap().value, "Norway");
    assert_eq!(by_id("u-norway").person.address().unwrap().city(), Some("Oslo"));
    assert!(by_id("u-date").invalid_value(Field::EmploymentStartDate).is_some());
    assert_eq!(by_id("u-nul").person.given_name(), Some("C\u{0}"));
    assert_eq!(by_id("u-nul").invalid_value(Field::Address).unwrap().value, "ＮＯ");
    assert_eq!(by_id("u-null").person.email(), Some("D@X.no"));
    assert_eq!(by_id("u-huge").person.job_title().map(str::len), Some(50_000));
    assert_eq!(dir.capabilities().limits, GRAPH_LIMITS);
    assert_eq!(CountryCode::parse("no").unwrap().as_str(), "NO");
}

#[tokio::test]
async fn a_user_of_the_wrong_shape_fails_the_whole_read_with_a_clear_error() {
    // One user whose givenName is a number: the page cannot be read, and a read is never partial.
    let server = MockServer::start().await;
    let users = json!({"value": [
        {"id": "u-ok", "mail": "a@x.no"},
        {"id": "u-bad", "mail": "b@x.no", "givenName": 5}
    ]});
    serve_users(&server, serde_json::to_vec(&users).unwrap()).await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.expect_err("the read fails");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    let message = err.to_string();
    assert!(message.contains("page 1 of the listing is not a user collection"), "{message}");
    assert!(message.contains("invalid type: integer `5`, expected a string"), "{message}");
}

#[tokio::test]
async fn a_user_without_an_object_id_fails_the_whole_read() {
    let server = MockServer::start().await;
    let users = json!({"value": [{"id": "u-ok", "mail": "a@x.no"}, {"id": "", "mail": "b@x.no"}]});
    serve_users(&server, serde_json::to_vec(&users).unwrap()).await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.expect_err("the read fails");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("a non-blank object id"), "{err}");
}

#[tokio::test]
async fn a_body_that_is_not_json_fails_the_read() {
    let server = MockServer::start().await;
    serve_users(&server, b"{\"value\": [\x00\xff".to_vec()).await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.expect_err("the read fails");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}
