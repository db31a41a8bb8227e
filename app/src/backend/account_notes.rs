//! Private notes about other accounts: only their writer ever reads one (Mastodon's
//! Relationship `note`).

use sqlx::PgPool;
use uuid::Uuid;

use super::fields::optional_text;
use crate::error::AppError;

pub const MAX_CHARS: usize = 2000;

/// `user`'s note about `target` (empty when there is none).
pub async fn get(pool: &PgPool, user: Uuid, target: Uuid) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT note FROM account_notes WHERE user_id = $1 AND target_id = $2")
            .bind(user)
            .bind(target)
            .fetch_optional(pool)
            .await?
            .unwrap_or_default(),
    )
}

/// Sets `user`'s note about `target`; an empty note removes it.
pub async fn set(pool: &PgPool, user: Uuid, target: Uuid, raw: &str) -> Result<(), AppError> {
    match optional_text(raw, "comment", MAX_CHARS, true)? {
        Some(note) => {
            sqlx::query(
                "INSERT INTO account_notes (user_id, target_id, note) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, target_id) DO UPDATE SET note = EXCLUDED.note, updated_at = NOW()",
            )
            .bind(user)
            .bind(target)
            .bind(note)
            .execute(pool)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM account_notes WHERE user_id = $1 AND target_id = $2")
                .bind(user)
                .bind(target)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}
