-- Log-in throttling reserves an attempt before checking the password (so concurrent guesses
-- cannot all pass one check) and gives it back on success: rows need an id to be given
-- back. Failures now also count per account and client address together (so nobody can
-- lock an owner out from another address), and refused sign-ups per client address.
ALTER TABLE login_failures ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check;
ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check
    CHECK (scope IN ('account', 'address', 'account_address', 'signup'));
