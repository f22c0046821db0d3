//! How one organisation's plan is settled, and everything a sync of it takes: the connection,
//! the policy, where the state and the reports go, and the report email.

use crate::directories::NewPeople;
use crate::email::EmailSettings;
use crate::settings::ConnectionSettings;
use crate::state::StateSettings;
use dirsync::{
    model::Side,
    policy::{ConflictRule, CreationRule, Leavers, MissingRule, Policy, Scope},
};
use std::path::PathBuf;

/// Everything one sync of an organisation takes (the flags of `sync apply`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SyncSettings {
    /// Where the two services are and who we are there.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub connection: ConnectionSettings,
    /// How the plan is settled.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub policy: PolicySettings,
    /// Where the state and the reports go.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub files: FileSettings,
    /// Who the report is emailed to after `apply`, and how.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub email: EmailSettings,
}

/// Which side's value wins a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Prefer {
    /// Huma's value wins.
    Huma,
    /// Azure AD's value wins.
    Azure,
    /// The identity directory's value wins, whichever is configured (Azure AD or the SCIM
    /// provider).
    Idp,
}

impl Prefer {
    /// The core's side for this choice.
    pub fn side(self) -> Side {
        match self {
            Prefer::Huma => Side::Hr,
            Prefer::Azure | Prefer::Idp => Side::Idp,
        }
    }
}

/// Who of the people found on one side only is created on the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Create {
    /// Nobody: they are listed for you to decide.
    #[default]
    None,
    /// Everybody.
    All,
}

impl Create {
    fn rule(self) -> CreationRule {
        match self {
            Create::None => CreationRule::None,
            Create::All => CreationRule::All,
        }
    }
}

/// How the plan is settled, and what new users get.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct PolicySettings {
    /// Settle every conflict in favour of this side; without it, conflicts are asked about (in a
    /// terminal) or must be settled with --decisions.
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub prefer: Option<Prefer>,
    /// Copy a value to the side where it is missing (the default).
    #[cfg_attr(feature = "clap", arg(long, overrides_with = "no_fill_missing"))]
    pub fill_missing: bool,
    /// Leave a missing value missing.
    #[cfg_attr(feature = "clap", arg(long, overrides_with = "fill_missing"))]
    pub no_fill_missing: bool,
    /// Create in the identity directory (Azure AD, or the SCIM provider) the people found only in
    /// Huma.
    #[cfg_attr(feature = "clap", arg(long, visible_alias = "create-in-idp", value_enum, default_value_t = Create::None))]
    pub create_in_azure: Create,
    /// Create in Huma the people found only in Azure AD.
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = Create::None))]
    pub create_in_huma: Create,
    /// The verified domain new Azure AD users sign in with (alias@DOMAIN); not needed for SCIM,
    /// where the user name is the person's email.
    #[cfg_attr(feature = "clap", arg(long, value_name = "DOMAIN"))]
    pub upn_domain: Option<String>,
    /// Group UUIDs new Huma users are added to.
    #[cfg_attr(feature = "clap", arg(long, value_name = "UUID,...", value_delimiter = ',', value_parser = crate::settings::parse_group_id))]
    pub huma_groups: Vec<String>,
    /// Create a job title in Huma when a person's title does not exist there yet.
    #[cfg_attr(feature = "clap", arg(long))]
    pub create_job_titles: bool,
    /// Also change and create inactive people.
    #[cfg_attr(feature = "clap", arg(long))]
    pub include_inactive: bool,
    /// The most people one run may change or create; a bigger plan writes nothing (exit code 4).
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub max_changes: Option<usize>,
    /// Disable the identity-directory accounts of people who left Huma (inactive there, or
    /// deleted while linked); accounts are never deleted. An account the sync disabled is
    /// enabled again when the person is active again; one disabled by hand is left alone.
    #[cfg_attr(feature = "clap", arg(long))]
    pub disable_leavers: bool,
    /// Also sign disabled leavers out everywhere (revoke their sign-in sessions); only with
    /// --disable-leavers.
    #[cfg_attr(feature = "clap", arg(long, requires = "disable_leavers"))]
    pub revoke_sessions: bool,
    /// Also disable the identity-directory accounts of linked people who left the scope (moved
    /// to another company, removed from the group), and enable them again when they come back;
    /// only with --disable-leavers, counted toward --max-disables.
    #[cfg_attr(feature = "clap", arg(long, requires = "disable_leavers"))]
    pub disable_out_of_scope: bool,
    /// The most accounts one run may disable; a bigger plan writes nothing (exit code 4).
    /// Default: 10, or 5 % of the people paired, whichever is larger.
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub max_disables: Option<usize>,
    /// Try the held-back writes (refused for good before) again now, without waiting for their
    /// next try.
    #[cfg_attr(feature = "clap", arg(long))]
    pub retry_held: bool,
    /// A JSON file of decisions: {"ID": "huma" | "azure" | "skip" | "create"}, ids as `plan` prints them.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE"))]
    pub decisions: Option<PathBuf>,
}

