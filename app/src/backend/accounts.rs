//! Local accounts: sign-up, log-in, listing and deletion. The web forms, the operator CLI
//! and (later) the client API all come through here.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    federation::keys,
    fields::{Email, Password, Username},
    login_throttle, passwords,
};
use crate::error::{AppError, FieldErrors};

/// What a sign-up (or `server user create`) asks for, unparsed.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    pub username: String,
    pub email: String,
    pub password: String,
    pub is_admin: bool,
}

/// An account as its owner and operators know it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

/// The one message for a wrong password and an unknown account alike.
pub const WRONG_CREDENTIALS: &str = "wrong username, email or password";

/// The answer to a sign-up with an email that already has an account. Without sending mail
/// nothing can look like an accepted sign-up, so the answer is a refusal, but it does not
/// say why: the same words refuse addresses that can never receive mail. Usernames are
/// public, so a taken one is named as such. Refused sign-ups are throttled per address
/// (`login_throttle::reserve_sign_up`), which bounds probing.
pub const EMAIL_UNUSABLE: &str = "this email cannot be used";

/// Whether mail to this (well-formed) address can ever arrive: not at the special-use
/// names that never route mail (RFC 2606 `.invalid`, RFC 6761 `.localhost`, mDNS `.local`,
/// `.onion`, ICANN's private-use `.internal`, `.arpa`).
fn deliverable_domain(email: &str) -> bool {
    let domain = email
        .rsplit_once('@')
        .map_or("", |(_, domain)| domain)
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let top_level = domain.rsplit('.').next().unwrap_or_default();
    !matches!(
        top_level,
        "invalid" | "localhost" | "local" | "onion" | "internal" | "arpa"
    )
}

/// Creates a local account after checking every field (all errors reported together).
/// Takes a connection so a caller can make more of the same transaction (sign-up also opens
/// the first session: both happen, or neither).
pub async fn create(db: &mut PgConnection, input: SignUp) -> Result<Account, AppError> {
    let mut errors = FieldErrors::default();
    let username = errors.check(Username::parse(&input.username));
    let email = errors.check(Email::parse(&input.email));
    let password = errors.check(Password::parse(&input.password));
    errors.finish()?;
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(AppError::Internal);
    };

    // Friendly errors for the common case; the UNIQUE indexes settle races below.
    let taken: (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1)),
                EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($2))",
    )
    .bind(username.as_str())
    .bind(email.as_str())
    .fetch_one(&mut *db)
    .await?;
    let mut errors = FieldErrors::default();
    if taken.0 {
        errors.push("username", "this username is taken");
    }
    if taken.1 || !deliverable_domain(email.as_str()) {
        errors.push("email", EMAIL_UNUSABLE);
    }
    errors.finish()?;

    let password_hash = passwords::hash(password.expose().to_owned()).await?;
    let keys = keys::generate().await?;
    let account: Account = sqlx::query_as(
        "INSERT INTO users (username, email, password_hash, is_admin)
         VALUES ($1, $2, $3, $4)
         RETURNING id, username, email, is_admin, created_at",
    )
    .bind(username.as_str())
    .bind(email.as_str())
    .bind(password_hash)
    .bind(input.is_admin)
    .fetch_one(&mut *db)
    .await
    .map_err(unique_violation_to_field_error)?;
    keys::store(db, account.id, &keys).await?;
    Ok(account)
}

/// Maps the users table's UNIQUE violations to the field they concern.
fn unique_violation_to_field_error(error: sqlx::Error) -> AppError {
    if let Some(db) = error.as_database_error() {
        match db.constraint() {
            Some("users_username_key" | "users_username_lower_key") => {
                return AppError::invalid("username", "this username is taken");
            }
            Some("users_email_key" | "users_email_lower_key") => {
                return AppError::invalid("email", EMAIL_UNUSABLE);
            }
            _ => {}
        }
    }
    error.into()
}

