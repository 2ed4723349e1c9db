-- Tables of the export worker (component "export"). The exposures table it
-- reads belongs to the key server.

-- One row per closed batch [start_time, end_time): status 'complete' while
-- its files are live, 'deleted' once retention removed them. An empty range
-- is recorded as one row without files, so the worker knows it was done.
-- files lists the batch's blob names, one per line, in order.
CREATE TABLE export_batches (
  start_time BIGINT PRIMARY KEY,
  end_time BIGINT NOT NULL,
  status TEXT NOT NULL,
  files TEXT NOT NULL,
  key_count INTEGER NOT NULL,
  padding_count INTEGER NOT NULL,
  revised_count INTEGER NOT NULL,
  built_at BIGINT NOT NULL
);
CREATE INDEX export_batches_end ON export_batches (end_time);

-- Fake keys padding a small batch, kept so that rebuilding the batch
-- produces the same keys. They copy the fields of real keys of the batch.
CREATE TABLE export_padding (
  batch_start BIGINT NOT NULL,
  exposure_key BLOB NOT NULL,
  rolling_start INTEGER NOT NULL,
  rolling_period INTEGER NOT NULL,
  transmission_risk INTEGER NOT NULL,
  report_type INTEGER NOT NULL,
  days_since_onset INTEGER,
  PRIMARY KEY (batch_start, exposure_key)
);

-- Leases: the row named 'export' is held by at most one worker (replica)
-- until expires_at (unix seconds).
CREATE TABLE export_locks (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
