//! Who may see what: the one rule, and the one way to read thoughts for showing.
//!
//! A live thought is visible to a viewer when no block stands between viewer and author
//! (either direction) and it is public, or theirs, or mentions them, or is for followers
//! and they follow the author. Visitors (a NULL viewer) see public thoughts only.
//!
//! [`ThoughtView`] (what pages, server functions, the client API and feeds show) has no
//! `FromRow`: the only code that turns rows into it is [`thoughts`] here, which applies
//! [`visible_to`] to every row it returns, whatever the candidate query selected. A path
//! that forgets the rule in its own query still cannot show a hidden thought.

use chrono::{DateTime, Utc};
use sqlx::{postgres::PgArguments, Arguments, PgExecutor};
use uuid::Uuid;

use crate::{error::AppError, model::ThoughtView};

/// SQL: the thought row `t` may be seen by the viewer expression `viewer` (a `uuid`, may be
/// NULL). Always true or false, never NULL, so it can be selected as well as filtered on.
pub fn visible_to(t: &str, viewer: &str) -> String {
    format!(
        "coalesce({t}.deleted_at IS NULL AND {}, false)",
        may_see(t, viewer)
    )
}

/// SQL: the viewer could see thought `t` were it not deleted (a deleted thought the viewer
/// could never see is "not available" to them, not "deleted").
pub fn may_see(t: &str, viewer: &str) -> String {
    format!(
        "coalesce(({t}.visibility IN ('public', 'unlisted')
               OR {t}.user_id = {viewer}
               OR EXISTS (SELECT 1 FROM thought_mentions vm WHERE vm.thought_id = {t}.id AND vm.user_id = {viewer})
               OR ({t}.visibility = 'followers'
                   AND EXISTS (SELECT 1 FROM follows vf
                                WHERE vf.follower_id = {viewer} AND vf.following_id = {t}.user_id
                                  AND vf.state = 'accepted')))
          AND NOT {}, false)",
        blocked_between(&format!("{t}.user_id"), viewer)
    )
}

/// SQL: a block stands between users `a` and `b`, in either direction.
pub fn blocked_between(a: &str, b: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM blocks vb
                  WHERE (vb.blocker_id = {a} AND vb.blocked_id = {b})
                     OR (vb.blocker_id = {b} AND vb.blocked_id = {a}))"
    )
}

/// A value bound to a candidate query's `$2`, `$3`, … (`$1` is always the viewer).
#[derive(Debug, Clone)]
pub enum Arg {
    Uuid(Option<Uuid>),
    Uuids(Vec<Uuid>),
    Time(Option<DateTime<Utc>>),
    Int(i64),
    Ints(Vec<i32>),
    Text(Option<String>),
}

/// The thoughts `candidates` selects, as `viewer` may see them, in `order`.
///
/// `candidates` is SQL selecting rows `(thought_id uuid, listed_at timestamptz, boosted_by
/// text)` (`boosted_by`: the username of the booster whose boost brought it, whose boost id
/// the view then carries); it may read the viewer as `$1::uuid` and `args` as `$2` onwards, and should
/// already apply [`visible_to`] where it limits rows (so a page is not cut short). Every row
/// is checked again here against the rule, so a candidate the viewer may not see is dropped.
/// `order` is an `ORDER BY` list over `c` (the candidate row), `t` (the thought) and `u`
/// (its author).
pub async fn thoughts<'e>(
    db: impl PgExecutor<'e>,
    viewer: Option<Uuid>,
    candidates: &str,
    order: &str,
    args: Vec<Arg>,
) -> Result<Vec<ThoughtView>, AppError> {
    let sql = format!(
        "SELECT {THOUGHT_COLUMNS}, c.listed_at, c.boosted_by, boost.id AS boost_id, boost.user_id AS booster_id
           FROM ({candidates}) c JOIN thoughts t ON t.id = c.thought_id JOIN users u ON u.id = t.user_id
           LEFT JOIN LATERAL (SELECT b.id, b.user_id FROM boosts b JOIN users bu ON bu.id = b.user_id
                               WHERE c.boosted_by IS NOT NULL AND b.thought_id = t.id
                                 AND bu.username = c.boosted_by) boost ON true
          WHERE {}
          ORDER BY {order}",
        visible_to("t", "$1::uuid")
    );
    let mut arguments = PgArguments::default();
    let mut bound = arguments.add(viewer);
    for arg in args {
        if bound.is_err() {
            break;
        }
        bound = match arg {
            Arg::Uuid(value) => arguments.add(value),
            Arg::Uuids(value) => arguments.add(value),
            Arg::Time(value) => arguments.add(value),
            Arg::Int(value) => arguments.add(value),
            Arg::Ints(value) => arguments.add(value),
            Arg::Text(value) => arguments.add(value),
        };
    }
    if let Err(error) = bound {
        tracing::error!(%error, "cannot bind a thought query's arguments");
        return Err(AppError::Internal);
    }
    let rows: Vec<Row> = sqlx::query_as_with(&sql, arguments).fetch_all(db).await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}

