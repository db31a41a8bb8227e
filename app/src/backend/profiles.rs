//! Profiles: what a profile page shows, and the owner's edits (fields, custom CSS, Top Friends).

use sqlx::PgPool;
use uuid::Uuid;

use super::{
    css_images::{self, Purpose},
    custom_css,
    federation::{
        keys, outbox, remote,
        urls::Urls,
        vocab::{self, PersonSource},
    },
    fields::{Bio, DisplayName, ImageUrl},
    Backend,
};
use crate::{
    error::{AppError, FieldErrors},
    model::{CssOutcome, PersonCard, Profile, ProfileSettings},
};

pub const MAX_TOP_FRIENDS: usize = 5;

/// A profile page's data, as `viewer` sees it. A remote person (`name@domain`) is fetched
/// again when the cached copy is a day old, and found by WebFinger when a logged-in
/// person asks for someone not seen before; their server being away only means the cached
/// copy (or `NotFound`) is shown.
pub async fn view(
    backend: &Backend,
    viewer: Option<Uuid>,
    handle: &str,
) -> Result<Profile, AppError> {
    let handle = super::accounts::lookup_name(handle)?;
    if remote::parse_handle(handle).is_some() {
        // Refreshed when a day old, or when the outbox was never read (found by search).
        let cached: Option<(String, chrono::DateTime<chrono::Utc>, bool)> = sqlx::query_as(
            "SELECT r.ap_url, r.fetched_at, r.post_count IS NULL
               FROM remote_actors r JOIN users u ON u.id = r.user_id WHERE lower(u.username) = lower($1)",
        )
        .bind(handle)
        .fetch_optional(&backend.pool)
        .await?;
        let refresh = match cached {
            Some((ap_id, fetched_at, never_read))
                if never_read || chrono::Utc::now() - fetched_at > chrono::Duration::days(1) =>
            {
                Some(ap_id)
            }
            Some(_) => None,
            None if viewer.is_some() => match remote::resolve_handle(backend, handle).await {
                Ok(actor) => Some(actor.ap_id),
                Err(error) => {
                    tracing::info!(%error, handle, "a remote profile could not be found");
                    None
                }
            },
            None => None,
        };
        if let Some(ap_id) = refresh {
            if let Err(error) = remote::refresh_profile(backend, &ap_id).await {
                tracing::info!(%error, handle, "refreshing a remote profile failed; showing the cached copy");
            }
        }
    }
    by_username(&backend.pool, &backend.public_url, viewer, handle).await
}

