//! Webhook verification with real HMAC vectors computed from a known secret.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

use base64::Engine as _;
use hmac::{Hmac, Mac};
use huma_api::webhook::{Topic, WebhookError, WebhookUser, WebhookVerifier, parse_event};
use huma_api::{HumaUserId, SecretString};
use std::collections::HashMap;

const SECRET: &str = "7f3c2a9e-webhook-secret";
const TOKEN: &str = "webhook-access-token-42";
const BODY: &[u8] = br#"{"topic":"users-update","users":[{"id":"0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f","email":"ada@example.com"},{"id":"5f4e3d2c-1b0a-4978-8695-a4b3c2d1e0f9","email":"grace@example.com"}]}"#;

fn mac(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn hex_sig(secret: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, body))
}

fn secret() -> Option<SecretString> {
    Some(SECRET.into())
}

fn token() -> Option<SecretString> {
    Some(TOKEN.into())
}

#[test]
fn a_known_vector_is_accepted() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    let body = b"what do ya want for nothing?";
    let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert_eq!(hex_sig("Jefe", body), expected);
    let verifier = WebhookVerifier::new(Some("Jefe".into()), None);
    // The body is not JSON, so a correct signature gets as far as parsing.
    let err = verifier.verify(&[("huma-hmac-sha256", expected)], body).unwrap_err();
    assert!(matches!(err, WebhookError::Malformed { .. }), "{err:?}");
}

#[test]
fn a_hex_signature_verifies_and_the_event_is_parsed() {
    let sig = hex_sig(SECRET, BODY);
    let event = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", sig.as_str())], BODY)
        .unwrap();
    assert_eq!(event.topic, Topic::UsersUpdate);
    assert_eq!(
        event.users,
        vec![
            WebhookUser {
                id: HumaUserId::new("0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"),
                email: Some("ada@example.com".into())
            },
            WebhookUser {
                id: HumaUserId::new("5f4e3d2c-1b0a-4978-8695-a4b3c2d1e0f9"),
                email: Some("grace@example.com".into())
            },
        ]
    );
}

#[test]
fn upper_case_hex_and_base64_signatures_verify_too() {
    let raw = mac(SECRET, BODY);
    let verifier = WebhookVerifier::new(secret(), None);
    for sig in [
        hex::encode_upper(&raw),
        base64::engine::general_purpose::STANDARD.encode(&raw),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&raw),
        format!("sha256={}", hex::encode(&raw)),
    ] {
        assert!(verifier.verify(&[("huma-hmac-sha256", sig.as_str())], BODY).is_ok(), "{sig}");
    }
}

#[test]
fn header_names_are_matched_in_any_case_from_any_container() {
    let sig = hex_sig(SECRET, BODY);
    let verifier = WebhookVerifier::new(secret(), None);
    let vec = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("HUMA-HMAC-SHA256".to_owned(), sig.clone()),
    ];
    assert!(verifier.verify(&vec, BODY).is_ok());
    assert!(verifier.verify(vec.as_slice(), BODY).is_ok());
    let map: HashMap<String, String> = vec.into_iter().collect();
    assert!(verifier.verify(&map, BODY).is_ok());
}

#[test]
fn a_tampered_body_is_refused() {
    let sig = hex_sig(SECRET, BODY);
    let tampered =
        String::from_utf8(BODY.to_vec()).unwrap().replace("users-update", "users-delete");
    let err = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", sig.as_str())], tampered.as_bytes())
        .unwrap_err();
    assert_eq!(err, WebhookError::InvalidSignature);
}

#[test]
fn a_signature_made_with_another_secret_is_refused_without_revealing_the_expected_one() {
    let wrong = hex_sig("not-the-secret", BODY);
    let err = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", wrong.as_str())], BODY)
        .unwrap_err();
    assert_eq!(err, WebhookError::InvalidSignature);
    let shown = format!("{err} {err:?}");
    let expected = mac(SECRET, BODY);
    for secret_form in [
        hex::encode(&expected),
        base64::engine::general_purpose::STANDARD.encode(&expected),
        SECRET.to_owned(),
    ] {
        assert!(!shown.contains(&secret_form), "{shown}");
    }
}

#[test]
fn garbage_and_truncated_signatures_are_refused() {
    let sig = hex_sig(SECRET, BODY);
    let verifier = WebhookVerifier::new(secret(), None);
    for bad in ["", "zz", "not base64 !", &sig[..62], &format!("{sig}00")] {
        let err = verifier.verify(&[("huma-hmac-sha256", bad)], BODY).unwrap_err();
        assert_eq!(err, WebhookError::InvalidSignature, "{bad:?}");
    }
}

#[test]
fn a_missing_signature_header_is_refused() {
    let err = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-topic", "users-update")], BODY)
        .unwrap_err();
    assert_eq!(err, WebhookError::MissingSignature);
}

