-- Profile metadata fields (Mastodon's "fields", ActivityPub PropertyValue attachments): up to
-- four name/value pairs per person, in order. A local person's value is the text they typed
-- (links are made when it is shown); a remote person's is HTML already cleaned on arrival.
-- verified_at: when the linked page was seen linking back with rel="me" (none checked yet).
-- The rules (at most four, lengths) are in app/src/backend/profile_fields.rs.
CREATE TABLE profile_fields (
    user_id     UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position    SMALLINT    NOT NULL CHECK (position BETWEEN 0 AND 3),
    name        TEXT        NOT NULL,
    value       TEXT        NOT NULL,
    verified_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, position)
);

-- Mastodon's hide_collections: the followers and following collections show only their size.
ALTER TABLE users ADD COLUMN hide_collections BOOLEAN NOT NULL DEFAULT false;
