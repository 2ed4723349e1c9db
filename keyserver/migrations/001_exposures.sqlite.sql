-- Published diagnosis keys (see docs/notes CONTRACTS.md "Exposure table").
-- The export worker reads and deletes these rows; nothing else about a
-- publish (no request metadata, no IP, no app instance) is stored.
CREATE TABLE exposures (
  exposure_key BLOB PRIMARY KEY,
  rolling_start INTEGER NOT NULL,
  rolling_period INTEGER NOT NULL,
  transmission_risk INTEGER NOT NULL,
  report_type INTEGER NOT NULL,
  days_since_onset INTEGER,
  health_authority TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revised_report_type INTEGER,
  revised_days_since_onset INTEGER,
  revised_transmission_risk INTEGER,
  revised_at BIGINT
);
CREATE INDEX exposures_created_at ON exposures (created_at);
CREATE INDEX exposures_revised_at ON exposures (revised_at);
