//! Polling the IMAP inbox. UIDs above the stored high-water mark are fetched in order; each
//! message is stored before the mark moves past it, so a dropped connection or a restart
//! re-fetches at most what was not yet recorded, and duplicate detection makes that harmless.
//! A changed UIDVALIDITY means the old UIDs mean nothing: the whole folder is read again and
//! the duplicates are recognised by Message-ID or bytes.

use crate::ingest::{IngestError, Ingested, Ingestor};
use crate::settings::{ImapSecurity, Settings};
use crate::store::inbound;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("no inbox is configured (set inbox.host, inbox.username and FOI__INBOX__PASSWORD)")]
    NotConfigured,
    #[error("IMAP server {server}: {message}")]
    Server { server: String, message: String },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
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

pub async fn poll_once(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<PollReport, PollError> {
    let s = &settings.inbox;
    if !s.enabled() {
        return Err(PollError::NotConfigured);
    }
    let server = format!("{}:{}", s.host, s.port);
    let fail = |message: String| PollError::Server {
        server: server.clone(),
        message,
    };
    let timeout = Duration::from_secs(s.timeout_secs.max(1));
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((s.host.as_str(), s.port)))
        .await
        .map_err(|_| fail("did not answer in time".into()))?
        .map_err(|e| fail(format!("cannot connect: {e}")))?;
    let ingestor = Ingestor::new(db.clone(), settings);
    let work = async {
        match s.security {
            ImapSecurity::None => session(tcp, db, &ingestor, settings, &server, now).await,
            ImapSecurity::Tls => {
                let tls = tls_connect(tcp, settings).await.map_err(fail)?;
                session(tls, db, &ingestor, settings, &server, now).await
            }
        }
    };
    // Each step has its own deadline; this one stops a poll that hangs as a whole.
    tokio::time::timeout(timeout * 10, work)
        .await
        .map_err(|_| fail("the poll took too long".into()))?
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

async fn session<T>(
    stream: T,
    db: &DatabaseConnection,
    ingestor: &Ingestor,
    settings: &Settings,
    server: &str,
    now: DateTime<Utc>,
) -> Result<PollReport, PollError>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let s = &settings.inbox;
    let fail = |message: String| PollError::Server {
        server: server.to_string(),
        message,
    };
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| fail(format!("no greeting: {e}")))?
        .ok_or_else(|| fail("closed the connection before greeting".into()))?;
    let mut session = client
        .login(&s.username, s.password.expose())
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
    let mut last = match inbound::imap_mark(db, &key).await? {
        Some((v, last)) if v == uidvalidity => last,
        Some(_) => {
            report.uidvalidity_changed = true;
            0
        }
        None => 0,
    };
    if report.uidvalidity_changed {
        // Record the new epoch at once, so a crash part-way does not re-read from scratch twice.
        inbound::set_imap_mark(db, &key, uidvalidity, 0, now).await?;
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
            match ingestor
                .ingest(body, &format!("imap:{key}:{uidvalidity}:{uid}"), now)
                .await?
            {
                Ingested::Stored { .. } => report.stored += 1,
                Ingested::Duplicate { .. } => report.duplicates += 1,
            }
            inbound::set_imap_mark(db, &key, uidvalidity, uid, now).await?;
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
