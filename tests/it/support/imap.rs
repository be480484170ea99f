//! A real IMAP server for integration tests: Debian's Dovecot (`dovecot-imapd`) run in the
//! foreground as a child of the test, on a free loopback port, with its own config, runtime
//! dir, state dir, log and Maildirs under one `/tmp/dvc-XXXXXX` directory per server, so any
//! number of tests (and test binaries) can run in parallel.
//!
//! ```ignore
//! let server = ImapServer::builder().user("foi", "secret").start();
//! server.deliver(b"From: a@b.org\r\nSubject: Re: FOI 123\r\n\r\nHello\r\n"); // into INBOX
//! // ... point the poller at 127.0.0.1:server.port, user server.user / server.password ...
//! let (uidvalidity, uids) = server.uids();
//! assert_eq!(server.flags(uids[0]), vec!["\\Seen"]);
//! server.kick();              // drop every client connection
//! server.restart();           // same port, same mail, same UIDVALIDITY
//! server.reset_uidvalidity(); // same mail, new UIDVALIDITY, UIDs renumbered from 1
//! ```
//!
//! Include it with `#[path = "support/imap.rs"] mod imap;`. Needs root (Dovecot serves the
//! mail as uid/gid 65534, nobody/nogroup) and `dovecot-imapd` (scripts/install-deps.sh).
//! Every method blocks (a restart takes ~1 s): in async tests call them through
//! `tokio::task::spawn_blocking` with the server in an `Arc` (it is `Send + Sync`), or at
//! least never while the code under test needs the same single-threaded runtime.
//!
//! Server behaviour worth knowing:
//! - Users log in with LOGIN or AUTHENTICATE PLAIN/LOGIN over plain TCP. A failed login
//!   answers `NO [AUTHENTICATIONFAILED] Authentication failed.` after ~0.5 s; Dovecot's auth
//!   penalty (growing delays after repeated failures) is switched off.
//! - Dovecot serves every message with CRLF line ends: deliver CRLF text to get the exact
//!   bytes back from `BODY[]`.
//! - [`deliver`](ImapServer::deliver)ed mail gets its UID when a session next looks at the
//!   mailbox (SELECT/EXAMINE, NOOP, IDLE, STATUS, or a harness helper such as `uids()`);
//!   [`append`](ImapServer::append)ed mail at once. So a message delivered before an append
//!   that no one has looked at yet gets a *higher* UID than the appended one.
//! - A session whose server is kicked, stopped or restarted reads `* BYE Server shutting
//!   down.` (if it reads at all) and then EOF; its next write may fail with EPIPE/ECONNRESET.
//! - With [`tls`](ImapServerBuilder::tls) the plain port offers STARTTLS and
//!   [`tls_port`](ImapServer::tls_port) speaks implicit TLS (IMAPS).
//! - [`log`](ImapServer::log) has Dovecot's log (logins, disconnects, errors): put it in
//!   assert messages.
#![allow(dead_code)] // each test binary uses a different part of it

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DOVECOT: &str = "/usr/sbin/dovecot";
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// nobody/nogroup: Dovecot refuses to serve mail as root.
const MAIL_UID: u32 = 65534;
const MAIL_GID: u32 = 65534;

/// A port on 127.0.0.1 where nothing listens (bound, then released): for "server is down".
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

/// Options for [`ImapServer`]. Without [`user`](Self::user) there is one user,
/// `foi` / `secret`.
#[derive(Default)]
pub struct ImapServerBuilder {
    users: Vec<(String, String)>,
    tls: Option<(PathBuf, PathBuf)>,
    require_tls: bool,
    port: Option<u16>,
    debug: bool,
}

