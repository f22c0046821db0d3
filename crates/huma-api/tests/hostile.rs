//! Hostile `UserDetails` JSON through `record_from_details`, and hostile webhook requests through
//! the verifier and the parser: odd countries, invalid dates, huge values, control characters,
//! nulls and values of the wrong JSON type.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use dirsync::{Address, BlockReason, Capabilities, Field, Limits, Person};
use hmac::{Hmac, Mac};
use huma_api::mapping::{address_to_wire, record_from_details};
use huma_api::model::UserDetails;
use huma_api::webhook::{Topic, WebhookError, WebhookVerifier, parse_event};
use huma_api::{HumaError, HumaUserId};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn record(json: Value) -> dirsync::Record {
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
async fn details_of_the_wrong_shape_fail_the_read_with_a_clear_error() {
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

const SECRET: &str = "webhook-secret";

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
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
