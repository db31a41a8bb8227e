//! What an incoming activity does, once its signature is verified (by the HTTP route) and
//! its actor known. Each activity type we handle is read into its own struct (serde, see
//! [`super::reading`]) with its own `receive`, and everything goes through the app's own
//! rules (follows, reactions, thoughts, blocks, notifications), so a remote person can do
//! exactly what a local one can. An activity id already processed is acknowledged and
//! skipped; unknown types are accepted and ignored (logged at debug).

use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;
use uuid::Uuid;

use super::{
    notes::{self, Note},
    outbox,
    reading::{self, authority, lenient, Reference, MAX_ID_BYTES},
    remote::{self, RemoteActor},
    urls::Urls,
    FederationError,
};
use crate::{
    backend::{
        blocks, follows,
        reactions::{self, Reaction},
        thoughts, Backend,
    },
    error::AppError,
    text::is_http_url,
};

/// What every activity has: its id, type and actor.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default)]
    actor: Option<Reference>,
}

/// One verified activity, as every `receive` sees it.
pub struct Incoming<'a> {
    pub backend: &'a Backend,
    /// Who sent it (the signer, and its `actor`).
    pub actor: &'a RemoteActor,
    /// Its id: an http(s) URL on the actor's server.
    pub id: &'a str,
    /// The whole activity, for answers that quote it (Accept and Reject of a Follow).
    pub activity: &'a Value,
}

/// Handles one activity whose HTTP signature `signer` made. Its own actor's activities are
/// applied as they are; someone else's are forwarded ones ([`receive_forwarded`]).
pub async fn receive(
    backend: &Backend,
    signer: &RemoteActor,
    activity: &Value,
) -> Result<(), FederationError> {
    let envelope: Envelope = reading::parse(activity, "activity")?;
    let id = envelope
        .id
        .ok_or_else(|| FederationError::BadRequest("the activity has no id".into()))?;
    if !is_http_url(&id) || id.len() > MAX_ID_BYTES {
        return Err(FederationError::BadRequest(
            "the activity's id is not an http(s) URL".into(),
        ));
    }
    let kind = envelope.kind.unwrap_or_default();
    let claimed = envelope.actor.as_ref().and_then(Reference::id);
    if claimed != Some(signer.ap_id.as_str()) {
        return receive_forwarded(backend, &id, &kind, claimed, activity).await;
    }
    apply(backend, signer, &id, &kind, activity).await
}

/// An activity signed by someone other than its actor: Mastodon forwards replies to the
/// participants of a thread, signed by its own user. Only a Create or Update of a note can be
/// believed that way, and only through the copy the note's own server serves: it is fetched
/// by id (signed, through the SSRF-guarded client), must be served under that id, on the
/// claimed actor's server and attributed to them, and is applied instead of the copy sent.
/// Anything else whose signer is not its actor is refused, as before.
async fn receive_forwarded(
    backend: &Backend,
    id: &str,
    kind: &str,
    claimed: Option<&str>,
    activity: &Value,
) -> Result<(), FederationError> {
    let mismatch =
        || FederationError::Unauthorized("the signer and the activity's actor do not match".into());
    if !matches!(kind, "Create" | "Update") {
        return Err(mismatch());
    }
    let claimed = claimed
        .filter(|claimed| is_http_url(claimed))
        .ok_or_else(mismatch)?;
    let refused = |why: &str| {
        FederationError::Forbidden(format!(
            "a forwarded activity is believed only as its origin serves it, and {why}"
        ))
    };
    let object_id = parse::<Create>(activity, kind)?
        .object
        .as_ref()
        .and_then(Reference::id)
        .map(str::to_owned)
        .ok_or_else(|| refused("its object has no id"))?;
    if authority(&object_id) != authority(claimed) {
        return Err(refused("its object is not on its actor's server"));
    }
    let actor = remote::actor(backend, claimed).await?;
    let signer = remote::instance_signer(backend).await?;
    let origin_copy = backend
        .federation
        .get(&object_id, &signer)
        .await
        .map_err(|error| {
            tracing::info!(%error, object_id, "a forwarded activity's object was not fetched");
            refused("its object could not be fetched from its server")
        })?;
    let note = Note::read(&origin_copy)?;
    if note.id.as_deref() != Some(object_id.as_str()) {
        return Err(refused("its object's server serves it under another id"));
    }
    if note.attributed_to.first().map(String::as_str) != Some(actor.ap_id.as_str()) {
        return Err(refused("its object is not attributed to its actor"));
    }
    let mut verified = activity.clone();
    verified["object"] = origin_copy;
    apply(backend, &actor, id, kind, &verified).await
}

