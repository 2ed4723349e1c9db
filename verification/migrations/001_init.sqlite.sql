-- Verification service schema (component "verification").
-- Codes, long codes, tokens and API keys are stored only as HMAC-SHA256
-- digests; private signing keys only sealed with AES-GCM.

CREATE TABLE verification_realms (
  code TEXT PRIMARY KEY,               -- GSO province code or "VN"
  name TEXT NOT NULL,
  issuer TEXT NOT NULL UNIQUE,         -- certificate iss
  audience TEXT NOT NULL,              -- certificate aud
  allowed_test_types TEXT NOT NULL,    -- comma-separated
  require_date INTEGER NOT NULL DEFAULT 0,
  daily_quota INTEGER NOT NULL,        -- codes per UTC day; 0 = unlimited
  created_at BIGINT NOT NULL
);

CREATE TABLE verification_signing_keys (
  realm_code TEXT NOT NULL REFERENCES verification_realms (code),
  version INTEGER NOT NULL,
  public_pem TEXT NOT NULL,
  private_sealed BLOB NOT NULL,          -- AES-GCM(nonce || ciphertext) of PKCS#8
  created_at BIGINT NOT NULL,
  retired_at BIGINT,                   -- NULL while active
  PRIMARY KEY (realm_code, version)
);

CREATE TABLE verification_api_keys (
  id TEXT PRIMARY KEY,
  realm_code TEXT NOT NULL REFERENCES verification_realms (code),
  kind TEXT NOT NULL CHECK (kind IN ('admin', 'device')),
  name TEXT NOT NULL,
  key_hmac BLOB NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  disabled_at BIGINT
);

CREATE TABLE verification_codes (
  uuid TEXT PRIMARY KEY,
  realm_code TEXT NOT NULL REFERENCES verification_realms (code),
  code_hmac BLOB NOT NULL UNIQUE,
  long_code_hmac BLOB NOT NULL UNIQUE,
  test_type TEXT NOT NULL,
  symptom_date TEXT,                   -- YYYY-MM-DD or NULL
  test_date TEXT,
  external_issuer_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  long_expires_at BIGINT NOT NULL,
  claimed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX verification_codes_created_at ON verification_codes (created_at);

CREATE TABLE verification_tokens (
  token_hmac BLOB PRIMARY KEY,           -- HMAC of the token's jti
  realm_code TEXT NOT NULL REFERENCES verification_realms (code),
  subject TEXT NOT NULL,               -- testType.symptomDate.testDate
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  claimed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX verification_tokens_created_at ON verification_tokens (created_at);

CREATE TABLE verification_stats (
  realm_code TEXT NOT NULL,
  day TEXT NOT NULL,                   -- UTC YYYY-MM-DD
  codes_issued BIGINT NOT NULL DEFAULT 0,
  codes_claimed BIGINT NOT NULL DEFAULT 0,
  codes_invalid BIGINT NOT NULL DEFAULT 0,
  tokens_claimed BIGINT NOT NULL DEFAULT 0,
  tokens_invalid BIGINT NOT NULL DEFAULT 0,
  certificates_issued BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (realm_code, day)
);

CREATE TABLE verification_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
