-- What apps offer from their menus (issue #16): bookmarks, lists, followed and featured
-- hashtags, and private notes about accounts. Each row belongs to one person and goes with
-- them.

-- Bookmarks are private: only their owner ever reads them. Listed newest bookmark first.
CREATE TABLE bookmarks (
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    thought_id UUID        NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, thought_id)
);
CREATE INDEX bookmarks_user_created_idx ON bookmarks (user_id, created_at DESC, thought_id DESC);

-- Lists of people one follows, each with its own timeline. `replies_policy` is Mastodon's:
-- which replies by members the list shows (to people the owner follows, to members, or
-- none but those to the owner). `exclusive` lists keep their members out of home.
CREATE TABLE lists (
    id             UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id       UUID         NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title          VARCHAR(100) NOT NULL CHECK (length(btrim(title)) > 0),
    replies_policy TEXT         NOT NULL DEFAULT 'list'
                                CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive      BOOLEAN      NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);
CREATE INDEX lists_owner_idx ON lists (owner_id, created_at);

CREATE TABLE list_members (
    list_id  UUID        NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    user_id  UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (list_id, user_id)
);
CREATE INDEX list_members_user_idx ON list_members (user_id);

-- Only people one follows are on one's lists (as on Mastodon): however a follow ends
-- (unfollow, a block, a remote Reject), its end takes the person off the follower's lists.
CREATE FUNCTION leave_lists_on_unfollow() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM list_members m USING lists l
     WHERE m.list_id = l.id AND l.owner_id = OLD.follower_id AND m.user_id = OLD.following_id;
    RETURN OLD;
END;
$$;
CREATE TRIGGER follows_leave_lists
    AFTER DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION leave_lists_on_unfollow();

-- Hashtags a person follows (their public thoughts come to home) and features on their
-- profile.
CREATE TABLE followed_tags (
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag_id     INTEGER     NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, tag_id)
);

CREATE TABLE featured_tags (
    id         UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag_id     INTEGER     NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, tag_id)
);

-- A private note about another account, seen only by its writer (Relationship `note`).
CREATE TABLE account_notes (
    user_id    UUID          NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target_id  UUID          NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    note       VARCHAR(2000) NOT NULL,
    updated_at TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, target_id)
);
