//! Small things every crate's tests need.

use dirsync_runtime::RetryPolicy;
use std::io::{self, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
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

/// A buffer that keeps everything written to it, shared by its clones: a program's output, or a
/// log (`tracing_subscriber::fmt().with_writer(move || captured.clone())`), read back with
/// [`Captured::text`].
///
/// ```
/// use std::io::Write;
/// let captured = testkit::Captured::default();
/// writeln!(captured.clone(), "hello").unwrap();
/// assert_eq!(captured.text(), "hello\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text (bytes that are not UTF-8 replaced).
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
