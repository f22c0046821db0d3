//! `sync apply --idp scim` and `sync plan --idp scim` against the fake Huma and a real SCIM server
//! (`scim2-server` from PyPI, started as in the SCIM crate's own tests).

mod common;
#[path = "../../crates/scim/tests/common/mod.rs"]
mod scim_server;

use common::run;
use dirsync::model::{Address, CountryCode, Person};
use dirsync_connect::Secrets;
use dirsync_examples::run::Outcome;
use huma_api::SecretString;
use scim_server::{ScimServer, ServerFeatures, TOKEN};
use serde_json::json;
use std::path::Path;
use testkit::{FakeHuma, HumaConfig};

fn person(i: usize) -> Person {
    Person::new()
        .with_email(format!("p{i}@example.com"))
        .with_employment_id(format!("E-{i}"))
        .with_given_name(format!("Given{i}"))
        .with_family_name(format!("Family{i}"))
        .with_phone(format!("+47 4000 00{i:02}"))
        .with_address(Address::new("Storgata 1", "0150", "Oslo", CountryCode::parse("NO").ok()))
}

fn argv(command: &str, huma: &FakeHuma, scim: &ScimServer, dir: &Path) -> Vec<String> {
    let args = [
        "sync",
        command,
        "--huma-url",
        &huma.uri(),
        "--huma-client-id",
        FakeHuma::CLIENT_ID,
        "--idp",
        "scim",
        "--scim-url",
        &scim.url,
        "--scim-name",
        "Slack",
        "--prefer",
        "idp",
        "--create-in-idp",
        "all",
        "--state",
        &dir.join("state.json").display().to_string(),
    ];
    args.iter().map(|a| (*a).to_owned()).collect()
}

fn secrets() -> Secrets {
    Secrets {
        scim_token: Some(SecretString::from(TOKEN)),
        azure_client_secret: None,
        ..Secrets::for_fakes()
    }
}

#[tokio::test]
async fn sync_with_idp_scim_keeps_a_real_scim_provider_in_step_and_names_it() {
    let scim = ScimServer::start(ServerFeatures::default()).await;
    let huma = FakeHuma::start(HumaConfig::default()).await;
    for i in 0..7 {
        if let Err(e) = huma.insert_person(&person(i)) {
            panic!("seeding the fake Huma: {e}");
        }
    }
    // p0 is in Slack already, by another given name.
    let existing = scim
        .client()
        .create_user(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "p0@example.com",
            "name": { "givenName": "Ada", "familyName": "Family0" },
            "emails": [{ "value": "p0@example.com", "primary": true }]
        }))
        .await;
    assert!(existing.is_ok(), "{existing:?}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));

    let (outcome, text) = run(argv("apply", &huma, &scim, dir.path()), secrets()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("Only in Huma (6): to create in Slack?"), "{text}");
    assert!(text.contains("Slack:"), "the conflict names Slack: {text}");
    let p0 = huma.user_by_email("p0@example.com").map(|u| u.given_name);
    assert_eq!(p0.as_deref(), Some("Ada"), "--prefer idp: Slack's value won");
    let users = scim.client().list_users(None, 100).await;
    let users = users.unwrap_or_else(|e| panic!("listing the SCIM users: {e}"));
    assert_eq!(users.len(), 7);

    let (outcome, text) = run(argv("plan", &huma, &scim, dir.path()), secrets()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("people paired:              7"), "{text}");
    assert!(text.contains("only in Slack:              0"), "{text}");
    assert!(text.contains("conflicts:                  0"), "{text}");
}

#[tokio::test]
async fn idp_scim_without_a_token_says_which_variable_to_set() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let args = vec![
        "sync".to_owned(),
        "plan".to_owned(),
        "--huma-url".to_owned(),
        huma.uri(),
        "--huma-client-id".to_owned(),
        FakeHuma::CLIENT_ID.to_owned(),
        "--idp".to_owned(),
        "scim".to_owned(),
        "--scim-url".to_owned(),
        "https://api.example.com/scim/v2".to_owned(),
    ];
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("SCIM_TOKEN"), "{text}");
}

#[tokio::test]
async fn a_refused_scim_token_says_which_variable_to_set() {
    let scim = ScimServer::start(ServerFeatures::default()).await;
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
    let wrong =
        Secrets { scim_token: Some(SecretString::from(format!("{TOKEN}-old"))), ..secrets() };
    let (outcome, text) = run(argv("plan", &huma, &scim, dir.path()), wrong).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("refused the bearer token"), "{text}");
    assert!(text.contains("set SCIM_TOKEN to the new token"), "{text}");
}
