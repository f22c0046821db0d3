//! The page's addresses: each GET shows the stage the review is in, each POST takes one form.

use crate::actor::{Command, OUTDATED};
use crate::forms::{self, FormError};
use crate::stage::{Shared, Stage, View};
use axum::Form;
use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::request::Parts as RequestParts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use dirsync::model::Names;
use dirsync_report::review::{self as views, Context, PlanView};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) token: Option<String>,
    pub(crate) names: Names,
    pub(crate) title: String,
}

/// The page's links for one request: where the Router is mounted (a service may `nest` it under
/// any path), with the token.
pub(crate) struct Page(pub(crate) Context);

impl FromRequestParts<App> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut RequestParts,
        app: &App,
    ) -> Result<Self, Self::Rejection> {
        let inner = parts.uri.path().to_owned();
        let outer = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| inner.clone(), |o| o.0.path().to_owned());
        let prefix = if inner == "/" {
            outer.trim_end_matches('/').to_owned()
        } else {
            outer.strip_suffix(&inner).unwrap_or_default().to_owned()
        };
        Ok(Page(Context {
            prefix,
            token: app.token.clone(),
            title: app.title.clone(),
            names: app.names.clone(),
        }))
    }
}

fn go(page: &Page, path: &str) -> Response {
    Redirect::to(&page.0.link(path)).into_response()
}

fn refused(page: &Page, status: StatusCode, why: &str) -> Response {
    let heading = match status {
        StatusCode::BAD_REQUEST => "The form was refused",
        StatusCode::CONFLICT => "This page is out of date",
        _ => "Refused",
    };
    (status, Html(views::refusal(&page.0, heading, why, true))).into_response()
}

fn plan_view(view: &View) -> PlanView<'_> {
    PlanView {
        plan: &view.plan,
        generation: view.generation,
        held: &view.held,
        notice: view.notice.as_deref(),
    }
}

/// Step 1, or whatever the review is at.
pub(crate) async fn index(State(app): State<App>, page: Page) -> Response {
    match app.shared.stage() {
        Stage::Idle => Html(views::start(&page.0, None)).into_response(),
        Stage::Planning => Html(views::planning(&page.0)).into_response(),
        Stage::Failed(why) => Html(views::start(&page.0, Some(&why))).into_response(),
        Stage::Reviewing(view) => Html(views::changes(&page.0, &plan_view(&view))).into_response(),
        Stage::Checking | Stage::Applying => go(&page, "progress"),
        Stage::Stale(why) => Html(views::stale(&page.0, &why)).into_response(),
        Stage::Done(_) => go(&page, "report"),
    }
}

/// Step 2.
pub(crate) async fn people(State(app): State<App>, page: Page) -> Response {
    match app.shared.stage() {
        Stage::Reviewing(view) => Html(views::people(&page.0, &plan_view(&view))).into_response(),
        _ => go(&page, ""),
    }
}

/// The writes under way.
pub(crate) async fn progress(State(app): State<App>, page: Page) -> Response {
    match app.shared.stage() {
        Stage::Checking | Stage::Applying => {
            let p = app.shared.progress();
            Html(views::progress(&page.0, p.done, p.total, &p.status)).into_response()
        }
        Stage::Done(_) => go(&page, "report"),
        _ => go(&page, ""),
    }
}

/// The result; once served, the program that started the review may end.
pub(crate) async fn report(State(app): State<App>, page: Page) -> Response {
    match app.shared.stage() {
        Stage::Done(ended) => {
            let html = views::result(
                &page.0,
                &ended.heading,
                ended.progress,
                ended.card.as_deref(),
                &ended.messages,
            );
            app.shared.mark_shown();
            Html(html).into_response()
        }
        Stage::Checking | Stage::Applying => go(&page, "progress"),
        _ => go(&page, ""),
    }
}

pub(crate) async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], dirsync_report::STYLESHEET)
        .into_response()
}

pub(crate) async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], views::SCRIPT).into_response()
}

/// Sends `command` and waits for its reply.
async fn ask(
    app: &App,
    command: impl FnOnce(oneshot::Sender<Result<(), String>>) -> Command,
) -> Result<(), String> {
    let (reply, answer) = oneshot::channel();
    app.commands.send(command(reply)).map_err(|_| "the review has ended".to_owned())?;
    answer.await.unwrap_or_else(|_| Err("the review has ended".to_owned()))
}

/// A refusal for what the plan's task answered; a plan that another tab has just started to
/// apply shows its progress instead.
fn answer_refused(app: &App, page: &Page, why: &str) -> Response {
    if why != OUTDATED {
        return refused(page, StatusCode::BAD_REQUEST, why);
    }
    match app.shared.stage() {
        Stage::Checking | Stage::Applying | Stage::Done(_) => go(page, "progress"),
        _ => refused(page, StatusCode::CONFLICT, why),
    }
}

