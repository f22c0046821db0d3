//! Real-time push: one HR person, re-read after a webhook, pushed to the identity directory.
//!
//! Only HR → identity directory: changes made in the identity directory reach the HR system on the
//! next sync only, as in Huma's own integration.

use crate::{
    BlockReason, Capabilities, Field, FieldChange, FieldValue, NewRecord, Person, Record, RecordId,
};
use serde::{Deserialize, Serialize};

/// The one write that brings the identity directory in line with an HR person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
#[non_exhaustive]
pub enum RealtimeOp {
    /// Set these fields of the linked record.
    ///
    /// `changes` is empty when every differing field is blocked: there is nothing to write, and
    /// `skipped` says why.
    Update {
        /// The identity directory's record.
        id: RecordId,
        /// The fields to set: only supported fields where the HR person has a value that differs.
        changes: Vec<FieldChange>,
        /// Fields that differ but cannot be written, and why.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skipped: Vec<(Field, BlockReason)>,
    },
    /// Create the person (auto-provisioning is on and they have no record yet). The adapter adds
    /// what the directory needs for an account (user principal name, password) from its own
    /// configuration.
    Create {
        /// The values to create them with.
        person: Person,
        /// Values left out because the directory cannot take them, and why.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left_out: Vec<(Field, BlockReason)>,
    },
    /// Auto-provisioning is on but the person cannot be created; the reason says what is missing.
    CannotCreate {
        /// Why, for a person to read.
        reason: String,
    },
}

impl RealtimeOp {
    /// Whether the operation writes anything.
    pub fn writes(&self) -> bool {
        match self {
            RealtimeOp::Update { changes, .. } => !changes.is_empty(),
            RealtimeOp::Create { .. } => true,
            RealtimeOp::CannotCreate { .. } => false,
        }
    }
}

/// The minimal write that brings the identity directory in line with `hr_person`, the HR person as
/// re-read after a webhook (`users-create` / `users-update`).
///
/// - With a `linked` record: an update of only the supported fields where the HR person has a value
///   that differs. A field the HR person lacks is never cleared; an address is merged like a sync
///   merges it (parts the HR address lacks are kept from the directory's); fields the directory
///   cannot write, marks read-only, or whose value is over its limits are listed in `skipped`.
///   `None` when nothing differs.
/// - Without one: [`RealtimeOp::Create`] only when `auto_provision` is on (else `None`), or
///   [`RealtimeOp::CannotCreate`] when the directory cannot create them.
///
/// Pure: it reads nothing and writes nothing. The caller runs the operation through its
/// directory (and, before a create, should look the person up with
/// [`crate::Directory::find_matching`], as [`crate::apply`] does).
///
/// ```
/// use dirsync::{realtime_push, Capabilities, Field, FieldChange, FieldValue, Person, Record, RealtimeOp};
/// let hr = Person::new().with_email("ada@example.com").with_job_title("CTO");
/// let linked = Record::new("a1", Person::new().with_email("ada@example.com")
///     .with_job_title("Engineer").with_phone("+47 100"));
/// let op = realtime_push(&hr, Some(&linked), &Capabilities::default(), false);
/// assert_eq!(op, Some(RealtimeOp::Update {
///     id: "a1".into(),
///     changes: vec![FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }],
///     skipped: vec![],
/// })); // the phone HR lacks is left alone
/// assert_eq!(realtime_push(&hr, None, &Capabilities::default(), false), None);
/// ```
pub fn realtime_push(
    hr_person: &Person,
    linked: Option<&Record>,
    idp_capabilities: &Capabilities,
    auto_provision: bool,
) -> Option<RealtimeOp> {
    let caps = idp_capabilities;
    let Some(record) = linked else {
        return auto_provision.then(|| create(hr_person, caps));
    };
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    for field in Field::ALL {
        let Some(value) = hr_person.get(field) else { continue };
        let current = record.person.get(field);
        let value = match (value.to_owned(), current.map(|c| c.to_owned())) {
            (FieldValue::Address(hr), Some(FieldValue::Address(idp))) => {
                FieldValue::Address(hr.filled_from(&idp))
            }
            (value, _) => value,
        };
        if current == Some(value.as_ref()) {
            continue;
        }
        let read_only = record.read_only.contains(field);
        match caps.blocked(field, Some(value.as_ref()), read_only, None) {
            Some(reason) => skipped.push((field, reason)),
            None => changes.push(FieldChange { field, value }),
        }
    }
    if changes.is_empty() && skipped.is_empty() {
        return None;
    }
    let fields: Vec<&str> = changes.iter().map(|c| c.field.label()).collect();
    tracing::debug!(record = %record.id, fields = ?fields, skipped = skipped.len(), "real-time update");
    Some(RealtimeOp::Update { id: record.id.clone(), changes, skipped })
}

fn create(hr_person: &Person, caps: &Capabilities) -> RealtimeOp {
    if !caps.can_create {
        return RealtimeOp::CannotCreate {
            reason: "the identity directory does not allow creating people".to_owned(),
        };
    }
    if let Some(why) = hr_person.email().and_then(crate::email::creation_refusal) {
        return RealtimeOp::CannotCreate { reason: format!("{why}; correct it in the HR system") };
    }
    let NewRecord { person, left_out, missing } = caps.new_record(hr_person, &[]);
    if !missing.is_empty() {
        return RealtimeOp::CannotCreate {
            reason: format!(
                "the identity directory requires {} and it is missing or cannot be written; \
                 fill it in the HR system",
                missing.join(", ")
            ),
        };
    }
    RealtimeOp::Create { person, left_out }
}
