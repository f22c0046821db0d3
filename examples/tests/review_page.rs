//! `sync review` in a real browser (headless Chromium through WebDriver) against the fakes of Huma
//! and Graph: the whole "Synchronize users" step by mouse and by keyboard alone, 1280 and 390
//! pixels wide, a refused token, a plan that went stale, and a write that fails. Elements are
//! found by role and accessible name.
//!
//! `DIRSYNC_SCREENSHOTS=1 cargo test -p dirsync-examples --test review_page` saves the pictures
//! of docs/review.md.
#![allow(clippy::unwrap_used)]

mod common;

use common::browser::{
    self, Browser, by_role, page_text, screenshot, wait_for_heading, within_role,
};
use dirsync::{directory::Snapshot, model::Person, store::JsonFileStore, sync::Synchronizer};
use dirsync_connect::Secrets;
use dirsync_connect::{Directories, NewPeople};
use dirsync_examples::cli::{Args, Command};
use dirsync_examples::run::{Captured, Console, Outcome};
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use std::time::Duration;
use testkit::{FakeGraph, FakeHuma, GraphConfig, HumaConfig, Route};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The fakes with seven people: four in both with a job title or a phone that differs (and, for
/// those with a job title, a start date Azure AD lacks: a missing value the settings fill), two
/// only in Huma, one only in Azure AD.
struct Org {
    huma: FakeHuma,
    graph: FakeGraph,
    dir: tempfile::TempDir,
}

fn person(given: &str, family: &str) -> Person {
    let email = format!("{}@nordlys.example", given.to_lowercase());
    Person::new().with_email(email).with_given_name(given).with_family_name(family)
}

async fn org() -> Org {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let both = [
        (person("Ada", "Lovelace"), "CTO", "Engineer"),
        (person("Cy", "Dahl"), "Chef", "Cook"),
        (person("Di", "Eng"), "Designer", "Artist"),
    ];
    for (p, hr, idp) in both {
        huma.insert_person(&p.clone().with_job_title(hr)).unwrap();
        graph.insert_person(&p.with_job_title(idp)).unwrap();
    }
    huma.insert_person(&person("Bo", "Berg").with_phone("+47 400 00 001")).unwrap();
    graph.insert_person(&person("Bo", "Berg").with_phone("+47 400 00 002")).unwrap();
    huma.insert_person(&person("Eva", "Fos")).unwrap();
    huma.insert_person(&person("Finn", "Gran")).unwrap();
    graph.insert_person(&person("Gro", "Hauge")).unwrap();
    // Slow enough writes that the progress bar is seen moving.
    graph.set_latency(Duration::from_millis(150));
    Org { huma, graph, dir: tempfile::tempdir().unwrap() }
}

impl Org {
    fn directories(&self) -> Directories {
        let new_people = NewPeople { upn_domain: "nordlys.example".into(), ..NewPeople::default() };
        Directories::for_fakes(&self.graph, &self.huma, &new_people)
    }

    /// The people as each side sees them now: (email, job title, phone), by email.
    async fn people(&self) -> (Vec<(String, String, String)>, Vec<(String, String, String)>) {
        let directories = self.directories();
        let read = |snapshot: Snapshot| {
            let mut people: Vec<(String, String, String)> = snapshot
                .records
                .iter()
                .map(|r| {
                    let p = &r.person;
                    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
                    (text(p.email()), text(p.job_title()), text(p.phone()))
                })
                .collect();
            people.sort();
            people
        };
        let hr = Snapshot::read(&directories.huma).await.unwrap();
        let idp = Snapshot::read(directories.idp.directory()).await.unwrap();
        (read(hr), read(idp))
    }
}

/// `sync review` running against the fakes, and the address it printed.
struct Program {
    task: JoinHandle<Outcome>,
    stop: Option<oneshot::Sender<()>>,
    url: String,
    output: Captured,
}

async fn sync_review(org: &Org) -> Program {
    let state = org.dir.path().join("state.json");
    let argv = common::argv_for(
        &org.huma,
        &org.graph,
        &state,
        "review",
        &["--upn-domain", "nordlys.example", "--create-job-titles"],
    );
    let args = match <Args as clap::Parser>::try_parse_from(argv) {
        Ok(Args { command: Some(Command::Review(review)) }) => review,
        other => panic!("sync review parses: {other:?}"),
    };
    let (mut console, output) = Console::captured();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = stopped.await;
        };
        dirsync_examples::review::review(&args, &Secrets::for_fakes(), &mut console, stop).await
    });
    let mut url = None;
    for _ in 0..600 {
        let text = output.text();
        if let Some(line) = text.lines().find_map(|l| l.strip_prefix("Review the sync at ")) {
            url = Some(line.to_owned());
            break;
        }
        assert!(!task.is_finished(), "sync review ended: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = url.unwrap_or_else(|| panic!("no address printed: {}", output.text()));
    Program { task, stop: Some(stop), url, output }
}

impl Program {
    async fn outcome(mut self) -> (Outcome, String) {
        drop(self.stop.take());
        let outcome =
            tokio::time::timeout(Duration::from_secs(60), self.task).await.unwrap().unwrap();
        (outcome, self.output.text())
    }

    /// Ctrl-C.
    async fn interrupt(mut self) -> (Outcome, String) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let outcome =
            tokio::time::timeout(Duration::from_secs(60), self.task).await.unwrap().unwrap();
        (outcome, self.output.text())
    }
}

