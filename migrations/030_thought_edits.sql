-- Editing a thought (Mastodon's status edits, ActivityPub's Update of a Note): the thought
-- keeps its id, place, visibility and reply target; `edited_at` says when it last changed,
-- and every earlier version is kept in `thought_edits` (the edit history), the original
-- included. The current version is the thought itself.
ALTER TABLE thoughts ADD COLUMN edited_at TIMESTAMPTZ;

CREATE TABLE thought_edits (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thought_id   UUID        NOT NULL REFERENCES thoughts(id) ON DELETE CASCADE,
    content      TEXT        NOT NULL,
    -- A remote note's cleaned HTML (NULL for a local thought, plain text).
    content_html TEXT,
    -- Its content warning and sensitivity at the time (content warnings: issue #16).
    summary      TEXT,
    sensitive    BOOLEAN     NOT NULL DEFAULT false,
    -- When this version was written: the thought's creation, or the edit that made it.
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX thought_edits_thought_idx ON thought_edits (thought_id, created_at, id);

-- An edit announces `thought_edited` even when only the content warning changed (the
-- stream's `status.update`): `edited_at` moves with every edit.
CREATE OR REPLACE FUNCTION announce_changed_thought() RETURNS trigger
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
               OR OLD.content_html IS DISTINCT FROM NEW.content_html
               OR OLD.edited_at IS DISTINCT FROM NEW.edited_at) THEN
        PERFORM pg_notify('thoughtspace_events',
            json_build_object('kind', 'thought_edited', 'id', NEW.id, 'author', NEW.user_id,
                              'visibility', NEW.visibility)::text);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER thoughts_announce_change ON thoughts;
CREATE TRIGGER thoughts_announce_change
    AFTER UPDATE OF content, content_html, deleted_at, edited_at ON thoughts
    FOR EACH ROW EXECUTE FUNCTION announce_changed_thought();
