//! parse + classify + match_keys must be total: no input may panic them.
//!
//! Three sources of input: arbitrary bytes, byte soup built from the
//! fragments MIME parsers trip over, and the hand-written corpus mutated
//! (truncated, bytes flipped, spliced with another message).

use crate::support::corpus as common;

use std::sync::OnceLock;

use foi::mail::inbound::{
    classify, find_references, html_to_text, match_keys, parse, safe_filename, sender_differs,
    Address, PANIC_WARNING,
};
use proptest::prelude::*;

/// Messages small enough to mutate thousands of times quickly.
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        common::corpus_messages()
            .into_iter()
            .map(|(_, raw)| raw)
            .filter(|raw| raw.len() < 200_000)
            .collect()
    })
}

/// Runs the whole pipeline and checks the invariants callers rely on.
fn exercise(raw: &[u8]) {
    let mail = parse(raw);
    let _ = classify(&mail);
    let keys = match_keys(&mail, "reply.foi.invalid");
    let _ = keys.best_reference();
    let _ = sender_differs(mail.from.as_ref(), "foi@council.example.gov.uk");

    assert!(
        !mail.parse_warnings.iter().any(|w| w == PANIC_WARNING),
        "parse panicked internally"
    );
    assert_eq!(mail.raw_sha256.len(), 64);
    assert!(!mail.text.contains('\0'));
    for a in &mail.attachments {
        assert!(!a.filename.is_empty());
        assert!(!a.filename.contains(['/', '\\']));
        assert!(!a.filename.starts_with('.'));
        assert!(a.filename.len() <= 200);
        assert_eq!(a.sha256.len(), 64);
    }
    for r in keys
        .address_refs
        .iter()
        .chain(&keys.subject_refs)
        .chain(&keys.body_refs)
    {
        assert!(r.starts_with("foi-"), "{r}");
        assert_eq!(r, &r.to_ascii_lowercase());
    }
    for id in &keys.thread_ids {
        assert!(id.starts_with('<') && id.ends_with('>'), "{id}");
    }
}

const FRAGMENTS: &[&str] = &[
    "From: a@b.example\r\n",
    "To: foi+foi-2026-0001@reply.foi.invalid\r\n",
    "Subject: =?utf-8?B?w6k=?= =?iso-8859-1?Q?=E9?=\r\n",
    "Subject: =?utf-8?q?",
    "Message-ID: <",
    "In-Reply-To: <foi-2026-0001.1772445600000.00000001@reply.foi.invalid>\r\n",
    "References: <a@b> <c@d\r\n",
    "Delivered-To: ",
    "Auto-Submitted: auto-replied\r\n",
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
    "Content-Type: multipart/alternative; boundary=b\r\n",
    "Content-Type: message/rfc822\r\n",
    "Content-Type: message/delivery-status\r\n",
    "Content-Type: text/html; charset=windows-1252\r\n",
    "Content-Type: text/plain; charset=iso-8859-1\r\n",
    "Content-Type: text/plain; charset=utf-16\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Disposition: attachment; filename*0*=iso-8859-1''%E9; filename*1=\"../x\"\r\n",
    "Action: failed\r\nStatus: 5.1.1\r\nFinal-Recipient: rfc822; x@y\r\n",
    "\r\n",
    "\n",
    "\r\n\r\n",
    "--b\r\n",
    "--b--\r\n",
    "--b",
    "=\r\n",
    "=E9=8",
    "JVBERi0xLjQK",
    "====",
    "<p>&#x1F600;&amp<br><script>",
    "\u{0}",
    "\u{feff}",
    "é",
    " \t",
    ":",
    "foi-2026-00012",
    "Undeliverable: ",
    "Automatic reply: ",
    "Content-Type: multipart/mixed;\r\n\tboundary=\r\n\t\"b\"\r\n",
    "Content-Type: multipart/alternative; boundary\r\n =b\r\n",
    "Content-Disposition: attachment; filename*0=\"=?UTF-8?Q?M=C3\"; filename*1=\"=BC?=\"\r\n",
    "Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\n",
    "eJ8+IjQSAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADo",
    "begin 644 a.pdf\n",
    "M)5!$1BTQ+C,*\n",
    "`\nend\n",
    "X-POST-MessageClass: 9; Autoresponder\r\n",
];

fn fragment_soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(|f| f.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..16),
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    Flip(Vec<(prop::sample::Index, u8)>),
    Splice(prop::sample::Index, prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..32)
            .prop_map(Mutation::Flip),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Mutation::Splice(a, b)),
        (
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<u8>(), 1..64)
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
    ]
}