impl ImapServerBuilder {
    /// Adds a user (password stored in plain text). The first one is the server's
    /// [`user`](ImapServer::user), the one the helpers (deliver, uids, ...) act for.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        assert!(
            !name.is_empty() && !name.contains([':', '/', ' ', '\n']) && !password.contains('\n'),
            "unsupported IMAP test user {name:?}"
        );
        self.users.push((name.into(), password.into()));
        self
    }

    /// Serves TLS with this PEM certificate (chain) and key: STARTTLS on the plain port and
    /// implicit TLS on [`tls_port`](ImapServer::tls_port). `key: None` means the key is in
    /// the `cert` file too. Works with `smtp::TestCa`: `.tls(&ca.cert_path, Some(&ca.key_path))`.
    pub fn tls(mut self, cert: impl AsRef<Path>, key: Option<&Path>) -> Self {
        let cert = cert.as_ref().to_path_buf();
        let key = key.map(Path::to_path_buf).unwrap_or_else(|| cert.clone());
        self.tls = Some((cert, key));
        self
    }

    /// Dovecot's `ssl = required`: no login without TLS (needs [`tls`](Self::tls)); on the
    /// plain port LOGIN answers `NO [PRIVACYREQUIRED]` until STARTTLS.
    ///
    /// Dovecot treats a connection whose two ends have the same IP as secure and lets it log
    /// in without TLS, so in this mode both ports listen on [`host`](ImapServer::host)
    /// `127.0.0.2` (a client's source address is then 127.0.0.1). Verify the certificate as
    /// `localhost` (TestCa's certificates name only `localhost`/127.0.0.1).
    pub fn require_tls(mut self) -> Self {
        self.require_tls = true;
        self
    }

    /// Listen on this port instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Also log Dovecot's auth and mail debug messages to [`log`](ImapServer::log).
    pub fn debug(mut self) -> Self {
        self.debug = true;
        self
    }

    /// Writes the config and Maildirs, spawns `dovecot -F` and waits (up to 10 s) until the
    /// port answers with this server's `* OK` greeting; panics with Dovecot's log if not.
    pub fn start(mut self) -> ImapServer {
        assert!(
            unsafe { libc::geteuid() } == 0,
            "the Dovecot test server needs root (it serves mail as uid 65534)"
        );
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} is missing: apt-get install -y dovecot-imapd"
        );
        assert!(
            !self.require_tls || self.tls.is_some(),
            "require_tls() needs tls(cert, key)"
        );
        if self.users.is_empty() {
            self.users.push(("foi".into(), "secret".into()));
        }
        // Short and fixed: Dovecot's unix sockets live under it (sun_path is ~108 bytes), and
        // $TMPDIR may be long. Mode 0755 so that uid 65534 and Dovecot's own users get in.
        let dir = tempfile::Builder::new()
            .prefix("dvc-")
            .tempdir_in("/tmp")
            .expect("tempdir for Dovecot");
        let root = dir.path().to_path_buf();
        chmod(&root, 0o755);
        for sub in ["run", "state", "home"] {
            std::fs::create_dir(root.join(sub)).unwrap();
            chmod(&root.join(sub), 0o755);
        }
        // passwd-file: user:{PLAIN}password, read by the auth process (user dovecot).
        let passwd: String = self
            .users
            .iter()
            .map(|(u, p)| format!("{u}:{{PLAIN}}{p}\n"))
            .collect();
        std::fs::write(root.join("users"), passwd).unwrap();
        chmod(&root.join("users"), 0o644);
        for (user, _) in &self.users {
            let home = root.join("home").join(user);
            let maildir = home.join("Maildir");
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(maildir.join(sub)).unwrap();
            }
            chown_mail(&home);
            chown_mail(&maildir);
            for sub in ["cur", "new", "tmp"] {
                chown_mail(&maildir.join(sub));
            }
        }

        let suffix = root
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("dvc-")
            .to_string();
        let instance = format!("foi-{suffix}");
        let mut server = ImapServer {
            host: if self.require_tls {
                "127.0.0.2"
            } else {
                "127.0.0.1"
            }
            .to_string(),
            port: 0,
            helper_port: 0,
            tls_port: None,
            user: self.users[0].0.clone(),
            password: self.users[0].1.clone(),
            users: self.users.clone(),
            root,
            // Dovecot names its processes `dovecot-<instance_name>/<service>`.
            title_prefix: format!("dovecot-{instance}/"),
            greeting: format!("{instance} ready."),
            instance,
            running: Mutex::new(None),
            _dir: dir,
        };
        let fixed_port = self.port.is_some();
        // A port from free_port() can be taken by someone else before Dovecot binds it: then
        // pick another (only when the test did not ask for a port).
        for attempt in 1.. {
            server.port = self.port.unwrap_or_else(free_port);
            server.tls_port = self.tls.as_ref().map(|_| free_port());
            // With require_tls the public ports refuse plain logins: the harness's own
            // sessions use an extra plain listener on 127.0.0.1, where Dovecot allows them.
            server.helper_port = if self.require_tls {
                free_port()
            } else {
                server.port
            };
            std::fs::write(server.root.join("dovecot.conf"), server.config(&self)).unwrap();
            match server.spawn() {
                Ok(()) => return server,
                Err(e) if !fixed_port && attempt < 5 && e.contains("Address already in use") => {
                    continue
                }
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!()
    }
}