/// Applies an activity of `actor` (its own, or a forwarded one checked against its origin).
async fn apply(
    backend: &Backend,
    actor: &RemoteActor,
    id: &str,
    kind: &str,
    activity: &Value,
) -> Result<(), FederationError> {
    if authority(id) != authority(&actor.ap_id) {
        return Err(FederationError::Forbidden(
            "the activity's id is not on its actor's server".into(),
        ));
    }
    super::servers::heard_from(backend, &actor.ap_id).await?;
    let seen: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM received_activities WHERE activity_id = $1)",
    )
    .bind(id)
    .fetch_one(&backend.pool)
    .await?;
    if seen {
        return Ok(());
    }
    let incoming = Incoming {
        backend,
        actor,
        id,
        activity,
    };
    match kind {
        "Follow" => parse::<Follow>(activity, kind)?.receive(&incoming).await?,
        "Undo" => parse::<Undo>(activity, kind)?.receive(&incoming).await?,
        "Accept" => parse::<Accept>(activity, kind)?.receive(&incoming).await?,
        "Reject" => parse::<Reject>(activity, kind)?.receive(&incoming).await?,
        "Create" => parse::<Create>(activity, kind)?.receive(&incoming).await?,
        "Update" => parse::<Update>(activity, kind)?.receive(&incoming).await?,
        "Delete" => parse::<Delete>(activity, kind)?.receive(&incoming).await?,
        "Like" => parse::<Like>(activity, kind)?.receive(&incoming).await?,
        "Announce" => {
            parse::<Announce>(activity, kind)?
                .receive(&incoming)
                .await?
        }
        "Block" => parse::<Block>(activity, kind)?.receive(&incoming).await?,
        other => tracing::debug!(
            kind = other,
            id,
            "ignoring an activity of a type we do not handle"
        ),
    }
    // Processed: a redelivery of the same id is acknowledged without effect.
    sqlx::query("INSERT INTO received_activities (activity_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(id)
        .execute(&backend.pool)
        .await?;
    Ok(())
}

fn parse<T: DeserializeOwned>(activity: &Value, kind: &str) -> Result<T, FederationError> {
    reading::parse(activity, &format!("{kind} activity"))
}

/// The local user an object id names, if any.
async fn local_user(
    backend: &Backend,
    object: Option<&Reference>,
) -> Result<Option<Uuid>, FederationError> {
    let Some(name) = object
        .and_then(Reference::id)
        .and_then(|id| Urls::new(&backend.public_url).local_username(id))
    else {
        return Ok(None);
    };
    Ok(
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1 AND NOT is_remote")
            .bind(name)
            .fetch_optional(&backend.pool)
            .await?,
    )
}

/// The thought an object id names: one of ours, or a remote one we keep.
async fn thought_named(
    backend: &Backend,
    object_id: &str,
) -> Result<Option<Uuid>, FederationError> {
    Ok(
        match Urls::new(&backend.public_url).local_thought(object_id) {
            Some(local) => Some(local),
            None => {
                sqlx::query_scalar("SELECT id FROM thoughts WHERE ap_id = $1")
                    .bind(object_id)
                    .fetch_optional(&backend.pool)
                    .await?
            }
        },
    )
}

/// `Follow` of one of our people.
#[derive(Debug, Deserialize)]
pub struct Follow {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Follow {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        let backend = incoming.backend;
        let Some(target) = local_user(backend, self.object.as_ref()).await? else {
            return Ok(());
        };
        let urls = Urls::new(&backend.public_url);
        let follower = incoming.actor.user_id;
        let mut transaction = backend.pool.begin().await?;
        match follows::follow_from_remote(&mut transaction, follower, target, incoming.id).await? {
            follows::RemoteFollow::Accepted => {
                outbox::accept_follow(&mut transaction, urls, target, follower, incoming.activity)
                    .await?
            }
            // The local person answers later, from their requests.
            follows::RemoteFollow::Requested => {}
            follows::RemoteFollow::Refused => {
                outbox::reject_follow(&mut transaction, urls, target, follower, incoming.activity)
                    .await?
            }
        }
        transaction.commit().await?;
        Ok(())
    }
}

