package verification

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestNothingSecretStored runs every kind of request, then searches every
// byte of every table for the codes, long codes, tokens, token IDs, API keys,
// certificates, private keys and client addresses that went by.
func TestNothingSecretStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.ClientIPHeader = "X-Forwarded-For" })
		secrets := map[string]string{
			"national admin key": e.adminVN, "national device key": e.deviceVN,
			"admin key 67": e.admin67, "device key 67": e.device67, "device key 01": e.device01,
		}
		const clientIP = "203.0.113.77"
		for i, tt := range []string{"confirmed", "likely", "negative", "contact"} {
			c := e.issue(e.admin67, map[string]any{"testType": tt, "symptomDate": "2025-03-05"})
			secrets["code "+tt] = str(c, "code")
			secrets["long code "+tt] = str(c, "longCode")
			code := str(c, "code")
			if i%2 == 1 {
				code = str(c, "longCode")
			}
			status, v := e.post("/api/verify", e.device67, map[string]any{"code": code}, "X-Forwarded-For", clientIP)
			if status != 200 {
				t.Fatalf("verify: %d %v", status, v)
			}
			tok := str(v, "token")
			secrets["token "+tt] = tok
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
				t.Fatal(err)
			}
			secrets["jti "+tt] = claims["jti"].(string)
			secrets["token signature "+tt] = tok[strings.LastIndex(tok, ".")+1:]
			if tt == "negative" {
				continue // leave one token unclaimed
			}
			status, cert := e.post("/api/certificate", e.device67, map[string]any{"token": tok, "ekeyhmac": goodHMAC})
			if status != 200 {
				t.Fatalf("certificate: %d %v", status, cert)
			}
			secrets["certificate "+tt] = str(cert, "certificate")
		}
		// A wrong guess and an unclaimed code are stored as nothing either.
		e.post("/api/verify", e.device67, map[string]any{"code": "31415926"}, "X-Forwarded-For", clientIP)
		secrets["guess"] = "31415926"
		e.issue(e.adminVN, map[string]any{"testType": "confirmed", "realm": "01"})

		sg, err := e.srv.signerFor(t.Context(), "67")
		if err != nil {
			t.Fatal(err)
		}
		d := sg.key.D.Bytes()
		secrets["signing key (raw)"] = string(d)
		secrets["signing key (hex)"] = hex.EncodeToString(d)
		secrets["signing key (base64)"] = base64.StdEncoding.EncodeToString(d)
		secrets["client address"] = clientIP
		secrets["loopback address"] = "127.0.0.1"

		tables := dump(t, db)
		for _, want := range []string{"verification_codes", "verification_tokens", "verification_api_keys", "verification_signing_keys"} {
			if len(tables[want]) == 0 {
				t.Fatalf("table %s is empty: the test would prove nothing", want)
			}
		}
		for table, rows := range tables {
			for _, row := range rows {
				for what, secret := range secrets {
					if secret == "" {
						t.Fatalf("%s is empty", what)
					}
					if strings.Contains(row, secret) {
						t.Errorf("%s found in clear in table %s", what, table)
					}
				}
				if strings.Contains(row, "PRIVATE KEY") {
					t.Errorf("a PEM private key is stored in %s", table)
				}
			}
		}
	})
}
