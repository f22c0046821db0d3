//! A real browser for the page tests: Debian's Chromium, headless, driven through chromedriver
//! (WebDriver) with fantoccini. Elements are found by their role and accessible name as the
//! browser computes them (WebDriver's "computed role" and "computed label"), as a person with a
//! screen reader finds them.
//!
//! Without Chromium the tests say in one line that they were skipped and how to run them; with
//! `DIRSYNC_REQUIRE_BROWSER=1` (as `.ci/run` sets it) they fail instead.

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const REQUIRE: &str = "DIRSYNC_REQUIRE_BROWSER";

/// A headless Chromium and the chromedriver that drives it; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A browser `width` pixels wide, or `None` (after one line saying why) when Chromium is not
/// installed and the tests are not required to run.
pub async fn browser(width: u32) -> Option<Browser> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        let how = "apt-get install chromium chromium-driver (or run .ci/run)";
        if std::env::var_os(REQUIRE).is_some_and(|v| v == "1") {
            panic!("{REQUIRE}=1 but Chromium or chromedriver is missing: {how}");
        }
        eprintln!("skipped: the browser tests need {CHROMIUM} and {CHROMEDRIVER}: {how}");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("a profile folder");
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--hide-scrollbars".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
        format!("--window-size={width},900"),
    ];
    let mut options = serde_json::json!({ "binary": CHROMIUM, "args": args });
    if width < 500 {
        // A window is never narrower than 500 pixels: a phone's width is emulated instead.
        options["mobileEmulation"] = serde_json::json!({ "deviceMetrics": { "width": width, "height": 844, "pixelRatio": 1 } });
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{port}");
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let client = client.expect("chromedriver answers");
    Some(Browser { client, driver, _profile: profile })
}

/// WebDriver's "Get Computed Role" or "Get Computed Label" of an element.
#[derive(Debug)]
struct Computed {
    element: String,
    what: &'static str,
}

impl WebDriverCompatibleCommand for Computed {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session.unwrap_or_default();
        base.join(&format!("session/{session}/element/{}/{}", self.element, self.what))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

/// The value, or `None` when the element went away (the page moved on meanwhile).
async fn computed(client: &Client, element: &Element, what: &'static str) -> Option<String> {
    let command = Computed { element: element.element_id().to_string(), what };
    let value = client.issue_cmd(command).await.ok()?;
    value.as_str().map(str::to_owned)
}

/// The elements that may have `role`, to ask the browser about.
fn candidates(role: &str) -> &'static str {
    match role {
        "button" => "button, [role=button], input[type=submit]",
        "radio" => "input[type=radio]",
        "checkbox" => "input[type=checkbox]",
        "radiogroup" => "[role=radiogroup]",
        "progressbar" => "[role=progressbar], progress",
        "heading" => "h1, h2, h3",
        "link" => "a[href]",
        _ => "*",
    }
}

/// The elements with `role` whose accessible name is `name`, under `within` or the page.
pub async fn all_by_role(
    client: &Client,
    within: Option<&Element>,
    role: &str,
    name: &str,
) -> Vec<Element> {
    let css = Locator::Css(candidates(role));
    let elements = match within {
        Some(e) => e.find_all(css).await,
        None => client.find_all(css).await,
    }
    .unwrap_or_default();
    let mut found = Vec::new();
    for element in elements {
        if computed(client, &element, "computedrole").await.as_deref() == Some(role)
            && computed(client, &element, "computedlabel").await.as_deref() == Some(name)
        {
            found.push(element);
        }
    }
    found
}

/// The one element with `role` and `name`, waiting for the page to show it.
pub async fn by_role(client: &Client, role: &str, name: &str) -> Element {
    within_role(client, None, role, name).await
}

/// The one element with `role` and `name` under `within`, waiting for the page to show it.
pub async fn within_role(
    client: &Client,
    within: Option<&Element>,
    role: &str,
    name: &str,
) -> Element {
    for _ in 0..600 {
        let mut found = all_by_role(client, within, role, name).await;
        if found.len() == 1 {
            return found.remove(0);
        }
        assert!(found.len() < 2, "{} elements with role {role} and name {name:?}", found.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = client.source().await.unwrap_or_default();
    panic!("no {role} named {name:?} on the page:\n{page}");
}

/// Waits until the page has an `h1` reading `heading`.
pub async fn wait_for_heading(client: &Client, heading: &str) {
    for _ in 0..600 {
        if let Ok(h1) = client.find(Locator::Css("h1")).await
            && h1.text().await.is_ok_and(|t| t == heading)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = client.source().await.unwrap_or_default();
    panic!("the page never showed the heading {heading:?}:\n{page}");
}

/// The text of the page's body.
pub async fn page_text(client: &Client) -> String {
    client.find(Locator::Css("body")).await.expect("a body").text().await.expect("its text")
}

/// Saves a screenshot as `docs/<name>.png` when `DIRSYNC_SCREENSHOTS=1` (to update the guide's
/// pictures); otherwise does nothing.
pub async fn screenshot(client: &Client, name: &str) {
    if std::env::var_os("DIRSYNC_SCREENSHOTS").is_none_or(|v| v != "1") {
        return;
    }
    let png = full_page(client).await;
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/review").join(format!("{name}.png"));
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the folder");
    std::fs::write(&path, png).expect("the screenshot written");
}

/// A screenshot of the whole page, however long: the window is made as tall as the page first.
async fn full_page(client: &Client) -> Vec<u8> {
    let (width, _) = client.get_window_size().await.expect("a size");
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900);
    let height = u32::try_from(height).unwrap_or(900).clamp(400, 4000);
    let _ = client.set_window_size(width as u32, height + 90).await;
    let png = client.screenshot().await.expect("a screenshot");
    let _ = client.set_window_size(width as u32, 900).await;
    png
}
