//! Arbitrary input to the webhook parser and the JSON mappers never panics, and addresses of up
//! to three lines survive the trip to Huma and back.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

use dirsync::model::{Address, CountryCode, Field};
use huma_api::HumaUserId;
use huma_api::mapping::{
    address_from_wire, address_to_wire, record_from_details, record_from_json,
};
use huma_api::model::{UserDetails, UserPage, WireAddress};
use huma_api::webhook::{WebhookVerifier, parse_event};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value that is sometimes the right type for a field and sometimes anything at all.
fn text_or_junk() -> impl Strategy<Value = Value> {
    prop_oneof![30 => "\\PC{0,20}".prop_map(Value::from), 1 => any_json()]
}

/// `UserDetails`-shaped JSON with arbitrary (and sometimes mistyped) values.
fn details_like() -> impl Strategy<Value = Value> {
    (
        "[a-z0-9-]{1,12}",
        prop::collection::vec(text_or_junk(), 12),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::collection::vec(("[A-Z]{0,9}", text_or_junk(), text_or_junk()), 0..3),
    )
        .prop_map(|(id, v, editable, active, positions)| {
            let positions: Vec<Value> = positions
                .into_iter()
                .enumerate()
                .map(|(i, (status, name, start))| {
                    json!({ "id": format!("p{i}"), "status": status, "title": { "name": name }, "contractStartDate": start })
                })
                .collect();
            json!({
                "id": id,
                "givenName": { "value": v[0], "editable": editable },
                "familyName": { "value": v[1] },
                "email": { "value": v[2], "editable": true },
                "phone": { "value": v[3], "editable": editable },
                "employmentId": { "value": v[4] },
                "homeAddress": { "value": {
                    "line1": v[5], "line2": v[6], "line3": v[7],
                    "postalCode": v[8], "city": v[9], "country": v[10]
                }, "editable": editable },
                "employmentStartDate": { "value": v[11] },
                "status": { "active": active },
                "currentPositions": positions
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_webhook_parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_event(&body);
    }

    #[test]
    fn the_webhook_parser_never_panics_on_json(value in any_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        let _ = parse_event(&body);
        let wrapped = serde_json::to_vec(&json!({ "topic": value.clone(), "users": [value] })).unwrap();
        let _ = parse_event(&wrapped);
    }

    #[test]
    fn the_verifier_never_panics_and_refuses_what_it_cannot_verify(
        body in prop::collection::vec(any::<u8>(), 0..256),
        signature in "\\PC{0,100}",
        authorization in "\\PC{0,60}",
    ) {
        let verifier = WebhookVerifier::new(Some("secret".into()), Some("token".into())).max_body(200);
        let headers = [("huma-hmac-sha256", signature.as_str()), ("authorization", authorization.as_str())];
        // A random signature matches the body's HMAC with negligible probability.
        prop_assert!(verifier.verify(&headers, &body).is_err());
    }

    #[test]
    fn the_detail_mapper_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(details) = serde_json::from_slice::<UserDetails>(&body) {
            let _ = record_from_details(&details);
        }
        let _ = serde_json::from_slice::<UserPage>(&body);
    }

    #[test]
    fn the_detail_mapper_never_panics_on_odd_values(value in details_like()) {
        let Ok(details) = serde_json::from_value::<UserDetails>(value) else { return Ok(()) };
        let record = record_from_details(&details);
        prop_assert_eq!(record.id.as_str(), details.id.as_str());
        // A country Huma holds is either understood or reported; it is never silently lost.
        let country = details
            .home_address
            .as_ref()
            .and_then(|w| w.value.as_ref())
            .and_then(|a| a.country.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if let Some(country) = country {
            let understood = record.person.address().and_then(Address::country).is_some();
            let reported = record.invalid_value(Field::Address).is_some();
            prop_assert!(understood != reported, "country {:?}", country);
        }
    }

    #[test]
    fn the_lenient_reader_fails_only_on_bytes_that_are_not_json(
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok()
            && std::str::from_utf8(&body).is_ok();
        match record_from_json(&HumaUserId::new("u1"), &body) {
            Ok(record) => {
                prop_assert!(is_json);
                prop_assert_eq!(record.id.as_str(), "u1");
            }
            Err(_) => prop_assert!(!is_json),
        }
    }

    #[test]
    fn the_lenient_reader_makes_one_record_of_any_details(
        value in prop_oneof![3 => details_like(), 1 => any_json()],
    ) {
        let body = serde_json::to_vec(&value).unwrap();
        let id = HumaUserId::new(value.get("id").and_then(Value::as_str).unwrap_or("u1"));
        let record = record_from_json(&id, &body).unwrap();
        prop_assert_eq!(record.id.as_str(), id.as_str());
        match (&record.unreadable, serde_json::from_value::<UserDetails>(value.clone())) {
            // Readable: what the typed reader makes of it.
            (None, Ok(details)) => prop_assert_eq!(&record, &record_from_details(&details)),
            (None, Err(e)) => prop_assert!(false, "read although {}: {}", e, value),
            // Unreadable: only the keys.
            (Some(reason), typed) => {
                prop_assert!(!reason.is_empty());
                prop_assert_eq!(&record.person, &record.person.keys_only());
                // serde would read a struct from an array of its fields; the reader does not.
                prop_assert!(typed.is_err() || !value.is_object(), "{} for {}", reason, value);
            }
        }
    }

    #[test]
    fn an_address_of_up_to_three_lines_survives_the_round_trip(
        lines in prop::collection::vec("[^\\r\\n]{0,20}", 0..4),
        postal in "[0-9A-Z ]{0,8}",
        city in "\\PC{0,20}",
        country in prop::option::of(prop::sample::select(vec!["NO", "SE", "FI", "DK", "GB"])),
    ) {
        let address = Address::new(lines.join("\n"), &postal, &city, country.map(|c| CountryCode::parse(c).unwrap()));
        let wire = address_to_wire(&address);
        // What is sent as `AddressUpdateInput` is read back as Huma's `Address`.
        let back: WireAddress = serde_json::from_value(serde_json::to_value(&wire).unwrap()).unwrap();
        let (read, bad) = address_from_wire(&back);
        prop_assert!(bad.is_none());
        prop_assert_eq!(read, address);
    }
}
