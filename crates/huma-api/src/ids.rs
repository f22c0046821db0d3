//! Newtype ids, so a user id cannot be passed where a job title id is wanted.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    JobTitleId
);
id_type!(
    /// A Huma position's id.
    PositionId
);

impl From<HumaUserId> for dirsync::RecordId {
    fn from(id: HumaUserId) -> Self {
        dirsync::RecordId::new(id.0)
    }
}

impl From<&dirsync::RecordId> for HumaUserId {
    fn from(id: &dirsync::RecordId) -> Self {
        HumaUserId::new(id.as_str())
    }
}
