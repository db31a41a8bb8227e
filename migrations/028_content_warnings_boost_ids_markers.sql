-- Content warnings (Mastodon's spoiler_text, ActivityPub's summary): a thought with one is
-- shown collapsed behind it. `sensitive` marks a thought as needing a click to read even
-- without a summary (remote posts may say so); local thoughts with a summary are sensitive.
ALTER TABLE thoughts
    ADD COLUMN summary TEXT,
    ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT false;

-- A boost is a status of its own in the client API (a "reblog" wrapping the original):
-- it needs an id that stays the same on every read.
ALTER TABLE boosts ADD COLUMN id UUID NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX boosts_id_idx ON boosts (id);

-- Where a person stopped reading (Mastodon's markers), per timeline.
CREATE TABLE markers (
    user_id      UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    timeline     TEXT        NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id TEXT        NOT NULL CHECK (length(last_read_id) <= 100),
    version      INTEGER     NOT NULL DEFAULT 1,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, timeline)
);
