//! The two sides of a sync.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which system a record lives in.
///
/// The core names no vendor: Huma is the HR side, Azure AD / Entra ID the identity-provider side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The HR system (the source of truth for people, e.g. Huma).
    Hr,
    /// The identity provider (e.g. Azure AD / Entra ID).
    Idp,
}

impl Side {
    /// Both sides, HR first.
    pub const BOTH: [Side; 2] = [Side::Hr, Side::Idp];

    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Hr => Side::Idp,
            Side::Idp => Side::Hr,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Hr => "HR system",
            Side::Idp => "identity directory",
        })
    }
}
