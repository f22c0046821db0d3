//! The organisations file of `sync worker` (with the `clap` feature): TOML, one
//! `[[organisation]]` table each, whose keys are `key` and the long flags of `sync apply` without
//! their dashes, with the secrets named by the environment variables that hold them:
//!
//! ```toml
//! [[organisation]]
//! key = "acme"
//! huma-client-id = "4f0c…"
//! huma-client-secret-env = "ACME_HUMA_SECRET"
//! azure-tenant = "acme.onmicrosoft.com"
//! azure-client-id = "8d2e…"
//! azure-client-secret-env = "ACME_AZURE_SECRET"
//! prefer = "huma"
//! create-in-azure = "all"
//! upn-domain = "acme.example"
//! disable-leavers = true
//! huma-company = ["0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d"]
//! azure-exclude-group = ["5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"]
//! email-to = ["hr@acme.example", "it@acme.example"]
//! ```
//!
//! Each table becomes the arguments of `sync apply` (`key = "value"` → `--key=value`, `true` →
//! `--key`, `false` → nothing or the flag's `no-` twin, an array → its items joined by commas)
//! and is parsed by the same command line, so every flag of `sync apply` works in the file and
//! means the same. Nothing is taken from the worker's own environment (no `HUMA_CLIENT_ID`
//! for every organisation by mistake); only the variables a table names are read.

use crate::policy::SyncSettings;
use crate::secrets::Secrets;
use crate::settings::IdpKind;
use clap::{Args as _, FromArgMatches as _};
use dirsync_postgres::OrgKey;
use secrecy::SecretString;
use std::fmt;
use std::path::Path;

/// The key naming the variable that holds the Huma API key's Client secret.
pub const HUMA_SECRET_ENV: &str = "huma-client-secret-env";
/// The key naming the variable that holds the Azure app's client secret.
pub const AZURE_SECRET_ENV: &str = "azure-client-secret-env";
/// The key naming the variable that holds the SCIM provider's bearer token (`idp = "scim"`).
pub const SCIM_TOKEN_ENV: &str = "scim-token-env";

/// One organisation of the file: its key, its `sync apply` arguments and its secrets.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// The organisation's key in the database.
    pub key: OrgKey,
    /// Its arguments, as `sync apply` would take them.
    pub args: SyncSettings,
    /// Its secrets, from the variables its table names.
    pub secrets: Secrets,
}

/// What is wrong with an organisations file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgsFileError {
    /// The table: `[[organisation]] "acme"`, or by position when it has no usable key.
    pub table: Option<String>,
    /// The key of the table that is wrong.
    pub key: Option<String>,
    /// What is wrong, and what to do.
    pub message: String,
}

