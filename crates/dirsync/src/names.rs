//! What people call the two systems of a sync ("Huma", "Azure AD"), for every text they read.

use crate::Side;
use serde::{Deserialize, Serialize};

/// The names of a sync's two systems as the people who read its plans and reports know them:
/// findings, skip reasons, reports and errors say "Huma" and "Azure AD", never "HR system".
///
/// They come from [`crate::directory::Directory::name`] through [`crate::directory::Snapshot::name`]; a snapshot made
/// without one falls back to the generic "the HR system" / "the identity directory".
///
/// ```
/// use dirsync::model::{Names, Side};
/// let names = Names::new("Huma", "Azure AD");
/// assert_eq!(names.of(Side::Idp), "Azure AD");
/// assert_eq!(Names::default().of(Side::Hr), "the HR system");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    /// The HR system's name, e.g. "Huma".
    pub hr: String,
    /// The identity directory's name, e.g. "Azure AD".
    pub idp: String,
}

impl Default for Names {
    fn default() -> Self {
        Names::new(GENERIC_HR, GENERIC_IDP)
    }
}

const GENERIC_HR: &str = "the HR system";
const GENERIC_IDP: &str = "the identity directory";

impl Names {
    /// The two names, HR first; a blank one falls back to the generic name of its side.
    pub fn new(hr: impl Into<String>, idp: impl Into<String>) -> Self {
        let or = |name: String, generic: &str| {
            if name.trim().is_empty() { generic.to_owned() } else { name }
        };
        Names { hr: or(hr.into(), GENERIC_HR), idp: or(idp.into(), GENERIC_IDP) }
    }

    /// The name of `side`.
    pub fn of(&self, side: Side) -> &str {
        match side {
            Side::Hr => &self.hr,
            Side::Idp => &self.idp,
        }
    }
}
