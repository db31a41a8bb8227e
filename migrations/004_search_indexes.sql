-- Trigram indexes for search over users, thoughts and tags (pg_trgm is a trusted extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_username_trgm_idx     ON users    USING gin (username gin_trgm_ops);
CREATE INDEX users_display_name_trgm_idx ON users    USING gin (display_name gin_trgm_ops);
CREATE INDEX thoughts_content_trgm_idx   ON thoughts USING gin (content gin_trgm_ops);
CREATE INDEX tags_name_trgm_idx          ON tags     USING gin (name gin_trgm_ops);
