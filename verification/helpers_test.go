package verification

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// testNow is a fixed instant: 2025-03-10 03:00 UTC (10:00 in Vietnam).
var testNow = time.Date(2025, 3, 10, 3, 0, 0, 0, time.UTC)

type env struct {
	t        testing.TB
	db       *store.DB
	clock    *clock.Fake
	srv      *Server
	http     *httptest.Server
	adminVN  string // national admin key (bootstrap)
	deviceVN string // national device key
	admin67  string // province 67 admin key
	device67 string
	device01 string
}

func testSecret() []byte { return bytes.Repeat([]byte{7}, 32) }

func newEnv(t testing.TB, db *store.DB, mod func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	fc := clock.NewFake(testNow)
	srv, err := New(cfg, Deps{DB: db, Clock: fc, Logger: slog.New(slog.DiscardHandler), Secret: testSecret()})
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	e := &env{t: t, db: db, clock: fc, srv: srv}
	var created bool
	if e.adminVN, created, err = srv.EnsureBootstrap(ctx); err != nil || !created || e.adminVN == "" {
		t.Fatalf("bootstrap: key %q created %v err %v", e.adminVN, created, err)
	}
	e.deviceVN = e.mustKey(NationalRealm, KindDevice)
	e.admin67 = e.mustKey("67", KindAdmin)
	e.device67 = e.mustKey("67", KindDevice)
	e.device01 = e.mustKey("01", KindDevice)
	mux := http.NewServeMux()
	srv.Register(mux)
	e.http = httptest.NewServer(mux)
	t.Cleanup(e.http.Close)
	return e
}

func (e *env) mustKey(realm, kind string) string {
	e.t.Helper()
	k, err := e.srv.CreateAPIKey(context.Background(), realm, kind, kind+" "+realm)
	if err != nil {
		e.t.Fatalf("create key: %v", err)
	}
	return k
}

// post sends body (a value to encode, or a string/[]byte sent as is) and
// decodes the JSON answer into a map.
func (e *env) post(path, apiKey string, body any, hdr ...string) (int, map[string]any) {
	e.t.Helper()
	status, raw := e.postRaw(path, apiKey, body, hdr...)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("%s: answer is not JSON (%d): %q", path, status, raw)
	}
	return status, m
}

func (e *env) postRaw(path, apiKey string, body any, hdr ...string) (int, []byte) {
	e.t.Helper()
	var data []byte
	switch b := body.(type) {
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, e.http.URL+path, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// issue issues a code over HTTP and fails the test unless it worked.
func (e *env) issue(apiKey string, req map[string]any) map[string]any {
	e.t.Helper()
	status, m := e.post("/api/issue", apiKey, req)
	if status != http.StatusOK {
		e.t.Fatalf("issue %v: %d %s %s", req, status, str(m, "errorCode"), str(m, "error"))
	}
	return m
}

func (e *env) verify(deviceKey, code string, accept ...string) (int, map[string]any) {
	e.t.Helper()
	body := map[string]any{"code": code, "padding": "cGFkZGluZw=="}
	if accept != nil {
		body["accept"] = accept
	}
	return e.post("/api/verify", deviceKey, body)
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// dump returns every row of every table, one string per row with raw bytes
// kept as bytes, grouped by table and sorted.
func dump(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	tables := storetest.Tables(t, db)
	out := map[string][]string{}
	for _, tb := range tables {
		r, err := db.Query(ctx, `SELECT * FROM `+tb)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[tb] = append(out[tb], b.String())
		}
		r.Close()
		sort.Strings(out[tb])
	}
	return out
}

// snapshot is dump without the aggregate counters, which failed attempts
// are meant to change.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	d := dump(t, db)
	delete(d, "verification_stats")
	names := make([]string, 0, len(d))
	for n := range d {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "## %s\n%s\n", n, strings.Join(d[n], "\n"))
	}
	return b.String()
}

func clockFor() *clock.Fake { return clock.NewFake(testNow) }
