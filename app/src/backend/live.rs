//! Live updates for open pages. The database announces every change a page may show
//! without a reload (migration 018's triggers, on one NOTIFY channel); one listener per
//! server process fans them out to the connected browsers' event streams.

use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgListener, PgPool};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use std::time::Duration;

use crate::{backend::retry::Trouble, error::AppError};

/// The channel migration 018's triggers notify on.
const CHANNEL: &str = "thoughtspace_events";

/// How many announcements a slow browser stream may fall behind before it is told to
/// catch up from scratch.
const BACKLOG: usize = 256;

/// One change, as the database announced it (migrations 018 and 027).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// `user`'s notifications changed (one arrived, was read or dismissed); `notification`
    /// is the one that arrived.
    Unread {
        user: Uuid,
        #[serde(default)]
        notification: Option<Uuid>,
    },
    /// A thought was stored.
    Thought {
        id: Uuid,
        author: Uuid,
        visibility: String,
    },
    /// A thought's text changed.
    ThoughtEdited {
        id: Uuid,
        author: Uuid,
        visibility: String,
    },
    /// A thought was deleted; the tags and mentions it had.
    ThoughtDeleted {
        id: Uuid,
        author: Uuid,
        visibility: String,
        tags: Vec<String>,
        mentioned: Vec<Uuid>,
    },
    /// An API key was revoked: streams opened with it end.
    KeyRevoked { key: Uuid },
    /// `booster` boosted `thought`; `id` is the boost's own id (announced by
    /// [`announce`], not a trigger).
    Boosted {
        id: Uuid,
        thought: Uuid,
        booster: Uuid,
    },
    /// That boost was taken back.
    Unboosted {
        id: Uuid,
        thought: Uuid,
        booster: Uuid,
    },
}

/// Announces `change` on the channel, as the triggers do; heard when `db`'s transaction
/// commits (not at all if it rolls back).
pub async fn announce(db: &mut sqlx::PgConnection, change: &Change) -> Result<(), AppError> {
    let payload = serde_json::to_string(change).map_err(|error| {
        tracing::error!(%error, "cannot write a live event");
        AppError::Internal
    })?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(db)
        .await?;
    Ok(())
}

/// What a stream receives: a change, or word that it missed some and must assume anything
/// changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Change(Change),
    Missed,
}

/// The fan-out point, shared by every clone of the `Backend`.
#[derive(Debug, Clone)]
pub struct Hub {
    changes: broadcast::Sender<Received>,
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            changes: broadcast::channel(BACKLOG).0,
            closing: watch::channel(false).0,
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            changes: self.changes.subscribe(),
            closing: self.closing.subscribe(),
        }
    }

    /// Ends every open stream (the server is shutting down: open streams would keep it
    /// waiting forever).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn publish(&self, received: Received) {
        // No subscriber is not an error: nobody has a page open.
        let _ = self.changes.send(received);
    }
}

/// One open stream's view of the hub.
pub struct Subscription {
    changes: broadcast::Receiver<Received>,
    closing: watch::Receiver<bool>,
}

impl Subscription {
    /// The next change, or `None` once the server is closing.
    pub async fn next(&mut self) -> Option<Received> {
        if *self.closing.borrow() {
            return None;
        }
        tokio::select! {
            received = self.changes.recv() => match received {
                Ok(received) => Some(received),
                Err(broadcast::error::RecvError::Lagged(_)) => Some(Received::Missed),
                Err(broadcast::error::RecvError::Closed) => None,
            },
            _ = self.closing.wait_for(|closing| *closing) => None,
        }
    }
}

/// The database's announcements, listened to on one connection of their own.
pub struct Announcements {
    pool: PgPool,
    listener: Option<PgListener>,
}

impl Announcements {
    /// Starts listening: announcements made from now on are heard.
    pub async fn listen(pool: &PgPool) -> Result<Self, AppError> {
        Ok(Announcements {
            pool: pool.clone(),
            listener: Some(connect(pool).await?),
        })
    }

