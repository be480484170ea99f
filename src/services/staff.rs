//! Staff accounts and dashboard sessions: `foi users add/list/disable`, logging in (argon2
//! password check, throttled per account and per address), the session a cookie names, and
//! logging out. A session token is given to the browser once; only its SHA-256 is stored.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::store::staff::{self, UserModel};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

/// Failed logins counted over this window.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// Failed logins to one account within the window before it is refused until they age out.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failed logins from one address within the window (any accounts) before it is refused.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The shortest password `foi users add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A staff account as `foi users list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffUser {
    pub name: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UserModel> for StaffUser {
    fn from(u: UserModel) -> Self {
        StaffUser {
            name: u.name,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// The name a staff member's actions carry on the timeline.
pub fn actor_of(name: &str) -> String {
    format!("staff:{name}")
}

fn check_name(name: &str) -> ServiceResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::refused(format!(
            "'{name}' is not a staff account name: use 1 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}

fn hash_password(password: &str) -> ServiceResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| ServiceError::refused(format!("cannot make a password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::refused(format!("cannot hash the password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UserSaved {
    pub name: String,
    /// False when the account existed and got a new password.
    pub created: bool,
}

/// `foi users add NAME`: a new account, or a new password for an existing one (which also
/// enables it again).
pub async fn add_user(
    app: &AppContext,
    now: DateTime<Utc>,
    name: &str,
    password: &str,
) -> ServiceResult<UserSaved> {
    let name = name.trim();
    check_name(name)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::refused(format!(
            "the password for {name} is too short: use at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ServiceError::refused(format!("hashing the password failed: {e}")))??;
    let (u, created) = staff::upsert_user(&app.db, name, &hash, now).await?;
    Ok(UserSaved {
        name: u.name,
        created,
    })
}

pub async fn list_users(app: &AppContext) -> ServiceResult<Vec<StaffUser>> {
    Ok(staff::users(&app.db)
        .await?
        .into_iter()
        .map(StaffUser::from)
        .collect())
}

/// `foi users disable NAME`: the account can no longer log in, and its sessions end now.
pub async fn disable_user(app: &AppContext, name: &str) -> ServiceResult<StaffUser> {
    Ok(staff::disable_user(&app.db, name.trim()).await?.into())
}

/// A signed-in staff member, as each dashboard request sees them.
#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    /// What their actions are recorded as on the timeline.
    pub actor: String,
    /// The token every form of this session must carry.
    pub csrf: String,
}

/// What a successful login gives: the token for the cookie (shown once, stored only hashed)
/// and the session it opens.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub token: String,
    pub session: Session,
    pub expires_at: DateTime<Utc>,
}

/// Why a login failed, in words fit to show on the login page (never which of the name or
/// the password was wrong).
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the name or password is wrong")]
    Wrong,
    #[error("too many failed logins {0}: try again in {THROTTLE_WINDOW_MINUTES} minutes")]
    Throttled(&'static str),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn token_hash(token: &str) -> String {
    crate::files::sha256_hex(token.as_bytes())
}

/// Checks a name and password from `address`. A new session (a fresh token) is opened on
/// every login, so a session id planted before login is never the one used after it.
pub async fn login(
    app: &AppContext,
    now: DateTime<Utc>,
    name: &str,
    password: &str,
    address: &str,
) -> Result<LoggedIn, LoginError> {
    let db = &app.db;
    let name = name.trim();
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    staff::prune_attempts(db, now - Duration::days(1))
        .await
        .map_err(ServiceError::from)?;
    let (by_account, by_address) = staff::failures_since(db, name, address, since)
        .await
        .map_err(ServiceError::from)?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT {
        tracing::warn!(account = %name, %address, "login refused: account throttled");
        return Err(LoginError::Throttled("for this account"));
    }
    if by_address >= MAX_FAILURES_PER_ADDRESS {
        tracing::warn!(account = %name, %address, "login refused: address throttled");
        return Err(LoginError::Throttled("from this address"));
    }
    let user = staff::find_user(db, name)
        .await
        .map_err(ServiceError::from)?;
    // An unknown name costs the same hashing time as a known one.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let pw = password.to_string();
    let matches = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if matches && !u.disabled => u,
        _ => {
            staff::record_attempt(db, name, address, now, false)
                .await
                .map_err(ServiceError::from)?;
            tracing::info!(account = %name, %address, "login failed");
            return Err(LoginError::Wrong);
        }
    };
    staff::record_attempt(db, name, address, now, true)
        .await
        .map_err(ServiceError::from)?;
    staff::delete_expired_sessions(db, now)
        .await
        .map_err(ServiceError::from)?;
    let token = random_hex();
    let csrf = random_hex();
    let expires_at = now + Duration::hours(app.settings.web.session_hours as i64);
    staff::insert_session(db, user.id, &token_hash(&token), &csrf, now, expires_at)
        .await
        .map_err(ServiceError::from)?;
    tracing::info!(account = %user.name, %address, "logged in");
    Ok(LoggedIn {
        token,
        session: Session {
            actor: actor_of(&user.name),
            name: user.name,
            csrf,
        },
        expires_at,
    })
}

/// A hash of a password nobody has, checked when the name is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3cFqbdPgmS6a6PnnwJcHJ5aNV0ByoO1sBKW9P1vXxI8";

/// The live session a cookie's token names (None when it ended, or never was).
pub async fn session(
    app: &AppContext,
    now: DateTime<Utc>,
    token: &str,
) -> ServiceResult<Option<Session>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(staff::session(&app.db, &token_hash(token), now)
        .await?
        .map(|(s, u)| Session {
            actor: actor_of(&u.name),
            name: u.name,
            csrf: s.csrf,
        }))
}

/// Ends the session the token names.
pub async fn logout(app: &AppContext, token: &str) -> ServiceResult<()> {
    staff::delete_session(&app.db, &token_hash(token)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_verify_against_their_hash_only() {
        let h = super::hash_password("correct horse battery").unwrap();
        assert!(super::verify_password("correct horse battery", &h));
        assert!(!super::verify_password("correct horse batterz", &h));
        assert!(!super::verify_password("anything", super::DUMMY_HASH));
    }

    #[test]
    fn names_are_checked() {
        assert!(super::check_name("ada.l").is_ok());
        assert!(super::check_name("").is_err());
        assert!(super::check_name("a b").is_err());
        assert!(super::check_name("<script>").is_err());
    }
}
