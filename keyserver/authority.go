package keyserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// HealthAuthority is a verification-certificate issuer the key server
// trusts: its JWT issuer ("iss"), the audience ("aud") its certificates must
// name, a display name, and its ES256 public keys by version ("kid").
type HealthAuthority struct {
	Issuer   string
	Audience string
	Name     string
	Keys     []HealthAuthorityKey
}

// HealthAuthorityKey is one ES256 public key of a health authority, named by
// Version (the JWT "kid"), valid from From until Thru (nil = no end).
type HealthAuthorityKey struct {
	Version      string
	PublicKeyPEM string
	From         time.Time
	Thru         *time.Time
}

// AuthorizedApp is an app allowed to publish: ID is what requests send as
// healthAuthorityID; the app may use certificates of every health authority
// (AllHealthAuthorities) or only of the listed issuers.
type AuthorizedApp struct {
	ID                   string
	AllHealthAuthorities bool
	HealthAuthorities    []string
}

func (a *AuthorizedApp) allows(issuer string) bool {
	if a.AllHealthAuthorities {
		return true
	}
	for _, iss := range a.HealthAuthorities {
		if iss == issuer {
			return true
		}
	}
	return false
}

// parsedAuthority is a HealthAuthority with its keys parsed, as cached.
type parsedAuthority struct {
	ha   HealthAuthority
	keys map[string][]parsedKey // by version
}

type parsedKey struct {
	pub  *ecdsa.PublicKey
	from time.Time
	thru *time.Time
}

// ParseES256PublicKey parses a PEM "PUBLIC KEY" (PKIX) block holding a P-256
// ECDSA key.
func ParseES256PublicKey(pemText string) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("public key is not ECDSA P-256")
	}
	return pub, nil
}

func (ha HealthAuthority) validate() error {
	if ha.Issuer == "" || ha.Audience == "" {
		return errors.New("health authority needs an issuer and an audience")
	}
	seen := map[string]bool{}
	for _, k := range ha.Keys {
		if k.Version == "" {
			return fmt.Errorf("health authority %q: key without version", ha.Issuer)
		}
		if seen[k.Version] {
			return fmt.Errorf("health authority %q: key version %q listed twice", ha.Issuer, k.Version)
		}
		seen[k.Version] = true
		if _, err := ParseES256PublicKey(k.PublicKeyPEM); err != nil {
			return fmt.Errorf("health authority %q key %q: %w", ha.Issuer, k.Version, err)
		}
		if k.Thru != nil && k.Thru.Before(k.From) {
			return fmt.Errorf("health authority %q key %q: valid until before valid from", ha.Issuer, k.Version)
		}
	}
	return nil
}

// UpsertHealthAuthority creates or replaces a health authority and its key
// set: keys not listed are removed, so a caller that syncs from the
// verification service passes every key, current and retired. The change is
// visible to publish requests at once on this server and within
// Config.CacheTTL on other replicas.
func (s *Server) UpsertHealthAuthority(ctx context.Context, ha HealthAuthority) error {
	if err := ha.validate(); err != nil {
		return fmt.Errorf("upsert health authority: %w", err)
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO health_authorities (issuer, audience, name) VALUES (?, ?, ?)
			ON CONFLICT (issuer) DO UPDATE SET audience = excluded.audience, name = excluded.name`,
			ha.Issuer, ha.Audience, ha.Name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM health_authority_keys WHERE issuer = ?`, ha.Issuer); err != nil {
			return err
		}
		for _, k := range ha.Keys {
			var thru any
			if k.Thru != nil {
				thru = k.Thru.Unix()
			}
			if _, err := tx.Exec(ctx, `INSERT INTO health_authority_keys (issuer, version, public_key_pem, valid_from, valid_thru)
				VALUES (?, ?, ?, ?, ?)`, ha.Issuer, k.Version, k.PublicKeyPEM, k.From.Unix(), thru); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upsert health authority %q: %w", ha.Issuer, err)
	}
	s.authorities.forget(ha.Issuer)
	return nil
}

