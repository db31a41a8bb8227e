//! Posting and deleting thoughts: the length rule, visibility, replies, #tags and @mentions.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    federation::{outbox, urls::Urls},
    idempotency,
    notifications::{self, Kind},
    visibility::{blocked_between, visible_to},
    Backend,
};
use crate::{
    error::{AppError, FieldErrors},
    model::{ThoughtHistory, ThoughtVersion},
    text::{self, MAX_SUMMARY_BYTES, MAX_SUMMARY_CHARS, MAX_THOUGHT_BYTES, MAX_THOUGHT_CHARS},
};

/// A thought's text: not blank, at most [`MAX_THOUGHT_CHARS`] user-perceived characters and
/// [`MAX_THOUGHT_BYTES`] bytes, no control characters but line breaks and tabs.
/// Stored as typed (trimmed); escaped on output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThoughtText(String);

impl ThoughtText {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(AppError::invalid("content", "write something first"));
        }
        // Checked first: counting graphemes of megabytes is work for nothing.
        if text.len() > MAX_THOUGHT_BYTES {
            return Err(AppError::invalid(
                "content",
                format!("this is too long: at most {MAX_THOUGHT_BYTES} bytes, accents and emoji included (this has {})", text.len()),
            ));
        }
        if text::has_forbidden_controls(text, true) {
            return Err(AppError::invalid(
                "content",
                "remove the control characters",
            ));
        }
        let count = text::char_count(text);
        if count > MAX_THOUGHT_CHARS {
            return Err(AppError::invalid(
                "content",
                format!("use at most {MAX_THOUGHT_CHARS} characters (this has {count})"),
            ));
        }
        Ok(ThoughtText(text.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A content warning: one line, at most [`MAX_SUMMARY_CHARS`] characters and
/// [`MAX_SUMMARY_BYTES`] bytes, no control characters. Blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentWarning(Option<String>);

impl ContentWarning {
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let Some(summary) = raw.map(str::trim).filter(|summary| !summary.is_empty()) else {
            return Ok(ContentWarning(None));
        };
        if summary.len() > MAX_SUMMARY_BYTES {
            return Err(AppError::invalid(
                "summary",
                format!("this content warning is too long: at most {MAX_SUMMARY_BYTES} bytes"),
            ));
        }
        if text::has_forbidden_controls(summary, false) {
            return Err(AppError::invalid(
                "summary",
                "remove the control characters (and line breaks) from the content warning",
            ));
        }
        let count = text::char_count(summary);
        if count > MAX_SUMMARY_CHARS {
            return Err(AppError::invalid(
                "summary",
                format!("use at most {MAX_SUMMARY_CHARS} characters for the content warning (this has {count})"),
            ));
        }
        Ok(ContentWarning(Some(summary.to_owned())))
    }

    /// A summary from another server: kept without its control characters, cut to the
    /// limits of our own (never refused: the warning matters more than its exact length).
    pub fn from_remote(raw: Option<&str>) -> Self {
        use unicode_segmentation::UnicodeSegmentation;
        let cleaned = raw.map(|summary| text::strip_controls(summary, false));
        ContentWarning(
            cleaned
                .map(|summary| {
                    let within_bytes = text::truncate_bytes(summary.trim(), MAX_SUMMARY_BYTES);
                    within_bytes
                        .graphemes(true)
                        .take(MAX_SUMMARY_CHARS)
                        .collect::<String>()
                        .trim()
                        .to_owned()
                })
                .filter(|summary| !summary.is_empty()),
        )
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Who may see a thought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    /// Public, but kept out of the public and tag timelines.
    Unlisted,
    Followers,
    /// The author and the people it mentions.
    Private,
}

impl Visibility {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "" | "public" => Ok(Visibility::Public),
            "unlisted" => Ok(Visibility::Unlisted),
            "followers" => Ok(Visibility::Followers),
            "private" => Ok(Visibility::Private),
            _ => Err(AppError::invalid(
                "visibility",
                "choose public, followers or private",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
            Visibility::Private => "private",
        }
    }
}

/// A thought as submitted, unparsed.
#[derive(Debug, Clone, Default)]
pub struct NewThought {
    pub content: String,
    pub visibility: String,
    /// The id of the thought this replies to, if any (as typed in a form).
    pub reply_to: Option<String>,
    /// A retried submission with the same key gets the first one's thought instead of a
    /// second (the form's one-time token, or the client API's Idempotency-Key).
    pub idempotency_key: Option<idempotency::Key>,
    /// A content warning (blank: none).
    pub summary: Option<String>,
    /// Needs a click to read even without a content warning (one implies it).
    pub sensitive: bool,
}

/// Posts a thought by `author`: the thought, its tags, its mentions and the notifications
/// they cause are written together or not at all. Returns its id.
pub async fn post(backend: &Backend, author: Uuid, input: NewThought) -> Result<Uuid, AppError> {
    let (text, visibility, reply_to, warning) = parse_new(&input)?;
    let sensitive = input.sensitive || warning.as_deref().is_some();
    // Before the transaction: finding people elsewhere takes the network.
    let mut remote_people = resolve_remote_mentions(backend, text.as_str()).await;

    let mut transaction = backend.pool.begin().await?;
    if let Some(key) = &input.idempotency_key {
        if let Some(earlier) = idempotency::claim(&mut transaction, author, key).await? {
            return earlier_thought(&earlier);
        }
    }
    let parent_author = match reply_to {
        Some(parent) => Some(replyable_author(&mut transaction, author, parent).await?),
        None => None,
    };
    let (id, created_at): (Uuid, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO thoughts (user_id, content, visibility, reply_to, summary, sensitive)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at",
    )
    .bind(author)
    .bind(text.as_str())
    .bind(visibility.as_str())
    .bind(reply_to)
    .bind(warning.as_deref())
    .bind(sensitive)
    .fetch_one(&mut *transaction)
    .await?;

    attach_tags(&mut transaction, id, &text::tags(text.as_str()), created_at).await?;
    let mentioned =
        attach_mentions(&mut transaction, id, author, &text::mentions(text.as_str())).await?;
    // A reply to someone on another server mentions them, as Mastodon's replies do: that
    // is what addresses it to them and makes their server notify them.
    remote_people.extend(parent_author);
    attach_remote_mentions(&mut transaction, id, author, &remote_people).await?;
    notify_reply_and_mentions(&mut transaction, id, author, parent_author, mentioned).await?;
    outbox::thought_created(&mut transaction, Urls::new(&backend.public_url), id).await?;
    if let Some(key) = &input.idempotency_key {
        let result = serde_json::json!({ "thought": id });
        idempotency::record(&mut transaction, author, key, &result).await?;
    }
    transaction.commit().await?;
    Ok(id)
}

/// A submitted thought's parts, checked under the rules of posting.
fn parse_new(
    input: &NewThought,
) -> Result<(ThoughtText, Visibility, Option<Uuid>, ContentWarning), AppError> {
    let mut errors = FieldErrors::default();
    let text = errors.check(ThoughtText::parse(&input.content));
    let visibility = errors.check(Visibility::parse(&input.visibility));
    let warning = errors.check(ContentWarning::parse(input.summary.as_deref()));
    let reply_to = match input
        .reply_to
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        None => Some(None),
        Some(raw) => errors.check(
            Uuid::try_parse(raw)
                .map(Some)
                .map_err(|_| AppError::invalid("reply_to", "is not a thought")),
        ),
    };
    errors.finish()?;
    let (Some(text), Some(visibility), Some(reply_to), Some(warning)) =
        (text, visibility, reply_to, warning)
    else {
        return Err(AppError::Internal);
    };
    Ok((text, visibility, reply_to, warning))
}

/// Checks a thought as [`post`] would, without posting it (a scheduled thought is checked
/// when scheduled, and posted through [`post`] when due).
pub fn check_new(input: &NewThought) -> Result<(), AppError> {
    parse_new(input).map(|_| ())
}

/// The thought an earlier submission with the same idempotency key posted.
fn earlier_thought(result: &serde_json::Value) -> Result<Uuid, AppError> {
    result
        .get("thought")
        .and_then(|id| id.as_str())
        .and_then(|id| Uuid::try_parse(id).ok())
        .ok_or_else(|| {
            tracing::error!(%result, "an idempotency key of a thought holds no thought id");
            AppError::Internal
        })
}

/// Stores a thought's tags (lower-case names), creating tags that are new.
async fn attach_tags(
    db: &mut PgConnection,
    id: Uuid,
    tags: &[String],
    created_at: DateTime<Utc>,
) -> Result<(), AppError> {
    for tag in tags {
        sqlx::query(
            "WITH tag AS (INSERT INTO tags (name) VALUES ($2)
                          ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id)
             INSERT INTO thought_tags (thought_id, tag_id, created_at) SELECT $1, id, $3 FROM tag ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(tag)
        .bind(created_at)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// Stores the mentions of local people (by username) who exist and are not separated from
/// the author by a block; returns who they are.
async fn attach_mentions(
    db: &mut PgConnection,
    id: Uuid,
    author: Uuid,
    usernames: &[String],
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO thought_mentions (thought_id, user_id)
         SELECT $1, u.id FROM users u
          WHERE lower(u.username) = ANY($2) AND NOT u.is_remote AND u.id <> $3
            AND NOT {}
         ON CONFLICT DO NOTHING
         RETURNING user_id",
        blocked_between("u.id", "$3::uuid")
    ))
    .bind(id)
    .bind(
        usernames
            .iter()
            .map(|name| name.to_lowercase())
            .collect::<Vec<_>>(),
    )
    .bind(author)
    .fetch_all(&mut *db)
    .await?)
}

