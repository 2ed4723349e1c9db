-- Health authorities (certificate issuers), their ES256 verification keys,
-- the apps allowed to publish, and the keys that encrypt revision tokens.
CREATE TABLE health_authorities (
  issuer TEXT PRIMARY KEY,
  audience TEXT NOT NULL,
  name TEXT NOT NULL
);
CREATE TABLE health_authority_keys (
  issuer TEXT NOT NULL REFERENCES health_authorities (issuer) ON DELETE CASCADE,
  version TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_thru BIGINT,
  PRIMARY KEY (issuer, version)
);
CREATE TABLE authorized_apps (
  app_id TEXT PRIMARY KEY,
  all_health_authorities INTEGER NOT NULL
);
CREATE TABLE authorized_app_health_authorities (
  app_id TEXT NOT NULL REFERENCES authorized_apps (app_id) ON DELETE CASCADE,
  issuer TEXT NOT NULL,
  PRIMARY KEY (app_id, issuer)
);
