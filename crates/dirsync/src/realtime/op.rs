//! The pure part of a real-time push: the one write that brings the identity directory in line
//! with one HR person.

use crate::{
    BlockReason, Capabilities, Field, FieldChange, FieldValue, Names, NewRecord, Person, Record,
    RecordId,
};
use serde::{Deserialize, Serialize};

/// Whether a real-time push creates people the identity directory does not hold yet (Huma's
/// "auto-provisioning").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoProvisioning {
    /// Leave them to the next sync, which lists them (the default).
    #[default]
    Off,
    /// Create them at once.
    On,
}

/// Why a person cannot be created in the identity directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why")]
#[non_exhaustive]
pub enum CreateRefusal {
    /// The identity directory does not allow creating people.
    NotAllowed,
    /// The person's email cannot be used.
    Email {
        /// What is wrong with it.
        problem: String,
    },
    /// Values the identity directory requires are missing or cannot be written.
    Missing {
        /// Their labels.
        fields: Vec<String>,
    },
}

impl CreateRefusal {
    /// The reason for a person to read, with what to do, naming the systems by `names`.
    pub fn explain(&self, names: &Names) -> String {
        match self {
            CreateRefusal::NotAllowed => format!("{} does not allow creating people", names.idp),
            CreateRefusal::Email { problem } => format!("{problem}; correct it in {}", names.hr),
            CreateRefusal::Missing { fields } => format!(
                "{} requires {} and it is missing or cannot be written; fill it in {}",
                names.idp,
                fields.join(", "),
                names.hr
            ),
        }
    }
}

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
    /// Auto-provisioning is on but the person cannot be created.
    CannotCreate {
        /// Why.
        reason: CreateRefusal,
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
/// - Without one: [`RealtimeOp::Create`] only with [`AutoProvisioning::On`] (else `None`), or
///   [`RealtimeOp::CannotCreate`] when the directory cannot create them.
///
/// Pure: it reads nothing and writes nothing. [`crate::RealtimePush`] finds the linked record,
/// runs the operation and remembers new links; call this directly only to do those yourself.
///
/// ```
/// use dirsync::{realtime_push, AutoProvisioning, Capabilities, Field, FieldChange, FieldValue,
///               Person, Record, RealtimeOp};
/// let hr = Person::new().with_email("ada@example.com").with_job_title("CTO");
/// let linked = Record::new("a1", Person::new().with_email("ada@example.com")
///     .with_job_title("Engineer").with_phone("+47 100"));
/// let op = realtime_push(&hr, Some(&linked), &Capabilities::default(), AutoProvisioning::Off);
/// assert_eq!(op, Some(RealtimeOp::Update {
///     id: "a1".into(),
///     changes: vec![FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }],
///     skipped: vec![],
/// })); // the phone HR lacks is left alone
/// assert_eq!(realtime_push(&hr, None, &Capabilities::default(), AutoProvisioning::Off), None);
/// ```
pub fn realtime_push(
    hr_person: &Person,
    linked: Option<&Record>,
    idp_capabilities: &Capabilities,
    provisioning: AutoProvisioning,
) -> Option<RealtimeOp> {
    let caps = idp_capabilities;
    let Some(record) = linked else {
        return (provisioning == AutoProvisioning::On).then(|| create(hr_person, caps));
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
        return RealtimeOp::CannotCreate { reason: CreateRefusal::NotAllowed };
    }
    if let Some(problem) = hr_person.email().and_then(crate::email::creation_refusal) {
        return RealtimeOp::CannotCreate { reason: CreateRefusal::Email { problem } };
    }
    let NewRecord { person, left_out, missing } = caps.new_record(hr_person, &[]);
    if !missing.is_empty() {
        let fields = missing.iter().map(ToString::to_string).collect();
        return RealtimeOp::CannotCreate { reason: CreateRefusal::Missing { fields } };
    }
    RealtimeOp::Create { person, left_out }
}
