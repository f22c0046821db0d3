//! End-to-end sync benchmark against the testkit fakes, measured against a lower bound.
//!
//! ```text
//! cargo bench -p dirsync-e2e --bench sync                         # 1k and 10k
//! cargo bench -p dirsync-e2e --bench sync -- --sizes 100000 --incremental
//! ```
//!
//! Options: `--sizes 1000,10000` (people), `--latency-ms 20` (on every route of both fakes),
//! `--huma-concurrency N`, `--graph-concurrency N`, `--apply-concurrency N` (default: what the
//! `sync` program uses, 16, 4 and 4), `--budget-scale 1` (Graph's write budget, 3,000 writes per
//! 150 s, run this many times faster on both the fake and the client; 1, the default, is the
//! real budget), `--incremental` (after the full sync of the last size: a delta-based sync with
//! 1% of the people changed in Azure AD).
//!
//! For each size it prints the wall time of one full sync, the lower bound the APIs allow with
//! the configured concurrency, the requests made (from the fakes' counters) and the fewest a sync
//! can make, and the process's peak resident memory during the sync. Nothing is asserted: this
//! measures.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use dirsync::store::SyncState;
use dirsync_e2e::fakes::{FakeSettings, Fakes};
use dirsync_e2e::flow::{self, SyncOptions, SyncRun, Tuning};
use dirsync_e2e::memory;
use dirsync_e2e::world::{Expected, Kind, World, email};
use std::time::{Duration, Instant};
use testkit::{RequestCounts, Route};

#[derive(Debug, Clone)]
struct Args {
    sizes: Vec<usize>,
    latency: Duration,
    huma_concurrency: usize,
    graph_concurrency: usize,
    apply_concurrency: usize,
    budget_scale: u32,
    incremental: bool,
    /// Measure the memory of a sync with the fakes in a child process, at this size.
    memory: Option<usize>,
    /// Be that child: serve seeded fakes of this size until told to quit.
    serve: Option<usize>,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            sizes: vec![1_000, 10_000],
            latency: Duration::from_millis(20),
            // The `sync` program's defaults.
            huma_concurrency: huma_api::DEFAULT_HUMA_CONCURRENCY,
            graph_concurrency: azure_graph::DEFAULT_GRAPH_CONCURRENCY,
            apply_concurrency: dirsync::apply::ApplyOptions::default().concurrency,
            budget_scale: 1,
            incremental: false,
            memory: None,
            serve: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut value = || it.next().unwrap_or_default();
            match arg.as_str() {
                "--sizes" => {
                    args.sizes = value().split(',').filter_map(|s| s.trim().parse().ok()).collect();
                }
                "--latency-ms" => args.latency = Duration::from_millis(value().parse().unwrap()),
                "--huma-concurrency" => args.huma_concurrency = value().parse().unwrap(),
                "--graph-concurrency" => args.graph_concurrency = value().parse().unwrap(),
                "--apply-concurrency" => args.apply_concurrency = value().parse().unwrap(),
                "--budget-scale" => args.budget_scale = value().parse::<u32>().unwrap().max(1),
                "--incremental" => args.incremental = true,
                "--memory" => args.memory = value().parse().ok(),
                "--serve-fakes" => args.serve = value().parse().ok(),
                // What cargo bench passes to every bench binary.
                "--bench" => {}
                other => eprintln!("ignoring unknown argument {other:?}"),
            }
        }
        args
    }

    /// Graph's write window, scaled.
    fn budget_window(&self) -> Duration {
        Duration::from_secs(150) / self.budget_scale
    }

    /// Graph's write budget, scaled.
    fn budget(&self) -> azure_graph::WriteBudget {
        azure_graph::WriteBudget { writes: 3_000, per: self.budget_window() }
    }
}

/// The fewest requests a sync of this population can make, per fake.
#[derive(Debug, Clone, Copy)]
struct Minimal {
    huma: u64,
    graph: u64,
}

/// The population's shape: people on each side and what must be written.
#[derive(Debug, Clone, Copy)]
struct Shape {
    hr: u64,
    idp: u64,
    expected: Expected,
}

impl Shape {
    fn minimal(&self, cursor: bool) -> Minimal {
        let e = self.expected;
        Minimal {
            // Token, list pages, one detail read per person, one PATCH per person updated.
            huma: 1 + self.hr.div_ceil(50) + self.hr + e.update_hr as u64,
            // Token, pages of 999, batches of 20 updates, and per creation the duplicate check
            // (a $filter GET) and the POST; a delta cursor is one more request.
            graph: 1
                + self.idp.div_ceil(999)
                + (e.update_idp as u64).div_ceil(20)
                + 2 * e.create_idp as u64
                + u64::from(cursor),
        }
    }

