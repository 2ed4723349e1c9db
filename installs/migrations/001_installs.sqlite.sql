-- Install tokens: only an HMAC of the device's random token, where it last
-- checked in and the day number (days since 1970-01-01, UTC+7) of that
-- check-in. No IP, no time of day, no device identifier.
CREATE TABLE installs_tokens (
  token_hash BLOB PRIMARY KEY,
  province TEXT NOT NULL,
  district TEXT NOT NULL,          -- '' when the device gave none
  last_day INTEGER NOT NULL
);
