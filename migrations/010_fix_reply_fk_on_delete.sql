-- Deleting a thought must not fail (or take its replies with it): replies keep
-- their row and lose the link.
ALTER TABLE thoughts DROP CONSTRAINT thoughts_reply_to_fkey;
ALTER TABLE thoughts
    ADD CONSTRAINT thoughts_reply_to_fkey
    FOREIGN KEY (reply_to) REFERENCES thoughts(id) ON DELETE SET NULL;
