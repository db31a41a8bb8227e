//! Timelines and threads. Timelines are newest first and paged by keyset on
//! (created_at, id): never OFFSET, so a page costs the same however deep it is and nothing
//! is skipped or repeated when thoughts arrive. Visibility and blocks are part of each query.

use sqlx::PgPool;
use uuid::Uuid;

use super::{
    filters::{self, Context},
    hashtags, mutes,
    visibility::{self, may_see, visible_to, Arg},
};
use crate::{
    error::AppError,
    model::{Ancestor, Cursor, ThoughtView, Thread, TimelinePage},
};

pub const PAGE_SIZE: i64 = 20;

/// The listing columns of a thought shown as itself (not brought by a boost).
const LISTED_AS_ITSELF: &str =
    "t.id AS thought_id, t.created_at AS listed_at, NULL::text AS boosted_by";

/// Which thoughts a timeline shows.
#[derive(Debug, Clone, Copy)]
pub enum Feed<'a> {
    /// Everyone's public thoughts.
    Public,
    /// The viewer's own thoughts and those of the people they follow.
    Home,
    /// One local author's thoughts (those the viewer may see).
    Author(&'a str),
    /// One author's thoughts and boosts, as the client API's profile statuses (Mastodon's
    /// profiles list boosts; the web profile shows the person's own thoughts only), narrowed
    /// by the filter.
    AuthorAndBoosts(&'a str, ProfileFilter<'a>),
    /// Public thoughts with a tag.
    Tag(&'a str),
    /// The viewer's bookmarks, newest bookmark first.
    Bookmarks,
    /// The thoughts of the members of one of the viewer's lists (replies as its policy says).
    List(Uuid),
}

impl Feed<'_> {
    /// The filter context the feed is read in.
    pub fn context(self) -> Context {
        match self {
            // Lists are read as home is (Mastodon's filter contexts have no list of their own).
            Feed::Home | Feed::List(_) => Context::Home,
            Feed::Public | Feed::Tag(_) => Context::Public,
            // What the viewer bookmarked is shown as a profile shows it: mutes do not hide it.
            Feed::Author(_) | Feed::AuthorAndBoosts(..) | Feed::Bookmarks => Context::Account,
        }
    }
}

/// What a profile's statuses keep: Mastodon's account statuses parameters (its
/// `AccountStatusesFilter`). The default keeps every thought and boost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileFilter<'a> {
    /// No replies, except replies to the author themselves (threads of their own).
    pub exclude_replies: bool,
    /// No boosts.
    pub exclude_boosts: bool,
    /// Only thoughts with this hashtag (as typed: any case, `#` optional), and no boosts.
    pub tagged: Option<&'a str>,
    /// Only thoughts with media.
    pub only_media: bool,
    /// Only the author's pinned thoughts (`pins`), the latest pinned first.
    pub pinned: bool,
}

/// SQL: thought `t` (brought by the user `booster` when it came as a boost) stays in
/// `viewer`'s timeline read in `context`: its author (and booster) are not muted by the
/// viewer, except on a profile, which shows a muted person's thoughts as Mastodon does; and
/// none of the viewer's `hide` filters for the context matches it. Every timeline's
/// candidate query (home, public, tags, profiles, lists) applies this, so a page is never
/// cut short by what is left out.
pub fn kept_in_feed(t: &str, booster: Option<&str>, viewer: &str, context: Context) -> String {
    let mut kept = format!("NOT {}", filters::hidden(t, viewer, context));
    if context != Context::Account {
        kept.push_str(&format!(
            " AND NOT {}",
            mutes::muted(viewer, &format!("{t}.user_id"))
        ));
        if let Some(booster) = booster {
            kept.push_str(&format!(" AND NOT {}", mutes::muted(viewer, booster)));
        }
    }
    format!("({kept})")
}

/// The `before` parameter of a timeline request: empty means the newest page.
pub fn parse_before(before: Option<&str>) -> Result<Option<Cursor>, AppError> {
    match before {
        None | Some("") => Ok(None),
        Some(token) => Cursor::parse(token)
            .map(Some)
            .ok_or_else(|| AppError::invalid("before", "is not a timeline position")),
    }
}