    /// Publishes every announcement on `hub` until the hub closes. A lost connection is
    /// re-established with back-off; what was announced meanwhile is lost, so every stream
    /// is told it missed some.
    pub async fn relay(mut self, hub: Hub) {
        let mut closing = hub.closing.subscribe();
        let mut trouble = Trouble::new(
            "the live events listener",
            Duration::from_millis(250),
            Duration::from_secs(10),
        );
        loop {
            let listener = match self.listener.as_mut() {
                Some(listener) => listener,
                None => match connect(&self.pool).await {
                    Ok(listener) => {
                        trouble.succeeded();
                        hub.publish(Received::Missed);
                        self.listener.insert(listener)
                    }
                    Err(error) => {
                        let pause = trouble.failed(&error);
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => continue,
                            _ = closing.wait_for(|closing| *closing) => return,
                        }
                    }
                },
            };
            let notification = tokio::select! {
                notification = listener.try_recv() => notification,
                _ = closing.wait_for(|closing| *closing) => return,
            };
            match notification {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Change>(notification.payload()) {
                        Ok(change) => hub.publish(Received::Change(change)),
                        Err(error) => {
                            tracing::warn!(%error, payload = notification.payload(), "unreadable live event")
                        }
                    }
                }
                Ok(None) => {
                    self.listener = None;
                    hub.publish(Received::Missed);
                    // Reconnects at once on the next turn; only repeated failures wait.
                    tracing::warn!("live events connection lost; reconnecting");
                }
                Err(error) => {
                    self.listener = None;
                    hub.publish(Received::Missed);
                    let pause = trouble.failed(&error);
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = closing.wait_for(|closing| *closing) => return,
                    }
                }
            }
        }
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Whether a new thought by `author` with `visibility` may show on a timeline `viewer` has
/// open. Deliberately generous (the page asks, under the timeline rules, what is new); it
/// only spares visitors the announcements of thoughts they could never see.
pub fn may_concern(change: &Change, viewer: Option<Uuid>) -> bool {
    match change {
        Change::Thought { visibility, .. } => viewer.is_some() || visibility == "public",
        Change::Unread { user, .. } => Some(*user) == viewer,
        // Open pages show neither edits, deletions nor boosts live (only the client API
        // streams them).
        Change::ThoughtEdited { .. }
        | Change::ThoughtDeleted { .. }
        | Change::KeyRevoked { .. }
        | Change::Boosted { .. }
        | Change::Unboosted { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_payloads_migrations_018_and_027_send() {
        let (user, id) = (Uuid::now_v7(), Uuid::now_v7());
        let unread: Change = serde_json::from_str(&format!(
            r#"{{"kind":"unread","user":"{user}","notification":null}}"#
        ))
        .unwrap();
        assert_eq!(
            unread,
            Change::Unread {
                user,
                notification: None
            }
        );
        let arrived: Change = serde_json::from_str(&format!(
            r#"{{"kind":"unread","user":"{user}","notification":"{id}"}}"#
        ))
        .unwrap();
        assert_eq!(
            arrived,
            Change::Unread {
                user,
                notification: Some(id)
            }
        );
        let thought: Change = serde_json::from_str(&format!(
            r#"{{"kind":"thought","id":"{id}","author":"{user}","visibility":"followers"}}"#
        ))
        .unwrap();
        assert_eq!(
            thought,
            Change::Thought {
                id,
                author: user,
                visibility: "followers".into()
            }
        );
        let deleted: Change = serde_json::from_str(&format!(
            r#"{{"kind":"thought_deleted","id":"{id}","author":"{user}","visibility":"public","tags":["rust"],"mentioned":["{user}"]}}"#
        ))
        .unwrap();
        assert_eq!(
            deleted,
            Change::ThoughtDeleted {
                id,
                author: user,
                visibility: "public".into(),
                tags: vec!["rust".into()],
                mentioned: vec![user]
            }
        );
        let revoked: Change =
            serde_json::from_str(&format!(r#"{{"kind":"key_revoked","key":"{id}"}}"#)).unwrap();
        assert_eq!(revoked, Change::KeyRevoked { key: id });
    }

    #[test]
    fn visitors_hear_only_of_public_thoughts_and_nobody_of_others_notifications() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let public = Change::Thought {
            id: Uuid::now_v7(),
            author: other,
            visibility: "public".into(),
        };
        let followers = Change::Thought {
            id: Uuid::now_v7(),
            author: other,
            visibility: "followers".into(),
        };
        assert!(may_concern(&public, None));
        assert!(!may_concern(&followers, None));
        assert!(may_concern(&followers, Some(me)));
        let unread = |user| Change::Unread {
            user,
            notification: None,
        };
        assert!(may_concern(&unread(me), Some(me)));
        assert!(!may_concern(&unread(other), Some(me)));
        assert!(!may_concern(&unread(me), None));
    }

    #[tokio::test]
    async fn a_closed_hub_ends_its_streams_and_a_slow_stream_learns_it_missed_changes() {
        let hub = Hub::default();
        let mut slow = hub.subscribe();
        for _ in 0..BACKLOG + 1 {
            hub.publish(Received::Change(Change::Unread {
                user: Uuid::nil(),
                notification: None,
            }));
        }
        assert_eq!(slow.next().await, Some(Received::Missed));
        assert!(matches!(slow.next().await, Some(Received::Change(_))));
        hub.close();
        assert_eq!(slow.next().await, None);
        assert_eq!(hub.subscribe().next().await, None);
    }
}
