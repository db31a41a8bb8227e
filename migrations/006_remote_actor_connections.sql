-- Cache of follower/following collections fetched from remote actors.
CREATE TABLE remote_actor_connections (
    remote_actor_id UUID        NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    direction       TEXT        NOT NULL CHECK (direction IN ('follower', 'following')),
    connected_ap_url TEXT       NOT NULL,     -- the other actor's AP id
    fetched_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (remote_actor_id, direction, connected_ap_url)
);
