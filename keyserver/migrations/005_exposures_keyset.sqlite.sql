-- SQLite only: the exposures table loses its index on exposure_key.
-- Diagnosis keys are random, so in a b-tree of them every new key lands on a
-- page of its own, and each commit wrote and fsynced one 4 KiB index page per
-- key it stored. The key server's single writer now knows the stored keys
-- itself (keyserver/keyset.go: a map from key to rowid, loaded from this
-- table when it starts, under a lock that keeps it the only writer), and
-- finds rows by rowid. PostgreSQL keeps its primary key: its writers run
-- in several processes. SQLite cannot drop a primary key, so the table is
-- built again; rowids are kept.
CREATE TABLE exposures_new (
  exposure_key BLOB NOT NULL,
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
INSERT INTO exposures_new (rowid, exposure_key, rolling_start, rolling_period, transmission_risk, report_type,
  days_since_onset, health_authority, created_at, revised_report_type, revised_days_since_onset,
  revised_transmission_risk, revised_at)
SELECT rowid, exposure_key, rolling_start, rolling_period, transmission_risk, report_type,
  days_since_onset, health_authority, created_at, revised_report_type, revised_days_since_onset,
  revised_transmission_risk, revised_at
FROM exposures;
DROP TABLE exposures;
ALTER TABLE exposures_new RENAME TO exposures;
CREATE INDEX exposures_created_at ON exposures (created_at);
CREATE INDEX exposures_revised_at ON exposures (revised_at) WHERE revised_at IS NOT NULL;
