-- See 001_installs.sqlite.sql.
CREATE TABLE installs_tokens (
  token_hash BYTEA PRIMARY KEY,
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  last_day INTEGER NOT NULL
);
