//! Peak memory of one reconciliation, against the size of its input.
//!
//! `cargo bench -p dirsync --bench reconcile_memory [-- PEOPLE]` (default 1,000,000 per side)
//! prints the resident memory the snapshots take, and how much more the engine needs at its peak.
//! Linux only: it reads `/proc/self/status`.

mod support;

use dirsync::{
    plan::reconcile,
    policy::{ConflictRule, CreationRule, Policy},
};
use std::hint::black_box;

/// A value in kB from `/proc/self/status` (`VmRSS`, `VmHWM`).
fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (nanoseconds): on a shared
/// machine it is steadier than wall time, which also counts the time others hold the CPU.
fn cpu_time() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = stat.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    std::time::Duration::from_nanos(nanos)
}

/// Resets the peak so that `VmHWM` measures from here on.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let people: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let mode = args.iter().find(|a| *a == "steady" || *a == "first-run");
    match mode {
        Some(mode) => measure(people, mode == "steady"),
        // Each mode in a process of its own, so memory freed by one does not hide the other's.
        None => {
            for mode in ["steady", "first-run"] {
                let status = std::env::current_exe().and_then(|exe| {
                    std::process::Command::new(exe).arg(people.to_string()).arg(mode).status()
                });
                if !status.as_ref().is_ok_and(|s| s.success()) {
                    eprintln!("the {mode} measurement failed: {status:?}");
                }
            }
        }
    }
}

fn measure(people: usize, linked: bool) {
    let policy = Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::All,
        ..Policy::default()
    };
    let before = status_kb("VmRSS:").unwrap_or(0);
    let (hr, idp, state) = support::organisation(people, linked);
    let with_input = status_kb("VmRSS:").unwrap_or(0);
    reset_peak();
    let started = std::time::Instant::now();
    let cpu_before = cpu_time();
    let plan = black_box(reconcile(&hr, &idp, &state, &policy));
    let elapsed = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let peak = status_kb("VmHWM:").unwrap_or(0);
    let input = with_input.saturating_sub(before);
    let extra = peak.saturating_sub(with_input);
    println!(
        "{:<9} {people} per side: input {} MB (snapshots and state), engine peak +{} MB \
         ({:.2}x the input), {} pairs, {} changes, {} creations, in {:.2?} ({:.2?} of CPU)",
        if linked { "steady" } else { "first run" },
        input / 1024,
        extra / 1024,
        extra as f64 / input.max(1) as f64,
        plan.pairs.len(),
        plan.changes.len(),
        plan.creations.len(),
        elapsed,
        cpu,
    );
}
