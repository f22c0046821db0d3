//! The `sync` program's command line (clap derive) and its mapping to the core's [`Policy`].
//!
//! Huma is the HR side and Azure AD the identity-provider side: this module is the one place where
//! the vendors' names on the command line become the core's vendor-neutral [`Side`]s.

use chrono::{DateTime, NaiveDate, Utc};
use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand, ValueEnum};
use dirsync::{
    model::Side,
    policy::{ConflictRule, CreationRule, Leavers, MissingRule, Policy},
};
use std::path::PathBuf;
use std::time::Duration;

/// `sync`: keep people in step between Huma and Azure AD.
///
/// Without a command it runs a demonstration against built-in fakes of both services.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "sync",
    version,
    about = "Keep people in step between Huma (HR) and Azure AD / Entra ID or a SCIM 2.0 provider.",
    long_about = "Keep people in step between Huma (HR) and Azure AD / Entra ID or a SCIM 2.0 \
        provider.\n\n\
        Without a command, runs a demonstration against built-in fakes of both services.\n\
        Secrets are read from the environment only: HUMA_CLIENT_SECRET and AZURE_CLIENT_SECRET \
        (or, with --idp scim, SCIM_TOKEN).\n\
        To connect to Azure AD with a user account rather than service to service, run \
        `sync login-azure` once, then pass --azure-token-file to plan and apply.",
    after_long_help = "Exit codes: 0 done (also when the only writes not made are held back, \
        refused for good before: they are listed); 1 could not run (connection, credentials, \
        configuration); 2 usage (arguments, decisions file); 3 decisions pending (listed, nothing \
        written); 4 over --max-changes or --max-disables (nothing written); 5 some writes failed \
        (the report says which). login-azure: 0 signed in and saved; 1 not. release: 0 released; \
        1 nothing held back has that id, or the state cannot be used. review: as apply, once the \
        report is shown; 130 stopped (Ctrl-C) before anything was written. history: 0 shown \
        (also when empty); 1 the state keeps no history or cannot be read. worker --once: 0 \
        every organisation synced (or not due, or synced by another worker); 5 some failed; 1 \
        none could run; 2 a bad organisations file."
)]
pub struct Args {
    /// What to do; nothing runs the demonstration.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands against real services.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Read both sides and print the plan; changes nothing.
    Plan(PlanArgs),
    /// Read both sides, settle the plan and carry it out.
    Apply(SyncArgs),
    /// Connect to Azure AD with a user account: sign in in a browser, then paste the address it
    /// was sent back to; the sign-in is saved for --azure-token-file.
    LoginAzure(LoginArgs),
    /// Let held-back writes be tried again by the next `apply`: writes refused for good before
    /// (a permission, a value the directory will not take) are held back until their value
    /// changes or their next try; this releases one now. Changes only the state.
    Release(ReleaseArgs),
    /// Review the sync in a browser, as Huma's "Synchronize users" step: serves a page on
    /// 127.0.0.1 (prints its address, with a token) to decide conflicts and missing values,
    /// choose who to create, and synchronize; ends once the report is shown, or on Ctrl-C
    /// (nothing written).
    Review(ReviewArgs),
    /// Print the history of runs kept with a state in PostgreSQL: each run, and each write it
    /// made or tried, newest first.
    History(HistoryArgs),
    /// Sync every organisation of an organisations file, each once every --every, a few at a
    /// time, sharing the work with any other worker on the same database.
    Worker(WorkerArgs),
}

/// Arguments of `sync review`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReviewArgs {
    /// The port on 127.0.0.1 to serve the page at; without it, a free one.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Open the page in the default browser (xdg-open, or open on macOS).
    #[arg(long)]
    pub open: bool,
    /// Everything `apply` takes too.
    #[command(flatten)]
    pub sync: SyncArgs,
}

/// Arguments of `sync release`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReleaseArgs {
    /// The held-back write's id, as `plan` and the report print it (held-…); or the id of the
    /// user written to (an Azure AD object id, a Huma user id), for every write held back for
    /// that user.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The state `apply` uses.
    #[command(flatten)]
    pub store: StateArgs,
}

/// The state file's default name, in the current directory.
pub const DEFAULT_STATE_FILE: &str = "dirsync-state.json";