/// The most addresses elsewhere (`@name@server`) one thought looks up; more stay text.
pub const MAX_REMOTE_MENTIONS: usize = 10;
/// How long looking them up may hold a post.
const REMOTE_MENTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The people elsewhere that `text` mentions as `@name@server` and that can be found
/// (the cached actor, else WebFinger and the actor through the SSRF-guarded client), at
/// most [`MAX_REMOTE_MENTIONS`], looked up together. Unknown or unreachable ones are left
/// out: they stay text, and the thought is posted all the same.
async fn resolve_remote_mentions(backend: &Backend, text: &str) -> Vec<Uuid> {
    let ours = format!(
        "@{}",
        Urls::new(&backend.public_url).host().to_ascii_lowercase()
    );
    let mut lookups = tokio::task::JoinSet::new();
    for handle in text::mentions(text)
        .into_iter()
        .filter(|name| text::is_remote_handle(name))
        .filter(|name| !name.to_ascii_lowercase().ends_with(&ours))
        .take(MAX_REMOTE_MENTIONS)
    {
        let backend = backend.clone();
        lookups.spawn(async move {
            let found = tokio::time::timeout(
                REMOTE_MENTION_TIMEOUT,
                super::federation::remote::resolve_handle(&backend, &handle),
            )
            .await;
            match found {
                Ok(Ok(actor)) => Some(actor.user_id),
                Ok(Err(error)) => {
                    tracing::info!(%error, handle, "a mentioned address was not found; it stays text");
                    None
                }
                Err(_) => {
                    tracing::info!(handle, "looking up a mentioned address took too long; it stays text");
                    None
                }
            }
        });
    }
    let mut people = Vec::new();
    while let Some(done) = lookups.join_next().await {
        if let Ok(Some(person)) = done {
            people.push(person);
        }
    }
    people
}