/// The candidate row of thoughts read by id (a thought shown as itself, not by a boost).
pub const BY_ID: &str = "SELECT t.id AS thought_id, t.created_at AS listed_at, NULL::text AS boosted_by FROM thoughts t";

/// The columns of a [`ThoughtView`] for the thought row `t` joined to its author `u`;
/// `$1` is the viewer. Private: rows become views only in [`thoughts`].
const THOUGHT_COLUMNS: &str = "t.id, t.content, t.content_html, t.summary, t.sensitive, t.created_at, t.edited_at, t.visibility, t.reply_to,
       t.ap_id, t.url AS remote_url,
       t.user_id AS author_id, u.username AS author_username, u.display_name AS author_display_name, u.avatar_url AS author_avatar_url,
       (SELECT count(*) FROM thoughts r WHERE r.reply_to = t.id AND r.deleted_at IS NULL) AS reply_count,
       (t.user_id = $1::uuid) IS TRUE AS by_viewer,
       (SELECT count(*) FROM likes l WHERE l.thought_id = t.id) AS like_count,
       (SELECT count(*) FROM boosts b WHERE b.thought_id = t.id) AS boost_count,
       EXISTS (SELECT 1 FROM likes l WHERE l.thought_id = t.id AND l.user_id = $1::uuid) AS liked,
       EXISTS (SELECT 1 FROM boosts b WHERE b.thought_id = t.id AND b.user_id = $1::uuid) AS boosted,
       EXISTS (SELECT 1 FROM bookmarks k WHERE k.thought_id = t.id AND k.user_id = $1::uuid) AS bookmarked";

/// A row of [`thoughts`]' query; nothing else decodes one.
struct Row(ThoughtView);

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Row {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        Ok(Row(ThoughtView {
            id: row.try_get("id")?,
            content: row.try_get("content")?,
            content_html: row.try_get("content_html")?,
            summary: row.try_get("summary")?,
            sensitive: row.try_get("sensitive")?,
            created_at: row.try_get("created_at")?,
            edited_at: row.try_get("edited_at")?,
            author_id: row.try_get("author_id")?,
            author_username: row.try_get("author_username")?,
            author_display_name: row.try_get("author_display_name")?,
            author_avatar_url: row.try_get("author_avatar_url")?,
            visibility: row.try_get("visibility")?,
            reply_to: row.try_get("reply_to")?,
            reply_count: row.try_get("reply_count")?,
            by_viewer: row.try_get("by_viewer")?,
            like_count: row.try_get("like_count")?,
            boost_count: row.try_get("boost_count")?,
            liked: row.try_get("liked")?,
            boosted: row.try_get("boosted")?,
            bookmarked: row.try_get("bookmarked")?,
            listed_at: row.try_get("listed_at")?,
            boosted_by: row.try_get("boosted_by")?,
            boost_id: row.try_get("boost_id")?,
            booster_id: row.try_get("booster_id")?,
            // Filters depend on where the thought is shown: the reader sets them.
            filtered: Vec::new(),
            ap_id: row.try_get("ap_id")?,
            remote_url: row.try_get("remote_url")?,
        }))
    }
}