/// `Undo` of a Follow, Like, Announce or Block (by its id, or embedded).
#[derive(Debug, Deserialize)]
pub struct Undo {
    #[serde(default)]
    pub object: Option<Reference>,
}

/// The activity an Undo names, when it is embedded.
#[derive(Debug, Default, Deserialize)]
struct Undone {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default)]
    object: Option<Reference>,
}

impl Undo {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        let (backend, actor) = (incoming.backend, incoming.actor);
        let Some(object) = self.object else {
            return Ok(());
        };
        let Some(undone) = object.id() else {
            return Ok(());
        };
        let inner: Undone = object.embedded().unwrap_or_default();
        let inner_kind = inner.kind.as_deref();
        if matches!(inner_kind, Some("Follow") | None) {
            let target = local_user(backend, inner.object.as_ref()).await?;
            follows::remove_remote(&backend.pool, actor.user_id, undone, target).await?;
        }
        if matches!(inner_kind, Some("Like" | "Announce") | None) {
            let reaction = match reactions::by_ap_id(&backend.pool, actor.user_id, undone).await? {
                Some(found) => Some(found),
                None => {
                    let thought = inner
                        .object
                        .as_ref()
                        .and_then(Reference::id)
                        .and_then(|id| Urls::new(&backend.public_url).local_thought(id));
                    match (inner_kind, thought) {
                        (Some("Like"), Some(thought)) => Some((Reaction::Like, thought)),
                        (Some("Announce"), Some(thought)) => Some((Reaction::Boost, thought)),
                        _ => None,
                    }
                }
            };
            if let Some((reaction, thought)) = reaction {
                reactions::set_remote(
                    &backend.pool,
                    actor.user_id,
                    thought,
                    reaction,
                    false,
                    undone,
                )
                .await?;
            }
        }
        if matches!(inner_kind, Some("Block") | None) {
            blocks::unblock_from_remote(
                &backend.pool,
                actor.user_id,
                undone,
                local_user(backend, inner.object.as_ref()).await?,
            )
            .await?;
        }
        Ok(())
    }
}

/// The Follow an Accept or Reject answers: some servers send its id only, others embed it
/// (its actor is one of ours).
#[derive(Debug, Default, Deserialize)]
struct AnsweredFollow {
    #[serde(default)]
    actor: Option<Reference>,
}

async fn answer_to_follow(
    incoming: &Incoming<'_>,
    follow: Option<Reference>,
    accepted: bool,
) -> Result<(), FederationError> {
    let backend = incoming.backend;
    let follow_id = follow.as_ref().and_then(Reference::id);
    let answered: AnsweredFollow = follow
        .as_ref()
        .and_then(Reference::embedded)
        .unwrap_or_default();
    let follower = local_user(backend, answered.actor.as_ref()).await?;
    follows::answered_by_remote(
        &backend.pool,
        incoming.actor.user_id,
        follow_id,
        follower,
        accepted,
    )
    .await?;
    Ok(())
}

/// `Accept` of a Follow we sent.
#[derive(Debug, Deserialize)]
pub struct Accept {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Accept {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        answer_to_follow(incoming, self.object, true).await
    }
}

/// `Reject` of a Follow we sent.
#[derive(Debug, Deserialize)]
pub struct Reject {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Reject {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        answer_to_follow(incoming, self.object, false).await
    }
}

/// `Create` of a Note (embedded, or by its id: then fetched from its server).
#[derive(Debug, Deserialize)]
pub struct Create {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Create {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        let (backend, actor) = (incoming.backend, incoming.actor);
        let note = match self.object {
            Some(Reference::Id(id)) => {
                let signer = remote::instance_signer(backend).await?;
                Note::read(&backend.federation.get(&id, &signer).await?)?
            }
            Some(Reference::Embedded(object)) => Note::read(&Value::Object(object))?,
            _ => return Ok(()),
        };
        if note.kind.as_deref() != Some("Note") {
            return Ok(());
        }
        let Some(thought) = notes::thought_from(backend, actor, note).await? else {
            return Ok(());
        };
        if !concerns_local_people(backend, actor, &thought).await? {
            tracing::debug!(note = %thought.ap_id, "ignoring a note that concerns nobody here");
            return Ok(());
        }
        thoughts::store_remote(&backend.pool, thought).await?;
        Ok(())
    }
}

