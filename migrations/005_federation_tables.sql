-- Cache of resolved remote ActivityPub actor profiles.
CREATE TABLE remote_actors (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    ap_url       TEXT        NOT NULL UNIQUE,   -- the actor's AP id
    username     TEXT        NOT NULL,
    display_name TEXT,
    avatar_url   TEXT,
    inbox_url    TEXT        NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
