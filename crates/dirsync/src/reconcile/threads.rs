//! Spreading the engine's largest steps over the machine's threads.
//!
//! Work is split into chunks in a fixed order and the results are put back in that order, so the
//! plan is the same on any number of threads.

use std::num::NonZero;

/// Items (pairs, records) per thread below which another thread costs more than it saves.
const MIN_PER_THREAD: usize = 50_000;

/// How many threads `items` items are worth: one per [`MIN_PER_THREAD`], at most as many as the
/// machine offers this process.
pub(super) fn for_items(items: usize) -> usize {
    let available = std::thread::available_parallelism().map_or(1, NonZero::get);
    (items / MIN_PER_THREAD).clamp(1, available)
}

/// `work` on each of `threads` chunks of `items`, given the chunk's offset; the first chunk on
/// this thread, the others on threads of their own. The results come back in chunk order.
pub(super) fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let size = items.len().div_ceil(threads.max(1)).max(1);
    if size >= items.len() {
        return vec![work(0, items)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let others: Vec<_> = (size..items.len())
            .step_by(size)
            .map(|offset| {
                let chunk = &items[offset..(offset + size).min(items.len())];
                scope.spawn(move || work(offset, chunk))
            })
            .collect();
        let mut results = vec![work(0, &items[..size])];
        results.extend(others.into_iter().map(join));
        results
    })
}

/// `a` and `b` at once when `parallel`, `b` on a thread of its own; else one after the other.
pub(super) fn both<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let b = scope.spawn(b);
        let a = a();
        (a, join(b))
    })
}

/// The result of a scoped thread; its panic, if it panicked, goes on in this thread.
fn join<R>(handle: std::thread::ScopedJoinHandle<'_, R>) -> R {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_order_whatever_the_threads() {
        let items: Vec<usize> = (0..103).collect();
        for threads in [0, 1, 2, 3, 7, 103, 500] {
            let chunks = map_chunks(&items, threads, |offset, chunk| (offset, chunk.to_vec()));
            assert!(chunks.len() <= threads.max(1), "{threads} threads");
            assert!(chunks.iter().all(|(offset, chunk)| chunk[0] == *offset));
            let joined: Vec<usize> = chunks.into_iter().flat_map(|(_, chunk)| chunk).collect();
            assert_eq!(joined, items, "{threads} threads");
        }
        assert_eq!(map_chunks(&[] as &[u8], 4, |_, chunk| chunk.len()), [0]);
    }

    #[test]
    fn both_gives_both_results_either_way() {
        for parallel in [false, true] {
            assert_eq!(both(parallel, || 1, || "b"), (1, "b"));
        }
    }

    #[test]
    fn a_panic_on_another_thread_reaches_the_caller() {
        let outcome = std::panic::catch_unwind(|| {
            map_chunks(&[1, 2, 3, 4], 2, |offset, _| assert!(offset == 0, "chunk at {offset}"))
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn small_work_stays_on_one_thread() {
        assert_eq!(for_items(0), 1);
        assert_eq!(for_items(MIN_PER_THREAD - 1), 1);
    }
}
