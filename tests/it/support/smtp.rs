//! A real SMTP server for integration tests: Debian's aiosmtpd (`python3-aiosmtpd`) run by
//! `tests/it/support/smtp_server.py` on a free loopback port, one per test, with its own spool.
//!
//! ```ignore
//! let server = SmtpServer::builder().fail_rcpt("nobody@x.org", 550).start();
//! // ... point the sender at 127.0.0.1:server.port ...
//! let mails = server.wait_for(1, Duration::from_secs(10));
//! assert_eq!(mails[0].header("Subject").as_deref(), Some("Hello"));
//! ```
//!
//! Include it with `#[path = "support/smtp.rs"] mod smtp;`. Needs `/usr/bin/python3` with
//! aiosmtpd, and the `openssl` CLI for [`TestCa`].
#![allow(dead_code)] // each test binary uses a different part of it

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Debian's interpreter: a pyenv `python3` earlier on PATH cannot import Debian's aiosmtpd.
const PYTHON: &str = "/usr/bin/python3";
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// A port on 127.0.0.1 where nothing listens (bound, then released): for "server is down".
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// A running aiosmtpd. Dropping it stops the server (SIGTERM, then SIGKILL) and deletes the spool.
pub struct SmtpServer {
    /// The port on 127.0.0.1 (also valid as `localhost`).
    pub port: u16,
    /// Where accepted mail lands: `<n>.json` + `<n>.eml`, `attempts.json`, `rcpts.json`.
    pub spool: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Security {
    Plain,
    StartTls,
    Implicit,
}

/// Options for [`SmtpServer`]; every behaviour is off by default (accept everything, plain TCP).
#[derive(Default)]
pub struct SmtpServerBuilder {
    security: Option<Security>,
    require_starttls: bool,
    cert: Option<(PathBuf, PathBuf)>,
    auth: Option<(String, String)>,
    fail_rcpt: Vec<(String, u16)>,
    tempfail_first: u32,
    tempfail_rcpt: Vec<(String, u32)>,
    delay_data: Option<f64>,
    delay_data_times: Option<u32>,
    port: u16,
    sink: bool,
}

impl SmtpServerBuilder {
    /// Accept and count only, writing nothing: for benchmarks, where the spool's file writes
    /// would be the bottleneck being measured.
    pub fn sink(mut self) -> Self {
        self.sink = true;
        self
    }

    /// Listen on this port (e.g. one from [`free_port`] that a test first found closed).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Offer STARTTLS (needs [`tls`](Self::tls)); `false` forces plain TCP.
    pub fn starttls(mut self, on: bool) -> Self {
        self.security = Some(if on {
            Security::StartTls
        } else {
            Security::Plain
        });
        self
    }
    /// SMTPS: TLS from the first byte, no plain banner (needs [`tls`](Self::tls)).
    pub fn implicit_tls(mut self) -> Self {
        self.security = Some(Security::Implicit);
        self
    }
    /// Offer STARTTLS and answer `530 Must issue a STARTTLS command first` to MAIL before it.
    pub fn require_starttls(mut self) -> Self {
        self.security = Some(Security::StartTls);
        self.require_starttls = true;
        self
    }
    /// Serve this CA's leaf certificate. Without a mode chosen, this means STARTTLS.
    pub fn tls(mut self, ca: &TestCa) -> Self {
        self.cert = Some((ca.cert_path.clone(), ca.key_path.clone()));
        self
    }
    /// Offer AUTH PLAIN/LOGIN and require it before MAIL (530); a bad password gets 535.
    /// With STARTTLS, AUTH is only offered after the TLS upgrade (aiosmtpd's rule).
    pub fn auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Some((user.into(), password.into()));
        self
    }
    /// Reject `RCPT TO:<addr>` with `code` (5xx: `550 5.1.1 <addr>: user unknown`).
    pub fn fail_rcpt(mut self, addr: &str, code: u16) -> Self {
        self.fail_rcpt.push((addr.into(), code));
        self
    }
    /// Answer `451 4.3.0 try again later` at the end of DATA for the first `n` transactions
    /// (counted across connections), then accept.
    pub fn tempfail_first(mut self, n: u32) -> Self {
        self.tempfail_first = n;
        self
    }
    /// Answer `451` to `RCPT TO:<addr>` for its first `n` attempts, then accept it.
    pub fn tempfail_rcpt(mut self, addr: &str, n: u32) -> Self {
        self.tempfail_rcpt.push((addr.into(), n));
        self
    }
    /// Sleep `secs` before the final reply to DATA. The message is already spooled by then,
    /// so a client that times out here has still delivered it (the duplicate window).
    pub fn delay_data(mut self, secs: f64) -> Self {
        self.delay_data = Some(secs);
        self
    }
    /// Apply [`delay_data`](Self::delay_data) only to the first `n` DATA replies.
    pub fn delay_data_times(mut self, n: u32) -> Self {
        self.delay_data_times = Some(n);
        self
    }