/// Where the state is: a JSON file, or an organisation in a PostgreSQL database.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// The state: links between the two sides and the values they agreed on. A JSON file, or
    /// a PostgreSQL database, postgres://USER@HOST:PORT/DATABASE (with --org; the password from
    /// PGPASSWORD, never in the URL).
    #[arg(
        long,
        env = "DIRSYNC_STATE",
        hide_env_values = true,
        value_name = "FILE|URL",
        default_value = DEFAULT_STATE_FILE
    )]
    pub state: PathBuf,
    /// The organisation whose state it is, with --state postgres://…: 1 to 128 letters, digits,
    /// '.', '_', '-' or ':'.
    #[arg(long, env = "DIRSYNC_ORG", value_name = "KEY")]
    pub org: Option<String>,
}

/// Arguments of `sync history`.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// The state whose history to print (without --org: every organisation of the database).
    #[command(flatten)]
    pub store: StateArgs,
    /// Only the runs that wrote to this person, and only their writes: a Huma user id or an
    /// Azure AD object id.
    #[arg(long, value_name = "ID")]
    pub person: Option<String>,
    /// Only the runs that started at or after this: a date (2026-11-01, midnight UTC) or an
    /// RFC 3339 time (2026-11-01T08:00:00+01:00).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Print the runs as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sync worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// The database holding every organisation's state: postgres://USER@HOST:PORT/DATABASE
    /// (the password from PGPASSWORD).
    #[arg(long, env = "DIRSYNC_STATE", hide_env_values = true, value_name = "URL")]
    pub state: String,
    /// The organisations, in TOML: one `[[organisation]]` table each, with its `key` and the
    /// flags of `sync apply` without their dashes (prefer = "huma"); secrets by the names of
    /// the environment variables holding them (huma-client-secret-env = "ACME_HUMA_SECRET").
    #[arg(long, value_name = "FILE")]
    pub orgs: PathBuf,
    /// How often each organisation is synced: 30s, 15m, 1h, 1h30m, 2d.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub every: Duration,
    /// How many organisations this worker syncs at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub concurrency: usize,
    /// Sync each due organisation once, then exit (for cron or a systemd timer).
    #[arg(long)]
    pub once: bool,
}

/// Arguments of `sync login-azure`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoginArgs {
    /// The Azure app and Microsoft's login service.
    #[command(flatten)]
    pub azure: AzureArgs,
    /// The app's redirect URI: one registered on the app under Authentication (type Web).
    #[arg(long, env = "AZURE_REDIRECT_URI", value_name = "URI")]
    pub redirect_uri: String,
    /// Where to save the sign-in (a refresh token; readable by you only).
    #[arg(
        long,
        env = "AZURE_TOKEN_FILE",
        value_name = "FILE",
        default_value = crate::token_file::DEFAULT_TOKEN_FILE
    )]
    pub azure_token_file: PathBuf,
}

/// Arguments of `sync plan`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Print the plan as JSON (for scripts and decisions files) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Everything `apply` takes too.
    #[command(flatten)]
    pub sync: SyncArgs,
}

/// Arguments shared by `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// Where the two services are and who we are there.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// How the plan is settled.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Where the state and the reports go.
    #[command(flatten)]
    pub files: FileArgs,
    /// Who the report is emailed to after `apply`, and how.
    #[command(flatten)]
    pub email: EmailArgs,
}