fn apply(base: &[u8], other: &[u8], m: &Mutation) -> Vec<u8> {
    let pick = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
    match m {
        Mutation::Truncate(at) => base[..pick(at, base.len())].to_vec(),
        Mutation::Flip(flips) => {
            let mut out = base.to_vec();
            if !out.is_empty() {
                for (i, b) in flips {
                    let at = i.index(out.len());
                    out[at] = *b;
                }
            }
            out
        }
        Mutation::Splice(a, b) => {
            let cut_a = pick(a, base.len());
            let cut_b = pick(b, other.len());
            [&base[..cut_a], &other[cut_b..]].concat()
        }
        Mutation::Insert(at, bytes) => {
            let at = pick(at, base.len());
            [&base[..at], bytes.as_slice(), &base[at..]].concat()
        }
    }
}

/// 2,000 cases per property by default; set FOI_FUZZ_CASES for a longer hunt.
fn cases() -> u32 {
    std::env::var("FOI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..4096)) {
        exercise(&raw);
    }

    #[test]
    fn fragment_soup_never_panics(raw in fragment_soup()) {
        exercise(&raw);
    }

    #[test]
    fn mutated_corpus_never_panics(
        which in any::<prop::sample::Index>(),
        other in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let base = &corpus[which.index(corpus.len())];
        let other = &corpus[other.index(corpus.len())];
        let mut raw = base.clone();
        for m in &mutations {
            raw = apply(&raw, other, m);
        }
        exercise(&raw);
    }

    #[test]
    fn text_helpers_never_panic(s in any::<String>()) {
        let name = safe_filename(&s);
        prop_assert!(!name.is_empty() && name.len() <= 200);
        prop_assert!(!name.contains(['/', '\\']) && !name.starts_with('.'));
        for r in find_references(&s) {
            prop_assert!(r.starts_with("foi-"));
        }
        let _ = html_to_text(&s);
        let from = Address { name: None, address: s.clone() };
        let _ = sender_differs(Some(&from), &s);
    }
}

#[test]
fn every_corpus_message_truncated_everywhere() {
    for raw in corpus() {
        for end in (0..raw.len()).step_by(3) {
            exercise(&raw[..end]);
        }
    }
}

/// Inputs shaped to make naive scanning quadratic. The bound is generous
/// (debug build, slow CI); a quadratic path takes minutes, not seconds.
#[test]
fn pathological_inputs_finish_quickly() {
    let mut nested = b"From: a@b.example\n".to_vec();
    for i in 0..5_000 {
        nested.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes(),
        );
    }
    let mut html = b"From: a@b.example\nContent-Type: text/html\n\n".to_vec();
    html.extend(b"<a".repeat(500_000));
    html.extend(b"&#".repeat(200_000));
    let mut refs = b"From: a@b.example\nSubject: ".to_vec();
    refs.extend(b"foi-2026-".repeat(100_000));
    refs.extend_from_slice(b"\n\nUndeliverable 5.");
    refs.extend(b"5".repeat(500_000));
    refs.extend(b" foi-2026-".repeat(100_000));
    let mut addresses = b"From: a@b.example\nTo: ".to_vec();
    for i in 0..50_000 {
        addresses.extend_from_slice(format!("foi+foi-2026-{i:04}@reply.foi.invalid, ").as_bytes());
    }
    addresses.extend_from_slice(b"\n\nbody\n");

    let mut uu = b"From: a@b.example\n\n".to_vec();
    for _ in 0..2_000 {
        uu.extend_from_slice(b"begin 644 f.bin\n");
        uu.extend(b"M86)C9&5F9VAI:FML;6YO<'%R<W1U=G=X>7HQ,C,T-38W.#DP86)C9&5F\n".repeat(50));
    }
    let mut folded = b"From: a@b.example\n".to_vec();
    for i in 0..2_000 {
        folded.extend_from_slice(
            format!("Content-Type: multipart/mixed;\n\tboundary=\n\tb{i}\n\n--b{i}\n").as_bytes(),
        );
    }
    for (name, raw) in [
        ("uuencode", uu),
        ("folded", folded),
        ("nested", nested),
        ("html", html),
        ("refs", refs),
        ("addresses", addresses),
    ] {
        let started = std::time::Instant::now();
        exercise(&raw);
        let took = started.elapsed();
        eprintln!("{name} took {took:?}");
        assert!(took.as_secs() < 30, "{name} took {took:?}");
    }
}