    /// Spawn the server and wait (up to 10 s) for it to listen; panics with its log if not.
    pub fn start(self) -> SmtpServer {
        let dir = tempfile::tempdir().expect("tempdir for SMTP server");
        let spool = dir.path().join("spool");
        std::fs::create_dir(&spool).unwrap();
        let log_path = dir.path().join("server.log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/smtp_server.py");

        let mut cmd = Command::new(PYTHON);
        cmd.arg(&script)
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--exit-on-stdin-eof", "--spool"])
            .arg(&spool);
        if self.sink {
            cmd.arg("--sink");
        }
        let default_mode = if self.cert.is_some() {
            Security::StartTls
        } else {
            Security::Plain
        };
        let mode = self.security.unwrap_or(default_mode);
        cmd.args([
            "--security",
            match mode {
                Security::Plain => "none",
                Security::StartTls => "starttls",
                Security::Implicit => "tls",
            },
        ]);
        if mode != Security::Plain {
            let (cert, key) = self
                .cert
                .as_ref()
                .expect("STARTTLS/implicit TLS needs .tls(&TestCa)");
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        if self.require_starttls {
            cmd.arg("--require-starttls");
        }
        if let Some((user, pass)) = &self.auth {
            cmd.args(["--auth-user", user, "--auth-password", pass]);
        }
        for (addr, code) in &self.fail_rcpt {
            cmd.arg("--fail-rcpt").arg(format!("{addr}={code}"));
        }
        cmd.args(["--tempfail-first", &self.tempfail_first.to_string()]);
        for (addr, n) in &self.tempfail_rcpt {
            cmd.arg("--tempfail-rcpt").arg(format!("{addr}={n}"));
        }
        if let Some(secs) = self.delay_data {
            cmd.args(["--delay-data", &secs.to_string()]);
        }
        if let Some(n) = self.delay_data_times {
            cmd.args(["--delay-data-times", &n.to_string()]);
        }

        // stderr goes to a file, not a pipe: nobody drains a pipe during the test, and a full
        // one would freeze the server mid-conversation.
        let log = std::fs::File::create(&log_path).unwrap();
        // stdin is a pipe we never write to: it closes when this process dies, however it
        // dies, and the server then exits instead of lingering.
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {PYTHON} {script:?}: {e}"));

        // Read stdout on a thread so the wait can time out; it keeps draining until EOF.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("READY ") {
                    let _ = tx.send(port.trim().parse::<u16>().ok());
                }
            }
        });
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(port)) => SmtpServer {
                port,
                spool,
                child,
                _dir: dir,
            },
            other => {
                let _ = child.kill();
                let status = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!(
                    "SMTP server did not come up ({}; exit: {status:?}). Is python3-aiosmtpd \
                     installed? Server stderr:\n{log}",
                    match other {
                        Err(mpsc::RecvTimeoutError::Timeout) => "no READY within 10 s",
                        _ => "exited or printed a bad READY line",
                    }
                )
            }
        }
    }
}

