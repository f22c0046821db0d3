//! The views of the review page, Huma's "Synchronize users" step: (1) conflicts and missing values,
//! (2) people found on one side only, findings and held-back writes, then "Synchronize users":
//! progress, and the report. The `dirsync-review` crate serves them and takes the forms; these
//! functions only lay out what they are given.
//!
//! Every page works as plain forms; the one script (`review.js`, served beside the style sheet)
//! only follows the progress of the writes. Accessible names a person and a test rely on: a radio
//! group per change named "PERSON · FIELD" with the options named after the directories and
//! "Skip"; a checkbox per person to create, named after the person; the button "Synchronize
//! users"; the progress as a `progressbar`.

use crate::words::{finding_label, value_text};
use dirsync::{
    model::{Field, Names, Side},
    plan::{
        AccountAction, Change, ChangeKind, Creation, DecidedBy, Decision, FindingKind, Plan,
        Settled,
    },
    report::HeldItem,
};
use maud::{DOCTYPE, Markup, PreEscaped, html as markup};

/// The script of the progress page: server-sent events move the progress bar, and the page goes
/// on to the report when the writes are done. Nothing else on the pages needs a script.
pub const SCRIPT: &str = include_str!("../assets/review.js");

/// Where the page is mounted and how its links are made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The path the page is mounted under, without a trailing slash ("" at the root).
    pub prefix: String,
    /// The access token every link and form carries, when the page asks for one.
    pub token: Option<String>,
    /// The report's heading, e.g. "Huma and Azure AD: people synchronised".
    pub title: String,
    /// The directories' names.
    pub names: Names,
}

impl Context {
    /// The address of `path` ("people", "assets/dirsync.css") under the page, with the token.
    pub fn link(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        match &self.token {
            Some(token) => format!("{}/{path}?token={token}", self.prefix),
            None => format!("{}/{path}", self.prefix),
        }
    }
}

/// One step of the page, for the list of steps at its top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading both directories, or a plan to start.
    Start,
    /// Conflicts and missing values.
    Changes,
    /// People found on one side only, findings and held-back writes.
    People,
    /// The writes, then the report.
    Synchronize,
}

/// The plan as the page shows it.
#[derive(Debug, Clone, Copy)]
pub struct PlanView<'a> {
    /// The plan, as settled so far.
    pub plan: &'a Plan,
    /// Which plan this is, carried by every form so an older page cannot change a newer plan.
    pub generation: u64,
    /// The writes the sync would hold back (refused for good before), each to release.
    pub held: &'a [HeldItem],
    /// A message above the step: what the last form did, or what is wrong with it.
    pub notice: Option<&'a str>,
}

/// A whole page: the style sheet and the list of steps around `body`.
pub fn page(context: &Context, step: Step, heading: &str, body: Markup) -> String {
    page_with(context, step, heading, body, Kind::Plain)
}

/// What a page needs besides its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The style sheet, linked.
    Plain,
    /// The style sheet and the script that follows the server's events.
    Live,
    /// The style sheet inside the page: the last page a program shows may be served just before
    /// it ends, so it asks for nothing more.
    Standalone,
}

fn page_with(context: &Context, step: Step, heading: &str, body: Markup, kind: Kind) -> String {
    let names = &context.names;
    let html = markup! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                (crate::look::meta())
                meta name="referrer" content="same-origin";
                title { (heading) " · " (names.hr) " ↔ " (names.idp) }
                @if kind == Kind::Standalone {
                    style { (PreEscaped(crate::STYLESHEET)) }
                } @else {
                    link rel="stylesheet" href=(context.link("assets/dirsync.css"));
                }
                @if kind == Kind::Live {
                    script defer src=(context.link("assets/review.js")) {}
                    // Without the script, the page follows the writes by reloading itself.
                    noscript { meta http-equiv="refresh" content="2"; }
                }
            }
            body.review {
                a.skip-link href="#main" { "Skip to the content" }
                div.page {
                    header {
                        p.context { (names.hr) " ↔ " (names.idp) " · Synchronize users" }
                        (steps(step))
                    }
                    main #main { h1 { (heading) } (body) }
                }
            }
        }
        "\n"
    };
    html.into_string()
}