/// A running Dovecot. Dropping it kills Dovecot (all its processes) and deletes its files.
pub struct ImapServer {
    /// Where both ports listen: `127.0.0.1` (`127.0.0.2` with
    /// [`require_tls`](ImapServerBuilder::require_tls)).
    pub host: String,
    /// Plain IMAP (STARTTLS offered if TLS is configured).
    pub port: u16,
    /// Implicit-TLS IMAP (IMAPS), if [`tls`](ImapServerBuilder::tls) was given.
    pub tls_port: Option<u16>,
    /// The plain port the harness's own sessions use (== port unless require_tls).
    helper_port: u16,
    /// The first (or only) user, and the password.
    pub user: String,
    pub password: String,
    users: Vec<(String, String)>,
    /// /tmp/dvc-XXXXXX: dovecot.conf, users, dovecot.log, stderr.log, run/, state/, home/.
    root: PathBuf,
    instance: String,
    title_prefix: String,
    greeting: String,
    running: Mutex<Option<Running>>,
    _dir: tempfile::TempDir,
}

/// The Dovecot master process, and a watchdog (`sh`) that SIGTERMs it when the test process
/// dies without running Drop (its stdin, a pipe from us, then hits EOF).
struct Running {
    master: Child,
    watchdog: Child,
    _watchdog_stdin: ChildStdin,
}

impl ImapServer {
    pub fn builder() -> ImapServerBuilder {
        ImapServerBuilder::default()
    }

    /// `<host>:<port>`, e.g. `127.0.0.1:40123`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The primary user's Maildir (`cur/`, `new/`, `tmp/`, `dovecot-uidlist`, ...).
    pub fn maildir(&self) -> PathBuf {
        self.maildir_of(&self.user)
    }

    /// Any configured user's Maildir.
    pub fn maildir_of(&self, user: &str) -> PathBuf {
        assert!(
            self.users.iter().any(|(u, _)| u == user),
            "no IMAP test user {user:?}"
        );
        self.root.join("home").join(user).join("Maildir")
    }