/// The profile of `username` (local, any case, or a known remote `name@domain`) as
/// `viewer` sees it, or `NotFound`.
pub async fn by_username(
    pool: &PgPool,
    public_url: &str,
    viewer: Option<Uuid>,
    username: &str,
) -> Result<Profile, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        username: String,
        display_name: Option<String>,
        bio: Option<String>,
        avatar_url: Option<String>,
        header_url: Option<String>,
        created_at: chrono::DateTime<chrono::Utc>,
        has_css: bool,
        updated_at: chrono::DateTime<chrono::Utc>,
        thought_count: i64,
        follower_count: i64,
        following_count: i64,
        is_remote: bool,
        profile_url: Option<String>,
        ap_id: Option<String>,
        locked: bool,
    }
    // A remote person's counts are those their own server reports, when it does.
    let row: Row = sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.bio, u.avatar_url, u.header_url, u.created_at,
                NOT u.is_remote AND coalesce(u.custom_css, '') <> '' AS has_css, u.updated_at,
                coalesce(r.post_count, (SELECT count(*) FROM thoughts t WHERE t.user_id = u.id AND t.deleted_at IS NULL)) AS thought_count,
                coalesce(r.follower_count, (SELECT count(*) FROM follows f WHERE f.following_id = u.id AND f.state = 'accepted')) AS follower_count,
                coalesce(r.following_count, (SELECT count(*) FROM follows f WHERE f.follower_id = u.id AND f.state = 'accepted')) AS following_count,
                u.is_remote, r.profile_url, u.ap_id, u.locked
           FROM users u LEFT JOIN remote_actors r ON r.user_id = u.id
          WHERE lower(u.username) = lower($1)",
    )
    .bind(super::accounts::lookup_name(username)?)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let remote_url = web_address(row.profile_url)
        .or(web_address(row.ap_id))
        .filter(|_| row.is_remote);

    let top_friends = top_friends(pool, row.id).await?;
    let mut connection = pool.acquire().await?;
    let fields = super::profile_fields::list(&mut connection, row.id)
        .await?
        .into_iter()
        .map(|field| {
            // A remote value is HTML cleaned on arrival; a local one is text made safe here.
            let value = if row.is_remote {
                field.value
            } else {
                vocab::field_value_html(&field.value)
            };
            (field.name, value)
        })
        .collect();
    let relationship = match viewer {
        Some(viewer) => Some(super::follows::relationship(pool, viewer, row.id).await?),
        None => None,
    };
    Ok(Profile {
        relationship,
        locked: row.locked,
        stylesheet_url: row.has_css.then(|| {
            format!(
                "/@{}/style.css?v={}",
                row.username,
                row.updated_at.timestamp_micros()
            )
        }),
        canonical_url: remote_url
            .clone()
            .unwrap_or_else(|| format!("{public_url}/@{}", row.username)),
        username: row.username,
        display_name: row.display_name,
        bio: row.bio,
        avatar_url: web_address(row.avatar_url),
        header_url: web_address(row.header_url),
        joined_at: row.created_at,
        thought_count: row.thought_count,
        follower_count: row.follower_count,
        following_count: row.following_count,
        top_friends,
        remote_url,
        is_remote: row.is_remote,
        fields,
    })
}

/// A stored address, if it may be shown: rows written before addresses were checked may hold
/// `javascript:` and the like, and these become links, `canonical`, `og:url` and API fields.
fn web_address(url: Option<String>) -> Option<String> {
    url.filter(|url| crate::text::is_http_url(url))
}

async fn top_friends(pool: &PgPool, user_id: Uuid) -> Result<Vec<PersonCard>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.username, u.display_name, u.avatar_url
           FROM top_friends tf JOIN users u ON u.id = tf.friend_id
          WHERE tf.user_id = $1
          ORDER BY tf.position",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}

/// The stored (sanitized) CSS of `username`'s profile, if any.
///
/// A sheet saved before sources were kept (no `custom_css_source`) may name other hosts'
/// images: it is sanitized again without them (nothing is fetched for a visitor), once, and
/// the old form becomes the source, so that saving it in the settings copies them.
pub async fn stylesheet(pool: &PgPool, username: &str) -> Result<Option<String>, AppError> {
    let found: Option<(Uuid, Option<String>, bool)> = sqlx::query_as(
        "SELECT id, custom_css, custom_css_source IS NULL FROM users WHERE lower(username) = lower($1) AND NOT is_remote",
    )
    .bind(super::accounts::lookup_name(username)?)
    .fetch_optional(pool)
    .await?;
    let Some((id, Some(css), legacy)) = found else {
        return Ok(None);
    };
    if !legacy || css.trim().is_empty() {
        return Ok(Some(css).filter(|css| !css.trim().is_empty()));
    }
    let clean = custom_css::sanitize(&css)
        .map(|clean| clean.css)
        .unwrap_or_default();
    sqlx::query("UPDATE users SET custom_css = $2, custom_css_source = $3 WHERE id = $1 AND custom_css_source IS NULL")
        .bind(id)
        .bind(Some(&clean).filter(|clean| !clean.is_empty()))
        .bind(&css)
        .execute(pool)
        .await?;
    Ok(Some(clean).filter(|clean| !clean.is_empty()))
}

