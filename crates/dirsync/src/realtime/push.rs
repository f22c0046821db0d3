//! The real-time push as a whole: re-read the HR people an event names, find each one's twin in
//! the identity directory, write what differs, create with auto-provisioning, remember new links.

use super::{AutoProvisioning, RealtimeOp, realtime_push};
use crate::{
    AccountAction, AccountReason, BlockReason, DirectoryError, DirectoryPair, ErrorChain, Field,
    Leavers, Person, Record, RecordId, Scope, StateChanges, StateStore, SyncState,
};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tracing::Instrument;

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
}

/// Pushes changes made in the HR system to the identity directory as they happen: what an
/// embedding service calls for each verified webhook, on any web framework.
///
/// For each person an event names: the HR record is read again (the event carries only ids);
/// its twin is the record the state links it to, unless that was deleted, else the one record
/// with the same employment id or email (unless the state links it to another HR person); only
/// the supported fields that differ are written (never clearing one); a person with no twin is created only with [`AutoProvisioning::On`],
/// and the new link is committed through [`StateStore::commit`], so it never overwrites a running
/// sync's state, nor the reverse. People out of the [`Scope`] (inactive, disabled) are left
/// alone, as a sync leaves them. Changes made in the identity directory reach the HR system on
/// the next sync only, as in Huma's own integration.
///
/// ```
/// use dirsync::{
///     AutoProvisioning, HrChange, HrEvent, InMemoryDirectory, MemoryStore, Person, PushAction,
///     RealtimePush, Record, StateStore,
/// };
/// # futures::executor::block_on(async {
/// let huma = InMemoryDirectory::new([
///     Record::new("h1", Person::new().with_email("ada@example.com").with_given_name("Ada")
///         .with_family_name("Lund")),
/// ]).with_name("Huma");
/// let azure = InMemoryDirectory::new([]).with_name("Azure AD");
/// let store = MemoryStore::new();
/// let push = RealtimePush::new(&huma, &azure)
///     .with_store(&store)
///     .with_provisioning(AutoProvisioning::On);
///
/// let event = HrEvent { change: HrChange::Created, records: vec!["h1".into()] };
/// let summary = push.push_event(&event).await.expect("a creation needs a push");
/// assert_eq!(summary.people[0].action, PushAction::Created);
/// assert_eq!(azure.records().len(), 1);
/// assert_eq!(store.load().await?.links.len(), 1); // the next sync pairs them by this link
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct RealtimePush<'a> {
    pub(super) directories: DirectoryPair<'a>,
    pub(super) store: Option<&'a dyn StateStore>,
    provisioning: AutoProvisioning,
    scope: Scope,
    pub(super) leavers: Leavers,
    pub(super) max_disables: Option<usize>,
    read_concurrency: usize,
}

impl std::fmt::Debug for RealtimePush<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimePush")
            .field("directories", &self.directories)
            .field("store", &self.store.is_some())
            .field("provisioning", &self.provisioning)
            .field("scope", &self.scope)
            .field("leavers", &self.leavers)
            .finish()
    }
}

impl<'a> RealtimePush<'a> {
    /// Pushes from `hr` (Huma) to `idp` (Azure AD); without a store, every person is looked up
    /// by employment id or email; auto-provisioning off; inactive people left alone.
    pub fn new(hr: &'a dyn crate::Directory, idp: &'a dyn crate::Directory) -> Self {
        RealtimePush {
            directories: DirectoryPair::new(hr, idp),
            store: None,
            provisioning: AutoProvisioning::Off,
            scope: Scope::default(),
            leavers: Leavers::default(),
            max_disables: None,
            read_concurrency: 8,
        }
    }

