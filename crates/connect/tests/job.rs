//! One organisation as a worker's job: made from its settings without a request, or refused
//! naming what is wrong.

use dirsync_connect::{
    ConnectError, JobError, OrganisationJob, SecretString, Secrets, SetupError, StateLocation,
    SyncSettings,
};
use dirsync_postgres::{OrgJob as _, OrgKey, PostgresConfig};

fn settings() -> SyncSettings {
    let mut settings = SyncSettings::default();
    settings.connection.huma_client_id = Some("huma-id".to_owned());
    settings.connection.azure.azure_tenant = Some("acme.onmicrosoft.com".to_owned());
    settings.connection.azure.azure_client_id = Some("azure-id".to_owned());
    settings
}

fn secrets() -> Secrets {
    Secrets {
        huma_client_secret: Some(SecretString::from("hunter2-huma")),
        azure_client_secret: Some(SecretString::from("hunter2-azure")),
        scim_token: None,
    }
}

fn job(settings: &SyncSettings, secrets: &Secrets) -> Result<OrganisationJob, JobError> {
    let key = OrgKey::new("acme").expect("a key");
    let database =
        PostgresConfig::from_url("postgres://dirsync@db.example.com/dirsync").expect("a database");
    OrganisationJob::new(key, settings, secrets, &database, "a test")
}

#[test]
fn a_job_keeps_its_state_in_the_workers_database_and_names_its_organisation() {
    let job = job(&settings(), &secrets()).expect("a job");
    assert_eq!(job.key().as_str(), "acme");
    let StateLocation::Postgres { database, org } = &job.setup().state else {
        panic!("the worker's database, not the settings' file")
    };
    assert_eq!((database.target(), org.as_str()), ("db.example.com:5432/dirsync", "acme"));
    assert!(job.setup().title.starts_with("acme: Huma and Azure AD"), "{}", job.setup().title);
    assert!(job.take_notes().is_empty());
    assert!(!format!("{job:?}").contains("hunter2"), "no secret shows");
}

#[test]
fn wrong_settings_are_refused_before_the_connection() {
    let mut wrong = settings();
    wrong.connection.huma_client_id = None;
    wrong.policy.create_in_azure = dirsync_connect::Create::All;
    let refused = job(&wrong, &secrets()).unwrap_err();
    assert!(matches!(refused, JobError::Setup(SetupError::NoUpnDomain)), "{refused}");
    wrong.policy.upn_domain = Some("acme.example".to_owned());
    let refused = job(&wrong, &secrets()).unwrap_err();
    assert!(matches!(refused, JobError::Connect(ConnectError::MissingHumaClientId)), "{refused}");
}

#[test]
fn a_note_reads_as_a_log_line() {
    use dirsync_connect::{JobNote, ReportFileError, WrittenReport};
    let path = std::path::PathBuf::from("acme.json");
    let written = JobNote::Written(WrittenReport { format: "JSON", path });
    assert_eq!(written.to_string(), "Report (JSON) written to acme.json");
    let source = std::io::Error::other("disk full");
    let path = std::path::PathBuf::from("out/acme.json");
    let not_written = JobNote::NotWritten(ReportFileError::Write { path, source });
    assert_eq!(
        not_written.to_string(),
        "error: cannot write the report to out/acme.json: disk full"
    );
}