/// Stores the mentions of those of `people` who are remote and not separated from the
/// author by a block (their servers are told; notifying them is their servers' part).
async fn attach_remote_mentions(
    db: &mut PgConnection,
    id: Uuid,
    author: Uuid,
    people: &[Uuid],
) -> Result<(), AppError> {
    if people.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO thought_mentions (thought_id, user_id)
         SELECT $1, u.id FROM users u
          WHERE u.id = ANY($2) AND u.is_remote AND u.id <> $3 AND NOT {}
         ON CONFLICT DO NOTHING",
        blocked_between("u.id", "$3::uuid")
    ))
    .bind(id)
    .bind(people)
    .bind(author)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The parent's author hears of a reply; the people mentioned hear of the mention (once).
async fn notify_reply_and_mentions(
    db: &mut PgConnection,
    id: Uuid,
    author: Uuid,
    parent_author: Option<Uuid>,
    mentioned: Vec<Uuid>,
) -> Result<(), AppError> {
    if let Some(parent_author) = parent_author {
        notifications::notify(db, parent_author, Kind::Reply, author, Some(id)).await?;
    }
    for user in mentioned
        .into_iter()
        .filter(|user| Some(*user) != parent_author)
    {
        notifications::notify(db, user, Kind::Mention, author, Some(id)).await?;
    }
    Ok(())
}

