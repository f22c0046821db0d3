//! Hostile `UserDetails` JSON through `record_from_details` and the lenient `record_from_json`,
//! and hostile webhook requests through the verifier and the parser: odd countries, invalid
//! dates, huge values, control characters, nulls and values of the wrong JSON type.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use dirsync::{
    directory::{Capabilities, Limits},
    model::{Address, Field, Person},
    plan::BlockReason,
};
use huma_api::mapping::{address_to_wire, record_from_details, record_from_json};
use huma_api::model::UserDetails;
use huma_api::webhook::{Topic, WebhookError, WebhookVerifier, parse_event};
use huma_api::{HumaError, HumaUserId};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn record(json: Value) -> dirsync::directory::Record {
    let details: UserDetails = serde_json::from_value(json).expect("details of the right shape");
    record_from_details(&details)
}

fn with_country(raw: &str) -> Value {
    json!({"id": "u1", "homeAddress": {"value": {
        "line1": "Storgata 1", "line2": "", "line3": "", "postalCode": "0150", "city": "Oslo",
        "country": raw
    }}})
}

/// Huma's limits: 255 characters a field.
fn huma() -> Capabilities {
    let max = Some(255);
    Capabilities {
        limits: Limits {
            employment_id: max,
            given_name: max,
            family_name: max,
            phone: max,
            job_title: max,
            street: None,
            street_line: max,
            street_lines: Some(3),
            postal_code: max,
            city: max,
        },
        ..Capabilities::default()
    }
}

#[test]
fn each_odd_country_is_kept_or_noted() {
    let cases: [(&str, Option<&str>, Option<&str>); 9] = [
        ("no", Some("NO"), None),
        (" se ", Some("SE"), None),
        ("Norway", None, Some("NO")),
        ("NOR", None, Some("NO")),
        ("XK", None, None),
        ("НО", None, None),   // Cyrillic look-alike
        ("ＮＯ", None, None), // fullwidth
        ("N\u{0}", None, None),
        ("\u{0}", None, None),
    ];
    for (raw, kept, suggestion) in cases {
        let r = record(with_country(raw));
        let address = r.person.address().expect("the rest of the address is kept");
        assert_eq!(address.city(), Some("Oslo"), "{raw:?}");
        assert_eq!(address.country().map(|c| c.as_str()), kept, "{raw:?}");
        match kept {
            Some(_) => assert!(r.invalid.is_empty(), "{raw:?}"),
            None => {
                let bad = r.invalid_value(Field::Address).expect("the country is noted");
                assert_eq!(bad.value, raw.trim());
                assert!(bad.reason.contains("not an ISO 3166-1 alpha-2 code"), "{}", bad.reason);
                match suggestion {
                    Some(code) => assert!(bad.reason.contains(&format!("did you mean {code}?"))),
                    None => assert!(!bad.reason.contains("did you mean"), "{}", bad.reason),
                }
            }
        }
    }
    // Blank is absent, not invalid.
    let r = record(with_country("  "));
    assert_eq!(r.person.address().unwrap().country(), None);
    assert!(r.invalid.is_empty());
}

#[test]
fn invalid_dates_are_noted_not_failed() {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let on_position = |raw: &str| {
        record(json!({"id": "u1", "currentPositions": [
            {"id": "p1", "status": "CURRENT", "title": {"name": "CTO"}, "contractStartDate": raw}
        ]}))
    };
    let cases: [(&str, Option<NaiveDate>); 8] = [
        ("2021-03-01", date(2021, 3, 1)),
        ("2021-03-01T00:00:00Z", date(2021, 3, 1)),
        ("2024-02-30", None),
        ("2023-02-29", None),
        ("31.12.2020", None),
        ("", None),
        ("ééééééééééé", None),
        ("\u{0}2021-03-01", None),
    ];
    for (raw, expected) in cases {
        let r = on_position(raw);
        assert_eq!(r.person.employment_start_date(), expected, "{raw:?}");
        assert_eq!(r.person.job_title(), Some("CTO"));
        match expected {
            Some(_) => assert!(r.invalid.is_empty(), "{raw:?}"),
            None => {
                let bad = r.invalid_value(Field::EmploymentStartDate).expect("noted");
                assert_eq!(bad.value, raw);
                assert!(
                    bad.reason.contains("is not a date in the form YYYY-MM-DD"),
                    "{}",
                    bad.reason
                );
            }
        }
    }
    // The deprecated field, without a current position: noted, and read-only.
    let r = record(json!({"id": "u1", "employmentStartDate": {"value": "2021-13-01"}}));
    assert_eq!(r.invalid_value(Field::EmploymentStartDate).unwrap().value, "2021-13-01");
    assert!(r.read_only.contains(Field::EmploymentStartDate));
}

