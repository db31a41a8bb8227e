-- Per-server delivery health (issue #15). A server whose deliveries keep failing for long
-- enough (a week by default) is marked unavailable: nothing is queued for it while it is
-- down, and it is available again as soon as it sends us anything (as Mastodon does).

-- The server part of an address, lower-case: `host` or `host:port` (what health is kept by).
CREATE FUNCTION url_authority(url TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(substring(url from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#]+)')) $$;

CREATE TABLE federation_servers (
    host              TEXT PRIMARY KEY,     -- url_authority() of its inboxes
    failing_since     TIMESTAMPTZ,          -- the first failure since it last answered (NULL: none)
    failures          INTEGER     NOT NULL DEFAULT 0 CHECK (failures >= 0),   -- failed attempts since then
    last_failure_at   TIMESTAMPTZ,
    last_success_at   TIMESTAMPTZ,          -- the last delivery it took
    unavailable_since TIMESTAMPTZ,          -- NULL: available
    dropped           BIGINT      NOT NULL DEFAULT 0 CHECK (dropped >= 0)      -- deliveries not queued while unavailable
);
CREATE INDEX federation_servers_unavailable_idx ON federation_servers (host) WHERE unavailable_since IS NOT NULL;
