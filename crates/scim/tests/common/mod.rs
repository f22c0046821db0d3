//! What the integration tests share: a real SCIM server (`scim2-server`, from PyPI) started on a
//! free loopback port, clients pointed at it, and quick retries.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use dirsync_scim::{RetryPolicy, ScimClient, ScimDirectory, ScimDirectoryConfig};
use secrecy::SecretString;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the `scim2-server` executable.
pub const SERVER_ENV: &str = "DIRSYNC_SCIM2_SERVER";
/// The bearer token the test server accepts.
pub const TOKEN: &str = "scim-test-token-5f1c";

/// What the test server announces in its `/ServiceProviderConfig`.
#[derive(Debug, Clone, Copy)]
pub struct ServerFeatures {
    pub patch: bool,
    pub etag: bool,
    pub filter: bool,
    /// `filter.maxResults`: the server's page size.
    pub max_results: u32,
}

impl Default for ServerFeatures {
    /// PATCH, ETags and filters, and pages of 5 users so that a few users take several pages.
    fn default() -> Self {
        ServerFeatures { patch: true, etag: true, filter: true, max_results: 5 }
    }
}

/// A `scim2-server` process serving SCIM from memory; stopped when dropped.
pub struct ScimServer {
    child: Child,
    /// The SCIM base URL (`http://127.0.0.1:PORT/v2`).
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ScimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `scim2-server` executable: the one `DIRSYNC_SCIM2_SERVER` names (as `.ci/run` sets it),
/// else the repository's `.ci/venv-scim`, made on first use (`python3 -m venv`, then `pip install
/// scim2-server==0.8.3`), so that `cargo test --workspace` needs nothing set up by hand.
fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os(SERVER_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    static MADE: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    match MADE.get_or_init(make_venv) {
        Ok(path) => path.clone(),
        Err(why) => panic!(
            "these tests run against a real SCIM server, scim2-server from PyPI, and {why}. Set \
             it up once from the repository's root:\n  python3 -m venv .ci/venv-scim && \
             .ci/venv-scim/bin/pip install scim2-server==0.8.3\n  export \
             {SERVER_ENV}=\"$PWD/.ci/venv-scim/bin/scim2-server\"\n(.ci/run does this itself)"
        ),
    }
}

fn make_venv() -> Result<PathBuf, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join(".ci").is_dir())
        .ok_or("the repository's .ci folder was not found")?;
    let venv = root.join(".ci/venv-scim");
    let server = venv.join("bin/scim2-server");
    if server.exists() {
        return Ok(server);
    }
    let run = |program: &std::path::Path, args: &[&str]| {
        let status = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("{} could not run ({e})", program.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} failed ({status})", program.display()))
        }
    };
    let venv_arg = venv.to_string_lossy().into_owned();
    run(std::path::Path::new("python3"), &["-m", "venv", &venv_arg])?;
    let pip = venv.join("bin/pip");
    run(&pip, &["install", "--quiet", "--disable-pip-version-check", "scim2-server==0.8.3"])?;
    if server.exists() { Ok(server) } else { Err(format!("{} is missing", server.display())) }
}

fn free_port() -> u16 {
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("no free loopback port: {e}"));
    listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("no local address: {e}"))
}

impl ScimServer {
    /// Starts a server with `features` and waits until it answers.
    pub async fn start(features: ServerFeatures) -> ScimServer {
        let program = executable();
        let mut last_log = String::new();
        // A port found free can be taken by another test before the server binds it: try again.
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
            let config = dir.path().join("service-provider-config.json");
            let spc = serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": { "supported": features.patch },
                "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
                "filter": { "supported": features.filter, "maxResults": features.max_results },
                "changePassword": { "supported": false },
                "sort": { "supported": false },
                "etag": { "supported": features.etag }
            });
            std::fs::write(&config, spc.to_string())
                .unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
            let log_path = dir.path().join("server.log");
            let log = std::fs::File::create(&log_path)
                .unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
            let err_log = log.try_clone().unwrap_or_else(|e| panic!("the log file: {e}"));
            let port = free_port();
            let child = Command::new(&program)
                .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
                .args(["--bearer-token", TOKEN])
                .arg("--service-provider-config")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(err_log))
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("could not start {} ({SERVER_ENV}): {e}", program.display())
                });
            let mut server =
                ScimServer { child, url: format!("http://127.0.0.1:{port}/v2"), _dir: dir };
            if server.wait_until_ready().await {
                return server;
            }
            last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
        }
        panic!("scim2-server did not start; its last output:\n{last_log}");
    }

    /// Whether the server answers its configuration, before it exits or 30 s pass.
    async fn wait_until_ready(&mut self) -> bool {
        let http = reqwest::Client::new();
        let url = format!("{}/ServiceProviderConfig", self.url);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let answer = http.get(&url).bearer_auth(TOKEN).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// A client of this server, with quick retries.
    pub fn client(&self) -> ScimClient {
        client_for(&self.url, TOKEN)
    }

    /// The directory over [`ScimServer::client`], named "Acme SCIM".
    pub fn directory(&self) -> ScimDirectory {
        ScimDirectory::new(
            self.client(),
            ScimDirectoryConfig { name: "Acme SCIM".into(), ..ScimDirectoryConfig::default() },
        )
    }
}

/// Retries with waits too short to notice.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_total_wait: Duration::from_secs(60),
    }
}

pub fn client_for(url: &str, token: &str) -> ScimClient {
    ScimClient::builder()
        .base_url(url)
        .token(SecretString::from(token))
        .retry(fast_retry())
        .build()
        .unwrap_or_else(|e| panic!("a loopback URL is accepted: {e}"))
}