impl SmtpServer {
    pub fn builder() -> SmtpServerBuilder {
        SmtpServerBuilder::default()
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every accepted message so far, in the order the server accepted them.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.spool)
            .unwrap()
            .filter_map(|e| {
                let path = e.ok()?.path();
                // Only `<n>.json`; skips attempts.json, rcpts.json and `.x.tmp` files.
                let seq = path
                    .strip_prefix(&self.spool)
                    .ok()?
                    .to_str()?
                    .strip_suffix(".json")?;
                Some((seq.parse().ok()?, path))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(seq, path)| ReceivedMail::from_json(seq, &read_json(&path)))
            .collect()
    }

    /// Every DATA attempt, accepted or not, oldest first: objects with `attempt`,
    /// `message_id` (the header, or null), `mail_from`, `rcpt_tos`, `code` (451/250) and
    /// `outcome` ("tempfail"/"accepted").
    pub fn attempts(&self) -> Vec<serde_json::Value> {
        self.json_list("attempts.json")
    }

    /// Every RCPT TO, oldest first: `{"address", "attempt" (per address), "code"}`.
    pub fn rcpt_attempts(&self) -> Vec<serde_json::Value> {
        self.json_list("rcpts.json")
    }

    /// Polls until at least `n` messages were accepted or `timeout` passes, then returns what
    /// is there (possibly fewer than `n`: assert on the length).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let mails = self.received();
            if mails.len() >= n || Instant::now() >= deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's stderr so far (aiosmtpd logs every command): handy in assert messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default()
    }

    fn json_list(&self, name: &str) -> Vec<serde_json::Value> {
        let path = self.spool.join(name);
        if !path.exists() {
            return Vec::new();
        }
        match read_json(&path) {
            serde_json::Value::Array(items) => items,
            other => panic!("{path:?} is not a list: {other}"),
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // SIGTERM first so the server closes its socket cleanly; std only has SIGKILL, so
        // use kill(1). Fall back to SIGKILL if it is still alive after 3 s.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path:?}: {e}"))
}

/// One accepted message as the server saw it.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// 1, 2, ...: order of acceptance.
    pub seq: u64,
    pub mail_from: String,
    /// Only the recipients the server accepted.
    pub rcpt_tos: Vec<String>,
    /// The raw message (CRLF line ends, dot-stuffing removed); latin-1 if not valid UTF-8.
    pub data: String,
    /// `ip:port` of the client.
    pub peer: String,
    /// The AUTH login, if the session authenticated.
    pub auth_user: Option<String>,
    /// Whether the session was under TLS (STARTTLS or implicit) when DATA ended.
    pub tls: bool,
}

impl ReceivedMail {
    fn from_json(seq: u64, v: &serde_json::Value) -> Self {
        let s = |key: &str| v[key].as_str().unwrap_or_default().to_string();
        ReceivedMail {
            seq,
            mail_from: s("mail_from"),
            rcpt_tos: v["rcpt_tos"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            data: s("data"),
            peer: s("peer"),
            auth_user: v["auth_user"].as_str().map(String::from),
            tls: v["tls"].as_bool().unwrap_or(false),
        }
    }

    /// The first header called `name` (case-insensitive), unfolded and trimmed. Raw value:
    /// encoded words (`=?utf-8?...?=`) are not decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.replace("\r\n", "\n");
        let head = head.split("\n\n").next().unwrap_or("");
        let mut found: Option<String> = None;
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                // Continuation line: unfolding removes only the line break (RFC 5322 2.2.3).
                if let Some(value) = found.as_mut() {
                    value.push_str(line);
                }
            } else if found.is_some() {
                break; // the wanted header has ended
            } else if let Some((key, value)) = line.split_once(':') {
                if key.trim().eq_ignore_ascii_case(name) {
                    found = Some(value.to_string());
                }
            }
        }
        found.map(|v| v.trim().to_string())
    }

    /// Everything after the first blank line, with CRLF turned into LF (trailing newline kept).
    pub fn body(&self) -> String {
        let text = self.data.replace("\r\n", "\n");
        match text.split_once("\n\n") {
            Some((_, body)) => body.to_string(),
            None => String::new(),
        }
    }
}