    /// With the sync's state: its links find each person's twin, and new links are saved there.
    #[must_use]
    pub fn with_store(mut self, store: &'a dyn StateStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Whether people with no twin are created.
    #[must_use]
    pub fn with_provisioning(mut self, provisioning: AutoProvisioning) -> Self {
        self.provisioning = provisioning;
        self
    }

    /// Which people may be changed (as a sync's [`crate::Policy::scope`]).
    #[must_use]
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// What happens to the accounts of people who leave (as a sync's [`crate::Policy::leavers`]):
    /// with [`Leavers::disable`], a person deleted in the HR system or made inactive there has
    /// their account disabled at once, and one the sync or this push disabled is enabled again
    /// when they are active again; both remembered in the state, as a sync remembers them.
    #[must_use]
    pub fn with_leavers(mut self, leavers: Leavers) -> Self {
        self.leavers = leavers;
        self
    }

    /// The most accounts one event may disable (`None`: [`crate::default_max_disables`] of the
    /// linked people); an event over it disables nobody, and says so.
    #[must_use]
    pub fn with_max_disables(mut self, max: Option<usize>) -> Self {
        self.max_disables = max;
        self
    }

    /// Pushes the people `event` names when it asks for a push ([`HrEvent::needs_push`]), or
    /// disables the accounts of people it says were deleted when [`Leavers::disable`] is on;
    /// `None` for an event that needs neither (accounts are never deleted from an event).
    pub async fn push_event(&self, event: &HrEvent) -> Option<PushSummary> {
        if event.change == HrChange::Deleted && self.leavers.disable {
            return Some(self.disable_deleted(&event.records).await);
        }
        if !event.needs_push() {
            tracing::info!(change = ?event.change, people = event.records.len(), "no push needed");
            return None;
        }
        Some(self.push(&event.records).await)
    }

    /// Pushes the HR records `hr_ids`, which were created or changed.
    pub async fn push(&self, hr_ids: &[RecordId]) -> PushSummary {
        let span = tracing::info_span!("realtime_push", people = hr_ids.len());
        self.push_inner(hr_ids).instrument(span).await
    }

    async fn push_inner(&self, hr_ids: &[RecordId]) -> PushSummary {
        let hr = self.directories.hr;
        // The reads are built first: a stream holding a borrowing closure across an await would
        // keep this future from being `Send`, so a web server's handler could not await it.
        let reads: Vec<_> = hr_ids.iter().map(|id| hr.get(id)).collect();
        let records: Vec<Option<Record>> = match futures::stream::iter(reads)
            .buffered(self.read_concurrency.max(1))
            .try_collect()
            .await
        {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %ErrorChain(&e), "could not read an event's people");
                let detail =
                    format!("could not read the person in {}: {}", hr.name(), ErrorChain(&e));
                let people = hr_ids
                    .iter()
                    .map(|id| {
                        PersonPush::new(id.clone()).with_detail(PushAction::Failed, detail.clone())
                    })
                    .collect();
                return PushSummary { people };
            }
        };
        let state = self.state().await;
        let mut links = links_of(&state);
        // The threshold on disabled accounts holds for an event as a whole, before any write:
        // inactive, linked people are the most it may disable.
        let leaving = records.iter().flatten().filter(|r| !r.active && links.contains_key(&r.id));
        let refused = self.over_disable_limit(leaving.count(), &state);
        let mut people = Vec::with_capacity(hr_ids.len());
        for (id, record) in hr_ids.iter().zip(records) {
            let pushed = match record {
                Some(record) => {
                    let pushed = self.push_one(&record, &links, &state, refused.as_deref()).await;
                    // A later person of the same event sees this one's new record as taken.
                    if let (PushAction::Created, Some(idp)) = (pushed.action, &pushed.idp) {
                        links.insert(record.id.clone(), idp.clone());
                    }
                    pushed
                }
                None => PersonPush::new(id.clone()).with_detail(
                    PushAction::Gone,
                    format!("the person no longer exists in {}", hr.name()),
                ),
            };
            tracing::info!(hr = %pushed.hr, idp = ?pushed.idp, action = ?pushed.action,
                fields = ?pushed.fields, "pushed");
            people.push(pushed);
        }
        PushSummary { people }
    }

    /// The stored state; an empty one (every person looked up) when it cannot be read.
    pub(super) async fn state(&self) -> SyncState {
        let Some(store) = self.store else { return SyncState::new() };
        store.load().await.unwrap_or_else(|e| {
            tracing::warn!(error = %ErrorChain(&e), "the state cannot be read; looking people up instead");
            SyncState::new()
        })
    }

    async fn push_one(
        &self,
        hr: &Record,
        links: &BTreeMap<RecordId, RecordId>,
        state: &SyncState,
        disable_refused: Option<&str>,
    ) -> PersonPush {
        if let Some(why) = &hr.unreadable {
            let detail = format!(
                "the person's record in {} cannot be understood ({why}); nothing was written: \
                 correct it there",
                self.directories.hr.name()
            );
            return PersonPush::new(hr.id.clone()).with_detail(PushAction::Unreadable, detail);
        }
        let linked = links.get(&hr.id).cloned();
        let idp = self.directories.idp;
        let names = self.directories.names();
        let out = PersonPush::new(hr.id.clone());
        let failed = |out: PersonPush, what: String, e: &DirectoryError| {
            out.with_detail(PushAction::Failed, format!("{what}: {}", ErrorChain(e)))
        };
        // The linked record, unless it was deleted; else the one record with the same employment
        // id or email (the person created again by hand).
        let twin = match &linked {
            Some(id) => match idp.get(id).await {
                Ok(found) => found,
                Err(e) => {
                    return failed(out, format!("could not read the {} user {id}", names.idp), &e);
                }
            },
            None => None,
        };
        let twin = match twin {
            Some(twin) => Some(twin),
            None => match idp.find_matching(&hr.person).await {
                Ok(mut found) if found.len() <= 1 => {
                    let found = found.pop();
                    // A record the state links to another HR person is theirs, as in a sync:
                    // writing this person's values into it would reach the other one's HR
                    // record with the next sync.
                    let owner = found.as_ref().and_then(|twin| {
                        links.iter().find(|(other, idp)| **idp == twin.id && **other != hr.id)
                    });
                    if let Some((other, twin)) = owner {
                        return out.with_detail(
                            PushAction::Ambiguous,
                            format!(
                                "the {} user {twin} has this person's employment id or email, \
                                 but is linked to {} person {other}; nothing was written: if \
                                 they are one person, remove the duplicate in {}",
                                names.idp, names.hr, names.hr
                            ),
                        );
                    }
                    found
                }
                Ok(found) => {
                    let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
                    return out.with_detail(
                        PushAction::Ambiguous,
                        format!(
                            "{} {} users have this person's employment id or email ({}); nothing \
                             was written: remove the duplicates",
                            found.len(),
                            names.idp,
                            ids.join(", ")
                        ),
                    );
                }
                Err(e) => {
                    return failed(
                        out,
                        format!("could not look the person up in {}", names.idp),
                        &e,
                    );
                }
            },
        };
        if let (None, Some(id)) = (&twin, &linked) {
            return out.with_detail(
                PushAction::DeletedInIdp,
                format!(
                    "the {} user {id} linked to this person was deleted; not created again: a \
                     sync lists them, and creates them if you decide \"create\" for them",
                    names.idp
                ),
            );
        }
        let mut out = out;
        out.idp = twin.as_ref().map(|t| t.id.clone());
        if let Some(why) = twin.as_ref().and_then(|t| t.unreadable.as_ref()) {
            let detail = format!(
                "the {} user cannot be understood ({why}); nothing was written: correct it there",
                names.idp
            );
            return out.with_detail(PushAction::Unreadable, detail);
        }
        let mut enabled_now = false;
        if let Some(twin) = &twin {
            match self.account_change(hr, twin, state) {
                Some(AccountAction::Enable) => {
                    if let Err(failed) = self.enable(hr, twin).await {
                        return *failed;
                    }
                    enabled_now = true;
                }
                Some(_) => match disable_refused {
                    Some(why) => return out.with_detail(PushAction::Failed, why),
                    None => {
                        return self.leave(out, &hr.id, twin, AccountReason::InactiveInHr).await;
                    }
                },
                None => {}
            }
        }
        let disabled = twin.as_ref().is_some_and(|t| !t.active) && !enabled_now;
        if (!hr.active || disabled) && !self.scope.include_inactive {
            let why = if hr.active {
                format!("disabled in {}", names.idp)
            } else {
                format!("inactive in {}", names.hr)
            };
            return out.with_detail(
                PushAction::Inactive,
                format!("{why}: left alone, as a sync leaves them"),
            );
        }
        match realtime_push(&hr.person, twin.as_ref(), &idp.capabilities(), self.provisioning) {
            None if twin.is_none() => out.with_detail(
                PushAction::NotInIdp,
                format!(
                    "not in {}; auto-provisioning is off, so the next sync lists them",
                    names.idp
                ),
            ),
            None => out,
            Some(RealtimeOp::Update { id, changes, skipped }) => {
                out.skipped = skipped;
                if changes.is_empty() {
                    return out;
                }
                if let Err(e) = idp.update(&id, &changes).await {
                    return failed(out, format!("{} refused the update", names.idp), &e);
                }
                out.action = PushAction::Updated;
                out.fields = changes.iter().map(|c| c.field).collect();
                out
            }
            Some(RealtimeOp::Create { person, left_out }) => {
                out.skipped = left_out;
                match idp.create(&person).await {
                    Ok(created) => {
                        out.action = PushAction::Created;
                        out.idp = Some(created.id.clone());
                        out.fields =
                            Field::ALL.into_iter().filter(|f| person.get(*f).is_some()).collect();
                        self.remember(&hr.id, &created.id, &person, &created.person).await;
                        out
                    }
                    Err(e) => failed(out, format!("{} refused the new user", names.idp), &e),
                }
            }
            Some(RealtimeOp::CannotCreate { reason }) => {
                out.with_detail(PushAction::CannotCreate, reason.explain(&names))
            }
        }
    }

    /// Links a person created in the identity directory to their HR record in the state, so the
    /// next sync pairs them by the link and knows the values both sides started with.
    async fn remember(&self, hr: &RecordId, idp: &RecordId, sent: &Person, got: &Person) {
        let Some(store) = self.store else { return };
        let link = StateChanges::new().link(hr.clone(), idp.clone(), sent.shared_with(got));
        if let Err(e) = store.commit(&link).await {
            tracing::warn!(error = %ErrorChain(&e), "the new link could not be saved; the next sync pairs them by employment id or email");
        }
    }
}

/// The HR id → identity-directory id of each link in `state`.
fn links_of(state: &SyncState) -> BTreeMap<RecordId, RecordId> {
    state.links.iter().map(|(hr, link)| (hr.clone(), link.idp.clone())).collect()
}
