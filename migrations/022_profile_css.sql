-- Profile CSS, second pass (issue #14).
--
-- The owner's CSS as typed, beside the sanitized output (`custom_css`, the only form ever
-- served): the settings page shows the source, and saving it again gives the same sheet.
ALTER TABLE users ADD COLUMN custom_css_source TEXT;

-- A sheet of whitespace only linked a one-byte stylesheet: nothing is stored for it now.
UPDATE users SET custom_css = NULL WHERE custom_css IS NOT NULL AND btrim(custom_css, E' \t\r\n\f') = '';

-- Local copies of the images profile CSS names, fetched once when the CSS is saved (or
-- previewed), checked, re-encoded and served from this site, so that no stylesheet makes a
-- visitor's browser ask another host for anything. Content-addressed: the SHA-256 of the
-- re-encoded bytes names the copy (`/media/css/{sha256}.{ext}`).
CREATE TABLE css_images (
    sha256       TEXT        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type TEXT        NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    bytes        BYTEA       NOT NULL,
    width        INTEGER     NOT NULL CHECK (width > 0),
    height       INTEGER     NOT NULL CHECK (height > 0),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Which address each owner's CSS named and what it became: a copy, or the reason there is
-- none. The cache of previews and saves (an address is fetched once per owner), the count
-- behind the hourly limit of fetches, and what keeps a copy alive: copies no row names are
-- deleted.
CREATE TABLE css_image_sources (
    owner_id   UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url        TEXT        NOT NULL,
    sha256     TEXT        REFERENCES css_images(sha256) ON DELETE CASCADE,
    refusal    TEXT,
    -- Named by the saved CSS (else only by a preview, and let go after a while).
    in_use     BOOLEAN     NOT NULL DEFAULT false,
    fetched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, url),
    CHECK ((sha256 IS NULL) <> (refusal IS NULL))
);
CREATE INDEX css_image_sources_sha256 ON css_image_sources (sha256);
CREATE INDEX css_image_sources_fetched ON css_image_sources (owner_id, fetched_at);
