//! The engine alone: reconcile two snapshots of 10k, 100k and 1M people per side.
//!
//! `cargo bench -p dirsync --bench reconcile`; add `-- 1000000` to run one size only.

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dirsync::{
    plan::reconcile,
    policy::{ConflictRule, CreationRule, Policy},
};
use std::hint::black_box;

fn policy() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::All,
        ..Policy::default()
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("reconcile");
    group.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        for (linked, name) in [(true, "steady"), (false, "first_run")] {
            group.throughput(Throughput::Elements(n as u64));
            group.bench_function(BenchmarkId::new(name, n), |b| {
                // Built here, so a filtered-out size costs nothing.
                let (hr, idp, state) = support::organisation(n, linked);
                let policy = policy();
                b.iter(|| black_box(reconcile(&hr, &idp, &state, &policy)));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
