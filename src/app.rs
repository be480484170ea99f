//! The running program's shared parts: settings, the database pool and the letter templates.
//! `Application::build` is what `main` and the tests both start from.

use crate::letters::{LetterError, LetterRegistry};
use crate::settings::Settings;
use crate::store;
use sea_orm::{DatabaseConnection, DbErr};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(DbErr),
    #[error(transparent)]
    Letters(#[from] LetterError),
}

pub struct Application {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub letters: LetterRegistry,
}

impl Application {
    /// Connects, runs pending migrations and loads every letter template, failing fast with
    /// the file name and line when one is broken.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let letters = LetterRegistry::load(&settings.paths.templates_dir)?;
        let db = connect_and_migrate(&settings).await?;
        Ok(Application {
            settings,
            db,
            letters,
        })
    }
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
    store::migrate(&db).await.map_err(StartError::Migrate)?;
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
