package verification

import (
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// tek is a published key as the device would HMAC it.
type tek struct {
	key                   []byte
	start, period, trRisk int
}

// tekMAC computes the certificate's tekmac the way a device does (gaen.md
// §D): keys sorted by base64, "b64.start.period.risk" joined by ",",
// HMAC-SHA256 under the device's random key.
func tekMAC(hmacKey []byte, keys []tek) []byte {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s.%d.%d.%d", base64.StdEncoding.EncodeToString(k.key), k.start, k.period, k.trRisk)
	}
	sort.Strings(parts)
	h := hmac.New(sha256.New, hmacKey)
	h.Write([]byte(strings.Join(parts, ",")))
	return h.Sum(nil)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// parseCertificate checks a certificate against the published keys, as the
// key server does.
func parseCertificate(t *testing.T, e *env, cert string) (jwt.MapClaims, *jwt.Token) {
	t.Helper()
	keys, err := e.srv.PublicKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(cert, claims, func(tok *jwt.Token) (any, error) {
		iss, _ := claims.GetIssuer()
		for _, k := range keys {
			if k.Issuer == iss && k.KeyVersion == tok.Header["kid"] {
				block, _ := pem.Decode([]byte(k.PublicKeyPEM))
				return x509.ParsePKIXPublicKey(block.Bytes)
			}
		}
		return nil, fmt.Errorf("no key %v for %s", tok.Header["kid"], iss)
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(e.clock.Now),
		jwt.WithAudience("exposure-notifications-server"))
	if err != nil {
		t.Fatalf("certificate does not verify: %v", err)
	}
	return claims, tok
}

func TestFullFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()
		now := e.clock.Now()

		iss := e.issue(e.adminVN, map[string]any{
			"testType": "confirmed", "symptomDate": "2025-03-07", "testDate": "2025-03-08", "tzOffset": 420,
			"realm": "67", "padding": "eHh4", "externalIssuerID": "lab-7",
		})
		if !regexp.MustCompile(`^[0-9]{8}$`).MatchString(str(iss, "code")) ||
			!regexp.MustCompile(`^[a-z0-9]{16}$`).MatchString(str(iss, "longCode")) {
			t.Fatalf("bad codes in %v", iss)
		}
		if got, want := int64(iss["expiresAtTimestamp"].(float64)), now.Add(15*time.Minute).Unix(); got != want {
			t.Errorf("expiresAtTimestamp %d, want %d", got, want)
		}
		if got, want := int64(iss["longExpiresAtTimestamp"].(float64)), now.Add(24*time.Hour).Unix(); got != want {
			t.Errorf("longExpiresAtTimestamp %d, want %d", got, want)
		}
		if exp, err := time.Parse(time.RFC1123, str(iss, "expiresAt")); err != nil || !exp.Equal(now.Add(15*time.Minute)) {
			t.Errorf("expiresAt %q: %v", str(iss, "expiresAt"), err)
		}
		if p, err := base64.StdEncoding.DecodeString(str(iss, "padding")); err != nil || len(p) < 1024 || len(p) > 2048 {
			t.Errorf("padding: %d bytes, %v", len(p), err)
		}

		// Status, from the province's own admin key.
		status, st := e.post("/api/checkcodestatus", e.admin67, map[string]any{"uuid": str(iss, "uuid")})
		if status != 200 || st["claimed"] != false {
			t.Fatalf("status before verify: %d %v", status, st)
		}

		status, v := e.verify(e.device67, str(iss, "code"), "confirmed")
		if status != 200 {
			t.Fatalf("verify: %d %v", status, v)
		}
		if str(v, "testtype") != "confirmed" || str(v, "symptomDate") != "2025-03-07" || str(v, "testDate") != "2025-03-08" {
			t.Errorf("verify answer %v", v)
		}
		tokClaims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(str(v, "token"), tokClaims); err != nil {
			t.Fatal(err)
		}
		if tokClaims["sub"] != "confirmed.2025-03-07.2025-03-08" || tokClaims["exp"].(float64) != float64(now.Add(24*time.Hour).Unix()) {
			t.Errorf("token claims %v", tokClaims)
		}
		if _, st = e.post("/api/checkcodestatus", e.admin67, map[string]any{"uuid": str(iss, "uuid")}); st["claimed"] != true {
			t.Errorf("status after verify: %v", st)
		}

		hmacKey := randBytes(32)
		keys := []tek{
			{randBytes(16), 2892960, 144, 0}, {randBytes(16), 2893104, 144, 0}, {randBytes(16), 2893248, 60, 2},
		}
		ekey := tekMAC(hmacKey, keys)
		e.clock.Advance(time.Minute)
		certAt := e.clock.Now()
		status, c := e.post("/api/certificate", e.device67, map[string]any{
			"token": str(v, "token"), "ekeyhmac": base64.StdEncoding.EncodeToString(ekey), "padding": "eHh4",
		})
		if status != 200 || str(c, "certificate") == "" {
			t.Fatalf("certificate: %d %v", status, c)
		}
		claims, tok := parseCertificate(t, e, str(c, "certificate"))
		if tok.Header["alg"] != "ES256" || tok.Header["kid"] != "v1" {
			t.Errorf("header %v", tok.Header)
		}
		want := map[string]any{
			"iss": "bluezone-vn-67", "aud": "exposure-notifications-server",
			"iat": float64(certAt.Unix()), "nbf": float64(certAt.Add(-time.Minute).Unix()),
			"exp": float64(certAt.Add(15 * time.Minute).Unix()), "reportType": "confirmed",
			"symptomOnsetInterval": float64(time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC).Unix() / 600),
			"testDateInterval":     float64(time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC).Unix() / 600),
			"tekmac":               base64.StdEncoding.EncodeToString(tekMAC(hmacKey, keys)),
		}
		for k, w := range want {
			if claims[k] != w {
				t.Errorf("claim %s = %v (%T), want %v", k, claims[k], claims[k], w)
			}
		}
		if len(claims) != len(want) {
			t.Errorf("certificate has claims %v, want exactly %v", claims, want)
		}

		// The long code works too, from the national device key, and the
		// realm's rotated key signs the next certificate.
		iss2 := e.issue(e.admin67, map[string]any{"testType": "contact"})
		if v, err := e.srv.RotateSigningKey(ctx, "67"); err != nil || v != "v2" {
			t.Fatalf("rotate: %q %v", v, err)
		}
		status, v2 := e.verify(e.deviceVN, str(iss2, "longCode"), "confirmed", "contact")
		if status != 200 || str(v2, "testtype") != "contact" || v2["symptomDate"] != nil {
			t.Fatalf("verify long code: %d %v", status, v2)
		}
		status, c2 := e.post("/api/certificate", e.deviceVN, map[string]any{
			"token": str(v2, "token"), "ekeyhmac": base64.RawURLEncoding.EncodeToString(ekey),
		})
		if status != 200 {
			t.Fatalf("certificate 2: %d %v", status, c2)
		}
		claims2, tok2 := parseCertificate(t, e, str(c2, "certificate"))
		if tok2.Header["kid"] != "v2" || claims2["reportType"] != "contact" || claims2["symptomOnsetInterval"] != nil ||
			claims2["tekmac"] != want["tekmac"] {
			t.Errorf("second certificate: %v %v", tok2.Header, claims2)
		}
		// The first certificate still verifies with the retired v1 key.
		parseCertificate(t, e, str(c, "certificate"))
		pk, _ := e.srv.PublicKeys(ctx)
		var v1, v2k *RealmPublicKey
		for i := range pk {
			if pk[i].RealmCode == "67" && pk[i].KeyVersion == "v1" {
				v1 = &pk[i]
			}
			if pk[i].RealmCode == "67" && pk[i].KeyVersion == "v2" {
				v2k = &pk[i]
			}
		}
		if v1 == nil || v1.RetiredAt == nil || v2k == nil || v2k.RetiredAt != nil {
			t.Errorf("keys after rotation: v1 %+v v2 %+v", v1, v2k)
		}

		stats, err := e.srv.Stats(ctx, "67", now, now)
		if err != nil || len(stats) != 1 {
			t.Fatalf("stats: %v %v", stats, err)
		}
		got := stats[0]
		if got.CodesIssued != 2 || got.CodesClaimed != 2 || got.TokensClaimed != 2 || got.CertificatesIssued != 2 ||
			got.CodesInvalid != 0 || !got.Day.Equal(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("stats %+v", got)
		}
		if all, _ := e.srv.Stats(ctx, "", now, now); len(all) != 1 || all[0].CodesIssued != 2 {
			t.Errorf("national stats %+v", all)
		}
	})
}