// UpsertAuthorizedApp creates or replaces an authorized app. Apps in
// Config.AuthorizedApps need no row; a row overrides the configured app of
// the same id.
func (s *Server) UpsertAuthorizedApp(ctx context.Context, app AuthorizedApp) error {
	if app.ID == "" {
		return errors.New("upsert authorized app: empty id")
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		all := 0
		if app.AllHealthAuthorities {
			all = 1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO authorized_apps (app_id, all_health_authorities) VALUES (?, ?)
			ON CONFLICT (app_id) DO UPDATE SET all_health_authorities = excluded.all_health_authorities`, app.ID, all); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM authorized_app_health_authorities WHERE app_id = ?`, app.ID); err != nil {
			return err
		}
		for _, iss := range app.HealthAuthorities {
			if _, err := tx.Exec(ctx, `INSERT INTO authorized_app_health_authorities (app_id, issuer) VALUES (?, ?)
				ON CONFLICT (app_id, issuer) DO NOTHING`, app.ID, iss); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upsert authorized app %q: %w", app.ID, err)
	}
	s.apps.forget(app.ID)
	return nil
}

// ttlCache is a small read-through cache with a time to live, used for
// health authorities and apps (nil values cache "not found").
type ttlCache[V any] struct {
	mu      sync.RWMutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       *V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration, now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, now: now, entries: map[string]ttlEntry[V]{}}
}

// get returns the cached value for k, loading it when absent or stale. A nil
// value with a nil error means "not found" and is cached too. The number of
// cached names is bounded so garbage names cannot grow memory.
func (c *ttlCache[V]) get(k string, load func() (*V, error)) (*V, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= 10_000 {
		clear(c.entries)
	}
	c.entries[k] = ttlEntry[V]{v: v, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}

func (c *ttlCache[V]) forget(k string) {
	c.mu.Lock()
	delete(c.entries, k)
	c.mu.Unlock()
}

func (s *Server) loadAuthority(ctx context.Context, issuer string) (*parsedAuthority, error) {
	return s.authorities.get(issuer, func() (*parsedAuthority, error) {
		pa := &parsedAuthority{ha: HealthAuthority{Issuer: issuer}, keys: map[string][]parsedKey{}}
		err := s.db.QueryRow(ctx, `SELECT audience, name FROM health_authorities WHERE issuer = ?`, issuer).
			Scan(&pa.ha.Audience, &pa.ha.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load health authority: %w", err)
		}
		rows, err := s.db.Query(ctx, `SELECT version, public_key_pem, valid_from, valid_thru FROM health_authority_keys WHERE issuer = ?`, issuer)
		if err != nil {
			return nil, fmt.Errorf("load health authority keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k HealthAuthorityKey
			var from int64
			var thru sql.NullInt64
			if err := rows.Scan(&k.Version, &k.PublicKeyPEM, &from, &thru); err != nil {
				return nil, fmt.Errorf("load health authority keys: %w", err)
			}
			k.From = time.Unix(from, 0).UTC()
			if thru.Valid {
				t := time.Unix(thru.Int64, 0).UTC()
				k.Thru = &t
			}
			pub, err := ParseES256PublicKey(k.PublicKeyPEM)
			if err != nil {
				// A bad stored key cannot verify anything; skip it.
				s.log.Warn("keyserver: unusable health authority key", "issuer", issuer, "version", k.Version, "err", err)
				continue
			}
			pa.ha.Keys = append(pa.ha.Keys, k)
			pa.keys[k.Version] = append(pa.keys[k.Version], parsedKey{pub: pub, from: k.From, thru: k.Thru})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load health authority keys: %w", err)
		}
		return pa, nil
	})
}

func (s *Server) loadApp(ctx context.Context, id string) (*AuthorizedApp, error) {
	return s.apps.get(id, func() (*AuthorizedApp, error) {
		var all int
		err := s.db.QueryRow(ctx, `SELECT all_health_authorities FROM authorized_apps WHERE app_id = ?`, id).Scan(&all)
		if errors.Is(err, sql.ErrNoRows) {
			for _, a := range s.cfg.AuthorizedApps {
				if a.ID == id {
					app := a
					return &app, nil
				}
			}
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load authorized app: %w", err)
		}
		app := &AuthorizedApp{ID: id, AllHealthAuthorities: all != 0}
		rows, err := s.db.Query(ctx, `SELECT issuer FROM authorized_app_health_authorities WHERE app_id = ?`, id)
		if err != nil {
			return nil, fmt.Errorf("load authorized app: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var iss string
			if err := rows.Scan(&iss); err != nil {
				return nil, fmt.Errorf("load authorized app: %w", err)
			}
			app.HealthAuthorities = append(app.HealthAuthorities, iss)
		}
		return app, rows.Err()
	})
}
