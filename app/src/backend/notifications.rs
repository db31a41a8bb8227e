//! Notifications: who is told what. Nobody is notified of their own actions, nor by
//! someone they block (or who blocks them).

use sqlx::PgConnection;
use uuid::Uuid;

use super::visibility::blocked_between;
use crate::error::AppError;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Follow,
    Reply,
    Mention,
    Like,
    Boost,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "follow",
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Like => "like",
            Kind::Boost => "boost",
        }
    }
}

/// Tells `recipient` that `actor` did `kind` (about `thought`), unless the rules say not to.
pub async fn notify(
    db: &mut PgConnection,
    recipient: Uuid,
    kind: Kind,
    actor: Uuid,
    thought: Option<Uuid>,
) -> Result<(), AppError> {
    if recipient == actor {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO notifications (user_id, type, actor_id, thought_id)
         SELECT $1, $2, $3, $4 WHERE NOT {}",
        blocked_between("$1::uuid", "$3::uuid")
    ))
    .bind(recipient)
    .bind(kind.as_str())
    .bind(actor)
    .bind(thought)
    .execute(db)
    .await?;
    Ok(())
}
