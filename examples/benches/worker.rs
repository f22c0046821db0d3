//! Organisations per minute through `sync worker --once`, with 1, 2 and 4 worker processes
//! sharing one PostgreSQL database.
//!
//! ```text
//! cargo bench -p dirsync-examples --bench worker
//! cargo bench -p dirsync-examples --bench worker -- --orgs 50 --workers 1,2 --latency-ms 20
//! ```
//!
//! Each organisation is the demo company (about 50 people, a first sync with updates on both
//! sides and three people created in Azure AD) in a fake Huma and a fake Graph of its own, with
//! `--latency-ms` on every request; the workers are the `sync` program (`dirsync-sync`) in
//! processes of their own, `--concurrency` organisations at a time each (default 4, the
//! program's), all started together; the time is from their start to the last one's end. Each
//! worker count is measured in a child process of this program, with new fakes and a new
//! throwaway PostgreSQL cluster (testkit's), which ends without taking its hundreds of fake
//! servers down one by one. Nothing is asserted beyond every organisation synced once: this
//! measures.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::pg::{Db, organisation_table, settled_keys, wait, worker};
use dirsync_examples::demo::DemoOrg;
use std::time::{Duration, Instant};

struct Args {
    orgs: usize,
    workers: Vec<usize>,
    latency: Duration,
    concurrency: usize,
    /// Be the child that measures this many workers.
    child: Option<usize>,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            orgs: 200,
            workers: vec![1, 2, 4],
            latency: Duration::from_millis(20),
            concurrency: 4,
            child: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut value = || it.next().unwrap_or_default();
            match arg.as_str() {
                "--orgs" => args.orgs = value().parse().unwrap(),
                "--workers" => {
                    args.workers =
                        value().split(',').filter_map(|n| n.trim().parse().ok()).collect();
                }
                "--latency-ms" => args.latency = Duration::from_millis(value().parse().unwrap()),
                "--concurrency" => args.concurrency = value().parse().unwrap(),
                "--child" => args.child = value().parse().ok(),
                // What cargo bench passes to every bench binary.
                "--bench" => {}
                other => eprintln!("ignoring unknown argument {other:?}"),
            }
        }
        args
    }

    /// The arguments of the child that measures `n` workers.
    fn child_args(&self, n: usize) -> Vec<String> {
        let latency = self.latency.as_millis().to_string();
        let (orgs, concurrency) = (self.orgs.to_string(), self.concurrency.to_string());
        let args = ["--child", &n.to_string(), "--orgs", &orgs, "--latency-ms", &latency];
        let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        args.extend(["--concurrency".to_owned(), concurrency]);
        args
    }
}

/// `n` workers over `orgs` new organisations in a new database: how long they took, how many
/// organisations they synced between them, and the fakes (for the caller to leave alone).
async fn measure(args: &Args, db: &Db, n: usize) -> (Duration, usize, Vec<DemoOrg>) {
    let mut orgs = String::new();
    let mut fakes = Vec::with_capacity(args.orgs);
    for i in 1..=args.orgs {
        let org = DemoOrg::start().await;
        org.huma.set_latency(args.latency);
        org.graph.set_latency(args.latency);
        orgs.push_str(&organisation_table(&format!("org{i:03}"), &org, &settled_keys()));
        fakes.push(org);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orgs.toml");
    std::fs::write(&file, orgs).unwrap();
    let concurrency = args.concurrency.to_string();
    let started = Instant::now();
    let workers: Vec<_> = (0..n)
        .map(|_| worker(&db.url, &file, &["--concurrency", &concurrency]).spawn().unwrap())
        .collect();
    let ended =
        tokio::task::spawn_blocking(move || workers.into_iter().map(wait).collect::<Vec<_>>());
    let ended = ended.await.unwrap();
    let took = started.elapsed();
    let mut synced = 0;
    for ran in &ended {
        assert_eq!(ran.code, Some(0), "{ran}");
        synced += ran.out.lines().filter(|line| line.contains(": synced in ")).count();
    }
    (took, synced, fakes)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(str::to_owned))
        .map(|l| l.split(':').nth(1).unwrap_or_default().trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cpu}, {cores} cores available")
}

/// The child: measures `n` workers and prints `took_ms synced`, then ends at once.
fn child(args: &Args, n: usize) -> ! {
    let Some(db) = Db::new() else { std::process::exit(3) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (took, synced, _fakes) = runtime.block_on(measure(args, &db, n));
    println!("{} {synced}", took.as_millis());
    // The fakes are left to the end of the process: taking down hundreds of them one by one
    // takes longer than the measurement.
    std::process::exit(0)
}

fn main() {
    let args = Args::parse();
    if let Some(n) = args.child {
        child(&args, n);
    }
    println!("# sync worker --once: organisations per minute");
    println!("machine: {}", machine());
    println!(
        "{} organisations of the demo company (about 50 people each; a first sync), {} ms on \
         every request of their fakes; each worker {} organisations at a time",
        args.orgs,
        args.latency.as_millis(),
        args.concurrency
    );
    for &n in &args.workers {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(args.child_args(n))
            .stderr(std::process::Stdio::inherit())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        let numbers: Vec<u64> = said.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        let [took_ms, synced] = numbers[..] else {
            println!("{n} worker(s): no measurement ({}): {said}", output.status);
            continue;
        };
        assert_eq!(synced as usize, args.orgs, "every organisation synced once");
        let seconds = took_ms as f64 / 1000.0;
        println!(
            "{n} worker(s): {synced} organisations in {seconds:.1} s: {:.0} organisations per \
             minute",
            synced as f64 / seconds * 60.0
        );
    }
}
