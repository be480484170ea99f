//! Inbound throughput: 10,000 varied messages (the test corpus, each made unique) ingested
//! end to end into SQLite, next to parsing alone with mail-parser (the ceiling). Also reports
//! resident memory before, after and at peak, to show it stays flat.
//! Run: `cargo bench --bench ingest` (`FOI_BENCH_N` changes the count).

#[path = "../tests/it/support/corpus.rs"]
mod corpus;

use chrono::Utc;
use foi::services::ingest::{ingest, Ingested};
use foi::settings::Settings;
use std::time::Instant;

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("FOI_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // The multi-megabyte message would dominate; it has its own test.
    let base: Vec<Vec<u8>> = corpus::corpus_messages()
        .into_iter()
        .filter(|(name, _)| !name.contains("huge") && !name.contains("duplicate"))
        .map(|(_, raw)| raw)
        .collect();
    let messages: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut m =
                format!("X-Bench-Seq: {i}\r\nMessage-ID: <bench-{i}@bench.example.org>\r\n")
                    .into_bytes();
            m.extend_from_slice(&base[i % base.len()]);
            m
        })
        .collect();

    let started = Instant::now();
    let parser = mail_parser::MessageParser::default();
    let mut parts = 0usize;
    for m in &messages {
        parts += parser
            .parse(m.as_slice())
            .map(|p| p.parts.len())
            .unwrap_or(0);
    }
    let parse_rate = n as f64 / started.elapsed().as_secs_f64();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    settings.paths.data_dir = dir.path().join("var");
    let (rate, stored, rss_before, rss_after) = rt.block_on(async {
        let app = foi::AppContext::build(settings.clone()).await.unwrap();
        let rss_before = rss_kb("VmRSS:");
        let started = Instant::now();
        let mut stored = 0;
        for m in &messages {
            if let Ingested::Stored { .. } = ingest(&app, Utc::now(), m, "bench").await.unwrap() {
                stored += 1;
            }
        }
        (
            n as f64 / started.elapsed().as_secs_f64(),
            stored,
            rss_before,
            rss_kb("VmRSS:"),
        )
    });
    println!(
        "messages: {n} ({} distinct shapes, {parts} MIME parts)",
        base.len()
    );
    println!("parse alone (mail-parser, the ceiling): {parse_rate:.0} messages/s");
    println!("ingest end to end into SQLite: {rate:.0} messages/s ({stored} stored)");
    println!(
        "resident memory: {} MB before ingest, {} MB after, {} MB peak (the input set itself is {} MB)",
        rss_before / 1024,
        rss_after / 1024,
        rss_kb("VmHWM:") / 1024,
        messages.iter().map(Vec::len).sum::<usize>() / (1024 * 1024)
    );
}
