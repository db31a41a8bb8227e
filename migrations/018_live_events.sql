-- Live updates for open pages (server-sent events): every change that a page may want to
-- show without a reload is announced on one channel, by the database itself, so no insert
-- path can forget it. NOTIFY is transactional: a rolled-back write announces nothing.
--
-- Payloads are small JSON objects the server fans out to the connected browsers:
--   {"kind":"unread","user":<uuid>}     someone's notifications changed (new, read, dismissed)
--   {"kind":"thought","author":<uuid>,"visibility":<text>}   a thought was stored

CREATE FUNCTION announce_notifications_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('thoughtspace_events',
        json_build_object('kind', 'unread', 'user', COALESCE(NEW.user_id, OLD.user_id))::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER notifications_announce
    AFTER INSERT OR UPDATE OF read OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION announce_notifications_change();

CREATE FUNCTION announce_new_thought() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('thoughtspace_events',
        json_build_object('kind', 'thought', 'author', NEW.user_id, 'visibility', NEW.visibility)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER thoughts_announce
    AFTER INSERT ON thoughts
    FOR EACH ROW EXECUTE FUNCTION announce_new_thought();
