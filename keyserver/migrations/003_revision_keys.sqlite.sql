-- AES-256 keys for revision tokens, each stored encrypted (AES-GCM) under
-- the server secret. Tokens name their key by kid.
CREATE TABLE revision_keys (
  kid TEXT PRIMARY KEY,
  wrapped_key BLOB NOT NULL,
  created_at BIGINT NOT NULL
);
