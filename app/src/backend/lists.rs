//! Lists: named sets of people a person follows, each with its own timeline
//! (`timeline::Feed::List`). Only the owner reads or changes a list: anyone else is told it
//! does not exist. Members must be followed (as on Mastodon); a follow's end takes the
//! person off the follower's lists (a trigger, migration 029).

use sqlx::PgPool;
use uuid::Uuid;

use super::{accounts::person_id, fields::optional_text};
use crate::{
    error::{AppError, FieldErrors},
    model::{ListDetail, ListInfo, PersonCard},
};

pub const MAX_TITLE_CHARS: usize = 100;
/// How many lists one person may have, and people one list may hold.
pub const MAX_LISTS: i64 = 100;
pub const MAX_MEMBERS: i64 = 1000;

/// What a list is made with, or changed to (`None`: unchanged, or the default).
#[derive(Debug, Clone, Default)]
pub struct ListEdit {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

const COLUMNS: &str = "id, title, replies_policy, exclusive";

fn title(raw: &str) -> Result<String, AppError> {
    optional_text(raw, "title", MAX_TITLE_CHARS, false)?
        .ok_or_else(|| AppError::invalid("title", "give the list a title"))
}

fn replies_policy(raw: &str) -> Result<String, AppError> {
    match raw {
        "followed" | "list" | "none" => Ok(raw.to_owned()),
        _ => Err(AppError::invalid(
            "replies_policy",
            "choose followed, list or none",
        )),
    }
}

/// Checks an edit: the title (when given, or always when `creating`) and the policy.
fn check(edit: &ListEdit, creating: bool) -> Result<(Option<String>, Option<String>), AppError> {
    let mut errors = FieldErrors::default();
    let title = match &edit.title {
        Some(raw) => errors.check(title(raw)),
        None if creating => {
            errors.push("title", "give the list a title");
            None
        }
        None => None,
    };
    let policy = edit
        .replies_policy
        .as_deref()
        .and_then(|raw| errors.check(replies_policy(raw)));
    errors.finish()?;
    Ok((title, policy))
}

/// `owner` makes a list.
pub async fn create(pool: &PgPool, owner: Uuid, edit: ListEdit) -> Result<ListInfo, AppError> {
    let (title, policy) = check(&edit, true)?;
    let mut transaction = pool.begin().await?;
    // Counted under a lock on the owner, so two requests at once cannot pass the limit.
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(owner)
        .execute(&mut *transaction)
        .await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM lists WHERE owner_id = $1")
        .bind(owner)
        .fetch_one(&mut *transaction)
        .await?;
    if count >= MAX_LISTS {
        return Err(AppError::invalid(
            "title",
            format!("you can have at most {MAX_LISTS} lists"),
        ));
    }
    let list = sqlx::query_as(&format!(
        "INSERT INTO lists (owner_id, title, replies_policy, exclusive)
         VALUES ($1, $2, coalesce($3, 'list'), coalesce($4, false)) RETURNING {COLUMNS}"
    ))
    .bind(owner)
    .bind(title)
    .bind(policy)
    .bind(edit.exclusive)
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(list)
}

/// `owner`'s lists, oldest first (the order they were made in).
pub async fn all(pool: &PgPool, owner: Uuid) -> Result<Vec<ListInfo>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lists WHERE owner_id = $1 ORDER BY created_at, id"
    ))
    .bind(owner)
    .fetch_all(pool)
    .await?)
}

/// List `id`, if `owner` owns it (`NotFound` otherwise, whoever owns it).
pub async fn get(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<ListInfo, AppError> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lists WHERE id = $1 AND owner_id = $2"
    ))
    .bind(id)
    .bind(owner)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Changes what `edit` gives of list `id`.
