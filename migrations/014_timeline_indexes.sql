-- A tag's timeline pages through thought_tags alone: each row carries its thought's time.
ALTER TABLE thought_tags ADD COLUMN created_at TIMESTAMPTZ;
UPDATE thought_tags tt SET created_at = t.created_at FROM thoughts t WHERE t.id = tt.thought_id;
ALTER TABLE thought_tags
    ALTER COLUMN created_at SET NOT NULL,
    ALTER COLUMN created_at SET DEFAULT NOW();
CREATE INDEX thought_tags_tag_created_idx ON thought_tags (tag_id, created_at DESC, thought_id DESC);

-- The home timeline reads the newest boosts, keeping those by people the reader follows.
CREATE INDEX boosts_created_idx ON boosts (created_at DESC, thought_id DESC);