async fn radio(client: &Client, group: &str, option: &str) -> fantoccini::elements::Element {
    let group = by_role(client, "radiogroup", group).await;
    within_role(client, Some(&group), "radio", option).await
}

/// Saves a screenshot named `shots`-`name` when `shots` is given.
async fn shot(client: &Client, shots: Option<&str>, name: &str) {
    if let Some(shots) = shots {
        screenshot(client, &format!("{shots}-{name}")).await;
    }
}

/// Step 1 and step 2 by mouse: Ada's job title from Azure AD, Bo's phone from Huma, the rest
/// from Huma by one choice for all; Eva and Gro ticked to create, Finn not.
async fn decide_by_mouse(client: &Client, shots: Option<&str>) {
    wait_for_heading(client, "Conflicts and missing values").await;
    shot(client, shots, "1-conflicts").await;
    radio(client, "Ada Lovelace · Job title", "Azure AD").await.click().await.unwrap();
    radio(client, "Bo Berg · Phone number", "Huma").await.click().await.unwrap();
    by_role(client, "button", "Update Azure AD from Huma").await.click().await.unwrap();
    wait_for_heading(client, "Conflicts and missing values").await;
    assert!(radio(client, "Cy Dahl · Job title", "Huma").await.is_selected().await.unwrap());
    assert!(
        radio(client, "Ada Lovelace · Job title", "Azure AD").await.is_selected().await.unwrap()
    );
    by_role(client, "button", "Next").await.click().await.unwrap();
    wait_for_heading(client, "People to create").await;
    by_role(client, "checkbox", "Eva Fos").await.click().await.unwrap();
    by_role(client, "checkbox", "Gro Hauge").await.click().await.unwrap();
    shot(client, shots, "2-people").await;
}

/// The heading of the progress page while it shows, or `None` once the result is there.
async fn progress_shown(client: &Client) -> Option<fantoccini::elements::Element> {
    let h1 = client.find(fantoccini::Locator::Css("h1")).await.ok()?;
    if h1.text().await.ok()? != "Synchronizing users" {
        return None;
    }
    client.find(fantoccini::Locator::Css("[role=progressbar]")).await.ok()
}