/// The plan under review, if `fields` were made for it.
fn reviewing(
    app: &App,
    page: &Page,
    fields: &[(String, String)],
) -> Result<Arc<View>, Box<Response>> {
    let generation = forms::generation(fields).map_err(|e| Box::new(bad(page, &e)))?;
    match app.shared.stage() {
        Stage::Reviewing(view) if view.generation == generation => Ok(view),
        Stage::Checking | Stage::Applying | Stage::Done(_) => Err(Box::new(go(page, "progress"))),
        _ => Err(Box::new(refused(page, StatusCode::CONFLICT, OUTDATED))),
    }
}

fn bad(page: &Page, error: &FormError) -> Response {
    refused(page, StatusCode::BAD_REQUEST, &error.0)
}

/// Plans (again): lets the current plan and its lease go first.
pub(crate) async fn plan(State(app): State<App>, page: Page) -> Response {
    let claimed = app.shared.claim(|stage| match stage {
        Stage::Checking | Stage::Applying => None,
        _ => Some(Stage::Planning),
    });
    if !claimed {
        return go(&page, "progress");
    }
    // The page shows "reading" at once; the plan's task replaces it with the plan.
    let (reply, _answer) = oneshot::channel();
    if app.commands.send(Command::Plan(reply)).is_err() {
        return refused(&page, StatusCode::GONE, "the review has ended");
    }
    go(&page, "")
}

/// Reads a form of the plan under review with `read` and settles what it decides: the plan's
/// number and whether the form goes on, or the response that refuses it.
async fn settle(
    app: &App,
    page: &Page,
    fields: &[(String, String)],
    read: forms::Reader,
) -> Result<(u64, bool), Box<Response>> {
    let view = reviewing(app, page, fields)?;
    let form = read(fields, &view.plan).map_err(|e| Box::new(bad(page, &e)))?;
    let (generation, decisions) = (view.generation, form.decisions);
    ask(app, |reply| Command::Decide { generation, decisions, reply })
        .await
        .map_err(|why| Box::new(answer_refused(app, page, &why)))?;
    Ok((generation, form.next))
}

/// Step 1's form.
pub(crate) async fn decisions(
    State(app): State<App>,
    page: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let next = match settle(&app, &page, &fields, forms::changes_form).await {
        Ok((_, next)) => next,
        Err(response) => return *response,
    };
    let Stage::Reviewing(view) = app.shared.stage() else { return go(&page, "") };
    let waiting = view.plan.changes.iter().filter(|c| c.settled.is_none()).count();
    match (next, waiting) {
        (true, 0) => go(&page, "people"),
        (true, n) => {
            let notice = format!(
                "{n} conflict(s) or missing value(s) still wait for your choice: choose below, or use one choice for all."
            );
            let view = View { notice: Some(notice), ..(*view).clone() };
            Html(views::changes(&page.0, &plan_view(&view))).into_response()
        }
        (false, _) => go(&page, ""),
    }
}

/// Step 2's form, and "Synchronize users".
pub(crate) async fn creations(
    State(app): State<App>,
    page: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (generation, apply) = match settle(&app, &page, &fields, forms::creations_form).await {
        Ok(settled) => settled,
        Err(response) => return *response,
    };
    if !apply {
        return go(&page, "people");
    }
    let claimed = app.shared.claim(|stage| match stage {
        Stage::Reviewing(view) if view.generation == generation && view.plan.is_settled() => {
            Some(Stage::Checking)
        }
        _ => None,
    });
    if claimed {
        // Sent right after the claim: nothing else reaches the plan in between.
        let _ = app.commands.send(Command::Apply { generation });
        return go(&page, "progress");
    }
    match app.shared.stage() {
        Stage::Reviewing(view) => {
            let notice =
                "Some conflicts or missing values still wait for your choice: go back to step 1.";
            let view = View { notice: Some(notice.to_owned()), ..(*view).clone() };
            Html(views::people(&page.0, &plan_view(&view))).into_response()
        }
        _ => go(&page, "progress"),
    }
}

/// Releases a held-back write, then plans again.
pub(crate) async fn release(
    State(app): State<App>,
    page: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let view = match reviewing(&app, &page, &fields) {
        Ok(view) => view,
        Err(response) => return *response,
    };
    let id = match forms::release_form(&fields) {
        Ok(id) if view.holds(&id) => id,
        Ok(id) => return bad(&page, &FormError(format!("nothing held back has the id {id:?}"))),
        Err(e) => return bad(&page, &e),
    };
    let generation = view.generation;
    match ask(&app, |reply| Command::Release { generation, id, reply }).await {
        Ok(()) => go(&page, "people"),
        Err(why) => answer_refused(&app, &page, &why),
    }
}
