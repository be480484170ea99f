//! Staff accounts, their dashboard sessions and login attempts.

use super::entities::login_attempt::{self, Entity as LoginAttempt};
use super::entities::staff_session::{self, Entity as StaffSession};
use super::entities::staff_user::{self, Entity as StaffUser};
use super::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

pub use staff_session::Model as SessionModel;
pub use staff_user::Model as UserModel;

pub async fn find_user(db: &impl ConnectionTrait, name: &str) -> StoreResult<Option<UserModel>> {
    Ok(StaffUser::find()
        .filter(staff_user::Column::Name.eq(name))
        .one(db)
        .await?)
}

pub async fn user(db: &impl ConnectionTrait, id: i32) -> StoreResult<Option<UserModel>> {
    Ok(StaffUser::find_by_id(id).one(db).await?)
}

pub async fn users(db: &impl ConnectionTrait) -> StoreResult<Vec<UserModel>> {
    Ok(StaffUser::find()
        .order_by_asc(staff_user::Column::Name)
        .all(db)
        .await?)
}

/// Adds an account, or sets a new password on an existing one (enabling it again).
pub async fn upsert_user(
    db: &impl ConnectionTrait,
    name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<(UserModel, bool)> {
    if let Some(u) = find_user(db, name).await? {
        let mut a: staff_user::ActiveModel = u.into();
        a.password_hash = Set(password_hash.to_string());
        a.disabled = Set(false);
        return Ok((a.update(db).await?, false));
    }
    let u = staff_user::ActiveModel {
        name: Set(name.to_string()),
        password_hash: Set(password_hash.to_string()),
        disabled: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((u, true))
}

/// Disables an account and ends every session it has.
pub async fn disable_user(db: &impl ConnectionTrait, name: &str) -> StoreResult<UserModel> {
    let u = find_user(db, name).await?.ok_or_else(|| {
        StoreError::NotFound(format!("no staff account {name} (see `foi users list`)"))
    })?;
    StaffSession::delete_many()
        .filter(staff_session::Column::UserId.eq(u.id))
        .exec(db)
        .await?;
    let mut a: staff_user::ActiveModel = u.into();
    a.disabled = Set(true);
    Ok(a.update(db).await?)
}

pub async fn insert_session(
    db: &impl ConnectionTrait,
    user_id: i32,
    token_hash: &str,
    csrf: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<SessionModel> {
    Ok(staff_session::ActiveModel {
        token_hash: Set(token_hash.to_string()),
        user_id: Set(user_id),
        csrf: Set(csrf.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The live session with this token hash and its (enabled) account.
pub async fn session(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(SessionModel, UserModel)>> {
    let Some(s) = StaffSession::find()
        .filter(staff_session::Column::TokenHash.eq(token_hash))
        .filter(staff_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(u) = user(db, s.user_id).await?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    Ok(Some((s, u)))
}

pub async fn delete_session(db: &impl ConnectionTrait, token_hash: &str) -> StoreResult<u64> {
    Ok(StaffSession::delete_many()
        .filter(staff_session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?
        .rows_affected)
}

/// Forgets sessions that have ended.
pub async fn delete_expired_sessions(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(StaffSession::delete_many()
        .filter(staff_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn record_attempt(
    db: &impl ConnectionTrait,
    account: &str,
    address: &str,
    at: DateTime<Utc>,
    succeeded: bool,
) -> StoreResult<()> {
    login_attempt::ActiveModel {
        account: Set(account.chars().take(64).collect()),
        address: Set(address.chars().take(64).collect()),
        at: Set(at),
        succeeded: Set(succeeded),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Failed attempts since `since` for this account and from this address.
pub async fn failures_since(
    db: &impl ConnectionTrait,
    account: &str,
    address: &str,
    since: DateTime<Utc>,
) -> StoreResult<(u64, u64)> {
    let failed = || {
        LoginAttempt::find()
            .filter(login_attempt::Column::Succeeded.eq(false))
            .filter(login_attempt::Column::At.gt(since))
    };
    let by_account = failed()
        .filter(login_attempt::Column::Account.eq(account))
        .count(db)
        .await?;
    let by_address = failed()
        .filter(login_attempt::Column::Address.eq(address))
        .count(db)
        .await?;
    Ok((by_account, by_address))
}

/// Forgets attempts older than `before` (they no longer count).
pub async fn prune_attempts(db: &impl ConnectionTrait, before: DateTime<Utc>) -> StoreResult<u64> {
    Ok(LoginAttempt::delete_many()
        .filter(login_attempt::Column::At.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
