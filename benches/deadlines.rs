//! Throughput of FOIA 20-working-day deadlines on the precomputed index.

use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use foi::calendar::{
    compute, ClockEvent, ClockEventKind, ClockSettings, HolidayCalendar, Regime, WorkingCalendar,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DEADLINES: usize = 1_000_000;

fn receipt_dates(count: usize) -> Vec<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(2015, 1, 1).expect("valid date");
    let end = NaiveDate::from_ymd_opt(2035, 12, 31).expect("valid date");
    let span = (end - start).num_days();
    // Fixed seed so every run measures the same inputs.
    let mut rng = StdRng::seed_from_u64(0x0F01_2025);
    (0..count)
        .map(|_| start + Duration::days(rng.random_range(0..=span)))
        .collect()
}

fn bench_deadlines(c: &mut Criterion) {
    let cal = WorkingCalendar::new(&HolidayCalendar::standard());
    let dates = receipt_dates(DEADLINES);

    let mut group = c.benchmark_group("deadlines");
    group.throughput(Throughput::Elements(DEADLINES as u64));
    group.sample_size(20);

    group.bench_function("foia_20_working_days_x1e6", |b| {
        b.iter(|| {
            let mut checksum = 0i64;
            for &d in &dates {
                if let Ok(due) = cal.add_working_days(Regime::Foia, black_box(d), 20) {
                    checksum += (due - d).num_days();
                }
            }
            black_box(checksum)
        })
    });

    // The full clock (event validation, plan, review windows) for context;
    // it allocates per request, so it is expected to be much slower.
    let settings = ClockSettings::default();
    group.bench_function("clock_compute_received_only_x1e6", |b| {
        b.iter(|| {
            let mut paused = 0u32;
            for &d in &dates {
                let events = [ClockEvent::new(black_box(d), ClockEventKind::Received)];
                if let Ok(out) = compute(&cal, Regime::Foia, &events, &settings) {
                    paused += u32::from(out.clock_paused);
                }
            }
            black_box(paused)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_deadlines);
criterion_main!(benches);
