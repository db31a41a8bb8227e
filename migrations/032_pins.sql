-- Pinned thoughts (Mastodon's pinned statuses): a person keeps a few of their own public or
-- unlisted thoughts at the top of their profile. The rules (own thoughts only, public or
-- unlisted, at most five) are checked in app/src/backend/pins.rs.
CREATE TABLE pins (
    thought_id UUID        PRIMARY KEY REFERENCES thoughts(id) ON DELETE CASCADE,
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pins_user_idx ON pins (user_id, created_at);
