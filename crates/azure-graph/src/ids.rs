//! The ids of Graph objects: at the bottom of the crate, imported by everything above.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Graph user's object id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GraphUserId(String);

/// An object id read from Graph must address someone: a blank one would make a record no link
/// could find again and writes to `/users/`, so the answer holding it is refused.
impl<'de> Deserialize<'de> for GraphUserId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error as _, Unexpected};
        let id = String::deserialize(deserializer)?;
        if id.trim().is_empty() {
            return Err(D::Error::invalid_value(Unexpected::Str(&id), &"a non-blank object id"));
        }
        Ok(GraphUserId(id))
    }
}

impl GraphUserId {
    /// Wraps an object id.
    pub fn new(id: impl Into<String>) -> GraphUserId {
        GraphUserId(id.into())
    }

    /// The id as Graph spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as it goes into a URL path (percent-encoded, though object ids need none).
    pub(crate) fn path_segment(&self) -> String {
        url::form_urlencoded::byte_serialize(self.0.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    }
}

impl fmt::Display for GraphUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
