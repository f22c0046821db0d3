//! Bytes → a webhook request (headers and body) → `WebhookVerifier::verify`, and the body →
//! `parse_event`.
//!
//! The first byte chooses what the verifier is configured with (secret, token, both, neither) and
//! whether the request carries the right signature and token, so that both the refusals and the
//! parsing behind a successful verification are reached. The rest is headers (`name: value`
//! lines) up to the first blank line, then the body.
//!
//! Checks, beyond "no panic": a request with the right signature and token is accepted exactly
//! when its body parses; a request without them is never accepted; users always have an id.
#![no_main]

use hmac::{Hmac, Mac};
use huma_api::webhook::{WebhookError, WebhookVerifier, parse_event};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-webhook-secret";
const TOKEN: &str = "fuzz-webhook-token";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (&b""[..], rest),
    };
    let with_secret = mode & 1 != 0;
    let with_token = mode & 2 != 0;
    let sign = mode & 4 != 0;
    let bearer = mode & 8 != 0;

    let mut headers: Vec<(String, String)> = Vec::new();
    if sign {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
        mac.update(body);
        let signature = mac.finalize().into_bytes();
        let value = if mode & 16 != 0 {
            format!("sha256={}", hex::encode(signature))
        } else {
            hex::encode(signature)
        };
        headers.push(("Huma-HMAC-SHA256".to_owned(), value));
    }
    if bearer {
        headers.push(("authorization".to_owned(), format!("Bearer {TOKEN}")));
    }
    for line in String::from_utf8_lossy(head).lines() {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }

    let parsed = parse_event(body);
    if let Ok(event) = &parsed {
        for user in &event.users {
            assert!(!user.id.as_str().is_empty() && user.id.as_str().trim() == user.id.as_str());
        }
    }

    let verifier =
        WebhookVerifier::new(with_secret.then(|| SECRET.into()), with_token.then(|| TOKEN.into()));
    let verified = verifier.verify(&headers, body);
    let configured = with_secret || with_token;
    let authentic = configured && (!with_secret || sign) && (!with_token || bearer);
    if authentic {
        assert_eq!(verified.is_ok(), parsed.is_ok(), "{verified:?} but parsing gave {parsed:?}");
        if let (Ok(v), Ok(p)) = (&verified, &parsed) {
            assert_eq!(v.users, p.users);
        }
    } else if !configured {
        assert_eq!(verified, Err(WebhookError::NotConfigured));
    } else if with_secret && !sign {
        // The fuzzer would have to forge an HMAC-SHA256 for this to pass.
        assert!(verified.is_err(), "an unsigned request was accepted");
    }
});
