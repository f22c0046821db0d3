//! What the integration tests share: a real SCIM server (`scim2-server`, from PyPI) started on a
//! free loopback port, clients pointed at it, and quick retries.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use dirsync_scim::{ScimClient, ScimDirectory, ScimDirectoryConfig};
use secrecy::SecretString;
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

/// `scim2-server` from PyPI: the one `DIRSYNC_SCIM2_SERVER` names, else `.ci/venv-scim`'s.
const SCIM2_SERVER: testkit::PythonTool = testkit::PythonTool {
    env: SERVER_ENV,
    venv: ".ci/venv-scim",
    executable: "bin/scim2-server",
    install: &["scim2-server==0.8.3"],
    import: None,
};

fn executable() -> PathBuf {
    SCIM2_SERVER.locate().unwrap_or_else(|why| {
        panic!("these tests run against a real SCIM server, scim2-server from PyPI, and {why}")
    })
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
            let port = testkit::free_port();
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

pub fn client_for(url: &str, token: &str) -> ScimClient {
    ScimClient::builder()
        .base_url(url)
        .token(SecretString::from(token))
        .retry(testkit::fast_retry())
        .build()
        .unwrap_or_else(|e| panic!("a loopback URL is accepted: {e}"))
}
