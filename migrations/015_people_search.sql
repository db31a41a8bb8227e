-- People search ranks the names nearest to the query through these (a k-nearest-neighbour
-- scan, `name <-> query`), instead of computing the similarity of every matching account:
-- with many alike names ("user1" … "user9999") that was the whole table.
CREATE INDEX users_username_trgm_gist_idx ON users USING gist (username gist_trgm_ops);
CREATE INDEX users_display_name_trgm_gist_idx ON users USING gist (display_name gist_trgm_ops);
