//! The IMAP client. UIDs above the mailbox's high-water mark are fetched in order; each
//! message is handed to the `Mailbox` (which stores it) before the mark moves past it, so a
//! dropped connection or a restart re-fetches at most what was not yet recorded, and
//! duplicate detection makes that harmless. A changed UIDVALIDITY means the old UIDs mean
//! nothing: the whole folder is read again and the duplicates are recognised.

use crate::settings::{ImapSecurity, Settings};
use futures::StreamExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("no inbox is configured (set inbox.host, inbox.username and FOI__INBOX__PASSWORD)")]
    NotConfigured,
    #[error("IMAP server {server}: {message}")]
    Server { server: String, message: String },
}

/// What a message fetched from the inbox turned out to be once stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Stored,
    Duplicate,
}

/// Where fetched messages go, and where the high-water mark is kept (the poll service:
/// the database). Every future is `Send` so a poll can run on the daemon's tasks.
pub trait Mailbox {
    type Error: From<ImapError>;
    /// The stored (UIDVALIDITY, last UID) for the mailbox `key`.
    fn mark(
        &mut self,
        key: &str,
    ) -> impl Future<Output = Result<Option<(u32, u32)>, Self::Error>> + Send;
    fn set_mark(
        &mut self,
        key: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// Keeps one raw message; `source` says where it came from.
    fn keep(
        &mut self,
        raw: &[u8],
        source: &str,
    ) -> impl Future<Output = Result<Kept, Self::Error>> + Send;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PollReport {
    pub mailbox: String,
    pub uidvalidity: u32,
    pub uidvalidity_changed: bool,
    pub fetched: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub last_uid: u32,
}

impl std::fmt::Display for PollReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} fetched, {} stored, {} already stored; high-water mark UID {} (UIDVALIDITY {}{})",
            self.mailbox,
            self.fetched,
            self.stored,
            self.duplicates,
            self.last_uid,
            self.uidvalidity,
            if self.uidvalidity_changed { ", changed since the last poll: the folder was read again" } else { "" }
        )
    }
}

/// One poll: fetch what is new and hand each message to `mailbox`.
pub async fn poll_once<M: Mailbox + Send>(
    settings: &Settings,
    sink: &mut M,
) -> Result<PollReport, M::Error> {
    let s = &settings.inbox;
    if !s.enabled() {
        return Err(ImapError::NotConfigured.into());
    }
    let server = format!("{}:{}", s.host, s.port);
    let fail = |message: String| ImapError::Server {
        server: server.clone(),
        message,
    };
    let timeout = Duration::from_secs(s.timeout_secs.max(1));
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((s.host.as_str(), s.port)))
        .await
        .map_err(|_| fail("did not answer in time".into()))?
        .map_err(|e| fail(format!("cannot connect: {e}")))?;
    let work = async {
        match s.security {
            ImapSecurity::None => session(tcp, sink, settings, &server).await,
            ImapSecurity::Tls => {
                let tls = tls_connect(tcp, settings).await.map_err(fail)?;
                session(tls, sink, settings, &server).await
            }
        }
    };
    // Each step has its own deadline; this one stops a poll that hangs as a whole.
    tokio::time::timeout(timeout * 10, work)
        .await
        .map_err(|_| M::Error::from(fail("the poll took too long".into())))?
}