    /// The lower bound on wall time, from latency and the configured concurrency (see
    /// docs/performance.md).
    fn bound(&self, args: &Args) -> Bound {
        let l = args.latency.as_secs_f64();
        let e = self.expected;
        let ceil = |a: u64, b: usize| a.div_ceil(b.max(1) as u64) as f64;
        // Huma: the token, then the list pages one after another (each asked for only after the
        // one before came back full) and the details as the pages bring them, every request
        // sharing the client's `huma_concurrency`: at least the pages in a row plus the last
        // page's details, and at least every list and detail request `huma_concurrency` at once.
        let pages = self.hr.div_ceil(50);
        let huma_read =
            l * (1.0 + (pages as f64 + 1.0).max(ceil(pages + self.hr, args.huma_concurrency)));
        // Graph: the token, then one page after another.
        let graph_read = l * (1.0 + self.idp.div_ceil(999) as f64);
        let read = huma_read.max(graph_read);
        // Apply: Huma PATCHes and Graph batches are one request each, creations two in a row;
        // `apply_concurrency` units at once, `graph_concurrency` Graph requests at once.
        let batches = (e.update_idp as u64).div_ceil(20);
        let creates = e.create_idp as u64;
        let units = e.update_hr as u64 + batches + 2 * creates;
        let mut apply_latency = l * ceil(units, args.apply_concurrency)
            .max(ceil(batches + 2 * creates, args.graph_concurrency));
        if creates > 0 {
            apply_latency = apply_latency.max(2.0 * l);
        }
        // The write window: the client's allowance (the budget less its 1% margin) goes at once;
        // each further allowance waits for a whole window after the first writes.
        let writes = (e.update_idp + e.create_idp) as u64;
        let windows = |per: Duration| {
            let usable = u64::from(args.budget().usable());
            writes.saturating_sub(1).checked_div(usable).unwrap_or(0) as f64 * per.as_secs_f64()
        };
        let budget = windows(args.budget_window());
        let real_budget = windows(Duration::from_secs(150));
        Bound { read, apply: apply_latency.max(budget + l), budget, real_budget }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bound {
    read: f64,
    apply: f64,
    budget: f64,
    real_budget: f64,
}

impl Bound {
    fn total(&self) -> f64 {
        self.read + self.apply
    }
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| format!("{:.0}", b as f64 / 1e6))
}

fn tuning(args: &Args) -> Tuning {
    Tuning {
        huma_concurrency: args.huma_concurrency,
        graph_concurrency: args.graph_concurrency,
        apply_concurrency: args.apply_concurrency,
        write_budget: Some(args.budget()),
        timeout: Duration::from_secs(120),
        ..Tuning::default()
    }
}

fn requests(counts: &RequestCounts) -> u64 {
    counts.http_requests
}

fn routes(counts: &RequestCounts) -> String {
    counts.routes.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
}

async fn one_size(args: &Args, size: usize, incremental: bool) {
    let started = Instant::now();
    let world = World::generate(size);
    let shape =
        Shape { hr: world.hr.len() as u64, idp: world.idp.len() as u64, expected: world.expected };
    let settings = FakeSettings {
        write_budget: testkit::WriteBudget { writes: 3_000, window: args.budget_window() },
        ..FakeSettings::default()
    };
    let fakes = Fakes::start(&settings).await;
    fakes.seed(&world).unwrap();
    drop(world);
    println!("\n## {size} people (seeded in {:.1} s)", started.elapsed().as_secs_f64());

    let tuning = tuning(args);
    let clients = flow::connect(&fakes.endpoints(), &tuning).unwrap();
    let options = SyncOptions { keep_idp: incremental, ..SyncOptions::default().tuned(&tuning) };
    fakes.set_latency(args.latency);
    fakes.reset_counts();
    let peak_reset = memory::reset_peak();
    let before = memory::resident_bytes();
    let mut state = SyncState::new();
    let run = flow::full_sync(&clients, &mut state, &options).await.unwrap();
    let peak = memory::peak_resident_bytes();
    let (huma, graph) = fakes.counts();
    report_full(args, size, &shape, &run, &huma, &graph, incremental);
    println!(
        "memory: resident before the sync (fakes seeded, {size} people each) {} MB; peak during \
         the sync {} MB{}; so the sync itself added at most {} MB",
        mb(before),
        mb(peak),
        if peak_reset { "" } else { " (peak since start: clear_refs not available)" },
        mb(peak.zip(before).map(|(p, b)| p.saturating_sub(b)))
    );

    if incremental {
        incremental_runs(args, size, &fakes, &clients, &mut state, run, &options, &graph).await;
    }
}

#[allow(clippy::too_many_arguments)]
fn report_full(
    args: &Args,
    size: usize,
    shape: &Shape,
    run: &SyncRun,
    huma: &RequestCounts,
    graph: &RequestCounts,
    cursor: bool,
) {
    let minimal = shape.minimal(cursor);
    let bound = shape.bound(args);
    let wall = run.timings.total.as_secs_f64();
    let made = requests(huma) + requests(graph);
    let least = minimal.huma + minimal.graph;
    let c = run.report.counts;
    println!(
        "done: {} updated in Azure AD, {} in Huma, {} created in Azure AD, {} failed (expected {}, {}, {})",
        c.updated_in_idp,
        c.updated_in_hr,
        c.created_in_idp,
        c.failed,
        shape.expected.update_idp,
        shape.expected.update_hr,
        shape.expected.create_idp
    );
    println!("huma requests: {} ({}); minimal {}", requests(huma), routes(huma), minimal.huma);
    println!(
        "graph requests: {} ({}; {} inner batch requests, {} refused by the write budget); minimal {}",
        requests(graph),
        routes(graph),
        graph.batched,
        graph.throttled_by_budget,
        minimal.graph
    );
    println!(
        "steps: read {:.2} s (bound {:.2}), reconcile {:.2} s, apply {:.2} s (bound {:.2}, of which \
         waiting for the write window {:.2}); at the real budget the window's wait is {:.1} s",
        run.timings.read.as_secs_f64(),
        bound.read,
        run.timings.reconcile.as_secs_f64(),
        run.timings.apply.as_secs_f64(),
        bound.apply,
        bound.budget,
        bound.real_budget
    );
    println!(
        "| N | wall s | bound s | wall/bound | requests | minimal | requests/minimal |\n|---|---|---|---|---|---|---|\n| {size} | {wall:.2} | {:.2} | {:.3} | {made} | {least} | {:.4} |",
        bound.total(),
        wall / bound.total(),
        made as f64 / least as f64
    );
}

#[allow(clippy::too_many_arguments)]
async fn incremental_runs(
    args: &Args,
    size: usize,
    fakes: &Fakes,
    clients: &flow::Clients,
    state: &mut SyncState,
    full: SyncRun,
    options: &SyncOptions,
    full_graph: &RequestCounts,
) {
    let mut kept = full.kept.clone().unwrap();
    // The first incremental run brings in the full sync's own writes to Azure AD.
    fakes.reset_counts();
    let settle = flow::incremental_sync(clients, state, &mut kept, options).await.unwrap();
    let (_, graph) = fakes.counts();
    println!(
        "\nincremental 1 (the full sync's own writes come back through delta): {} Azure AD records \
         brought, {} Graph requests ({}), {} operations planned, {:.2} s",
        settle.idp_changes.unwrap_or(0),
        requests(&graph),
        routes(&graph),
        settle.plan.operations().map(|o| o.operations.len()).unwrap_or(0),
        settle.timings.total.as_secs_f64()
    );

    // 1% of the people change their family name in Azure AD (flows to Huma).
    let changed: Vec<usize> =
        (0..size).filter(|&i| Kind::of(i) == Kind::Same).step_by(100).take(size / 100).collect();
    for &i in &changed {
        fakes.graph.update_user(&email(i), |u| u.surname = Some(format!("Renamed{i}")));
    }
    fakes.reset_counts();
    let _ = args;
    let run = flow::incremental_sync(clients, state, &mut kept, options).await.unwrap();
    let (huma, graph) = fakes.counts();
    let graph_reads = graph.get(Route::Delta) + graph.get(Route::ListUsers);
    // The full sync's listings include one filtered look-up per creation (the duplicate check):
    // those are writes' companions, not the read.
    let full_reads =
        full_graph.get(Route::ListUsers).saturating_sub(full_graph.get(Route::CreateUser));
    println!(
        "incremental 2 ({} people changed in Azure AD, 1%): {} Azure AD records brought; Graph \
         requests {} ({}), Huma requests {}; {} updated in Huma, {} failed; {:.2} s (full sync {:.2} s)",
        changed.len(),
        run.idp_changes.unwrap_or(0),
        requests(&graph),
        routes(&graph),
        requests(&huma),
        run.report.counts.updated_in_hr,
        run.report.counts.failed,
        run.timings.total.as_secs_f64(),
        full.timings.total.as_secs_f64()
    );
    println!(
        "Graph read requests: incremental {graph_reads} / full {full_reads} = {:.3}; Graph requests \
         in all: incremental {} / full {} = {:.3}; wall time incremental / full = {:.3}",
        graph_reads as f64 / full_reads.max(1) as f64,
        requests(&graph),
        requests(full_graph),
        requests(&graph) as f64 / requests(full_graph).max(1) as f64,
        run.timings.total.as_secs_f64() / full.timings.total.as_secs_f64()
    );
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or_default().trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cpu}, {cores} cores available")
}

