//! Layered configuration: the embedded `config/default.toml`, then an optional local file,
//! then `FOI__SECTION__KEY` environment variables. Every value is validated here, once, so a
//! mistake stops the program at start-up with the key's name rather than half-way through a run.

use crate::domain::EmailAddress;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const LOCAL_FILE: &str = "config/local.toml";
/// The templates folder in the embedded defaults; when it is missing, the built-in templates
/// are used.
pub const DEFAULT_TEMPLATES_DIR: &str = "letter-templates";
/// The shortest time over which the outbox's retries may run before giving a message up.
const MIN_RETRY_SPAN_SECS: u64 = 600;
/// The signature in the embedded defaults, which no real letter may carry.
const PLACEHOLDER_NAME: &str = "Campaign Requester";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration file {path}: {message}")]
    File { path: String, message: String },
    #[error("configuration: {0}")]
    Load(String),
    #[error("configuration key {key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("configuration key schedule.{job}: {message}")]
    Schedule { job: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub requester: RequesterSettings,
    pub mail: MailSettings,
    pub paths: PathSettings,
    pub deadlines: DeadlineSettings,
    pub inbox: InboxSettings,
    /// Job name → cron expression ("" turns the job off). A job left out runs on its own
    /// default; a name that is no job is refused when the daemon starts.
    pub schedule: std::collections::BTreeMap<String, String>,
    pub chase: ChaseSettings,
    pub escalation: EscalationSettings,
    pub digest: DigestSettings,
    pub findings: FindingsSettings,
    pub web: WebSettings,
    pub reports: ReportsSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsSettings {
    /// The TrueType/OpenType font the charts are lettered in (`foi stats --chart`, the digest).
    pub chart_font: PathBuf,
}

/// The staff dashboard `foi run` serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Address and port to listen on; "" serves no dashboard.
    pub bind: String,
    /// Mark the session cookie Secure (the dashboard is reached over HTTPS, through a proxy).
    pub secure_cookies: bool,
    /// The largest upload (a postal reply's scan, an import file) in bytes.
    pub max_upload_bytes: u64,
    /// How long a login lasts.
    pub session_hours: u32,
}

