-- Portal: staff accounts, sessions, the case registry, the codes issued from
-- cases (UUIDs only, never the codes), daily counts and the audit log.
-- No table has a column for a name or a phone number.
CREATE TABLE portal_users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  realm TEXT NOT NULL,              -- "VN" or a province code
  district TEXT NOT NULL DEFAULT '',-- case workers limited to one district
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,      -- PHC string, argon2id
  must_change INTEGER NOT NULL DEFAULT 0,
  totp_sealed TEXT NOT NULL DEFAULT '',   -- AES-GCM sealed TOTP secret
  totp_pending TEXT NOT NULL DEFAULT '',  -- sealed secret during enrolment
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  failed_count INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX portal_users_realm ON portal_users (realm, username);
CREATE TABLE portal_sessions (
  id_hash TEXT PRIMARY KEY,         -- HMAC of the cookie value
  user_id BIGINT NOT NULL,
  stage TEXT NOT NULL,              -- totp | password | ok
  created_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
CREATE TABLE portal_cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  ref TEXT NOT NULL,
  status TEXT NOT NULL,
  test_date TEXT NOT NULL DEFAULT '',
  onset_date TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  created_by BIGINT NOT NULL,
  UNIQUE (province, ref)
);
CREATE INDEX portal_cases_district ON portal_cases (province, district, id);
CREATE INDEX portal_cases_status ON portal_cases (province, status, id);
CREATE INDEX portal_cases_dstatus ON portal_cases (province, district, status, id);
CREATE TABLE portal_codes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id BIGINT NOT NULL REFERENCES portal_cases (id),
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  uuid TEXT NOT NULL UNIQUE,
  test_type TEXT NOT NULL,
  state TEXT NOT NULL,              -- pending | claimed | expired
  issued_at BIGINT NOT NULL,
  long_expires_at BIGINT NOT NULL,
  settled_at BIGINT NOT NULL DEFAULT 0,
  issued_by BIGINT NOT NULL
);
CREATE INDEX portal_codes_case ON portal_codes (case_id, id);
CREATE INDEX portal_codes_pending ON portal_codes (state, long_expires_at);
CREATE TABLE portal_daily (
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  day INTEGER NOT NULL,             -- days since 1970-01-01 in Vietnam's time
  confirmed BIGINT NOT NULL DEFAULT 0,
  suspected BIGINT NOT NULL DEFAULT 0,
  contacts BIGINT NOT NULL DEFAULT 0,
  codes_issued BIGINT NOT NULL DEFAULT 0,
  codes_claimed BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (province, district, day)
);
CREATE INDEX portal_daily_day ON portal_daily (day, province);
CREATE TABLE portal_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at BIGINT NOT NULL,
  user_id BIGINT NOT NULL DEFAULT 0,
  username TEXT NOT NULL,
  realm TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX portal_audit_at ON portal_audit (at);
CREATE INDEX portal_audit_user ON portal_audit (username, id);
CREATE INDEX portal_audit_action ON portal_audit (action, id);
CREATE INDEX portal_audit_realm ON portal_audit (realm, id);
