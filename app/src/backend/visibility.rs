//! Who may see what, as SQL conditions, so every timeline, thread and count enforces the
//! same rule inside the query (never by filtering after fetching).
//!
//! A live thought is visible to a viewer when no block stands between viewer and author
//! (either direction) and it is public, or theirs, or mentions them, or is for followers
//! and they follow the author. Visitors (a NULL viewer) see public thoughts only.

/// SQL: the thought row `t` may be seen by the viewer expression `viewer` (a `uuid`, may be
/// NULL). Always true or false, never NULL, so it can be selected as well as filtered on.
pub fn visible_to(t: &str, viewer: &str) -> String {
    format!(
        "coalesce({t}.deleted_at IS NULL
          AND ({t}.visibility IN ('public', 'unlisted')
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
