-- ActivityPub federation columns: remote users live in `users` beside local ones.
ALTER TABLE users
    ADD COLUMN ap_id     TEXT UNIQUE,                    -- the actor's ActivityPub id (URL)
    ADD COLUMN inbox_url TEXT,
    ADD COLUMN is_remote BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE thoughts
    ADD COLUMN ap_id TEXT UNIQUE;                        -- AP object URL for remote notes
