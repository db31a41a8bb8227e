-- The length limit moves into the application (user-perceived characters, not bytes or
-- code points); remote notes may be longer.
ALTER TABLE thoughts ALTER COLUMN content TYPE TEXT;