fn steps(current: Step) -> Markup {
    let list = [
        (Step::Changes, "1. Conflicts and missing values"),
        (Step::People, "2. People to create"),
        (Step::Synchronize, "3. Synchronize users"),
    ];
    markup! {
        nav aria-label="Steps" {
            ol.steps {
                @for (step, label) in list {
                    @if step == current { li aria-current="step" { (label) } }
                    @else { li { (label) } }
                }
            }
        }
    }
}

/// A form that posts to `action` with the plan's generation.
fn form(context: &Context, id: &str, action: &str, generation: u64, body: Markup) -> Markup {
    markup! {
        form #(id) method="post" action=(context.link(action)) {
            input type="hidden" name="plan" value=(generation);
            (body)
        }
    }
}

/// The page before a plan: one button that reads both directories.
pub fn start(context: &Context, message: Option<&str>) -> String {
    let names = &context.names;
    let body = markup! {
        @if let Some(message) = message { p.error role="alert" { (message) } }
        div.card {
            p {
                "Read the people in " (names.hr) " and " (names.idp) " and see what differs, before \
                 anything is written. Nothing is written until you press “Synchronize users”."
            }
            (form(context, "plan", "plan", 0, markup! {
                div.actions { button.primary type="submit" { "Read " (names.hr) " and " (names.idp) } }
            }))
        }
    };
    page(context, Step::Start, "Synchronize users", body)
}

/// While both directories are read.
pub fn planning(context: &Context) -> String {
    let names = &context.names;
    let body = markup! {
        div.card #waiting role="status" data-events=(context.link("events"))
            data-start=(context.link("")) data-report=(context.link("report")) {
            p { "Reading the people in " (names.hr) " and " (names.idp) "…" }
            p.muted { "This page shows the plan as soon as it is ready." }
        }
    };
    page_with(context, Step::Start, "Synchronize users", body, Kind::Live)
}

/// Step 1: the conflicts and missing values, by field, and the changes made on one side only.
pub fn changes(context: &Context, view: &PlanView<'_>) -> String {
    let plan = view.plan;
    let names = &plan.names;
    let asked: Vec<&Change> =
        plan.changes.iter().filter(|c| !matches!(c.kind, ChangeKind::Changed(_))).collect();
    let flows: Vec<&Change> =
        plan.changes.iter().filter(|c| matches!(c.kind, ChangeKind::Changed(_))).collect();
    let body = markup! {
        (notice(view.notice))
        (summary(plan))
        (form(context, "changes", "decisions", view.generation, markup! {
            @if asked.is_empty() {
                div.card { p { "No conflicts or missing values: both hold the same values for \
                    everyone they share." } }
            } @else {
                div.card {
                    h2 { "One choice for all" }
                    p #all-help {
                        "For every conflict and missing value you have not chosen yourself below:"
                    }
                    div.actions role="group" aria-describedby="all-help" {
                        button type="submit" name="all" value="hr" {
                            "Update " (names.idp) " from " (names.hr)
                        }
                        button type="submit" name="all" value="idp" {
                            "Update " (names.hr) " from " (names.idp)
                        }
                    }
                }
                (by_field(names, &asked))
            }
            @if !flows.is_empty() {
                div.card {
                    h2 { "Changed on one side since the last sync (" (flows.len()) ")" }
                    p.muted { "These flow to the other side, as the last sync's values say; a \
                        choice for all leaves them as they are." }
                    @for change in &flows { (choice(names, change)) }
                }
            }
            div.actions { button.primary type="submit" name="next" value="1" { "Next" } }
        }))
    };
    page(context, Step::Changes, "Conflicts and missing values", body)
}

/// The changes that need a choice, grouped by field.
fn by_field(names: &Names, changes: &[&Change]) -> Markup {
    let mut fields: Vec<Field> = changes.iter().map(|c| c.field).collect();
    fields.sort();
    fields.dedup();
    markup! {
        @for field in fields {
            @let items: Vec<&&Change> = changes.iter().filter(|c| c.field == field).collect();
            section.card.field-group aria-labelledby=(format!("field-{}", field_key(field))) {
                h3 #(format!("field-{}", field_key(field))) {
                    (field.label()) " (" (items.len()) ")"
                }
                @for change in items { (choice(names, change)) }
            }
        }
    }
}

