package verification

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// API key kinds.
const (
	KindAdmin  = "admin"  // issue and manage codes (/api/issue, …)
	KindDevice = "device" // the app: /api/verify and /api/certificate
)

// APIKey describes a stored API key. The key itself is never stored: only
// its HMAC, so it cannot be shown again after CreateAPIKey.
type APIKey struct {
	ID         string
	RealmCode  string
	Kind       string
	Name       string
	CreatedAt  time.Time
	DisabledAt *time.Time
}

// ErrBadAPIKey is returned (wrapped) by AuthenticateAdminKey for a missing,
// unknown or disabled key, or a key of the wrong kind.
var ErrBadAPIKey = errors.New("invalid API key")

// CreateAPIKey makes a new key of kind (KindAdmin or KindDevice) for the
// realm and returns it in clear, once. Keys of the national realm act for
// every realm.
func (s *Server) CreateAPIKey(ctx context.Context, realmCode, kind, name string) (string, error) {
	if kind != KindAdmin && kind != KindDevice {
		return "", fmt.Errorf("create API key: kind %q: want %q or %q", kind, KindAdmin, KindDevice)
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", errors.New("create API key: name must be 1 to 200 characters")
	}
	if _, err := s.Realm(ctx, realmCode); err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	// The format is not a contract (as in the reference): a kind hint and
	// 256 random bits.
	plain := "bz" + kind[:1] + "." + randomToken(32)
	_, err := s.db.Exec(ctx, `INSERT INTO verification_api_keys (id, realm_code, kind, name, key_hmac, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, newID(), realmCode, kind, name, mac(s.keys.apiKeyMAC, plain), s.now().Unix())
	if err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	return plain, nil
}

// ListAPIKeys returns the realm's keys (all realms when realmCode is ""),
// without their secrets.
func (s *Server) ListAPIKeys(ctx context.Context, realmCode string) ([]APIKey, error) {
	q := `SELECT id, realm_code, kind, name, created_at, disabled_at FROM verification_api_keys`
	var args []any
	if realmCode != "" {
		q += ` WHERE realm_code = ?`
		args = append(args, realmCode)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY realm_code, created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var created int64
		var disabled sql.NullInt64
		if err := rows.Scan(&k.ID, &k.RealmCode, &k.Kind, &k.Name, &created, &disabled); err != nil {
			return nil, fmt.Errorf("list API keys: %w", err)
		}
		k.CreatedAt = time.Unix(created, 0).UTC()
		if disabled.Valid {
			t := time.Unix(disabled.Int64, 0).UTC()
			k.DisabledAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// DisableAPIKey stops the key with the given ID from authenticating, at once
// and for good.
func (s *Server) DisableAPIKey(ctx context.Context, id string) error {
	res, err := s.db.Exec(ctx, `UPDATE verification_api_keys SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`,
		s.now().Unix(), id)
	if err != nil {
		return fmt.Errorf("disable API key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("disable API key %s: no such enabled key", id)
	}
	return nil
}

// authKey is an authenticated caller.
type authKey struct {
	id    string
	realm string
	kind  string
}

func (k *authKey) national() bool { return k.realm == NationalRealm }

// authenticate looks the key up by its HMAC. It returns ErrBadAPIKey for
// anything that is not an enabled key of the wanted kind.
func (s *Server) authenticate(ctx context.Context, plain, kind string) (*authKey, error) {
	if plain == "" || len(plain) > 256 {
		return nil, ErrBadAPIKey
	}
	var k authKey
	var disabled sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT id, realm_code, kind, disabled_at FROM verification_api_keys WHERE key_hmac = ?`,
		mac(s.keys.apiKeyMAC, plain)).Scan(&k.id, &k.realm, &k.kind, &disabled)
	switch {
	case isNoRows(err):
		return nil, ErrBadAPIKey
	case err != nil:
		return nil, fmt.Errorf("authenticate API key: %w", err)
	case disabled.Valid || k.kind != kind:
		return nil, ErrBadAPIKey
	}
	return &k, nil
}

// AuthenticateAdminKey returns the realm of an enabled admin key ("VN" for
// national keys), or an error wrapping ErrBadAPIKey.
func (s *Server) AuthenticateAdminKey(ctx context.Context, apiKey string) (string, error) {
	k, err := s.authenticate(ctx, apiKey, KindAdmin)
	if err != nil {
		return "", err
	}
	return k.realm, nil
}

type keyedHandler func(w http.ResponseWriter, r *http.Request, key *authKey)

func (s *Server) withKey(kind string, h keyedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, err := s.authenticate(r.Context(), r.Header.Get("X-API-Key"), kind)
		if errors.Is(err, ErrBadAPIKey) {
			err = apiErr(http.StatusUnauthorized, ErrUnauthorized, "invalid API key")
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, key)
	}
}

func (s *Server) deviceAPI(h keyedHandler) http.HandlerFunc { return s.withKey(KindDevice, h) }
func (s *Server) adminAPI(h keyedHandler) http.HandlerFunc  { return s.withKey(KindAdmin, h) }

// actingRealm resolves the realm an admin request acts for: a province key
// only for its own realm; a national key for the named realm, or "VN".
func (s *Server) actingRealm(ctx context.Context, key *authKey, requested string) (string, error) {
	if requested == "" {
		return key.realm, nil
	}
	if !key.national() && requested != key.realm {
		return "", apiErr(http.StatusForbidden, ErrRealmForbidden, "this API key may act only for realm %s", key.realm)
	}
	if _, err := s.Realm(ctx, requested); err != nil {
		if errors.Is(err, errNoRealm) {
			return "", apiErr(http.StatusBadRequest, ErrInvalidRealm, "unknown realm %q", requested)
		}
		return "", err
	}
	return requested, nil
}