impl fmt::Display for OrgsFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.table, &self.key) {
            (Some(table), Some(key)) => write!(f, "{table}, {key}: {}", self.message),
            (Some(table), None) => write!(f, "{table}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for OrgsFileError {}

impl OrgsFileError {
    fn file(message: impl Into<String>) -> Self {
        OrgsFileError { table: None, key: None, message: message.into() }
    }
}

/// The organisations in `text`, their secrets read with `env`.
///
/// # Errors
/// [`OrgsFileError`] naming the table and the key: not TOML, no `[[organisation]]`, a key
/// missing, given twice or refused, an unknown key or a value of the wrong type, a flag the
/// command line refuses, `state` or `org` in a table, a secret's variable that is not set.
pub fn parse(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Organisation>, OrgsFileError> {
    let document: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| OrgsFileError::file(format!("it is not TOML: {e}")))?;
    if let Some(other) = document.keys().find(|key| *key != "organisation") {
        return Err(OrgsFileError::file(format!(
            "unknown key {other:?} outside the tables: the file holds only [[organisation]] \
             tables, one per organisation"
        )));
    }
    let tables = match document.get("organisation") {
        Some(toml::Value::Array(tables)) if !tables.is_empty() => tables,
        Some(toml::Value::Table(_)) => {
            return Err(OrgsFileError::file(
                "write [[organisation]], with two brackets: one such table per organisation",
            ));
        }
        _ => {
            return Err(OrgsFileError::file(
                "it lists no organisation: add an [[organisation]] table for each, with its key \
                 and the flags of `sync apply` without their dashes",
            ));
        }
    };
    let mut organisations: Vec<Organisation> = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let organisation = organisation(i + 1, table, env)?;
        if let Some(first) = organisations.iter().position(|o| o.key == organisation.key) {
            return Err(OrgsFileError {
                table: Some(format!("[[organisation]] number {}", i + 1)),
                key: Some("key".to_owned()),
                message: format!(
                    "{:?} is already the key of [[organisation]] number {}: each organisation \
                     needs a key of its own",
                    organisation.key.as_str(),
                    first + 1
                ),
            });
        }
        organisations.push(organisation);
    }
    Ok(organisations)
}

/// Why an organisations file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// It cannot be read.
    #[error("cannot read the organisations file")]
    Unreadable(#[source] std::io::Error),
    /// What it says is wrong.
    #[error(transparent)]
    Bad(OrgsFileError),
}

/// [`parse`] of the file at `path`, secrets from the process's environment.
///
/// # Errors
/// [`ReadError`]: the file cannot be read, or is wrong ([`OrgsFileError`]).
pub fn read(path: &Path) -> Result<Vec<Organisation>, ReadError> {
    let text = std::fs::read_to_string(path).map_err(ReadError::Unreadable)?;
    let organisations = parse(&text, &|name| std::env::var(name).ok()).map_err(ReadError::Bad)?;
    tracing::debug!(path = %path.display(), organisations = organisations.len(), "read");
    Ok(organisations)
}

/// The organisation of the `n`th table.
fn organisation(
    n: usize,
    table: &toml::Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Organisation, OrgsFileError> {
    let by_position = format!("[[organisation]] number {n}");
    let wrong = |table: &str, key: Option<&str>, message: String| OrgsFileError {
        table: Some(table.to_owned()),
        key: key.map(str::to_owned),
        message,
    };
    let Some(table) = table.as_table() else {
        return Err(wrong(&by_position, None, "is not a table".to_owned()));
    };
    let key = match table.get("key") {
        None => {
            return Err(wrong(
                &by_position,
                Some("key"),
                "missing: every organisation needs key = \"…\", its name in the database"
                    .to_owned(),
            ));
        }
        Some(toml::Value::String(key)) => {
            OrgKey::new(key).map_err(|e| wrong(&by_position, Some("key"), e.to_string()))?
        }
        Some(other) => {
            let message = format!("a {}, where a string is needed", other.type_str());
            return Err(wrong(&by_position, Some("key"), message));
        }
    };
    let name = format!("[[organisation]] {:?}", key.as_str());
    let argv = arguments(table).map_err(|(key, message)| wrong(&name, Some(&key), message))?;
    let args =
        parse_args(&argv, table).map_err(|(key, message)| wrong(&name, key.as_deref(), message))?;
    let secrets =
        secrets(table, &args, env).map_err(|(key, message)| wrong(&name, Some(key), message))?;
    Ok(Organisation { key, args, secrets })
}

/// The command line of `sync apply`'s flags, with nothing taken from the environment: a table
/// says everything about its organisation.
fn command() -> clap::Command {
    SyncSettings::augment_args(clap::Command::new("organisation"))
        .no_binary_name(true)
        .disable_help_flag(true)
        .mut_args(|arg| arg.env(None))
}

/// The flag of `command` named `name` (its long name or an alias).
fn flag<'c>(command: &'c clap::Command, name: &str) -> Option<&'c clap::Arg> {
    command.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg.get_all_aliases().is_some_and(|aliases| aliases.contains(&name))
    })
}

/// The keys of a table that are not flags.
const OWN_KEYS: [&str; 4] = ["key", HUMA_SECRET_ENV, AZURE_SECRET_ENV, SCIM_TOKEN_ENV];

