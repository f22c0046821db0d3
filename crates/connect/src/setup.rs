//! One organisation's sync as its settings ask, every setting checked: the policy, the
//! decisions file, where the state is, where the report files go, and the limits of one run.

use crate::directories::{Directories, NewPeople};
use crate::job::JobError;
use crate::policy::SyncSettings;
use crate::secrets::Secrets;
use crate::settings::IdpKind;
use crate::state::{StateLocation, StateLocationError};
use dirsync::{
    apply::ApplyOptions,
    directory::Directory,
    policy::{CreationRule, Policy},
    report::Report,
    store::StateStore,
    sync::Synchronizer,
};
use dirsync_report::{Decisions, DecisionsError};
use std::fmt;
use std::path::PathBuf;

/// Everything a sync needs besides the two directories.
#[derive(Debug, Clone)]
pub struct SyncSetup {
    /// How the plan is settled.
    pub policy: Policy,
    /// Decisions from a file, applied after the policy.
    pub decisions: Option<Decisions>,
    /// Where the state is.
    pub state: StateLocation,
    /// Where to write the report as JSON.
    pub report_json: Option<PathBuf>,
    /// Where to write the report as HTML.
    pub report_html: Option<PathBuf>,
    /// The report's heading.
    pub title: String,
    /// How the plan is carried out: the limits of one run (`--max-changes`, `--max-disables`),
    /// `--retry-held`, how many writes run at once. A caller adds its progress to a copy.
    pub apply: ApplyOptions,
}

/// Why the settings cannot be used for a sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// Where the state is, is wrong.
    #[error(transparent)]
    State(#[from] StateLocationError),
    /// A scope setting of the other identity directory.
    #[error("{0}")]
    Scope(String),
    /// People are to be created in Azure AD, and no domain is given for their sign-in names.
    #[error(
        "--create-in-azure needs --upn-domain DOMAIN: the verified domain new Azure AD users sign \
         in with"
    )]
    NoUpnDomain,
    /// The decisions file cannot be read or is wrong.
    #[error(transparent)]
    Decisions(DecisionsError),
}

impl SetupError {
    /// Whether the settings are wrong (rather than a file unreadable).
    pub fn is_settings(&self) -> bool {
        match self {
            SetupError::State(state) => state.is_settings(),
            SetupError::Decisions(DecisionsError::Read { .. }) => false,
            _ => true,
        }
    }
}

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportFileError {
    /// The report cannot be made into JSON.
    #[error(transparent)]
    Json(serde_json::Error),
    /// The file cannot be written.
    #[error("cannot write the report to {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A report file written: its format ("JSON", "HTML") and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenReport {
    /// "JSON" or "HTML".
    pub format: &'static str,
    /// The file.
    pub path: PathBuf,
}

impl fmt::Display for WrittenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Report ({}) written to {}", self.format, self.path.display())
    }
}

/// Why leavers will not be disabled in `idp` though `disable_leavers` asks for it: it cannot
/// disable accounts. For a sync's setup and a webhook receiver alike.
pub(crate) fn cannot_disable(disable_leavers: bool, idp: &dyn Directory) -> Option<String> {
    let cannot = disable_leavers && !idp.capabilities().can_disable;
    cannot.then(|| {
        format!("{} cannot disable accounts, so --disable-leavers disables nobody", idp.name())
    })
}

impl SyncSetup {
    /// The setup for these settings; the decisions file is read here, so a bad one stops the
    /// run before anything is read from the services.
    ///
    /// # Errors
    /// [`SetupError`]: a bad decisions file, a creation in Azure AD without a domain, a scope
    /// setting of the other identity directory, or a wrong state location.
    pub fn new(settings: &SyncSettings) -> Result<SyncSetup, SetupError> {
        let state = StateLocation::new(&settings.files.store)?;
        let connection = &settings.connection;
        connection.scope.check(connection.idp).map_err(SetupError::Scope)?;
        let policy = settings.policy.policy();
        let creates_in_azure =
            policy.create_in_idp != CreationRule::None && connection.idp == IdpKind::Azure;
        let upn_domain = settings.policy.upn_domain.as_deref();
        if creates_in_azure && upn_domain.is_none_or(|d| d.trim().is_empty()) {
            return Err(SetupError::NoUpnDomain);
        }
        let decisions = match &settings.policy.decisions {
            Some(path) => Some(Decisions::read(path).map_err(SetupError::Decisions)?),
            None => None,
        };
        Ok(SyncSetup {
            policy,
            decisions,
            state,
            report_json: settings.files.report_json.clone(),
            report_html: settings.files.report_html.clone(),
            title: format!("Huma and {}: people synchronised", connection.idp_name()),
            apply: ApplyOptions::default()
                .with_max_people_changed(settings.policy.max_changes)
                .with_max_disables(settings.policy.max_disables)
                .with_retry_held(settings.policy.retry_held),
        })
    }

    /// The setup for `settings` and the directories they connect to with `secrets`: all a sync
    /// needs but its state store. The decisions file is read; no request is made.
    ///
    /// # Errors
    /// [`JobError::Setup`] as [`SyncSetup::new`], [`JobError::Connect`] as
    /// [`connect`](crate::connect).
    pub fn connect(
        settings: &SyncSettings,
        secrets: &Secrets,
    ) -> Result<(SyncSetup, Directories), JobError> {
        let setup = SyncSetup::new(settings)?;
        let new_people = NewPeople::from(&settings.policy);
        let directories = crate::directories::connect(&settings.connection, &new_people, secrets)?;
        Ok((setup, directories))
    }

    /// Why leavers to be disabled in `idp` will not be: it cannot disable accounts.
    pub fn cannot_disable(&self, idp: &dyn Directory) -> Option<String> {
        cannot_disable(self.policy.leavers.disable, idp)
    }