/// The owner's CSS as typed (or, saved before sources were kept, as stored).
pub async fn custom_css_source(pool: &PgPool, user_id: Uuid) -> Result<Option<String>, AppError> {
    let source: Option<Option<String>> = sqlx::query_scalar(
        "SELECT coalesce(custom_css_source, custom_css) FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(source.flatten())
}

/// What the settings page shows the owner.
pub async fn settings(pool: &PgPool, user_id: Uuid) -> Result<ProfileSettings, AppError> {
    #[derive(sqlx::FromRow)]
    struct Owned {
        username: String,
        display_name: Option<String>,
        bio: Option<String>,
        avatar_url: Option<String>,
        header_url: Option<String>,
        custom_css: Option<String>,
    }
    let Owned {
        username,
        display_name,
        bio,
        avatar_url,
        header_url,
        custom_css,
    }: Owned = sqlx::query_as(
        "SELECT username, display_name, bio, avatar_url, header_url, coalesce(custom_css_source, custom_css) AS custom_css
           FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let top_friends = top_friends(pool, user_id)
        .await?
        .into_iter()
        .map(|friend| friend.username)
        .collect();
    Ok(ProfileSettings {
        username,
        display_name: display_name.unwrap_or_default(),
        bio: bio.unwrap_or_default(),
        avatar_url: avatar_url.unwrap_or_default(),
        header_url: header_url.unwrap_or_default(),
        custom_css: custom_css.unwrap_or_default(),
        top_friends,
        friend_choices: friend_choices(pool, user_id).await?,
        fields: field_pairs(&mut *pool.acquire().await?, user_id).await?,
    })
}

/// Who `user_id` may pick as a Top Friend: the people they follow, and until they follow
/// anyone, every local user (the choice is made by name, so a long list stays usable);
/// never someone a block stands between.
pub async fn friend_choices(pool: &PgPool, user_id: Uuid) -> Result<Vec<PersonCard>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.username, u.display_name, u.avatar_url
           FROM users u
          WHERE u.id <> $1 AND NOT u.is_remote AND NOT {}
            AND (NOT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1)
                 OR EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND following_id = u.id AND state = 'accepted'))
          ORDER BY lower(u.username)",
        super::visibility::blocked_between("u.id", "$1::uuid")
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}

/// The profile fields as typed in the settings form.
#[derive(Debug, Clone, Default)]
pub struct ProfileEdit {
    pub display_name: String,
    pub bio: String,
    pub avatar_url: String,
    pub header_url: String,
    /// The profile fields (name, value) as typed; None keeps them.
    pub fields: Option<Vec<(String, String)>>,
}

/// Whether `edit` would be saved (every field checked, nothing written).
pub fn check_edit(edit: &ProfileEdit) -> Result<(), AppError> {
    parse_edit(edit).map(drop)
}

type ParsedEdit = (
    DisplayName,
    Bio,
    ImageUrl,
    ImageUrl,
    Option<Vec<(String, String)>>,
);

fn parse_edit(edit: &ProfileEdit) -> Result<ParsedEdit, AppError> {
    let mut errors = FieldErrors::default();
    let display_name = errors.check(DisplayName::parse(&edit.display_name));
    let bio = errors.check(Bio::parse(&edit.bio));
    let avatar_url = errors.check(ImageUrl::parse(&edit.avatar_url, "avatar_url"));
    let header_url = errors.check(ImageUrl::parse(&edit.header_url, "header_url"));
    let fields = match &edit.fields {
        Some(fields) => errors
            .check(super::profile_fields::parse(fields, "fields"))
            .map(Some),
        None => Some(None),
    };
    errors.finish()?;
    match (display_name, bio, avatar_url, header_url, fields) {
        (Some(display_name), Some(bio), Some(avatar_url), Some(header_url), Some(fields)) => {
            Ok((display_name, bio, avatar_url, header_url, fields))
        }
        _ => Err(AppError::Internal),
    }
}

