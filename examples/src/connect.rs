//! What a person is told when a connection is refused, and the connection to the built-in fakes.
//! The connection itself is [`dirsync_connect`]'s.

use dirsync::directory::DirectoryError;
use dirsync_connect::{
    ConnectError, ConnectionSettings, Directories, NewPeople, SCIM_TOKEN, Secrets,
};
use dirsync_scim::ScimError;
use testkit::{FakeGraph, FakeHuma};

/// What to tell a person when the identity directory refused: the error's own message and,
/// where this program holds what to fix, how: when the saved sign-in of an Azure AD
/// user-account connection has expired or was revoked, how to sign in again; when a SCIM
/// provider refused the bearer token, the variable that holds it.
pub fn explain_idp_error(error: &DirectoryError) -> String {
    let text = dirsync::directory::ErrorChain(error);
    if dirsync_connect::sign_in_expired(error) {
        format!("{text}; run `sync login-azure` again to sign in, then start this program again")
    } else if matches!(error.downcast_ref(), Some(ScimError::Unauthorized { .. })) {
        format!("{text}; set {SCIM_TOKEN} to the new token")
    } else {
        text.to_string()
    }
}

/// What to tell a person when the settings cannot be made into a connection: the error's own
/// message, and for a token file nobody signed in to yet, the command that does.
pub fn explain_connect_error(error: &ConnectError) -> String {
    match error {
        ConnectError::NotSignedIn { path } => format!(
            "no Azure sign-in in {}: run `sync login-azure --azure-token-file {}` first to \
             connect with a user account",
            path.display(),
            path.display()
        ),
        other => other.to_string(),
    }
}

/// Both directories pointed at running fakes, with the fakes' default credentials.
///
/// # Panics
/// Never for fakes started with their default configuration (their URLs are loopback `http`).
pub fn connect_to_fakes(graph: &FakeGraph, huma: &FakeHuma, new_people: &NewPeople) -> Directories {
    let connection = fake_connection(graph, huma);
    match dirsync_connect::connect(&connection, new_people, &fake_secrets()) {
        Ok(directories) => directories,
        Err(e) => panic!("the fakes' own settings are refused: {e}"),
    }
}

/// The connection settings that reach the fakes ([`ConnectionSettings::for_fakes`]).
pub fn fake_connection(graph: &FakeGraph, huma: &FakeHuma) -> ConnectionSettings {
    ConnectionSettings::for_fakes(graph, huma)
}

/// The fakes' default secrets ([`Secrets::for_fakes`]).
pub fn fake_secrets() -> Secrets {
    Secrets::for_fakes()
}
