-- Leave room in every heap page so that updating a token's last check-in,
-- or a counter row, can keep the new row version on the same page (a HOT
-- update: no new index entries, less WAL), which is what nearly every
-- check-in does. SQLite updates rows in place and needs nothing of the kind.
ALTER TABLE installs_tokens SET (fillfactor = 70);
ALTER TABLE installs_daily SET (fillfactor = 70);