fn field_key(field: Field) -> String {
    field.label().to_lowercase().replace(' ', "-")
}

/// One change: a radio group named "PERSON · FIELD", both values side by side, each option
/// named after its directory, and how it is settled now.
fn choice(names: &Names, change: &Change) -> Markup {
    let id = change.id.as_str();
    let decision = change.settled.map(|s| s.decision);
    let legend = format!("{id}-legend");
    markup! {
        fieldset.choice role="radiogroup" aria-labelledby=(legend) {
            legend #(legend) { (change.name) " · " (change.field.label()) }
            div.sides {
                @for side in Side::BOTH {
                    (side_option(names, change, side, decision))
                }
                div {
                    label.option {
                        input type="radio" name=(id) value="skip"
                            checked[decision == Some(Decision::Skip)];
                        "Skip"
                    }
                }
            }
            @if let Some(settled) = change.settled {
                p.settled {
                    span.kind { (kind_text(names, change.kind)) ": " }
                    (settled_text(names, change, settled))
                }
            } @else {
                p.pending { (kind_text(names, change.kind)) ": waiting for your choice" }
            }
        }
    }
}

fn side_option(names: &Names, change: &Change, side: Side, decision: Option<Decision>) -> Markup {
    let id = change.id.as_str();
    let (value, wins) = match side {
        Side::Hr => ("hr", Decision::UseHr),
        Side::Idp => ("idp", Decision::UseIdp),
    };
    let described = format!("{id}-{value}");
    let blocked = change.value(side).and(change.blocked_toward(side.other()));
    markup! {
        div.side {
            label.option {
                input type="radio" name=(id) value=(value) aria-describedby=(described)
                    checked[decision == Some(wins)] disabled[blocked.is_some()];
                (names.of(side))
            }
            span #(described) {
                @if let Some(v) = change.value(side) {
                    span.value { (value_text(Some(v))) }
                } @else {
                    span.value.empty { "(empty)" }
                }
                @if let Some(reason) = blocked {
                    span.why { "Cannot be written to " (names.of(side.other())) ": " (reason) }
                }
            }
        }
    }
}

/// "Conflict", "Missing in Azure AD", "Changed in Huma".
fn kind_text(names: &Names, kind: ChangeKind) -> String {
    match kind {
        ChangeKind::Conflict => "Conflict".to_owned(),
        ChangeKind::Missing(side) => format!("Missing in {}", names.of(side)),
        ChangeKind::Changed(side) => format!("Changed in {}", names.of(side)),
    }
}

/// "Huma's value is written to Azure AD (by the sync settings)".
fn settled_text(names: &Names, change: &Change, settled: Settled) -> String {
    let what = match settled.decision {
        Decision::UseHr => format!("{}'s value is written to {}", names.hr, names.idp),
        Decision::UseIdp => format!("{}'s value is written to {}", names.idp, names.hr),
        Decision::Create | Decision::Skip => "Left as it is".to_owned(),
    };
    let what = match (settled.decision, change.kind) {
        (Decision::UseHr, ChangeKind::Missing(Side::Hr))
        | (Decision::UseIdp, ChangeKind::Missing(Side::Idp)) => "Left as it is".to_owned(),
        _ => what,
    };
    format!("{what} ({})", decided_by(settled.by))
}

fn decided_by(by: DecidedBy) -> &'static str {
    match by {
        DecidedBy::Baseline => "changed on one side only since the last sync",
        DecidedBy::Policy => "settled by the sync settings; you can change it",
        DecidedBy::Caller => "your choice",
        DecidedBy::Deletion => "deleted on the other side since the last sync",
    }
}

fn notice(text: Option<&str>) -> Markup {
    markup! {
        @if let Some(text) = text { p.notice role="status" { (text) } }
    }
}

/// The plan's counts, in one line.
fn summary(plan: &Plan) -> Markup {
    let s = plan.summary();
    let names = &plan.names;
    markup! {
        p.muted {
            (s.pairs) " people found in both · " (s.conflicts) " conflict(s) · " (s.missing)
            " missing value(s) · " (s.create_in_idp) " only in " (names.hr) " · " (s.create_in_hr)
            " only in " (names.idp) " · " (s.findings) " finding(s)"
        }
    }
}

