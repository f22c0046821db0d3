//! The JSON body of the receiver's answer: a contract with whoever sends the webhooks, so its
//! names are Huma's and Azure AD's (`huma_id`, `not_in_azure`) and a field is named by its label.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What one webhook request did: the JSON body of the answer (200, or 502 when something failed).
///
/// The same facts as [`dirsync::realtime::PushSummary`], in the answer's own words: the core's summary says
/// `hr` and `idp` and names fields by their key, this one says `huma_id` and `azure_id` and names
/// fields by their label, and carries the webhook's topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSummary {
    /// The webhook's topic.
    pub topic: String,
    /// One entry per person the webhook named.
    pub users: Vec<UserPush>,
}

impl PushSummary {
    /// The answer to a webhook of `topic` whose push did `pushed`.
    pub fn new(topic: impl Into<String>, pushed: dirsync::realtime::PushSummary) -> Self {
        let users = pushed.people.into_iter().map(UserPush::from).collect();
        PushSummary { topic: topic.into(), users }
    }
}

/// What was done for one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPush {
    /// The Huma user.
    pub huma_id: String,
    /// The Azure AD user, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_id: Option<String>,
    /// What happened.
    pub action: PushAction,
    /// The fields written (for a creation: the fields the person was created with).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Fields that differ but were not written, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// More about what happened (why nothing was created, the error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<dirsync::realtime::PersonPush> for UserPush {
    fn from(p: dirsync::realtime::PersonPush) -> Self {
        UserPush {
            huma_id: p.hr.to_string(),
            azure_id: p.idp.map(|id| id.to_string()),
            action: p.action.into(),
            fields: p.fields.iter().map(|f| f.label().to_owned()).collect(),
            skipped: p.skipped.iter().map(|(f, why)| format!("{f}: {why}")).collect(),
            detail: p.detail,
        }
    }
}

/// The people of the answer as text, one after the other, as the `webhook` demo prints them;
/// the topic is left out, for whoever shows the summary knows what it sent:
///
/// ```text
/// Huma h1 → Azure AD a1: Updated
///   pushed: Phone number, Job title
/// Huma h2: NotInAzure
///   not in Azure AD; auto-provisioning is off, so the next sync lists them
/// ```
impl fmt::Display for PushSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, user) in self.users.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{user}")?;
        }
        Ok(())
    }
}

/// One person as text: the Huma user, the Azure AD user when there is one, and the action (by its
/// Rust name); under it, indented by two spaces, a line for the fields written, one for each
/// field not written, and one for the detail. No line ends the text, so that whoever prints it
/// indents it as they need.
impl fmt::Display for UserPush {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Huma {}", self.huma_id)?;
        if let Some(azure) = &self.azure_id {
            write!(f, " → Azure AD {azure}")?;
        }
        write!(f, ": {:?}", self.action)?;
        if !self.fields.is_empty() {
            write!(f, "\n  pushed: {}", self.fields.join(", "))?;
        }
        for skipped in &self.skipped {
            write!(f, "\n  not pushed: {skipped}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\n  {detail}")?;
        }
        Ok(())
    }
}

/// What happened to one person, as the answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushAction {
    /// Fields of the Azure AD user were written.
    Updated,
    /// The person was created in Azure AD.
    Created,
    /// Nothing differs (or nothing that differs can be written).
    Unchanged,
    /// No Azure AD user holds this person and auto-provisioning is off.
    NotInAzure,
    /// The Azure AD user linked to this person was deleted: not created again.
    DeletedInAzure,
    /// Auto-provisioning is on but the person cannot be created.
    CannotCreate,
    /// Several Azure AD users match this person: nothing was written.
    Ambiguous,
    /// Inactive in Huma or disabled in Azure AD: left alone, as a sync leaves them.
    Inactive,
    /// The Huma user no longer exists.
    Gone,
    /// A read or write failed.
    Failed,
    /// The person left Huma (deleted, or inactive): their Azure AD account was disabled (and
    /// signed out, when [`dirsync::policy::Leavers::revoke_sessions`] is on).
    Disabled,
    /// The person in Huma, or their Azure AD user, could not be understood: nothing was written.
    Unreadable,
    /// The person, or their Azure AD user, is outside the scope of the sync or excluded from it:
    /// nothing was written; the detail says why.
    OutOfScope,
}

