-- Per (province, district, day) counters, maintained incrementally by the
-- check-in writer. district '*' is the whole province (province 'VN',
-- district '*' the nation), '' check-ins without a district. Rows exist for every day of every check-in's active window
-- [day, day+N-1]; a day without a row reads as the latest earlier row with
-- active = 0 and new_installs = 0.
--   new_installs: tokens first seen that day here
--   installs:     devices located here (last check-in) at the end of the day
--   active:       devices located here whose last check-in is within N days
CREATE TABLE installs_daily (
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  day INTEGER NOT NULL,
  new_installs BIGINT NOT NULL,
  installs BIGINT NOT NULL,
  active BIGINT NOT NULL,
  PRIMARY KEY (province, district, day)
);
CREATE INDEX installs_daily_day ON installs_daily (day, district);

-- Operator-loaded denominators; NULL = use the default (census, census ×
-- adult share, unknown). district '' is the province row.
CREATE TABLE installs_denominators (
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  population BIGINT,
  adults BIGINT,
  smartphones BIGINT,
  PRIMARY KEY (province, district)
);

-- Targets: scope 'VN' (national) or a province code.
CREATE TABLE installs_targets (
  scope TEXT PRIMARY KEY,
  rate DOUBLE PRECISION NOT NULL,
  denominator_kind TEXT NOT NULL,
  target_day INTEGER NOT NULL
);

-- Officially reported figures imported from CSV, kept apart from counts.
-- district '' is the province total as reported.
CREATE TABLE installs_official (
  province TEXT NOT NULL,
  day INTEGER NOT NULL,
  district TEXT NOT NULL,
  installs BIGINT NOT NULL,
  PRIMARY KEY (province, day, district)
);
