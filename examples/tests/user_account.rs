//! Connecting to Azure AD "with user account": `sync login-azure`, then `sync plan` with the saved
//! sign-in, through the program's own entry point against the fakes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use azure_graph::RefreshTokenFile;
use common::{argv, run};
use dirsync_connect::Secrets;
use dirsync_examples::demo::DemoOrg;
use dirsync_examples::run::{Captured, Console, Outcome, main_with};
use huma_api::SecretString;
use reqwest::Url;
use std::io::{self, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use testkit::{FakeGraph, SignInPage};

/// Registered on the app; nothing needs to listen there: the person copies the address.
const REDIRECT_URI: &str = "http://localhost:8400/callback";

/// A person at the terminal: when the program asks, they answer with a redirect address built
/// from the sign-in address the program printed (so the answer can carry its `state`).
struct Person {
    printed: Captured,
    answer: Box<dyn Fn(&Url) -> String + Send>,
    line: Option<Cursor<Vec<u8>>>,
}

impl Read for Person {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.line.is_none() {
            let url = printed_authorize_url(&self.printed.text());
            self.line = Some(Cursor::new(format!("{}\n", (self.answer)(&url)).into_bytes()));
        }
        self.line.as_mut().unwrap().read(buf)
    }
}

fn printed_authorize_url(text: &str) -> Url {
    let line = text
        .lines()
        .find(|l| l.contains("/oauth2/v2.0/authorize?"))
        .unwrap_or_else(|| panic!("the sign-in address is printed before the question: {text}"));
    Url::parse(line.trim()).unwrap()
}

fn param(url: &Url, name: &str) -> String {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The address Azure sends the browser back to after a successful sign-in. The person signs in
/// at the printed address, so the code is bound to its redirect URI and PKCE challenge, and the
/// program must redeem it with the same.
fn signed_in(page: SignInPage) -> impl Fn(&Url) -> String + Send {
    move |url| {
        let code = page.sign_in(url.as_str()).expect("a sign-in address for this app");
        format!("{REDIRECT_URI}?code={code}&state={}&session_state=s", param(url, "state"))
    }
}

/// `sync login-azure` against the fake Graph, saving the sign-in to `token_file`.
fn login_argv(org: &DemoOrg, token_file: &Path) -> Vec<String> {
    vec![
        "sync".into(),
        "login-azure".into(),
        "--azure-tenant".into(),
        FakeGraph::TENANT_ID.into(),
        "--azure-client-id".into(),
        FakeGraph::CLIENT_ID.into(),
        "--login-url".into(),
        org.graph.uri(),
        "--redirect-uri".into(),
        REDIRECT_URI.into(),
        "--azure-token-file".into(),
        token_file.display().to_string(),
    ]
}

/// `sync login-azure` against the fake, with a person answering on standard input.
async fn login(
    org: &DemoOrg,
    token_file: &Path,
    answer: impl Fn(&Url) -> String + Send + 'static,
) -> (Outcome, String) {
    let args = login_argv(org, token_file);
    let printed = Captured::default();
    let person = Person { printed: printed.clone(), answer: Box::new(answer), line: None };
    let mut console = Console {
        out: Box::new(printed.clone()),
        err: Box::new(printed.clone()),
        input: Some(Box::new(BufReader::new(person))),
        progress: false,
    };
    let outcome = main_with(args, Secrets::for_fakes(), &mut console).await;
    (outcome, printed.text())
}

/// `sync plan` against the fakes, connected to Azure AD with the sign-in in `token_file`.
async fn plan(org: &DemoOrg, dir: &Path, token_file: &Path) -> (Outcome, String) {
    let token_file = token_file.display().to_string();
    run(argv(org, dir, "plan", &["--azure-token-file", &token_file]), Secrets::for_fakes()).await
}

fn token_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("azure-token")
}

fn saved_token(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_login_saves_the_sign_in_and_plan_uses_it_and_keeps_the_rotated_token() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = token_path(&dir);

    let (outcome, text) = login(&org, &path, signed_in(org.graph.sign_in_page())).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let url = printed_authorize_url(&text);
    assert!(url.as_str().starts_with(&org.graph.uri()), "{url}");
    assert_eq!(param(&url, "client_id"), FakeGraph::CLIENT_ID);
    assert_eq!(param(&url, "redirect_uri"), REDIRECT_URI);
    assert_eq!(param(&url, "code_challenge_method"), "S256");
    assert!(text.contains("User Administrator"), "{text}");
    let first = saved_token(&path);
    assert!(!first.is_empty());
    assert!(!text.contains(&first), "the token is never printed: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let (outcome, text) = plan(&org, dir.path(), &path).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("Azure AD: \"Finance Manager\""), "Azure AD was read: {text}");
    assert!(text.contains("This was a plan only"), "{text}");
    let second = saved_token(&path);
    assert_ne!(second, first, "the refresh rotated the token and the new one was saved");
    assert!(!text.contains(&second), "{text}");

    // The old token no longer works in the fake; the saved one does.
    let (outcome, text) = plan(&org, dir.path(), &path).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
}

#[tokio::test]
async fn a_redirect_from_another_sign_in_is_refused_and_nothing_is_saved() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = token_path(&dir);
    let code = org.graph.issue_authorization_code();
    let (outcome, text) =
        login(&org, &path, move |_| format!("{REDIRECT_URI}?code={code}&state=someone-elses"))
            .await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("does not belong to this sign-in"), "{text}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file was written");
}

#[tokio::test]
async fn a_declined_consent_says_what_to_do() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = token_path(&dir);
    let (outcome, text) = login(&org, &path, |url| {
        format!(
            "{REDIRECT_URI}?error=access_denied&error_description=AADSTS65004%3a+User+declined+\
             to+consent+to+access+the+app.%0d%0aTrace+ID%3a+t&state={}",
            param(url, "state")
        )
    })
    .await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("AADSTS65004: User declined to consent"), "{text}");
    assert!(text.contains("accept the permissions"), "{text}");
    assert!(text.contains("Grant admin consent") || text.contains("grant admin consent"), "{text}");
    assert!(text.contains("run `sync login-azure` again"), "{text}");
    assert!(!path.exists());
}

#[tokio::test]
async fn without_a_person_to_paste_the_address_login_stops() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let args = login_argv(&org, &token_path(&dir));
    let (mut console, output) = Console::captured();
    let outcome = main_with(args, Secrets::for_fakes(), &mut console).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{}", output.text());
    assert!(output.text().contains("run it in a terminal"), "{}", output.text());
}

#[tokio::test]
async fn a_missing_token_file_is_a_configuration_error_that_says_to_log_in() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, text) = plan(&org, dir.path(), &token_path(&dir)).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "exit code 1: {text}");
    assert_eq!(outcome.code(), 1);
    assert!(text.contains("no Azure sign-in in"), "{text}");
    assert!(text.contains("sync login-azure"), "{text}");
    assert_eq!(org.graph.counts().http_requests, 0, "nothing was sent to Azure");
}

#[tokio::test]
async fn an_expired_sign_in_says_to_log_in_again() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = token_path(&dir);
    let token = org.graph.issue_refresh_token();
    RefreshTokenFile::new(&path).write(&SecretString::from(token.clone())).unwrap();
    org.graph.expire_refresh_tokens();

    let (outcome, text) = plan(&org, dir.path(), &path).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("AADSTS700082") || text.contains("expired"), "{text}");
    assert!(text.contains("run `sync login-azure` again"), "{text}");
    assert!(!text.contains(&token), "the token is never printed: {text}");
    assert_eq!(saved_token(&path), token, "the file is left as it was");
}
