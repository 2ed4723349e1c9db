package verification

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

func TestBootstrapAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()

		realms, err := e.srv.ListRealms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(vnadmin.MustLoad().Provinces) + 1; len(realms) != want || want != 64 {
			t.Fatalf("%d realms, want %d (63 provinces + VN)", len(realms), want)
		}
		r67, err := e.srv.Realm(ctx, "67")
		if err != nil || r67.Issuer != "bluezone-vn-67" || r67.Audience != "exposure-notifications-server" ||
			len(r67.AllowedTestTypes) != 4 || r67.DailyQuota != DefaultConfig().DefaultDailyQuota {
			t.Errorf("realm 67: %+v %v", r67, err)
		}
		if vn, _ := e.srv.Realm(ctx, "VN"); vn.Issuer != "bluezone-vn-vn" {
			t.Errorf("national issuer %q", vn.Issuer)
		}
		keys, _ := e.srv.PublicKeys(ctx)
		if len(keys) != 64 {
			t.Errorf("%d public keys, want one per realm", len(keys))
		}

		// Second start: nothing new, no key shown.
		if k, created, err := e.srv.EnsureBootstrap(ctx); err != nil || created || k != "" {
			t.Errorf("second bootstrap: %q %v %v", k, created, err)
		}
		if _, err := e.srv.CreateRealm(ctx, Realm{Code: "67", Name: "again"}); err == nil {
			t.Error("created realm 67 twice")
		}
		if _, err := e.srv.CreateRealm(ctx, Realm{Code: "6x", Name: "bad"}); err == nil {
			t.Error("accepted a bad realm code")
		}

		// Admin key authentication for other services.
		if realm, err := e.srv.AuthenticateAdminKey(ctx, e.adminVN); err != nil || realm != "VN" {
			t.Errorf("national admin key: %q %v", realm, err)
		}
		if realm, err := e.srv.AuthenticateAdminKey(ctx, e.admin67); err != nil || realm != "67" {
			t.Errorf("province admin key: %q %v", realm, err)
		}
		for _, bad := range []string{e.device67, "", "bza.unknown"} {
			if _, err := e.srv.AuthenticateAdminKey(ctx, bad); !errors.Is(err, ErrBadAPIKey) {
				t.Errorf("AuthenticateAdminKey(%q) = %v, want ErrBadAPIKey", bad, err)
			}
		}
		if _, err := e.srv.CreateAPIKey(ctx, "99", KindAdmin, "x"); err == nil {
			t.Error("created a key for an unknown realm")
		}
		if _, err := e.srv.CreateAPIKey(ctx, "67", "stats", "x"); err == nil {
			t.Error("created a key of an unknown kind")
		}

		// A replica sharing the database and secret verifies this one's
		// tokens and signs with the same realm keys.
		replica, err := New(DefaultConfig(), Deps{DB: db, Clock: e.clock, Logger: slog.New(slog.DiscardHandler), Secret: testSecret()})
		if err != nil {
			t.Fatal(err)
		}
		tok := e.token()
		jti, sub, err := replica.parseToken(tok, e.clock.Now())
		if err != nil {
			t.Fatalf("replica rejects token: %v", err)
		}
		if _, err := replica.issueCertificate(ctx, &authKey{realm: "67"}, jti, sub, goodHMAC, e.clock.Now()); err != nil {
			t.Fatalf("replica certificate: %v", err)
		}
		// A server with another secret cannot open the stored keys.
		wrong, _ := New(DefaultConfig(), Deps{DB: db, Clock: e.clock, Logger: slog.New(slog.DiscardHandler), Secret: make([]byte, 32)})
		if _, err := wrong.signerFor(ctx, "67"); err == nil {
			t.Error("opened a sealed signing key with the wrong secret")
		}
		if _, err := wrong.AuthenticateAdminKey(ctx, e.adminVN); !errors.Is(err, ErrBadAPIKey) {
			t.Error("API key authenticated under the wrong secret")
		}
	})
}

func TestCleanup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()
		e.token()                                                   // one claimed code, one token
		e.issue(e.admin67, map[string]any{"testType": "confirmed"}) // one unclaimed code
		if _, err := e.srv.RotateSigningKey(ctx, "01"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(47 * time.Hour)
		if res, err := e.srv.Cleanup(ctx); err != nil || res != (CleanupResult{}) {
			t.Fatalf("cleanup at 47 h: %+v %v", res, err)
		}
		e.clock.Advance(time.Hour + time.Second)
		fresh := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
		res, err := e.srv.Cleanup(ctx)
		if err != nil || res.Codes != 2 || res.Tokens != 1 || res.RetiredKeys != 0 {
			t.Fatalf("cleanup at 48 h: %+v %v", res, err)
		}
		if _, err := e.srv.CodeStatus(ctx, "67", str(fresh, "uuid")); err != nil {
			t.Errorf("cleanup removed a fresh code: %v", err)
		}
		e.clock.Advance(7 * 24 * time.Hour)
		if res, err := e.srv.Cleanup(ctx); err != nil || res.RetiredKeys != 1 {
			t.Fatalf("cleanup of retired key: %+v %v", res, err)
		}
		keys, _ := e.srv.PublicKeys(ctx)
		for _, k := range keys {
			if k.RetiredAt != nil {
				t.Errorf("retired key %s %s still listed", k.RealmCode, k.KeyVersion)
			}
		}

		// Run stops when its context ends.
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.srv.Run(rctx) }()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop")
		}
	})
}

func TestConfigAndDeps(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"zero code TTL":     func(c *Config) { c.CodeTTL = 0 },
		"code TTL over 1 h": func(c *Config) { c.CodeTTL = 2 * time.Hour },
		"cleanup too early": func(c *Config) { c.CleanupAge = time.Hour },
		"no token issuer":   func(c *Config) { c.TokenIssuer = "" },
		"no key failures":   func(c *Config) { c.KeyMaxFailures = 0 },
		"bad padding":       func(c *Config) { c.PaddingMax = c.PaddingMin - 1 },
	} {
		c := DefaultConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	db := storetest.SQLite(t)
	good := Deps{DB: db, Clock: clockFor(), Logger: slog.New(slog.DiscardHandler), Secret: testSecret()}
	for name, mod := range map[string]func(*Deps){
		"nil DB": func(d *Deps) { d.DB = nil }, "nil clock": func(d *Deps) { d.Clock = nil },
		"nil logger": func(d *Deps) { d.Logger = nil }, "short secret": func(d *Deps) { d.Secret = d.Secret[:16] },
	} {
		d := good
		mod(&d)
		if _, err := New(DefaultConfig(), d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