/// The connection to both services. Secrets are not arguments: they come from the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Huma's Open API base URL.
    #[arg(long, env = "HUMA_BASE_URL", default_value = huma_api::DEFAULT_BASE_URL)]
    pub huma_url: String,
    /// The Huma API key's Client ID (System settings → Open API in Huma).
    #[arg(long, env = "HUMA_CLIENT_ID", value_name = "ID")]
    pub huma_client_id: Option<String>,
    /// The Azure app and Microsoft's login service.
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Microsoft Graph's base URL.
    #[arg(long, env = "GRAPH_BASE_URL", default_value = azure_graph::DEFAULT_GRAPH_URL)]
    pub graph_url: String,
    /// The identity directory kept in step with Huma: Azure AD, or a SCIM 2.0 service provider
    /// (with --scim-url, and its bearer token in SCIM_TOKEN).
    #[arg(long, value_enum, default_value_t = IdpKind::Azure)]
    pub idp: IdpKind,
    /// The SCIM provider's base URL, the one `/Users` is under (for --idp scim).
    #[arg(long, value_name = "URL")]
    pub scim_url: Option<String>,
    /// The SCIM provider's name in plans and reports, e.g. Slack (for --idp scim).
    #[arg(long, value_name = "NAME", default_value = "SCIM")]
    pub scim_name: String,
    /// Connect to Azure AD with a user account, with the sign-in `sync login-azure` saved in this
    /// file (each new refresh token is written back to it); without it, service to service.
    #[arg(long, env = "AZURE_TOKEN_FILE", value_name = "FILE")]
    pub azure_token_file: Option<PathBuf>,
    /// Huma requests in flight at once (user details and list pages). Huma documents no rate
    /// limit; if it answers 429, its Retry-After is honoured whatever this is.
    #[arg(long, env = "HUMA_CONCURRENCY", value_name = "N", default_value_t = huma_api::DEFAULT_HUMA_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub huma_concurrency: usize,
    /// Microsoft Graph requests in flight at once. Writes keep to Graph's write budget (3,000 per
    /// 150 s) whatever this is.
    #[arg(long, env = "GRAPH_CONCURRENCY", value_name = "N", default_value_t = azure_graph::DEFAULT_GRAPH_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub graph_concurrency: usize,
    /// Which people are looked after on each side.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// Which people the sync looks after on each side; none of these: everyone. Outside the scope
/// nobody is written, created on the other side or disabled; excluded users are not even paired.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ScopeArgs {
    /// Only the Huma people in these teams (or in the locations or companies given).
    #[arg(long, value_name = "UUID[,UUID]", value_delimiter = ',', value_parser = parse_uuid)]
    pub huma_team: Vec<String>,
    /// Only the Huma people in these locations (or in the teams or companies given).
    #[arg(long, value_name = "UUID[,UUID]", value_delimiter = ',', value_parser = parse_uuid)]
    pub huma_location: Vec<String>,
    /// Only the Huma people in these companies (or in the teams or locations given).
    #[arg(long, value_name = "UUID[,UUID]", value_delimiter = ',', value_parser = parse_uuid)]
    pub huma_company: Vec<String>,
    /// Only the Azure AD users in this group (its object id), directly or through nested groups;
    /// people the sync creates in Azure AD are added to it.
    #[arg(long, value_name = "ID", value_parser = parse_uuid)]
    pub azure_group: Option<String>,
    /// Azure AD users in these groups (object ids; directly or not), such as administrators and
    /// break-glass accounts, are never written, paired, created in Huma or disabled.
    #[arg(long, value_name = "ID[,ID]", value_delimiter = ',', value_parser = parse_uuid)]
    pub azure_exclude_group: Vec<String>,
    /// Only the SCIM provider's users matching this SCIM filter (with --idp scim), e.g.
    /// 'userType eq "Employee"'.
    #[arg(long, value_name = "EXPR")]
    pub scim_filter: Option<String>,
}

impl ScopeArgs {
    /// Huma's scope.
    pub fn huma(&self) -> huma_api::HumaScope {
        huma_api::HumaScope {
            teams: self.huma_team.clone(),
            locations: self.huma_location.clone(),
            companies: self.huma_company.clone(),
        }
    }

    /// Azure AD's scope.
    pub fn azure(&self) -> azure_graph::AzureScope {
        azure_graph::AzureScope {
            group: self.azure_group.clone(),
            exclude_groups: self.azure_exclude_group.clone(),
        }
    }

    /// Refuses the flags of the identity directory that is not `idp`.
    ///
    /// # Errors
    /// What to use instead, for a person.
    pub fn check(&self, idp: IdpKind) -> Result<(), String> {
        let azure = self.azure_group.is_some() || !self.azure_exclude_group.is_empty();
        match idp {
            IdpKind::Scim if azure => Err("--azure-group and --azure-exclude-group are for \
                Azure AD: with --idp scim, narrow the provider's users with --scim-filter"
                .to_owned()),
            IdpKind::Azure if self.scim_filter.is_some() => Err("--scim-filter is for --idp \
                scim: narrow Azure AD's users with --azure-group and --azure-exclude-group"
                .to_owned()),
            _ => Ok(()),
        }
    }
}