#[test]
fn the_bearer_token_is_checked() {
    let verifier = WebhookVerifier::new(None, token());
    let ok = format!("Bearer {TOKEN}");
    assert!(verifier.verify(&[("authorization", ok.as_str())], BODY).is_ok());
    let lower = format!("bearer {TOKEN}");
    assert!(verifier.verify(&[("Authorization", lower.as_str())], BODY).is_ok());
    assert_eq!(
        verifier.verify(&[("Authorization", "Bearer nope")], BODY).unwrap_err(),
        WebhookError::InvalidToken
    );
    let prefix = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    assert_eq!(
        verifier.verify(&[("Authorization", prefix.as_str())], BODY).unwrap_err(),
        WebhookError::InvalidToken
    );
    assert_eq!(
        verifier.verify(&[("Authorization", TOKEN)], BODY).unwrap_err(),
        WebhookError::MissingToken
    );
    let empty: [(&str, &str); 0] = [];
    assert_eq!(verifier.verify(&empty, BODY).unwrap_err(), WebhookError::MissingToken);
}

#[test]
fn with_both_configured_both_are_required() {
    let verifier = WebhookVerifier::new(secret(), token());
    let sig = hex_sig(SECRET, BODY);
    let bearer = format!("Bearer {TOKEN}");
    assert!(
        verifier
            .verify(&[("huma-hmac-sha256", sig.as_str()), ("authorization", bearer.as_str())], BODY)
            .is_ok()
    );
    assert_eq!(
        verifier.verify(&[("huma-hmac-sha256", sig.as_str())], BODY).unwrap_err(),
        WebhookError::MissingToken
    );
    assert_eq!(
        verifier.verify(&[("authorization", bearer.as_str())], BODY).unwrap_err(),
        WebhookError::MissingSignature
    );
}

#[test]
fn without_a_secret_or_token_nothing_is_accepted() {
    let err = WebhookVerifier::new(None, None).verify(&[("x", "y")], BODY).unwrap_err();
    assert_eq!(err, WebhookError::NotConfigured);
}

#[test]
fn an_oversized_body_is_refused_before_anything_else() {
    let verifier = WebhookVerifier::new(secret(), None).max_body(BODY.len() - 1);
    // No signature header at all: the size is what is reported.
    let empty: [(&str, &str); 0] = [];
    let err = verifier.verify(&empty, BODY).unwrap_err();
    assert_eq!(err, WebhookError::BodyTooLarge { len: BODY.len(), max: BODY.len() - 1 });
    let at_limit = WebhookVerifier::new(secret(), None).max_body(BODY.len());
    let sig = hex_sig(SECRET, BODY);
    assert!(at_limit.verify(&[("huma-hmac-sha256", sig.as_str())], BODY).is_ok());
}

#[test]
fn the_default_limit_refuses_a_huge_body() {
    let body = vec![b' '; huma_api::webhook::DEFAULT_MAX_BODY + 1];
    let sig = hex_sig(SECRET, &body);
    let err = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", sig.as_str())], &body)
        .unwrap_err();
    assert!(matches!(err, WebhookError::BodyTooLarge { .. }));
}

#[test]
fn unknown_topics_and_fields_are_kept_or_ignored_not_errors() {
    let body = br#"{"topic":"users-archive","version":3,"users":[{"id":"u1","email":"a@b.c","extra":{"x":1}}],"meta":null}"#;
    let sig = hex_sig(SECRET, body);
    let event = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", sig.as_str())], body)
        .unwrap();
    assert_eq!(event.topic, Topic::Unknown("users-archive".into()));
    assert_eq!(event.users.len(), 1);
    assert_eq!(event.users[0].id.as_str(), "u1");
}

#[test]
fn each_known_topic_is_parsed() {
    for (name, topic) in [
        ("users-create", Topic::UsersCreate),
        ("users-update", Topic::UsersUpdate),
        ("users-delete", Topic::UsersDelete),
        ("users-export", Topic::UsersExport),
    ] {
        let body = format!(r#"{{"topic":"{name}","users":[{{"id":"u1"}}]}}"#);
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.topic, topic);
        assert_eq!(event.users[0].email, None);
    }
}

#[test]
fn the_topic_header_is_used_when_the_body_has_none() {
    let body = br#"{"users":[{"id":"u1"}]}"#;
    let sig = hex_sig(SECRET, body);
    let event = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", sig.as_str()), ("Huma-Topic", "users-delete")], body)
        .unwrap();
    assert_eq!(event.topic, Topic::UsersDelete);
}

#[test]
fn the_signed_body_topic_wins_over_the_header() {
    let sig = hex_sig(SECRET, BODY);
    let event = WebhookVerifier::new(secret(), None)
        .verify(&[("huma-hmac-sha256", sig.as_str()), ("huma-topic", "users-delete")], BODY)
        .unwrap();
    assert_eq!(event.topic, Topic::UsersUpdate);
}

#[test]
fn users_without_an_id_are_skipped() {
    let event = parse_event(
        br#"{"topic":"users-create","users":[{"email":"x@y.z"},{"id":7},{"id":" "},{"id":"u2"},"junk"]}"#,
    )
    .unwrap();
    assert_eq!(event.users.len(), 1);
    assert_eq!(event.users[0].id.as_str(), "u2");
}

#[test]
fn a_body_that_is_not_an_object_is_malformed() {
    for body in [&b"[]"[..], b"\"users-update\"", b"{", b"", b"\xff\xfe"] {
        assert!(matches!(parse_event(body), Err(WebhookError::Malformed { .. })), "{body:?}");
    }
}
