//! `StopSignals::listen` against the process's own signals. A test binary of its own: the
//! signals go to the whole process, and once listened for they no longer end it, so no other
//! test can be in the way of (or be ended by) what this one sends.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dirsync_postgres::StopSignals;
use std::time::Duration;

/// Sends `signal` to this process with kill(1), which needs no unsafe code.
fn send(signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &std::process::id().to_string()])
        .status()
        .expect("kill(1) runs");
    assert!(status.success(), "kill -{signal} was sent");
}

#[tokio::test]
async fn sigterm_then_ctrl_c_stop_then_abort_and_leave_the_process_running() {
    let signals = StopSignals::listen();
    send("TERM");
    tokio::time::timeout(Duration::from_secs(30), signals.first())
        .await
        .expect("SIGTERM is the first signal");
    let second = tokio::time::timeout(Duration::from_millis(100), signals.second());
    assert!(second.await.is_err(), "one signal does not abort");
    send("INT");
    tokio::time::timeout(Duration::from_secs(30), signals.second())
        .await
        .expect("Ctrl-C (SIGINT) is the second");
    assert_eq!(signals.count(), 2);
}