/// One page of `feed` as `viewer` (None: a visitor) may see it.
pub async fn page(
    pool: &PgPool,
    viewer: Option<Uuid>,
    feed: Feed<'_>,
    before: Option<Cursor>,
    limit: i64,
) -> Result<TimelinePage, AppError> {
    page_within(
        pool,
        viewer,
        feed,
        Window {
            before,
            ..Window::default()
        },
        limit,
    )
    .await
}

/// Which part of a timeline to read (the client API's `max_id`, `since_id`, `min_id`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Strictly older than this.
    pub before: Option<Cursor>,
    /// Strictly newer than this.
    pub after: Option<Cursor>,
    /// The oldest entries of the window rather than the newest (`min_id`); still returned
    /// newest first.
    pub oldest_first: bool,
}

/// One page of `feed` within `window`, newest first; `next` continues to older entries.
pub async fn page_within(
    pool: &PgPool,
    viewer: Option<Uuid>,
    feed: Feed<'_>,
    window: Window,
    limit: i64,
) -> Result<TimelinePage, AppError> {
    let visible = visible_to("t", "$1::uuid");
    let kept = kept_in_feed("t", None, "$1::uuid", feed.context());
    // The lower bound is written only when there is one, so the usual query (and its plan)
    // stays exactly the one measured in docs/measurements.md.
    let newer_than = |position: &str| match window.after {
        Some(_) => format!("AND ({position}) > ($6, $7)"),
        None => String::new(),
    };
    let keyset = format!(
        "($2::timestamptz IS NULL OR (t.created_at, t.id) < ($2, $3)) {}",
        newer_than("t.created_at, t.id")
    );
    let order = if window.oldest_first { "ASC" } else { "DESC" };
    // One row more than asked tells whether another page exists.
    let mut list_id = None;
    let mut excluded: Vec<Uuid> = Vec::new();
    let mut followed_tags: Vec<i32> = Vec::new();
    let mut profile_tag: Option<String> = None;
    let (query, argument) = match feed {
        Feed::Home => {
            let Some(me) = viewer else {
                return Err(AppError::Unauthorized);
            };
            // Members of the viewer's exclusive lists stay out of home; public thoughts with
            // the tags they follow come in. Both clauses are written only when they apply,
            // so the usual query keeps its measured plan.
            (excluded, followed_tags) = sqlx::query_as(
                "SELECT array(SELECT DISTINCT m.user_id FROM list_members m JOIN lists l ON l.id = m.list_id
                               WHERE l.owner_id = $1 AND l.exclusive AND m.user_id <> $1),
                        array(SELECT tag_id FROM followed_tags WHERE user_id = $1)",
            )
            .bind(me)
            .fetch_one(pool)
            .await?;
            let not_excluded = |user: &str| {
                if excluded.is_empty() {
                    String::new()
                } else {
                    format!("AND NOT ({user} = ANY($9))")
                }
            };
            let (author_kept, booster_kept) =
                (not_excluded("t.user_id"), not_excluded("b.user_id"));
            let tagged = if followed_tags.is_empty() {
                String::new()
            } else {
                let tags_newer = newer_than("tt.created_at, tt.thought_id");
                format!(
                    "UNION ALL
                     SELECT * FROM (
                         SELECT DISTINCT ON (tt.created_at, tt.thought_id)
                                tt.thought_id, tt.created_at AS listed_at, NULL::uuid AS booster_id
                           FROM thought_tags tt JOIN thoughts t ON t.id = tt.thought_id
                          WHERE tt.tag_id = ANY($10) AND t.visibility = 'public' AND {visible} AND {kept}
                            {author_kept}
                            AND ($2::timestamptz IS NULL OR (tt.created_at, tt.thought_id) < ($2, $3))
                            {tags_newer}
                          ORDER BY tt.created_at {order}, tt.thought_id {order} LIMIT $4 * 2) tagged"
                )
            };
            // The newest visible thoughts, and boosts, by the viewer and the people they
            // follow: each read backwards along its time index, keeping rows whose author
            // (or booster) is followed (a hashed lookup). A thought that came several ways is
            // listed once, at its latest arrival; each source gives twice a page, so the
            // duplicates the merge removes cannot leave a page short.
            let followed = |user: &str| {
                format!(
                    "({user} = $1::uuid OR EXISTS (SELECT 1 FROM follows hf WHERE hf.follower_id = $1::uuid
                                                     AND hf.following_id = {user} AND hf.state = 'accepted'))"
                )
            };
            let (author_followed, booster_followed) =
                (followed("t.user_id"), followed("b.user_id"));
            let boost_kept = kept_in_feed("t", Some("b.user_id"), "$1::uuid", Context::Home);
            let boosts_newer = newer_than("b.created_at, b.thought_id");
            (
                format!(
                    "WITH own AS (
                         SELECT t.id AS thought_id, t.created_at AS listed_at, NULL::uuid AS booster_id
                           FROM thoughts t
                          WHERE {author_followed} AND {visible} AND {kept} AND {keyset} {author_kept}
                          ORDER BY t.created_at {order}, t.id {order} LIMIT $4 * 2),
                     boosted AS (
                         SELECT b.thought_id, b.created_at AS listed_at, b.user_id AS booster_id
                           FROM boosts b JOIN thoughts t ON t.id = b.thought_id
                          WHERE {booster_followed} AND {visible} AND {boost_kept} {booster_kept}
                            AND ($2::timestamptz IS NULL OR (b.created_at, b.thought_id) < ($2, $3))
                            {boosts_newer}
                          ORDER BY b.created_at {order}, b.thought_id {order} LIMIT $4 * 2),
                     latest AS (
                         SELECT DISTINCT ON (thought_id) thought_id, listed_at, booster_id
                           FROM (SELECT * FROM own UNION ALL SELECT * FROM boosted {tagged}) entries
                          ORDER BY thought_id, listed_at DESC)
                     SELECT e.thought_id, e.listed_at, booster.username AS boosted_by
                       FROM latest e LEFT JOIN users booster ON booster.id = e.booster_id
                      ORDER BY e.listed_at {order}, e.thought_id {order}
                      LIMIT $4"
                ),
                None,
            )
        }
        Feed::AuthorAndBoosts(username, filter) => {
            let author = "(SELECT pu.id FROM users pu WHERE lower(pu.username) = lower($5))";
            let mut author_listed = format!("t.user_id = {author}");
            if let Some(raw) = filter.tagged {
                let name = hashtags::name(raw, "tagged")?;
                author_listed.push_str(
                    " AND EXISTS (SELECT 1 FROM thought_tags pt WHERE pt.thought_id = t.id
                                    AND pt.tag_id = (SELECT pg.id FROM tags pg WHERE pg.name = $11))",
                );
                profile_tag = Some(name);
            }
            // No media exist yet (issue #17 adds them): no thought has any.
            if filter.only_media {
                return Ok(TimelinePage {
                    thoughts: Vec::new(),
                    next: None,
                });
            }
            if filter.exclude_replies {
                // Mastodon's rule: a reply to oneself (a thread of one's own) stays.
                author_listed.push_str(
                    " AND (t.reply_to IS NULL
                           OR EXISTS (SELECT 1 FROM thoughts rp WHERE rp.id = t.reply_to AND rp.user_id = t.user_id))",
                );
            }
            let query = if filter.pinned {
                // The latest pinned first, paged by the time of the pin.
                let pins_newer = newer_than("p.created_at, p.thought_id");
                format!(
                    "SELECT p.thought_id, p.created_at AS listed_at, NULL::text AS boosted_by
                       FROM pins p JOIN thoughts t ON t.id = p.thought_id
                      WHERE p.user_id = {author} AND {author_listed} AND {visible} AND {kept}
                        AND ($2::timestamptz IS NULL OR (p.created_at, p.thought_id) < ($2, $3))
                        {pins_newer}
                      ORDER BY p.created_at {order}, p.thought_id {order}
                      LIMIT $4"
                )
            } else if filter.exclude_boosts || filter.tagged.is_some() {
                format!(
                    "SELECT {LISTED_AS_ITSELF}
                       FROM thoughts t
                      WHERE {author_listed} AND {visible} AND {kept} AND {keyset}
                      ORDER BY t.created_at {order}, t.id {order}
                      LIMIT $4"
                )
            } else {
                with_boosts(
                    &author_listed,
                    &format!(
                        "b.user_id = {author} AND NOT {}",
                        visibility::blocked_between("b.user_id", "$1::uuid")
                    ),
                    Context::Account,
                    &keyset,
                    &newer_than("b.created_at, b.thought_id"),
                    order,
                )
            };
            (query, Some(username))
        }
        Feed::Tag(tag) => {
            let tags_newer = newer_than("tt.created_at, tt.thought_id");
            (
                // Paged through the tag's own index; each row carries its thought's time. The tag
                // id comes from a scalar subquery so that the planner sees one index range in
                // order and stops after a page (a join with `tags` made it sort every tagged row).
                format!(
                    "SELECT {LISTED_AS_ITSELF}
                   FROM thought_tags tt
                   JOIN thoughts t ON t.id = tt.thought_id
                  WHERE tt.tag_id = (SELECT g.id FROM tags g WHERE g.name = lower($5))
                    AND t.visibility = 'public' AND {visible} AND {kept}
                    AND ($2::timestamptz IS NULL OR (tt.created_at, tt.thought_id) < ($2, $3))
                    {tags_newer}
                  ORDER BY tt.created_at {order}, tt.thought_id {order}
                  LIMIT $4"
                ),
                Some(tag),
            )
        }
        Feed::Bookmarks => {
            if viewer.is_none() {
                return Err(AppError::Unauthorized);
            }
            let bookmarks_newer = newer_than("k.created_at, k.thought_id");
            (
                format!(
                    "SELECT k.thought_id, k.created_at AS listed_at, NULL::text AS boosted_by
                       FROM bookmarks k JOIN thoughts t ON t.id = k.thought_id
                      WHERE k.user_id = $1::uuid AND {visible} AND {kept}
                        AND ($2::timestamptz IS NULL OR (k.created_at, k.thought_id) < ($2, $3))
                        {bookmarks_newer}
                      ORDER BY k.created_at {order}, k.thought_id {order}
                      LIMIT $4"
                ),
                None,
            )
        }
        Feed::List(id) => {
            let Some(me) = viewer else {
                return Err(AppError::Unauthorized);
            };
            let list = super::lists::get(pool, me, id).await?;
            list_id = Some(id);
            // A reply is shown when it answers its own author or the owner, and beyond that
            // as the list's policy says (Mastodon's rule).
            let answered = match list.replies_policy.as_str() {
                "followed" => {
                    "OR EXISTS (SELECT 1 FROM follows rf WHERE rf.follower_id = $1::uuid
                                  AND rf.following_id = p.user_id AND rf.state = 'accepted')"
                }
                "list" => {
                    "OR EXISTS (SELECT 1 FROM list_members rm WHERE rm.list_id = $8 AND rm.user_id = p.user_id)"
                }
                _ => "",
            };
            (
                format!(
                    "SELECT {LISTED_AS_ITSELF}
                       FROM thoughts t
                      WHERE t.user_id IN (SELECT m.user_id FROM list_members m WHERE m.list_id = $8)
                        AND {visible} AND {kept} AND {keyset}
                        AND (t.reply_to IS NULL
                             OR EXISTS (SELECT 1 FROM thoughts p WHERE p.id = t.reply_to
                                          AND (p.user_id = t.user_id OR p.user_id = $1::uuid {answered})))
                      ORDER BY t.created_at {order}, t.id {order}
                      LIMIT $4"
                ),
                None,
            )
        }
        Feed::Public | Feed::Author(_) => {
            let (condition, argument) = match feed {
                Feed::Author(username) => ("lower(u.username) = lower($5)", Some(username)),
                _ => ("t.visibility = 'public'", None),
            };
            (
                format!(
                    "SELECT {LISTED_AS_ITSELF}
                       FROM thoughts t JOIN users u ON u.id = t.user_id
                      WHERE {visible} AND {kept} AND {condition} AND {keyset}
                      ORDER BY t.created_at {order}, t.id {order}
                      LIMIT $4"
                ),
                argument,
            )
        }
    };
    let args = vec![
        Arg::Time(window.before.map(|c| c.created_at)),
        Arg::Uuid(window.before.map(|c| c.id)),
        Arg::Int(limit + 1),
        Arg::Text(argument.map(str::to_owned)),
        Arg::Time(window.after.map(|c| c.created_at)),
        Arg::Uuid(window.after.map(|c| c.id)),
        Arg::Uuid(list_id),
        Arg::Uuids(excluded),
        Arg::Ints(followed_tags),
        Arg::Text(profile_tag),
    ];
    let mut thoughts = visibility::thoughts(
        pool,
        viewer,
        &query,
        &format!("c.listed_at {order}, t.id {order}"),
        args,
    )
    .await?;

    let more = thoughts.len() as i64 > limit;
    thoughts.truncate(limit as usize);
    filters::apply(pool, viewer, feed.context(), &mut thoughts).await?;
    if window.oldest_first {
        thoughts.reverse();
    }
    // Older entries remain after this page when it was cut short, or when it was read from
    // the oldest end of a window (everything before the window is older still).
    let next = if more || window.oldest_first {
        thoughts.last().map(Cursor::after)
    } else {
        None
    };
    Ok(TimelinePage { thoughts, next })
}

