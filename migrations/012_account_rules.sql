-- Usernames and emails are unique regardless of case ("Ana" and "ana" are one person).
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Operators (`server user create --admin`).
ALTER TABLE users ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT false;

-- Deleting an account takes the blocks and notifications that involve it along
-- (001-003 left these foreign keys without ON DELETE, which made deletion fail).
ALTER TABLE blocks
    DROP CONSTRAINT blocks_blocker_id_fkey,
    ADD CONSTRAINT blocks_blocker_id_fkey FOREIGN KEY (blocker_id) REFERENCES users(id) ON DELETE CASCADE,
    DROP CONSTRAINT blocks_blocked_id_fkey,
    ADD CONSTRAINT blocks_blocked_id_fkey FOREIGN KEY (blocked_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE notifications
    DROP CONSTRAINT notifications_user_id_fkey,
    ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;

-- Failed log-ins, to throttle guessing per account and per client address; kept in the
-- database so every server process sees the same counts.
CREATE TABLE login_failures (
    scope     TEXT        NOT NULL CHECK (scope IN ('account', 'address')),
    key       TEXT        NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX login_failures_scope_key_idx ON login_failures (scope, key, failed_at DESC);