/// The Azure app registration and Microsoft's login service: what both ways of connecting need.
#[derive(Debug, Clone, clap::Args)]
pub struct AzureArgs {
    /// The Azure Directory (tenant) ID.
    #[arg(long, env = "AZURE_TENANT_ID", value_name = "TENANT")]
    pub azure_tenant: Option<String>,
    /// The Azure app registration's Application (client) ID.
    #[arg(long, env = "AZURE_CLIENT_ID", value_name = "ID")]
    pub azure_client_id: Option<String>,
    /// The Microsoft identity platform's base URL.
    #[arg(long, env = "AZURE_LOGIN_URL", default_value = azure_graph::DEFAULT_LOGIN_URL)]
    pub login_url: String,
}

/// Which identity directory Huma is kept in step with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum IdpKind {
    /// Azure AD / Entra ID, through Microsoft Graph (the default).
    #[default]
    Azure,
    /// A SCIM 2.0 service provider.
    Scim,
}

/// Which side's value wins a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
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
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyArgs {
    /// Settle every conflict in favour of this side; without it, conflicts are asked about (in a
    /// terminal) or must be settled with --decisions.
    #[arg(long, value_enum)]
    pub prefer: Option<Prefer>,
    /// Copy a value to the side where it is missing (the default).
    #[arg(long, overrides_with = "no_fill_missing")]
    pub fill_missing: bool,
    /// Leave a missing value missing.
    #[arg(long, overrides_with = "fill_missing")]
    pub no_fill_missing: bool,
    /// Create in the identity directory (Azure AD, or the SCIM provider) the people found only in
    /// Huma.
    #[arg(long, visible_alias = "create-in-idp", value_enum, default_value_t = Create::None)]
    pub create_in_azure: Create,
    /// Create in Huma the people found only in Azure AD.
    #[arg(long, value_enum, default_value_t = Create::None)]
    pub create_in_huma: Create,
    /// The verified domain new Azure AD users sign in with (alias@DOMAIN); not needed for SCIM,
    /// where the user name is the person's email.
    #[arg(long, value_name = "DOMAIN")]
    pub upn_domain: Option<String>,
    /// Group UUIDs new Huma users are added to.
    #[arg(long, value_name = "UUID,...", value_delimiter = ',', value_parser = parse_uuid)]
    pub huma_groups: Vec<String>,
    /// Create a job title in Huma when a person's title does not exist there yet.
    #[arg(long)]
    pub create_job_titles: bool,
    /// Also change and create inactive people.
    #[arg(long)]
    pub include_inactive: bool,
    /// The most people one run may change or create; a bigger plan writes nothing (exit code 4).
    #[arg(long, value_name = "N")]
    pub max_changes: Option<usize>,
    /// Disable the identity-directory accounts of people who left Huma (inactive there, or
    /// deleted while linked); accounts are never deleted. An account the sync disabled is
    /// enabled again when the person is active again; one disabled by hand is left alone.
    #[arg(long)]
    pub disable_leavers: bool,
    /// Also sign disabled leavers out everywhere (revoke their sign-in sessions); only with
    /// --disable-leavers.
    #[arg(long, requires = "disable_leavers")]
    pub revoke_sessions: bool,
    /// Also disable the identity-directory accounts of linked people who left the scope (moved
    /// to another company, removed from the group), and enable them again when they come back;
    /// only with --disable-leavers, counted toward --max-disables.
    #[arg(long, requires = "disable_leavers")]
    pub disable_out_of_scope: bool,
    /// The most accounts one run may disable; a bigger plan writes nothing (exit code 4).
    /// Default: 10, or 5 % of the people paired, whichever is larger.
    #[arg(long, value_name = "N")]
    pub max_disables: Option<usize>,
    /// Try the held-back writes (refused for good before) again now, without waiting for their
    /// next try.
    #[arg(long)]
    pub retry_held: bool,
    /// A JSON file of decisions: {"ID": "huma" | "azure" | "skip" | "create"}, ids as `plan` prints them.
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
}

