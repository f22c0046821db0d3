//! The `sync` program's command line (clap derive): its commands, over the settings of
//! [`dirsync_connect`], whose fields are the flags of `plan`, `apply` and `review`.

use chrono::{DateTime, NaiveDate, Utc};
use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use dirsync_connect::{AzureAppSettings, StateSettings, SyncSettings};
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
    Apply(SyncSettings),
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
    pub sync: SyncSettings,
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
    pub store: StateSettings,
}

/// Arguments of `sync history`.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// The state whose history to print (without --org: every organisation of the database).
    #[command(flatten)]
    pub store: StateSettings,
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
    pub azure: AzureAppSettings,
    /// The app's redirect URI: one registered on the app under Authentication (type Web).
    #[arg(long, env = "AZURE_REDIRECT_URI", value_name = "URI")]
    pub redirect_uri: String,
    /// Where to save the sign-in (a refresh token; readable by you only).
    #[arg(
        long,
        env = "AZURE_TOKEN_FILE",
        value_name = "FILE",
        default_value = dirsync_connect::DEFAULT_TOKEN_FILE
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
    pub sync: SyncSettings,
}

/// A duration as `--every` takes it: numbers with units, in humantime's grammar (`30s`, `15m`,
/// `1h`, `1h30m`, `1h 30m`, `90min`, `2d`, `1w`), at least a second, since a worker's round
/// cannot be shorter.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    use humantime::DurationError;
    let form = "use a number and a unit for each part: 30s, 15m, 1h, 1h30m, 2d";
    let duration = humantime::parse_duration(text.trim()).map_err(|e| match e {
        // These two name what is wrong; the others only where, as a byte offset.
        DurationError::UnknownUnit { ref unit, .. } if !unit.is_empty() => {
            format!("{text:?} is not a duration ({e}): {form}")
        }
        DurationError::NumberOverflow => format!("{text:?} is not a duration ({e}): {form}"),
        _ => format!("{text:?} is not a duration: {form}"),
    })?;
    if duration.is_zero() {
        return Err(format!("{text:?} is no time at all: use at least 1s"));
    }
    if duration < Duration::from_secs(1) {
        return Err(format!("{text:?} is less than a second: use at least 1s"));
    }
    Ok(duration)
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
