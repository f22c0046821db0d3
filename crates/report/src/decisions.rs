//! The decisions file: a JSON object from decision id to `"huma"`, `"azure"`, `"skip"` or
//! `"create"`, to settle a plan's pending items without asking.
//!
//! ```json
//! {
//!   "chg-5b9d171beaf8737a": "huma",
//!   "chg-0c1d2e3f4a5b6c7d": "skip",
//!   "new-9a8b7c6d5e4f3a2b": "create"
//! }
//! ```
//!
//! The ids are a plan's item ids ([`dirsync::plan::ItemId`], as a plan view shows them). A file that is
//! not such an object, a value that is not one of the four words, or an id the plan does not hold
//! is an error that names the line.
//!
//! ```
//! use dirsync::plan::Plan;
//! use dirsync_report::Decisions;
//! use std::path::Path;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let decisions = Decisions::parse(Path::new("decisions.json"), r#"{ "chg-1": "huma" }"#)?;
//! let mut plan = Plan::default();
//! // An empty plan holds no item chg-1: the error names the file's line.
//! let refused = decisions.apply_to(|id, decision| plan.decide(id, decision));
//! assert_eq!(refused.unwrap_err().to_string().split(':').nth(1), Some("1"));
//! # Ok(()) }
//! ```

use dirsync::plan::{Decision, DecisionError, ItemId};
use std::fmt;
use std::path::{Path, PathBuf};

/// A parsed decisions file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decisions {
    path: PathBuf,
    entries: Vec<DecisionEntry>,
}

/// One decision of a decisions file and the line it was on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionEntry {
    /// The item's id.
    pub id: ItemId,
    /// What to do with it.
    pub decision: Decision,
    /// The line of the file it is on (1-based).
    pub line: usize,
}

/// Why a decisions file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecisionsError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not a JSON object of strings.
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A value that is not one of the four words.
    BadValue {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The id.
        id: String,
        /// The value as written.
        value: String,
    },
    /// An id the plan does not hold.
    UnknownId {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The id.
        id: String,
    },
    /// A decision the plan refuses (e.g. "create" for a field change, or a value that cannot be
    /// written where it would go).
    Refused {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for DecisionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionsError::Read { path, reason } => {
                write!(f, "cannot read the decisions file {}: {reason}", path.display())
            }
            DecisionsError::Syntax { path, line, reason } => write!(
                f,
                "{}:{line}: {reason}; a decisions file is a JSON object such as \
                 {{\"chg-…\": \"huma\"}}",
                path.display()
            ),
            DecisionsError::BadValue { path, line, id, value } => write!(
                f,
                "{}:{line}: {value:?} is not a decision for {id}: use \"huma\", \"azure\", \
                 \"skip\" or \"create\"",
                path.display()
            ),
            DecisionsError::UnknownId { path, line, id } => write!(
                f,
                "{}:{line}: the plan has no item {id}; plan again to see the current ids (an id \
                 changes when the values behind it change)",
                path.display()
            ),
            DecisionsError::Refused { path, line, reason } => {
                write!(f, "{}:{line}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for DecisionsError {}

impl Decisions {
    /// Reads and parses a decisions file.
    ///
    /// # Errors
    /// [`DecisionsError`] naming the file and, where it can, the line.
    pub fn read(path: &Path) -> Result<Decisions, DecisionsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DecisionsError::Read { path: path.to_owned(), reason: e.to_string() })?;
        Decisions::parse(path, &text)
    }

    /// Parses the text of a decisions file; `path` is only used in messages.
    ///
    /// # Errors
    /// [`DecisionsError`] naming the line.
    pub fn parse(path: &Path, text: &str) -> Result<Decisions, DecisionsError> {
        let path = path.to_owned();
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            DecisionsError::Syntax { path: path.clone(), line: e.line(), reason: e.to_string() }
        })?;
        let serde_json::Value::Object(object) = value else {
            return Err(DecisionsError::Syntax {
                path,
                line: 1,
                reason: "the file is not a JSON object".to_owned(),
            });
        };
        let mut entries = Vec::with_capacity(object.len());
        for (id, value) in object {
            let line = line_of_key(text, &id);
            let word = value.as_str().map(|s| s.trim().to_ascii_lowercase());
            let decision = match word.as_deref() {
                Some("huma") => Decision::UseHr,
                Some("azure") => Decision::UseIdp,
                Some("skip") => Decision::Skip,
                Some("create") => Decision::Create,
                _ => {
                    let value = match value {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    return Err(DecisionsError::BadValue { path, line, id, value });
                }
            };
            entries.push(DecisionEntry { id: ItemId::new(id), decision, line });
        }
        entries.sort_by_key(|e| e.line);
        Ok(Decisions { path, entries })
    }

    /// The decisions, in file order.
    pub fn entries(&self) -> &[DecisionEntry] {
        &self.entries
    }

    /// Settles the plan's items named in the file through `decide` (e.g. [`dirsync::plan::Plan::decide`], or
    /// `dirsync::sync::PlannedSync::decide`). Every id must be one of the plan's changes or creations;
    /// the first that is not, or whose decision the plan refuses, is the error.
    ///
    /// # Errors
    /// [`DecisionsError::UnknownId`] or [`DecisionsError::Refused`], naming the line.
    pub fn apply_to(
        &self,
        mut decide: impl FnMut(&ItemId, Decision) -> Result<(), DecisionError>,
    ) -> Result<usize, DecisionsError> {
        for entry in &self.entries {
            let line = entry.line;
            let path = self.path.clone();
            match decide(&entry.id, entry.decision) {
                Ok(()) => {}
                Err(DecisionError::UnknownItem(_)) => {
                    return Err(DecisionsError::UnknownId { path, line, id: entry.id.to_string() });
                }
                Err(e) => {
                    return Err(DecisionsError::Refused { path, line, reason: e.to_string() });
                }
            }
        }
        Ok(self.entries.len())
    }
}

