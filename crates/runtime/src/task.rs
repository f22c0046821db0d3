//! A client's long read as a task of its own on the runtime.

use std::future::Future;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Runs `future` as a task of its own on the current tokio runtime and waits for its output.
///
/// A read of thousands of requests is cheaper there than on the thread that awaits it: an
/// awaiting thread outside the runtime's workers (the one in `Runtime::block_on`) must be woken
/// from another thread for every answer, while a task is woken on the worker that read the
/// answer. Dropping the returned future aborts the task; a panic in it is resumed here; the
/// current span goes with it.
///
/// # Panics
/// Outside a tokio runtime (the clients' HTTP connections need one anyway).
pub async fn spawned<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut task = AbortOnDrop(tokio::spawn(future.in_current_span()));
    match (&mut task.0).await {
        Ok(output) => output,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Dropping this future is the only abort; else the runtime is shutting down.
            Err(error) => panic!("the runtime stopped a task under way: {error}"),
        },
    }
}

/// Aborts the task when dropped, so that a read nobody waits for stops.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn gives_the_output() {
        assert_eq!(spawned(async { 6 * 7 }).await, 42);
    }

    #[tokio::test]
    async fn a_panic_comes_through() {
        let outer = tokio::spawn(spawned(async { panic!("inside") }));
        let panic = outer.await.unwrap_err().into_panic();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"inside"));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_it_stops_the_task() {
        let finished = Arc::new(AtomicBool::new(false));
        let read = spawned({
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                finished.store(true, Ordering::SeqCst);
            }
        });
        assert!(tokio::time::timeout(Duration::from_secs(1), read).await.is_err());
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!finished.load(Ordering::SeqCst));
    }
}