/// "Synchronize users", then the result page (headed `expected`): the progress bar's value and
/// maximum there.
async fn synchronize(client: &Client, shots: Option<&str>, expected: &str) -> (String, String) {
    by_role(client, "button", "Synchronize users").await.click().await.unwrap();
    // The picture of the progress once a write is done, if the page is quick enough to show it.
    for _ in 0..200 {
        let Some(bar) = progress_shown(client).await else { break };
        if bar.attr("aria-valuenow").await.ok().flatten().is_some_and(|n| n != "0") {
            shot(client, shots, "3-progress").await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_for_heading(client, expected).await;
    shot(client, shots, "4-report").await;
    let bar = by_role(client, "progressbar", "Writes done").await;
    let now = bar.attr("aria-valuenow").await.unwrap().unwrap_or_default();
    let max = bar.attr("aria-valuemax").await.unwrap().unwrap_or_default();
    (now, max)
}

/// What the whole step must have written, and nothing else.
async fn assert_exactly_the_chosen_writes(org: &Org) {
    let (hr, idp) = org.people().await;
    let row = |email: &str, title: &str, phone: &str| {
        (format!("{email}@nordlys.example"), title.to_owned(), phone.to_owned())
    };
    // The four in both agree now; Eva is in both, Gro too; Finn only in Huma.
    let agreed = [
        row("ada", "Engineer", ""),
        row("bo", "", "+47 400 00 001"),
        row("cy", "Chef", ""),
        row("di", "Designer", ""),
        row("eva", "", ""),
    ];
    let everyone = |rest: &[(String, String, String)]| [agreed.as_slice(), rest].concat();
    assert_eq!(hr, everyone(&[row("finn", "", ""), row("gro", "", "")]));
    assert_eq!(idp, everyone(&[row("gro", "", "")]));
    let graph = org.graph.counts().routes;
    let count = |route| graph.get(&route).copied().unwrap_or(0);
    assert_eq!((count(Route::UpdateUser), count(Route::CreateUser)), (4, 1), "Graph writes");
}

/// The whole step at `width` pixels, by mouse.
async fn whole_step(width: u32) {
    let Some(Browser { client, .. }) = &browser::browser(width).await else { return };
    let org = org().await;
    let program = sync_review(&org).await;
    client.goto(&program.url).await.unwrap();
    let shots = width.to_string();
    decide_by_mouse(client, Some(&shots)).await;
    let (now, max) = synchronize(client, Some(&shots), "Users synchronized").await;
    let text = page_text(client).await;
    // Seven writes: the four people in both (Ada twice: her job title to Huma, and her start date,
    // a missing value the settings fill, to Azure AD), Eva and Gro.
    assert_eq!((now.as_str(), max.as_str()), ("7", "7"), "the bar reached the total: {text}");
    assert!(text.contains("5 updated, 2 created"), "{text}");
    let (outcome, output) = program.outcome().await;
    assert_eq!(outcome, Outcome::Done, "{output}");
    assert_exactly_the_chosen_writes(&org).await;

    // A second sync plans nothing.
    let directories = org.directories();
    let store = JsonFileStore::new(org.dir.path().join("state.json"));
    let again = Synchronizer::new(&directories.huma, directories.idp.directory(), &store);
    let plan = again.preview().await.unwrap();
    assert!(plan.operations().unwrap().operations.is_empty(), "{:?}", plan.summary());
    assert_eq!((plan.summary().conflicts, plan.summary().pending), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_step_writes_exactly_what_was_chosen() {
    whole_step(1280).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_step_works_390_pixels_wide() {
    whole_step(390).await;
}

/// Presses one key, as a keyboard does (nothing is clicked).
async fn press(client: &Client, key: Key) {
    let value: char = key.into();
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value })
        .then(KeyAction::Up { value });
    client.perform_actions(keys).await.unwrap();
}

/// Presses Tab until `target` has the focus.
async fn tab_to(client: &Client, target: &fantoccini::elements::Element) {
    for _ in 0..80 {
        press(client, Key::Tab).await;
        let focused = client.active_element().await.unwrap();
        if focused.element_id().to_string() == target.element_id().to_string() {
            return;
        }
    }
    panic!("Tab never reached the element");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_alone_goes_through_the_whole_step() {
    let Some(Browser { client, .. }) = &browser::browser(1280).await else { return };
    let org = org().await;
    let program = sync_review(&org).await;
    client.goto(&program.url).await.unwrap();
    wait_for_heading(client, "Conflicts and missing values").await;
    // Ada: into her group (its first option), then the arrow to Azure AD, as in any radio group.
    tab_to(client, &radio(client, "Ada Lovelace · Job title", "Huma").await).await;
    press(client, Key::Right).await;
    assert!(
        radio(client, "Ada Lovelace · Job title", "Azure AD").await.is_selected().await.unwrap()
    );
    tab_to(client, &radio(client, "Bo Berg · Phone number", "Huma").await).await;
    press(client, Key::Space).await;
    // One choice for all is before the groups: back to the top of the page, and Tab to it.
    client.execute("document.activeElement.blur(); window.scrollTo(0, 0);", vec![]).await.unwrap();
    tab_to(client, &by_role(client, "button", "Update Azure AD from Huma").await).await;
    press(client, Key::Enter).await;
    wait_for_heading(client, "Conflicts and missing values").await;
    tab_to(client, &by_role(client, "button", "Next").await).await;
    press(client, Key::Enter).await;
    wait_for_heading(client, "People to create").await;
    tab_to(client, &by_role(client, "checkbox", "Eva Fos").await).await;
    press(client, Key::Space).await;
    tab_to(client, &by_role(client, "checkbox", "Gro Hauge").await).await;
    press(client, Key::Space).await;
    tab_to(client, &by_role(client, "button", "Synchronize users").await).await;
    press(client, Key::Enter).await;
    wait_for_heading(client, "Users synchronized").await;
    let (outcome, output) = program.outcome().await;
    assert_eq!(outcome, Outcome::Done, "{output}");
    assert_exactly_the_chosen_writes(&org).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_without_the_token_is_refused() {
    let Some(Browser { client, .. }) = &browser::browser(1280).await else { return };
    let org = org().await;
    let program = sync_review(&org).await;
    let bare = program.url.split('?').next().unwrap().to_owned();
    client.goto(&bare).await.unwrap();
    wait_for_heading(client, "The token is missing or wrong").await;
    assert!(page_text(client).await.contains("open the whole address"));
    client.goto(&format!("{bare}?token=0000")).await.unwrap();
    wait_for_heading(client, "The token is missing or wrong").await;
    let (outcome, _) = program.interrupt().await;
    assert_eq!(outcome, Outcome::Interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_gone_stale_writes_nothing_and_offers_to_plan_again() {
    let Some(Browser { client, .. }) = &browser::browser(1280).await else { return };
    let org = org().await;
    let before = org.people().await;
    let program = sync_review(&org).await;
    client.goto(&program.url).await.unwrap();
    wait_for_heading(client, "Conflicts and missing values").await;
    // Someone changes Di in Azure AD while the page is open.
    let di = org
        .graph
        .users()
        .into_iter()
        .find(|u| u.mail.as_deref() == Some("di@nordlys.example"))
        .unwrap();
    assert!(org.graph.update_user(&di.id, |u| u.job_title = Some("Illustrator".into())));
    by_role(client, "button", "Update Azure AD from Huma").await.click().await.unwrap();
    wait_for_heading(client, "Conflicts and missing values").await;
    by_role(client, "button", "Next").await.click().await.unwrap();
    wait_for_heading(client, "People to create").await;
    by_role(client, "button", "Synchronize users").await.click().await.unwrap();
    wait_for_heading(client, "The people changed since this plan was made").await;
    screenshot(client, "1280-stale").await;
    let plan_again = by_role(client, "button", "Plan again").await;
    let (hr, mut idp) = org.people().await;
    let di_now = idp.iter_mut().find(|p| p.0.starts_with("di@")).unwrap();
    di_now.1 = "Artist".into();
    assert_eq!((hr, idp), before, "nothing was written");
    plan_again.click().await.unwrap();
    wait_for_heading(client, "Conflicts and missing values").await;
    let di_choice = radio(client, "Di Eng · Job title", "Azure AD").await;
    let value = client
        .find(fantoccini::Locator::Id(&format!(
            "{}-idp",
            di_choice.attr("name").await.unwrap().unwrap()
        )))
        .await
        .unwrap();
    assert_eq!(value.text().await.unwrap(), "Illustrator", "the new plan reads Di anew");
    let (outcome, _) = program.interrupt().await;
    assert_eq!(outcome, Outcome::Interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_fails_is_in_the_report_and_exits_5() {
    let Some(Browser { client, .. }) = &browser::browser(1280).await else { return };
    let org = org().await;
    let ada = org.huma.user_by_email("ada@nordlys.example").unwrap();
    let refusal =
        serde_json::json!({"message": "Forbidden: the API key may not change job titles"});
    org.huma.fail_writes(&ada.id, 403, refusal).unwrap();
    let program = sync_review(&org).await;
    client.goto(&program.url).await.unwrap();
    decide_by_mouse(client, None).await;
    synchronize(client, None, "Users synchronized, with problems").await;
    let text = page_text(client).await;
    assert!(text.contains("Failed (1)"), "{text}");
    assert!(text.contains("Ada Lovelace"), "{text}");
    let (outcome, output) = program.outcome().await;
    assert_eq!(outcome, Outcome::SomeFailed, "{output}");
    assert!(output.contains("1 write(s) failed"), "{output}");
}
