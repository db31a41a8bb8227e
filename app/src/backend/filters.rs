//! Keyword filters (Mastodon's filters v2). A filter names keywords, the contexts it applies
//! in and what it does there: `hide` removes a matching thought, `warn` shows it collapsed
//! behind the filter's title. A keyword matches a thought's text case-insensitively, as a
//! whole word when `whole_word` (word boundaries only where the keyword starts or ends with
//! a letter or digit, as Mastodon). A filter with `expires_at` stops applying then.
//!
//! One SQL rule ([`keyword_matches`]) decides a match: the timelines' candidate queries use
//! it to leave hidden thoughts out ([`hidden`]), and [`apply`] uses it to mark warnings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    error::AppError,
    model::{FilterWarning, ThoughtView},
};

/// Where a filter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Home,
    Notifications,
    Public,
    Thread,
    Account,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::Home,
        Context::Notifications,
        Context::Public,
        Context::Thread,
        Context::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Context::Home => "home",
            Context::Notifications => "notifications",
            Context::Public => "public",
            Context::Thread => "thread",
            Context::Account => "account",
        }
    }

    pub fn parse(raw: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// A keyword of a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Keyword {
    pub id: Uuid,
    pub filter_id: Uuid,
    pub keyword: String,
    pub whole_word: bool,
}

/// A filter with its keywords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub id: Uuid,
    pub title: String,
    pub contexts: Vec<String>,
    /// `warn` or `hide`.
    pub action: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub keywords: Vec<Keyword>,
}

/// SQL: the keyword row `k` matches the text `content`.
fn keyword_matches(content: &str, k: &str) -> String {
    // The keyword is matched literally: regular expression characters are escaped, and word
    // boundaries (`\y`) are added only on a side where the keyword has a word character.
    format!(
        "CASE WHEN {k}.whole_word
              THEN {content} ~* (CASE WHEN {k}.keyword ~ '^\\w' THEN '\\y' ELSE '' END
                                 || regexp_replace({k}.keyword, '([.*+?^${{}}()|\\[\\]\\\\])', '\\\\\\1', 'g')
                                 || CASE WHEN {k}.keyword ~ '\\w$' THEN '\\y' ELSE '' END)
              ELSE strpos(lower({content}), lower({k}.keyword)) > 0 END"
    )
}

/// SQL: the filter row `f` is in force now for `context`.
fn in_force(f: &str, context: Context) -> String {
    format!(
        "'{}' = ANY({f}.contexts) AND ({f}.expires_at IS NULL OR {f}.expires_at > now())",
        context.as_str()
    )
}

/// SQL: `viewer` has a `hide` filter in force for `context` that thought `t` matches.
pub fn hidden(t: &str, viewer: &str, context: Context) -> String {
    format!(
        "EXISTS (SELECT 1 FROM filters hf JOIN filter_keywords hk ON hk.filter_id = hf.id
                  WHERE hf.user_id = {viewer} AND hf.action = 'hide' AND {}
                    AND {})",
        in_force("hf", context),
        keyword_matches(&format!("{t}.content"), "hk")
    )
}

