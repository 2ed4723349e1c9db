-- Indexes that let every list and report query read rows in the order it
-- returns them (checked by TestQueryPlans):
-- the unfiltered case list, newest first within a province;
CREATE INDEX portal_cases_province ON portal_cases (province, id);
-- a province's daily counters over a range of days;
CREATE INDEX portal_daily_province ON portal_daily (province, day, district);
-- and the national ones, in (day, province, district) order.
DROP INDEX portal_daily_day;
CREATE INDEX portal_daily_day ON portal_daily (day, province, district);
