//! The real-time push as a whole: re-read the HR people an event names, find each one's twin in
//! the identity directory, and run each through the sync's engine toward the identity directory.

use super::classify::classify;
use super::event::{AutoProvisioning, HrChange, HrEvent, PersonPush, PushAction, PushSummary};
use super::locks::PersonLocks;
use super::pass::{self, Pass};
use super::twin::{self, Lookup, Twin};
use crate::store::{PartRequest, StateError, StatePart};
use crate::{
    DirectoryPair, ErrorChain, Leavers, Policy, Record, RecordId, Scope, StateStore, SyncState,
    default_max_disables,
};
use chrono::Utc;
use futures::{StreamExt, TryStreamExt};
use std::slice;
use tracing::Instrument;

/// What a push may do, beside its directories and state: the same for every event, so a
/// receiver keeps one and builds each push with it ([`RealtimePush::with_settings`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushSettings {
    /// Whether people with no twin are created ([`RealtimePush::with_provisioning`]).
    pub provisioning: AutoProvisioning,
    /// Which people may be changed ([`RealtimePush::with_scope`]).
    pub scope: Scope,
    /// What happens to the accounts of people who leave ([`RealtimePush::with_leavers`]).
    pub leavers: Leavers,
    /// The most accounts one event may disable ([`RealtimePush::with_max_disables`]).
    pub max_disables: Option<usize>,
}

/// Pushes changes made in the HR system to the identity directory as they happen: what an
/// embedding service calls for each verified webhook, on any web framework.
///
/// For each person an event names, the HR record is read again (the event carries only ids) and
/// their twin found: the record the state links them to, unless that was deleted, else the one
/// record with the same employment id or email (unless the state links it to another HR person).
/// Then the sync's own engine runs over that one person, with the HR system's values winning
/// and only the identity directory written to: the fields that differ (never clearing one, and
/// a field changed in the identity directory only is left for the next sync to bring back), a
/// person with no twin created with [`AutoProvisioning::On`], the [`Scope`] and the [`Leavers`]
/// rules of a sync, and writes a directory refused for good before held back
/// ([`crate::store::SyncState::held`]), as a sync holds them. What changed in the state (a new link, a
/// baseline, a disabled account, a write held back) is committed through [`StateStore::commit`],
/// so it never overwrites a running sync's state, nor the reverse. Of the state, a push reads only
/// the part that concerns each person and their account ([`StateStore::load_part`]), so with a
/// store that reads that part alone it costs the same however many people are linked. Pushes
/// of one person run one after the other ([`PersonLocks`]): a webhook delivered twice at once
/// creates nobody twice.
/// Changes made in the identity directory reach the HR system on the next sync only, as in
/// Huma's own integration.
///
/// ```
/// use dirsync::{
///     directory::{InMemoryDirectory, Record},
///     model::Person,
///     realtime::{AutoProvisioning, HrChange, HrEvent, PushAction, RealtimePush},
///     store::{MemoryStore, StateStore},
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
    directories: DirectoryPair<'a>,
    store: Option<&'a dyn StateStore>,
    settings: PushSettings,
    read_concurrency: usize,
    locks: PersonLocks,
}

