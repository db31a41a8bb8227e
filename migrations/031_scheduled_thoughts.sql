-- Thoughts scheduled for later (Mastodon's scheduled statuses): kept as submitted until due,
-- then posted through the same path as any thought by a job in every server process.
CREATE TABLE scheduled_thoughts (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scheduled_at TIMESTAMPTZ NOT NULL,
    content      TEXT        NOT NULL,
    visibility   TEXT        NOT NULL,
    reply_to     TEXT,
    summary      TEXT,
    sensitive    BOOLEAN     NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_thoughts_due_idx ON scheduled_thoughts (scheduled_at);
CREATE INDEX scheduled_thoughts_user_idx ON scheduled_thoughts (user_id, scheduled_at);
