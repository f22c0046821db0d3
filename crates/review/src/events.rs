//! The progress as server-sent events: `progress` (`{"done":N,"total":M,"status":"…"}`) while
//! the writes run, then one `end` (`report` when the result is ready, `start` when the page
//! should show the review again: a new plan, or a plan that no longer holds).

use crate::routes::App;
use crate::stage::Stage;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use tokio::sync::watch;

/// What the stream carries from one event to the next: the review, its changes, and whether an
/// event was sent already (then the next waits for a change).
type Next = (App, watch::Receiver<u64>, bool);

/// The events of one page that waits: for the plan, or for the writes.
pub(crate) async fn events(
    State(app): State<App>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = app.shared.watch();
    let start: Option<Next> = Some((app, changes, false));
    let stream = futures::stream::unfold(start, |state| async move {
        let (app, mut changes, sent) = state?;
        if sent {
            changes.changed().await.ok()?;
        }
        loop {
            changes.borrow_and_update();
            match app.shared.stage() {
                Stage::Planning => changes.changed().await.ok()?,
                Stage::Checking | Stage::Applying => {
                    let p = app.shared.progress();
                    let data =
                        serde_json::json!({"done": p.done, "total": p.total, "status": p.status});
                    let event = Event::default().event("progress").data(data.to_string());
                    return Some((Ok(event), Some((app, changes, true))));
                }
                Stage::Done(_) => {
                    return Some((Ok(Event::default().event("end").data("report")), None));
                }
                _ => return Some((Ok(Event::default().event("end").data("start")), None)),
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
