//! The webhook receiver made from its settings: ready against the fakes, refused (in order) when
//! the settings do not fit, the state cannot be used or a group of the scope does not exist.

use dirsync_connect::{
    ConnectError, ConnectionSettings, ReceiverError, ReceiverSettings, SecretString, Secrets,
    StateSettings,
};
use huma_api::webhook::WebhookVerifier;
use testkit::{FakeGraph, FakeHuma, GraphConfig, HumaConfig};

/// A group of Azure AD that does not exist.
const NOWHERE: &str = "00000000-0000-4000-8000-00000000dead";

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(Some(SecretString::from("webhook-secret")), None)
}

/// Settings that reach the fakes, the state in `dir`.
fn settings(graph: &FakeGraph, huma: &FakeHuma, dir: &std::path::Path) -> ReceiverSettings {
    let connection = ConnectionSettings::for_fakes(graph, huma);
    let store = StateSettings { state: dir.join("state.json"), org: None };
    ReceiverSettings { store, connection, ..ReceiverSettings::default() }
}

#[tokio::test]
async fn a_receiver_is_ready_once_the_state_opens_and_the_scope_exists() {
    let (graph, huma) = (
        FakeGraph::start(GraphConfig::default()).await,
        FakeHuma::start(HumaConfig::default()).await,
    );
    let dir = tempfile::tempdir().expect("a folder");
    let settings = settings(&graph, &huma, dir.path());
    let ready = settings.ready(&Secrets::for_fakes(), verifier()).await;
    let Ok(ready) = ready else { panic!("ready: {ready:?}") };
    assert_eq!(ready.cannot_disable, None);

    let mut nowhere = settings.clone();
    nowhere.connection.scope.azure_group = Some(NOWHERE.to_owned());
    let refused = nowhere.ready(&Secrets::for_fakes(), verifier()).await.map(|_| ()).unwrap_err();
    assert!(matches!(refused, ReceiverError::Scoped(_)) && !refused.is_settings(), "{refused}");
    assert!(dirsync::directory::ErrorChain(&refused).to_string().contains(NOWHERE), "{refused}");
}

#[tokio::test]
async fn wrong_settings_are_refused_before_the_state_and_the_state_before_the_connection() {
    let (graph, huma) = (
        FakeGraph::start(GraphConfig::default()).await,
        FakeHuma::start(HumaConfig::default()).await,
    );
    let dir = tempfile::tempdir().expect("a folder");
    let mut settings = settings(&graph, &huma, dir.path());
    settings.connection.huma_client_id = None;
    settings.auto_provision = true;
    let refused = settings.ready(&Secrets::for_fakes(), verifier()).await.map(|_| ()).unwrap_err();
    assert!(matches!(refused, ReceiverError::NoUpnDomain) && refused.is_settings());

    settings.auto_provision = false;
    settings.store.org = Some("acme".to_owned());
    let refused = settings.ready(&Secrets::for_fakes(), verifier()).await.map(|_| ()).unwrap_err();
    assert!(matches!(refused, ReceiverError::State(_)) && refused.is_settings(), "{refused}");

    settings.store.org = None;
    let refused = settings.ready(&Secrets::for_fakes(), verifier()).await.map(|_| ()).unwrap_err();
    assert!(matches!(refused, ReceiverError::Connect(ConnectError::MissingHumaClientId)));
}
