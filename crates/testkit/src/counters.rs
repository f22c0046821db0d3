//! Request counters: what a fake was asked, readable by tests and benchmarks.

use crate::Route;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Live counters, shared by a fake's responders (lock-free).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    routes: [AtomicU64; Route::ALL.len()],
    http: AtomicU64,
    batched: AtomicU64,
    faults: AtomicU64,
    dropped: AtomicU64,
    throttled: AtomicU64,
    unauthorized: AtomicU64,
    length_required: AtomicU64,
}

impl Counters {
    /// Counts one HTTP request of this route.
    pub(crate) fn http(&self, route: Route) {
        self.http.fetch_add(1, Relaxed);
        self.routes[route.index()].fetch_add(1, Relaxed);
    }

    /// Counts one inner request of a batch.
    pub(crate) fn batched(&self, route: Route) {
        self.batched.fetch_add(1, Relaxed);
        self.routes[route.index()].fetch_add(1, Relaxed);
    }

    pub(crate) fn fault(&self) {
        self.faults.fetch_add(1, Relaxed);
    }

    pub(crate) fn dropped(&self) {
        self.dropped.fetch_add(1, Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Relaxed);
    }

    pub(crate) fn unauthorized(&self) {
        self.unauthorized.fetch_add(1, Relaxed);
    }

    pub(crate) fn length_required(&self) {
        self.length_required.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        RequestCounts {
            routes: Route::ALL
                .iter()
                .map(|r| (*r, self.routes[r.index()].load(Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            http_requests: self.http.load(Relaxed),
            batched: self.batched.load(Relaxed),
            faults_injected: self.faults.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            throttled_by_budget: self.throttled.load(Relaxed),
            unauthorized: self.unauthorized.load(Relaxed),
            length_required: self.length_required.load(Relaxed),
        }
    }

    pub(crate) fn reset(&self) {
        for counter in &self.routes {
            counter.store(0, Relaxed);
        }
        for counter in [
            &self.http,
            &self.batched,
            &self.faults,
            &self.dropped,
            &self.throttled,
            &self.unauthorized,
            &self.length_required,
        ] {
            counter.store(0, Relaxed);
        }
    }
}

/// A snapshot of a fake's counters, from `FakeGraph::counts()` or `FakeHuma::counts()`.
///
/// Every request is counted on arrival, whatever it was answered (faults, 401s and 404s included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestCounts {
    /// Requests per route. An inner request of a Graph `$batch` counts under its own route (a
    /// batched PATCH under [`Route::UpdateUser`]) as well as in [`batched`](Self::batched).
    pub routes: BTreeMap<Route, u64>,
    /// HTTP requests received (a `$batch` counts once, whatever it holds).
    pub http_requests: u64,
    /// Inner requests of Graph `$batch`es.
    pub batched: u64,
    /// Requests answered with an injected fault (429, 5xx or a dropped connection).
    pub faults_injected: u64,
    /// Of those, requests whose connection was dropped.
    pub dropped: u64,
    /// Writes refused with 429 by Graph's write budget.
    pub throttled_by_budget: u64,
    /// Requests refused with 401 for a missing, unknown or expired access token.
    pub unauthorized: u64,
    /// Writes (`POST`, `PUT`, `PATCH`) refused with 411 Length Required: they carried neither
    /// `Content-Length` nor chunked `Transfer-Encoding`, which the services' front ends need.
    pub length_required: u64,
}

impl RequestCounts {
    /// Requests of one route (HTTP and batched).
    pub fn get(&self, route: Route) -> u64 {
        self.routes.get(&route).copied().unwrap_or(0)
    }
}
