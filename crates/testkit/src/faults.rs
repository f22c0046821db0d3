//! Injected faults: throttling, server errors and dropped connections, by rate or by request number.
//!
//! A [`FaultRule`] says *what* goes wrong ([`Fault`]), *when* ([`Trigger`]) and *where* (a set of
//! [`Route`]s; by default every route but the token endpoint). Each rule numbers the requests it
//! applies to, from 1, so `FaultRule::throttle(2).on_requests([2])` with
//! `.on_routes([Route::ListUsers])` throttles the second list page whatever else was asked in
//! between. Rate triggers draw from a random stream seeded by the fake's `fault_seed` and the
//! request's number, so a run can be repeated exactly. The first rule that fires wins.
//!
//! Faults are decided when a request arrives, before its token is checked and before it is carried
//! out, so a faulted request (other than [`Fault::DropAfterApply`]) changes nothing. Requests that
//! answer 401 or 404 still take a number.

use crate::Route;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::time::Duration;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with a `Retry-After` header of this many whole seconds, and the
    /// service's throttling error body.
    Throttle {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// A server error with this status (500, 502, 503, 504 ...) and the service's error body.
    ServerError {
        /// The HTTP status.
        status: u16,
    },
    /// The connection is closed after the request was read, without any response (the request has
    /// no effect). Inside a Graph `$batch`, where a single inner request cannot drop the
    /// connection, it answers `504 Gateway Timeout` instead.
    DropConnection,
    /// Like [`DropConnection`](Self::DropConnection), but the request is carried out first (a
    /// write is applied), as when a connection fails after the server did the work: what a retry
    /// of a creation must survive. Inside a Graph `$batch` the inner request is carried out and
    /// answers `504 Gateway Timeout`.
    DropAfterApply,
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Trigger {
    /// On each request with this probability (0.0 to 1.0), drawn from the seeded stream.
    Rate(f64),
    /// On exactly these request numbers (1-based, counted over the requests the rule applies to).
    Requests(BTreeSet<u64>),
    /// On every n-th request (n, 2n, 3n ...).
    Every(u64),
    /// On every request.
    Always,
}

/// One fault-injection rule; build it with [`FaultRule::throttle`], [`FaultRule::server_error`] or
/// [`FaultRule::drop_connection`], then say when.
///
/// ```
/// use testkit::{FaultRule, Route};
/// // The 2nd and 3rd list pages answer 429 with Retry-After: 1.
/// let rule = FaultRule::throttle(1).on_requests([2, 3]).on_routes([Route::ListUsers]);
/// // One request in ten (token requests excluded) answers 503.
/// let noisy = FaultRule::server_error(503).at_rate(0.1);
/// # let _ = (rule, noisy);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// What goes wrong.
    pub fault: Fault,
    /// When.
    pub trigger: Trigger,
    /// The routes the rule applies to; `None` means every route but [`Route::Token`].
    pub routes: Option<BTreeSet<Route>>,
}

impl FaultRule {
    /// A rule that answers 429 with `Retry-After: retry_after_secs` (fires always until told when).
    pub fn throttle(retry_after_secs: u64) -> Self {
        Self::new(Fault::Throttle { retry_after_secs })
    }

    /// A rule that answers this 5xx status (fires always until told when).
    pub fn server_error(status: u16) -> Self {
        Self::new(Fault::ServerError { status })
    }

    /// A rule that drops the connection (fires always until told when).
    pub fn drop_connection() -> Self {
        Self::new(Fault::DropConnection)
    }

    /// A rule that carries the request out, then drops the connection (fires always until told
    /// when).
    pub fn drop_after_apply() -> Self {
        Self::new(Fault::DropAfterApply)
    }

    /// A rule for any [`Fault`].
    pub fn new(fault: Fault) -> Self {
        FaultRule { fault, trigger: Trigger::Always, routes: None }
    }

    /// Fires on these request numbers (1-based, among the requests the rule applies to).
    #[must_use]
    pub fn on_requests(mut self, numbers: impl IntoIterator<Item = u64>) -> Self {
        self.trigger = Trigger::Requests(numbers.into_iter().collect());
        self
    }

