-- The Mastodon-compatible client API: API keys (001) gain scopes, last use and the app that
-- obtained them through OAuth; registered apps and their short-lived authorization codes.

CREATE TABLE oauth_apps (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id          TEXT        NOT NULL UNIQUE,
    client_secret_hash TEXT        NOT NULL,
    name               VARCHAR(100) NOT NULL,
    website            TEXT,
    redirect_uris      TEXT        NOT NULL,   -- one per line
    scopes             TEXT        NOT NULL,   -- space-separated
    created_at         TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

ALTER TABLE api_keys
    ADD COLUMN scopes       TEXT        NOT NULL DEFAULT 'read write follow push',
    ADD COLUMN last_used_at TIMESTAMPTZ,
    ADD COLUMN app_id       UUID REFERENCES oauth_apps(id) ON DELETE CASCADE;
-- An app's own token (OAuth client_credentials) acts for the app, not for a person.
ALTER TABLE api_keys ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_person_or_app CHECK (user_id IS NOT NULL OR app_id IS NOT NULL);

-- An authorization code: shown once to the app, only its hash kept, valid ten minutes.
CREATE TABLE oauth_codes (
    code_hash      TEXT PRIMARY KEY,
    app_id         UUID        NOT NULL REFERENCES oauth_apps(id) ON DELETE CASCADE,
    user_id        UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri   TEXT        NOT NULL,
    scopes         TEXT        NOT NULL,
    code_challenge TEXT,                       -- PKCE (S256), when the app sent one
    expires_at     TIMESTAMPTZ NOT NULL
);