impl PolicySettings {
    /// The core's policy for these settings.
    pub fn policy(&self) -> Policy {
        let conflicts = match self.prefer {
            None => ConflictRule::Ask,
            Some(prefer) => match prefer.side() {
                Side::Hr => ConflictRule::PreferHr,
                Side::Idp => ConflictRule::PreferIdp,
            },
        };
        let (scope, leavers) = LeaverSwitches {
            include_inactive: self.include_inactive,
            disable_leavers: self.disable_leavers,
            revoke_sessions: self.revoke_sessions,
            disable_out_of_scope: self.disable_out_of_scope,
        }
        .rules();
        Policy {
            conflicts,
            missing: if self.no_fill_missing { MissingRule::Skip } else { MissingRule::Fill },
            create_in_idp: self.create_in_azure.rule(),
            create_in_hr: self.create_in_huma.rule(),
            scope,
            leavers,
            ..Policy::default()
        }
    }
}

/// The switches of who is looked after and what becomes of leavers, as both programs take them.
pub(crate) struct LeaverSwitches {
    pub(crate) include_inactive: bool,
    pub(crate) disable_leavers: bool,
    pub(crate) revoke_sessions: bool,
    pub(crate) disable_out_of_scope: bool,
}

impl LeaverSwitches {
    /// The core's scope and leaver rules: signing leavers out and disabling people who left the
    /// scope go only with disabling leavers.
    pub(crate) fn rules(&self) -> (Scope, Leavers) {
        let scope = Scope {
            include_inactive: self.include_inactive,
            disable_out_of_scope: self.disable_leavers && self.disable_out_of_scope,
        };
        let revoke_sessions = self.disable_leavers && self.revoke_sessions;
        (scope, Leavers { disable: self.disable_leavers, revoke_sessions })
    }
}

impl From<&PolicySettings> for NewPeople {
    fn from(settings: &PolicySettings) -> Self {
        NewPeople {
            upn_domain: settings.upn_domain.clone().unwrap_or_default(),
            huma_groups: settings.huma_groups.clone(),
            create_job_titles: settings.create_job_titles,
        }
    }
}

/// Where the state and the reports are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct FileSettings {
    /// The state.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub store: StateSettings,
    /// Write the report as JSON here.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE"))]
    pub report_json: Option<PathBuf>,
    /// Write the report as a self-contained HTML page here.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE"))]
    pub report_html: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_setting_asks_about_conflicts_fills_missing_values_and_creates_nobody() {
        let policy = PolicySettings::default().policy();
        assert_eq!(policy.conflicts, ConflictRule::Ask);
        assert_eq!(policy.missing, MissingRule::Fill);
        assert_eq!(
            (policy.create_in_idp, policy.create_in_hr),
            (CreationRule::None, CreationRule::None)
        );
        assert_eq!(policy.leavers, Leavers::default());
    }

    #[test]
    fn sessions_and_out_of_scope_disables_need_disable_leavers() {
        let alone = PolicySettings {
            revoke_sessions: true,
            disable_out_of_scope: true,
            ..PolicySettings::default()
        };
        let policy = alone.policy();
        assert!(!policy.leavers.revoke_sessions && !policy.scope.disable_out_of_scope);
        let with = PolicySettings { disable_leavers: true, ..alone }.policy();
        assert!(with.leavers.revoke_sessions && with.scope.disable_out_of_scope);
    }
}
