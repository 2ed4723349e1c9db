package verification

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// RealmPublicKey is one realm signing key as the key server needs it.
// Certificates signed with a key all have iat < RetiredAt.
type RealmPublicKey struct {
	RealmCode    string
	Issuer       string
	Audience     string
	KeyVersion   string // "v1", "v2", … (the certificate's kid)
	PublicKeyPEM string
	CreatedAt    time.Time
	RetiredAt    *time.Time // nil while the key is the realm's active one
}

// realmSigner is a realm's active private key with the claims it signs.
type realmSigner struct {
	version  string
	key      *ecdsa.PrivateKey
	issuer   string
	audience string
	loaded   time.Time
}

// signerCacheTTL bounds how long a replica keeps signing with a key another
// replica has since retired.
const signerCacheTTL = time.Minute

// addSigningKey makes a new P-256 key for realm, retires the active one and
// returns the new version number. Run inside the caller's transaction.
func (s *Server) addSigningKey(ctx context.Context, tx *store.Tx, realm string) (int, error) {
	var maxVersion sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT MAX(version) FROM verification_signing_keys WHERE realm_code = ?`,
		realm).Scan(&maxVersion); err != nil {
		return 0, fmt.Errorf("signing key of %s: %w", realm, err)
	}
	version := int(maxVersion.Int64) + 1
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return 0, fmt.Errorf("generate signing key: %w", err)
	}
	pubPEM, err := publicKeyPEM(&key.PublicKey)
	if err != nil {
		return 0, err
	}
	sealed, err := s.keys.sealPrivateKey(realm, version, key)
	if err != nil {
		return 0, err
	}
	now := s.now().Unix()
	if _, err := tx.Exec(ctx, `UPDATE verification_signing_keys SET retired_at = ?
		WHERE realm_code = ? AND retired_at IS NULL`, now, realm); err != nil {
		return 0, fmt.Errorf("retire signing key of %s: %w", realm, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO verification_signing_keys
		(realm_code, version, public_pem, private_sealed, created_at) VALUES (?, ?, ?, ?, ?)`,
		realm, version, pubPEM, sealed, now); err != nil {
		return 0, fmt.Errorf("store signing key of %s: %w", realm, err)
	}
	return version, nil
}

// RotateSigningKey gives the realm a new active signing key and retires the
// old one, which PublicKeys keeps listing for Config.RetiredKeyRetention so
// certificates it signed stay verifiable until they expire. It returns the
// new version ("v2", …).
func (s *Server) RotateSigningKey(ctx context.Context, realmCode string) (string, error) {
	if _, err := s.Realm(ctx, realmCode); err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	var version int
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		version, err = s.addSigningKey(ctx, tx, realmCode)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	s.signersMu.Lock()
	delete(s.signers, realmCode)
	s.signersMu.Unlock()
	return "v" + strconv.Itoa(version), nil
}

// PublicKeys lists every realm's active and retained retired public keys,
// ordered by realm and version.
func (s *Server) PublicKeys(ctx context.Context) ([]RealmPublicKey, error) {
	rows, err := s.db.Query(ctx, `SELECT k.realm_code, r.issuer, r.audience, k.version, k.public_pem,
		k.created_at, k.retired_at
		FROM verification_signing_keys k JOIN verification_realms r ON r.code = k.realm_code
		ORDER BY k.realm_code, k.version`)
	if err != nil {
		return nil, fmt.Errorf("public keys: %w", err)
	}
	defer rows.Close()
	var out []RealmPublicKey
	for rows.Next() {
		var k RealmPublicKey
		var version int
		var created int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.RealmCode, &k.Issuer, &k.Audience, &version, &k.PublicKeyPEM, &created, &retired); err != nil {
			return nil, fmt.Errorf("public keys: %w", err)
		}
		k.KeyVersion = "v" + strconv.Itoa(version)
		k.CreatedAt = time.Unix(created, 0).UTC()
		if retired.Valid {
			t := time.Unix(retired.Int64, 0).UTC()
			k.RetiredAt = &t
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("public keys: %w", err)
	}
	return out, nil
}

// signerFor returns the realm's active signing key, cached for a minute.
func (s *Server) signerFor(ctx context.Context, realm string) (*realmSigner, error) {
	now := s.now()
	s.signersMu.Lock()
	sg := s.signers[realm]
	s.signersMu.Unlock()
	if sg != nil && now.Sub(sg.loaded) < signerCacheTTL && now.Sub(sg.loaded) >= 0 {
		return sg, nil
	}
	var version int
	var sealed []byte
	sg = &realmSigner{loaded: now}
	err := s.db.QueryRow(ctx, `SELECT k.version, k.private_sealed, r.issuer, r.audience
		FROM verification_signing_keys k JOIN verification_realms r ON r.code = k.realm_code
		WHERE k.realm_code = ? AND k.retired_at IS NULL ORDER BY k.version DESC LIMIT 1`, realm).
		Scan(&version, &sealed, &sg.issuer, &sg.audience)
	if err != nil {
		return nil, fmt.Errorf("signing key of realm %s: %w", realm, err)
	}
	if sg.key, err = s.keys.openPrivateKey(realm, version, sealed); err != nil {
		return nil, err
	}
	sg.version = "v" + strconv.Itoa(version)
	s.signersMu.Lock()
	s.signers[realm] = sg
	s.signersMu.Unlock()
	return sg, nil
}