impl PolicyArgs {
    /// The core's policy for these arguments.
    pub fn policy(&self) -> Policy {
        let conflicts = match self.prefer {
            None => ConflictRule::Ask,
            Some(prefer) => match prefer.side() {
                Side::Hr => ConflictRule::PreferHr,
                Side::Idp => ConflictRule::PreferIdp,
            },
        };
        Policy {
            conflicts,
            missing: if self.no_fill_missing { MissingRule::Skip } else { MissingRule::Fill },
            create_in_idp: self.create_in_azure.rule(),
            create_in_hr: self.create_in_huma.rule(),
            scope: dirsync::policy::Scope {
                include_inactive: self.include_inactive,
                disable_out_of_scope: self.disable_leavers && self.disable_out_of_scope,
            },
            leavers: Leavers {
                disable: self.disable_leavers,
                revoke_sessions: self.disable_leavers && self.revoke_sessions,
            },
            ..Policy::default()
        }
    }
}

/// Where the state and the reports are kept.
#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
    /// The state.
    #[command(flatten)]
    pub store: StateArgs,
    /// Write the report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the report as a self-contained HTML page here.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
}

/// Who the report is emailed to after `apply`, and how. SMTP settings come from the environment:
/// `SMTP_URL` (`smtp://user@host:587` for STARTTLS, `smtps://user@host:465` for implicit TLS)
/// and `SMTP_PASSWORD`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EmailArgs {
    /// Email the report to these addresses after `apply`.
    #[arg(long, value_name = "ADDR[,ADDR]", value_delimiter = ',')]
    pub email_to: Vec<String>,
    /// The address the report is sent from (with --email-via graph: a mailbox in the tenant).
    #[arg(long, value_name = "ADDR")]
    pub email_from: Option<String>,
    /// Send it over SMTP (SMTP_URL, SMTP_PASSWORD) or through Microsoft Graph (needs Mail.Send).
    #[arg(long, value_enum, default_value_t = EmailVia::Smtp)]
    pub email_via: EmailVia,
    /// Send it after every run, or only when a write failed, something is newly held back or a
    /// finding is new (what stands is sent again weekly).
    #[arg(long, value_enum, default_value_t = EmailWhen::Always)]
    pub email_on: EmailWhen,
}

/// How the report email is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum EmailVia {
    /// Over SMTP.
    #[default]
    Smtp,
    /// Through Microsoft Graph's sendMail, with the Azure app of the sync.
    Graph,
}

/// When the report email is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum EmailWhen {
    /// After every run.
    #[default]
    Always,
    /// Only when a write failed or was not attempted, the run stopped, something is newly held
    /// back or a finding is new; findings that stand come again in a weekly reminder.
    Problems,
}

impl From<EmailWhen> for dirsync::mail::EmailOn {
    fn from(when: EmailWhen) -> Self {
        match when {
            EmailWhen::Always => dirsync::mail::EmailOn::Always,
            EmailWhen::Problems => dirsync::mail::EmailOn::Problems,
        }
    }
}

/// A duration as `--every` takes it: whole numbers with a unit each, largest first: `30s`,
/// `15m`, `1h`, `1h30m`, `2d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let refuse = || {
        format!(
            "{text:?} is not a duration: use a number and a unit (s, m, h, d): 30s, 15m, 1h, 1h30m, 2d"
        )
    };
    let mut total: u64 = 0;
    let mut last_unit = u64::MAX;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(refuse());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(refuse)?;
        let number: u64 = rest[..digits].parse().map_err(|_| refuse())?;
        let unit = match rest[digits..].chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => return Err(refuse()),
        };
        if unit >= last_unit {
            return Err(refuse());
        }
        last_unit = unit;
        total = number.checked_mul(unit).and_then(|n| total.checked_add(n)).ok_or_else(refuse)?;
        rest = &rest[digits + 1..];
    }
    if total == 0 {
        return Err(format!("{text:?} is no time at all: use at least 1s"));
    }
    Ok(Duration::from_secs(total))
}

/// A time as `--since` takes it: a date (midnight UTC) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).map_err(|_| {
        format!(
            "{text:?} is neither a date (2026-11-01) nor an RFC 3339 time \
             (2026-11-01T08:00:00+01:00)"
        )
    })
}