async fn tls_connect(
    tcp: TcpStream,
    settings: &Settings,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let ca = settings.inbox.ca_file.trim();
    if !ca.is_empty() {
        let pem = std::fs::read(ca).map_err(|e| format!("inbox.ca_file {ca}: {e}"))?;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("inbox.ca_file {ca}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("inbox.ca_file {ca}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(settings.inbox.host.clone())
        .map_err(|e| format!("bad host name: {e}"))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS failed: {e}"))
}

async fn session<T, M>(
    stream: T,
    sink: &mut M,
    settings: &Settings,
    server: &str,
) -> Result<PollReport, M::Error>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
    M: Mailbox + Send,
{
    let s = &settings.inbox;
    let fail = |message: String| ImapError::Server {
        server: server.to_string(),
        message,
    };
    let password = quoted(s.password.expose()).ok_or_else(|| {
        fail("the inbox password holds a line break or NUL, which IMAP LOGIN cannot carry".into())
    })?;
    // async-imap traces every command it writes, LOGIN with its password included, and our
    // subscriber shows library traces under RUST_LOG=trace. So the library is given a random
    // stand-in, and the stream swaps in the real password on its way to the server: the secret
    // never passes through code that might log it.
    let stand_in = format!("withheld-password-{:032x}", rand::random::<u128>());
    let stream = SecretStream::new(stream, quoted(&stand_in).unwrap_or_default(), password);
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| fail(format!("no greeting: {e}")))?
        .ok_or_else(|| fail("closed the connection before greeting".into()))?;
    let mut session = client
        .login(&s.username, &stand_in)
        .await
        .map_err(|(e, _)| fail(format!("refused our login as {}: {e}", s.username)))?;
    let mailbox = session
        .select(&s.folder)
        .await
        .map_err(|e| fail(format!("cannot open folder {}: {e}", s.folder)))?;
    let uidvalidity = mailbox.uid_validity.unwrap_or(0);
    let key = format!("{}@{}/{}", s.username, server, s.folder);
    let mut report = PollReport {
        mailbox: key.clone(),
        uidvalidity,
        ..Default::default()
    };
    let mut last = match sink.mark(&key).await? {
        Some((v, last)) if v == uidvalidity => last,
        Some(_) => {
            report.uidvalidity_changed = true;
            0
        }
        None => 0,
    };
    if report.uidvalidity_changed {
        // Record the new epoch at once, so a crash part-way does not re-read from scratch twice.
        sink.set_mark(&key, uidvalidity, 0).await?;
    }
    let mut stored_uids = Vec::new();
    // An empty folder has no "n:*" range to fetch.
    if mailbox.exists > 0 {
        let mut fetches = session
            .uid_fetch(format!("{}:*", last + 1), "(UID BODY.PEEK[])")
            .await
            .map_err(|e| fail(format!("fetch failed: {e}")))?;
        while let Some(item) = fetches.next().await {
            let fetch = item.map_err(|e| fail(format!("connection lost while fetching: {e}")))?;
            let Some(uid) = fetch.uid else { continue };
            // "n:*" always returns the newest message, even when its UID is below n.
            if uid <= last {
                continue;
            }
            let Some(body) = fetch.body() else { continue };
            report.fetched += 1;
            match sink
                .keep(body, &format!("imap:{key}:{uidvalidity}:{uid}"))
                .await?
            {
                Kept::Stored => report.stored += 1,
                Kept::Duplicate => report.duplicates += 1,
            }
            sink.set_mark(&key, uidvalidity, uid).await?;
            last = uid;
            stored_uids.push(uid);
        }
    }
    report.last_uid = last;
    if s.mark_seen && !stored_uids.is_empty() {
        let set: Vec<String> = stored_uids.iter().map(u32::to_string).collect();
        // The mark already protects us; a failed flag update only costs a \Seen.
        if let Ok(updates) = session
            .uid_store(set.join(","), "+FLAGS.SILENT (\\Seen)")
            .await
        {
            let _ = updates.collect::<Vec<_>>().await;
        }
    }
    let _ = session.logout().await;
    Ok(report)
}

/// An IMAP quoted string, as async-imap writes one; `None` for text that cannot be quoted.
fn quoted(s: &str) -> Option<Vec<u8>> {
    if s.contains(['\r', '\n', '\0']) {
        return None;
    }
    Some(format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")).into_bytes())
}

/// A connection that replaces the first write holding `stand_in` with the same bytes holding
/// `secret`, so the secret reaches the server without the IMAP library ever seeing it.
struct SecretStream<T> {
    inner: T,
    stand_in: Vec<u8>,
    /// Taken when used: the swap happens once, for the LOGIN command.
    secret: Option<Vec<u8>>,
    /// The rewritten write still going out, how much of it has, and how many of the caller's
    /// bytes it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> SecretStream<T> {
    fn new(inner: T, stand_in: Vec<u8>, secret: Vec<u8>) -> Self {
        SecretStream {
            inner,
            stand_in,
            secret: Some(secret),
            pending: None,
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SecretStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStream")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for SecretStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SecretStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            let stand_in = this.stand_in.as_slice();
            let at = this
                .secret
                .as_ref()
                .and_then(|_| buf.windows(stand_in.len()).position(|w| w == stand_in));
            if let (Some(at), Some(secret)) = (at, &this.secret) {
                let mut out = Vec::with_capacity(buf.len() + secret.len());
                out.extend_from_slice(&buf[..at]);
                out.extend_from_slice(secret);
                out.extend_from_slice(&buf[at + this.stand_in.len()..]);
                this.pending = Some((out, 0, buf.len()));
                this.secret = None;
            }
        }
        // Until the rewritten bytes are all out, the caller sees nothing written and offers the
        // same buffer again (as write_all does); then it learns its whole buffer went.
        let Some((out, written, stands_for)) = this.pending.as_mut() else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *written < out.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &out[*written..])) {
                Ok(0) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Ok(n) => *written += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let n = *stands_for;
        this.pending = None;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_secret_replaces_the_stand_in_once() {
        let (a, mut b) = tokio::io::duplex(8);
        let mut s = SecretStream::new(a, quoted("xyz").unwrap(), quoted(r#"p"w\d"#).unwrap());
        let writer = async move {
            s.write_all(b"A1 ").await.unwrap();
            s.write_all(br#"LOGIN "me" "xyz""#).await.unwrap();
            s.write_all(br#" A2 "xyz""#).await.unwrap();
            s.shutdown().await.unwrap();
        };
        let reader = async move {
            let mut got = String::new();
            b.read_to_string(&mut got).await.unwrap();
            got
        };
        let ((), got) = tokio::join!(writer, reader);
        assert_eq!(got, r#"A1 LOGIN "me" "p\"w\\d" A2 "xyz""#);
    }

    #[test]
    fn passwords_that_cannot_be_quoted_are_refused() {
        assert!(quoted("a\r\nb").is_none());
        assert_eq!(quoted("a b").unwrap(), br#""a b""#);
    }
}
