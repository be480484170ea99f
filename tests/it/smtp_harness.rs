//! Proves the SMTP test harness (tests/it/support/smtp.rs + smtp_server.py) behaves as documented,
//! using a hand-written SMTP dialogue over std::net so it depends on none of foi's code.

use crate::support::smtp;

use smtp::{free_port, SmtpServer, TestCa};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A minimal SMTP client: one command line out, one (possibly multi-line) reply back.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    /// Connects and checks the 220 banner.
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut c = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        let (code, text) = c.reply();
        assert_eq!(code, 220, "banner: {text}");
        c
    }

    /// Reads one reply; continuation lines (`250-...`) are joined with '\n'.
    fn reply(&mut self) -> (u16, String) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                self.reader.read_line(&mut line).unwrap() > 0,
                "server closed the connection"
            );
            let line = line.trim_end().to_string();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
        }
        let code = lines[0][..3].parse().unwrap();
        let text = lines
            .iter()
            .map(|l| l[4.min(l.len())..].to_string())
            .collect::<Vec<_>>();
        (code, text.join("\n"))
    }

    fn cmd(&mut self, line: &str) -> (u16, String) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
        self.reply()
    }

    /// DATA, then the message (CRLF lines, dot-stuffed), then the final reply.
    fn data(&mut self, message: &str) -> (u16, String) {
        let (code, text) = self.cmd("DATA");
        assert_eq!(code, 354, "DATA: {text}");
        let mut wire = String::new();
        for line in message.split("\r\n") {
            if line.starts_with('.') {
                wire.push('.');
            }
            wire.push_str(line);
            wire.push_str("\r\n");
        }
        // `message` ends with CRLF, so the split left an empty last line: drop its CRLF.
        wire.truncate(wire.len() - 2);
        wire.push_str(".\r\n");
        self.writer.write_all(wire.as_bytes()).unwrap();
        self.reply()
    }

    /// EHLO + MAIL + RCPT(s) + DATA, asserting each step up to DATA's final reply.
    fn send(&mut self, from: &str, to: &[&str], message: &str) -> (u16, String) {
        assert_eq!(self.cmd(&format!("MAIL FROM:<{from}>")).0, 250);
        for rcpt in to {
            assert_eq!(self.cmd(&format!("RCPT TO:<{rcpt}>")).0, 250);
        }
        self.data(message)
    }
}

fn message(id: &str) -> String {
    format!(
        "From: FOI <foi@example.org>\r\nTo: council@example.gov.uk\r\n\
         Message-ID: <{id}@foi.test>\r\nSubject: Freedom of Information\r\n request: twinning\r\n\
         \r\nDear council,\r\n.a line starting with a dot\r\n\r\nRegards\r\n"
    )
}

#[test]
fn plain_server_receives_message_exactly() {
    let server = SmtpServer::builder().start();
    let mut c = Client::connect(server.port);
    let (code, ehlo) = c.cmd("EHLO client.test");
    assert_eq!(code, 250);
    assert!(
        !ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    let (code, text) = c.send(
        "foi@example.org",
        &["council@example.gov.uk"],
        &message("m1"),
    );
    assert_eq!(code, 250, "{text}");
    assert_eq!(c.cmd("QUIT").0, 221);

    let mails = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.seq, 1);
    assert_eq!(m.mail_from, "foi@example.org");
    assert_eq!(m.rcpt_tos, ["council@example.gov.uk"]);
    assert_eq!(
        m.data,
        message("m1"),
        "dot-stuffing undone, bytes otherwise untouched"
    );
    assert_eq!(m.header("message-id").as_deref(), Some("<m1@foi.test>"));
    assert_eq!(
        m.header("SUBJECT").as_deref(),
        Some("Freedom of Information request: twinning")
    );
    assert_eq!(m.header("Cc"), None);
    assert_eq!(
        m.body(),
        "Dear council,\n.a line starting with a dot\n\nRegards\n"
    );
    assert_eq!(m.auth_user, None);
    assert!(!m.tls);
    assert!(m.peer.starts_with("127.0.0.1:"), "{}", m.peer);
    assert!(server.spool.join("1.eml").exists());
    assert_eq!(
        std::fs::read_to_string(server.spool.join("1.eml")).unwrap(),
        m.data
    );
}

