package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/store"
)

const (
	loadIssuer   = "bluezone-vn-load"
	loadAudience = "exposure-notifications-server"
	loadApp      = "vn.bluezone"
)

// authority is a test health authority with its private signing key.
type authority struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newAuthority() (*authority, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &authority{priv: priv, kid: "v1"}, nil
}

func (a *authority) record(now time.Time) (keyserver.HealthAuthority, error) {
	der, err := x509.MarshalPKIXPublicKey(&a.priv.PublicKey)
	if err != nil {
		return keyserver.HealthAuthority{}, err
	}
	return keyserver.HealthAuthority{Issuer: loadIssuer, Audience: loadAudience, Name: "load test",
		Keys: []keyserver.HealthAuthorityKey{{Version: a.kid,
			PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
			From:         now.Add(-time.Hour)}}}, nil
}

// body mints one publish request body: n fresh random keys (one a day, the
// newest today's), a fresh hmacKey and a certificate with their tekmac.
func (a *authority) body(now time.Time, n int, padding string) ([]byte, [][]byte, error) {
	today := int32(gaen.RollingStart(now))
	keys := make([]keyserver.ExposureKey, n)
	raw := make([][]byte, n)
	for i := range keys {
		k := make([]byte, keyserver.KeyLength)
		_, _ = rand.Read(k)
		raw[i] = k
		keys[i] = keyserver.ExposureKey{Key: base64.StdEncoding.EncodeToString(k),
			IntervalNumber: today - int32(n-1-i)*144, IntervalCount: 144}
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	claims := keyserver.CertificateClaims{
		ReportType: keyserver.ReportTypeConfirmed,
		SignedMAC:  base64.StdEncoding.EncodeToString(keyserver.ExposureKeyHMAC(keys, secret, true)),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    loadIssuer,
			Audience:  jwt.ClaimStrings{loadAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = a.kid
	cert, err := tok.SignedString(a.priv)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(keyserver.PublishRequest{Keys: keys, HealthAuthorityID: loadApp,
		VerificationPayload: cert, HMACKey: base64.StdEncoding.EncodeToString(secret), Padding: padding})
	return b, raw, err
}

// startKeyserver migrates db, builds a keyserver with the real clock and
// registers the authority.
func startKeyserver(ctx context.Context, db *store.DB, a *authority, secret []byte, reg prometheus.Registerer, writers int) (*keyserver.Server, error) {
	if err := keyserver.Migrate(ctx, db); err != nil {
		return nil, err
	}
	cfg := keyserver.DefaultConfig()
	cfg.Writers = writers
	srv, err := keyserver.New(cfg, keyserver.Deps{DB: db, Clock: clock.Real{},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), Secret: secret, Registerer: reg})
	if err != nil {
		return nil, err
	}
	ha, err := a.record(time.Now())
	if err != nil {
		return nil, err
	}
	if err := srv.UpsertHealthAuthority(ctx, ha); err != nil {
		return nil, err
	}
	return srv, nil
}

func authorityFromKey(k any) (*authority, error) {
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("health authority key must be ECDSA P-256")
	}
	return &authority{priv: priv, kid: "v1"}, nil
}
