//! Proves the IMAP test harness (tests/it/support/imap.rs, a real Dovecot) behaves as documented,
//! using a hand-written IMAP dialogue over std::net so it depends on none of foi's code (nor
//! on the harness's own client).

use crate::support::imap;
use crate::support::smtp;

use imap::{free_port, ImapServer};
use smtp::TestCa;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One server response line; `literal` holds the bytes of a `{n}` literal in it, if any.
#[derive(Debug)]
struct Line {
    text: String,
    literal: Option<Vec<u8>>,
}

/// A minimal IMAP client: one tagged command out, every response up to its tagged reply back.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Client {
    /// Connects and checks the `* OK` greeting.
    fn connect(port: u16) -> Client {
        Client::connect_to(&format!("127.0.0.1:{port}"))
    }

    fn connect_to(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut c = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            tag: 0,
        };
        let greeting = c.line().unwrap();
        assert!(greeting.text.starts_with("* OK"), "greeting: {greeting:?}");
        c
    }

    fn login(port: u16, user: &str, password: &str) -> Client {
        let mut c = Client::connect(port);
        let (status, _) = c.cmd(&format!("LOGIN {user} {password}")).unwrap();
        assert!(status.starts_with("OK"), "LOGIN: {status}");
        c
    }

    /// Reads one response line, and the literal it announces (`... {n}` + n bytes + rest).
    fn line(&mut self) -> std::io::Result<Line> {
        let mut raw = Vec::new();
        if self.reader.read_until(b'\n', &mut raw)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let mut text = String::from_utf8(raw).unwrap();
        let mut literal = None;
        if let Some(open) = text.trim_end().strip_suffix('}').and_then(|t| t.rfind('{')) {
            let n: usize = text[open + 1..text.trim_end().len() - 1].parse().unwrap();
            let mut bytes = vec![0; n];
            self.reader.read_exact(&mut bytes)?;
            literal = Some(bytes);
            let mut rest = String::new();
            self.reader.read_line(&mut rest)?;
            text.push_str(&rest);
        }
        Ok(Line {
            text: text.trim_end().to_string(),
            literal,
        })
    }

    /// Sends a command; returns (the tagged status line without the tag, untagged lines).
    fn cmd(&mut self, command: &str) -> std::io::Result<(String, Vec<Line>)> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())?;
        let mut untagged = Vec::new();
        loop {
            let line = self.line()?;
            if let Some(status) = line.text.strip_prefix(&format!("{tag} ")) {
                return Ok((status.to_string(), untagged));
            }
            untagged.push(line);
        }
    }

    /// SELECT INBOX: (UIDVALIDITY, EXISTS).
    fn select_inbox(&mut self) -> (u32, u32) {
        let (status, lines) = self.cmd("SELECT INBOX").unwrap();
        assert!(status.starts_with("OK"), "SELECT: {status}");
        let mut validity = None;
        let mut exists = None;
        for l in &lines {
            if let Some(v) = l.text.strip_prefix("* OK [UIDVALIDITY ") {
                validity = Some(v.split(']').next().unwrap().parse().unwrap());
            }
            if let Some(n) = l
                .text
                .strip_prefix("* ")
                .and_then(|t| t.strip_suffix(" EXISTS"))
            {
                exists = Some(n.parse().unwrap());
            }
        }
        (validity.unwrap(), exists.unwrap())
    }

    /// UID FETCH 1:* (UID BODY.PEEK[]): every (uid, message bytes) in UID order.
    fn fetch_all(&mut self) -> Vec<(u32, Vec<u8>)> {
        let (status, lines) = self.cmd("UID FETCH 1:* (UID BODY.PEEK[])").unwrap();
        assert!(status.starts_with("OK"), "UID FETCH: {status}");
        lines
            .into_iter()
            .filter(|l| l.text.contains(" FETCH ("))
            .map(|l| {
                let uid = l.text.split("UID ").nth(1).unwrap();
                let uid = uid.split(|c: char| !c.is_ascii_digit()).next().unwrap();
                (uid.parse().unwrap(), l.literal.expect("BODY[] literal"))
            })
            .collect()
    }

    fn logout(mut self) {
        let (status, lines) = self.cmd("LOGOUT").unwrap();
        assert!(status.starts_with("OK"), "LOGOUT: {status}");
        assert!(
            lines.iter().any(|l| l.text.starts_with("* BYE")),
            "{lines:?}"
        );
    }

    /// True if the server has dropped us: the next command gets EOF, a reset, or only
    /// `* BYE` before EOF — anything but a tagged reply.
    fn is_dropped(&mut self) -> bool {
        match self.cmd("NOOP") {
            Ok((status, lines)) => panic!("NOOP answered after drop: {status} {lines:?}"),
            Err(_) => true,
        }
    }
}

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Council <foi@council.example>\r\nTo: foi@example.org\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@council.example>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[test]
fn login_select_and_delivered_message_comes_back_exactly() {
    let server = ImapServer::builder().user("alice", "s3cret").start();
    assert_eq!(server.user, "alice");
    assert_eq!(server.password, "s3cret");

    // A wrong password is refused, and quickly (no auth penalty).
    let mut c = Client::connect(server.port);
    let started = Instant::now();
    let (status, _) = c.cmd("LOGIN alice wrong").unwrap();
    assert!(status.starts_with("NO"), "{status}");
    let (status, _) = c.cmd("LOGIN alice wrong").unwrap();
    assert!(status.starts_with("NO"), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // 8-bit body, a lone "." line, a long header: all must survive byte for byte.
    let raw = message(
        "Re: FOI-2024-001",
        "Caf\u{e9} \u{2014} r\u{e9}ponse\r\n.\r\nX-Not-A-Header: no\r\n\r\nend",
    );
    let name = server.deliver(&raw);
    assert!(server.maildir().join("new").join(&name).exists());

    let (status, _) = c.cmd("LOGIN alice s3cret").unwrap();
    assert!(status.starts_with("OK"), "{status}");
    let (validity, exists) = c.select_inbox();
    assert_eq!(exists, 1);
    let (status, lines) = c
        .cmd("UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])")
        .unwrap();
    assert!(status.starts_with("OK"), "{status}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].text.starts_with("* 1 FETCH ("), "{:?}", lines[0]);
    assert!(lines[0].text.contains("UID 1 "), "{:?}", lines[0]);
    assert!(
        lines[0]
            .text
            .contains(&format!("RFC822.SIZE {} ", raw.len())),
        "{:?}",
        lines[0]
    );
    assert_eq!(lines[0].literal.as_deref(), Some(&raw[..]));

    // Mail delivered while a session has INBOX selected shows up on its next NOOP.
    let second = message("second", "two");
    server.deliver(&second);
    let (status, lines) = c.cmd("NOOP").unwrap();
    assert!(status.starts_with("OK"), "{status}");
    assert!(lines.iter().any(|l| l.text == "* 2 EXISTS"), "{lines:?}");
    assert_eq!(c.fetch_all(), vec![(1, raw.clone()), (2, second)]);
    c.logout();

    // The harness's own views agree, and BODY.PEEK set no flag.
    assert_eq!(server.uids(), (validity, vec![1, 2]));
    assert_eq!(server.message(1), raw);
    assert!(server.flags(1).is_empty(), "{:?}", server.flags(1));
}

#[test]
fn append_gives_a_uid_at_once_and_keeps_flags() {
    let server = ImapServer::builder().start();
    assert_eq!(
        (server.user.as_str(), server.password.as_str()),
        ("foi", "secret")
    );

    let first = message("appended", "one");
    assert_eq!(server.append(&first), 1);
    let delivered = message("delivered", "two");
    server.deliver(&delivered);
    let seen = message("seen", "three");
    // APPEND does not scan Maildir/new: the delivered message, not yet seen by any
    // session, gets its UID only afterwards.
    assert_eq!(server.append_with_flags(&seen, &["\\Seen", "$Label1"]), 2);

    let (validity, uids) = server.uids();
    assert_eq!(uids, vec![1, 2, 3]);
    assert!(server.flags(1).is_empty());
    let mut flags = server.flags(2);
    flags.sort();
    assert_eq!(flags, vec!["$Label1", "\\Seen"]);

    let mut c = Client::login(server.port, "foi", "secret");
    assert_eq!(c.select_inbox(), (validity, 3));
    assert_eq!(c.fetch_all(), vec![(1, first), (2, seen), (3, delivered)]);
    c.logout();
}

#[test]
fn kick_drops_live_connections_and_the_server_stays_up() {
    let server = ImapServer::builder().start();
    server.deliver(&message("m", "x"));
    assert_eq!(server.kick(), 0, "nobody connected yet");

    let mut a = Client::login(server.port, "foi", "secret");
    a.select_inbox();
    let mut b = Client::login(server.port, "foi", "secret");
    let mut pre_login = Client::connect(server.port);

    assert_eq!(server.kick(), 2);
    assert!(a.is_dropped());
    assert!(b.is_dropped());
    assert!(pre_login.is_dropped());

    // New sessions work right away.
    let mut c = Client::login(server.port, "foi", "secret");
    assert_eq!(c.select_inbox().1, 1);
    c.logout();
}

#[test]
fn restart_keeps_port_messages_flags_and_uidvalidity() {
    let server = ImapServer::builder().user("bob", "pw").start();
    let port = server.port;
    server.deliver(&message("one", "1"));
    server.append_with_flags(&message("two", "2"), &["\\Seen"]);
    let before = server.uids();
    assert_eq!(before.1, vec![1, 2]);

    let mut live = Client::login(port, "bob", "pw");
    live.select_inbox();
    let started = Instant::now();
    server.restart();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(live.is_dropped());
    assert_eq!(server.port, port);
    assert!(server.is_running());

    assert_eq!(server.uids(), before);
    assert_eq!(server.flags(2), vec!["\\Seen"]);
    let mut c = Client::login(port, "bob", "pw");
    assert_eq!(c.select_inbox(), (before.0, 2));
    assert_eq!(c.fetch_all()[1], (2, message("two", "2")));
    c.logout();
}

#[test]
fn stop_refuses_connections_until_restart() {
    let server = ImapServer::builder().start();
    let mut live = Client::login(server.port, "foi", "secret");
    server.stop();
    assert!(!server.is_running());
    assert!(live.is_dropped());
    let err = TcpStream::connect(("127.0.0.1", server.port)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(server.kick(), 0);

    // Delivery works while the server is down; the mail is there when it comes back.
    server.deliver(&message("while-down", "x"));
    server.restart();
    let (_, uids) = server.uids();
    assert_eq!(uids, vec![1]);
}

#[test]
fn reset_uidvalidity_renumbers_but_keeps_messages_and_flags() {
    let server = ImapServer::builder().start();
    let (a, b, c) = (message("a", "A"), message("b", "B"), message("c", "C"));
    server.deliver(&a);
    server.deliver(&b);
    server.deliver(&c);

    // UIDs 1..3, then flag 3 and expunge 1, so the survivors are UIDs 2 and 3.
    let mut s = Client::login(server.port, "foi", "secret");
    let (old_validity, exists) = s.select_inbox();
    assert_eq!(exists, 3);
    for command in [
        "UID STORE 3 +FLAGS (\\Flagged)",
        "UID STORE 1 +FLAGS (\\Deleted)",
        "EXPUNGE",
    ] {
        let (status, _) = s.cmd(command).unwrap();
        assert!(status.starts_with("OK"), "{command}: {status}");
    }
    assert_eq!(s.fetch_all(), vec![(2, b.clone()), (3, c.clone())]);

    let new_validity = server.reset_uidvalidity();
    assert_ne!(new_validity, old_validity);
    assert!(s.is_dropped(), "the reset restarts the server");

    let mut s = Client::login(server.port, "foi", "secret");
    assert_eq!(s.select_inbox(), (new_validity, 2));
    assert_eq!(s.fetch_all(), vec![(1, b), (2, c)]);
    s.logout();
    assert_eq!(server.uids(), (new_validity, vec![1, 2]));
    assert_eq!(server.flags(2), vec!["\\Flagged"]);

    // Again at once (same second): still a different UIDVALIDITY.
    let third = server.reset_uidvalidity();
    assert_ne!(third, new_validity);
    assert_eq!(server.uids(), (third, vec![1, 2]));
}

#[test]
fn servers_run_side_by_side_independently() {
    let servers: Vec<ImapServer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                scope.spawn(move || {
                    ImapServer::builder()
                        .user(&format!("user{i}"), &format!("pw{i}"))
                        .start()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4);

    for (i, server) in servers.iter().enumerate() {
        for _ in 0..=i {
            server.deliver(&message(&format!("s{i}"), "x"));
        }
    }
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(server.uids().1.len(), i + 1);
        // Each server knows only its own user.
        let other = (i + 1) % 4;
        let mut c = Client::connect(server.port);
        let (status, _) = c.cmd(&format!("LOGIN user{other} pw{other}")).unwrap();
        assert!(status.starts_with("NO"), "{status}");
    }

    // Kicking or stopping one leaves the others' sessions alone.
    let mut on_1 = Client::login(servers[1].port, "user1", "pw1");
    on_1.select_inbox();
    let mut on_0 = Client::login(servers[0].port, "user0", "pw0");
    assert_eq!(servers[0].kick(), 1);
    servers[2].stop();
    assert!(on_0.is_dropped());
    let (status, _) = on_1.cmd("NOOP").unwrap();
    assert!(status.starts_with("OK"), "{status}");
    on_1.logout();
}

#[test]
fn fixed_port_and_drop_cleans_up() {
    let port = free_port();
    let server = ImapServer::builder().port(port).start();
    assert_eq!(server.port, port);
    let maildir = server.maildir();
    let root = maildir.ancestors().nth(3).unwrap().to_path_buf();
    assert!(root.to_str().unwrap().starts_with("/tmp/dvc-"), "{root:?}");
    let suffix = root.file_name().unwrap().to_str().unwrap()[4..].to_string();
    let mut live = Client::login(port, "foi", "secret");
    assert!(processes_mentioning(&suffix) >= 3);

    drop(server);
    assert!(live.is_dropped());
    assert!(!root.exists(), "{root:?} left behind");
    let err = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(
        processes_mentioning(&suffix),
        0,
        "Dovecot processes left behind"
    );
}

/// Live (non-zombie) processes whose command line mentions `s`.
fn processes_mentioning(s: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(s)
                && !stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
        })
        .count()
}

/// Runs `openssl s_client` against `host`:`port` (verifying the server certificate against
/// `ca`), types `input` and returns everything it printed.
fn s_client(host: &str, port: u16, ca: &TestCa, starttls: bool, input: &str) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-quiet", "-crlf", "-verify_return_error"])
        .args(["-connect", &format!("{host}:{port}")])
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .arg("-CAfile")
        .arg(&ca.ca_path);
    if starttls {
        cmd.args(["-starttls", "imap"]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn tls_listener_and_starttls_use_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::generate(dir.path(), "localhost");
    let server = ImapServer::builder()
        .tls(&ca.cert_path, Some(&ca.key_path))
        .start();
    let tls_port = server.tls_port.expect("tls_port");
    assert_ne!(tls_port, server.port);
    server.deliver(&message("secret", "x"));

    let out = s_client(
        "127.0.0.1",
        tls_port,
        &ca,
        false,
        "a LOGIN foi secret\nb SELECT INBOX\nc LOGOUT\n",
    );
    assert!(out.contains("a OK"), "{out}");
    assert!(out.contains("* 1 EXISTS"), "{out}");
    assert!(out.contains("verify return:1"), "{out}");

    // The plain port offers STARTTLS, and plain LOGIN still works (ssl = yes).
    let mut c = Client::connect(server.port);
    let (_, lines) = c.cmd("CAPABILITY").unwrap();
    assert!(lines[0].text.contains("STARTTLS"), "{lines:?}");
    let (status, _) = c.cmd("LOGIN foi secret").unwrap();
    assert!(status.starts_with("OK"), "{status}");
    let out = s_client(
        "127.0.0.1",
        server.port,
        &ca,
        true,
        "a LOGIN foi secret\nb LOGOUT\n",
    );
    assert!(out.contains("a OK"), "{out}");
}

#[test]
fn require_tls_refuses_plain_login() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::generate(dir.path(), "localhost");
    // Key and certificate in one PEM file: `key: None`.
    let pem = dir.path().join("combined.pem");
    let combined = std::fs::read_to_string(&ca.cert_path).unwrap()
        + &std::fs::read_to_string(&ca.key_path).unwrap();
    std::fs::write(&pem, combined).unwrap();
    let server = ImapServer::builder().tls(&pem, None).require_tls().start();
    assert_eq!(server.host, "127.0.0.2");
    server.deliver(&message("m", "x"));

    let mut c = Client::connect_to(&server.addr());
    let (_, lines) = c.cmd("CAPABILITY").unwrap();
    assert!(lines[0].text.contains("LOGINDISABLED"), "{lines:?}");
    let (status, _) = c.cmd("LOGIN foi secret").unwrap();
    assert!(status.starts_with("NO"), "{status}");
    for (port, starttls) in [(server.port, true), (server.tls_port.unwrap(), false)] {
        let out = s_client(
            &server.host,
            port,
            &ca,
            starttls,
            "a LOGIN foi secret\nb LOGOUT\n",
        );
        assert!(out.contains("a OK"), "{out}");
    }
    // The harness's helpers still work.
    assert_eq!(server.uids().1, vec![1]);
}