pub async fn update(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
    edit: ListEdit,
) -> Result<ListInfo, AppError> {
    let (title, policy) = check(&edit, false)?;
    sqlx::query_as(&format!(
        "UPDATE lists SET title = coalesce($3, title), replies_policy = coalesce($4, replies_policy),
                          exclusive = coalesce($5, exclusive)
          WHERE id = $1 AND owner_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(owner)
    .bind(title)
    .bind(policy)
    .bind(edit.exclusive)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

pub async fn delete(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM lists WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(owner)
        .execute(pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The members of list `id` as ids, the latest added first, at most `limit`.
pub async fn member_ids(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
    limit: i64,
) -> Result<Vec<Uuid>, AppError> {
    get(pool, owner, id).await?;
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM list_members WHERE list_id = $1 ORDER BY added_at DESC, user_id LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// List `id` with its members (by name), for its page.
pub async fn detail(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<ListDetail, AppError> {
    let list = get(pool, owner, id).await?;
    let members: Vec<PersonCard> = sqlx::query_as(
        "SELECT u.username, u.display_name, u.avatar_url
           FROM list_members m JOIN users u ON u.id = m.user_id
          WHERE m.list_id = $1 ORDER BY lower(u.username)",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(ListDetail { list, members })
}

/// Adds `people` to list `id`. Each must be someone the owner follows (or asked to follow);
/// otherwise nothing is added. Adding a member twice changes nothing.
pub async fn add(pool: &PgPool, owner: Uuid, id: Uuid, people: &[Uuid]) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    // The list row is locked so the member limit holds under concurrent additions.
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM lists WHERE id = $1 AND owner_id = $2 FOR UPDATE")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *transaction)
            .await?;
    if found.is_none() {
        return Err(AppError::NotFound);
    }
    let followed: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT following_id) FROM follows
          WHERE follower_id = $1 AND following_id = ANY($2) AND state IN ('accepted', 'pending')",
    )
    .bind(owner)
    .bind(people)
    .fetch_one(&mut *transaction)
    .await?;
    let mut distinct = people.to_vec();
    distinct.sort();
    distinct.dedup();
    if followed != distinct.len() as i64 {
        return Err(AppError::invalid(
            "account_ids",
            "you can only add people you follow",
        ));
    }
    sqlx::query(
        "INSERT INTO list_members (list_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(&distinct)
    .execute(&mut *transaction)
    .await?;
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM list_members WHERE list_id = $1")
        .bind(id)
        .fetch_one(&mut *transaction)
        .await?;
    if members > MAX_MEMBERS {
        return Err(AppError::invalid(
            "account_ids",
            format!("a list holds at most {MAX_MEMBERS} people"),
        ));
    }
    transaction.commit().await?;
    Ok(())
}

/// Takes `people` off list `id` (those not on it are ignored).
pub async fn remove(pool: &PgPool, owner: Uuid, id: Uuid, people: &[Uuid]) -> Result<(), AppError> {
    get(pool, owner, id).await?;
    sqlx::query("DELETE FROM list_members WHERE list_id = $1 AND user_id = ANY($2)")
        .bind(id)
        .bind(people)
        .execute(pool)
        .await?;
    Ok(())
}

/// [`add`] or [`remove`] one person named by username (the web page's form).
pub async fn set_member(
    pool: &PgPool,
    owner: Uuid,
    id: Uuid,
    username: &str,
    on: bool,
) -> Result<(), AppError> {
    let username = username.trim().trim_start_matches('@');
    let (person, _) = person_id(pool, username)
        .await
        .map_err(|error| match error {
            AppError::NotFound => AppError::invalid("username", "nobody by that name"),
            other => other,
        })?;
    if on {
        add(pool, owner, id, &[person])
            .await
            .map_err(|error| match error {
                AppError::Invalid(_) => {
                    AppError::invalid("username", "you can only add people you follow")
                }
                other => other,
            })
    } else {
        remove(pool, owner, id, &[person]).await
    }
}

/// Which of `owner`'s lists hold `person`.
pub async fn holding(pool: &PgPool, owner: Uuid, person: Uuid) -> Result<Vec<ListInfo>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lists l
          WHERE l.owner_id = $1
            AND EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = l.id AND m.user_id = $2)
          ORDER BY l.created_at, l.id"
    ))
    .bind(owner)
    .bind(person)
    .fetch_all(pool)
    .await?)
}