#[test]
fn nulls_and_missing_values_are_absent() {
    let r = record(json!({
        "id": "u1", "email": null, "givenName": {"value": null, "editable": false},
        "familyName": {"value": "  "}, "phone": {}, "homeAddress": {"value": null},
        "employmentId": {"value": ""}, "jobTitle": {"value": null}, "status": null,
        "currentPositions": null, "unknownField": {"deeply": ["ignored"]}
    }));
    assert_eq!(r.person, Person::new());
    assert!(r.invalid.is_empty());
    assert!(r.active);
    assert!(r.read_only.contains(Field::GivenName));
    let r = record(json!({"id": "u1", "homeAddress": {"value": {
        "line1": null, "line2": " ", "line3": "\r\n", "postalCode": null, "city": "", "country": null
    }}}));
    assert_eq!(r.person.address(), None);
}

#[test]
fn huge_values_are_read_whole_and_refused_on_write() {
    let huge = "x".repeat(100_000);
    let r = record(json!({
        "id": "u1", "givenName": {"value": huge}, "employmentId": {"value": "E".repeat(256)},
        "homeAddress": {"value": {"line1": huge, "city": "c".repeat(256)}}
    }));
    assert_eq!(r.person.given_name().map(str::len), Some(100_000));
    let caps = huma();
    let too_long = |field| match caps.refusal(field, r.person.get(field).unwrap()) {
        Some(BlockReason::TooLong(t)) => (t.part, t.len, t.max),
        other => panic!("{field}: {other:?}"),
    };
    assert_eq!(too_long(Field::GivenName), (String::new(), 100_000, 255));
    assert_eq!(too_long(Field::EmploymentId), (String::new(), 256, 255));
    assert_eq!(too_long(Field::Address), ("city".to_owned(), 256, 255));
}

#[test]
fn control_characters_are_read_as_they_are_and_never_written() {
    let r = record(json!({
        "id": "u1", "email": {"value": " ada@example.com\u{0}"}, "givenName": {"value": "Ada\u{0}"},
        "phone": {"value": "+47\u{1b}1"},
        "homeAddress": {"value": {"line1": "Main 1", "line2": "Flat\t2", "city": "Oslo"}}
    }));
    let p = &r.person;
    assert_eq!(p.email(), Some("ada@example.com\u{0}"));
    assert_eq!(p.given_name(), Some("Ada\u{0}"));
    let caps = huma();
    let refused = |field: Field| match caps.refusal(field, p.get(field).unwrap()) {
        Some(BlockReason::InvalidCharacters(c)) => (c.part, c.character, c.position),
        other => panic!("{field}: {other:?}"),
    };
    assert_eq!(refused(Field::GivenName), (String::new(), '\u{0}', 4));
    assert_eq!(refused(Field::Phone), (String::new(), '\u{1b}', 4));
    // "Main 1\nFlat\t2": the line break between Huma's lines is fine, the tab is not.
    assert_eq!(refused(Field::Address), ("street".to_owned(), '\t', 12));
    let lines = Address::new("Main 1\nFlat 2\nBack 3\nSide 4", "", "", None);
    let wire = address_to_wire(&lines);
    assert_eq!((wire.line1.as_str(), wire.line3.as_str()), ("Main 1", "Back 3, Side 4"));
}

#[test]
fn values_of_the_wrong_json_type_fail_to_parse_with_the_field_named() {
    let cases = [
        (
            json!({"id": "u1", "givenName": "Ada"}),
            "invalid type: string \"Ada\", expected struct Wrapped",
        ),
        (
            json!({"id": "u1", "givenName": {"value": 5}}),
            "invalid type: integer `5`, expected a string",
        ),
        (json!({"id": "u1", "status": {"active": "yes"}}), "expected a boolean"),
        (json!({"id": "u1", "currentPositions": {}}), "expected a sequence"),
        (
            json!({"id": "u1", "homeAddress": {"value": "Storgata 1, 0150 Oslo"}}),
            "expected struct WireAddress",
        ),
        (json!({"givenName": {"value": "Ada"}}), "missing field `id`"),
    ];
    for (json, message) in cases {
        let err = serde_json::from_value::<UserDetails>(json.clone()).unwrap_err();
        assert!(err.to_string().contains(message), "{json}: {err}");
    }
}

