//! Newtype ids, so a user id cannot be passed where a job title id is wanted.

use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as Huma spells it.
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The id as Huma spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name::new(id)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }
    };
}

id_type!(
    /// A Huma user's id (a UUID that never changes, also used in webhooks).
    HumaUserId
);
id_type!(
    /// A Huma job title's id.
    #[derive(Deserialize)]
    JobTitleId
);
id_type!(
    /// A Huma position's id.
    #[derive(Deserialize)]
    PositionId
);

/// A user id read from Huma must address someone: a blank one would make `GET /users/` of a
/// detail read and a record no link could find again, so the answer holding it is refused.
impl<'de> Deserialize<'de> for HumaUserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        if id.trim().is_empty() {
            return Err(D::Error::invalid_value(Unexpected::Str(&id), &"a non-blank user id"));
        }
        Ok(HumaUserId(id))
    }
}

impl From<HumaUserId> for dirsync::directory::RecordId {
    fn from(id: HumaUserId) -> Self {
        dirsync::directory::RecordId::new(id.0)
    }
}

impl From<&dirsync::directory::RecordId> for HumaUserId {
    fn from(id: &dirsync::directory::RecordId) -> Self {
        HumaUserId::new(id.as_str())
    }
}
