//! Huma's side of a profile webhook: what it posts to a receiver, so that tests and demos send
//! exactly what a receiver gets from Huma.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The headers Huma sends the topic and the signature in.
const TOPIC_HEADER: &str = "huma-topic";
const SIGNATURE_HEADER: &str = "huma-hmac-sha256";

/// A webhook as set up in Huma: the address it posts to and the client secret it signs with.
/// [`deliver`](HumaWebhook::deliver) sends an event the way Huma does: a JSON body with the
/// topic and the people (`{"topic":…,"users":[{"id":…,"email":…}]}`), the topic again in the
/// `huma-topic` header, and the body's HMAC-SHA256 with the secret, hex, in `huma-hmac-sha256`.
///
/// ```no_run
/// # async fn demo() -> Result<(), reqwest::Error> {
/// let webhook = testkit::HumaWebhook::new("http://127.0.0.1:8080/webhooks/huma", "s3cret");
/// let (status, body) = webhook.deliver("users-update", &[("u1", "ada@example.com")]).await?;
/// println!("{status} {body}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HumaWebhook {
    url: String,
    secret: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for HumaWebhook {
    /// Shows the address but not the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HumaWebhook")
            .field("url", &self.url)
            .field("secret", &"***")
            .finish_non_exhaustive()
    }
}

impl HumaWebhook {
    /// The webhook that posts to `url` (the receiver's whole address, path included) and signs
    /// with `secret`.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        HumaWebhook { url: url.into(), secret: secret.into(), http: reqwest::Client::new() }
    }

    /// Sends the event `topic` about `users`, each `(Huma id, email)`, and returns the
    /// receiver's answer: its status and its body, whatever they are.
    ///
    /// # Errors
    /// The request could not be sent, or the answer's body not read.
    pub async fn deliver(
        &self,
        topic: &str,
        users: &[(&str, &str)],
    ) -> Result<(u16, String), reqwest::Error> {
        let body = event(topic, users).into_bytes();
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header(TOPIC_HEADER, topic)
            .header(SIGNATURE_HEADER, huma_signature(&self.secret, &body))
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

/// The body's HMAC-SHA256 with `secret`, hex, as Huma puts it in `huma-hmac-sha256`: written
/// here again rather than taken from `huma_api`, so that a verifier's tests check it against a
/// signer of their own.
///
/// ```
/// let signature = testkit::huma_signature("s3cret", b"{}");
/// assert_eq!(signature.len(), 64);
/// ```
pub fn huma_signature(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => String::new(),
    }
}

/// The body Huma posts: the topic and the people, each with their id and email.
fn event(topic: &str, users: &[(&str, &str)]) -> String {
    let users: Vec<serde_json::Value> =
        users.iter().map(|(id, email)| serde_json::json!({"id": id, "email": email})).collect();
    serde_json::json!({"topic": topic, "users": users}).to_string()
}

#[cfg(test)]
mod tests {
    use super::HumaWebhook;
    use huma_api::SecretString;
    use huma_api::webhook::{Topic, WebhookVerifier};
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn a_delivered_event_passes_the_verifier_with_its_topic_and_people() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/webhooks/huma"))
            .and(header("huma-topic", "users-update"))
            .and(header("content-type", "application/json"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\":true}"))
            .mount(&server)
            .await;
        let webhook = HumaWebhook::new(format!("{}/webhooks/huma", server.uri()), "s3cret");
        let answer = webhook.deliver("users-update", &[("u1", "ada@example.com")]).await;
        assert_eq!(answer.unwrap(), (200, "{\"ok\":true}".to_owned()));

        let requests = server.received_requests().await.unwrap();
        let request = &requests[0];
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        let verifier = WebhookVerifier::new(Some(SecretString::from("s3cret")), None);
        let event = verifier.verify(&headers, &request.body).unwrap();
        assert_eq!(event.topic, Topic::UsersUpdate);
        assert_eq!(event.users[0].id.as_str(), "u1");
        assert_eq!(event.users[0].email.as_deref(), Some("ada@example.com"));
    }

    #[test]
    fn the_secret_is_not_shown() {
        let webhook = HumaWebhook::new("http://127.0.0.1:1/webhooks/huma", "s3cret");
        assert!(!format!("{webhook:?}").contains("s3cret"));
    }
}
