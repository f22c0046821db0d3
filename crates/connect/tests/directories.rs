//! The directories made from the settings: what reaches the clients, what is refused, and that
//! no secret is ever shown.

use dirsync_connect::{
    AZURE_CLIENT_SECRET, AzureApp, AzureAppSettings, ConnectError, ConnectionSettings,
    IdentityDirectory, IdpKind, NewPeople, SCIM_TOKEN, SecretString, Secrets, connect,
};

fn connection() -> ConnectionSettings {
    ConnectionSettings {
        huma_client_id: Some("huma-id".into()),
        azure: AzureAppSettings {
            azure_tenant: Some("contoso.onmicrosoft.com".into()),
            azure_client_id: Some("azure-id".into()),
            ..AzureAppSettings::default()
        },
        huma_concurrency: 3,
        graph_concurrency: 5,
        ..ConnectionSettings::default()
    }
}

fn secrets(huma: Option<&str>, azure: Option<&str>, scim: Option<&str>) -> Secrets {
    Secrets {
        huma_client_secret: huma.map(SecretString::from),
        azure_client_secret: azure.map(SecretString::from),
        scim_token: scim.map(SecretString::from),
    }
}

#[test]
fn the_concurrency_settings_reach_both_clients() {
    let Ok(dirs) =
        connect(&connection(), &NewPeople::default(), &secrets(Some("s1"), Some("s2"), None))
    else {
        panic!("the connection is accepted")
    };
    assert_eq!(dirs.huma.client().max_concurrency(), 3);
    let IdentityDirectory::Azure(azure) = &dirs.idp else { panic!("Azure AD by default") };
    assert_eq!(azure.client().max_concurrency(), 5);
    assert!(dirs.idp.graph().is_some());
}

#[test]
fn secrets_never_show_in_debug_output() {
    let secrets = secrets(Some("hunter2-huma"), Some("hunter2-azure"), None);
    let dirs = connect(&connection(), &NewPeople::default(), &secrets);
    let shown = format!("{dirs:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_user_account_connection_never_shows_its_token_or_secret() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
    let path = dir.path().join("token");
    let written =
        azure_graph::RefreshTokenFile::new(&path).write(&SecretString::from("hunter2-refresh"));
    assert!(written.is_ok(), "{written:?}");
    let settings = ConnectionSettings { azure_token_file: Some(path), ..connection() };
    let secrets = secrets(Some("hunter2-huma"), Some("hunter2-azure"), None);
    let dirs = connect(&settings, &NewPeople::default(), &secrets);
    assert!(dirs.is_ok(), "{dirs:?}");
    let shown = format!("{dirs:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let app = AzureApp::new(&settings.azure, &secrets);
    let shown = format!("{app:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_missing_or_empty_token_file_means_nobody_signed_in() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("token");
    let settings = ConnectionSettings { azure_token_file: Some(path.clone()), ..connection() };
    let secrets = secrets(Some("s"), Some("s"), None);
    let missing = connect(&settings, &NewPeople::default(), &secrets);
    assert!(matches!(&missing, Err(ConnectError::NotSignedIn { path: p }) if *p == path));
    std::fs::write(&path, " \n")?;
    let empty = connect(&settings, &NewPeople::default(), &secrets);
    assert!(matches!(empty, Err(ConnectError::NotSignedIn { .. })));
    Ok(())
}

#[test]
fn a_missing_secret_is_named_without_its_value() {
    let Err(e) =
        connect(&connection(), &NewPeople::default(), &secrets(Some("hunter2"), None, None))
    else {
        panic!("a missing secret is refused")
    };
    assert!(matches!(e, ConnectError::MissingAzureSecret));
    assert!(e.to_string().contains(AZURE_CLIENT_SECRET), "{e}");
    assert!(!e.to_string().contains("hunter2"));
}

#[test]
fn each_missing_setting_says_what_to_set() {
    let no_huma = ConnectionSettings { huma_client_id: Some(" ".into()), ..connection() };
    let all = secrets(Some("s"), Some("s"), None);
    let said = |settings: &ConnectionSettings, secrets: &Secrets| {
        connect(settings, &NewPeople::default(), secrets).map(|_| ()).unwrap_err().to_string()
    };
    assert!(said(&no_huma, &all).contains("HUMA_CLIENT_ID (or --huma-client-id)"));
    assert!(said(&connection(), &secrets(None, Some("s"), None)).contains("HUMA_CLIENT_SECRET"));
    let mut no_tenant = connection();
    no_tenant.azure.azure_tenant = None;
    assert!(said(&no_tenant, &all).contains("AZURE_TENANT_ID (or --azure-tenant)"));
    let mut no_client = connection();
    no_client.azure.azure_client_id = None;
    assert!(said(&no_client, &all).contains("AZURE_CLIENT_ID (or --azure-client-id)"));
}

fn scim_connection() -> ConnectionSettings {
    ConnectionSettings {
        idp: IdpKind::Scim,
        scim_url: Some("https://api.example.com/scim/v2".into()),
        scim_name: "Slack".into(),
        ..connection()
    }
}

#[test]
fn a_scim_connection_needs_its_url_and_token_but_no_azure_app() {
    let scim_secrets = |token| secrets(Some("hunter2-huma"), None, token);
    let dirs = connect(&scim_connection(), &NewPeople::default(), &scim_secrets(Some("hunter2")));
    let Ok(dirs) = dirs else { panic!("a SCIM connection needs no Azure settings: {dirs:?}") };
    assert!(matches!(dirs.idp, IdentityDirectory::Scim(_)));
    assert_eq!(dirs.idp.directory().name(), "Slack");
    assert!(dirs.idp.graph().is_none());
    let shown = format!("{dirs:?}");
    assert!(!shown.contains("hunter2"), "{shown}");

    let no_token = connect(&scim_connection(), &NewPeople::default(), &scim_secrets(None));
    let Err(e) = no_token else { panic!("a missing token is refused") };
    assert!(e.to_string().contains(SCIM_TOKEN), "{e}");
    let no_url = ConnectionSettings { scim_url: None, ..scim_connection() };
    let Err(e) = connect(&no_url, &NewPeople::default(), &scim_secrets(Some("t"))) else {
        panic!("a missing URL is refused")
    };
    assert!(e.to_string().contains("--scim-url"), "{e}");
    let plain = ConnectionSettings {
        scim_url: Some("http://scim.example.com".into()),
        ..scim_connection()
    };
    assert!(connect(&plain, &NewPeople::default(), &scim_secrets(Some("t"))).is_err());
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let settings =
        ConnectionSettings { huma_url: "http://huma.example.com".into(), ..connection() };
    let refused = connect(&settings, &NewPeople::default(), &secrets(Some("s"), Some("s"), None));
    assert!(matches!(refused, Err(ConnectError::Huma(_))), "{refused:?}");
}
