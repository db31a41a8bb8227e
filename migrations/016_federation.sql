-- ActivityPub federation: what 002, 005, 006 and 009 left out.

-- Remote people live in `users` beside local ones (002), under their handle `name@domain`
-- (a local username never holds an '@'); they have no email and no password.
ALTER TABLE users ALTER COLUMN username TYPE VARCHAR(320);
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_local_have_email CHECK (is_remote OR email IS NOT NULL);
ALTER TABLE users ADD CONSTRAINT users_remote_have_actor CHECK (NOT is_remote OR (ap_id IS NOT NULL AND inbox_url IS NOT NULL));

-- The cached actor document of a remote person (005) and the row that stands for them in `users`.
ALTER TABLE remote_actors
    ADD COLUMN user_id          UUID UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    ADD COLUMN shared_inbox_url TEXT,
    ADD COLUMN outbox_url       TEXT,
    ADD COLUMN followers_url    TEXT,
    ADD COLUMN following_url    TEXT,
    ADD COLUMN profile_url      TEXT,      -- the actor's HTML page
    ADD COLUMN public_key_id    TEXT,
    ADD COLUMN public_key_pem   TEXT,
    ADD COLUMN follower_count   INTEGER,   -- as the actor's own server reports them
    ADD COLUMN following_count  INTEGER,
    ADD COLUMN post_count       INTEGER;
CREATE INDEX remote_actors_public_key_id_idx ON remote_actors (public_key_id);

-- Each local person's RSA key pair, made at sign-up; the private key never leaves the server.
CREATE TABLE actor_keys (
    user_id         UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    public_key_pem  TEXT        NOT NULL,
    private_key_pem TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- The instance actor's key pair (one row): it signs fetches that no person asked for.
CREATE TABLE instance_key (
    singleton       BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    public_key_pem  TEXT        NOT NULL,
    private_key_pem TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- The ActivityPub ids of what crossed the network, so that an Undo or Accept naming one
-- finds its row, and ours are stable.
ALTER TABLE follows ADD COLUMN ap_id TEXT UNIQUE;   -- the Follow activity
ALTER TABLE likes   ADD COLUMN ap_id TEXT UNIQUE;   -- the Like activity
ALTER TABLE boosts  ADD COLUMN ap_id TEXT UNIQUE;   -- the Announce activity
ALTER TABLE blocks  ADD COLUMN ap_id TEXT UNIQUE;   -- the Block activity

-- Remote notes: their cleaned HTML (local thoughts are plain text, rendered on output),
-- their page, and 'unlisted' (public, but kept out of the public and tag timelines).
ALTER TABLE thoughts
    ADD COLUMN content_html TEXT,
    ADD COLUMN url          TEXT;
ALTER TABLE thoughts DROP CONSTRAINT thoughts_visibility_check;
ALTER TABLE thoughts ADD CONSTRAINT thoughts_visibility_check
    CHECK (visibility IN ('public', 'unlisted', 'followers', 'private'));

-- Outgoing activities waiting for delivery, one row per recipient inbox. Workers claim
-- due rows with FOR UPDATE SKIP LOCKED, so several server processes share the queue.
CREATE TABLE deliveries (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    activity_id     TEXT        NOT NULL,
    activity_type   TEXT        NOT NULL,
    sender_id       UUID        REFERENCES users(id) ON DELETE CASCADE,  -- whose key signs
    inbox_url       TEXT        NOT NULL,
    payload         TEXT        NOT NULL,   -- the JSON exactly as it is sent
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at);

-- The dead letters keep whose key signed, so a replay signs the same way.
ALTER TABLE failed_events ADD COLUMN sender_id UUID REFERENCES users(id) ON DELETE CASCADE;

-- Activities already received, by id: a redelivered activity is acknowledged, not re-applied.
CREATE TABLE received_activities (
    activity_id TEXT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX received_activities_received_at_idx ON received_activities (received_at);
