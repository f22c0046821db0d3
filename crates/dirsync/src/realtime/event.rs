//! What a real-time event says, and what a push did for each person it names.

use crate::{BlockReason, Field, RecordId};
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

/// What an HR system's real-time event (a Huma webhook) says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HrChange {
    /// People were added.
    Created,
    /// People were changed.
    Updated,
    /// People were removed.
    Deleted,
    /// Something else (an export, a topic this version does not know).
    Other,
}

/// A verified real-time event from the HR system: what happened, to whom. An adapter makes it
/// from its own event (e.g. `huma_api::webhook::WebhookEvent::to_hr_event`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HrEvent {
    /// What happened.
    pub change: HrChange,
    /// The HR records it names.
    pub records: Vec<RecordId>,
}

impl HrEvent {
    /// Whether the event asks for a push: people created or changed.
    pub fn needs_push(&self) -> bool {
        matches!(self.change, HrChange::Created | HrChange::Updated)
    }
}

/// What one push did, one entry per person the event named, in its order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSummary {
    /// Each person's push.
    pub people: Vec<PersonPush>,
}

impl PushSummary {
    /// Whether a read or a write failed for someone (the sender may try again).
    pub fn failed(&self) -> bool {
        self.people.iter().any(|p| p.action == PushAction::Failed)
    }
}

/// What was done for one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonPush {
    /// The HR record.
    pub hr: RecordId,
    /// The identity directory's record, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<RecordId>,
    /// What happened.
    pub action: PushAction,
    /// The fields written (for a creation: the fields the person was created with).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Fields that differ but were not written, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<(Field, BlockReason)>,
    /// More about what happened, for a person (why nothing was created, the error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl PersonPush {
    /// Nothing done yet for `hr`: unchanged until a step says otherwise.
    pub(super) fn new(hr: RecordId) -> Self {
        let action = PushAction::Unchanged;
        PersonPush { hr, idp: None, action, fields: Vec::new(), skipped: Vec::new(), detail: None }
    }

    pub(super) fn with_detail(mut self, action: PushAction, detail: impl Into<String>) -> Self {
        self.action = action;
        self.detail = Some(detail.into());
        self
    }
}

/// What happened to one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PushAction {
    /// Fields of the identity directory's record were written.
    Updated,
    /// The person was created in the identity directory.
    Created,
    /// Nothing differs (or nothing that differs can be written).
    Unchanged,
    /// No record in the identity directory holds this person, and auto-provisioning is off.
    NotInIdp,
    /// The record linked to this person was deleted and no other holds them: not created again,
    /// whatever auto-provisioning says, as a sync does not either.
    DeletedInIdp,
    /// Auto-provisioning is on but the person cannot be created.
    CannotCreate,
    /// Several records in the identity directory match this person, or the one that matches is
    /// linked to another HR person: nothing was written.
    Ambiguous,
    /// Inactive in the HR system or disabled in the identity directory: left alone, as a sync
    /// with the default scope leaves them.
    Inactive,
    /// The HR record no longer exists.
    Gone,
    /// A read or a write failed.
    Failed,
    /// The person left (deleted or inactive in the HR system): their account was disabled (and
    /// signed out, when configured).
    Disabled,
    /// The person's record (or their twin's) could not be understood: nothing was written, as a
    /// sync writes nothing to or from it.
    Unreadable,
    /// The person, or their twin, is outside the scope of the sync (another company, not in the
    /// group) or excluded from it: nothing was written, as a sync writes nothing to them; the
    /// detail says why.
    OutOfScope,
}
