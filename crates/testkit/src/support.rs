//! Small things every crate's tests need.

use dirsync_runtime::RetryPolicy;
use std::net::TcpListener;
use std::time::Duration;

/// Retries with waits too short to notice: three attempts, 1 ms growing to at most 20 ms.
/// A test that counts attempts sets `max_attempts` over it.
#[must_use]
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(60),
    }
}

/// A loopback port nobody listens on at the moment of asking.
///
/// # Panics
/// When the machine has no free loopback port.
#[must_use]
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port is free");
    listener.local_addr().expect("a bound listener has an address").port()
}
