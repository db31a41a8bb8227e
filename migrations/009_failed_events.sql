-- Dead-letter queue: events whose delivery failed after all retries, kept for inspection and replay.
CREATE TABLE failed_events (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type      TEXT        NOT NULL,          -- e.g. the activity type being delivered
    target_url      TEXT,                          -- e.g. the inbox it was meant for
    payload         JSONB       NOT NULL,
    error           TEXT        NOT NULL,          -- the last failure
    attempts        INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_attempt_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX failed_events_created_at_idx ON failed_events (created_at DESC);