#[tokio::test]
async fn the_typed_details_call_refuses_details_of_the_wrong_shape_with_a_clear_error() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/users/u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "u1", "givenName": {"value": 5}})),
        )
        .mount(&server)
        .await;
    let err = common::client(&server).user(&HumaUserId::new("u1")).await.unwrap_err();
    assert!(matches!(err, HumaError::Decode { .. }), "{err:?}");
    assert!(err.to_string().starts_with("could not understand Huma's answer"), "{err}");
    let message = common::chain(&err);
    assert_eq!(
        message.matches("invalid type: integer `5`, expected a string").count(),
        1,
        "{message}"
    );
}

/// What a property of `UserDetails` holds, for the wrong values to put there.
#[derive(Clone, Copy)]
enum Holds {
    Text,
    Object,
    Bool,
    Array,
}

/// Every property of `UserDetails` this crate reads (as a JSON pointer into [`common::details`],
/// with `givenName` locked so it has an integration), with what it holds.
const PROPERTIES: &[(&str, Holds)] = &[
    ("/id", Holds::Text),
    ("/email", Holds::Object),
    ("/email/value", Holds::Text),
    ("/givenName", Holds::Object),
    ("/givenName/value", Holds::Text),
    ("/givenName/editable", Holds::Bool),
    ("/givenName/integrations", Holds::Object),
    ("/givenName/integrations/azure", Holds::Object),
    ("/givenName/integrations/azure/warning", Holds::Text),
    ("/familyName", Holds::Object),
    ("/familyName/value", Holds::Text),
    ("/phone", Holds::Object),
    ("/phone/value", Holds::Text),
    ("/employmentId", Holds::Object),
    ("/employmentId/value", Holds::Text),
    ("/homeAddress", Holds::Object),
    ("/homeAddress/value", Holds::Object),
    ("/homeAddress/editable", Holds::Bool),
    ("/homeAddress/value/line1", Holds::Text),
    ("/homeAddress/value/line2", Holds::Text),
    ("/homeAddress/value/line3", Holds::Text),
    ("/homeAddress/value/postalCode", Holds::Text),
    ("/homeAddress/value/city", Holds::Text),
    ("/homeAddress/value/country", Holds::Text),
    ("/jobTitle", Holds::Object),
    ("/jobTitle/value", Holds::Object),
    ("/jobTitle/value/id", Holds::Text),
    ("/jobTitle/value/name", Holds::Text),
    ("/employmentStartDate", Holds::Object),
    ("/employmentStartDate/value", Holds::Text),
    ("/status", Holds::Object),
    ("/status/active", Holds::Bool),
    ("/currentPositions", Holds::Array),
    ("/currentPositions/0", Holds::Object),
    ("/currentPositions/0/id", Holds::Text),
    ("/currentPositions/0/title", Holds::Object),
    ("/currentPositions/0/title/id", Holds::Text),
    ("/currentPositions/0/title/name", Holds::Text),
    ("/currentPositions/0/contractStartDate", Holds::Text),
    ("/currentPositions/0/status", Holds::Text),
];