    /// Dovecot's log so far (and its stderr): handy in assert messages.
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.root.join(name)).unwrap_or_default();
        format!("{}{}", read("stderr.log"), read("dovecot.log"))
    }

    /// The config file, for `doveadm -c <it> ...`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("dovecot.conf")
    }

    /// Puts a message into the primary user's INBOX the way an MDA does: written to
    /// `Maildir/tmp/`, owned by 65534, renamed into `Maildir/new/`. Returns its file name.
    /// Works while the server is stopped too. The bytes are stored as given.
    pub fn deliver(&self, raw: &[u8]) -> String {
        self.deliver_to(&self.user, raw)
    }

    /// [`deliver`](Self::deliver) to another configured user.
    pub fn deliver_to(&self, user: &str, raw: &[u8]) -> String {
        let maildir = self.maildir_of(user);
        // `<secs>.M<usecs>P<pid>Q<n>.<host>`: Dovecot orders new mail by the time in the name,
        // so UIDs follow delivery order (also after reset_uidvalidity).
        let micros = unique_micros();
        let name = format!(
            "{}.M{}P{}Q{}.foi-test",
            micros / 1_000_000,
            micros % 1_000_000,
            std::process::id(),
            micros
        );
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap_or_else(|e| panic!("write {tmp:?}: {e}"));
        chmod(&tmp, 0o600);
        chown_mail(&tmp);
        std::fs::rename(&tmp, maildir.join("new").join(&name)).unwrap();
        name
    }

    /// Appends a message to the primary user's INBOX with IMAP APPEND (so it has its UID at
    /// once) and returns that UID.
    pub fn append(&self, raw: &[u8]) -> u32 {
        self.append_with_flags(raw, &[])
    }

    /// [`append`](Self::append) with flags, e.g. `&["\\Seen"]`.
    pub fn append_with_flags(&self, raw: &[u8], flags: &[&str]) -> u32 {
        let mut s = self.session();
        let reply = s.append("INBOX", flags, raw).expect("APPEND");
        assert!(reply.is_ok(), "APPEND failed: {reply:?}\n{}", self.log());
        let _ = s.run("LOGOUT");
        // OK [APPENDUID <uidvalidity> <uid>] Append completed.
        reply
            .text
            .strip_prefix("[APPENDUID ")
            .and_then(|rest| rest.split([' ', ']']).nth(1))
            .and_then(|uid| uid.parse().ok())
            .unwrap_or_else(|| panic!("no APPENDUID in {reply:?}"))
    }

    /// The INBOX's UIDVALIDITY and its messages' UIDs (ascending), read with a fresh
    /// read-only session (EXAMINE: it takes no \Recent flags and changes nothing).
    pub fn uids(&self) -> (u32, Vec<u32>) {
        let mut s = self.session();
        let (validity, _) = s.examine("INBOX");
        let reply = s.run("UID SEARCH ALL").expect("UID SEARCH");
        assert!(reply.is_ok(), "UID SEARCH failed: {reply:?}");
        let mut uids: Vec<u32> = reply
            .untagged
            .iter()
            .filter_map(|u| u.line.strip_prefix("SEARCH"))
            .flat_map(|rest| rest.split_whitespace().map(|n| n.parse::<u32>().unwrap()))
            .collect();
        uids.sort_unstable();
        let _ = s.run("LOGOUT");
        (validity, uids)
    }

    /// The stored flags of the INBOX message with this UID, e.g. `["\\Seen", "$Forwarded"]`,
    /// in the server's order. `\Recent` (session state, not a stored flag) is left out.
    /// Panics if there is no such message.
    pub fn flags(&self, uid: u32) -> Vec<String> {
        let mut s = self.session();
        s.examine("INBOX");
        let reply = s
            .run(&format!("UID FETCH {uid} (FLAGS)"))
            .expect("UID FETCH");
        assert!(reply.is_ok(), "UID FETCH failed: {reply:?}");
        let _ = s.run("LOGOUT");
        let line = reply
            .untagged
            .iter()
            .map(|u| &u.line)
            .find(|l| l.contains(" FETCH ") && fetch_uid(l) == Some(uid))
            .unwrap_or_else(|| panic!("no INBOX message with UID {uid}: {reply:?}"));
        let start = line.find("FLAGS (").expect("FLAGS in FETCH") + "FLAGS (".len();
        let end = start + line[start..].find(')').unwrap();
        line[start..end]
            .split_whitespace()
            .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
            .map(String::from)
            .collect()
    }

    /// The full message (`BODY.PEEK[]`, so \Seen is not set) with this UID in INBOX.
    pub fn message(&self, uid: u32) -> Vec<u8> {
        let mut s = self.session();
        s.examine("INBOX");
        let reply = s
            .run(&format!("UID FETCH {uid} (UID BODY.PEEK[])"))
            .expect("UID FETCH");
        let _ = s.run("LOGOUT");
        reply
            .untagged
            .into_iter()
            .find(|u| u.line.contains(" FETCH ") && fetch_uid(&u.line) == Some(uid))
            .and_then(|u| u.literals.into_iter().next())
            .unwrap_or_else(|| panic!("no INBOX message with UID {uid}"))
    }

    /// A new raw session, logged in as the primary user (nothing selected).
    pub fn session(&self) -> RawImap {
        RawImap::login(self.helper_port, &self.user, &self.password)
    }

    /// Drops every client connection, the way `doveadm kick` does (SIGTERM to each session
    /// process: a logged-in client reads `* BYE Server shutting down.` and then EOF), and
    /// waits until they are gone. Connections not yet logged in are dropped too. Returns how
    /// many logged-in sessions were dropped. The server keeps running.
    pub fn kick(&self) -> usize {
        let guard = self.running.lock().unwrap();
        let Some(running) = guard.as_ref() else {
            return 0;
        };
        let master = running.master.id() as i32;
        let targets: Vec<(i32, String)> = self
            .processes()
            .into_iter()
            .filter(|(pid, service)| {
                *pid != master && (service == "imap" || service == "imap-login")
            })
            .collect();
        for (pid, _) in &targets {
            unsafe { libc::kill(*pid, libc::SIGTERM) };
        }
        let pids: Vec<i32> = targets.iter().map(|(pid, _)| *pid).collect();
        if !wait_gone(&pids, Duration::from_secs(5)) {
            for pid in &pids {
                unsafe { libc::kill(*pid, libc::SIGKILL) };
            }
            wait_gone(&pids, Duration::from_secs(5));
        }
        targets.iter().filter(|(_, s)| s == "imap").count()
    }

    /// Stops Dovecot gracefully (SIGTERM: clients get `* BYE Server shutting down.`) and
    /// waits until every one of its processes is gone. The port then refuses connections.
    /// The mail stays; [`restart`](Self::restart) brings the server back. No-op if stopped.
    pub fn stop(&self) {
        let mut guard = self.running.lock().unwrap();
        self.stop_locked(&mut guard, libc::SIGTERM);
    }

    /// Stops (if running) and starts Dovecot again: same port(s), users, mail and UIDVALIDITY.
    /// Waits for readiness like [`start`](ImapServerBuilder::start).
    pub fn restart(&self) {
        let mut guard = self.running.lock().unwrap();
        self.stop_locked(&mut guard, libc::SIGTERM);
        drop(guard);
        if let Err(e) = self.spawn() {
            panic!("{e}");
        }
    }

    /// Whether Dovecot is running (not [`stop`](Self::stop)ped).
    pub fn is_running(&self) -> bool {
        self.running.lock().unwrap().is_some()
    }

    /// Gives the primary user's INBOX a new UIDVALIDITY, keeping its messages (and their
    /// flags, which Maildir keeps in the file names) but numbering their UIDs afresh from 1
    /// in delivery order, as a server migration does: stops Dovecot, deletes the INBOX's
    /// `dovecot-uidlist` and index files, restarts. Verifies the change with a fresh session
    /// and returns the new UIDVALIDITY. Live connections are dropped (by the restart).
    pub fn reset_uidvalidity(&self) -> u32 {
        let (old, old_uids) = self.uids();
        let maildir = self.maildir();
        self.stop();
        for entry in std::fs::read_dir(&maildir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            // Kept: `dovecot-uidvalidity*`, which records the last UIDVALIDITY handed out, so
            // the next one is larger even within the same second.
            if name == "dovecot-uidlist" || name.starts_with("dovecot.index") {
                std::fs::remove_file(maildir.join(&name)).unwrap();
            }
            if name.starts_with("dovecot.list.index") {
                std::fs::remove_file(maildir.join(&name)).unwrap();
            }
        }
        self.restart();
        let (new, new_uids) = self.uids();
        assert_ne!(new, old, "UIDVALIDITY did not change\n{}", self.log());
        assert_eq!(
            new_uids,
            (1..=old_uids.len() as u32).collect::<Vec<_>>(),
            "messages after the UIDVALIDITY reset (before: {old_uids:?})"
        );
        new
    }

    // ---- internals ----

    fn config(&self, b: &ImapServerBuilder) -> String {
        let root = self.root.display();
        let mut c = format!(
            "# Written by tests/it/support/imap.rs for one test; nothing from /etc/dovecot.\n\
             protocols = imap\n\
             listen = {host}\n\
             base_dir = {root}/run\n\
             state_dir = {root}/state\n\
             instance_name = {instance}\n\
             log_path = {root}/dovecot.log\n\
             login_greeting = {greeting}\n\
             auth_mechanisms = plain login\n\
             disable_plaintext_auth = no\n\
             auth_failure_delay = 0\n\
             auth_verbose = yes\n\
             first_valid_uid = {MAIL_UID}\n\
             mail_location = maildir:~/Maildir\n\
             mail_max_userip_connections = 1000\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {root}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={MAIL_UID} gid={MAIL_GID} home={root}/home/%u\n}}\n\
             # No auth penalty (growing delays after failed logins from one IP).\n\
             service anvil {{\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n",
            instance = self.instance,
            greeting = self.greeting,
            host = self.host,
        );
        if b.debug {
            c.push_str("auth_debug = yes\nmail_debug = yes\nverbose_ssl = yes\n");
        }
        match (&b.tls, self.tls_port) {
            (Some((cert, key)), Some(tls_port)) => {
                let ssl = if b.require_tls { "required" } else { "yes" };
                let helper = if self.helper_port == self.port {
                    String::new()
                } else {
                    format!(
                        "  inet_listener harness {{\n    address = 127.0.0.1\n    port = {}\n  }}\n",
                        self.helper_port
                    )
                };
                c.push_str(&format!(
                    "ssl = {ssl}\nssl_cert = <{}\nssl_key = <{}\n\
                     service imap-login {{\n\
                     \x20 inet_listener imap {{\n    address = {host}\n    port = {}\n  }}\n\
                     \x20 inet_listener imaps {{\n    address = {host}\n    port = {tls_port}\n    ssl = yes\n  }}\n\
                     {helper}}}\n",
                    cert.display(),
                    key.display(),
                    self.port,
                    host = self.host,
                ));
            }
            _ => c.push_str(&format!(
                "ssl = no\n\
                 service imap-login {{\n\
                 \x20 inet_listener imap {{\n    address = 127.0.0.1\n    port = {}\n  }}\n\
                 \x20 inet_listener imaps {{\n    port = 0\n  }}\n}}\n",
                self.port
            )),
        }
        c
    }

    /// Spawns Dovecot (with the current config) and waits until it greets on `port`.
    /// Err(message with the logs) if it exits or does not greet in time.
    fn spawn(&self) -> Result<(), String> {
        let mut guard = self.running.lock().unwrap();
        assert!(guard.is_none(), "Dovecot is already running");
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("stderr.log"))
            .unwrap();
        let master = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(stderr.try_clone().unwrap())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {DOVECOT}: {e}"));
        let mut watchdog = Command::new("/bin/sh")
            .arg("-c")
            .arg("read _ignored; kill -TERM \"$1\" 2>/dev/null")
            .arg("imap-test-watchdog")
            .arg(master.id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn /bin/sh watchdog");
        let stdin = watchdog.stdin.take().unwrap();
        *guard = Some(Running {
            master,
            watchdog,
            _watchdog_stdin: stdin,
        });

        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last_error;
        loop {
            let exited = guard.as_mut().unwrap().master.try_wait().unwrap();
            if let Some(status) = exited {
                self.stop_locked(&mut guard, libc::SIGKILL);
                let log = self.log();
                return Err(format!(
                    "Dovecot exited during startup ({status}). Log:\n{log}"
                ));
            }
            match self.greeting_ok() {
                Ok(()) => return Ok(()),
                Err(e) => last_error = e,
            }
            if Instant::now() >= deadline {
                self.stop_locked(&mut guard, libc::SIGKILL);
                return Err(format!(
                    "Dovecot did not greet on 127.0.0.1:{} within {READY_TIMEOUT:?} \
                     (last: {last_error}). Log:\n{}",
                    self.helper_port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Connects and checks for *this* server's greeting (another process may hold the port).
    fn greeting_ok(&self) -> Result<(), String> {
        let stream = TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", self.helper_port).parse().unwrap(),
            Duration::from_secs(1),
        )
        .map_err(|e| format!("connect: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut line = String::new();
        BufReader::new(&stream)
            .read_line(&mut line)
            .map_err(|e| format!("read greeting: {e}"))?;
        let _ = (&stream).write_all(b"x LOGOUT\r\n");
        if line.starts_with("* OK") && line.trim_end().ends_with(&self.greeting) {
            Ok(())
        } else {
            Err(format!("unexpected greeting {line:?}"))
        }
    }

    /// Stops the master with `signal` (SIGKILL: at once, no goodbyes), waits for it and for
    /// every process of this instance (waiting long enough for a port reuse and for the
    /// files to be quiet), then SIGKILLs whatever is left.
    fn stop_locked(&self, guard: &mut MutexGuard<'_, Option<Running>>, signal: i32) {
        let Some(mut running) = guard.take() else {
            return;
        };
        let _ = running.watchdog.kill();
        let _ = running.watchdog.wait();
        let master = running.master.id() as i32;
        unsafe { libc::kill(master, signal) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if running.master.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() >= deadline {
                let _ = running.master.kill();
                let _ = running.master.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Children notice the master's death and exit; wait for them, then make sure.
        let leftovers: Vec<i32> = self.processes().into_iter().map(|(pid, _)| pid).collect();
        if signal == libc::SIGKILL {
            for pid in &leftovers {
                unsafe { libc::kill(*pid, libc::SIGKILL) };
            }
        }
        if !wait_gone(&leftovers, Duration::from_secs(5)) {
            for pid in &leftovers {
                unsafe { libc::kill(*pid, libc::SIGKILL) };
            }
            wait_gone(&leftovers, Duration::from_secs(5));
        }
        let _ = std::fs::remove_file(self.root.join("run/master.pid"));
    }

    /// (pid, service) of every process of this Dovecot instance except the master, found by
    /// process title `dovecot-<instance>/<service>`.
    fn processes(&self) -> Vec<(i32, String)> {
        let mut found = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return found;
        };
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let title = String::from_utf8_lossy(&cmdline);
            if let Some(rest) = title.strip_prefix(&self.title_prefix) {
                let service = rest
                    .split(|c: char| c == '\0' || c.is_whitespace())
                    .next()
                    .unwrap_or("")
                    .to_string();
                found.push((pid, service));
            }
        }
        found
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        // Nothing of it is needed any more: kill, don't wait for goodbyes. Then TempDir
        // deletes the files.
        let mut guard = match self.running.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        self.stop_locked(&mut guard, libc::SIGKILL);
    }
}

/// Waits until none of `pids` exists (zombies of other parents count as gone).
fn wait_gone(pids: &[i32], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let alive = pids.iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|stat| {
                    // "pid (comm) S ...": the state letter follows the last ')'.
                    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
                    !state.starts_with('Z') && !state.starts_with('X')
                })
                .unwrap_or(false)
        });
        if !alive {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {path:?}: {e}"));
}

fn chown_mail(path: &Path) {
    std::os::unix::fs::chown(path, Some(MAIL_UID), Some(MAIL_GID))
        .unwrap_or_else(|e| panic!("chown {path:?} to {MAIL_UID}: {e}"));
}

/// Microseconds since the epoch, strictly increasing within this process.
fn unique_micros() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => last = actual,
        }
    }
}

