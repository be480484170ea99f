//! Where mail goes: files (the default, no server needed), an SMTP server, or memory (for
//! tests that want to inspect what would have been sent).

use super::message::OutgoingEmail;
use super::send_error::{classify, SendError, SendErrorKind};
use crate::settings::{Settings, SmtpSecurity, TransportKind};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the transport said when it took the message: the SMTP reply, or where the file went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub reply: String,
    /// True when a mail server took the message for delivery (SMTP, or the memory transport
    /// that stands in for one in tests). False for the file transport: nothing left this
    /// machine, so the letter is not sent and no statutory clock starts.
    pub delivered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    pub message_id: String,
    pub raw: Vec<u8>,
}

#[derive(Clone)]
pub enum MailTransport {
    File {
        dir: PathBuf,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        server: String,
    },
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("mail transport: {0}")]
pub struct TransportConfigError(pub String);

impl MailTransport {
    pub fn from_settings(settings: &Settings) -> Result<Self, TransportConfigError> {
        match settings.mail.transport {
            TransportKind::File => Ok(MailTransport::File {
                dir: settings.paths.data_dir.join("mail").join("outbox"),
            }),
            TransportKind::Smtp => Self::smtp(settings),
        }
    }

    /// True when what this transport accepts has left for the council: only then is a
    /// letter sent and its clock started.
    pub fn delivers(&self) -> bool {
        !matches!(self, MailTransport::File { .. })
    }

    fn smtp(settings: &Settings) -> Result<Self, TransportConfigError> {
        let placeholders = settings.placeholder_keys();
        if !placeholders.is_empty() {
            return Err(TransportConfigError(format!(
                "refusing to send real mail while {} still hold the shipped placeholders \
                 (a council would get letters signed and answerable by nobody); set them in \
                 config/local.toml or with {}",
                placeholders.join(", "),
                placeholders
                    .iter()
                    .map(|k| format!("FOI__{}", k.to_ascii_uppercase().replace('.', "__")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let s = &settings.mail.smtp;
        let server = format!("{}:{}", s.host, s.port);
        let mut params = TlsParameters::builder(s.host.clone());
        if !s.ca_file.trim().is_empty() {
            let pem = std::fs::read(&s.ca_file).map_err(|e| {
                TransportConfigError(format!("mail.smtp.ca_file {}: {e}", s.ca_file))
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                TransportConfigError(format!(
                    "mail.smtp.ca_file {}: not a PEM certificate: {e}",
                    s.ca_file
                ))
            })?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| TransportConfigError(format!("TLS set-up for {server}: {e}")))?;
        let tls = match s.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Starttls => Tls::Required(params),
            SmtpSecurity::Tls => Tls::Wrapper(params),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(s.timeout_secs)))
            .pool_config(PoolConfig::new().max_size(s.pool_max_size.max(1)));
        if !s.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                s.username.clone(),
                s.password.expose().to_string(),
            ));
        }
        Ok(MailTransport::Smtp {
            transport: builder.build(),
            server,
        })
    }

    pub fn memory() -> (Self, Arc<Mutex<Vec<SentMail>>>) {
        let store = Arc::new(Mutex::new(Vec::new()));
        (MailTransport::Memory(store.clone()), store)
    }

    pub fn describe(&self) -> String {
        match self {
            MailTransport::File { dir } => format!("files under {}", dir.display()),
            MailTransport::Smtp { server, .. } => format!("SMTP server {server}"),
            MailTransport::Memory(_) => "memory".into(),
        }
    }

    /// Sends one message. `label` names the file for the file transport ("foi-2026-0042_request").
    pub async fn send(&self, email: &OutgoingEmail, label: &str) -> Result<Accepted, SendError> {
        let message = email.to_message()?;
        match self {
            MailTransport::Smtp { transport, server } => match transport.send(message).await {
                Ok(response) => Ok(Accepted {
                    reply: format!(
                        "{} {}",
                        response.code(),
                        response.message().collect::<Vec<_>>().join(" ")
                    )
                    .trim()
                    .to_string(),
                    delivered: true,
                }),
                Err(e) => Err(classify(&e, server)),
            },
            MailTransport::File { dir } => {
                let raw = message.formatted();
                let digest = hex::encode(&Sha256::digest(email.message_id.as_bytes())[..4]);
                let safe: String = label
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let name = format!("{}_{safe}_{digest}.eml", email.date.format("%Y%m%d-%H%M%S"));
                let io = |e: std::io::Error| SendError {
                    kind: SendErrorKind::Transient,
                    message: format!("cannot write mail under {}: {e}", dir.display()),
                };
                tokio::fs::create_dir_all(dir).await.map_err(io)?;
                let path = dir.join(&name);
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, &raw).await.map_err(io)?;
                tokio::fs::rename(&tmp, &path).await.map_err(io)?;
                Ok(Accepted {
                    reply: format!(
                        "written to {} (file transport: not emailed)",
                        path.display()
                    ),
                    delivered: false,
                })
            }
            MailTransport::Memory(store) => {
                let envelope = message.envelope();
                let sent = SentMail {
                    envelope_from: envelope.from().map(|a| a.to_string()).unwrap_or_default(),
                    envelope_to: envelope.to().iter().map(|a| a.to_string()).collect(),
                    message_id: email.message_id.clone(),
                    raw: message.formatted(),
                };
                store
                    .lock()
                    .map_err(|_| SendError::transient("memory transport poisoned"))?
                    .push(sent);
                Ok(Accepted {
                    reply: "250 kept in memory".into(),
                    delivered: true,
                })
            }
        }
    }
}
