//! What to tell a person when a run cannot start or stops, and what kind of problem it is: the
//! settings' errors, a refused connection and a failed sync, each in one line that says what to
//! do. A program turns the kind into its exit code; a service shows the message to the
//! organisation's administrator.

use crate::directories::sign_in_expired;
use crate::error::ConnectError;
use crate::job::JobError;
use crate::secrets::SCIM_TOKEN;
use crate::setup::{SetupError, SyncSetup};
use crate::state::StateLocationError;
use dirsync::{
    apply::ApplyError,
    directory::{DirectoryError, ErrorChain},
    model::Side,
    sync::SyncError,
};
use dirsync_report::DecisionsError;
use dirsync_scim::ScimError;
use std::fmt;

/// What kind of problem stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The settings are wrong (a flag, the decisions file, the organisations file): nothing was
    /// read or written; fix them.
    Settings,
    /// The run could not start or went wrong as a whole: the connection, the credentials, the
    /// state.
    CouldNotRun,
    /// Decisions are pending: nothing was written.
    Pending,
    /// The plan changes or disables more than the run's limits allow: nothing was written.
    OverThreshold,
}

/// Why a run cannot start or stopped, for a person: its [`ProblemKind`] and a message that says
/// what to do. The messages name the settings by their flags and variables (`--max-changes`,
/// `SCIM_TOKEN`), as [`SyncSettings`](crate::SyncSettings) defines them.
///
/// ```
/// use dirsync_connect::{ConnectError, Problem, ProblemKind};
/// let problem = Problem::from(&ConnectError::MissingHumaSecret);
/// assert_eq!(problem.kind(), ProblemKind::CouldNotRun);
/// assert!(problem.message().contains("HUMA_CLIENT_SECRET"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    kind: ProblemKind,
    message: String,
}

