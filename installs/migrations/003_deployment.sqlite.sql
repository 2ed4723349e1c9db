-- Deployment reports: agencies/units per province, campaigns with
-- deadlines (province 'VN' = every province), and units' reports.
CREATE TABLE installs_agencies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  province TEXT NOT NULL,
  name TEXT NOT NULL,
  UNIQUE (province, name)
);
CREATE TABLE installs_campaigns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  province TEXT NOT NULL,
  name TEXT NOT NULL,
  start_day INTEGER NOT NULL,
  guidance_day INTEGER,
  reports_day INTEGER NOT NULL
);
CREATE TABLE installs_unit_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL REFERENCES installs_campaigns (id),
  agency_id INTEGER NOT NULL REFERENCES installs_agencies (id),
  day INTEGER NOT NULL,
  staff BIGINT NOT NULL,
  installed BIGINT NOT NULL,
  submitted_day INTEGER NOT NULL,
  UNIQUE (campaign_id, agency_id, day)
);