/// A group id as Huma and Azure AD spell it: a UUID (8-4-4-4-12 hexadecimal digits).
fn parse_uuid(text: &str) -> Result<String, String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    let hex = parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
    if lengths == [8, 4, 4, 4, 12] && hex {
        Ok(text.to_lowercase())
    } else {
        Err(format!("{text:?} is not a group UUID such as 0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("sync").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_means_the_demo() {
        assert!(parse(&[]).is_ok_and(|a| a.command.is_none()));
    }

    #[test]
    fn prefer_and_creation_flags_map_to_the_core_policy() {
        let args = parse(&[
            "apply",
            "--prefer",
            "azure",
            "--no-fill-missing",
            "--create-in-azure",
            "all",
            "--max-changes",
            "7",
        ]);
        let Ok(Args { command: Some(Command::Apply(sync)), .. }) = args else {
            panic!("apply parses: {args:?}")
        };
        let policy = sync.policy.policy();
        assert_eq!(policy.conflicts, ConflictRule::PreferIdp);
        assert_eq!(policy.missing, MissingRule::Skip);
        assert_eq!(policy.create_in_idp, CreationRule::All);
        assert_eq!(policy.create_in_hr, CreationRule::None);
        assert_eq!(sync.policy.max_changes, Some(7));
    }

    #[test]
    fn fill_missing_is_on_by_default_and_the_last_flag_wins() {
        let Ok(Args { command: Some(Command::Plan(plan)), .. }) =
            parse(&["plan", "--no-fill-missing", "--fill-missing"])
        else {
            panic!("plan parses")
        };
        assert_eq!(plan.sync.policy.policy().missing, MissingRule::Fill);
    }

    #[test]
    fn login_azure_needs_a_redirect_uri_and_saves_to_the_default_file() {
        let args = parse(&["login-azure", "--redirect-uri", "https://sync.example.com/callback"]);
        let Ok(Args { command: Some(Command::LoginAzure(login)) }) = args else {
            panic!("login-azure parses: {args:?}")
        };
        assert_eq!(login.azure_token_file, PathBuf::from("dirsync-azure-token"));
        assert!(parse(&["login-azure"]).is_err(), "--redirect-uri is required");
    }

    #[test]
    fn the_token_file_is_optional_for_plan_and_apply() {
        let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
            panic!("plan parses")
        };
        assert_eq!(plan.sync.connection.azure_token_file, None);
        let Ok(Args { command: Some(Command::Apply(apply)) }) =
            parse(&["apply", "--azure-token-file", "t"])
        else {
            panic!("apply parses")
        };
        assert_eq!(apply.connection.azure_token_file, Some(PathBuf::from("t")));
    }

    #[test]
    fn concurrency_flags_default_to_the_clients_and_refuse_zero() {
        let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
            panic!("plan parses")
        };
        let connection = &plan.sync.connection;
        assert_eq!(connection.huma_concurrency, huma_api::DEFAULT_HUMA_CONCURRENCY);
        assert_eq!(connection.graph_concurrency, azure_graph::DEFAULT_GRAPH_CONCURRENCY);
        let Ok(Args { command: Some(Command::Apply(apply)) }) =
            parse(&["apply", "--huma-concurrency", "32", "--graph-concurrency", "8"])
        else {
            panic!("apply parses")
        };
        assert_eq!(
            (apply.connection.huma_concurrency, apply.connection.graph_concurrency),
            (32, 8)
        );
        assert!(parse(&["apply", "--huma-concurrency", "0"]).is_err());
        assert!(parse(&["apply", "--graph-concurrency", "100000"]).is_err());
    }

    #[test]
    fn the_side_neutral_flags_mean_the_identity_directory() {
        let args = parse(&["apply", "--prefer", "idp", "--create-in-idp", "all"]);
        let Ok(Args { command: Some(Command::Apply(sync)) }) = args else {
            panic!("apply parses: {args:?}")
        };
        let policy = sync.policy.policy();
        assert_eq!(policy.conflicts, ConflictRule::PreferIdp);
        assert_eq!(policy.create_in_idp, CreationRule::All);
        assert!(parse(&["apply", "--create-in-idp", "all", "--create-in-azure", "none"]).is_err());
    }

    #[test]
    fn the_identity_directory_is_azure_unless_scim_is_chosen() {
        let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
            panic!("plan parses")
        };
        assert_eq!(plan.sync.connection.idp, IdpKind::Azure);
        let args = parse(&[
            "plan",
            "--idp",
            "scim",
            "--scim-url",
            "https://api.example.com/scim/v2",
            "--scim-name",
            "Slack",
        ]);
        let Ok(Args { command: Some(Command::Plan(plan)) }) = args else {
            panic!("plan parses: {args:?}")
        };
        let connection = &plan.sync.connection;
        assert_eq!(connection.idp, IdpKind::Scim);
        assert_eq!(connection.scim_url.as_deref(), Some("https://api.example.com/scim/v2"));
        assert_eq!(connection.scim_name, "Slack");
        assert!(parse(&["plan", "--idp", "okta"]).is_err());
    }

    #[test]
    fn email_flags_take_several_recipients_and_default_to_smtp_always() {
        let Ok(Args { command: Some(Command::Apply(apply)) }) = parse(&[
            "apply",
            "--email-to",
            "hr@example.com,it@example.com",
            "--email-from",
            "sync@example.com",
        ]) else {
            panic!("apply parses")
        };
        assert_eq!(apply.email.email_to, ["hr@example.com", "it@example.com"]);
        assert_eq!(apply.email.email_from.as_deref(), Some("sync@example.com"));
        assert_eq!(
            (apply.email.email_via, apply.email.email_on),
            (EmailVia::Smtp, EmailWhen::Always)
        );
        let Ok(Args { command: Some(Command::Apply(apply)) }) =
            parse(&["apply", "--email-via", "graph", "--email-on", "problems"])
        else {
            panic!("apply parses")
        };
        assert_eq!(
            (apply.email.email_via, apply.email.email_on),
            (EmailVia::Graph, EmailWhen::Problems)
        );
        assert!(parse(&["apply", "--email-via", "pigeon"]).is_err());
    }

    #[test]
    fn leavers_are_left_alone_unless_asked_and_sessions_need_disable_leavers() {
        let Ok(Args { command: Some(Command::Apply(apply)) }) = parse(&["apply"]) else {
            panic!("apply parses")
        };
        assert_eq!(apply.policy.policy().leavers, Leavers::default());
        assert_eq!((apply.policy.max_disables, apply.policy.retry_held), (None, false));

        let args = parse(&[
            "apply",
            "--disable-leavers",
            "--revoke-sessions",
            "--max-disables",
            "3",
            "--retry-held",
        ]);
        let Ok(Args { command: Some(Command::Apply(apply)) }) = args else {
            panic!("apply parses: {args:?}")
        };
        let leavers = apply.policy.policy().leavers;
        assert!(leavers.disable && leavers.revoke_sessions);
        assert_eq!((apply.policy.max_disables, apply.policy.retry_held), (Some(3), true));

        let alone = parse(&["plan", "--revoke-sessions"]).expect_err("needs --disable-leavers");
        assert!(alone.to_string().contains("--disable-leavers"), "{alone}");
        assert!(parse(&["apply", "--max-disables", "some"]).is_err());
    }

    #[test]
    fn release_takes_an_id_and_the_state_file() {
        let Ok(Args { command: Some(Command::Release(release)) }) =
            parse(&["release", "held-0123456789abcdef"])
        else {
            panic!("release parses")
        };
        assert_eq!(release.id, "held-0123456789abcdef");
        assert_eq!(release.store.state, PathBuf::from(DEFAULT_STATE_FILE));
        let Ok(Args { command: Some(Command::Release(release)) }) =
            parse(&["release", "--state", "/var/lib/dirsync/state.json", "a1"])
        else {
            panic!("release parses")
        };
        assert_eq!(release.store.state, PathBuf::from("/var/lib/dirsync/state.json"));
        assert!(parse(&["release"]).is_err(), "the id is required");
    }

    #[test]
    fn durations_take_units_largest_first_and_refuse_anything_else() {
        let secs = |text| parse_duration(text).map(|d| d.as_secs());
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("15m"), Ok(900));
        assert_eq!(secs("1h"), Ok(3600));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("2d"), Ok(172_800));
        assert_eq!(secs(" 1d2h3m4s "), Ok(93_784));
        for bad in [
            "",
            "30",
            "h",
            "1x",
            "1.5h",
            "30m1h",
            "1h1h",
            "-5m",
            "0s",
            "1h 30m",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} is refused");
        }
        assert!(parse_duration("30").unwrap_err().contains("1h30m"), "the error shows the form");
    }

    #[test]
    fn since_takes_a_date_or_an_rfc_3339_time() {
        assert_eq!(
            parse_since("2026-11-01").map(|t| t.to_rfc3339()),
            Ok("2026-11-01T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            parse_since("2026-11-01T08:00:00+01:00").map(|t| t.to_rfc3339()),
            Ok("2026-11-01T07:00:00+00:00".to_owned())
        );
        for bad in ["yesterday", "2026-13-01", "01.11.2026", "2026-11-01 08:00"] {
            assert!(parse_since(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn the_worker_defaults_to_hourly_four_at_a_time_forever() {
        let args = parse(&["worker", "--state", "postgres://u@h/db", "--orgs", "orgs.toml"]);
        let Ok(Args { command: Some(Command::Worker(worker)) }) = args else {
            panic!("worker parses: {args:?}")
        };
        assert_eq!(
            (worker.every, worker.concurrency, worker.once),
            (Duration::from_secs(3600), 4, false)
        );
        let args = parse(&[
            "worker",
            "--state",
            "postgres://u@h/db",
            "--orgs",
            "o.toml",
            "--every",
            "15m",
            "--concurrency",
            "9",
            "--once",
        ]);
        let Ok(Args { command: Some(Command::Worker(worker)) }) = args else {
            panic!("worker parses: {args:?}")
        };
        assert_eq!(
            (worker.every, worker.concurrency, worker.once),
            (Duration::from_secs(900), 9, true)
        );
        assert!(
            parse(&["worker", "--state", "postgres://u@h/db", "--orgs", "o", "--every", "1"])
                .is_err()
        );
        assert!(
            parse(&["worker", "--state", "postgres://u@h/db", "--orgs", "o", "--concurrency", "0"])
                .is_err()
        );
    }

    #[test]
    fn huma_groups_must_be_uuids() {
        assert!(parse(&["apply", "--huma-groups", "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d"]).is_ok());
        assert!(parse(&["apply", "--huma-groups", "admins"]).is_err());
    }

    const A: &str = "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d";
    const B: &str = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

    #[test]
    fn no_scope_flag_is_everyone_and_the_scope_flags_reach_both_sides() {
        let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
            panic!("plan parses")
        };
        let scope = &plan.sync.connection.scope;
        assert_eq!(scope, &ScopeArgs::default());
        assert!(scope.huma().is_everyone() && scope.azure().is_everyone());
        assert_eq!(plan.sync.policy.policy().scope, dirsync::policy::Scope::default());

        let args = parse(&[
            "apply",
            "--huma-company",
            &format!("{A},{B}"),
            "--huma-team",
            A,
            "--azure-group",
            B,
            "--azure-exclude-group",
            &format!("{A},{B}"),
            "--disable-leavers",
            "--disable-out-of-scope",
        ]);
        let Ok(Args { command: Some(Command::Apply(apply)) }) = args else {
            panic!("apply parses: {args:?}")
        };
        let scope = &apply.connection.scope;
        assert_eq!(scope.huma().companies, [A, B]);
        assert_eq!(scope.huma().teams, [A]);
        assert_eq!(scope.azure().group.as_deref(), Some(B));
        assert_eq!(scope.azure().exclude_groups, [A, B]);
        assert!(apply.policy.policy().scope.disable_out_of_scope);
        assert!(scope.check(IdpKind::Azure).is_ok());
        assert!(scope.check(IdpKind::Scim).is_err(), "Azure AD's groups are not SCIM's");
    }

    #[test]
    fn scope_ids_must_be_uuids_and_out_of_scope_disables_need_disable_leavers() {
        assert!(parse(&["plan", "--huma-company", "acme"]).is_err());
        assert!(parse(&["plan", "--azure-group", "staff"]).is_err());
        let alone = parse(&["apply", "--disable-out-of-scope"]).expect_err("needs leavers");
        assert!(alone.to_string().contains("--disable-leavers"), "{alone}");
        let Ok(Args { command: Some(Command::Plan(plan)) }) =
            parse(&["plan", "--idp", "scim", "--scim-filter", "userType eq \"Employee\""])
        else {
            panic!("plan parses")
        };
        let scope = &plan.sync.connection.scope;
        assert_eq!(scope.scim_filter.as_deref(), Some("userType eq \"Employee\""));
        assert!(scope.check(IdpKind::Scim).is_ok() && scope.check(IdpKind::Azure).is_err());
    }
}