impl Problem {
    /// A problem of `kind` with this message.
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem { kind, message: message.into() }
    }

    /// A problem of `kind` whose message is `error` with its causes.
    pub fn chain(kind: ProblemKind, error: &(dyn std::error::Error + 'static)) -> Problem {
        Problem::new(kind, ErrorChain(error).to_string())
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// What to tell a person.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Why a sync of `setup` did not run or stopped.
    pub fn of_sync(error: &SyncError, setup: &SyncSetup) -> Problem {
        use ProblemKind::{CouldNotRun, OverThreshold, Pending};
        match error {
            SyncError::Read { side: Side::Idp, source, .. } => {
                Problem::new(CouldNotRun, format!("{error}: {}", idp_refused(source)))
            }
            SyncError::Apply(ApplyError::SafetyThreshold { people, max }) => Problem::new(
                OverThreshold,
                format!(
                    "the plan would change {people} people, more than --max-changes {max}; \
                     nothing was written: check the plan, then raise --max-changes"
                ),
            ),
            SyncError::Apply(ApplyError::DisableThreshold { disables, max }) => {
                Problem::new(OverThreshold, too_many_disables(*disables, *max, setup))
            }
            SyncError::Apply(ApplyError::Pending(p)) => Problem::new(Pending, p.to_string()),
            SyncError::Apply(ApplyError::Fatal { side, system, source, .. }) => {
                let source = match side {
                    Side::Idp => idp_refused(source),
                    Side::Hr => ErrorChain(source).to_string(),
                };
                Problem::new(
                    CouldNotRun,
                    format!(
                        "{system} refused the credentials during the sync ({source}); the writes \
                         made before that are in the report: reconnect, then sync again"
                    ),
                )
            }
            SyncError::NotSaved { source, .. } => Problem::new(
                CouldNotRun,
                format!("the state could not be saved to {}: {}", setup.state, ErrorChain(source)),
            ),
            SyncError::State(state) => Problem::new(CouldNotRun, setup.state.cannot_use(state)),
            _ => Problem::chain(CouldNotRun, error),
        }
    }

    /// A decisions file the plan refuses; an unknown id says where the ids are.
    pub fn of_decisions(error: &DecisionsError) -> Problem {
        let advice = match error {
            DecisionsError::UnknownId { .. } => " (`sync plan` prints them)",
            _ => "",
        };
        Problem::new(ProblemKind::Settings, format!("{error}{advice}"))
    }

    /// The identity directory refused: see [`idp_refused`].
    pub fn of_idp(error: &DirectoryError) -> Problem {
        Problem::new(ProblemKind::CouldNotRun, idp_refused(error))
    }
}

/// What to tell a person when the identity directory refused: the error with its causes and,
/// where the fix is a sign-in or a token, which: an expired or revoked sign-in of an Azure AD
/// user-account connection is renewed with `sync login-azure`; a SCIM provider's refused token
/// is replaced in [`SCIM_TOKEN`].
pub fn idp_refused(error: &DirectoryError) -> String {
    let text = ErrorChain(error);
    if sign_in_expired(error) {
        format!("{text}; run `sync login-azure` again to sign in, then start this program again")
    } else if matches!(error.downcast_ref(), Some(ScimError::Unauthorized { .. })) {
        format!("{text}; set {SCIM_TOKEN} to the new token")
    } else {
        text.to_string()
    }
}

/// The disable limit's message: the flag when it was given, else the default's rule.
fn too_many_disables(disables: usize, max: usize, setup: &SyncSetup) -> String {
    let limit = match setup.apply.max_disables {
        Some(_) => format!("--max-disables {max}"),
        None => format!(
            "the {max} one run may disable by default (10, or 5 % of the people paired, \
             whichever is larger)"
        ),
    };
    format!(
        "the plan would disable {disables} accounts of people who left, more than {limit}; \
         nothing was written: check the accounts below (`sync plan` lists them too), then run \
         again with --max-disables {disables} if they are meant"
    )
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<&ConnectError> for Problem {
    /// The connection cannot be made; a token file nobody signed in to yet names the command
    /// that signs in.
    fn from(error: &ConnectError) -> Problem {
        let message = match error {
            ConnectError::NotSignedIn { path } => format!(
                "no Azure sign-in in {}: run `sync login-azure --azure-token-file {}` first to \
                 connect with a user account",
                path.display(),
                path.display()
            ),
            other => other.to_string(),
        };
        Problem::new(ProblemKind::CouldNotRun, message)
    }
}

impl From<&StateLocationError> for Problem {
    /// Wrong settings of the state, or a state that cannot be used.
    fn from(error: &StateLocationError) -> Problem {
        if error.is_settings() {
            Problem::new(ProblemKind::Settings, error.to_string())
        } else {
            Problem::chain(ProblemKind::CouldNotRun, error)
        }
    }
}

impl From<&SetupError> for Problem {
    /// Wrong settings, or a file (the decisions, the state) that cannot be read.
    fn from(error: &SetupError) -> Problem {
        match error {
            SetupError::State(state) => Problem::from(state),
            e if e.is_settings() => Problem::new(ProblemKind::Settings, e.to_string()),
            e => Problem::new(ProblemKind::CouldNotRun, e.to_string()),
        }
    }
}

impl From<&JobError> for Problem {
    /// A sync that cannot be set up: as its setup's or its connection's error.
    fn from(error: &JobError) -> Problem {
        match error {
            JobError::Setup(e) => Problem::from(e),
            JobError::Connect(e) => Problem::from(e),
        }
    }
}

#[cfg(feature = "webhook")]
impl From<&crate::receiver::ReceiverError> for Problem {
    /// A receiver that cannot serve: settings that do not fit, or what it needs is missing or
    /// unusable.
    fn from(error: &crate::receiver::ReceiverError) -> Problem {
        use crate::receiver::ReceiverError;
        match error {
            ReceiverError::State(state) => Problem::from(state),
            ReceiverError::Connect(e) => Problem::from(e),
            ReceiverError::Scoped(e) => Problem::of_idp(e),
            e if e.is_settings() => Problem::new(ProblemKind::Settings, e.to_string()),
            e => Problem::new(ProblemKind::CouldNotRun, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_token_file_nobody_signed_in_to_names_the_command_that_signs_in() {
        let error = ConnectError::NotSignedIn { path: PathBuf::from("azure.token") };
        let problem = Problem::from(&error);
        assert_eq!(problem.kind(), ProblemKind::CouldNotRun);
        assert!(
            problem.message().contains("sync login-azure --azure-token-file azure.token"),
            "{problem}"
        );
    }

    #[test]
    fn wrong_state_settings_are_settings_an_unusable_state_is_not() {
        assert_eq!(Problem::from(&StateLocationError::OrgWithFile).kind(), ProblemKind::Settings);
        let unreadable = StateLocationError::Stored(dirsync::store::StateError::Io {
            action: "read",
            path: PathBuf::from("state.json"),
            source: std::io::Error::other("disk gone"),
        });
        let problem = Problem::from(&unreadable);
        assert_eq!(problem.kind(), ProblemKind::CouldNotRun);
        assert!(problem.message().contains("disk gone"), "{problem}");
    }

    #[test]
    fn an_unknown_decision_id_says_where_the_ids_are() {
        let error = DecisionsError::UnknownId {
            path: PathBuf::from("decisions.json"),
            line: 2,
            id: "chg-1".to_owned(),
        };
        let problem = Problem::of_decisions(&error);
        assert_eq!(problem.kind(), ProblemKind::Settings);
        assert!(problem.message().ends_with("(`sync plan` prints them)"), "{problem}");
    }

    #[test]
    fn any_other_refusal_of_the_identity_directory_is_its_own_message() {
        let error = DirectoryError::new(dirsync::directory::ErrorKind::Authentication, "no entry");
        assert_eq!(Problem::of_idp(&error).message(), "no entry");
    }
}
