//! Document text extraction throughput, in pages per second: a 50-page text PDF read from its
//! text layer, and a scanned page read by OCR (pdftoppm at 300 dpi, then tesseract with
//! English and Simplified Chinese), each through the public `extract` call.
//! Run: `cargo bench --bench extract` (needs the OCR programs: scripts/install-deps.sh).
//! Criterion prints "thrpt" in elements per second; an element is a page.

#[path = "../tests/it/support/documents.rs"]
mod documents;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use foi::extract::{extract, probe_ocr, Limits, Status};

const TEXT_PAGES: usize = 50;

/// A page of a typical FOI response: about 40 lines of prose.
fn page_text(n: usize) -> String {
    (0..40)
        .map(|line| {
            format!(
                "Page {n}, line {line}: the council holds information about the twinning agreement."
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn bench_extract(c: &mut Criterion) {
    let texts: Vec<String> = (1..=TEXT_PAGES).map(page_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let text_pdf = documents::text_pdf(&refs);
    let limits = Limits::default();

    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(TEXT_PAGES as u64));
    group.bench_function("text_pdf_50_pages", |b| {
        b.iter(|| {
            let e = extract(
                black_box(&text_pdf),
                "application/pdf",
                "r.pdf",
                &limits,
                None,
            );
            assert_eq!(e.status, Status::Extracted);
            black_box(e)
        })
    });

    let (Some(engine), _) = probe_ocr() else {
        panic!("OCR is not installed; run scripts/install-deps.sh");
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let scan = documents::scanned_pdf(dir.path(), 1);
    group.throughput(Throughput::Elements(1));
    // A page takes about a second, so ten samples of one page each.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("ocr_page_300dpi_eng_chi_sim", |b| {
        b.iter(|| {
            let e = extract(
                black_box(&scan),
                "application/pdf",
                "s.pdf",
                &limits,
                Some(&engine),
            );
            assert!(e.pages[0].ocr, "{:?}", e.reason);
            black_box(e)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_extract);
criterion_main!(benches);