/// A table as `sync apply` arguments; or the key that cannot be one, and why.
fn arguments(table: &toml::Table) -> Result<Vec<String>, (String, String)> {
    let command = command();
    let mut argv = Vec::new();
    for (name, value) in table {
        if OWN_KEYS.contains(&name.as_str()) {
            continue;
        }
        let refuse = |message: String| Err((name.clone(), message));
        if name == "state" || name == "org" {
            return refuse(
                "is not for a table: the worker's --state is every organisation's database, and \
                 the table's key is its organisation"
                    .to_owned(),
            );
        }
        let Some(arg) = flag(&command, name) else {
            return refuse(
                "unknown: the keys are `key`, the long flags of `sync apply` without their dashes \
                 (huma-url, prefer, create-in-azure, …; see `sync apply --help`), and \
                 huma-client-secret-env, azure-client-secret-env or scim-token-env"
                    .to_owned(),
            );
        };
        let switch = !arg.get_action().takes_values();
        match value {
            toml::Value::Boolean(on) if switch => argv.extend(switch_argument(&command, name, *on)),
            toml::Value::Boolean(_) => {
                return refuse("takes a value, not true or false".to_owned());
            }
            _ if switch => return refuse("is a switch: write true or false".to_owned()),
            toml::Value::String(text) => argv.push(format!("--{name}={text}")),
            toml::Value::Integer(n) => argv.push(format!("--{name}={n}")),
            toml::Value::Array(items) if arg.get_value_delimiter().is_some() => {
                let items: Option<Vec<&str>> = items.iter().map(toml::Value::as_str).collect();
                let Some(items) = items else {
                    return refuse("takes a list of strings".to_owned());
                };
                argv.push(format!("--{name}={}", items.join(",")));
            }
            toml::Value::Array(_) => return refuse("takes one value, not a list".to_owned()),
            other => {
                return refuse(format!("a {}, where a string is needed", other.type_str()));
            }
        }
    }
    Ok(argv)
}

/// A switch set to `on`: the flag, nothing, or the flag's `no-` twin (`fill-missing = false`
/// means `--no-fill-missing`, as written).
fn switch_argument(command: &clap::Command, name: &str, on: bool) -> Option<String> {
    if on {
        return Some(format!("--{name}"));
    }
    let twin = match name.strip_prefix("no-") {
        Some(positive) => positive.to_owned(),
        None => format!("no-{name}"),
    };
    flag(command, &twin).map(|_| format!("--{twin}"))
}

/// `argv` parsed as `sync apply` parses it, and the settings it needs checked; or the key that
/// is wrong (when it can be told), and why.
fn parse_args(
    argv: &[String],
    table: &toml::Table,
) -> Result<SyncSettings, (Option<String>, String)> {
    let matches = command().try_get_matches_from(argv).map_err(|e| {
        let key = refused_key(&e)
            .filter(|key| table.contains_key(key))
            .or_else(|| culprit(argv).filter(|key| table.contains_key(key)));
        (key, clap_message(&e))
    })?;
    let args = SyncSettings::from_arg_matches(&matches).map_err(|e| (None, clap_message(&e)))?;
    let missing = |key: &str, what: &str| Err((Some(key.to_owned()), format!("missing: {what}")));
    let connection = &args.connection;
    if connection.huma_client_id.is_none() {
        return missing("huma-client-id", "the organisation's Huma API key's Client ID");
    }
    match connection.idp {
        IdpKind::Azure if connection.azure.azure_tenant.is_none() => {
            missing("azure-tenant", "the organisation's Azure Directory (tenant) ID")
        }
        IdpKind::Azure if connection.azure.azure_client_id.is_none() => {
            missing("azure-client-id", "the Application (client) ID of its Azure app")
        }
        IdpKind::Scim if connection.scim_url.is_none() => {
            missing("scim-url", "the SCIM provider's base URL")
        }
        _ => Ok(args),
    }
}