impl WebSettings {
    /// The address to serve on, or None when the dashboard is turned off.
    pub fn address(&self) -> Option<std::net::SocketAddr> {
        let b = self.bind.trim();
        if b.is_empty() {
            return None;
        }
        b.parse().ok()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsSettings {
    /// Names and phrases every new document is checked against; a missing file is an empty
    /// list.
    pub watch_list: PathBuf,
    /// How many weeks ahead the digest warns of an agreement's next renewal.
    pub renewal_warning_weeks: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaseSettings {
    pub reminder_after_working_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSettings {
    pub auto_internal_review: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurity {
    None,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxSettings {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub username: String,
    #[serde(default)]
    pub password: Secret,
    pub folder: String,
    pub mark_seen: bool,
    pub timeout_secs: u64,
    pub ca_file: String,
}

impl InboxSettings {
    pub fn enabled(&self) -> bool {
        !self.host.trim().is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptRuleSetting {
    Statutory,
    CodeOfPractice,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSettings {
    pub receipt_rule: ReceiptRuleSetting,
    pub very_overdue_after_working_days: u32,
}

impl DeadlineSettings {
    pub fn clock(&self) -> crate::calendar::ClockSettings {
        crate::calendar::ClockSettings {
            non_working_receipt: match self.receipt_rule {
                ReceiptRuleSetting::Statutory => crate::calendar::ReceiptRule::Statutory,
                ReceiptRuleSetting::CodeOfPractice => crate::calendar::ReceiptRule::CodeOfPractice,
            },
            very_overdue_after_working_days: self.very_overdue_after_working_days,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterSettings {
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub postal_address: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from_address: String,
    pub reply_domain: String,
    pub reply_pattern: String,
    pub transport: TransportKind,
    pub smtp: SmtpSettings,
    pub outbox: OutboxSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

/// A value that must never reach a log line or an error message.
#[derive(Clone, Default)]
pub struct Secret(String);

impl<'de> Deserialize<'de> for Secret {
    // Environment values are type-guessed ("123456" arrives as a number); a password is text
    // whatever it looks like. `load_with_env` re-reads the raw variable to keep it exact.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(Secret(match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }))
    }
}

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "(none)"
        } else {
            "(redacted)"
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    #[serde(default)]
    pub password: Secret,
    pub timeout_secs: u64,
    pub pool_max_size: u32,
    pub ca_file: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub max_attempts: i32,
    pub retry_first_secs: u64,
    pub retry_cap_secs: u64,
    pub per_minute: u32,
    pub per_domain_per_minute: u32,
    pub window: String,
    pub lease_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSettings {
    pub data_dir: PathBuf,
    pub templates_dir: PathBuf,
}

/// Where the local layer comes from.
#[derive(Debug, Clone, Default)]
pub enum LocalFile {
    /// `config/local.toml` when it exists.
    #[default]
    Auto,
    /// `--config FILE`: must exist.
    Explicit(PathBuf),
    /// Embedded defaults and environment only (tests).
    None,
}

impl Settings {
    pub fn load(local: LocalFile) -> Result<Self, SettingsError> {
        Self::load_with_env(local, std::env::vars())
    }

    /// Like `load`, with the environment passed in so tests do not have to mutate the process's.
    pub fn load_with_env(
        local: LocalFile,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        use config::{Config, File, FileFormat};
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        match &local {
            LocalFile::Auto if Path::new(LOCAL_FILE).exists() => {
                builder = builder.add_source(File::new(LOCAL_FILE, FileFormat::Toml));
            }
            LocalFile::Explicit(path) => {
                if !path.is_file() {
                    return Err(SettingsError::File {
                        path: path.display().to_string(),
                        message: "no such file".into(),
                    });
                }
                builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
            }
            _ => {}
        }
        let env_map: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("FOI__"))
            .collect();
        let raw_password = env_map.get("FOI__MAIL__SMTP__PASSWORD").cloned();
        let raw_inbox_password = env_map.get("FOI__INBOX__PASSWORD").cloned();
        builder = builder.add_source(
            config::Environment::with_prefix("FOI")
                .prefix_separator("__")
                .separator("__")
                .list_separator(";")
                .with_list_parse_key("requester.postal_address")
                .with_list_parse_key("digest.recipients")
                .try_parsing(true)
                .source(Some(env_map)),
        );
        let cfg = builder.build().map_err(|e| match &local {
            LocalFile::Explicit(p) => SettingsError::File {
                path: p.display().to_string(),
                message: e.to_string(),
            },
            _ => SettingsError::Load(e.to_string()),
        })?;
        let mut settings: Settings = cfg
            .try_deserialize()
            .map_err(|e| SettingsError::Load(e.to_string()))?;
        if let Some(p) = raw_password {
            settings.mail.smtp.password = Secret(p);
        }
        if let Some(p) = raw_inbox_password {
            settings.inbox.password = Secret(p);
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Embedded defaults only; used by tests that then adjust fields directly.
    pub fn defaults() -> Self {
        Self::load_with_env(LocalFile::None, std::iter::empty())
            .expect("embedded defaults are valid")
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        let url = self.database.url.trim();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(SettingsError::Invalid {
                key: "database.url",
                message: format!("'{url}' must start with sqlite:, postgres:// or postgresql://"),
            });
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid {
                key: "database.max_connections",
                message: "must be at least 1".into(),
            });
        }
        if !(1..=200).contains(&self.deadlines.very_overdue_after_working_days) {
            return Err(SettingsError::Invalid {
                key: "deadlines.very_overdue_after_working_days",
                message: "must be between 1 and 200 working days".into(),
            });
        }
        if !(1..=104).contains(&self.findings.renewal_warning_weeks) {
            return Err(SettingsError::Invalid {
                key: "findings.renewal_warning_weeks",
                message: "must be between 1 and 104 weeks".into(),
            });
        }
        if self.requester.name.trim().is_empty() {
            return Err(SettingsError::Invalid {
                key: "requester.name",
                message: "the letters must be signed by someone: set a name".into(),
            });
        }
        EmailAddress::parse(&self.requester.email).map_err(|e| SettingsError::Invalid {
            key: "requester.email",
            message: e.to_string(),
        })?;
        EmailAddress::parse(&self.mail.from_address).map_err(|e| SettingsError::Invalid {
            key: "mail.from_address",
            message: e.to_string(),
        })?;
        EmailAddress::parse(&format!("x@{}", self.mail.reply_domain)).map_err(|_| {
            SettingsError::Invalid {
                key: "mail.reply_domain",
                message: format!("'{}' is not a mail domain", self.mail.reply_domain),
            }
        })?;
        if !self.mail.reply_pattern.contains("{reference}") {
            return Err(SettingsError::Invalid {
                key: "mail.reply_pattern",
                message: "must contain {reference}, or replies cannot be matched to requests"
                    .into(),
            });
        }
        if self.mail.transport == TransportKind::Smtp && self.mail.smtp.host.trim().is_empty() {
            return Err(SettingsError::Invalid {
                key: "mail.smtp.host",
                message: "is empty, but mail.transport is smtp".into(),
            });
        }
        if self.inbox.enabled() && self.inbox.username.trim().is_empty() {
            return Err(SettingsError::Invalid {
                key: "inbox.username",
                message: "is empty, but inbox.host is set".into(),
            });
        }
        if self.inbox.folder.trim().is_empty() {
            return Err(SettingsError::Invalid {
                key: "inbox.folder",
                message: "is empty".into(),
            });
        }
        for (job, expr) in &self.schedule {
            crate::domain::schedule::parse_schedule(expr).map_err(|message| {
                SettingsError::Schedule {
                    job: job.clone(),
                    message,
                }
            })?;
        }
        for r in &self.digest.recipients {
            EmailAddress::parse(r).map_err(|e| SettingsError::Invalid {
                key: "digest.recipients",
                message: e.to_string(),
            })?;
        }
        // Every duration, with the unit in the message: 0 or an absurd value in one of these
        // turns a brief server outage into failed letters, or a stuck worker into a hang.
        let secs = |key: &'static str, v: u64, min: u64, max: u64| {
            if (min..=max).contains(&v) {
                Ok(())
            } else {
                Err(SettingsError::Invalid {
                    key,
                    message: format!("{v} seconds; must be between {min} and {max}"),
                })
            }
        };
        secs(
            "database.connect_timeout_secs",
            self.database.connect_timeout_secs,
            1,
            600,
        )?;
        secs(
            "mail.smtp.timeout_secs",
            self.mail.smtp.timeout_secs,
            1,
            600,
        )?;
        secs("inbox.timeout_secs", self.inbox.timeout_secs, 1, 3600)?;
        let o = &self.mail.outbox;
        secs(
            "mail.outbox.retry_first_secs",
            o.retry_first_secs,
            5,
            86_400,
        )?;
        secs(
            "mail.outbox.retry_cap_secs",
            o.retry_cap_secs,
            o.retry_first_secs.max(5),
            7 * 86_400,
        )?;
        secs("mail.outbox.lease_secs", o.lease_secs, 60, 86_400)?;
        if !(1..=50).contains(&o.max_attempts) {
            return Err(SettingsError::Invalid {
                key: "mail.outbox.max_attempts",
                message: format!("{}; must be between 1 and 50", o.max_attempts),
            });
        }
        // The attempts must outlast a short outage (a server restart, a network blip), or
        // letters fail that a few minutes' patience would have delivered.
        let span: u64 = (1..o.max_attempts)
            .map(|a| {
                crate::domain::backoff(a, o.retry_first_secs, o.retry_cap_secs).num_seconds() as u64
            })
            .sum();
        if span < MIN_RETRY_SPAN_SECS {
            return Err(SettingsError::Invalid {
                key: "mail.outbox.retry_first_secs",
                message: format!(
                    "with max_attempts = {} and retry_cap_secs = {}, a message would be given up \
                     {span} seconds after its first failure; the retries must span at least {} \
                     minutes so a brief outage does not fail letters",
                    o.max_attempts,
                    o.retry_cap_secs,
                    MIN_RETRY_SPAN_SECS / 60
                ),
            });
        }
        if o.lease_secs < self.mail.smtp.timeout_secs * 4 {
            return Err(SettingsError::Invalid {
                key: "mail.outbox.lease_secs",
                message: format!(
                    "must be at least four times mail.smtp.timeout_secs ({}), or a slow send could be taken for a dead one",
                    self.mail.smtp.timeout_secs
                ),
            });
        }
        crate::domain::SendingWindow::parse(&self.mail.outbox.window).map_err(|message| {
            SettingsError::Invalid {
                key: "mail.outbox.window",
                message,
            }
        })?;
        let bind = self.web.bind.trim();
        if !bind.is_empty() && bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(SettingsError::Invalid {
                key: "web.bind",
                message: format!(
                    "'{bind}' is not an address and port such as 127.0.0.1:8080 (\"\" turns the dashboard off)"
                ),
            });
        }
        if !(1024..=1_073_741_824).contains(&self.web.max_upload_bytes) {
            return Err(SettingsError::Invalid {
                key: "web.max_upload_bytes",
                message: format!(
                    "{} bytes; must be between 1024 and 1073741824 (1 GiB)",
                    self.web.max_upload_bytes
                ),
            });
        }
        if !(1..=720).contains(&self.web.session_hours) {
            return Err(SettingsError::Invalid {
                key: "web.session_hours",
                message: format!(
                    "{} hours; must be between 1 and 720",
                    self.web.session_hours
                ),
            });
        }
        let sample = self.reply_address("foi-2026-0001");
        EmailAddress::parse(&sample).map_err(|e| SettingsError::Invalid {
            key: "mail.reply_pattern",
            message: format!("gives an invalid address: {e}"),
        })?;
        Ok(())
    }

    /// The per-request reply address, e.g. `foi+foi-2026-0042@reply.example.org`.
    pub fn reply_address(&self, reference: &str) -> String {
        self.mail
            .reply_pattern
            .replace("{reference}", reference)
            .replace("{domain}", &self.mail.reply_domain)
    }

    /// True while the requester is still the shipped placeholder, so the CLI can warn.
    pub fn requester_is_placeholder(&self) -> bool {
        !self.placeholder_keys().is_empty()
    }

    /// The keys that still hold the shipped placeholders (the reserved `.invalid` domain, or
    /// the default name): real mail must not go out under them.
    pub fn placeholder_keys(&self) -> Vec<&'static str> {
        let invalid = |s: &str| {
            s.trim_end_matches('.')
                .to_ascii_lowercase()
                .ends_with(".invalid")
        };
        let mut keys = Vec::new();
        if self.requester.name.trim() == PLACEHOLDER_NAME {
            keys.push("requester.name");
        }
        if invalid(&self.requester.email) {
            keys.push("requester.email");
        }
        if invalid(&self.mail.from_address) {
            keys.push("mail.from_address");
        }
        if invalid(&self.mail.reply_domain) {
            keys.push("mail.reply_domain");
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let s = Settings::defaults();
        assert!(s.database.url.starts_with("sqlite:"));
        assert_eq!(
            s.reply_address("foi-2026-0042"),
            "foi+foi-2026-0042@reply.foi.invalid"
        );
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = Settings::load_with_env(
            LocalFile::None,
            env(&[
                ("FOI__DATABASE__URL", "postgres://u@h/db"),
                ("FOI__REQUESTER__NAME", "Ada Lovelace"),
                ("FOI__REQUESTER__POSTAL_ADDRESS", "1 High Street;London"),
                ("FOI__DATABASE__MAX_CONNECTIONS", "9"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.url, "postgres://u@h/db");
        assert_eq!(s.requester.name, "Ada Lovelace");
        assert_eq!(s.requester.postal_address, vec!["1 High Street", "London"]);
        assert_eq!(s.database.max_connections, 9);
    }

    #[test]
    fn invalid_values_name_the_key() {
        let err =
            Settings::load_with_env(LocalFile::None, env(&[("FOI__REQUESTER__EMAIL", "nobody")]))
                .unwrap_err()
                .to_string();
        assert!(err.contains("requester.email"), "{err}");
        let err =
            Settings::load_with_env(LocalFile::None, env(&[("FOI__DATABASE__URL", "mysql://x")]))
                .unwrap_err()
                .to_string();
        assert!(err.contains("database.url"), "{err}");
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__MAIL__REPLY_PATTERN", "foi@{domain}")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.reply_pattern"), "{err}");
    }

    #[test]
    fn smtp_settings_come_from_the_environment_and_hide_the_password() {
        let s = Settings::load_with_env(
            LocalFile::None,
            env(&[
                ("FOI__MAIL__TRANSPORT", "smtp"),
                ("FOI__MAIL__SMTP__HOST", "smtp.example.org"),
                ("FOI__MAIL__SMTP__PORT", "2525"),
                ("FOI__MAIL__SMTP__SECURITY", "tls"),
                ("FOI__MAIL__SMTP__PASSWORD", "0012345"),
            ]),
        )
        .unwrap();
        assert_eq!(s.mail.transport, TransportKind::Smtp);
        assert_eq!(s.mail.smtp.port, 2525);
        assert_eq!(s.mail.smtp.security, SmtpSecurity::Tls);
        assert_eq!(s.mail.smtp.password.expose(), "0012345");
        assert!(!format!("{s:?}").contains("0012345"));
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__MAIL__OUTBOX__WINDOW", "weekdays")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.outbox.window"), "{err}");
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__MAIL__SMTP__SECURITY", "ssl")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("security") || err.contains("ssl"), "{err}");
    }

    #[test]
    fn every_duration_is_checked() {
        for (key, value, named) in [
            (
                "FOI__MAIL__OUTBOX__RETRY_FIRST_SECS",
                "0",
                "mail.outbox.retry_first_secs",
            ),
            (
                "FOI__MAIL__OUTBOX__RETRY_CAP_SECS",
                "1",
                "mail.outbox.retry_cap_secs",
            ),
            (
                "FOI__MAIL__OUTBOX__LEASE_SECS",
                "0",
                "mail.outbox.lease_secs",
            ),
            (
                "FOI__MAIL__OUTBOX__MAX_ATTEMPTS",
                "0",
                "mail.outbox.max_attempts",
            ),
            (
                "FOI__MAIL__OUTBOX__MAX_ATTEMPTS",
                "1000",
                "mail.outbox.max_attempts",
            ),
            (
                "FOI__MAIL__SMTP__TIMEOUT_SECS",
                "0",
                "mail.smtp.timeout_secs",
            ),
            ("FOI__INBOX__TIMEOUT_SECS", "0", "inbox.timeout_secs"),
            (
                "FOI__DATABASE__CONNECT_TIMEOUT_SECS",
                "0",
                "database.connect_timeout_secs",
            ),
        ] {
            let err = Settings::load_with_env(LocalFile::None, env(&[(key, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{key}={value}: {err}");
        }
        // Retries that would all be spent in a few seconds of outage.
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[
                ("FOI__MAIL__OUTBOX__RETRY_FIRST_SECS", "5"),
                ("FOI__MAIL__OUTBOX__MAX_ATTEMPTS", "3"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("mail.outbox.retry_first_secs") && err.contains("15 seconds"),
            "{err}"
        );
        let ok = Settings::load_with_env(
            LocalFile::None,
            env(&[
                ("FOI__MAIL__OUTBOX__RETRY_FIRST_SECS", "30"),
                ("FOI__MAIL__OUTBOX__MAX_ATTEMPTS", "6"),
            ]),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn smtp_needs_a_real_requester() {
        let s = Settings::defaults();
        assert_eq!(
            s.placeholder_keys(),
            vec![
                "requester.name",
                "requester.email",
                "mail.from_address",
                "mail.reply_domain"
            ]
        );
        let s = Settings::load_with_env(
            LocalFile::None,
            env(&[
                ("FOI__REQUESTER__NAME", "Ada Campaigner"),
                ("FOI__REQUESTER__EMAIL", "ada@campaign.example.org"),
                ("FOI__MAIL__FROM_ADDRESS", "requests@campaign.example.org"),
                ("FOI__MAIL__REPLY_DOMAIN", "reply.campaign.example.org"),
            ]),
        )
        .unwrap();
        assert!(s.placeholder_keys().is_empty());
    }

    #[test]
    fn cron_strings_are_checked_at_start() {
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__SCHEDULE__SWEEP", "0 7 * * *")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("schedule.sweep") && err.contains("6 or 7 fields"),
            "{err}"
        );
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__SCHEDULE__DIGEST", "0 0 8 * * Funday")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("schedule.digest"), "{err}");
        let s =
            Settings::load_with_env(LocalFile::None, env(&[("FOI__SCHEDULE__POLL", "")])).unwrap();
        assert_eq!(s.schedule["poll"], "");
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__DIGEST__RECIPIENTS", "staff@example.org;oops")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("digest.recipients"), "{err}");
    }

    #[test]
    fn deadline_settings_are_checked() {
        let s = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__DEADLINES__RECEIPT_RULE", "code-of-practice")]),
        )
        .unwrap();
        assert_eq!(s.deadlines.receipt_rule, ReceiptRuleSetting::CodeOfPractice);
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__DEADLINES__RECEIPT_RULE", "whenever")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("receipt_rule"), "{err}");
        let err = Settings::load_with_env(
            LocalFile::None,
            env(&[("FOI__DEADLINES__VERY_OVERDUE_AFTER_WORKING_DAYS", "0")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("deadlines.very_overdue_after_working_days"),
            "{err}"
        );
    }

    #[test]
    fn a_local_file_overrides_and_its_errors_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(&good, "[requester]\nname = \"Grace Hopper\"\n").unwrap();
        let s = Settings::load_with_env(LocalFile::Explicit(good), std::iter::empty()).unwrap();
        assert_eq!(s.requester.name, "Grace Hopper");

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[requester\nname = 1\n").unwrap();
        let err = Settings::load_with_env(LocalFile::Explicit(bad), std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml"), "{err}");

        let unknown = dir.path().join("unknown.toml");
        std::fs::write(&unknown, "[database]\nurll = \"x\"\n").unwrap();
        let err = Settings::load_with_env(LocalFile::Explicit(unknown), std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(err.contains("urll"), "{err}");

        let missing = Settings::load_with_env(
            LocalFile::Explicit(dir.path().join("nope.toml")),
            std::iter::empty(),
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("nope.toml"), "{missing}");
    }
}
