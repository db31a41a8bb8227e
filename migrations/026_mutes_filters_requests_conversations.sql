-- Safety tools of the client API second pass (issues #16 and #18): mutes, keyword filters,
-- follow requests for locked accounts, and conversations' read state.

-- A person mutes another: the muted person's thoughts and boosts leave the muter's
-- timelines (not their profile nor their links); with `hide_notifications`, their
-- notifications too. A mute with `expires_at` stops applying at that time (every read
-- compares with now(); nothing has to run for it to end).
CREATE TABLE mutes (
    muter_id           UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    muted_id           UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hide_notifications BOOLEAN     NOT NULL DEFAULT true,
    expires_at         TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (muter_id, muted_id),
    CHECK (muter_id <> muted_id)
);
CREATE INDEX mutes_muted_id_idx ON mutes (muted_id);

-- A muted conversation, named by the first thought of its thread: nothing in it notifies.
CREATE TABLE thread_mutes (
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    root_id    UUID        NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, root_id)
);

-- Keyword filters (Mastodon's filters v2): in the contexts named, a thought matching a
-- keyword is hidden (`hide`) or collapsed behind the filter's title (`warn`).
CREATE TABLE filters (
    id         UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    contexts   TEXT[]      NOT NULL
               CHECK (cardinality(contexts) > 0
                      AND contexts <@ ARRAY['home', 'notifications', 'public', 'thread', 'account']),
    action     TEXT        NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide')),
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX filters_user_id_idx ON filters (user_id);

CREATE TABLE filter_keywords (
    id         UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    filter_id  UUID        NOT NULL REFERENCES filters(id) ON DELETE CASCADE,
    keyword    TEXT        NOT NULL CHECK (char_length(keyword) BETWEEN 1 AND 200),
    whole_word BOOLEAN     NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX filter_keywords_filter_id_idx ON filter_keywords (filter_id);

-- "Manually approve followers": a follow of a locked account waits (`pending`) until they
-- accept it; `manuallyApprovesFollowers` on their actor tells other servers.
ALTER TABLE users ADD COLUMN locked BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX follows_pending_idx ON follows (following_id, created_at DESC) WHERE state = 'pending';

-- Conversations (threads of direct messages, named by their first thought), as each
-- participant left them: read up to `read_at`, hidden from the list until a message newer
-- than `hidden_at` arrives.
CREATE TABLE conversation_states (
    user_id   UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    root_id   UUID        NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    read_at   TIMESTAMPTZ,
    hidden_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, root_id)
);
