//! Reaching the database: the password from outside the URL, TLS checked with rustls, and bad
//! input refused with what to do, nothing written.

mod common;

use dirsync_postgres::{PgError, PostgresConfig, PostgresDatabase};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use secrecy::SecretString;
use testkit::postgres::{ServerTls, TempPostgres};

#[tokio::test]
async fn a_wrong_password_is_named_as_such() {
    let Some((_, _, url)) = common::new_database() else { return };
    let config = PostgresConfig::from_url(&url).unwrap().password(&SecretString::from("wrong"));
    let err = PostgresDatabase::open(config).await.expect_err("refused");
    assert!(
        matches!(err, PgError::Authentication { ref user, .. } if user == "postgres"),
        "{err:?}"
    );
    assert!(err.to_string().contains("PGPASSWORD"), "{err}");
    assert!(!err.to_string().contains("wrong"), "the password is never shown: {err}");
}

#[tokio::test]
async fn tls_required_but_not_offered_is_refused() {
    let Some((_, _, url)) = common::new_database() else { return };
    let err = PostgresDatabase::open(common::config(&format!("{url}?sslmode=require")))
        .await
        .expect_err("the test server offers no TLS");
    assert!(matches!(err, PgError::TlsRefused { .. }), "{err:?}");
    // The default, prefer, takes plain where TLS is not offered.
    PostgresDatabase::open(common::config(&url)).await.expect("prefer falls back");
}

/// A certificate authority and a server certificate for 127.0.0.1 it signed: the server's TLS
/// and the authority's certificate (PEM).
fn certificates() -> (ServerTls, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("a test certificate");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("a test certificate"))
            .expect("a test certificate");
    let key = KeyPair::generate().expect("a test certificate");
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let server = CertificateParams::new(names)
        .expect("a test certificate")
        .signed_by(&key, &ca)
        .expect("a test certificate");
    (ServerTls { certificate: server.pem(), key: key.serialize_pem() }, ca.pem())
}

#[tokio::test]
async fn tls_is_checked_against_the_root_certificate_given() {
    if common::SERVER.is_none() {
        return;
    }
    let (tls, ca) = certificates();
    let server = TempPostgres::start_with(Some(&tls)).expect("PostgreSQL is installed");
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().join("root.pem");
    std::fs::write(&root, ca).unwrap();
    let url =
        format!("{}?sslmode=verify-full&sslrootcert={}", server.url("postgres"), root.display());
    let db = PostgresDatabase::open(common::config(&url)).await.expect("TLS with the given root");
    let verified = server.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
         WHERE s.ssl AND a.application_name = 'dirsync'",
    );
    drop(db);
    assert_ne!(verified, "0", "the pool's connections use TLS");

    // Without the root, the server's certificate is not trusted.
    let untrusted = format!("{}?sslmode=require", server.url("postgres"));
    let err = PostgresDatabase::open(common::config(&untrusted)).await.expect_err("unknown issuer");
    assert!(matches!(err, PgError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn a_bad_organisation_key_is_refused_and_nothing_is_written() {
    let Some((db, server, name)) = common::database().await else { return };
    for key in ["acme'; DROP TABLE dirsync_links; --", "\"acme\"", &"a".repeat(10_000), ""] {
        let err = db.organisation(key).await.expect_err("refused");
        assert!(matches!(err, PgError::OrgKey { .. }), "{err:?}");
        assert!(err.to_string().len() < 400, "a long key is not repeated whole: {err}");
    }
    assert_eq!(server.psql(&name, "SELECT count(*) FROM dirsync_organisations"), "0");
    assert_eq!(server.psql(&name, "SELECT count(*) FROM dirsync_links"), "0");
}

#[test]
fn a_password_written_in_the_url_is_refused_before_connecting() {
    let err = PostgresConfig::from_url("postgres://dirsync:s3cret@db.example.com/dirsync")
        .expect_err("refused");
    assert!(err.to_string().contains("PGPASSWORD") && !err.to_string().contains("s3cret"), "{err}");
}