/// The key a command-line error is about, when it names one.
fn refused_key(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let text = match error.get(ContextKind::InvalidArg)? {
        ContextValue::String(text) => text.clone(),
        ContextValue::Strings(texts) => texts.first()?.clone(),
        _ => return None,
    };
    let flag = text.split([' ', '=']).next()?.strip_prefix("--")?;
    Some(flag.to_owned())
}

/// The flag whose leaving out makes `argv` acceptable, for an error that names another (a flag
/// that needs one not given names the one not given).
fn culprit(argv: &[String]) -> Option<String> {
    (0..argv.len()).find_map(|i| {
        let rest = argv.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, arg)| arg);
        command().try_get_matches_from(rest).ok()?;
        let flag = argv[i].strip_prefix("--")?;
        Some(flag.split('=').next().unwrap_or(flag).to_owned())
    })
}

/// A command-line error's own words, on one line, without its pointer to `--help`.
fn clap_message(error: &clap::Error) -> String {
    let text = error.to_string();
    let words: Vec<&str> =
        text.lines().take_while(|line| !line.trim().is_empty()).map(str::trim).collect();
    words.join(" ").trim_start_matches("error: ").to_owned()
}

/// The secrets the table's organisation needs, from the variables it names; or the key that is
/// wrong, and why. A value that does not look like a variable's name is never shown: it may be
/// a secret written in the file by mistake.
fn secrets(
    table: &toml::Table,
    args: &SyncSettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secrets, (&'static str, String)> {
    let secret = |key: &'static str, what: &str| -> Result<SecretString, (&'static str, String)> {
        let name = match table.get(key) {
            None => {
                return Err((
                    key,
                    format!("missing: the name of the environment variable that holds {what}"),
                ));
            }
            Some(toml::Value::String(name)) => name,
            Some(other) => {
                return Err((
                    key,
                    format!("a {}, where a variable's name is needed", other.type_str()),
                ));
            }
        };
        if !is_variable_name(name) {
            return Err((
                key,
                "must name an environment variable (capitals, digits and _, e.g. \
                 ACME_HUMA_SECRET), never hold the secret itself: put the secret in a variable \
                 and name it here"
                    .to_owned(),
            ));
        }
        match env(name) {
            Some(value) if !value.trim().is_empty() => Ok(SecretString::from(value)),
            _ => {
                Err((key, format!("the environment variable {name} is not set: set it to {what}")))
            }
        }
    };
    let huma_client_secret = Some(secret(HUMA_SECRET_ENV, "the Huma API key's Client secret")?);
    let (azure_client_secret, scim_token) = match args.connection.idp {
        IdpKind::Azure => (Some(secret(AZURE_SECRET_ENV, "the Azure app's client secret")?), None),
        IdpKind::Scim => (None, Some(secret(SCIM_TOKEN_ENV, "the SCIM provider's bearer token")?)),
    };
    Ok(Secrets { huma_client_secret, azure_client_secret, scim_token })
}

