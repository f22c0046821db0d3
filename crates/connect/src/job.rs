//! One organisation as a [`dirsync_postgres::Worker`] serves it: its directories and its sync
//! made from its settings, its state in the worker's database, and after each run its report
//! files written and its report emailed.

use crate::directories::Directories;
use crate::email::{EmailOutcome, EmailSettings, send_report};
use crate::error::ConnectError;
use crate::policy::SyncSettings;
use crate::problem::Problem;
use crate::secrets::Secrets;
use crate::setup::{ReportFileError, SetupError, SyncSetup, WrittenReport};
use crate::state::StateLocation;
use async_trait::async_trait;
use dirsync::{apply::ApplyError, directory::ErrorChain, report::Report, sync::SyncError};
use dirsync_postgres::{OrgDone, OrgJob, OrgKey, OrgRun, PostgresConfig, PostgresStore};
use dirsync_report::history::counts_text;
use std::sync::Mutex;
use std::time::Duration;

/// Why an organisation cannot be served, or a sync set up: its settings are wrong, or its
/// directories cannot be made from them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// The settings are wrong for a sync.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The connection settings are incomplete or wrong.
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// What a run of the organisation left to say beside its result.
#[derive(Debug)]
#[non_exhaustive]
pub enum JobNote {
    /// A report file was written.
    Written(WrittenReport),
    /// A report file could not be written.
    NotWritten(ReportFileError),
    /// What became of the report email (never [`EmailOutcome::NotAsked`]).
    Email(EmailOutcome),
}

impl std::fmt::Display for JobNote {
    /// The note for a log: what was written where, why not, what became of the email.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobNote::Written(written) => write!(f, "{written}"),
            JobNote::NotWritten(e) => write!(f, "error: {}", ErrorChain(e)),
            JobNote::Email(email) => write!(f, "{email}"),
        }
    }
}

/// One organisation, ready for a [`dirsync_postgres::Worker`]: an [`OrgJob`] that never asks
/// for decisions (a plan that leaves some pending is refused, and recorded so).
#[derive(Debug)]
pub struct OrganisationJob {
    key: OrgKey,
    setup: SyncSetup,
    email: EmailSettings,
    directories: Directories,
    holder: String,
    notes: Mutex<Vec<JobNote>>,
}

impl OrganisationJob {
    /// The organisation `key` with these settings and secrets, its state in `database` (its
    /// own state setting is not used), its runs held as `holder`. Every setting is checked and
    /// both directories are made; no request is made yet.
    ///
    /// # Errors
    /// [`JobError`]: the settings are wrong ([`SetupError`]), or the connection is
    /// ([`ConnectError`]).
    pub fn new(
        key: OrgKey,
        settings: &SyncSettings,
        secrets: &Secrets,
        database: &PostgresConfig,
        holder: &str,
    ) -> Result<OrganisationJob, JobError> {
        let (mut setup, directories) = SyncSetup::connect(settings, secrets)?;
        setup.state =
            StateLocation::Postgres { database: Box::new(database.clone()), org: key.clone() };
        setup.title = format!("{key}: {}", setup.title);
        Ok(OrganisationJob {
            key,
            setup,
            email: settings.email.clone(),
            directories,
            holder: holder.to_owned(),
            notes: Mutex::new(Vec::new()),
        })
    }

    /// The organisation's sync, as its settings ask.
    pub fn setup(&self) -> &SyncSetup {
        &self.setup
    }

    /// The organisation's two directories.
    pub fn directories(&self) -> &Directories {
        &self.directories
    }

    /// What the runs since the last call left to say (report files, the email), oldest first.
    pub fn take_notes(&self) -> Vec<JobNote> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// What became of the organisation's turn in a worker's round, for its log: the counts of
    /// what the run wrote, why it failed, or why it did not run.
    pub fn describe(&self, done: &OrgDone) -> String {
        match &done.result {
            Ok(OrgRun::NotDue) => {
                "synced less than --every ago (here or by another worker)".to_owned()
            }
            Ok(OrgRun::Busy(Some(holder))) => format!("being synced by {holder}"),
            Ok(OrgRun::Busy(None)) => "being synced by another".to_owned(),
            Ok(OrgRun::Ran(result)) => match result.as_ref() {
                Ok(synced) => counts_text(&synced.report.counts),
                Err(e) => self.failure(e),
            },
            Err(e) => self.failure(e),
            Ok(_) => String::new(),
        }
    }

    /// Why a run of this organisation failed, for its log or its administrator: what it wrote,
    /// when it wrote anything, then what to do. Decisions are never asked for in a worker, so
    /// pending ones are to be settled in the organisation's settings.
    pub fn failure(&self, error: &SyncError) -> String {
        let message = match error {
            SyncError::Apply(ApplyError::Pending(p)) => format!(
                "{} decision(s) pending, so nothing was written: decisions are never asked for in \
                 the worker; settle them in the organisation's table (prefer = \"huma\", \
                 decisions = \"FILE\", …); `sync plan` with the same settings lists them",
                p.pending.len()
            ),
            _ => Problem::of_sync(error, &self.setup).message().to_owned(),
        };
        match error.report() {
            Some(report) => format!("{}; {message}", counts_text(&report.counts)),
            None => message,
        }
    }

    fn note(&self, note: JobNote) {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).push(note);
    }

    /// Writes the report files and sends the email, as `sync apply` does.
    async fn report(&self, report: &Report) {
        match self.setup.write_reports(report) {
            Ok(written) => written.into_iter().for_each(|w| self.note(JobNote::Written(w))),
            Err(e) => self.note(JobNote::NotWritten(e)),
        }
        let organisation = Some(self.key.as_str());
        let email = send_report(&self.email, report, organisation, &self.directories).await;
        if email != EmailOutcome::NotAsked {
            self.note(JobNote::Email(email));
        }
    }
}

#[async_trait]
impl OrgJob for OrganisationJob {
    fn key(&self) -> &OrgKey {
        &self.key
    }

    async fn sync_if_due(
        &self,
        store: &PostgresStore,
        every: Duration,
    ) -> Result<OrgRun, SyncError> {
        let (hr, idp) = (&self.directories.huma, self.directories.idp.directory());
        let sync = self
            .setup
            .synchronizer(hr, idp, store, self.setup.apply_options())
            .with_holder(self.holder.clone());
        let run = dirsync_postgres::sync_if_due(store, &sync, every).await?;
        if let OrgRun::Ran(result) = &run {
            let report = match result.as_ref() {
                Ok(synced) => Some(&synced.report),
                Err(e) => e.report(),
            };
            if let Some(report) = report {
                tracing::debug!(org = %self.key, "writing and emailing the report");
                self.report(report).await;
            }
        }
        Ok(run)
    }
}