/// Applies `viewer`'s filters for `context` to `thoughts`: those a `hide` filter matches are
/// removed, those a `warn` filter matches carry the warning.
pub async fn apply(
    pool: &PgPool,
    viewer: Option<Uuid>,
    context: Context,
    thoughts: &mut Vec<ThoughtView>,
) -> Result<(), AppError> {
    let Some(viewer) = viewer else {
        return Ok(());
    };
    if thoughts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = thoughts.iter().map(|t| t.id).collect();
    #[derive(sqlx::FromRow)]
    struct Hit {
        thought_id: Uuid,
        filter_id: Uuid,
        title: String,
        contexts: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
        action: String,
        keyword: String,
    }
    let rows: Vec<Hit> = sqlx::query_as(&format!(
        "SELECT t.id AS thought_id, f.id AS filter_id, f.title, f.contexts, f.expires_at, f.action, k.keyword
           FROM thoughts t, filters f JOIN filter_keywords k ON k.filter_id = f.id
          WHERE t.id = ANY($2) AND f.user_id = $1 AND {} AND {}
          ORDER BY f.created_at, f.id, k.created_at, k.id",
        in_force("f", context),
        keyword_matches("t.content", "k")
    ))
    .bind(viewer)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut hidden: Vec<Uuid> = Vec::new();
    let mut warnings: HashMap<Uuid, Vec<FilterWarning>> = HashMap::new();
    for hit in rows {
        if hit.action == "hide" {
            hidden.push(hit.thought_id);
            continue;
        }
        let found = warnings.entry(hit.thought_id).or_default();
        match found.iter_mut().find(|w| w.filter_id == hit.filter_id) {
            Some(warning) => warning.keywords.push(hit.keyword),
            None => found.push(FilterWarning {
                filter_id: hit.filter_id,
                title: hit.title,
                contexts: hit.contexts,
                expires_at: hit.expires_at,
                keywords: vec![hit.keyword],
            }),
        }
    }
    thoughts.retain(|t| !hidden.contains(&t.id));
    for thought in thoughts.iter_mut() {
        thought.filtered = warnings.remove(&thought.id).unwrap_or_default();
    }
    Ok(())
}

/// What a filter is made of when created or edited. `None` leaves a field as it is (edits).
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub contexts: Option<Vec<String>>,
    pub action: Option<String>,
    /// Seconds from now; `Some(None)` removes the expiry.
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordInput>,
}

/// A keyword to add (`id` None), change or remove (`destroy`).
#[derive(Debug, Clone, Default)]
pub struct KeywordInput {
    pub id: Option<Uuid>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

const MAX_FILTERS: i64 = 100;
const MAX_KEYWORDS: i64 = 100;

fn check_title(title: &str) -> Result<String, AppError> {
    let title = crate::text::strip_controls(title.trim(), false);
    if title.is_empty() {
        return Err(AppError::invalid("title", "can't be blank"));
    }
    if title.chars().count() > 200 {
        return Err(AppError::invalid("title", "is at most 200 characters"));
    }
    Ok(title)
}

fn check_keyword(keyword: &str) -> Result<String, AppError> {
    let keyword = crate::text::strip_controls(keyword.trim(), false);
    if keyword.is_empty() {
        return Err(AppError::invalid("keyword", "can't be blank"));
    }
    if keyword.chars().count() > 200 {
        return Err(AppError::invalid("keyword", "is at most 200 characters"));
    }
    Ok(keyword)
}

fn check_contexts(contexts: &[String]) -> Result<Vec<String>, AppError> {
    let mut checked: Vec<String> = Vec::new();
    for raw in contexts {
        let context = Context::parse(raw.trim()).ok_or_else(|| {
            AppError::invalid(
                "context",
                "must be among home, notifications, public, thread and account",
            )
        })?;
        if !checked.iter().any(|c| c == context.as_str()) {
            checked.push(context.as_str().to_owned());
        }
    }
    if checked.is_empty() {
        return Err(AppError::invalid("context", "can't be blank"));
    }
    Ok(checked)
}

fn check_action(action: &str) -> Result<String, AppError> {
    match action {
        "warn" | "hide" => Ok(action.to_owned()),
        _ => Err(AppError::invalid("filter_action", "must be warn or hide")),
    }
}

fn check_expires_in(seconds: Option<i64>) -> Result<Option<i64>, AppError> {
    match seconds {
        None | Some(0) => Ok(None),
        Some(seconds) if (1..=10 * 366 * 24 * 3600).contains(&seconds) => Ok(Some(seconds)),
        Some(_) => Err(AppError::invalid(
            "expires_in",
            "must be a positive number of seconds",
        )),
    }
}

/// `user`'s filters, oldest first (expired ones included, as Mastodon lists them).
pub async fn list(pool: &PgPool, user: Uuid) -> Result<Vec<Filter>, AppError> {
    load(pool, user, None).await
}

/// One filter of `user`.
pub async fn get(pool: &PgPool, user: Uuid, id: Uuid) -> Result<Filter, AppError> {
    load(pool, user, Some(id))
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

async fn load(pool: &PgPool, user: Uuid, id: Option<Uuid>) -> Result<Vec<Filter>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        title: String,
        contexts: Vec<String>,
        action: String,
        expires_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, title, contexts, action, expires_at FROM filters
          WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY created_at, id",
    )
    .bind(user)
    .bind(id)
    .fetch_all(pool)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let keywords: Vec<Keyword> = sqlx::query_as(
        "SELECT id, filter_id, keyword, whole_word FROM filter_keywords
          WHERE filter_id = ANY($1) ORDER BY created_at, id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Filter {
            keywords: keywords
                .iter()
                .filter(|k| k.filter_id == row.id)
                .cloned()
                .collect(),
            id: row.id,
            title: row.title,
            contexts: row.contexts,
            action: row.action,
            expires_at: row.expires_at,
        })
        .collect())
}

