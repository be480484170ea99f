//! The one application context: settings, the database pool, the letter templates, the mail
//! transport and the working calendar in force. `AppContext::build` is what the CLI, the
//! daemon and the tests all start from; every use case in `services/` takes it.

use crate::calendar::{ClockSettings, HolidayCalendar, WorkingCalendar};
use crate::letters::{LetterError, LetterRegistry};
use crate::mail::{MailTransport, TransportConfigError};
use crate::settings::Settings;
use crate::store::{self, holidays, StoreError};
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(DbErr),
    #[error(transparent)]
    Letters(#[from] LetterError),
    #[error("{0}")]
    Templates(String),
}

pub struct AppContext {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub letters: LetterRegistry,
    /// Who holds outbox leases and signs automatic timeline events from this process.
    pub worker: String,
    /// Built on first use: only sending needs it, and SMTP refuses to start under the
    /// placeholder requester, which must not stop `foi requests list`.
    transport: OnceLock<MailTransport>,
    /// The working calendar with the operator's holiday imports, rebuilt when they change.
    calendar: Mutex<Option<(holidays::Version, Arc<WorkingCalendar>)>>,
    /// The OCR programs, looked for on first use (only reading scanned documents needs them).
    ocr: OnceLock<(
        Option<crate::extract::OcrEngine>,
        crate::extract::OcrAvailability,
    )>,
}

/// The name the first versions used; kept so `foi::Application` still reads naturally.
pub type Application = AppContext;

impl AppContext {
    /// Connects, runs pending migrations and loads every letter template, failing fast with
    /// the file name and line when one is broken.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let letters = load_letters(&settings)?;
        let db = connect_and_migrate(&settings).await?;
        Ok(AppContext {
            settings,
            db,
            letters,
            worker: default_worker(),
            transport: OnceLock::new(),
            calendar: Mutex::new(None),
            ocr: OnceLock::new(),
        })
    }

    /// Sends through `transport` instead of the one the settings describe (tests inspect mail
    /// with `MailTransport::memory()`).
    pub fn with_transport(self, transport: MailTransport) -> Self {
        let _ = self.transport.set(transport);
        self
    }

    /// Reads scanned pages with `engine` (None: as if OCR were not installed).
    pub fn with_ocr(self, engine: Option<crate::extract::OcrEngine>) -> Self {
        let availability = match &engine {
            Some(e) => crate::extract::OcrAvailability::Ready {
                languages: e.languages.clone(),
            },
            None => crate::extract::OcrAvailability::Missing {
                reason: "OCR is turned off for this run".into(),
            },
        };
        let _ = self.ocr.set((engine, availability));
        self
    }

    /// The OCR engine, if the programs are installed, and what `foi doctor` says about it.
    pub fn ocr(
        &self,
    ) -> &(
        Option<crate::extract::OcrEngine>,
        crate::extract::OcrAvailability,
    ) {
        self.ocr.get_or_init(crate::extract::probe_ocr)
    }

    pub fn with_worker(mut self, worker: impl Into<String>) -> Self {
        self.worker = worker.into();
        self
    }

    /// The mail transport the settings describe.
    pub fn transport(&self) -> Result<&MailTransport, TransportConfigError> {
        if let Some(t) = self.transport.get() {
            return Ok(t);
        }
        let t = MailTransport::from_settings(&self.settings)?;
        Ok(self.transport.get_or_init(|| t))
    }

    pub fn clock_settings(&self) -> ClockSettings {
        self.settings.deadlines.clock()
    }

    /// The working calendar in force: the shipped list and rules with the operator's imports.
    /// Built once and rebuilt only when an import (here or in another process) changed them.
    pub async fn calendar(&self) -> Result<Arc<WorkingCalendar>, StoreError> {
        let version = holidays::version(&self.db).await?;
        if let Ok(cache) = self.calendar.lock() {
            if let Some((v, cal)) = cache.as_ref() {
                if *v == version {
                    return Ok(cal.clone());
                }
            }
        }
        let ops = holidays::load(&self.db).await?;
        let cal = Arc::new(WorkingCalendar::new(
            &HolidayCalendar::with_operator(&ops)
                .map_err(|e| StoreError::Invalid(format!("holiday data: {e}")))?,
        ));
        if let Ok(mut cache) = self.calendar.lock() {
            *cache = Some((version, cal.clone()));
        }
        Ok(cal)
    }

    /// Forgets the cached calendar (after this process imported holidays).
    pub fn calendar_changed(&self) {
        if let Ok(mut cache) = self.calendar.lock() {
            *cache = None;
        }
    }
}

/// The letter templates: the configured folder, or the templates built into the program when
/// the default folder is not there (an installed binary started away from the sources).
pub fn load_letters(settings: &Settings) -> Result<LetterRegistry, StartError> {
    let dir = &settings.paths.templates_dir;
    if dir.is_dir() {
        return Ok(LetterRegistry::load(dir)?);
    }
    if dir.as_os_str() == crate::settings::DEFAULT_TEMPLATES_DIR {
        return Ok(LetterRegistry::embedded()?);
    }
    Err(StartError::Templates(format!(
        "configuration key paths.templates_dir: {} is not a folder (relative paths are taken \
         from the folder foi is started in: {})",
        dir.display(),
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "unknown".into())
    )))
}

fn default_worker() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, StartError> {
    store::connect(&settings.database)
        .await
        .map_err(|source| StartError::Connect {
            url: redact(&settings.database.url),
            source,
        })
}

pub async fn connect_and_migrate(settings: &Settings) -> Result<DatabaseConnection, StartError> {
    let db = connect(settings).await?;
    let applied = store::migrate(&db).await.map_err(StartError::Migrate)?;
    // A SQLite connection that read the schema before a migration changed it prepares new
    // statements against the old schema (an ON CONFLICT naming a new unique index fails), so
    // after a migration the pool starts afresh.
    if applied > 0 && store::DbKind::of(&db) == store::DbKind::Sqlite {
        let _ = db.close().await;
        return connect(settings).await;
    }
    Ok(db)
}

/// A database URL fit for a log line: any password is hidden.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://var/foi.db"), "sqlite://var/foi.db");
    }
}