    /// The apply options this setup asks for: a copy of [`SyncSetup::apply`].
    pub fn apply_options(&self) -> ApplyOptions {
        self.apply.clone()
    }

    /// A synchronizer of `hr` and `idp` over `store`, as this setup says.
    pub fn synchronizer<'a>(
        &self,
        hr: &'a dyn Directory,
        idp: &'a dyn Directory,
        store: &'a dyn StateStore,
        options: ApplyOptions,
    ) -> Synchronizer<'a> {
        Synchronizer::new(hr, idp, store)
            .with_policy(self.policy.clone())
            .with_apply_options(options)
            .with_title(self.title.clone())
    }

    /// Writes the report files this setup asks for (JSON, then HTML).
    ///
    /// # Errors
    /// [`ReportFileError`]: the first file that cannot be written.
    pub fn write_reports(&self, report: &Report) -> Result<Vec<WrittenReport>, ReportFileError> {
        let mut written = Vec::new();
        let write = |path: &PathBuf, text: String| {
            std::fs::write(path, text)
                .map_err(|source| ReportFileError::Write { path: path.clone(), source })
        };
        if let Some(path) = &self.report_json {
            let json = report.to_json_pretty().map_err(ReportFileError::Json)?;
            write(path, json + "\n")?;
            written.push(WrittenReport { format: "JSON", path: path.clone() });
        }
        if let Some(path) = &self.report_html {
            write(path, dirsync_report::html(report))?;
            written.push(WrittenReport { format: "HTML", path: path.clone() });
        }
        tracing::debug!(files = written.len(), "report files written");
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Create;

    #[test]
    fn creating_in_azure_needs_a_domain_but_creating_over_scim_does_not() {
        let mut settings = SyncSettings::default();
        settings.policy.create_in_azure = Create::All;
        let refused = SyncSetup::new(&settings).unwrap_err();
        assert!(matches!(refused, SetupError::NoUpnDomain) && refused.is_settings());
        settings.policy.upn_domain = Some("acme.example".to_owned());
        let setup = SyncSetup::new(&settings).expect("a domain is given");
        assert_eq!(setup.title, "Huma and Azure AD: people synchronised");
        settings.policy.upn_domain = None;
        settings.connection.idp = IdpKind::Scim;
        settings.connection.scim_name = "Slack".to_owned();
        let setup = SyncSetup::new(&settings).expect("SCIM's user name is the email");
        assert_eq!(setup.title, "Huma and Slack: people synchronised");
    }

    #[test]
    fn an_unreadable_decisions_file_is_not_a_settings_error_but_a_bad_one_is() {
        let dir = tempfile::tempdir().expect("a folder");
        let mut settings = SyncSettings::default();
        settings.policy.decisions = Some(dir.path().join("missing.json"));
        let missing = SyncSetup::new(&settings).unwrap_err();
        assert!(!missing.is_settings(), "{missing}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "[1, 2]").expect("written");
        settings.policy.decisions = Some(bad);
        assert!(SyncSetup::new(&settings).unwrap_err().is_settings());
    }

    #[test]
    fn the_report_files_asked_for_are_written_and_named() {
        let dir = tempfile::tempdir().expect("a folder");
        let mut setup = SyncSetup::new(&SyncSettings::default()).expect("the defaults");
        setup.report_json = Some(dir.path().join("report.json"));
        setup.report_html = Some(dir.path().join("report.html"));
        let written = setup.write_reports(&Report::default()).expect("written");
        let said: Vec<String> = written.iter().map(ToString::to_string).collect();
        assert!(said[0].starts_with("Report (JSON) written to"), "{said:?}");
        assert!(said[1].starts_with("Report (HTML) written to"), "{said:?}");
        setup.report_json = Some(dir.path().join("no-such-folder").join("report.json"));
        let refused = setup.write_reports(&Report::default()).unwrap_err();
        assert!(refused.to_string().starts_with("cannot write the report to"), "{refused}");
    }

    #[test]
    fn disabling_leavers_in_a_directory_that_cannot_disable_is_said() {
        use dirsync::directory::{Capabilities, InMemoryDirectory};
        let mut settings = SyncSettings::default();
        let setup = SyncSetup::new(&settings).expect("the defaults");
        let cannot = Capabilities { can_disable: false, ..Capabilities::default() };
        let cannot = InMemoryDirectory::with_capabilities(cannot, []).with_name("Slack");
        assert_eq!(setup.cannot_disable(&cannot), None, "leavers are not disabled");
        settings.policy.disable_leavers = true;
        let setup = SyncSetup::new(&settings).expect("disabling leavers");
        let said = setup.cannot_disable(&cannot).expect("said");
        assert_eq!(said, "Slack cannot disable accounts, so --disable-leavers disables nobody");
        let can = Capabilities { can_disable: true, ..Capabilities::default() };
        let can = InMemoryDirectory::with_capabilities(can, []);
        assert_eq!(setup.cannot_disable(&can), None);
    }

    #[test]
    fn connecting_refuses_wrong_settings_before_missing_secrets() {
        let mut settings = SyncSettings::default();
        settings.policy.create_in_azure = Create::All;
        let refused = SyncSetup::connect(&settings, &Secrets::default()).unwrap_err();
        assert!(matches!(refused, JobError::Setup(SetupError::NoUpnDomain)), "{refused}");
        settings.policy.upn_domain = Some("acme.example".to_owned());
        let refused = SyncSetup::connect(&settings, &Secrets::default()).unwrap_err();
        assert!(matches!(refused, JobError::Connect(_)), "{refused}");
    }
}
