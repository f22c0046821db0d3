//! Hostile Graph user JSON through the public mapping (`GraphUser` → `to_record`), the lenient
//! page reader and a whole read: nulls, odd countries, invalid hire dates, huge strings and
//! numbers, control characters, and every supported property with a value of the wrong JSON type.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{
    GRAPH_LIMITS, GraphUser, PhoneProperty, UserEntry, new_user, read_users_page, to_record,
};
use chrono::NaiveDate;
use common::*;
use dirsync::{
    directory::{Capabilities, Directory, ErrorKind, Record},
    model::{Address, CountryCode, Field, FieldRef, Person},
    plan::BlockReason,
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
async fn a_user_of_the_wrong_shape_is_kept_as_unreadable_with_a_clear_reason() {
    // One user whose givenName is a number: it is unreadable, the others are read, and the read
    // is whole.
    let server = MockServer::start().await;
    let users = json!({"value": [
        {"id": "u-ok", "mail": "a@x.no"},
        {"id": "u-bad", "mail": "b@x.no", "givenName": 5}
    ]});
    serve_users(&server, serde_json::to_vec(&users).unwrap()).await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.expect("the read succeeds");
    assert_eq!(records.len(), 2);
    assert!(!records[0].is_unreadable());
    assert_eq!(records[1].id.as_str(), "u-bad");
    assert_eq!(
        records[1].unreadable.as_deref(),
        Some("givenName: invalid type: integer `5`, expected a string")
    );
    assert_eq!(records[1].person, Person::new().with_email("b@x.no"));
}

#[tokio::test]
async fn a_user_without_an_object_id_is_kept_under_a_made_up_id() {
    let server = MockServer::start().await;
    let users = json!({"value": [{"id": "u-ok", "mail": "a@x.no"}, {"id": "", "mail": "b@x.no"}]});
    serve_users(&server, serde_json::to_vec(&users).unwrap()).await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.expect("the read succeeds");
    assert_eq!(records[1].id.as_str(), "#unreadable-1-2");
    assert!(records[1].unreadable.as_deref().unwrap().contains("a non-blank object id"));
    assert_eq!(records[1].person.email(), Some("b@x.no"));
}

#[tokio::test]
async fn a_body_that_is_not_json_fails_the_read() {
    let server = MockServer::start().await;
    serve_users(&server, b"{\"value\": [\x00\xff".to_vec()).await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.expect_err("the read fails");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}

/// JSON texts of the wrong type for a text property (as raw text: `1e400` and `2^64` are JSON
/// that no `serde_json::Value` holds).
const NOT_TEXT: &[&str] = &[
    "42",
    "-1",
    "1.5",
    "1e308",
    "18446744073709551616",
    "1e400",
    "-1e400",
    "true",
    "false",
    "[]",
    "[\"x\"]",
    "{}",
    "{\"value\": \"x\"}",
];

/// The same for a boolean property.
const NOT_BOOL: &[&str] =
    &["\"true\"", "\"false\"", "\"\"", "0", "1", "1e400", "[]", "[true]", "{}"];

/// The same for `businessPhones`: not an array, or an array holding something else than text.
const NOT_PHONES: &[&str] = &[
    "\"+47 1\"",
    "\"\"",
    "42",
    "1e400",
    "true",
    "{}",
    "{\"0\": \"+47 1\"}",
    "[42]",
    "[[\"+47 1\"]]",
    "[{\"number\": \"+47 1\"}]",
    "[true]",
    "[1e400]",
    "[\"+47 1\", 7]",
];

/// Every property the mapping reads, with the wrong values for its type.
fn wrong_shapes() -> Vec<(&'static str, &'static [&'static str])> {
    let text = [
        "mail",
        "userPrincipalName",
        "employeeId",
        "displayName",
        "givenName",
        "surname",
        "mobilePhone",
        "streetAddress",
        "postalCode",
        "city",
        "country",
        "jobTitle",
        "employeeHireDate",
    ];
    let mut all: Vec<(&str, &[&str])> = text.into_iter().map(|p| (p, NOT_TEXT)).collect();
    all.push(("accountEnabled", NOT_BOOL));
    all.push(("onPremisesSyncEnabled", NOT_BOOL));
    all.push(("businessPhones", NOT_PHONES));
    all
}

/// A page of a good user, a user whose `property` holds `raw`, and another good user.
fn page_with(property: &str, raw: &str) -> String {
    let mut bad: Vec<String> = [
        ("id", "\"u-bad\""),
        ("employeeId", "\"E-bad\""),
        ("mail", "\"bad@x.no\""),
        ("userPrincipalName", "\"bad@contoso.com\""),
        ("givenName", "\"Bad\""),
    ]
    .into_iter()
    .filter(|(name, _)| *name != property)
    .map(|(name, value)| format!("\"{name}\": {value}"))
    .collect();
    bad.push(format!("\"{property}\": {raw}"));
    format!(
        r#"{{"value": [{{"id": "u-1", "mail": "one@x.no", "jobTitle": "CTO"}}, {{{}}}, {{"id": "u-2", "employeeId": "E2", "businessPhones": ["+47 2"]}}]}}"#,
        bad.join(", ")
    )
}

#[test]
fn every_supported_property_with_a_wrong_json_type_is_one_unreadable_user() {
    let mut cases = 0;
    for (property, values) in wrong_shapes() {
        for raw in values {
            let body = page_with(property, raw);
            let page =
                read_users_page(body.as_bytes(), 1).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(page.entries.len(), 3, "{body}");
            let good: Vec<&GraphUser> = [&page.entries[0], &page.entries[2]]
                .into_iter()
                .filter_map(UserEntry::user)
                .collect();
            assert_eq!(good.len(), 2, "the good users are read: {body}");
            assert_eq!(good[0].job_title.as_deref(), Some("CTO"));
            assert_eq!(good[1].business_phones, ["+47 2"]);
            let UserEntry::Unreadable(bad) = &page.entries[1] else {
                panic!("{property} = {raw} was read as a user");
            };
            assert_eq!((bad.id.as_str(), bad.made_up_id), ("u-bad", false), "{body}");
            assert!(bad.reason.starts_with(property), "{property} = {raw}: {}", bad.reason);
            assert!(!bad.reason.contains(" at line "), "{}", bad.reason);
            let expected_email = match property {
                "mail" => "bad@contoso.com",
                _ => "bad@x.no",
            };
            let expected_id = (property != "employeeId").then_some("E-bad");
            assert_eq!(bad.email.as_deref(), Some(expected_email), "{property} = {raw}");
            assert_eq!(bad.employee_id.as_deref(), expected_id, "{property} = {raw}");
            let record = page.entries[1].to_record(PhoneProperty::BusinessPhones);
            assert!(record.is_unreadable());
            assert_eq!(record.person, record.person.keys_only(), "only keys: {:?}", record.person);
            cases += 1;
        }
    }
    assert_eq!(cases, 13 * NOT_TEXT.len() + 2 * NOT_BOOL.len() + NOT_PHONES.len());
}

#[test]
fn reasons_say_what_was_wrong() {
    let reason = |property: &str, raw: &str| {
        let page = read_users_page(page_with(property, raw).as_bytes(), 1).unwrap();
        match &page.entries[1] {
            UserEntry::Unreadable(bad) => bad.reason.clone(),
            UserEntry::User(user) => panic!("{user:?}"),
        }
    };
    assert_eq!(reason("jobTitle", "42"), "jobTitle: invalid type: integer `42`, expected a string");
    assert_eq!(reason("city", "1e400"), "city: number out of range");
    assert_eq!(
        reason("postalCode", "18446744073709551616"),
        "postalCode: invalid type: floating point `1.8446744073709552e+19`, expected a string"
    );
    assert_eq!(reason("country", "[\"NO\"]"), "country: invalid type: sequence, expected a string");
    assert_eq!(
        reason("accountEnabled", "\"false\""),
        "accountEnabled: invalid type: string \"false\", expected a boolean"
    );
    assert_eq!(
        reason("businessPhones", "[\"+47 1\", 7]"),
        "businessPhones[1]: invalid type: integer `7`, expected a string"
    );
    assert_eq!(
        reason("streetAddress", "{\"line1\": \"Main 1\", \"line2\": [\"Flat\", 2]}"),
        "streetAddress: invalid type: map, expected a string"
    );
}

#[test]
fn nested_and_odd_addresses_are_unreadable_and_nulls_are_not() {
    let page = read_users_page(
        br#"{"value": [
            {"id": "a", "streetAddress": {"line1": "Main 1", "line2": ["Flat", 2]}},
            {"id": "b", "city": {"name": "Oslo", "district": {"code": 1}}},
            {"id": "c", "postalCode": [["0150"]]},
            {"id": "d", "country": {"iso": "NO"}},
            {"id": "e", "streetAddress": null, "postalCode": null, "city": null, "country": null,
             "businessPhones": null, "accountEnabled": null, "employeeHireDate": null},
            {"id": "f", "businessPhones": [null, "+47 1"], "unknownThing": {"deep": [1e400]}}
        ]}"#,
        1,
    )
    .unwrap();
    let unreadable: Vec<&str> =
        page.entries.iter().filter(|e| e.user().is_none()).map(|e| e.id().as_str()).collect();
    assert_eq!(unreadable, ["a", "b", "c", "d"]);
    let e = page.entries[4].to_record(PhoneProperty::MobilePhone);
    assert_eq!((e.is_unreadable(), e.person.address()), (false, None));
    let f = page.entries[5].to_record(PhoneProperty::BusinessPhones);
    assert_eq!(f.person.phone(), Some("+47 1"), "unknown properties are not read at all");
}

