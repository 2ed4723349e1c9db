package installs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// env is a running installs service on a real database and real HTTP.
type env struct {
	s     *Server
	db    *store.DB
	clock *clock.Fake
	url   string
}

var testDay0 = time.Date(2020, 8, 13, 9, 30, 0, 0, Zone)

func newEnv(t testing.TB, db *store.DB, mod func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	fc := clock.NewFake(testDay0)
	s, err := New(cfg, Deps{DB: db, Clock: fc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Admin: vnadmin.MustLoad(), Secret: bytes.Repeat([]byte{7}, 32),
		Authorize: func(r *http.Request) (string, error) {
			switch k := r.Header.Get("X-API-Key"); {
			case k == "national":
				return National, nil
			case strings.HasPrefix(k, "prov-"):
				return strings.TrimPrefix(k, "prov-"), nil
			}
			return "", errors.New("no key")
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	hs := httptest.NewServer(mux)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(rctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; hs.Close() })
	return &env{s: s, db: db, clock: fc, url: hs.URL}
}

func token(i int) string {
	b := make([]byte, 24)
	copy(b, []byte("tok"))
	b[20], b[21], b[22], b[23] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (e *env) do(t testing.TB, method, path, key, ctype string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *env) checkin(t testing.TB, tok, province, district string) CheckinResponse {
	t.Helper()
	body, _ := json.Marshal(CheckinRequest{Token: tok, Province: province, District: district, Platform: "android", AppVersion: "4.0.1"})
	st, b := e.do(t, "POST", "/v1/installs/checkin", "", "application/json", body)
	var r CheckinResponse
	if err := json.Unmarshal(b, &r); err != nil || st != 200 {
		t.Fatalf("check-in: %d %s", st, b)
	}
	return r
}

func (e *env) count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) national(t testing.TB, day time.Time) NationalReport {
	t.Helper()
	r, err := e.s.National(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) province(t testing.TB, code string, day time.Time) ProvinceReport {
	t.Helper()
	r, err := e.s.Province(context.Background(), code, day)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rowOf(r NationalReport, code string) ProvinceRow {
	for _, p := range r.Provinces {
		if p.Code == code {
			return p
		}
	}
	return ProvinceRow{}
}

func districtOf(r ProvinceReport, code string) DistrictRow {
	for _, d := range r.Districts {
		if d.Code == code {
			return d
		}
	}
	return DistrictRow{}
}

func decodeTok(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
