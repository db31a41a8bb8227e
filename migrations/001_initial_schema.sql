-- Core tables: users, thoughts, follows, top_friends, tags, thought_tags, api_keys.
-- gen_random_uuid() is built into PostgreSQL 13+.

CREATE TABLE users (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    username      VARCHAR(32)  NOT NULL UNIQUE,
    email         VARCHAR(255) NOT NULL UNIQUE,
    password_hash TEXT,                     -- Argon2id PHC string
    display_name  VARCHAR(50),
    bio           VARCHAR(160),
    avatar_url    TEXT,
    header_url    TEXT,
    custom_css    TEXT,                     -- sanitized before write
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);

CREATE TABLE thoughts (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID         NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content    VARCHAR(128) NOT NULL,
    reply_to   UUID REFERENCES thoughts(id),
    visibility TEXT         NOT NULL DEFAULT 'public'
               CHECK (visibility IN ('public', 'followers', 'private')),
    created_at TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);
-- Timelines page by (created_at, id) newest first.
CREATE INDEX thoughts_created_at_id_idx ON thoughts (created_at DESC, id DESC);
CREATE INDEX thoughts_user_created_at_id_idx ON thoughts (user_id, created_at DESC, id DESC);
CREATE INDEX thoughts_reply_to_idx ON thoughts (reply_to);

CREATE TABLE follows (
    follower_id  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    following_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    state        TEXT NOT NULL DEFAULT 'accepted'
                 CHECK (state IN ('pending', 'accepted')),
    PRIMARY KEY (follower_id, following_id)
);
CREATE INDEX follows_following_id_idx ON follows (following_id);

CREATE TABLE top_friends (
    user_id   UUID     NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    friend_id UUID     NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position  SMALLINT NOT NULL CHECK (position BETWEEN 1 AND 5),
    PRIMARY KEY (user_id, friend_id),
    UNIQUE (user_id, position)
);

CREATE TABLE tags (
    id   SERIAL PRIMARY KEY,
    name VARCHAR(50) NOT NULL UNIQUE
);

CREATE TABLE thought_tags (
    thought_id UUID    NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (thought_id, tag_id)
);
CREATE INDEX thought_tags_tag_id_idx ON thought_tags (tag_id);

CREATE TABLE api_keys (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_hash   TEXT        NOT NULL UNIQUE,
    name       VARCHAR(50) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);