/// The `UID n` item of a `n FETCH (...)` line.
fn fetch_uid(line: &str) -> Option<u32> {
    let at = line.find("UID ")?;
    line[at + 4..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A minimal blocking IMAP client over std's TcpStream, for the harness's own checks and for
/// tests that need to look at or change the mailbox behind the poller's back.
pub struct RawImap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_tag: u32,
    /// The server's greeting line, e.g. `* OK [CAPABILITY ...] foi-xyz ready.`
    pub greeting: String,
}

/// One untagged response (`* ...`): the text without the `* ` and with every literal's
/// bytes replaced by its `{n}` marker; the literals (e.g. BODY[] contents) in order.
#[derive(Clone, Debug)]
pub struct Untagged {
    pub line: String,
    pub literals: Vec<Vec<u8>>,
}

/// A command's complete response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub untagged: Vec<Untagged>,
    /// `OK`, `NO` or `BAD`.
    pub status: String,
    /// The rest of the tagged line, e.g. `[READ-WRITE] Select completed (0.001 secs).`
    pub text: String,
}

impl Reply {
    pub fn is_ok(&self) -> bool {
        self.status == "OK"
    }
}

impl RawImap {
    /// Connects to 127.0.0.1:`port` and reads the greeting (10 s read timeout).
    pub fn connect(port: u16) -> std::io::Result<RawImap> {
        RawImap::connect_to(("127.0.0.1", port))
    }

