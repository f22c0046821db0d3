//! The `sync` program as a process of its own (the `dirsync-sync` binary), over a throwaway
//! PostgreSQL: one server per test binary, a database per test.

use dirsync_examples::demo::{DOMAIN, DemoOrg};
use dirsync_postgres::{PostgresConfig, PostgresDatabase};
use secrecy::SecretString;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::postgres::{PASSWORD, TempPostgres};
use testkit::{FakeGraph, FakeHuma};

/// The `sync` program.
pub const SYNC: &str = env!("CARGO_BIN_EXE_dirsync-sync");

/// The server every test of this binary uses; `None` when PostgreSQL is not installed.
pub static SERVER: LazyLock<Option<TempPostgres>> = LazyLock::new(TempPostgres::start);

/// A database of one test.
pub struct Db {
    /// Its server.
    pub server: &'static TempPostgres,
    /// Its name.
    pub name: String,
    /// Its URL (no password in it).
    pub url: String,
}

impl Db {
    /// A new, empty database; `None` (the test is skipped) without PostgreSQL.
    pub fn new() -> Option<Db> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let server = SERVER.as_ref()?;
        let name = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        server.create_database(&name);
        let url = server.url(&name);
        Some(Db { server, name, url })
    }

    /// Connects as the library does, with the server's password.
    pub async fn open(&self) -> PostgresDatabase {
        let config = PostgresConfig::from_url(&self.url)
            .expect("a test URL")
            .password(&SecretString::from(PASSWORD));
        PostgresDatabase::open(config).await.expect("connects")
    }

    /// `sql` run by psql in this database.
    pub fn psql(&self, sql: &str) -> String {
        self.server.psql(&self.name, sql)
    }

    /// `--state URL --org KEY`.
    pub fn state(&self, org: &str) -> Vec<String> {
        vec!["--state".into(), self.url.clone(), "--org".into(), org.into()]
    }

    /// The organisations this database holds a state for, by key.
    pub fn organisations(&self) -> Vec<String> {
        let tables =
            self.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'dirsync_organisations'");
        if tables == "0" {
            return Vec::new();
        }
        let keys = self.psql("SELECT key FROM dirsync_organisations ORDER BY key");
        keys.lines().map(str::to_owned).filter(|k| !k.is_empty()).collect()
    }
}

/// `dirsync-sync ARGS` with only the environment given here: the fakes' secrets and
/// PGPASSWORD, so nothing of the machine's (a DIRSYNC_STATE, a HUMA_CLIENT_ID) leaks in.
pub fn sync<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> Command {
    let mut command = Command::new(SYNC);
    command
        .args(args)
        .env_clear()
        .env("PGPASSWORD", PASSWORD)
        .env("HUMA_CLIENT_SECRET", FakeHuma::CLIENT_SECRET)
        .env("AZURE_CLIENT_SECRET", FakeGraph::CLIENT_SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `sync COMMAND <the fakes of org> --state URL --org KEY EXTRA...`.
pub fn sync_org(db: &Db, org: &DemoOrg, key: &str, command: &str, extra: &[&str]) -> Command {
    let mut args = vec![command.to_owned()];
    args.extend(super::connection(org));
    args.extend(db.state(key));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    sync(args)
}

/// How a process ended: its exit code, standard output and standard error.
#[derive(Debug)]
pub struct Ran {
    /// The exit code.
    pub code: Option<i32>,
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
}

impl std::fmt::Display for Ran {
    /// The exit code and both streams, for an assertion's message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- out\n{}--- err\n{}", self.code, self.out, self.err)
    }
}

impl From<Output> for Ran {
    fn from(output: Output) -> Ran {
        Ran {
            code: output.status.code(),
            out: String::from_utf8_lossy(&output.stdout).into_owned(),
            err: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `command` to its end. Blocks: call it from a multi-threaded runtime, whose workers
/// keep the fakes answering.
pub fn run(command: &mut Command) -> Ran {
    command.output().expect("the sync program starts").into()
}

/// Waits for a started process to end.
pub fn wait(child: Child) -> Ran {
    child.wait_with_output().expect("the sync program ends").into()
}

/// The arguments that make `sync apply` settle everything in the demo company.
pub const SETTLED: [&str; 6] = [
    "--prefer",
    "huma",
    "--create-in-azure",
    "all",
    "--upn-domain",
    dirsync_examples::demo::DOMAIN,
];

/// The variables an organisations file names for the fakes' secrets.
pub const HUMA_SECRET: &str = "FAKE_HUMA_SECRET";
/// See [`HUMA_SECRET`].
pub const AZURE_SECRET: &str = "FAKE_AZURE_SECRET";

/// The keys of a table that settle everything in the demo company, as [`SETTLED`] does.
pub fn settled_keys() -> String {
    format!("prefer = \"huma\"\ncreate-in-azure = \"all\"\nupn-domain = \"{DOMAIN}\"\n")
}

/// An `[[organisation]]` table of organisation `key` on the fakes of `org`, with `extra` keys.
pub fn organisation_table(key: &str, org: &DemoOrg, extra: &str) -> String {
    format!(
        "[[organisation]]\nkey = \"{key}\"\nhuma-url = \"{}\"\nhuma-client-id = \"{}\"\n\
         huma-client-secret-env = \"{HUMA_SECRET}\"\nazure-tenant = \"{}\"\n\
         azure-client-id = \"{}\"\nazure-client-secret-env = \"{AZURE_SECRET}\"\n\
         graph-url = \"{}\"\nlogin-url = \"{}\"\n{extra}\n",
        org.huma.uri(),
        FakeHuma::CLIENT_ID,
        FakeGraph::TENANT_ID,
        FakeGraph::CLIENT_ID,
        org.graph.uri(),
        org.graph.uri(),
    )
}

/// `sync worker --state URL --orgs FILE --once EXTRA...`, with the secrets the file names.
pub fn worker(url: &str, file: &Path, extra: &[&str]) -> Command {
    let mut args = vec!["worker", "--state", url, "--orgs"];
    args.push(file.to_str().expect("a UTF-8 path"));
    args.push("--once");
    args.extend(extra);
    let mut command = sync(args);
    command.env(HUMA_SECRET, FakeHuma::CLIENT_SECRET).env(AZURE_SECRET, FakeGraph::CLIENT_SECRET);
    command
}