/// A note worth keeping: it replies to or mentions someone here, or its author has followers here.
async fn concerns_local_people(
    backend: &Backend,
    actor: &RemoteActor,
    thought: &thoughts::RemoteThought,
) -> Result<bool, FederationError> {
    if thought.reply_to.is_some() || !thought.mentions.is_empty() {
        return Ok(true);
    }
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM follows f JOIN users u ON u.id = f.follower_id
                         WHERE f.following_id = $1 AND f.state = 'accepted' AND NOT u.is_remote)",
    )
    .bind(actor.user_id)
    .fetch_one(&backend.pool)
    .await?)
}

/// `Update` of a Note (an edit, by its author) or of the actor itself (a new profile or key).
#[derive(Debug, Deserialize)]
pub struct Update {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Update {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        let (backend, actor) = (incoming.backend, incoming.actor);
        let Some(object) = self.object else {
            return Ok(());
        };
        match object.kind() {
            Some("Note") => {
                let note = Note::read(&object.to_value())?;
                let edited_at = note.edited_at(chrono::Utc::now());
                let Some(thought) = notes::thought_from(backend, actor, note).await? else {
                    return Ok(());
                };
                thoughts::update_remote(&backend.pool, &thought, edited_at).await?;
            }
            Some("Person" | "Service" | "Application" | "Group" | "Organization") => {
                if object.id() != Some(actor.ap_id.as_str()) {
                    return Err(FederationError::Forbidden(
                        "an actor may only update itself".into(),
                    ));
                }
                remote::store_actor(backend, &actor.ap_id, &object.to_value()).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// `Delete` of a note, or of the actor itself (the account is gone).
#[derive(Debug, Deserialize)]
pub struct Delete {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Delete {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        let (backend, actor) = (incoming.backend, incoming.actor);
        let Some(id) = self.object.as_ref().and_then(Reference::id) else {
            return Ok(());
        };
        if id == actor.ap_id {
            // The account is gone: its row, and with it its follows, likes, thoughts, notifications.
            sqlx::query("DELETE FROM users WHERE id = $1 AND is_remote")
                .bind(actor.user_id)
                .execute(&backend.pool)
                .await?;
            return Ok(());
        }
        thoughts::delete_remote(&backend.pool, actor.user_id, id).await?;
        Ok(())
    }
}

/// A Like or Announce of a thought we have.
async fn react(
    incoming: &Incoming<'_>,
    object: Option<Reference>,
    reaction: Reaction,
) -> Result<(), FederationError> {
    let backend = incoming.backend;
    let Some(object_id) = object.as_ref().and_then(Reference::id) else {
        return Ok(());
    };
    let Some(thought) = thought_named(backend, object_id).await? else {
        return Ok(());
    };
    match reactions::set_remote(
        &backend.pool,
        incoming.actor.user_id,
        thought,
        reaction,
        true,
        incoming.id,
    )
    .await
    {
        // Not visible to them, or a block stands between: nothing happens, as for a local person.
        Err(AppError::NotFound | AppError::Forbidden) => Ok(()),
        other => Ok(other?),
    }
}

/// `Like` of a thought.
#[derive(Debug, Deserialize)]
pub struct Like {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Like {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        react(incoming, self.object, Reaction::Like).await
    }
}

/// `Announce` (a boost) of a thought.
#[derive(Debug, Deserialize)]
pub struct Announce {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Announce {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        react(incoming, self.object, Reaction::Boost).await
    }
}

/// `Block` of one of our people.
#[derive(Debug, Deserialize)]
pub struct Block {
    #[serde(default)]
    pub object: Option<Reference>,
}

impl Block {
    async fn receive(self, incoming: &Incoming<'_>) -> Result<(), FederationError> {
        let backend = incoming.backend;
        let Some(target) = local_user(backend, self.object.as_ref()).await? else {
            return Ok(());
        };
        blocks::block_ids(
            &backend.pool,
            incoming.actor.user_id,
            target,
            Some(incoming.id),
        )
        .await?;
        Ok(())
    }
}