#[test]
fn fail_rcpt_gives_550_and_only_good_recipients_are_delivered() {
    let server = SmtpServer::builder().fail_rcpt("nobody@x.org", 550).start();
    let mut c = Client::connect(server.port);
    c.cmd("EHLO client.test");
    assert_eq!(c.cmd("MAIL FROM:<foi@example.org>").0, 250);
    let (code, text) = c.cmd("RCPT TO:<Nobody@X.org>");
    assert_eq!(
        (code, text.as_str()),
        (550, "5.1.1 <Nobody@X.org>: user unknown")
    );
    assert_eq!(c.cmd("RCPT TO:<ok@x.org>").0, 250);
    assert_eq!(c.data(&message("m2")).0, 250);

    // With every recipient refused, aiosmtpd itself answers DATA with 503.
    assert_eq!(c.cmd("MAIL FROM:<foi@example.org>").0, 250);
    assert_eq!(c.cmd("RCPT TO:<nobody@x.org>").0, 550);
    assert_eq!(c.cmd("DATA").0, 503);

    let mails = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_tos, ["ok@x.org"]);
    let codes: Vec<_> = server
        .rcpt_attempts()
        .iter()
        .map(|r| r["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [550, 250, 550]);
}

#[test]
fn tempfail_first_answers_451_after_data_then_accepts_the_retry() {
    let server = SmtpServer::builder().tempfail_first(1).start();
    let mut c = Client::connect(server.port);
    c.cmd("EHLO client.test");
    let (code, text) = c.send(
        "foi@example.org",
        &["council@example.gov.uk"],
        &message("m3"),
    );
    assert_eq!((code, text.as_str()), (451, "4.3.0 try again later"));
    assert!(server.received().is_empty());
    // Same connection, no RSET needed: aiosmtpd resets the envelope after DATA.
    let (code, text) = c.send(
        "foi@example.org",
        &["council@example.gov.uk"],
        &message("m3"),
    );
    assert_eq!(code, 250, "{text}");

    assert_eq!(server.wait_for(1, Duration::from_secs(5)).len(), 1);
    let attempts = server.attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    for (a, (code, outcome)) in attempts.iter().zip([(451, "tempfail"), (250, "accepted")]) {
        assert_eq!(a["message_id"], "<m3@foi.test>");
        assert_eq!(a["code"], code);
        assert_eq!(a["outcome"], outcome);
    }
}

#[test]
fn tempfail_rcpt_answers_451_for_the_first_attempts_only() {
    let server = SmtpServer::builder().tempfail_rcpt("slow@x.org", 2).start();
    let mut c = Client::connect(server.port);
    c.cmd("EHLO client.test");
    assert_eq!(c.cmd("MAIL FROM:<foi@example.org>").0, 250);
    assert_eq!(c.cmd("RCPT TO:<slow@x.org>").0, 451);
    assert_eq!(c.cmd("RCPT TO:<slow@x.org>").0, 451);
    assert_eq!(c.cmd("RCPT TO:<slow@x.org>").0, 250);
    assert_eq!(c.data(&message("m4")).0, 250);
    assert_eq!(
        server.wait_for(1, Duration::from_secs(5))[0].rcpt_tos,
        ["slow@x.org"]
    );
}

#[test]
fn delay_data_holds_the_reply_after_the_message_is_spooled() {
    let server = SmtpServer::builder()
        .delay_data(1.5)
        .delay_data_times(1)
        .start();
    let port = server.port;
    let client = std::thread::spawn(move || {
        let mut c = Client::connect(port);
        c.cmd("EHLO client.test");
        let started = Instant::now();
        assert_eq!(
            c.send("foi@example.org", &["c@x.org"], &message("m6")).0,
            250
        );
        let first = started.elapsed();
        let started = Instant::now();
        assert_eq!(
            c.send("foi@example.org", &["c@x.org"], &message("m7")).0,
            250
        );
        (first, started.elapsed())
    });
    // The message is on disk while the client still waits for its 250.
    assert_eq!(server.wait_for(1, Duration::from_secs(1)).len(), 1);
    assert!(!client.is_finished());
    let (first, second) = client.join().unwrap();
    assert!(first >= Duration::from_millis(1400), "{first:?}");
    assert!(
        second < Duration::from_millis(1000),
        "only the first is delayed: {second:?}"
    );
    assert_eq!(server.received().len(), 2);
}

/// base64 for AUTH PLAIN, so this test needs no crate.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ABC[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn auth_is_required_and_checked() {
    assert_eq!(base64(b"\0u\0pw"), "AHUAcHc=");
    let server = SmtpServer::builder().auth("foi", "s3cret").start();
    let mut c = Client::connect(server.port);
    let (_, ehlo) = c.cmd("EHLO client.test");
    assert!(ehlo.lines().any(|l| l == "AUTH LOGIN PLAIN"), "{ehlo}");
    assert_eq!(c.cmd("MAIL FROM:<foi@example.org>").0, 530);
    let (code, _) = c.cmd(&format!("AUTH PLAIN {}", base64(b"\0foi\0wrong")));
    assert_eq!(code, 535);
    let (code, _) = c.cmd(&format!("AUTH PLAIN {}", base64(b"\0foi\0s3cret")));
    assert_eq!(code, 235);
    assert_eq!(
        c.send("foi@example.org", &["c@x.org"], &message("m5")).0,
        250
    );
    let mails = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(mails[0].auth_user.as_deref(), Some("foi"));
}

