package verification

import (
	"context"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// BenchmarkFlow measures one diagnosis end to end over real HTTP on
// loopback: IssueCode (Go API), POST /api/verify, POST /api/certificate.
func BenchmarkFlow(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			e := newEnv(b, engine.open(b), func(c *Config) {
				c.ClientMaxFailures, c.KeyMaxFailures, c.DefaultDailyQuota = 1<<30, 1<<30, 0
			})
			if err := e.srv.UpdateRealm(context.Background(), Realm{Code: "67", DailyQuota: 0}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := e.srv.IssueCode(context.Background(), "67", IssueRequest{TestType: TestConfirmed, SymptomDate: "2025-03-07"})
				if err != nil {
					b.Fatal(err)
				}
				status, v := e.verify(e.device67, c.Code)
				if status != 200 {
					b.Fatalf("verify %d %v", status, v)
				}
				status, cert := e.post("/api/certificate", e.device67, map[string]any{"token": str(v, "token"), "ekeyhmac": goodHMAC})
				if status != 200 {
					b.Fatalf("certificate %d %v", status, cert)
				}
			}
		})
	}
}

// BenchmarkSignCertificate is the ES256 signing alone.
func BenchmarkSignCertificate(b *testing.B) {
	e := newEnv(b, storetest.SQLite(b), nil)
	sg, err := e.srv.signerFor(context.Background(), "67")
	if err != nil {
		b.Fatal(err)
	}
	claims := e.srv.certificateClaims(sg, subject{TestType: TestConfirmed, SymptomDate: "2025-03-07"}, goodHMAC, testNow)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := signCertificate(sg, claims); err != nil {
			b.Fatal(err)
		}
	}
}
