-- Deleting a thought leaves a tombstone, so replies keep their place in the thread.
ALTER TABLE thoughts ADD COLUMN deleted_at TIMESTAMPTZ;

-- Who a thought mentions: they are notified, and they may see it whatever its visibility.
CREATE TABLE thought_mentions (
    thought_id UUID NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (thought_id, user_id)
);
CREATE INDEX thought_mentions_user_id_idx ON thought_mentions (user_id);

-- Followers and following lists, newest first.
ALTER TABLE follows ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT NOW();
CREATE INDEX follows_follower_created_idx ON follows (follower_id, created_at DESC);

-- The public timeline reads only live public thoughts.
CREATE INDEX thoughts_public_live_idx ON thoughts (created_at DESC, id DESC)
    WHERE visibility = 'public' AND deleted_at IS NULL;