/// Runs `openssl s_client` against the server, trusting only the test CA, and returns its
/// output: proves the certificate chain and names verify (the raw client speaks no TLS).
fn s_client(port: u16, ca: &TestCa, extra: &[&str]) -> String {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-CAfile",
        ])
        .arg(&ca.ca_path)
        .args(["-verify_return_error", "-ign_eof", "-crlf"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // QUIT makes the server close the connection, which ends s_client.
    child.stdin.take().unwrap().write_all(b"QUIT\n").unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn starttls_is_advertised_and_can_be_required() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::generate(dir.path(), "localhost");
    assert!(ca.ca_cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));

    let server = SmtpServer::builder()
        .tls(&ca)
        .require_starttls()
        .auth("foi", "pw")
        .start();
    let mut c = Client::connect(server.port);
    let (_, ehlo) = c.cmd("EHLO client.test");
    assert!(ehlo.lines().any(|l| l == "STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "AUTH only after STARTTLS: {ehlo}");
    let (code, text) = c.cmd("MAIL FROM:<foi@example.org>");
    assert_eq!(
        (code, text.as_str()),
        (530, "Must issue a STARTTLS command first")
    );
    assert_eq!(c.cmd("STARTTLS").0, 220);

    let out = s_client(
        server.port,
        &ca,
        &["-starttls", "smtp", "-verify_hostname", "localhost"],
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(
        out.contains("250 HELP"),
        "EHLO after STARTTLS answered: {out}"
    );
}

#[test]
fn implicit_tls_sends_no_plain_banner_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::generate(dir.path(), "localhost");
    let server = SmtpServer::builder().tls(&ca).implicit_tls().start();

    let mut raw = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let err = raw
        .read(&mut [0u8; 64])
        .expect_err("a TLS server waits for the ClientHello");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    drop(raw);

    // The leaf is valid both as "localhost" and as 127.0.0.1.
    let out = s_client(server.port, &ca, &["-verify_hostname", "localhost"]);
    assert!(
        out.contains("Verify return code: 0 (ok)") && out.contains("220 localhost"),
        "{out}"
    );
    let out = s_client(server.port, &ca, &["-verify_ip", "127.0.0.1"]);
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    let out = s_client(server.port, &ca, &["-verify_hostname", "example.org"]);
    assert!(
        out.contains("hostname mismatch"),
        "wrong name must fail: {out}"
    );
}

#[test]
fn test_ca_makes_v3_certificates_for_localhost_and_loopback_ip() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::generate(dir.path(), "localhost");
    let text = |path: &std::path::Path| {
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(path)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let ca_text = text(&ca.ca_path);
    assert!(
        ca_text.contains("Version: 3") && ca_text.contains("CA:TRUE"),
        "{ca_text}"
    );
    assert!(ca_text.contains("Certificate Sign"), "{ca_text}");
    let leaf = text(&ca.cert_path);
    for want in [
        "Version: 3",
        "CA:FALSE",
        "TLS Web Server Authentication",
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "ecdsa-with-SHA256",
    ] {
        assert!(leaf.contains(want), "leaf lacks {want}: {leaf}");
    }
    // Already valid 12 hours ago (a client clock running behind must still accept it).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let verify = Command::new("openssl")
        .args([
            "verify",
            "-attime",
            &(now.as_secs() - 12 * 3600).to_string(),
            "-CAfile",
        ])
        .arg(&ca.ca_path)
        .arg(&ca.cert_path)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn free_port_has_no_listener() {
    let port = free_port();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn drop_stops_the_server() {
    let server = SmtpServer::builder().start();
    let port = server.port;
    drop(server);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
