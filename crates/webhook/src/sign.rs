//! The signature Huma sends with each webhook, for whoever sends webhooks to a receiver.

use hmac::{Hmac, Mac};

/// The HMAC-SHA256 of `body` with `secret`, hex: the `huma-hmac-sha256` header Huma sends, which
/// [`huma_api::webhook::WebhookVerifier`] checks.
///
/// ```
/// use huma_api::SecretString;
/// use huma_api::webhook::WebhookVerifier;
/// let body = br#"{"topic":"users-update","users":[{"id":"u1"}]}"#;
/// let signature = dirsync_webhook::sign("s3cret", body);
/// let verifier = WebhookVerifier::new(Some(SecretString::from("s3cret")), None);
/// assert!(verifier.verify(&[("huma-hmac-sha256", signature.as_str())], body).is_ok());
/// ```
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let signature = super::sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(signature, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