/// Step 2: people found on one side only, who cannot be created and why, account changes,
/// findings and held-back writes; then "Synchronize users".
pub fn people(context: &Context, view: &PlanView<'_>) -> String {
    let plan = view.plan;
    let body = markup! {
        (notice(view.notice))
        (summary(plan))
        (form(context, "creations", "creations", view.generation, markup! {
            @for source in Side::BOTH { (creations(&plan.names, plan, source)) }
        }))
        (findings(plan, true, "Cannot be created"))
        (accounts(plan))
        (held(context, view))
        (findings(plan, false, "Findings"))
        div.card {
            h2 { "Synchronize users" }
            p {
                "Writes the choices above to " (plan.names.hr) " and " (plan.names.idp) ". Just \
                 before writing, both are read again: if anyone changed since this page was \
                 made, nothing is written and you are offered a new plan."
            }
            div.actions {
                a href=(context.link("")) { "Back to conflicts and missing values" }
                button.primary type="submit" form="creations" name="apply" value="1" {
                    "Synchronize users"
                }
            }
        }
    };
    page(context, Step::People, "People to create", body)
}

/// The people found only on `source`, a checkbox each to create them on the other side.
fn creations(names: &Names, plan: &Plan, source: Side) -> Markup {
    let mut list: Vec<&Creation> = plan.creations.iter().filter(|c| c.source == source).collect();
    list.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let (from, to) = (names.of(source), names.of(source.other()));
    let side = match source.other() {
        Side::Hr => "hr",
        Side::Idp => "idp",
    };
    let heading = format!("{}-heading", side);
    markup! {
        section.card aria-labelledby=(heading) {
            h2 #(heading) { "Only in " (from) ": create in " (to) "? (" (list.len()) ")" }
            @if list.is_empty() {
                p.muted { "Nobody: everyone in " (from) " is in " (to) " too, or listed below." }
            } @else {
                div.actions {
                    button type="submit" name="all" value=(side) { "Create all in " (to) }
                    button type="submit" name="none" value=(side) { "Create none in " (to) }
                }
                ul.people {
                    @for creation in list { (person(names, creation)) }
                }
            }
        }
    }
}

fn person(names: &Names, creation: &Creation) -> Markup {
    let id = creation.id.as_str();
    let ticked = creation.settled.map(|s| s.decision) == Some(Decision::Create);
    let details = format!("{id}-details");
    let email = creation.person.email().unwrap_or_default();
    markup! {
        li {
            label.option {
                input type="checkbox" name="create" value=(id) checked[ticked]
                    disabled[creation.cannot_create.is_some()] aria-describedby=(details);
                (creation.name)
            }
            span.details #(details) {
                (email)
                @if let Some(s) = creation.settled { " · " (decided_by(s.by)) }
                @else { " · waiting for your choice" }
                @if let Some(why) = &creation.cannot_create {
                    " · cannot be created in " (names.of(creation.target())) ": " (why)
                }
            }
            @for (field, reason) in &creation.left_out {
                span.left-out {
                    (field.label()) " is left out in " (names.of(creation.target())) ": " (reason)
                }
            }
        }
    }
}

/// The findings that keep someone from being created (`creation`), or the others, each with
/// what to do, under `heading`.
fn findings(plan: &Plan, creation: bool, heading: &str) -> Markup {
    let list: Vec<_> =
        plan.findings.iter().filter(|f| blocks_creation(f.kind) == creation).collect();
    markup! {
        @if !list.is_empty() {
            section.card {
                h2 { (heading) " (" (list.len()) ")" }
                ul.items {
                    @for f in list { li { strong { (finding_label(f.kind)) } ": " (f.message) } }
                }
            }
        }
    }
}

fn blocks_creation(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::CannotCreate
            | FindingKind::WouldDuplicate
            | FindingKind::Ambiguous
            | FindingKind::MalformedEmail
            | FindingKind::Unreadable
    )
}

