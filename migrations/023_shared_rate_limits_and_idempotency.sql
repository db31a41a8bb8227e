-- Rate limits shared by every server process: one row per caller and fixed window, bumped
-- by an upsert per request. Unlogged: counters need no crash safety, and skip the WAL.
CREATE UNLOGGED TABLE rate_limit_windows (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (scope, key, window_start)
);
CREATE INDEX rate_limit_windows_by_start ON rate_limit_windows (window_start);

-- Writes a client may retry ("stored but answered 500"): the first result of a key is kept
-- for a day and handed back to a repeat. Scope 'web' (a form's one-time token) or 'api'
-- (the Idempotency-Key header); keys are the caller's, so they are per user.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL CHECK (scope IN ('web', 'api')),
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- What the first request made (a thought's id for the compose form); NULL while it runs.
    result JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, user_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