#[test]
fn elements_that_are_not_users_are_unreadable_under_made_up_ids() {
    let page = read_users_page(
        br#"{"value": [null, 42, "u1", [], {}, {"id": null}, {"id": {"guid": "x"}}, 1e400]}"#,
        4,
    )
    .unwrap();
    let ids: Vec<&str> = page.entries.iter().map(|e| e.id().as_str()).collect();
    let expected: Vec<String> = (1..=8).map(|i| format!("#unreadable-4-{i}")).collect();
    assert_eq!(ids, expected);
    for entry in &page.entries {
        let UserEntry::Unreadable(bad) = entry else { panic!("{entry:?}") };
        assert!(bad.made_up_id && !bad.reason.is_empty());
        assert_eq!((bad.employee_id.as_deref(), bad.email.as_deref()), (None, None));
    }
}

#[tokio::test]
async fn a_read_where_most_users_are_unreadable_fails_in_the_core() {
    let server = MockServer::start().await;
    // Every other job title is a number.
    let title = |i: usize| if i.is_multiple_of(2) { json!(i) } else { json!("CTO") };
    let users: Vec<Value> =
        (0..10).map(|i| json!({"id": format!("u{i}"), "jobTitle": title(i)})).collect();
    serve_users(&server, serde_json::to_vec(&json!({ "value": users })).unwrap()).await;
    let (dir, _) = directory(&server);
    let err = dirsync::directory::Snapshot::read(&dir).await.expect_err("the format has changed");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("5 of the 10 people read from Azure AD"), "{err}");
}

/// Found by the `graph_users_page` fuzz target: serde reads a struct from an array by position,
/// so an array of the page's fields passed for a page, and an array of a user's for a user.
#[test]
fn arrays_in_place_of_objects_are_never_read_by_position() {
    for body in [&br#"[[],"",""]"#[..], br#"[[{"id": "u1"}], null, null]"#] {
        let err = read_users_page(body, 1).expect_err("an array is not a page");
        assert!(err.to_string().contains("the page is not a JSON object but an array"), "{err}");
    }
    let user_as_array = br#"{"value": [["u1", true, null, "Ada", null, "a@x.no", null, null,
        null, [], null, null, null, null, null, null, null]]}"#;
    let page = read_users_page(user_as_array, 1).unwrap();
    let UserEntry::Unreadable(bad) = &page.entries[0] else { panic!("{:?}", page.entries) };
    assert_eq!(
        (bad.id.as_str(), bad.reason.as_str()),
        ("#unreadable-1-1", "the user is not a JSON object but an array")
    );
}