/// Child mode: seeded fakes without latency, their endpoints on the first line of standard output;
/// at end of input (or `quit`), their counters and this process's peak memory.
fn serve(args: &Args, size: usize) {
    use std::io::{BufRead, Write};
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let fakes = runtime.block_on(async {
        let settings = FakeSettings {
            write_budget: testkit::WriteBudget { writes: 3_000, window: args.budget_window() },
            ..FakeSettings::default()
        };
        let fakes = Fakes::start(&settings).await;
        fakes.seed(&World::generate(size)).unwrap();
        fakes
    });
    let endpoints = fakes.endpoints();
    println!("ENDPOINTS {} {}", endpoints.huma, endpoints.graph);
    std::io::stdout().flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        if line.map_or(true, |l| l.trim() == "quit") {
            break;
        }
    }
    let (huma, graph) = fakes.counts();
    println!(
        "fakes process: {} Huma requests, {} Graph requests; its peak resident memory {} MB",
        requests(&huma),
        requests(&graph),
        mb(memory::peak_resident_bytes())
    );
}

/// Memory mode: the fakes run in a child process, so this process's peak is the sync's alone.
fn measure_memory(args: &Args, size: usize) {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--serve-fakes",
            &size.to_string(),
            "--budget-scale",
            &args.budget_scale.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let parts: Vec<&str> = first.split_whitespace().collect();
    let [_, huma, graph] = parts.as_slice() else { panic!("the child said {first:?}") };
    let endpoints =
        dirsync_e2e::fakes::Endpoints { huma: (*huma).to_owned(), graph: (*graph).to_owned() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let before = memory::resident_bytes();
    let cpu_before = memory::cpu_time();
    let run = runtime.block_on(async {
        let tuning = tuning(args);
        let clients = flow::connect(&endpoints, &tuning).unwrap();
        let mut state = SyncState::new();
        flow::full_sync(&clients, &mut state, &SyncOptions::default().tuned(&tuning)).await.unwrap()
    });
    let peak = memory::peak_resident_bytes();
    let cpu = cpu_before.zip(memory::cpu_time()).map(|((u0, s0), (u1, s1))| (u1 - u0, s1 - s0));
    println!(
        "\n## memory of a {size}-person full sync, the fakes in another process (no latency)\n\
         sync process: resident {} MB before, peak {} MB (VmHWM: every thread, the runtime, the \
         HTTP clients, both snapshots, the plan, the state and the report); {} writes; {:.1} s",
        mb(before),
        mb(peak),
        run.report.operations.len(),
        run.timings.total.as_secs_f64()
    );
    drop(run);
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "quit");
    }
    let mut requests = 0u64;
    for line in out.lines().map_while(Result::ok) {
        println!("{line}");
        requests += requests_in(&line);
    }
    let _ = child.wait();
    if let Some((user, system)) = cpu {
        let per_request = (user + system).as_secs_f64() * 1e6 / requests.max(1) as f64;
        println!(
            "sync process CPU: user {:.2} s + system {:.2} s for {requests} requests: {per_request:.0} µs a request",
            user.as_secs_f64(),
            system.as_secs_f64()
        );
    }
}

/// The requests a fakes process said it answered: "… N Huma requests, M Graph requests".
fn requests_in(line: &str) -> u64 {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(3)
        .filter(|w| w[2].starts_with("requests"))
        .filter_map(|w| w[0].parse::<u64>().ok())
        .sum()
}

fn main() {
    // Logs on standard error when `RUST_LOG` asks for them (e.g. `RUST_LOG=azure_graph=debug`).
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    let args = Args::parse();
    if let Some(size) = args.serve {
        serve(&args, size);
        return;
    }
    if let Some(size) = args.memory {
        measure_memory(&args, size);
        return;
    }
    println!("# dirsync end-to-end sync benchmark");
    println!("machine: {}", machine());
    println!(
        "latency {} ms on every route; Huma reads at once {}, Graph requests at once {}, writes at \
         once {}; Graph write budget 3,000 per {:.1} s (real budget / {})",
        args.latency.as_millis(),
        args.huma_concurrency,
        args.graph_concurrency,
        args.apply_concurrency,
        args.budget_window().as_secs_f64(),
        args.budget_scale
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let last = args.sizes.len().saturating_sub(1);
    for (i, &size) in args.sizes.iter().enumerate() {
        runtime.block_on(one_size(&args, size, args.incremental && i == last));
    }
}