    /// [`connect`](Self::connect) to any address, e.g. `server.addr().as_str()`.
    pub fn connect_to(addr: impl std::net::ToSocketAddrs) -> std::io::Result<RawImap> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut c = RawImap {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            next_tag: 1,
            greeting: String::new(),
        };
        c.greeting = c.read_response()?.line;
        Ok(c)
    }

    /// Connects and logs in; panics if either fails.
    pub fn login(port: u16, user: &str, password: &str) -> RawImap {
        let mut c = RawImap::connect(port)
            .unwrap_or_else(|e| panic!("connect to IMAP 127.0.0.1:{port}: {e}"));
        let reply = c
            .run(&format!("LOGIN {} {}", quote(user), quote(password)))
            .expect("LOGIN");
        assert!(reply.is_ok(), "LOGIN {user} failed: {reply:?}");
        c
    }

    /// EXAMINE (read-only SELECT): returns (UIDVALIDITY, EXISTS); panics on failure.
    pub fn examine(&mut self, mailbox: &str) -> (u32, u32) {
        self.open("EXAMINE", mailbox)
    }

    /// SELECT: returns (UIDVALIDITY, EXISTS); panics on failure.
    pub fn select(&mut self, mailbox: &str) -> (u32, u32) {
        self.open("SELECT", mailbox)
    }

    fn open(&mut self, verb: &str, mailbox: &str) -> (u32, u32) {
        let reply = self.run(&format!("{verb} {}", quote(mailbox))).expect(verb);
        assert!(reply.is_ok(), "{verb} {mailbox} failed: {reply:?}");
        let mut validity = None;
        let mut exists = 0;
        for u in &reply.untagged {
            if let Some(rest) = u.line.strip_prefix("OK [UIDVALIDITY ") {
                validity = rest.split(']').next().and_then(|v| v.parse().ok());
            } else if let Some(n) = u.line.strip_suffix(" EXISTS") {
                exists = n.parse().unwrap_or(0);
            }
        }
        (validity.expect("UIDVALIDITY in SELECT reply"), exists)
    }

    /// Sends `<tag> <command>` and reads up to and including the tagged reply.
    /// An Err is an I/O error or EOF (e.g. the server dropped the connection).
    pub fn run(&mut self, command: &str) -> std::io::Result<Reply> {
        let tag = self.send(command)?;
        self.finish(&tag)
    }

    /// APPEND with a synchronizing literal.
    pub fn append(&mut self, mailbox: &str, flags: &[&str], raw: &[u8]) -> std::io::Result<Reply> {
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("({}) ", flags.join(" "))
        };
        let tag = self.send(&format!(
            "APPEND {} {flags}{{{}}}",
            quote(mailbox),
            raw.len()
        ))?;
        let cont = self.read_response()?;
        if !cont.line.starts_with('+') {
            return self.finish_with(&tag, cont);
        }
        self.writer.write_all(raw)?;
        self.writer.write_all(b"\r\n")?;
        self.finish(&tag)
    }

    fn send(&mut self, command: &str) -> std::io::Result<String> {
        let tag = format!("h{}", self.next_tag);
        self.next_tag += 1;
        self.writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())?;
        Ok(tag)
    }

    fn finish(&mut self, tag: &str) -> std::io::Result<Reply> {
        let first = self.read_response()?;
        self.finish_with(tag, first)
    }

    fn finish_with(&mut self, tag: &str, mut response: Untagged) -> std::io::Result<Reply> {
        let mut untagged = Vec::new();
        loop {
            if let Some(rest) = response.line.strip_prefix(&format!("{tag} ")) {
                let (status, text) = rest.split_once(' ').unwrap_or((rest, ""));
                return Ok(Reply {
                    untagged,
                    status: status.to_string(),
                    text: text.to_string(),
                });
            }
            if let Some(rest) = response.line.strip_prefix("* ") {
                response.line = rest.to_string();
            }
            untagged.push(response);
            response = self.read_response()?;
        }
    }

    /// One response line, with any `{n}` literals read into `literals`.
    fn read_response(&mut self) -> std::io::Result<Untagged> {
        let mut line = String::new();
        let mut literals = Vec::new();
        loop {
            let mut buf = Vec::new();
            if self.reader.read_until(b'\n', &mut buf)? == 0 {
                return Err(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("IMAP server closed the connection (after {line:?})"),
                ));
            }
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim_end_matches(['\r', '\n']);
            line.push_str(text);
            // A literal: `... {123}` then 123 raw bytes, then the line goes on.
            let size = text
                .strip_suffix('}')
                .and_then(|t| t.rsplit_once('{'))
                .and_then(|(_, n)| n.trim_end_matches('+').parse::<usize>().ok());
            match size {
                Some(n) => {
                    let mut data = vec![0; n];
                    self.reader.read_exact(&mut data)?;
                    literals.push(data);
                }
                None => return Ok(Untagged { line, literals }),
            }
        }
    }
}

/// An IMAP quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
