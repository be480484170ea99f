//! Search latency over 10,000 documents: replies of varied English and Chinese text are
//! ingested, read by the extract step, then searched for a common word, a rare word, a phrase
//! and a Chinese term; prints the median and 95th-percentile latency of each, and the time
//! taken to read the documents. SQLite by default; PostgreSQL with
//! `FOI_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB` (an empty database).
//! Run: `cargo bench --bench search` (`FOI_BENCH_N` changes the count).

use chrono::Utc;
use foi::services::documents;
use foi::services::ingest::ingest;
use foi::services::search::{search, Search};
use foi::settings::Settings;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

const WORDS: &[&str] = &[
    "council",
    "agreement",
    "friendship",
    "delegation",
    "visit",
    "minutes",
    "cabinet",
    "committee",
    "exchange",
    "students",
    "trade",
    "culture",
    "officer",
    "report",
    "review",
    "hospitality",
    "budget",
    "partnership",
    "memorandum",
    "renewal",
    "signed",
    "mayor",
    "province",
    "embassy",
    "consulate",
    "university",
    "school",
    "business",
    "investment",
];
const HAN: &[&str] = &[
    "友好",
    "城市",
    "协议",
    "合作",
    "交流",
    "代表团",
    "签署",
    "续签",
];

/// A deterministic pseudo-random stream, so every run searches the same text.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn text(rng: &mut Lcg, i: usize) -> String {
    let mut words: Vec<String> = (0..120)
        .map(|_| WORDS[rng.next(WORDS.len())].to_string())
        .collect();
    if i.is_multiple_of(10) {
        words.push(HAN[rng.next(HAN.len())].to_string() + HAN[rng.next(HAN.len())]);
    }
    if i % 1000 == 7 {
        words.push("Zhongshan".into());
    }
    words.join(" ")
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: usize = std::env::var("FOI_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.database.url = std::env::var("FOI_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    settings.paths.templates_dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("letter-templates");
    settings.paths.data_dir = dir.path().join("var");
    settings.findings.watch_list = dir.path().join("no-watch-list.txt");
    let app = foi::AppContext::build(settings).await.unwrap();
    let mut rng = Lcg(1);
    let now = Utc::now();
    let started = Instant::now();
    for i in 0..n {
        let raw = format!(
            "From: FOI <foi@council{}.example.org>\r\nTo: someone@example.org\r\n\
             Subject: Reply {i}\r\nMessage-ID: <search-bench-{i}@example.org>\r\n\
             Date: Mon, 16 Mar 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            i % 400,
            text(&mut rng, i)
        );
        ingest(&app, now, raw.as_bytes(), "bench").await.unwrap();
    }
    let ingested = started.elapsed();
    let started = Instant::now();
    let done = documents::run(&app, now, &AtomicBool::new(false), None)
        .await
        .unwrap();
    let read = started.elapsed();
    println!(
        "{n} replies ingested in {:.1} s; read as documents in {:.1} s ({:.0} documents/s): {done}",
        ingested.as_secs_f64(),
        read.as_secs_f64(),
        n as f64 / read.as_secs_f64()
    );
    for (label, query) in [
        ("common word", "agreement"),
        ("two words", "delegation hospitality"),
        ("phrase", "\"friendship agreement\""),
        ("rare word", "zhongshan"),
        ("chinese", "友好城市"),
    ] {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let hits = search(
                &app,
                Search {
                    text: query.into(),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            times.push(t.elapsed());
            found = hits.len();
        }
        println!(
            "{label:>12} {query:<28} {found:>3} hits (limit 50)  median {:>7.2} ms  p95 {:>7.2} ms",
            percentile(times.clone(), 0.5).as_secs_f64() * 1000.0,
            percentile(times, 0.95).as_secs_f64() * 1000.0
        );
    }
}
