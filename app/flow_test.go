package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/app/adapters"
	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// flowEnv is a whole server on loopback with a fake clock.
type flowEnv struct {
	app   *App
	base  string
	clock *clock.Fake
	admin string // national admin API key
	dev   string // device API key
}

func startFlow(t *testing.T, dsn string) *flowEnv {
	t.Helper()
	cfg := testConfig(t)
	cfg.DB = dsn
	fc := clock.NewFake(time.Date(2020, 8, 13, 9, 0, 0, 0, time.UTC))
	cfg.Clock = fc
	cfg.ExportMinWindowAge = 0
	a, base := startApp(t, cfg)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	return &flowEnv{app: a, base: base, clock: fc, admin: read("admin-api-key"), dev: read("device-api-key")}
}

// postJSON posts v and decodes the answer into out, returning the status.
func postJSON(t *testing.T, url, apiKey string, v, out any) int {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("POST %s: %d %s: %v", url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

func getBytes(t *testing.T, url string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b, resp.Header
}

// TestFullFlow is the key-server issue's scripted flow over real HTTP:
// issue code → verify → certificate → publish → export → download →
// verify signature → parse, on SQLite and on PostgreSQL. Afterwards the
// stored data holds no code, token, key or address in clear.
func TestFullFlow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testFullFlow(t, "") })
	t.Run("postgres", func(t *testing.T) { testFullFlow(t, storetest.PostgresSchemaURL(t)) })
}

func testFullFlow(t *testing.T, dsn string) {
	e := startFlow(t, dsn)
	now := e.clock.Now()

	// A case worker in Đắk Nông issues a code for a confirmed case.
	var issued struct {
		UUID, Code, LongCode, Error, ErrorCode string
	}
	if st := postJSON(t, e.base+"/api/issue", e.admin, map[string]any{
		"testType": "confirmed", "symptomDate": now.AddDate(0, 0, -3).Format("2006-01-02"), "tzOffset": 420, "realm": "67",
	}, &issued); st != 200 || len(issued.Code) != 8 {
		t.Fatalf("issue: %d %+v", st, issued)
	}

	// The device trades the code for a token, then for a certificate.
	var verified struct{ TestType, Token, Error, ErrorCode string }
	if st := postJSON(t, e.base+"/api/verify", e.dev, map[string]any{"code": issued.Code, "accept": []string{"confirmed"}}, &verified); st != 200 || verified.Token == "" {
		t.Fatalf("verify: %d %+v", st, verified)
	}
	// Three days of keys, all expired, so none is embargoed.
	today := gaen.RollingStart(now)
	var keys []keyserver.ExposureKey
	var teks [][]byte
	for d := int32(3); d >= 1; d-- {
		tek := make([]byte, 16)
		rand.Read(tek)
		teks = append(teks, tek)
		keys = append(keys, keyserver.ExposureKey{Key: base64.StdEncoding.EncodeToString(tek), IntervalNumber: int32(today) - 144*d, IntervalCount: 144})
	}
	hmacKey := make([]byte, 32)
	rand.Read(hmacKey)
	ekeyhmac := base64.StdEncoding.EncodeToString(keyserver.ExposureKeyHMAC(keys, hmacKey, false))
	var cert struct{ Certificate, Error, ErrorCode string }
	if st := postJSON(t, e.base+"/api/certificate", e.dev, map[string]any{"token": verified.Token, "ekeyhmac": ekeyhmac}, &cert); st != 200 || cert.Certificate == "" {
		t.Fatalf("certificate: %d %+v", st, cert)
	}

	// The device publishes with the certificate.
	var pub keyserver.PublishResponse
	if st := postJSON(t, e.base+"/v1/publish", "", keyserver.PublishRequest{
		Keys: keys, HealthAuthorityID: "vn.bluezone", VerificationPayload: cert.Certificate,
		HMACKey: base64.StdEncoding.EncodeToString(hmacKey), Padding: base64.StdEncoding.EncodeToString(make([]byte, 1000)),
	}, &pub); st != 200 || pub.InsertedExposures != 3 || pub.RevisionToken == "" {
		t.Fatalf("publish: %d %+v", st, pub)
	}

	// The portal's province report counts the keys under the case's realm.
	day := now.In(portal.Zone).Format("2006-01-02")
	counts, err := (&adapters.KeyCounts{DB: e.app.DB(), RealmOf: e.app.realmOfIssuer}).KeysPublished(context.Background(), day, day)
	if err != nil || len(counts) != 1 || counts[0].Realm != "67" || counts[0].Keys != 3 {
		t.Fatalf("keys published per realm: %+v, %v", counts, err)
	}
	if _, err := (&adapters.KeyCounts{DB: e.app.DB()}).KeysPublished(context.Background(), "13/08/2020", day); err == nil {
		t.Error("a malformed date was accepted")
	}

	// Two hours later the batch is closed and exported.
	e.clock.Advance(2 * time.Hour)
	if n, err := e.app.Export.RunOnce(context.Background()); err != nil || n == 0 {
		t.Fatalf("export: built %d, %v", n, err)
	}

	// A device downloads the index, the file and the public key.
	index, hdr := getBytes(t, e.base+"/exports/index.txt")
	if !strings.Contains(hdr.Get("Cache-Control"), "no-cache") {
		t.Errorf("index Cache-Control %q", hdr.Get("Cache-Control"))
	}
	names, err := exportfile.ParseIndex(index)
	if err != nil || len(names) != 1 {
		t.Fatalf("index %q: %v", index, err)
	}
	zipData, hdr := getBytes(t, e.base+"/"+names[0])
	if hdr.Get("Cache-Control") != "public, max-age=86400" {
		t.Errorf("zip Cache-Control %q", hdr.Get("Cache-Control"))
	}
	pemData, _ := getBytes(t, e.base+"/exports/keys.pem")
	pub256, err := exportfile.ParsePublicKey(pemData[bytes.Index(pemData, []byte("-----BEGIN")):])
	if err != nil {
		t.Fatal(err)
	}
	file, err := exportfile.Parse(zipData)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Verify(exportfile.TrustedKeys{{ID: "452", Version: "v1"}: pub256}); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if file.Export.Region != "VN" {
		t.Errorf("region %q", file.Export.Region)
	}
	found := 0
	for _, k := range file.Export.Keys {
		for _, tek := range teks {
			if bytes.Equal(k.Data[:], tek) {
				found++
				if k.ReportType != exportfile.ReportTypeConfirmedTest {
					t.Errorf("report type %v", k.ReportType)
				}
			}
		}
	}
	if found != 3 || len(file.Export.Keys) < 1000 {
		t.Fatalf("file holds %d of our keys among %d (padding to ≥ 1000 expected)", found, len(file.Export.Keys))
	}

	// The transparency page lists the file and the keys.
	page, _ := getBytes(t, e.base+"/minh-bach")
	if !bytes.Contains(page, []byte(names[0])) {
		t.Errorf("transparency page does not list %s", names[0])
	}

	// Nothing secret or identifying is stored in clear.
	secrets := map[string]string{
		"code": issued.Code, "long code": issued.LongCode, "token": verified.Token, "certificate": cert.Certificate,
		"admin key": e.admin, "device key": e.dev, "hmac key": base64.StdEncoding.EncodeToString(hmacKey),
		"revision token": pub.RevisionToken, "loopback address": "127.0.0.1",
	}
	assertNotStored(t, e.app, secrets)
}
