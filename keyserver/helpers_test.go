package keyserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

const (
	testIssuer   = "bluezone-vn-01"
	testAudience = "exposure-notifications-server"
	testApp      = "vn.bluezone"
)

// testSecret is the harness's server secret.
var testSecret = bytes.Repeat([]byte{7}, 32)

// testNow is a fixed moment (13:25 UTC) so that embargo arithmetic is
// predictable.
var testNow = time.Date(2026, 3, 10, 13, 25, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	db    *store.DB
	srv   *Server
	clk   *clock.Fake
	http  *httptest.Server
	priv  *ecdsa.PrivateKey
	kid   string
	cance context.CancelFunc
	ran   chan error
	cfg   Config
	mux   atomic.Pointer[http.ServeMux] // srv's routes
}

func pemOf(t testing.TB, pub *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func newHarness(t *testing.T, db *store.DB, mutate ...func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	clk := clock.NewFake(testNow)
	srv, err := New(cfg, Deps{DB: db, Clock: clk, Logger: discardLogger(), Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, srv: srv, clk: clk, priv: priv, kid: "v1", ran: make(chan error, 1), cfg: cfg}
	if err := srv.UpsertHealthAuthority(ctx, HealthAuthority{Issuer: testIssuer, Audience: testAudience, Name: "Hà Nội",
		Keys: []HealthAuthorityKey{{Version: "v1", PublicKeyPEM: pemOf(t, &priv.PublicKey), From: testNow.Add(-24 * time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mux.Load().ServeHTTP(w, r)
	}))
	h.start(srv)
	t.Cleanup(func() {
		h.http.Close()
		h.cance()
		if err := <-h.ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

// start serves srv's routes and runs its writer.
func (h *harness) start(srv *Server) {
	mux := http.NewServeMux()
	srv.Register(mux)
	h.srv = srv
	h.mux.Store(mux)
	rctx, cancel := context.WithCancel(context.Background())
	h.cance = cancel
	go func() { h.ran <- srv.Run(rctx) }()
}

// restart stops the server's writer and starts a new server on the same
// database, as a process restart would.
func (h *harness) restart() {
	h.t.Helper()
	h.cance()
	if err := <-h.ran; err != nil {
		h.t.Fatalf("Run: %v", err)
	}
	srv, err := New(h.cfg, Deps{DB: h.db, Clock: h.clk, Logger: discardLogger(), Secret: testSecret})
	if err != nil {
		h.t.Fatal(err)
	}
	h.start(srv)
}

// keysAt makes n random keys, one per day, the last starting today; the
// last one is still valid (today's key).
func keysAt(now time.Time, n int) []ExposureKey {
	today := int32(gaen.RollingStart(now))
	keys := make([]ExposureKey, n)
	for i := range keys {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		keys[i] = ExposureKey{Key: base64.StdEncoding.EncodeToString(b),
			IntervalNumber: today - int32(n-1-i)*144, IntervalCount: 144}
	}
	return keys
}

type certOpts struct {
	method     jwt.SigningMethod
	signKey    any
	kid        *string
	issuer     string
	audience   string
	reportType *string
	iat, exp   time.Time
	nbf        *time.Time
	onset      uint32
	tekmac     string
	noTR       bool
}

// cert mints a verification certificate over keys; the returned hmacKey
// goes into the request.
func (h *harness) cert(keys []ExposureKey, mod func(*certOpts)) (jwtText, hmacKey string) {
	h.t.Helper()
	now := h.clk.Now()
	o := certOpts{method: jwt.SigningMethodES256, signKey: h.priv, issuer: testIssuer, audience: testAudience,
		iat: now, exp: now.Add(15 * time.Minute)}
	rt := ReportTypeConfirmed
	o.reportType = &rt
	kid := h.kid
	o.kid = &kid
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	if mod != nil {
		mod(&o)
	}
	if o.tekmac == "" {
		o.tekmac = base64.StdEncoding.EncodeToString(ExposureKeyHMAC(keys, secret, !o.noTR))
	}
	claims := jwt.MapClaims{"iss": o.issuer, "aud": o.audience, "iat": o.iat.Unix(), "exp": o.exp.Unix(), "tekmac": o.tekmac}
	if o.reportType != nil {
		claims["reportType"] = *o.reportType
	}
	if o.nbf != nil {
		claims["nbf"] = o.nbf.Unix()
	}
	if o.onset != 0 {
		claims["symptomOnsetInterval"] = o.onset
	}
	tok := jwt.NewWithClaims(o.method, claims)
	if o.kid != nil {
		tok.Header["kid"] = *o.kid
	}
	s, err := tok.SignedString(o.signKey)
	if err != nil {
		h.t.Fatal(err)
	}
	return s, base64.StdEncoding.EncodeToString(secret)
}

// request builds a publish request for keys with a valid certificate.
func (h *harness) request(keys []ExposureKey, mod func(*certOpts)) *PublishRequest {
	c, k := h.cert(keys, mod)
	return &PublishRequest{Keys: keys, HealthAuthorityID: testApp, VerificationPayload: c, HMACKey: k, Padding: "cGFkZGluZw=="}
}

func (h *harness) postRaw(body []byte, hdr map[string]string) (int, PublishResponse, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/v1/publish", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := h.http.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var pr PublishResponse
	if err := json.Unmarshal(raw, &pr); err != nil {
		h.t.Fatalf("response is not JSON: %v: %q", err, raw)
	}
	return res.StatusCode, pr, raw
}

func (h *harness) post(req *PublishRequest) (int, PublishResponse) {
	h.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		h.t.Fatal(err)
	}
	st, pr, _ := h.postRaw(b, nil)
	return st, pr
}

// publishOK publishes keys with a valid certificate and fails the test
// unless the answer is 200.
func (h *harness) publishOK(keys []ExposureKey) PublishResponse {
	h.t.Helper()
	st, resp := h.post(h.request(keys, nil))
	if st != http.StatusOK {
		h.t.Fatalf("publish: %d %+v", st, resp)
	}
	return resp
}

func (h *harness) count() int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM exposures`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

type row struct {
	start, period, tr, rt int
	dsos                  *int
	ha                    string
	created               int64
	revType, revDSOS      *int
	revTR                 *int
	revAt                 *int64
}

func (h *harness) row(keyB64 string) *row {
	h.t.Helper()
	k, _ := base64.StdEncoding.DecodeString(keyB64)
	var r row
	err := h.db.QueryRow(context.Background(), `SELECT rolling_start, rolling_period, transmission_risk, report_type,
		days_since_onset, health_authority, created_at, revised_report_type, revised_days_since_onset,
		revised_transmission_risk, revised_at FROM exposures WHERE exposure_key = ?`, k).
		Scan(&r.start, &r.period, &r.tr, &r.rt, &r.dsos, &r.ha, &r.created, &r.revType, &r.revDSOS, &r.revTR, &r.revAt)
	if err != nil {
		return nil
	}
	return &r
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return testNow }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