    /// Fires on each request with this probability.
    #[must_use]
    pub fn at_rate(mut self, probability: f64) -> Self {
        self.trigger = Trigger::Rate(probability);
        self
    }

    /// Fires on every n-th request.
    #[must_use]
    pub fn every(mut self, n: u64) -> Self {
        self.trigger = Trigger::Every(n);
        self
    }

    /// Applies only to these routes (include [`Route::Token`] to hit the token endpoint too).
    #[must_use]
    pub fn on_routes(mut self, routes: impl IntoIterator<Item = Route>) -> Self {
        self.routes = Some(routes.into_iter().collect());
        self
    }

    fn applies_to(&self, route: Route) -> bool {
        match &self.routes {
            Some(routes) => routes.contains(&route),
            None => route != Route::Token,
        }
    }

    fn fires(&self, seed: u64, rule: usize, number: u64) -> bool {
        match &self.trigger {
            Trigger::Always => true,
            Trigger::Every(n) => *n > 0 && number.is_multiple_of(*n),
            Trigger::Requests(numbers) => numbers.contains(&number),
            Trigger::Rate(p) => {
                let mix = seed
                    ^ (rule as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    ^ number.wrapping_mul(0xD1B5_4A32_D192_ED03);
                StdRng::seed_from_u64(mix).random::<f64>() < *p
            }
        }
    }
}

/// The fault rules of one fake, each with how many requests it has seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultEngine {
    rules: Vec<(FaultRule, u64)>,
    seed: u64,
}

impl FaultEngine {
    pub(crate) fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        FaultEngine { rules: rules.into_iter().map(|r| (r, 0)).collect(), seed }
    }

    /// The fault the next request of this route would get, without counting it.
    pub(crate) fn peek(&self, route: Route) -> Option<Fault> {
        self.rules.iter().enumerate().find_map(|(i, (rule, seen))| {
            (rule.applies_to(route) && rule.fires(self.seed, i, seen + 1))
                .then(|| rule.fault.clone())
        })
    }

    /// Counts a request of this route and returns its fault, if any.
    pub(crate) fn next(&mut self, route: Route) -> Option<Fault> {
        let seed = self.seed;
        let mut fault = None;
        for (i, (rule, seen)) in self.rules.iter_mut().enumerate() {
            if rule.applies_to(route) {
                *seen += 1;
                if fault.is_none() && rule.fires(seed, i, *seen) {
                    fault = Some(rule.fault.clone());
                }
            }
        }
        fault
    }
}

/// Rounds a wait up to whole seconds, at least one (what `Retry-After` carries).
pub(crate) fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_numbers_count_only_matching_routes() {
        let mut engine = FaultEngine::new(
            vec![FaultRule::throttle(1).on_requests([2]).on_routes([Route::ListUsers])],
            0,
        );
        assert_eq!(engine.next(Route::ListUsers), None);
        assert_eq!(engine.next(Route::GetUser), None);
        assert!(engine.peek(Route::ListUsers).is_some());
        assert_eq!(engine.next(Route::ListUsers), Some(Fault::Throttle { retry_after_secs: 1 }));
        assert_eq!(engine.next(Route::ListUsers), None);
    }

    #[test]
    fn rates_are_reproducible() {
        let draw = |seed| {
            let mut engine =
                FaultEngine::new(vec![FaultRule::server_error(503).at_rate(0.3)], seed);
            (0..200).map(|_| engine.next(Route::GetUser).is_some()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        let hits = draw(7).into_iter().filter(|h| *h).count();
        assert!((30..90).contains(&hits), "{hits}");
    }

    #[test]
    fn token_is_spared_by_default() {
        let mut engine = FaultEngine::new(vec![FaultRule::server_error(500)], 0);
        assert_eq!(engine.next(Route::Token), None);
        assert!(engine.next(Route::ListUsers).is_some());
    }
}