/// The line where `"key"` is written as an object key (first match), 1-based; 1 when not found
/// (a key written with escapes).
fn line_of_key(text: &str, key: &str) -> usize {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(found) = text[from..].find(&quoted) {
        let at = from + found;
        let after = text[at + quoted.len()..].trim_start();
        if after.starts_with(':') {
            return text[..at].matches('\n').count() + 1;
        }
        from = at + quoted.len();
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::plan::Plan;

    fn parse(text: &str) -> Result<Decisions, DecisionsError> {
        Decisions::parse(Path::new("d.json"), text)
    }

    #[test]
    fn the_four_words_parse_in_file_order_with_their_lines() {
        let d = parse("{\n  \"b\": \"huma\",\n  \"a\": \"Azure\",\n  \"c\": \"skip\",\n  \"d\": \"create\"\n}")
            .expect("parses");
        let got: Vec<(&str, Decision, usize)> =
            d.entries().iter().map(|e| (e.id.as_str(), e.decision, e.line)).collect();
        assert_eq!(
            got,
            [
                ("b", Decision::UseHr, 2),
                ("a", Decision::UseIdp, 3),
                ("c", Decision::Skip, 4),
                ("d", Decision::Create, 5)
            ]
        );
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let err = parse("{\n  \"a\": \"huma\",\n  \"b\": \"hr\"\n}").expect_err("refused");
        assert!(matches!(&err, DecisionsError::BadValue { line: 3, .. }), "{err:?}");
        assert!(err.to_string().starts_with("d.json:3:"), "{err}");
    }

    #[test]
    fn broken_json_names_its_line() {
        let err = parse("{\n  \"a\": \"huma\"\n  \"b\": \"skip\"\n}").expect_err("refused");
        assert!(matches!(err, DecisionsError::Syntax { line: 3, .. }), "{err:?}");
    }

    #[test]
    fn an_unknown_id_names_its_line() {
        let d = parse("{\n\n  \"chg-nope\": \"skip\"\n}").expect("parses");
        let mut plan = Plan::default();
        let err = d.apply_to(|id, decision| plan.decide(id, decision)).expect_err("refused");
        assert!(matches!(err, DecisionsError::UnknownId { line: 3, .. }), "{err:?}");
    }
}