/// Makes a filter for `user`; title and contexts are required.
pub async fn create(pool: &PgPool, user: Uuid, input: FilterInput) -> Result<Filter, AppError> {
    let title = check_title(input.title.as_deref().unwrap_or_default())?;
    let contexts = check_contexts(&input.contexts.clone().unwrap_or_default())?;
    let action = check_action(input.action.as_deref().unwrap_or("warn"))?;
    let expires_in = check_expires_in(input.expires_in.flatten())?;
    let mut transaction = pool.begin().await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM filters WHERE user_id = $1")
        .bind(user)
        .fetch_one(&mut *transaction)
        .await?;
    if count >= MAX_FILTERS {
        return Err(AppError::invalid(
            "title",
            format!("you have {MAX_FILTERS} filters already"),
        ));
    }
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO filters (user_id, title, contexts, action, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::bigint)) RETURNING id",
    )
    .bind(user)
    .bind(title)
    .bind(contexts)
    .bind(action)
    .bind(expires_in)
    .fetch_one(&mut *transaction)
    .await?;
    edit_keywords(&mut transaction, id, &input.keywords).await?;
    transaction.commit().await?;
    get(pool, user, id).await
}

/// Changes `user`'s filter `id`: the fields given, and the keywords added, changed or removed.
pub async fn update(
    pool: &PgPool,
    user: Uuid,
    id: Uuid,
    input: FilterInput,
) -> Result<Filter, AppError> {
    let title = input.title.as_deref().map(check_title).transpose()?;
    let contexts = input.contexts.as_deref().map(check_contexts).transpose()?;
    let action = input.action.as_deref().map(check_action).transpose()?;
    let expires_in = input.expires_in.map(check_expires_in).transpose()?;
    let mut transaction = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE filters SET title = coalesce($3, title), contexts = coalesce($4, contexts),
                action = coalesce($5, action),
                expires_at = CASE WHEN $6 THEN now() + make_interval(secs => $7::bigint) ELSE expires_at END
          WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user)
    .bind(title)
    .bind(contexts)
    .bind(action)
    .bind(expires_in.is_some())
    .bind(expires_in.flatten())
    .execute(&mut *transaction)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    edit_keywords(&mut transaction, id, &input.keywords).await?;
    transaction.commit().await?;
    get(pool, user, id).await
}