fn accounts(plan: &Plan) -> Markup {
    let names = &plan.names;
    markup! {
        @if !plan.accounts.is_empty() {
            section.card {
                h2 { "Accounts in " (names.idp) " (" (plan.accounts.len()) ")" }
                ul.items {
                    @for a in &plan.accounts {
                        li {
                            strong { (a.name) } ": "
                            (match a.action {
                                AccountAction::Disable => "disable the account",
                                AccountAction::RevokeSessions => "sign out everywhere",
                                AccountAction::Enable => "enable the account again",
                            })
                            " (" (a.reason.explain(names)) ")"
                        }
                    }
                }
            }
        }
    }
}

/// The writes held back, each with what to do and a button to release it.
fn held(context: &Context, view: &PlanView<'_>) -> Markup {
    let names = &view.plan.names;
    markup! {
        @if !view.held.is_empty() {
            section.card {
                h2 { "Held back (" (view.held.len()) ")" }
                p.muted {
                    "Writes refused for good before: they are not tried in this sync unless you \
                     release them. What to do: correct the value or grant the permission, then \
                     release it."
                }
                ul.items {
                    @for h in view.held {
                        li {
                            strong { (h.name) ": " (h.write) " in " (names.of(h.target)) }
                            @if let Some(v) = &h.value { " → " (v) }
                            br; (h.explain())
                            (form(context, &format!("release-{}", h.id), "release", view.generation, markup! {
                                input type="hidden" name="id" value=(h.id.as_str());
                                button type="submit" aria-label=(format!("Release {}: {}", h.name, h.write)) {
                                    "Release"
                                }
                            }))
                        }
                    }
                }
            }
        }
    }
}

/// The writes under way: a progress bar that the script moves, and that a reload brings up to
/// date without it.
pub fn progress(context: &Context, done: usize, total: usize, status: &str) -> String {
    let body = markup! {
        div.card {
            p #status role="status" { (status) }
            (progress_bar(done, total, Some(context)))
        }
    };
    page_with(context, Step::Synchronize, "Synchronizing users", body, Kind::Live)
}

/// The progress bar "Writes done" and its count; with `live`, the addresses the script follows
/// (the events, and where to go when they end).
fn progress_bar(done: usize, total: usize, live: Option<&Context>) -> Markup {
    // No writes at all is a finished run: a full bar.
    let percent = (done * 100).checked_div(total).unwrap_or(if live.is_some() { 0 } else { 100 });
    let link = |path: &str| live.map(|context| context.link(path));
    markup! {
        div #bar role="progressbar" aria-label="Writes done" aria-valuemin="0"
            aria-valuenow=(done) aria-valuemax=(total)
            data-events=[link("events")] data-report=[link("report")] data-start=[link("")] {
            div.bar-fill style=(format!("width:{percent}%")) {}
        }
        p.progress-text #count { (done) " of " (total) " writes done" }
    }
}

/// The plan was made before someone changed a person, or another sync ran: nothing was written.
pub fn stale(context: &Context, why: &str) -> String {
    let body = markup! {
        p.notice role="alert" { (why) }
        div.card {
            p { "Nothing was written. Plan again to see the people as they are now; your choices \
                 are kept where the values are the same." }
            (form(context, "plan", "plan", 0, markup! {
                div.actions { button.primary type="submit" { "Plan again" } }
            }))
        }
    };
    page(context, Step::Synchronize, "The people changed since this plan was made", body)
}

/// The result: the writes done (the progress bar at its end), the report email's content,
/// whether it was emailed, or why nothing was written. `heading` says how it went.
pub fn result(
    context: &Context,
    heading: &str,
    progress: (usize, usize),
    card: Option<&str>,
    messages: &[String],
) -> String {
    let (done, total) = progress;
    let body = markup! {
        div.card { (progress_bar(done, total, None)) }
        @for message in messages { p.notice role="status" { (message) } }
        @if let Some(card) = card {
            // The report email's own content (escaped when it was made), as the email shows it.
            div.report-card { (PreEscaped(card)) }
        }
    };
    page_with(context, Step::Synchronize, heading, body, Kind::Standalone)
}

/// A refusal: an unknown decision, person or choice, an old page, a missing token.
pub fn refusal(context: &Context, heading: &str, why: &str, back: bool) -> String {
    let body = markup! {
        p.error role="alert" { (why) }
        @if back { p { a href=(context.link("")) { "Back to the review" } } }
    };
    page(context, Step::Start, heading, body)
}