/// JSON of every other type than `holds`, as text: numbers beyond f64 and u64 (which serde_json
/// reads only as text), nested values of the wrong type, arrays where text goes. An array where an
/// object goes is left out: serde reads a struct from an array of its fields in order.
fn wrong_values(holds: Holds) -> Vec<&'static str> {
    let numbers = ["42", "-0.5", "1e400", "-1e400", "1e-400", "123456789012345678901234567890"];
    let mut wrong = Vec::from(numbers);
    match holds {
        Holds::Text => wrong.extend([r#"true"#, r#"["Ada"]"#, r#"[]"#, r#"{"value": "Ada"}"#]),
        Holds::Object => wrong.extend([r#""Storgata 1""#, r#""""#, "false"]),
        Holds::Bool => wrong.extend([r#""yes""#, r#""true""#, "[true]", r#"{"value": true}"#]),
        Holds::Array => wrong.extend([r#""CURRENT""#, "true", r#"{"0": {"id": "p1"}}"#]),
    }
    wrong
}

/// The details of `u1` with the property at `pointer` set to the JSON text `raw`.
fn details_with(pointer: &str, raw: &str) -> Vec<u8> {
    const MARK: &str = "\u{1}raw\u{1}";
    let mut json = common::details("u1");
    json["givenName"] = common::locked(json!("Ada"));
    *json.pointer_mut(pointer).unwrap() = json!(MARK);
    json.to_string().replace(&json!(MARK).to_string(), raw).into_bytes()
}

/// The path serde_path_to_error names for a JSON pointer: `/a/0/b` is `a[0].b`.
fn path_of(pointer: &str) -> String {
    let mut path = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        match part.parse::<usize>() {
            Ok(i) => path.push_str(&format!("[{i}]")),
            Err(_) if path.is_empty() => path.push_str(part),
            Err(_) => path.push_str(&format!(".{part}")),
        }
    }
    path
}

#[test]
fn each_property_of_the_wrong_type_makes_one_unreadable_record_that_names_it() {
    let id = HumaUserId::new("u1");
    let mut checked = 0;
    for &(pointer, holds) in PROPERTIES {
        for raw in wrong_values(holds) {
            let body = details_with(pointer, raw);
            let record = record_from_json(&id, &body)
                .unwrap_or_else(|e| panic!("{pointer} = {raw}: the answer is JSON: {e}"));
            assert_eq!(record.id.as_str(), "u1", "{pointer} = {raw}");
            let reason = record
                .unreadable
                .as_deref()
                .unwrap_or_else(|| panic!("{pointer} = {raw} was read: {:?}", record.person));
            let named = format!("could not be read at `{}`: ", path_of(pointer));
            assert!(reason.contains(&named), "{pointer} = {raw}: {reason}");
            assert!(reason.len() <= 400 + '…'.len_utf8(), "{pointer} = {raw}: {reason}");
            // Only the keys are kept: each where it is still text at `value`, or where the
            // property itself became text.
            let key = |property: &str, good: &str| -> Option<String> {
                if pointer == property {
                    serde_json::from_str::<String>(raw).ok()
                } else if pointer.starts_with(property) {
                    None
                } else {
                    Some(good.to_owned())
                }
            };
            let mut keys = Person::new();
            if let Some(email) = key("/email", "u1@example.com") {
                keys = keys.with_email(email);
            }
            if let Some(employment_id) = key("/employmentId", "E-u1") {
                keys = keys.with_employment_id(employment_id);
            }
            assert_eq!(record.person, keys, "{pointer} = {raw}");
            assert!(record.read_only.is_empty() && record.invalid.is_empty() && record.active);
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn a_null_is_an_absent_value_where_a_value_may_be_absent() {
    let id = HumaUserId::new("u1");
    for &(pointer, _) in PROPERTIES {
        let record = record_from_json(&id, &details_with(pointer, "null")).unwrap();
        // Ids are required, and an entry of a list or a map (a position, an integration's note)
        // is an object or not there at all.
        let required = [
            "/id",
            "/currentPositions/0",
            "/currentPositions/0/id",
            "/givenName/integrations/azure",
        ]
        .contains(&pointer);
        assert_eq!(record.is_unreadable(), required, "{pointer}: {:?}", record.unreadable);
    }
    let record = record_from_json(&id, &details_with("/status/active", "null")).unwrap();
    assert!(record.active, "an account that does not say is active");
}

#[test]
fn huge_numbers_and_deep_nesting_where_nothing_is_read_leave_the_user_readable() {
    let id = HumaUserId::new("u1");
    let deep = format!("{}1e400{}", "[".repeat(5_000), "]".repeat(5_000));
    for raw in ["1e400", "-1e999999", "123456789012345678901234567890", deep.as_str()] {
        let mut body: serde_json::Value = common::details("u1");
        body["someFutureField"] = json!("\u{1}raw\u{1}");
        let body = body.to_string().replace(r#""\u{1}raw\u{1}""#, raw);
        let record = record_from_json(&id, body.as_bytes()).unwrap();
        assert!(!record.is_unreadable(), "{}: {:?}", &raw[..raw.len().min(20)], record.unreadable);
        assert_eq!(record.person.given_name(), Some("Given u1"));
    }
}

#[test]
fn a_reason_quoting_a_huge_value_is_cut_short() {
    let huge = format!("\"{}\"", "é".repeat(100_000));
    let record = record_from_json(&HumaUserId::new("u1"), &details_with("/status", &huge)).unwrap();
    let reason = record.unreadable.unwrap();
    assert!(reason.starts_with("Huma's details of this user could not be read at `status`"));
    assert!(reason.ends_with('…') && reason.len() <= 400 + '…'.len_utf8(), "{}", reason.len());
}

#[test]
fn bytes_that_are_not_json_are_an_error_and_never_a_record() {
    let id = HumaUserId::new("u1");
    for body in [
        &b""[..],
        b"   ",
        b"<html>502</html>",
        b"{\"id\": \"u1\"",
        b"{\"id\": \"u1\"} {}",
        b"{\"id\": \"u1\", }",
        b"{\"id\": \"u\xff1\"}",
        b"NaN",
        b"\xef\xbb\xbf{\"id\": \"u1\"}",
    ] {
        let err = record_from_json(&id, body).unwrap_err();
        assert!(matches!(err, HumaError::Decode { .. }), "{body:?}: {err:?}");
        assert_eq!(err.to_string(), "could not understand Huma's answer to GET /users/u1");
    }
}

const SECRET: &str = "webhook-secret";

fn sign(body: &[u8]) -> String {
    testkit::huma_signature(SECRET, body)
}

#[test]
fn hostile_webhook_bodies_are_refused_or_parsed_without_the_bad_users() {
    for body in [&b""[..], b"\x00\xff", b"[]", b"\"users-update\"", b"null", b"{\"topic\":"] {
        let err = parse_event(body).unwrap_err();
        assert!(matches!(err, WebhookError::Malformed { .. }), "{body:?}: {err:?}");
    }
    // Nesting deeper than the JSON parser's recursion limit is an error, not a stack overflow.
    let deep = format!("{{\"users\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(parse_event(deep.as_bytes()), Err(WebhookError::Malformed { .. })));

    let body = json!({
        "topic": 7,
        "users": [
            {"id": 5}, {"id": ""}, {"id": "  "}, {"email": "x@y.z"}, "u9", null,
            {"id": " u1 ", "email": " Ada@Example.com\u{0} "},
            {"id": "u2", "email": 5},
            {"id": "u\u{0}3"},
            {"id": "x".repeat(100_000)}
        ]
    });
    let event = parse_event(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(event.topic, Topic::Unknown(String::new()));
    let users: Vec<(&str, Option<&str>)> =
        event.users.iter().map(|u| (u.id.as_str(), u.email.as_deref())).collect();
    let huge = "x".repeat(100_000);
    assert_eq!(
        users,
        [
            ("u1", Some("Ada@Example.com\u{0}")),
            ("u2", None),
            ("u\u{0}3", None),
            (huge.as_str(), None)
        ]
    );
    let event = parse_event(br#"{"topic":"users-update","users":{"id":"u1"}}"#).unwrap();
    assert_eq!((event.topic, event.users.len()), (Topic::UsersUpdate, 0));
}

#[test]
fn hostile_webhook_requests_are_refused_with_the_right_error() {
    let verifier = WebhookVerifier::new(Some(SECRET.into()), Some("tok".into())).max_body(64);
    let body = br#"{"topic":"users-update","users":[{"id":"u1"}]}"#;
    let good = sign(body);
    let bearer = ("Authorization", "Bearer tok");
    let verify = |signature: &str, auth: (&str, &str), body: &[u8]| {
        verifier.verify(&[("huma-hmac-sha256", signature), auth], body)
    };
    assert!(verify(&good, bearer, body).is_ok());
    assert!(verify(&format!("sha256={good}"), bearer, body).is_ok());
    assert!(verify(&format!("  {}  ", good.to_uppercase()), bearer, body).is_ok());
    for signature in
        ["", "zz", "0", "é", "\u{0}", &good[..63], &format!("{good}00"), &"0".repeat(64)]
    {
        let err = verify(signature, bearer, body).unwrap_err();
        assert_eq!(err, WebhookError::InvalidSignature, "{signature:?}");
    }
    for auth in [("Authorization", "Bearer tok\u{0}"), ("Authorization", "Basic tok"), ("X", "y")] {
        let err = verify(&good, auth, body).unwrap_err();
        assert!(
            matches!(err, WebhookError::InvalidToken | WebhookError::MissingToken),
            "{auth:?}: {err:?}"
        );
    }
    let big = vec![b' '; 65];
    assert_eq!(
        verify(&sign(&big), bearer, &big).unwrap_err(),
        WebhookError::BodyTooLarge { len: 65, max: 64 }
    );
    let not_json = b"\x00\x01";
    assert!(matches!(
        verify(&sign(not_json), bearer, not_json).unwrap_err(),
        WebhookError::Malformed { .. }
    ));
    // No check configured: nothing is accepted, whatever the request says.
    let open = WebhookVerifier::new(None, None);
    assert_eq!(open.verify(&[bearer], body).unwrap_err(), WebhookError::NotConfigured);
}