async fn edit_keywords(
    db: &mut PgConnection,
    filter: Uuid,
    edits: &[KeywordInput],
) -> Result<(), AppError> {
    for edit in edits {
        match (edit.id, edit.destroy) {
            (Some(id), true) => {
                sqlx::query("DELETE FROM filter_keywords WHERE id = $1 AND filter_id = $2")
                    .bind(id)
                    .bind(filter)
                    .execute(&mut *db)
                    .await?;
            }
            (Some(id), false) => {
                let keyword = edit.keyword.as_deref().map(check_keyword).transpose()?;
                let changed = sqlx::query(
                    "UPDATE filter_keywords SET keyword = coalesce($3, keyword), whole_word = coalesce($4, whole_word)
                      WHERE id = $1 AND filter_id = $2",
                )
                .bind(id)
                .bind(filter)
                .bind(keyword)
                .bind(edit.whole_word)
                .execute(&mut *db)
                .await?;
                if changed.rows_affected() == 0 {
                    return Err(AppError::invalid(
                        "keywords_attributes",
                        "names a keyword this filter does not have",
                    ));
                }
            }
            (None, true) => {}
            (None, false) => {
                let keyword = check_keyword(edit.keyword.as_deref().unwrap_or_default())?;
                insert_keyword(&mut *db, filter, &keyword, edit.whole_word.unwrap_or(true)).await?;
            }
        }
    }
    Ok(())
}

async fn insert_keyword(
    db: &mut PgConnection,
    filter: Uuid,
    keyword: &str,
    whole_word: bool,
) -> Result<Keyword, AppError> {
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM filter_keywords WHERE filter_id = $1")
            .bind(filter)
            .fetch_one(&mut *db)
            .await?;
    if count >= MAX_KEYWORDS {
        return Err(AppError::invalid(
            "keyword",
            format!("a filter has at most {MAX_KEYWORDS} keywords"),
        ));
    }
    Ok(sqlx::query_as(
        // The clock, not the transaction's start: keywords made together keep their order.
        "INSERT INTO filter_keywords (filter_id, keyword, whole_word, created_at) VALUES ($1, $2, $3, clock_timestamp())
         RETURNING id, filter_id, keyword, whole_word",
    )
    .bind(filter)
    .bind(keyword)
    .bind(whole_word)
    .fetch_one(db)
    .await?)
}

/// Deletes `user`'s filter `id`.
pub async fn delete(pool: &PgPool, user: Uuid, id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM filters WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Adds a keyword to `user`'s filter `filter`.
pub async fn add_keyword(
    pool: &PgPool,
    user: Uuid,
    filter: Uuid,
    keyword: &str,
    whole_word: bool,
) -> Result<Keyword, AppError> {
    let keyword = check_keyword(keyword)?;
    get(pool, user, filter).await?;
    let mut transaction = pool.begin().await?;
    let added = insert_keyword(&mut transaction, filter, &keyword, whole_word).await?;
    transaction.commit().await?;
    Ok(added)
}

/// One keyword of one of `user`'s filters.
pub async fn keyword(pool: &PgPool, user: Uuid, id: Uuid) -> Result<Keyword, AppError> {
    sqlx::query_as(
        "SELECT k.id, k.filter_id, k.keyword, k.whole_word FROM filter_keywords k
           JOIN filters f ON f.id = k.filter_id WHERE k.id = $1 AND f.user_id = $2",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Changes a keyword of one of `user`'s filters.
pub async fn update_keyword(
    pool: &PgPool,
    user: Uuid,
    id: Uuid,
    keyword: Option<&str>,
    whole_word: Option<bool>,
) -> Result<Keyword, AppError> {
    let found = self::keyword(pool, user, id).await?;
    let mut transaction = pool.begin().await?;
    edit_keywords(
        &mut transaction,
        found.filter_id,
        &[KeywordInput {
            id: Some(id),
            keyword: keyword.map(str::to_owned),
            whole_word,
            destroy: false,
        }],
    )
    .await?;
    transaction.commit().await?;
    self::keyword(pool, user, id).await
}

/// Removes a keyword of one of `user`'s filters.
pub async fn delete_keyword(pool: &PgPool, user: Uuid, id: Uuid) -> Result<(), AppError> {
    let found = self::keyword(pool, user, id).await?;
    sqlx::query("DELETE FROM filter_keywords WHERE id = $1")
        .bind(found.id)
        .execute(pool)
        .await?;
    Ok(())
}