/// Checks a username-or-email and password, throttled per account and per client address.
pub async fn authenticate(
    pool: &PgPool,
    login: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<Account, AppError> {
    let login = login.trim();
    let mut errors = FieldErrors::default();
    if login.is_empty() {
        errors.push("login", "enter your username or email");
    } else if crate::text::has_forbidden_controls(login, false) {
        errors.push("login", "remove the control characters");
    }
    if password.is_empty() {
        errors.push("password", "enter your password");
    }
    errors.finish()?;

    let found: Option<(Uuid, Option<String>)> = sqlx::query_as(
        "SELECT id, password_hash FROM users
          WHERE NOT is_remote AND (lower(username) = lower($1) OR lower(email) = lower($1))",
    )
    .bind(login)
    .fetch_optional(pool)
    .await?;
    // Throttle by the account itself when it exists, so username and email share one count.
    let account_key = found
        .as_ref()
        .map_or_else(|| login.to_lowercase(), |(id, _)| id.to_string());
    // Reserved before the password is checked, so concurrent guesses cannot outrun the count.
    let attempt = login_throttle::attempt(pool, &account_key, client).await?;

    let matches = passwords::verify(
        password.to_owned(),
        found.as_ref().and_then(|(_, hash)| hash.clone()),
    )
    .await?;
    match found {
        Some((id, _)) if matches => {
            attempt.release(pool).await?;
            Ok(by_id(pool, id).await?)
        }
        // The reservation stays: it is the failure counted.
        _ => Err(AppError::invalid("login", WRONG_CREDENTIALS)),
    }
}

/// `handle` without spaces and a leading `@`, as usernames are looked up; `NotFound` when
/// no stored name could be it (no name holds a control character).
pub fn lookup_name(handle: &str) -> Result<&str, AppError> {
    let name = handle.trim().trim_start_matches('@');
    if crate::text::has_forbidden_controls(name, false) {
        return Err(AppError::NotFound);
    }
    Ok(name)
}

/// The id of the local user `username` (any case, with or without `@`), or `NotFound`.
pub async fn local_user_id(pool: &PgPool, username: &str) -> Result<Uuid, AppError> {
    sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1) AND NOT is_remote")
        .bind(lookup_name(username)?)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// A person by handle: a local `name` or a known remote `name@domain` (any case, with or
/// without `@`). Returns their id and whether they are remote, or `NotFound`.
pub async fn person_id(pool: &PgPool, handle: &str) -> Result<(Uuid, bool), AppError> {
    sqlx::query_as("SELECT id, is_remote FROM users WHERE lower(username) = lower($1)")
        .bind(lookup_name(handle)?)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn by_id(pool: &PgPool, id: Uuid) -> Result<Account, AppError> {
    sqlx::query_as("SELECT id, username, email, is_admin, created_at FROM users WHERE id = $1 AND NOT is_remote")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// Every local account, oldest first.
pub async fn list(pool: &PgPool) -> Result<Vec<Account>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, username, email, is_admin, created_at FROM users WHERE NOT is_remote ORDER BY created_at, username",
    )
    .fetch_all(pool)
    .await?)
}

/// Deletes a local account and everything that is only theirs (thoughts, sessions, …).
pub async fn delete(pool: &PgPool, username: &str) -> Result<Account, AppError> {
    sqlx::query_as(
        "DELETE FROM users WHERE lower(username) = lower($1) AND NOT is_remote
         RETURNING id, username, email, is_admin, created_at",
    )
    .bind(username.trim().trim_start_matches('@'))
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::deliverable_domain;

    #[test]
    fn special_use_domains_never_receive_mail() {
        for usable in ["ana@example.com", "ana@example.test", "ana@mail.social"] {
            assert!(deliverable_domain(usable), "{usable}");
        }
        for unusable in [
            "ana@nowhere.invalid",
            "ana@box.LOCALHOST",
            "ana@printer.local.",
            "ana@x.onion",
            "ana@corp.internal",
        ] {
            assert!(!deliverable_domain(unusable), "{unusable}");
        }
    }
}