/// The candidate query of a timeline of thoughts by the authors `author_listed` selects
/// (over `t`) and boosts by the boosters `booster_listed` selects (over `b`), in `context`,
/// merged as home merges them: each read backwards along its time index; a thought that
/// came several ways is listed once, at its latest arrival; each source gives twice a page,
/// so the duplicates the merge removes cannot leave a page short.
/// A boost is positioned by (its time, the thought's id): the keyset `page_within` pages by.
fn with_boosts(
    author_listed: &str,
    booster_listed: &str,
    context: Context,
    keyset: &str,
    boosts_newer: &str,
    order: &str,
) -> String {
    let visible = visible_to("t", "$1::uuid");
    let kept = kept_in_feed("t", None, "$1::uuid", context);
    let boost_kept = kept_in_feed("t", Some("b.user_id"), "$1::uuid", context);
    format!(
        "WITH own AS (
             SELECT t.id AS thought_id, t.created_at AS listed_at, NULL::uuid AS booster_id
               FROM thoughts t
              WHERE {author_listed} AND {visible} AND {kept} AND {keyset}
              ORDER BY t.created_at {order}, t.id {order} LIMIT $4 * 2),
         boosted AS (
             SELECT b.thought_id, b.created_at AS listed_at, b.user_id AS booster_id
               FROM boosts b JOIN thoughts t ON t.id = b.thought_id
              WHERE {booster_listed} AND {visible} AND {boost_kept}
                AND ($2::timestamptz IS NULL OR (b.created_at, b.thought_id) < ($2, $3))
                {boosts_newer}
              ORDER BY b.created_at {order}, b.thought_id {order} LIMIT $4 * 2),
         latest AS (
             SELECT DISTINCT ON (thought_id) thought_id, listed_at, booster_id
               FROM (SELECT * FROM own UNION ALL SELECT * FROM boosted) entries
              ORDER BY thought_id, listed_at DESC)
         SELECT e.thought_id, e.listed_at, booster.username AS boosted_by
           FROM latest e LEFT JOIN users booster ON booster.id = e.booster_id
          ORDER BY e.listed_at {order}, e.thought_id {order}
          LIMIT $4"
    )
}