/// Whether `name` is an environment variable's name as they are written: capitals, digits and
/// `_`, not starting with a digit.
fn is_variable_name(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_ascii_digit())
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Create, Prefer};

    const SECRETS: &str = "huma-client-secret-env = \"H\"\nazure-client-secret-env = \"A\"\n";
    const CONNECTION: &str =
        "huma-client-id = \"hid\"\nazure-tenant = \"t\"\nazure-client-id = \"aid\"\n";

    fn env(name: &str) -> Option<String> {
        match name {
            "H" => Some("huma-secret".to_owned()),
            "A" => Some("azure-secret".to_owned()),
            _ => None,
        }
    }

    /// A file of one organisation `acme` with a working connection and `extra`.
    fn one(extra: &str) -> Result<Vec<Organisation>, OrgsFileError> {
        parse(&format!("[[organisation]]\nkey = \"acme\"\n{CONNECTION}{SECRETS}{extra}"), &env)
    }

    fn table(text: &str) -> toml::Table {
        text.parse().expect("TOML")
    }

    #[test]
    fn values_become_flags_switches_appear_when_true_and_lists_are_joined() {
        let argv = arguments(&table(
            "key = \"acme\"\nprefer = \"huma\"\nmax-changes = 200\ndisable-leavers = true\n\
             retry-held = false\nemail-to = [\"hr@acme.example\", \"it@acme.example\"]\n\
             huma-client-secret-env = \"H\"",
        ));
        assert_eq!(
            argv,
            Ok(vec![
                "--disable-leavers".to_owned(),
                "--email-to=hr@acme.example,it@acme.example".to_owned(),
                "--max-changes=200".to_owned(),
                "--prefer=huma".to_owned(),
            ])
        );
    }

    #[test]
    fn false_means_the_flags_no_twin_where_there_is_one() {
        let argv = arguments(&table("fill-missing = false\nno-fill-missing = false"));
        assert_eq!(argv, Ok(vec!["--no-fill-missing".to_owned(), "--fill-missing".to_owned()]));
    }

    #[test]
    fn a_table_parses_as_sync_apply_with_its_secrets_and_nothing_from_the_environment() {
        let orgs = one("prefer = \"huma\"\ncreate-in-idp = \"all\"\nupn-domain = \"acme.example\"")
            .expect("a good file");
        let [acme] = orgs.as_slice() else { panic!("one organisation") };
        assert_eq!(acme.key.as_str(), "acme");
        assert_eq!(acme.args.policy.prefer, Some(Prefer::Huma));
        assert_eq!(acme.args.policy.create_in_azure, Create::All);
        assert_eq!(acme.args.connection.huma_client_id.as_deref(), Some("hid"));
        assert_eq!(acme.args.connection.huma_url, huma_api::DEFAULT_BASE_URL, "defaults hold");
        assert!(
            acme.secrets.huma_client_secret.is_some() && acme.secrets.azure_client_secret.is_some()
        );
        assert!(!format!("{orgs:?}").contains("huma-secret"), "secrets never show");
    }

    #[test]
    fn a_table_takes_the_scope_flags_without_their_dashes() {
        let (a, b) =
            ("0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d");
        let orgs = one(&format!(
            "huma-company = [\"{a}\"]\nazure-group = \"{b}\"\nazure-exclude-group = [\"{a}\", \"{b}\"]\n\
             disable-leavers = true\ndisable-out-of-scope = true"
        ))
        .expect("a good file");
        let [acme] = orgs.as_slice() else { panic!("one organisation") };
        let scope = &acme.args.connection.scope;
        assert_eq!(scope.huma().companies, [a]);
        assert_eq!(scope.azure().group.as_deref(), Some(b));
        assert_eq!(scope.azure().exclude_groups, [a, b]);
        assert!(acme.args.policy.policy().scope.disable_out_of_scope);
        let e = refused("huma-team = [\"sales\"]");
        assert_eq!(e.key.as_deref(), Some("huma-team"), "{e}");
    }

    /// The error for a file of one organisation with `extra`: its table and key.
    fn refused(extra: &str) -> OrgsFileError {
        one(extra).expect_err(extra)
    }

    #[test]
    fn each_bad_key_is_named_with_its_table() {
        let table = Some("[[organisation]] \"acme\"".to_owned());
        for (extra, key, words) in [
            ("prefered = \"huma\"", "prefered", "unknown"),
            ("prefer = \"hr\"", "prefer", "invalid value 'hr'"),
            ("prefer = true", "prefer", "takes a value"),
            ("disable-leavers = \"yes\"", "disable-leavers", "write true or false"),
            ("max-changes = \"many\"", "max-changes", "invalid value 'many'"),
            ("max-changes = 1.5", "max-changes", "a float"),
            ("prefer = [\"huma\"]", "prefer", "not a list"),
            ("email-to = [1, 2]", "email-to", "list of strings"),
            ("state = \"postgres://x@y/z\"", "state", "not for a table"),
            ("org = \"acme\"", "org", "not for a table"),
            ("revoke-sessions = true", "revoke-sessions", "--disable-leavers"),
        ] {
            let e = refused(extra);
            assert_eq!((&e.table, e.key.as_deref()), (&table, Some(key)), "{extra}: {e}");
            assert!(e.to_string().contains(words), "{extra}: {e}");
        }
    }

    #[test]
    fn keys_missing_twice_given_or_refused_are_named_by_position() {
        let e = parse("[[organisation]]\nprefer = \"huma\"", &env).unwrap_err();
        assert_eq!(e.table.as_deref(), Some("[[organisation]] number 1"));
        assert_eq!(e.key.as_deref(), Some("key"));
        let twice = format!(
            "[[organisation]]\nkey = \"acme\"\n{CONNECTION}{SECRETS}\
             [[organisation]]\nkey = \"acme\"\n{CONNECTION}{SECRETS}"
        );
        let e = parse(&twice, &env).unwrap_err();
        assert_eq!(
            (e.table.as_deref(), e.key.as_deref()),
            (Some("[[organisation]] number 2"), Some("key"))
        );
        assert!(e.message.contains("number 1"), "{e}");
        let e = parse("[[organisation]]\nkey = \"ac\\\"me\"", &env).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("key"));
        assert!(e.message.contains("letters, digits"), "the key's rule: {e}");
        let e = parse("[[organisation]]\nkey = 7", &env).unwrap_err();
        assert!(e.message.contains("integer"), "{e}");
    }

    #[test]
    fn connection_settings_and_secret_variables_are_required_and_secrets_never_shown() {
        let e = parse(&format!("[[organisation]]\nkey = \"acme\"\n{SECRETS}"), &env).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("huma-client-id"), "{e}");
        let file =
            format!("[[organisation]]\nkey = \"acme\"\n{CONNECTION}huma-client-secret-env = \"H\"");
        let e = parse(&file, &env).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("azure-client-secret-env"), "{e}");
        let unset = format!(
            "{CONNECTION}huma-client-secret-env = \"NOT_SET\"\nazure-client-secret-env = \"A\""
        );
        let e = parse(&format!("[[organisation]]\nkey = \"acme\"\n{unset}"), &env).unwrap_err();
        assert_eq!(e.key.as_deref(), Some(HUMA_SECRET_ENV));
        assert!(e.message.contains("NOT_SET is not set"), "{e}");
        let pasted = format!(
            "{CONNECTION}huma-client-secret-env = \"s3cr~et.value\"\nazure-client-secret-env = \"A\""
        );
        let e = parse(&format!("[[organisation]]\nkey = \"acme\"\n{pasted}"), &env).unwrap_err();
        assert!(!e.to_string().contains("s3cr~et"), "a pasted secret is never shown: {e}");
        // A SCIM organisation needs its token's variable, not Azure's.
        let scim = "[[organisation]]\nkey = \"s\"\nhuma-client-id = \"h\"\nidp = \"scim\"\n\
                    scim-url = \"https://scim.example.com\"\nhuma-client-secret-env = \"H\"\n\
                    scim-token-env = \"A\"";
        assert!(parse(scim, &env).is_ok_and(|orgs| orgs[0].secrets.scim_token.is_some()));
    }

    #[test]
    fn a_file_that_is_not_toml_or_lists_no_organisation_says_so() {
        assert!(parse("[[organisation]\nkey = ", &env).unwrap_err().message.contains("not TOML"));
        assert!(parse("", &env).unwrap_err().message.contains("lists no organisation"));
        let single = parse("[organisation]\nkey = \"acme\"", &env).unwrap_err();
        assert!(single.message.contains("two brackets"), "{single}");
        let stray = parse("every = \"1h\"\n[[organisation]]\nkey = \"acme\"", &env).unwrap_err();
        assert!(stray.message.contains("\"every\""), "{stray}");
    }
}