impl std::fmt::Debug for RealtimePush<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimePush")
            .field("directories", &self.directories)
            .field("store", &self.store.is_some())
            .field("settings", &self.settings)
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
            settings: PushSettings::default(),
            read_concurrency: 8,
            locks: PersonLocks::new(),
        }
    }

    /// With the sync's state: its links find each person's twin, and what changes is committed
    /// there.
    #[must_use]
    pub fn with_store(mut self, store: &'a dyn StateStore) -> Self {
        self.store = Some(store);
        self
    }

    /// With all of `settings` at once (as a receiver keeps them for every push it builds).
    #[must_use]
    pub fn with_settings(mut self, settings: PushSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Whether people with no twin are created.
    #[must_use]
    pub fn with_provisioning(mut self, provisioning: AutoProvisioning) -> Self {
        self.settings.provisioning = provisioning;
        self
    }

    /// Which people may be changed (as a sync's [`crate::policy::Policy::scope`]).
    #[must_use]
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.settings.scope = scope;
        self
    }

    /// What happens to the accounts of people who leave (as a sync's [`crate::policy::Policy::leavers`]):
    /// with [`Leavers::disable`], a person deleted in the HR system or made inactive there has
    /// their account disabled at once, and one the sync or a push disabled is enabled again when
    /// they are active again; both remembered in the state, as a sync remembers them.
    #[must_use]
    pub fn with_leavers(mut self, leavers: Leavers) -> Self {
        self.settings.leavers = leavers;
        self
    }

    /// The most accounts one event may disable (`None`: [`crate::apply::default_max_disables`] of the
    /// linked people); an event over it disables nobody, and says so.
    #[must_use]
    pub fn with_max_disables(mut self, max: Option<usize>) -> Self {
        self.settings.max_disables = max;
        self
    }

    /// Shares `locks` with other pushes of the same state (a receiver that builds a push per
    /// request shares one), so that pushes of one person run one after the other across them.
    #[must_use]
    pub fn with_person_locks(mut self, locks: &PersonLocks) -> Self {
        self.locks = locks.clone();
        self
    }

    /// Pushes the people `event` names when it asks for a push ([`HrEvent::needs_push`]), or
    /// disables the accounts of people it says were deleted when [`Leavers::disable`] is on;
    /// `None` for an event that needs neither (accounts are never deleted from an event).
    pub async fn push_event(&self, event: &HrEvent) -> Option<PushSummary> {
        let deleted = event.change == HrChange::Deleted && self.settings.leavers.disable;
        if !deleted && !event.needs_push() {
            tracing::info!(change = ?event.change, people = event.records.len(), "no push needed");
            return None;
        }
        Some(self.push(&event.records).await)
    }

    /// Pushes the HR records `hr_ids`, which were created, changed or deleted.
    pub async fn push(&self, hr_ids: &[RecordId]) -> PushSummary {
        let span = tracing::info_span!("realtime_push", people = hr_ids.len());
        self.push_inner(hr_ids).instrument(span).await
    }

    async fn push_inner(&self, hr_ids: &[RecordId]) -> PushSummary {
        let records = match self.read(hr_ids).await {
            Ok(records) => records,
            Err(detail) => {
                let failed = |id: &RecordId| {
                    PersonPush::new(id.clone()).with_detail(PushAction::Failed, detail.clone())
                };
                return PushSummary { people: hr_ids.iter().map(failed).collect() };
            }
        };
        let refused = self.over_disable_limit(&records, hr_ids).await;
        let mut people = Vec::with_capacity(hr_ids.len());
        for (id, record) in hr_ids.iter().zip(records) {
            let pushed = self.push_person(id, record, refused.as_deref()).await;
            tracing::info!(hr = %pushed.hr, idp = ?pushed.idp, action = ?pushed.action,
                fields = ?pushed.fields, "pushed");
            people.push(pushed);
        }
        PushSummary { people }
    }

    /// The HR records `hr_ids`, read again (`None` for one that no longer exists).
    async fn read(&self, hr_ids: &[RecordId]) -> Result<Vec<Option<Record>>, String> {
        let hr = self.directories.hr;
        // The reads are built first: a stream holding a borrowing closure across an await would
        // keep this future from being `Send`, so a web server's handler could not await it.
        let reads: Vec<_> = hr_ids.iter().map(|id| hr.get(id)).collect();
        let read = futures::stream::iter(reads).buffered(self.read_concurrency.max(1));
        read.try_collect().await.map_err(|e| {
            tracing::warn!(error = %ErrorChain(&e), "could not read an event's people");
            format!("could not read the person in {}: {}", hr.name(), ErrorChain(&e))
        })
    }

    /// Why the event disables nobody, when the leavers it names are more than one event may
    /// disable ([`RealtimePush::with_max_disables`], by default [`default_max_disables`] of the
    /// linked people): the threshold holds for an event as a whole, before any write.
    async fn over_disable_limit(
        &self,
        records: &[Option<Record>],
        ids: &[RecordId],
    ) -> Option<String> {
        if !self.settings.leavers.disable {
            return None;
        }
        let part = self.part(PartRequest::new(ids, &[]).with_links_total()).await;
        let linked = |id: &RecordId| part.state.links.contains_key(id);
        let leaving = ids
            .iter()
            .zip(records)
            .filter(|(id, record)| self.leaving(record.as_ref(), linked(id)))
            .count();
        let max = self
            .settings
            .max_disables
            .unwrap_or_else(|| default_max_disables(part.links_total.unwrap_or_default()));
        if leaving <= max {
            return None;
        }
        tracing::warn!(leaving, max, "event refused by the threshold on disabled accounts");
        Some(format!(
            "the event would disable {leaving} accounts, more than the {max} one event may \
             disable; nobody was disabled: run a sync to see the list, then raise the limit if it \
             is meant"
        ))
    }

    /// One person's push, after any other push of them.
    async fn push_person(
        &self,
        id: &RecordId,
        hr: Option<Record>,
        refused: Option<&str>,
    ) -> PersonPush {
        let _turn = self.locks.lock(id).await;
        let names = self.directories.names();
        let out = PersonPush::new(id.clone());
        if let Some(why) = hr.as_ref().and_then(|hr| hr.unreadable.as_ref()) {
            let detail = format!(
                "the person's record in {} cannot be understood ({why}); nothing was written: \
                 correct it there",
                names.hr
            );
            return out.with_detail(PushAction::Unreadable, detail);
        }
        let (twin, part) = self.find_twin(id, hr.as_ref()).await;
        let state = part.state;
        let twin = match twin {
            Twin::Found(twin) => Some(twin),
            Twin::None => None,
            Twin::Ambiguous(detail) => return out.with_detail(PushAction::Ambiguous, detail),
            Twin::Failed(detail) => return out.with_detail(PushAction::Failed, detail),
        };
        if hr.is_none() && twin.is_none() {
            let detail = format!("the person no longer exists in {}", names.hr);
            return out.with_detail(PushAction::Gone, detail);
        }
        if let Some(why) = twin.as_ref().and_then(|t| t.unreadable.as_ref()) {
            let detail = format!(
                "the {} user cannot be understood ({why}); nothing was written: correct it there",
                names.idp
            );
            let mut out = out.with_detail(PushAction::Unreadable, detail);
            out.idp = twin.map(|t| t.id);
            return out;
        }
        let leaving = self.leaving(hr.as_ref(), state.links.contains_key(id));
        if let (Some(why), true) = (refused, leaving) {
            return out.with_detail(PushAction::Failed, why);
        }
        self.through_the_engine(out, id, hr.as_ref(), twin, &state).await
    }

    /// Runs the engine for the person, and again once when it enabled their account: the account
    /// is active now, so their values are pushed at once rather than on the next event.
    async fn through_the_engine(
        &self,
        out: PersonPush,
        id: &RecordId,
        hr: Option<&Record>,
        twin: Option<Record>,
        state: &SyncState,
    ) -> PersonPush {
        let names = self.directories.names();
        let pass = self.pass(id, hr, twin.as_ref(), state).await;
        if !enabled(&pass) {
            return classify(out, &pass, hr, twin.as_ref(), &names);
        }
        let Some(record) = hr else { return classify(out, &pass, hr, twin.as_ref(), &names) };
        let (Twin::Found(twin), part) = self.find_twin(id, Some(record)).await else {
            return classify(out, &pass, hr, twin.as_ref(), &names);
        };
        let again = self.pass(id, hr, Some(&twin), &part.state).await;
        let pushed = classify(out, &again, hr, Some(&twin), &names);
        match pushed.action {
            PushAction::Unchanged => pushed.with_detail(PushAction::Updated, "enabled again"),
            _ => pushed,
        }
    }

    async fn pass(
        &self,
        id: &RecordId,
        hr: Option<&Record>,
        twin: Option<&Record>,
        state: &SyncState,
    ) -> Pass {
        let create = self.settings.provisioning == AutoProvisioning::On;
        let policy: Policy = pass::push_policy(create, self.settings.scope, self.settings.leavers);
        let person = (id, hr, twin);
        pass::run(self.directories, self.store, &policy, person, state, Utc::now()).await
    }

    /// Whether a push of the HR person `record` (`None`: gone), `linked` or not, may disable
    /// their account: gone, inactive in the scope, or out of it when such people are disabled.
    fn leaving(&self, record: Option<&Record>, linked: bool) -> bool {
        let leaves = match record {
            None => true,
            Some(r) if !r.scope.is_in() => self.settings.scope.disable_out_of_scope,
            Some(r) => !r.active,
        };
        linked && leaves
    }

    /// The twin of the HR person `id` (`hr`, or none when they are gone), and the part of the
    /// state that concerns both: their link is read first to find the twin, then the part of
    /// the person and the twin together, which holds all a pass of the engine looks at
    /// (`pass::run`) and the link that would make a matched account another person's.
    async fn find_twin(&self, id: &RecordId, hr: Option<&Record>) -> (Twin, StatePart) {
        let names = self.directories.names();
        let whole = self.whole_unless_parts().await;
        let whole = whole.as_ref();
        let part = self.part_of(whole, PartRequest::new(slice::from_ref(id), &[])).await;
        let lookup = match hr {
            Some(hr) => twin::find(self.directories.idp, id, &hr.person, &part.state, &names).await,
            None => self.linked_twin(id, &part.state).await,
        };
        let part = match lookup.record() {
            Some(found) => {
                let both = PartRequest::new(slice::from_ref(id), slice::from_ref(&found.id));
                self.part_of(whole, both).await
            }
            None => part,
        };
        (lookup.settle(id, &part.state, &names), part)
    }

    /// The whole state, loaded once for a person, when the store has no cheaper way to read a
    /// part ([`StateStore::reads_parts`]); `None` when it has, or there is no store.
    async fn whole_unless_parts(&self) -> Option<SyncState> {
        let store = self.store.filter(|store| !store.reads_parts())?;
        Some(or_empty(store.load().await))
    }

    /// The part `request` asks for: taken from `whole` when the state was loaded whole, else
    /// read from the store.
    async fn part_of(&self, whole: Option<&SyncState>, request: PartRequest<'_>) -> StatePart {
        match whole {
            Some(state) => StatePart::of(state, &request),
            None => self.part(request).await,
        }
    }

    /// The record the state links `id` to, for a person no longer in the HR system.
    async fn linked_twin(&self, id: &RecordId, state: &SyncState) -> Lookup {
        let Some(link) = state.links.get(id) else { return Lookup::Settled(Twin::None) };
        match self.directories.idp.get(&link.idp).await {
            Ok(Some(twin)) => Lookup::Linked(twin),
            Ok(None) => Lookup::Settled(Twin::None),
            Err(e) => Lookup::Settled(Twin::Failed(format!(
                "could not read the account {} in {}: {}",
                link.idp,
                self.directories.idp.name(),
                ErrorChain(&e)
            ))),
        }
    }

    /// The part of the stored state that `request` asks for ([`StateStore::load_part`]), not
    /// the whole state, so a push costs the same however many people are linked; an empty part
    /// (every person looked up, no link counted) when it cannot be read.
    async fn part(&self, request: PartRequest<'_>) -> StatePart {
        let Some(store) = self.store else { return StatePart::default() };
        or_empty(store.load_part(&request).await)
    }
}

/// What was read of the state, or nothing (every person looked up, no link counted) when it
/// cannot be read: a push goes on without it.
fn or_empty<T: Default>(read: Result<T, StateError>) -> T {
    read.unwrap_or_else(|e| {
        tracing::warn!(error = %ErrorChain(&e), "the state cannot be read; looking people up instead");
        T::default()
    })
}

/// Whether the pass enabled an account again.
fn enabled(pass: &Pass) -> bool {
    let Ok(report) = &pass.applied else { return false };
    report
        .operations
        .iter()
        .any(|op| op.action == crate::Action::Enable && op.outcome == crate::Outcome::Done)
}