/// An edit of a thought as submitted, unparsed. What can change is its text; its
/// visibility and the thought it replies to stay as posted (as in Mastodon).
#[derive(Debug, Clone, Default)]
pub struct ThoughtEdit {
    pub content: String,
    /// The new content warning (blank: none); `None` keeps the one it has.
    pub summary: Option<String>,
    /// Marked sensitive or not (a content warning implies it); `None` keeps the flag.
    pub sensitive: Option<bool>,
    /// A resubmission with the same key changes nothing more (the form's one-time token).
    pub idempotency_key: Option<idempotency::Key>,
}

/// `author` edits their thought `id` under the rules of posting ([`ThoughtText`],
/// [`ContentWarning`]): the
/// version it replaces goes into the edit history, `edited_at` is set, its tags follow the
/// new text, people newly mentioned hear of it, those who boosted it are told it changed,
/// and the servers that got it receive an `Update`. All in one transaction. An edit that
/// changes nothing is not a new version. Someone else's thought, or one that is gone, is
/// `NotFound` (as Mastodon answers).
pub async fn edit(
    backend: &Backend,
    author: Uuid,
    id: Uuid,
    input: ThoughtEdit,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    let text = errors.check(ThoughtText::parse(&input.content));
    let warning = match &input.summary {
        Some(summary) => errors.check(ContentWarning::parse(Some(summary))).map(Some),
        None => Some(None),
    };
    errors.finish()?;
    let (Some(text), Some(warning)) = (text, warning) else {
        return Err(AppError::Internal);
    };
    let remote_people = resolve_remote_mentions(backend, text.as_str()).await;

    let mut transaction = backend.pool.begin().await?;
    if let Some(key) = &input.idempotency_key {
        if idempotency::claim(&mut transaction, author, key)
            .await?
            .is_some()
        {
            return Ok(());
        }
    }
    let current: Option<(String, Option<String>, bool, DateTime<Utc>)> = sqlx::query_as(
        "SELECT content, summary, sensitive, created_at FROM thoughts
          WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL AND ap_id IS NULL
          FOR UPDATE",
    )
    .bind(id)
    .bind(author)
    .fetch_optional(&mut *transaction)
    .await?;
    let Some((content, summary, sensitive, created_at)) = current else {
        return Err(AppError::NotFound);
    };
    let new_summary = match &warning {
        Some(warning) => warning.as_deref().map(str::to_owned),
        None => summary.clone(),
    };
    let new_sensitive = input.sensitive.unwrap_or(sensitive) || new_summary.is_some();
    if (content.as_str(), &summary, sensitive) != (text.as_str(), &new_summary, new_sensitive) {
        keep_version(&mut transaction, id).await?;
        sqlx::query(
            "UPDATE thoughts SET content = $2, summary = $3, sensitive = $4, edited_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(text.as_str())
        .bind(&new_summary)
        .bind(new_sensitive)
        .execute(&mut *transaction)
        .await?;
        let mentions = text::mentions(text.as_str());
        let tags = text::tags(text.as_str());
        edited(&mut transaction, id, author, &tags, &mentions, created_at).await?;
        attach_remote_mentions(&mut transaction, id, author, &remote_people).await?;
        outbox::thought_updated(&mut transaction, Urls::new(&backend.public_url), id).await?;
    }
    if let Some(key) = &input.idempotency_key {
        let result = serde_json::json!({ "thought": id });
        idempotency::record(&mut transaction, author, key, &result).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// Copies thought `id` as it is now into its edit history, dated when it was written.
async fn keep_version(db: &mut PgConnection, id: Uuid) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO thought_edits (thought_id, content, content_html, summary, sensitive, created_at)
         SELECT id, content, content_html, summary, sensitive, coalesce(edited_at, created_at)
           FROM thoughts WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// What follows from an edit, for local and remote thoughts alike: the tags are the new
/// text's, people it now mentions are added (and told); people it mentioned before keep
/// their mention, as Mastodon keeps them (silenced), so an edit never takes a thought away
/// from someone who had it; whoever boosted it hears that it changed.
async fn edited(
    db: &mut PgConnection,
    id: Uuid,
    author: Uuid,
    tags: &[String],
    mentions: &[String],
    created_at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM thought_tags WHERE thought_id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    attach_tags(db, id, tags, created_at).await?;
    let mentioned = attach_mentions(db, id, author, mentions).await?;
    notify_reply_and_mentions(db, id, author, None, mentioned).await?;
    let boosters: Vec<Uuid> = sqlx::query_scalar(
        "SELECT b.user_id FROM boosts b JOIN users u ON u.id = b.user_id
          WHERE b.thought_id = $1 AND NOT u.is_remote",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await?;
    for booster in boosters {
        notifications::notify(db, booster, Kind::Update, author, Some(id)).await?;
    }
    Ok(())
}

/// The versions of thought `id`, oldest first, the current one last (a thought never
/// edited has one), if `viewer` may see it: the history is read only after the thought
/// itself passed [`visibility::thoughts`](super::visibility::thoughts).
pub async fn history(
    pool: &PgPool,
    viewer: Option<Uuid>,
    id: Uuid,
) -> Result<ThoughtHistory, AppError> {
    let thought = super::timeline::one(pool, viewer, id).await?;
    let mut versions: Vec<ThoughtVersion> = sqlx::query_as(
        "SELECT content, content_html, summary, sensitive, created_at FROM thought_edits
          WHERE thought_id = $1 ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    versions.push(ThoughtVersion {
        content: thought.content.clone(),
        content_html: thought.content_html.clone(),
        summary: thought.summary.clone(),
        sensitive: thought.sensitive,
        created_at: thought.edited_at.unwrap_or(thought.created_at),
    });
    Ok(ThoughtHistory { thought, versions })
}

/// A note from another server, already checked and cleaned (see `federation::inbox`).
#[derive(Debug, Clone)]
pub struct RemoteThought {
    pub ap_id: String,
    pub author: Uuid,
    /// Plain text (for search and previews) and the cleaned HTML shown.
    pub text: String,
    pub html: String,
    pub url: Option<String>,
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
    pub reply_to: Option<Uuid>,
    pub tags: Vec<String>,
    /// Local usernames it mentions.
    pub mentions: Vec<String>,
    /// Its content warning (`summary`), cleaned, and whether it is marked sensitive.
    pub summary: ContentWarning,
    pub sensitive: bool,
}

/// Stores a remote note as a thought, with its tags, mentions and notifications, under the
/// same rules as a local one (a reply must be to a thought its author may see). Storing
/// one twice changes nothing. Returns its id.
pub async fn store_remote(pool: &PgPool, note: RemoteThought) -> Result<Uuid, AppError> {
    let mut transaction = pool.begin().await?;
    if let Some(existing) = sqlx::query_scalar("SELECT id FROM thoughts WHERE ap_id = $1")
        .bind(&note.ap_id)
        .fetch_optional(&mut *transaction)
        .await?
    {
        return Ok(existing);
    }
    let parent_author = match note.reply_to {
        Some(parent) => Some(replyable_author(&mut transaction, note.author, parent).await?),
        None => None,
    };
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO thoughts (user_id, content, content_html, url, visibility, reply_to, created_at, ap_id, summary, sensitive)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (ap_id) DO NOTHING
         RETURNING id",
    )
    .bind(note.author)
    .bind(&note.text)
    .bind(&note.html)
    .bind(&note.url)
    .bind(note.visibility.as_str())
    .bind(note.reply_to)
    .bind(note.created_at)
    .bind(&note.ap_id)
    .bind(note.summary.as_deref())
    .bind(note.sensitive || note.summary.as_deref().is_some())
    .fetch_optional(&mut *transaction)
    .await?;
    let Some(id) = inserted else {
        // Stored meanwhile by another request (the same note from two sources at once).
        drop(transaction);
        return Ok(
            sqlx::query_scalar("SELECT id FROM thoughts WHERE ap_id = $1")
                .bind(&note.ap_id)
                .fetch_one(pool)
                .await?,
        );
    };
    attach_tags(&mut transaction, id, &note.tags, note.created_at).await?;
    let mentioned = attach_mentions(&mut transaction, id, note.author, &note.mentions).await?;
    notify_reply_and_mentions(&mut transaction, id, note.author, parent_author, mentioned).await?;
    transaction.commit().await?;
    Ok(id)
}

/// A remote author changed their note: new text and content warning, same place. The version it replaces goes
/// into the edit history and `edited_at` is `edited_at` (the note's `updated`); tags,
/// mentions and notifications follow as for a local edit. A note we do not have, or that
/// is not `note.author`'s, is left alone; one whose text did not change is not a version.
pub async fn update_remote(
    pool: &PgPool,
    note: &RemoteThought,
    edited_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    #[derive(sqlx::FromRow)]
    struct Current {
        id: Uuid,
        content_html: Option<String>,
        summary: Option<String>,
        sensitive: bool,
        created_at: DateTime<Utc>,
    }
    let current: Option<Current> = sqlx::query_as(
        "SELECT id, content_html, summary, sensitive, created_at FROM thoughts
          WHERE ap_id = $1 AND user_id = $2 AND deleted_at IS NULL
          FOR UPDATE",
    )
    .bind(&note.ap_id)
    .bind(note.author)
    .fetch_optional(&mut *transaction)
    .await?;
    let Some(current) = current else {
        return Ok(());
    };
    let sensitive = note.sensitive || note.summary.as_deref().is_some();
    if current.content_html.as_deref() == Some(note.html.as_str())
        && current.summary.as_deref() == note.summary.as_deref()
        && current.sensitive == sensitive
    {
        return Ok(());
    }
    let (id, created_at) = (current.id, current.created_at);
    keep_version(&mut transaction, id).await?;
    sqlx::query(
        "UPDATE thoughts SET content = $2, content_html = $3, summary = $4, sensitive = $5,
                edited_at = greatest($6, created_at)
          WHERE id = $1",
    )
    .bind(id)
    .bind(&note.text)
    .bind(&note.html)
    .bind(note.summary.as_deref())
    .bind(sensitive)
    .bind(edited_at)
    .execute(&mut *transaction)
    .await?;
    edited(
        &mut transaction,
        id,
        note.author,
        &note.tags,
        &note.mentions,
        created_at,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// The author of `parent`, if `author` may reply to it: it exists, is not deleted, is
/// visible to them, and no block stands between them.
async fn replyable_author(
    db: &mut PgConnection,
    author: Uuid,
    parent: Uuid,
) -> Result<Uuid, AppError> {
    let found: Option<(Uuid, bool, bool)> = sqlx::query_as(&format!(
        "SELECT t.user_id, t.deleted_at IS NOT NULL, {} FROM thoughts t WHERE t.id = $2",
        visible_to("t", "$1::uuid")
    ))
    .bind(author)
    .bind(parent)
    .fetch_optional(&mut *db)
    .await?;
    match found {
        Some((parent_author, false, true)) => Ok(parent_author),
        Some((_, true, _)) => Err(AppError::invalid("reply_to", "that thought was deleted")),
        _ => Err(AppError::invalid(
            "reply_to",
            "that thought does not exist or cannot be replied to",
        )),
    }
}

/// Deletes `author`'s thought `id`: it becomes a tombstone (replies keep their place), and
/// its text, tags and mentions are gone.
pub async fn delete(backend: &Backend, author: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut transaction = backend.pool.begin().await?;
    let mine: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM thoughts WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL AND ap_id IS NULL)",
    )
    .bind(id)
    .bind(author)
    .fetch_one(&mut *transaction)
    .await?;
    if !mine {
        return Err(AppError::NotFound);
    }
    // Before the mentions go: whoever received it hears of the deletion.
    outbox::thought_deleted(&mut transaction, Urls::new(&backend.public_url), id).await?;
    tombstone(&mut transaction, id).await?;
    transaction.commit().await?;
    Ok(())
}

/// A remote author deleted their note.
pub async fn delete_remote(pool: &PgPool, author: Uuid, ap_id: &str) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    let found: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM thoughts WHERE ap_id = $1 AND user_id = $2 AND deleted_at IS NULL",
    )
    .bind(ap_id)
    .bind(author)
    .fetch_optional(&mut *transaction)
    .await?;
    if let Some(id) = found {
        tombstone(&mut transaction, id).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// The thought becomes a tombstone (replies keep their place); its text, tags, mentions
/// and notifications go.
async fn tombstone(db: &mut PgConnection, id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query(
        "UPDATE thoughts SET deleted_at = now(), content = '', content_html = NULL WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .execute(&mut *db)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    for table in [
        "thought_tags",
        "thought_mentions",
        "notifications",
        "thought_edits",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE thought_id = $1"))
            .bind(id)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Who each of `thoughts` mentions and whom it answers (the parent's author), for showing
/// them with the thoughts (already read through the visibility gate).
#[derive(Debug, Default)]
pub struct Addressees {
    pub mentioned: std::collections::HashMap<Uuid, Vec<Uuid>>,
    pub parent_author: std::collections::HashMap<Uuid, Uuid>,
}

pub async fn addressees(pool: &PgPool, thoughts: &[Uuid]) -> Result<Addressees, AppError> {
    let mut found = Addressees::default();
    let mentions: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT thought_id, user_id FROM thought_mentions WHERE thought_id = ANY($1) ORDER BY user_id",
    )
    .bind(thoughts)
    .fetch_all(pool)
    .await?;
    for (thought, user) in mentions {
        found.mentioned.entry(thought).or_default().push(user);
    }
    let parents: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT t.id, p.user_id FROM thoughts t JOIN thoughts p ON p.id = t.reply_to WHERE t.id = ANY($1)",
    )
    .bind(thoughts)
    .fetch_all(pool)
    .await?;
    found.parent_author.extend(parents);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thought_text_counts_graphemes_and_refuses_blank() {
        assert!(
            ThoughtText::parse(&"👍🏽".repeat(128)).is_ok(),
            "128 toned thumbs are 128 characters"
        );
        let error = ThoughtText::parse(&"a".repeat(129)).unwrap_err();
        assert_eq!(
            error.field_message("content").unwrap(),
            "use at most 128 characters (this has 129)"
        );
        assert!(ThoughtText::parse("  \n ")
            .unwrap_err()
            .field_message("content")
            .is_some());
        assert_eq!(
            ThoughtText::parse("  hi <b>  ").unwrap().as_str(),
            "hi <b>",
            "stored as typed"
        );
    }

    #[test]
    fn thought_text_has_a_byte_cap_that_combining_marks_cannot_pass() {
        // One letter under 14,000 combining marks is one "character", and 28 KB.
        let heavy = format!("a{}", "\u{301}".repeat(14_000));
        assert_eq!(text::char_count(&heavy), 1);
        let message = ThoughtText::parse(&heavy)
            .unwrap_err()
            .field_message("content")
            .unwrap();
        assert!(message.contains("8192 bytes"), "{message}");
        // 128 of the largest emoji still fit.
        let kiss =
            "\u{1f469}\u{1f3fb}\u{200d}\u{2764}\u{fe0f}\u{200d}\u{1f48b}\u{200d}\u{1f468}\u{1f3fc}";
        assert_eq!((text::char_count(kiss), kiss.len()), (1, 35));
        assert!(ThoughtText::parse(&kiss.repeat(128)).is_ok());
    }

    #[test]
    fn thought_text_refuses_control_characters_but_not_line_breaks() {
        for bad in ["a\u{0}b", "bell\u{7}", "esc\u{1b}[2J", "c1\u{85}x"] {
            let message = ThoughtText::parse(bad)
                .unwrap_err()
                .field_message("content");
            assert_eq!(
                message.as_deref(),
                Some("remove the control characters"),
                "{bad:?}"
            );
        }
        assert_eq!(
            ThoughtText::parse("one\r\ntwo\tthree").unwrap().as_str(),
            "one\ntwo\tthree"
        );
    }

    #[test]
    fn visibility_values() {
        assert_eq!(Visibility::parse("").unwrap(), Visibility::Public);
        assert_eq!(Visibility::parse("private").unwrap().as_str(), "private");
        assert!(Visibility::parse("everyone")
            .unwrap_err()
            .field_message("visibility")
            .is_some());
    }
}