impl From<dirsync::realtime::PushAction> for PushAction {
    fn from(action: dirsync::realtime::PushAction) -> Self {
        use dirsync::realtime::PushAction as Core;
        match action {
            Core::Updated => PushAction::Updated,
            Core::Created => PushAction::Created,
            Core::Unchanged => PushAction::Unchanged,
            Core::NotInIdp => PushAction::NotInAzure,
            Core::DeletedInIdp => PushAction::DeletedInAzure,
            Core::CannotCreate => PushAction::CannotCreate,
            Core::Ambiguous => PushAction::Ambiguous,
            Core::Inactive => PushAction::Inactive,
            Core::Gone => PushAction::Gone,
            Core::Disabled => PushAction::Disabled,
            Core::Unreadable => PushAction::Unreadable,
            Core::OutOfScope => PushAction::OutOfScope,
            // An action this version does not know is answered as a failure, so that the
            // sender tries again rather than taking it for done.
            _ => PushAction::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::{directory::RecordId, model::Field, realtime::PersonPush};

    #[test]
    fn the_core_actions_keep_the_answers_names() {
        use dirsync::realtime::PushAction as Core;
        let named = [
            (Core::Updated, "updated"),
            (Core::Created, "created"),
            (Core::Unchanged, "unchanged"),
            (Core::NotInIdp, "not_in_azure"),
            (Core::DeletedInIdp, "deleted_in_azure"),
            (Core::CannotCreate, "cannot_create"),
            (Core::Ambiguous, "ambiguous"),
            (Core::Inactive, "inactive"),
            (Core::Gone, "gone"),
            (Core::Failed, "failed"),
            (Core::Disabled, "disabled"),
            (Core::Unreadable, "unreadable"),
            (Core::OutOfScope, "out_of_scope"),
        ];
        for (core, name) in named {
            let json = serde_json::to_value(PushAction::from(core)).unwrap();
            assert_eq!(json, name, "{core:?}");
        }
    }

    fn user(huma_id: &str, azure_id: Option<&str>, action: PushAction) -> UserPush {
        UserPush {
            huma_id: huma_id.to_owned(),
            azure_id: azure_id.map(str::to_owned),
            action,
            fields: Vec::new(),
            skipped: Vec::new(),
            detail: None,
        }
    }

    #[test]
    fn a_person_is_shown_with_the_fields_written_and_not_written_under_them() {
        let mut updated = user("h1", Some("a1"), PushAction::Updated);
        updated.fields = vec!["Phone number".into(), "Job title".into()];
        updated.skipped = vec!["Address: too long".into(), "Job title: read-only".into()];
        updated.detail = Some("held back".into());
        assert_eq!(
            updated.to_string(),
            "Huma h1 → Azure AD a1: Updated\n  pushed: Phone number, Job title\n  not pushed: \
             Address: too long\n  not pushed: Job title: read-only\n  held back"
        );
    }

    #[test]
    fn a_person_without_an_azure_user_or_fields_is_one_line_and_its_detail() {
        assert_eq!(user("h2", None, PushAction::Unchanged).to_string(), "Huma h2: Unchanged");
        let mut not_in_azure = user("h2", None, PushAction::NotInAzure);
        not_in_azure.detail = Some("auto-provisioning is off".into());
        assert_eq!(not_in_azure.to_string(), "Huma h2: NotInAzure\n  auto-provisioning is off");
    }

    #[test]
    fn a_summary_shows_its_people_one_after_the_other_and_nothing_when_there_are_none() {
        let mut summary = PushSummary { topic: "users-update".into(), users: Vec::new() };
        assert_eq!(summary.to_string(), "");
        let mut created = user("h1", Some("a1"), PushAction::Created);
        created.fields = vec!["Given name".into()];
        summary.users = vec![created, user("h2", None, PushAction::Gone)];
        assert_eq!(
            summary.to_string(),
            "Huma h1 → Azure AD a1: Created\n  pushed: Given name\nHuma h2: Gone"
        );
    }

    #[test]
    fn a_person_is_answered_with_huma_and_azure_ids_and_field_labels() {
        let pushed = dirsync::realtime::PushSummary {
            people: vec![PersonPush {
                hr: RecordId::new("h1"),
                idp: Some(RecordId::new("a1")),
                action: dirsync::realtime::PushAction::Updated,
                fields: vec![Field::Phone, Field::JobTitle],
                skipped: Vec::new(),
                detail: None,
            }],
        };
        let answer = serde_json::to_value(PushSummary::new("users-update", pushed)).unwrap();
        let expected = serde_json::json!({
            "topic": "users-update",
            "users": [{
                "huma_id": "h1",
                "azure_id": "a1",
                "action": "updated",
                "fields": ["Phone number", "Job title"],
            }],
        });
        assert_eq!(answer, expected);
    }
}
