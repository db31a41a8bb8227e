-- The client API's streaming (Mastodon's `update`, `notification`, `delete`, `status.update`)
-- rides on migration 018's channel: the announcements now say WHICH thought or notification,
-- and also announce edits, deletions and revoked keys. Each server process decides, per
-- connected viewer, what of it that viewer may be sent (app/src/backend/live.rs).
--
-- Payloads added or extended:
--   {"kind":"unread","user":<uuid>,"notification":<uuid or null>}   set when one arrived
--   {"kind":"thought","id":<uuid>,"author":<uuid>,"visibility":<text>}
--   {"kind":"thought_edited","id":<uuid>,"author":<uuid>,"visibility":<text>}
--   {"kind":"thought_deleted","id":<uuid>,"author":<uuid>,"visibility":<text>,
--    "tags":[<text>…],"mentioned":[<uuid>…]}
--       its tags and mentions as they were: deleting a thought removes them in the same
--       transaction, before anyone reads the announcement
--   {"kind":"key_revoked","key":<uuid>}   streams opened with that key end

CREATE OR REPLACE FUNCTION announce_notifications_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('thoughtspace_events',
        json_build_object(
            'kind', 'unread',
            'user', COALESCE(NEW.user_id, OLD.user_id),
            'notification', CASE WHEN TG_OP = 'INSERT' THEN NEW.id END)::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION announce_new_thought() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('thoughtspace_events',
        json_build_object('kind', 'thought', 'id', NEW.id, 'author', NEW.user_id,
                          'visibility', NEW.visibility)::text);
    RETURN NULL;
END;
$$;

CREATE FUNCTION announce_changed_thought() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
        PERFORM pg_notify('thoughtspace_events',
            json_build_object(
                'kind', 'thought_deleted', 'id', NEW.id, 'author', NEW.user_id,
                'visibility', NEW.visibility,
                'tags', (SELECT coalesce(json_agg(g.name), '[]'::json)
                           FROM thought_tags tt JOIN tags g ON g.id = tt.tag_id
                          WHERE tt.thought_id = NEW.id),
                'mentioned', (SELECT coalesce(json_agg(m.user_id), '[]'::json)
                                FROM thought_mentions m WHERE m.thought_id = NEW.id))::text);
    ELSIF NEW.deleted_at IS NULL
          AND (OLD.content IS DISTINCT FROM NEW.content
               OR OLD.content_html IS DISTINCT FROM NEW.content_html) THEN
        PERFORM pg_notify('thoughtspace_events',
            json_build_object('kind', 'thought_edited', 'id', NEW.id, 'author', NEW.user_id,
                              'visibility', NEW.visibility)::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER thoughts_announce_change
    AFTER UPDATE OF content, content_html, deleted_at ON thoughts
    FOR EACH ROW EXECUTE FUNCTION announce_changed_thought();

CREATE FUNCTION announce_revoked_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('thoughtspace_events',
        json_build_object('kind', 'key_revoked', 'key', OLD.id)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_announce_revoked
    AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION announce_revoked_key();