/// One thought, if `viewer` may see it (`NotFound` otherwise, hiding that it exists).
pub async fn one(pool: &PgPool, viewer: Option<Uuid>, id: Uuid) -> Result<ThoughtView, AppError> {
    some(pool, viewer, &[id])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The boost with the id `boost` as `viewer` sees it: the boosted thought, brought by its
/// booster (`boost_id` set). `NotFound` when the viewer may not see the thought, or a block
/// stands between the viewer and the booster.
pub async fn boost(
    pool: &PgPool,
    viewer: Option<Uuid>,
    boost: Uuid,
) -> Result<ThoughtView, AppError> {
    let candidates = format!(
        "SELECT b.thought_id, b.created_at AS listed_at, bu.username AS boosted_by
           FROM boosts b JOIN users bu ON bu.id = b.user_id JOIN thoughts t ON t.id = b.thought_id
          WHERE b.id = $2 AND {} AND NOT {}",
        visible_to("t", "$1::uuid"),
        visibility::blocked_between("b.user_id", "$1::uuid"),
    );
    visibility::thoughts(
        pool,
        viewer,
        &candidates,
        "t.id",
        vec![Arg::Uuid(Some(boost))],
    )
    .await?
    .pop()
    .ok_or(AppError::NotFound)
}

/// The thoughts `ids` that `viewer` may see, in no particular order.
pub async fn some(
    pool: &PgPool,
    viewer: Option<Uuid>,
    ids: &[Uuid],
) -> Result<Vec<ThoughtView>, AppError> {
    let candidates = format!("{} WHERE t.id = ANY($2)", visibility::BY_ID);
    visibility::thoughts(
        pool,
        viewer,
        &candidates,
        "t.id",
        vec![Arg::Uuids(ids.to_vec())],
    )
    .await
}

/// The thought `id` by `author` with its ancestors and replies, as `viewer` may see them.
/// `NotFound` when it does not exist or may not be seen; `Gone` when it was deleted.
pub async fn thread(
    pool: &PgPool,
    public_url: &str,
    viewer: Option<Uuid>,
    author: &str,
    id: Uuid,
) -> Result<Thread, AppError> {
    // The thought and its ancestors, nearest first: only ids and what the viewer may know
    // of them; what is shown is read through the visibility gate.
    let chain: Vec<(Uuid, bool, bool, String)> = sqlx::query_as(&format!(
        "WITH RECURSIVE chain(id, depth) AS (
             SELECT id, 0 FROM thoughts WHERE id = $2
             UNION ALL
             SELECT p.reply_to, c.depth + 1 FROM chain c JOIN thoughts p ON p.id = c.id
              WHERE p.reply_to IS NOT NULL AND c.depth < 100)
         SELECT t.id, t.deleted_at IS NOT NULL, {may_see}, u.username
           FROM chain c JOIN thoughts t ON t.id = c.id JOIN users u ON u.id = t.user_id
          ORDER BY c.depth",
        may_see = may_see("t", "$1::uuid"),
    ))
    .bind(viewer)
    .bind(id)
    .fetch_all(pool)
    .await?;

    let Some((_, deleted, may_see, username)) = chain.first() else {
        return Err(AppError::NotFound);
    };
    if !may_see || !username.eq_ignore_ascii_case(author) {
        return Err(AppError::NotFound);
    }
    if *deleted {
        return Err(AppError::Gone);
    }
    let ids: Vec<Uuid> = chain.iter().map(|(id, ..)| *id).collect();
    let mut shown: std::collections::HashMap<Uuid, ThoughtView> = some(pool, viewer, &ids)
        .await?
        .into_iter()
        .map(|thought| (thought.id, thought))
        .collect();
    let mut thought = shown.remove(&id).ok_or(AppError::NotFound)?;
    // The thought asked for is shown even when a filter would hide it (it was asked for);
    // a warning still collapses it.
    let mut focused = vec![thought.clone()];
    filters::apply(pool, viewer, Context::Thread, &mut focused).await?;
    if let Some(marked) = focused.pop() {
        thought = marked;
    }
    let ancestors = chain
        .iter()
        .skip(1)
        .rev()
        .map(|(id, deleted, may_see, _)| match shown.remove(id) {
            Some(thought) => Ancestor::Shown(Box::new(thought)),
            None if *deleted && *may_see => Ancestor::Deleted,
            None => Ancestor::Unavailable,
        })
        .collect();

    let mut replies = visibility::thoughts(
        pool,
        viewer,
        &format!(
            "{} WHERE t.reply_to = $2 AND {}",
            visibility::BY_ID,
            visible_to("t", "$1::uuid")
        ),
        "t.created_at, t.id",
        vec![Arg::Uuid(Some(id))],
    )
    .await?;
    filters::apply(pool, viewer, Context::Thread, &mut replies).await?;

    Ok(Thread {
        canonical_url: format!("{public_url}{}", thought.href()),
        ancestors,
        thought,
        replies,
    })
}