/// A throwaway certificate authority and a server certificate it signed, made with the
/// `openssl` CLI. Clients trust `ca_path`; the server uses `cert_path`/`key_path`.
///
/// Both are X.509 v3, SHA-256, ECDSA P-256, valid from yesterday (clock skew) for 30 days.
/// The leaf is CA:FALSE with extendedKeyUsage serverAuth and SAN DNS:<host> + IP:127.0.0.1,
/// which is what rustls/webpki insist on.
pub struct TestCa {
    pub ca_cert_pem: String,
    pub ca_path: PathBuf,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TestCa {
    /// Writes `ca.crt`, `ca.key`, `server.crt`, `server.key` (and openssl's bookkeeping) into
    /// `dir`, which must outlive the server using them.
    pub fn generate(dir: &Path, host: &str) -> TestCa {
        let mut san = match host.parse::<IpAddr>() {
            Ok(_) => format!("IP:{host}"),
            Err(_) => format!("DNS:{host}"),
        };
        if host != "127.0.0.1" {
            san.push_str(", IP:127.0.0.1");
        }
        // openssl runs inside `dir`, so every name here is relative to it.
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        let config = format!(
            "[ca]\ndefault_ca = test_ca\n\
             [test_ca]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
             default_md = sha256\npolicy = policy_any\nunique_subject = no\n\
             [policy_any]\ncommonName = supplied\n\
             [v3_ca]\nbasicConstraints = critical, CA:TRUE\n\
             keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n\
             [v3_leaf]\nbasicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n\
             subjectAltName = {san}\n"
        );
        std::fs::write(dir.join("ca.cnf"), config).unwrap();

        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let (start, end) = (now.as_secs() - 86_400, now.as_secs() + 30 * 86_400);
        // `openssl ca` rather than `req -x509`/`x509 -req`: on OpenSSL 3.0 only it can
        // back-date a certificate (-startdate).
        let dates = format!(
            "-startdate {} -enddate {}",
            openssl_time(start),
            openssl_time(end)
        );
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        let ca = "ca -batch -notext -config ca.cnf -keyfile ca.key";
        let cn = format!("/CN={host}");
        openssl(
            dir,
            &format!("req -new {key} -keyout ca.key -out ca.csr"),
            &["-subj", "/CN=foi test CA"],
        );
        openssl(
            dir,
            &format!("{ca} -selfsign -in ca.csr -out ca.crt -extensions v3_ca {dates}"),
            &[],
        );
        openssl(
            dir,
            &format!("req -new {key} -keyout server.key -out server.csr"),
            &["-subj", &cn],
        );
        openssl(
            dir,
            &format!(
                "{ca} -cert ca.crt -in server.csr -out server.crt -extensions v3_leaf {dates}"
            ),
            &[],
        );

        TestCa {
            ca_cert_pem: std::fs::read_to_string(dir.join("ca.crt")).unwrap(),
            ca_path: dir.join("ca.crt"),
            cert_path: dir.join("server.crt"),
            key_path: dir.join("server.key"),
        }
    }
}

/// Runs `openssl <args split on spaces> <extra>` in `dir`; panics with its output on failure.
fn openssl(dir: &Path, args: &str, extra: &[&str]) {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run openssl (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "openssl {args} {extra:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Unix seconds as openssl's `YYYYMMDDHHMMSSZ` (GeneralizedTime), without a date crate.
fn openssl_time(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