/// Saves the profile fields, all or nothing; remote followers get the new actor document (Update).
pub async fn update(backend: &Backend, user_id: Uuid, edit: ProfileEdit) -> Result<(), AppError> {
    let (display_name, bio, avatar_url, header_url, fields) = parse_edit(&edit)?;
    let mut transaction = backend.pool.begin().await?;
    if let Some(fields) = &fields {
        super::profile_fields::replace(&mut transaction, user_id, fields).await?;
    }
    let mut person: PersonSource = sqlx::query_as(
        "UPDATE users SET display_name = $2, bio = $3, avatar_url = $4, header_url = $5, updated_at = now()
          WHERE id = $1
          RETURNING username, display_name, bio, avatar_url, header_url, created_at, locked",
    )
    .bind(user_id)
    .bind(display_name.0)
    .bind(bio.0)
    .bind(avatar_url.0)
    .bind(header_url.0)
    .fetch_one(&mut *transaction)
    .await?;
    person.fields = field_pairs(&mut transaction, user_id).await?;
    let keys = keys::for_user(&backend.pool, user_id).await?;
    let urls = Urls::new(&backend.public_url);
    outbox::profile_updated(
        &mut transaction,
        urls,
        user_id,
        vocab::person(urls, &person, &keys.public_pem),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// A person's profile fields as their actor document lists them.
pub async fn field_pairs(
    db: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(super::profile_fields::list(db, user_id)
        .await?
        .into_iter()
        .map(|field| (field.name, field.value))
        .collect())
}

/// Sends `user`'s actor document as it now stands to their remote followers (Update).
pub async fn announce_profile(
    db: &mut sqlx::PgConnection,
    backend: &Backend,
    user_id: Uuid,
) -> Result<(), AppError> {
    let mut person: PersonSource = sqlx::query_as(
        "SELECT username, display_name, bio, avatar_url, header_url, created_at, locked FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *db)
    .await?;
    person.fields = field_pairs(db, user_id).await?;
    let keys = keys::for_user(&backend.pool, user_id).await?;
    let urls = Urls::new(&backend.public_url);
    outbox::profile_updated(
        db,
        urls,
        user_id,
        vocab::person(urls, &person, &keys.public_pem),
    )
    .await
}

/// Checks profile CSS without fetching anything; the error names the field and says where
/// the problem is.
pub fn sanitize_css(raw: &str) -> Result<CssOutcome, AppError> {
    custom_css::sanitize(raw)
        .map(|clean| CssOutcome {
            css: clean.css,
            removed: clean.removed,
        })
        .map_err(|error| AppError::invalid("custom_css", error.to_string()))
}

/// Sanitizes `raw` with its images copied here (see `css_images`), and the addresses it names.
async fn sanitize_copying(
    backend: &Backend,
    owner: Uuid,
    raw: &str,
    purpose: Purpose,
) -> Result<(CssOutcome, Vec<String>), AppError> {
    let invalid = |error: custom_css::CssError| AppError::invalid("custom_css", error.to_string());
    let urls = custom_css::remote_images(raw).map_err(invalid)?;
    let copies = css_images::copies(backend, owner, &urls, purpose).await?;
    let clean = custom_css::sanitize_with(raw, &copies).map_err(invalid)?;
    let named = urls.iter().map(url::Url::to_string).collect();
    Ok((
        CssOutcome {
            css: clean.css,
            removed: clean.removed,
        },
        named,
    ))
}

/// What saving `raw` would store, for the editor's preview; its images are copied (and
/// kept a while, so the next preview or the save reuses them).
pub async fn preview_css(
    backend: &Backend,
    owner: Uuid,
    raw: &str,
) -> Result<CssOutcome, AppError> {
    let (outcome, _) = sanitize_copying(backend, owner, raw, Purpose::Preview).await?;
    css_images::tidy(&backend.pool, owner, None).await?;
    Ok(outcome)
}

/// Sanitizes and stores the profile CSS: the source as typed, and the sanitized form, the
/// only one ever served. Nothing but whitespace clears both: no stylesheet is linked then.
pub async fn set_custom_css(
    backend: &Backend,
    user_id: Uuid,
    raw: &str,
) -> Result<CssOutcome, AppError> {
    let (outcome, named) = if raw.trim().is_empty() {
        (
            CssOutcome {
                css: String::new(),
                removed: Vec::new(),
            },
            Vec::new(),
        )
    } else {
        sanitize_copying(backend, user_id, raw, Purpose::Save).await?
    };
    sqlx::query("UPDATE users SET custom_css = $2, custom_css_source = $3, updated_at = now() WHERE id = $1")
        .bind(user_id)
        .bind(Some(&outcome.css).filter(|css| !css.is_empty()))
        .bind(Some(raw).filter(|raw| !raw.trim().is_empty()))
        .execute(&backend.pool)
        .await?;
    css_images::tidy(&backend.pool, user_id, Some(&named)).await?;
    Ok(outcome)
}

/// Replaces the Top Friends with `usernames` in order (blanks skipped), all or nothing.
pub async fn set_top_friends(
    pool: &PgPool,
    user_id: Uuid,
    usernames: &[String],
) -> Result<(), AppError> {
    let chosen: Vec<&str> = usernames
        .iter()
        .map(|name| name.trim().trim_start_matches('@'))
        .filter(|name| !name.is_empty())
        .collect();
    if chosen.len() > MAX_TOP_FRIENDS {
        return Err(AppError::invalid(
            "top_friends",
            "choose at most 5 Top Friends",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = chosen.iter().find(|name| !seen.insert(name.to_lowercase())) {
        return Err(AppError::invalid(
            "top_friends",
            format!("@{twice} is chosen twice"),
        ));
    }

    let choices = friend_choices(pool, user_id).await?;
    let mut friend_ids = Vec::with_capacity(chosen.len());
    for name in &chosen {
        if !choices
            .iter()
            .any(|choice| choice.username.eq_ignore_ascii_case(name))
        {
            return Err(AppError::invalid(
                "top_friends",
                format!("@{name} is not someone you can choose"),
            ));
        }
        friend_ids.push(super::accounts::local_user_id(pool, name).await?);
    }

    let mut transaction = pool.begin().await?;
    sqlx::query("DELETE FROM top_friends WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *transaction)
        .await?;
    for (index, friend_id) in friend_ids.iter().enumerate() {
        sqlx::query("INSERT INTO top_friends (user_id, friend_id, position) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(friend_id)
            .bind(index as i16 + 1)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// A person as the client API describes them (Mastodon's Account).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountSummary {
    pub id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub is_remote: bool,
    pub ap_id: Option<String>,
    pub profile_url: Option<String>,
    pub thought_count: i64,
    pub follower_count: i64,
    pub following_count: i64,
    pub last_thought_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Follows wait for approval.
    pub locked: bool,
    /// Profile metadata fields, in order.
    pub fields: sqlx::types::Json<Vec<super::profile_fields::ProfileField>>,
}

/// The account `id` (local or remote), with its counts; `NotFound` for unknown ids.
pub async fn account(pool: &PgPool, id: Uuid) -> Result<AccountSummary, AppError> {
    accounts(pool, &[id]).await?.pop().ok_or(AppError::NotFound)
}

/// Several accounts at once (the authors of a page of statuses), in no particular order.
pub async fn accounts(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<AccountSummary>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.bio, u.avatar_url, u.header_url, u.created_at, u.is_remote, u.ap_id,
                r.profile_url, u.locked,
                coalesce(r.post_count, (SELECT count(*) FROM thoughts t WHERE t.user_id = u.id AND t.deleted_at IS NULL)) AS thought_count,
                coalesce(r.follower_count, (SELECT count(*) FROM follows f WHERE f.following_id = u.id AND f.state = 'accepted')) AS follower_count,
                coalesce(r.following_count, (SELECT count(*) FROM follows f WHERE f.follower_id = u.id AND f.state = 'accepted')) AS following_count,
                (SELECT max(t.created_at) FROM thoughts t WHERE t.user_id = u.id AND t.deleted_at IS NULL) AS last_thought_at,
                (SELECT coalesce(json_agg(json_build_object('name', pf.name, 'value', pf.value, 'verified_at', pf.verified_at)
                                          ORDER BY pf.position), '[]'::json)
                   FROM profile_fields pf WHERE pf.user_id = u.id) AS fields
           FROM users u LEFT JOIN remote_actors r ON r.user_id = u.id
          WHERE u.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|account: AccountSummary| {
        AccountSummary {
            avatar_url: web_address(account.avatar_url),
            header_url: web_address(account.header_url),
            ap_id: web_address(account.ap_id),
            profile_url: web_address(account.profile_url),
            ..account
        }
    })
    .collect())
}