func TestChaff(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), nil)
	before := snapshot(t, e.db)
	statsBefore := dump(t, e.db)["verification_stats"]
	for _, path := range []string{"/api/verify", "/api/certificate"} {
		status, m := e.post(path, e.deviceVN, `{"padding":"eHh4eA=="}`, "X-Chaff", "1")
		if status != http.StatusOK || str(m, "padding") == "" {
			t.Errorf("%s chaff: %d %v", path, status, m)
		}
		field := map[string]string{"/api/verify": "token", "/api/certificate": "certificate"}[path]
		if strings.Count(str(m, field), ".") != 2 {
			t.Errorf("%s chaff %s is not JWT-shaped: %q", path, field, str(m, field))
		}
		// A chaff certificate verifies against no published key.
		if path == "/api/certificate" {
			claims := jwt.MapClaims{}
			keys, _ := e.srv.PublicKeys(context.Background())
			for _, k := range keys {
				block, _ := pem.Decode([]byte(k.PublicKeyPEM))
				pub, _ := x509.ParsePKIXPublicKey(block.Bytes)
				if _, err := jwt.ParseWithClaims(str(m, field), claims, func(*jwt.Token) (any, error) { return pub.(*ecdsa.PublicKey), nil },
					jwt.WithoutClaimsValidation()); err == nil {
					t.Fatalf("chaff certificate verifies with %s %s", k.RealmCode, k.KeyVersion)
				}
			}
		}
		// Chaff still needs a valid key.
		if status, _ := e.post(path, "nope", `{}`, "X-Chaff", "1"); status != http.StatusUnauthorized {
			t.Errorf("%s chaff without key: %d", path, status)
		}
	}
	if after := snapshot(t, e.db); after != before {
		t.Errorf("chaff changed stored rows")
	}
	if got := dump(t, e.db)["verification_stats"]; strings.Join(got, "\n") != strings.Join(statsBefore, "\n") {
		t.Errorf("chaff changed stats: %v", got)
	}
}
