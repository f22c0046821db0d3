//! A throwaway PostgreSQL server for tests: a new cluster in a temporary folder, on a free
//! loopback port, stopped and removed when the test process ends.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Set to any value to make a missing PostgreSQL a failure rather than a skip (`.ci/run` does).
pub const REQUIRE_ENV: &str = "DIRSYNC_REQUIRE_POSTGRES";
/// A folder holding `initdb`, `pg_ctl`, `postgres` and `psql`, when they are not where Debian
/// puts them (`/usr/lib/postgresql/<version>/bin`) nor on the `PATH`.
pub const BIN_ENV: &str = "DIRSYNC_PG_BIN";

/// The superuser's password in every throwaway cluster.
pub const PASSWORD: &str = "dirsync-test-password";

/// A PostgreSQL server of its own: `initdb` in a temporary folder, `postgres` on a free loopback
/// port with password authentication (the superuser `postgres`, password [`PASSWORD`]).
///
/// As root, the server runs as the `postgres` user (`runuser`), since PostgreSQL refuses to run
/// as root. The server is stopped and its folder removed when this value is dropped, and, for a
/// server kept in a `static` for a whole test binary, by a watcher process once the test process
/// has ended.
#[derive(Debug)]
pub struct TempPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

/// TLS for a throwaway server: its certificate and key, PEM.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The certificate chain.
    pub certificate: String,
    /// The private key.
    pub key: String,
}

impl TempPostgres {
    /// A new server, or `None` (after one line on standard error saying how to run these tests)
    /// when PostgreSQL is not installed and [`REQUIRE_ENV`] is not set.
    ///
    /// # Panics
    /// When the server cannot be made or started, or is missing while required.
    pub fn start() -> Option<TempPostgres> {
        Self::start_with(None)
    }

    /// [`TempPostgres::start`], with TLS on (`ssl = on`) when `tls` is given.
    ///
    /// # Panics
    /// As [`TempPostgres::start`].
    pub fn start_with(tls: Option<&ServerTls>) -> Option<TempPostgres> {
        let Some(bin) = binaries() else {
            assert!(
                std::env::var_os(REQUIRE_ENV).is_none(),
                "PostgreSQL is required ({REQUIRE_ENV} is set) but initdb was not found: install \
                 PostgreSQL (Debian: apt-get install postgresql) or set {BIN_ENV}"
            );
            eprintln!(
                "skipped: PostgreSQL is not installed (no initdb); install it (Debian: apt-get \
                 install postgresql) or set {BIN_ENV} to its bin folder to run these tests; \
                 .ci/run always runs them"
            );
            return None;
        };
        let server = TempPostgres { bin, dir: new_folder(), port: crate::free_port() };
        server.init();
        if let Some(tls) = tls {
            server.write_tls(tls);
        }
        server.launch(tls.is_some());
        watch(std::process::id(), &server);
        Some(server)
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for `database` as the superuser, with no password in it (the password is
    /// [`PASSWORD`], for `PGPASSWORD`).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Makes a new, empty database.
    ///
    /// # Panics
    /// When it cannot be made.
    pub fn create_database(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
    }

    /// Runs `sql` in `database` with `psql` and returns what it printed (unaligned, tuples
    /// only).
    ///
    /// # Panics
    /// When `psql` fails.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let output = self.try_psql(database, sql);
        assert!(
            output.status.success(),
            "psql failed on {sql:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Runs `sql` in `database` with `psql`, whatever comes of it.
    ///
    /// # Panics
    /// When `psql` cannot be started.
    pub fn try_psql(&self, database: &str, sql: &str) -> Output {
        Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", database, "-c", sql])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("psql starts")
    }

    fn init(&self) {
        let pwfile = self.dir.join("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("the password file is written");
        as_postgres(&pwfile);
        let data = self.data();
        let out = self
            .command("initdb")
            .args(["-D", path(&data), "-U", "postgres", "--auth=scram-sha-256", "-E", "UTF8"])
            .args(["--no-sync", "--no-instructions", "--pwfile", path(&pwfile)])
            .output()
            .expect("initdb starts");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn write_tls(&self, tls: &ServerTls) {
        let data = self.data();
        for (name, text) in [("server.crt", &tls.certificate), ("server.key", &tls.key)] {
            let file = data.join(name);
            let mut out = std::fs::File::create(&file).expect("the TLS file is written");
            out.write_all(text.as_bytes()).expect("the TLS file is written");
            set_private(&file);
            as_postgres(&file);
        }
    }

    fn launch(&self, tls: bool) {
        let data = self.data();
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            data.display()
        );
        if tls {
            options.push_str(" -c ssl=on");
        }
        let log = self.dir.join("server.log");
        let out = self
            .command("pg_ctl")
            .args(["-D", path(&data), "-l", path(&log), "-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .output()
            .expect("pg_ctl starts");
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(out.status.success(), "PostgreSQL did not start: {logged}");
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command from PostgreSQL's bin folder, as the `postgres` user when this is root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn stop(&self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", path(&self.data()), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Stops the server and removes its folder once the process `pid` has ended, for a server kept
/// in a `static`, which is never dropped.
fn watch(pid: u32, server: &TempPostgres) {
    let pg_ctl = server.command("pg_ctl");
    let words: Vec<String> = std::iter::once(pg_ctl.get_program())
        .chain(pg_ctl.get_args())
        .map(|word| quote(&word.to_string_lossy()))
        .collect();
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {} -D {} -m immediate -w stop >/dev/null 2>&1; rm -rf {}",
        words.join(" "),
        quote(path(&server.data())),
        quote(path(&server.dir)),
    );
    let spawned = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("warning: no watcher for the test PostgreSQL in {}: {e}", server.dir.display());
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Where `initdb` and friends are: [`BIN_ENV`], Debian's newest version, or the `PATH`.
fn binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_ENV) {
        return Some(PathBuf::from(dir));
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|versions| {
        versions
            .flatten()
            .filter_map(|v| v.file_name().to_str()?.parse::<u32>().ok().map(|n| (n, v.path())))
            .max_by_key(|(n, _)| *n)
            .map(|(_, dir)| dir.join("bin"))
    });
    if let Some(bin) = debian.filter(|bin| bin.join("initdb").is_file()) {
        return Some(bin);
    }
    let on_path = std::env::var_os("PATH")?;
    std::env::split_paths(&on_path).find(|dir| dir.join("initdb").is_file())
}

/// A new folder for a cluster, which the server's user may write.
fn new_folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dirsync-pg-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary folder is made");
    as_postgres(&dir);
    dir
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Gives `file` to the `postgres` user, when this is root.
fn as_postgres(file: &Path) {
    if is_root() {
        let done = Command::new("chown").args(["postgres:", path(file)]).status();
        assert!(done.is_ok_and(|s| s.success()), "chown postgres {}", file.display());
    }
}

fn set_private(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
        .expect("the key file is made private");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}
