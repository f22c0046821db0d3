//! Why a run stopped before every write was tried.

use crate::{Names, Side};
use serde::{Deserialize, Serialize};

/// Why a run stopped before every write was tried ([`crate::report::Report::stopped`]).
///
/// In the report's JSON it is `stop` (`{"reason": "credentials_refused", "side": "idp",
/// "error": "…"}`), beside `stopped`, the same in words ([`Stopped::explain`]) as earlier
/// versions wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum Stopped {
    /// A directory refused the connection's credentials: its writes after that were not
    /// attempted; the other directory's went on.
    CredentialsRefused {
        /// The directory that refused.
        side: Side,
        /// Its refusal, with its causes.
        error: String,
    },
    /// Why, in words only: a report read from JSON that an earlier version wrote.
    Other {
        /// The words.
        text: String,
    },
}

impl Stopped {
    /// Why, and what to do, in words, naming the directories.
    pub fn explain(&self, names: &Names) -> String {
        match self {
            Stopped::CredentialsRefused { side, error } => {
                let (refused, other) = (names.of(*side), names.of(side.other()));
                format!(
                    "{refused} refused the credentials ({error}); the writes to {refused} after \
                     that were not attempted (those to {other} went on): {}",
                    self.advice()
                )
            }
            Stopped::Other { text } => text.clone(),
        }
    }

    /// What to do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Stopped::CredentialsRefused { .. } => "reconnect, then sync again",
            Stopped::Other { .. } => "fix the cause, then sync again",
        }
    }

    /// The directory whose writes stopped, when one did.
    pub fn side(&self) -> Option<Side> {
        match self {
            Stopped::CredentialsRefused { side, .. } => Some(*side),
            Stopped::Other { .. } => None,
        }
    }
}
