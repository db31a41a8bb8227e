-- Social tables: likes, boosts, blocks, notifications.

CREATE TABLE likes (
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    thought_id UUID        NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, thought_id)
);
CREATE INDEX likes_thought_id_idx ON likes (thought_id);

CREATE TABLE boosts (
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    thought_id UUID        NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, thought_id)
);
CREATE INDEX boosts_thought_id_idx ON boosts (thought_id);

CREATE TABLE blocks (
    blocker_id UUID        NOT NULL REFERENCES users(id),
    blocked_id UUID        NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked_id_idx ON blocks (blocked_id);

-- The kind column is renamed to `type` in 008.
CREATE TABLE notifications (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           UUID        NOT NULL REFERENCES users(id),   -- recipient
    notification_type TEXT        NOT NULL,                        -- like, boost, follow, reply, mention
    actor_id          UUID REFERENCES users(id) ON DELETE CASCADE, -- who triggered it
    thought_id        UUID REFERENCES thoughts(id) ON DELETE CASCADE,
    read              BOOLEAN     NOT NULL DEFAULT false,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX notifications_user_created_at_idx ON notifications (user_id, created_at DESC, id DESC);
