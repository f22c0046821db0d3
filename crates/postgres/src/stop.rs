//! The two-stage stop of a worker process: the first Ctrl-C or SIGTERM stops it taking up
//! organisations and lets the syncs under way finish; the second ends them at once.

use futures::{Stream, StreamExt};
use std::future::Future;
use tokio::sync::watch;

#[cfg(doc)]
use crate::Worker;

/// The stop signals of a worker process, counted: [`StopSignals::first`] is ready at the first
/// (give it to [`Worker::run`] or [`Worker::round`] as `stop`, so that no further organisation
/// is taken up and those under way finish and let their leases go), [`StopSignals::second`] at
/// the second (drop the worker's future then: its runs end at once, and their leases with their
/// connections). A service manager sends SIGTERM and, when the process is still there after its
/// timeout, SIGKILL; a person at a terminal presses Ctrl-C twice.
///
/// ```no_run
/// # use dirsync_postgres::{OrgJob, PostgresDatabase, StopSignals, Worker};
/// # async fn run(db: PostgresDatabase, jobs: Vec<Box<dyn OrgJob>>) {
/// use std::time::Duration;
/// let signals = StopSignals::listen();
/// let worker = Worker::new(db, Duration::from_secs(3600));
/// tokio::select! {
///     () = worker.run(&jobs, signals.first(), |done| println!("{}: {}", done.key, done.status())) => {
///         println!("stopped: the syncs under way finished");
///     }
///     () = signals.second() => println!("stopped at once"),
/// }
/// # }
/// ```
///
/// Clones count the same signals.
#[derive(Debug, Clone)]
pub struct StopSignals {
    counted: watch::Receiver<u32>,
}

impl StopSignals {
    /// Counts Ctrl-C (SIGINT) and, on Unix, SIGTERM from now on. Once a signal is listened for
    /// here it no longer ends the process by itself, for as long as the process runs: the
    /// process ends when its own code returns. A signal that cannot be listened for (the
    /// operating system refused) is left to end the process as before.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn listen() -> StopSignals {
        StopSignals::counting(os_signals())
    }

    /// Counts the items of `signals`, one signal each, instead of the process's: for a
    /// service that handles signals itself (or stops for reasons of its own), and for tests.
    /// Once `signals` ends, no further signal is counted.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn counting(signals: impl Stream<Item = ()> + Send + 'static) -> StopSignals {
        let (count, counted) = watch::channel(0u32);
        tokio::spawn(async move {
            let mut signals = std::pin::pin!(signals);
            while signals.next().await.is_some() {
                count.send_modify(|n| *n = n.saturating_add(1));
            }
        });
        StopSignals { counted }
    }

    /// Ready once the first signal has come (at once, when it already has); never, when none
    /// comes or none can be counted.
    pub fn first(&self) -> impl Future<Output = ()> + Send + 'static {
        self.nth(1)
    }

    /// Ready once the second signal has come (at once, when it already has); never, when it
    /// does not come or cannot be counted.
    pub fn second(&self) -> impl Future<Output = ()> + Send + 'static {
        self.nth(2)
    }

    /// How many signals have come so far.
    pub fn count(&self) -> u32 {
        *self.counted.borrow()
    }

    /// Ready once `n` signals have come.
    fn nth(&self, n: u32) -> impl Future<Output = ()> + Send + 'static {
        let mut counted = self.counted.clone();
        async move {
            // An error means the counting ended below `n`: then `n` is never reached.
            if counted.wait_for(|count| *count >= n).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM as they come. Both are listened for before this returns, so
/// that neither can end the process between here and the first poll.
#[cfg(unix)]
fn os_signals() -> impl Stream<Item = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [SignalKind::interrupt(), SignalKind::terminate()];
    let each = kinds.into_iter().filter_map(|kind| signal(kind).ok()).map(|listening| {
        futures::stream::unfold(listening, |mut listening| async move {
            listening.recv().await.map(|()| ((), listening))
        })
        .boxed()
    });
    futures::stream::select_all(each)
}

/// Ctrl-C as it comes.
#[cfg(not(unix))]
fn os_signals() -> impl Stream<Item = ()> + Send + 'static {
    futures::stream::unfold((), |()| async {
        tokio::signal::ctrl_c().await.ok().map(|()| ((), ()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use tokio::sync::mpsc;

    /// Signals sent through a channel, counted: a test's stand-in for the process's own.
    fn signals() -> (mpsc::UnboundedSender<()>, StopSignals) {
        let (send, mut receive) = mpsc::unbounded_channel();
        let stream = futures::stream::poll_fn(move |cx| receive.poll_recv(cx));
        (send, StopSignals::counting(stream))
    }

    /// Lets the counting task take what was sent.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn the_first_signal_stops_and_only_the_second_aborts() {
        let (send, signals) = signals();
        let (mut first, mut second) = (Box::pin(signals.first()), Box::pin(signals.second()));
        settle().await;
        assert!((&mut first).now_or_never().is_none(), "nothing before a signal");
        send.send(()).ok();
        settle().await;
        assert!((&mut first).now_or_never().is_some(), "the first signal stops");
        assert!((&mut second).now_or_never().is_none(), "one signal does not abort");
        assert_eq!(signals.count(), 1);
        send.send(()).ok();
        settle().await;
        assert!((&mut second).now_or_never().is_some(), "the second signal aborts");
        assert_eq!(signals.count(), 2);
    }

    #[tokio::test]
    async fn a_signal_that_came_before_the_wait_is_not_missed() {
        let (send, signals) = signals();
        send.send(()).ok();
        send.send(()).ok();
        settle().await;
        assert!(signals.first().now_or_never().is_some());
        assert!(signals.clone().second().now_or_never().is_some(), "clones count the same");
    }

    #[tokio::test]
    async fn when_signals_can_no_longer_be_counted_what_has_not_come_never_does() {
        let signals = StopSignals::counting(futures::stream::iter([()]));
        settle().await;
        assert!(signals.first().now_or_never().is_some(), "the one signal counts");
        let second = tokio::time::timeout(std::time::Duration::from_millis(50), signals.second());
        assert!(second.await.is_err(), "the second never comes: no busy loop, no panic");
    }
}
