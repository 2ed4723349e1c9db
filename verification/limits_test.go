package verification

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestLockOut(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), func(c *Config) { c.ClientIPHeader = "X-Forwarded-For" })
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	verify := func(key, code, ip string) (int, map[string]any) {
		t.Helper()
		return e.post("/api/verify", key, map[string]any{"code": code}, from(ip)...)
	}
	good := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
	wrong := "00000000"
	if wrong == str(good, "code") {
		wrong = "00000001"
	}

	// One client: five wrong codes, then locked out — even with a good code.
	for i := 0; i < 5; i++ {
		if s, m := verify(e.device67, wrong, "203.0.113.9"); s != 400 || str(m, "errorCode") != ErrCodeInvalid {
			t.Fatalf("attempt %d: %d %v", i, s, m)
		}
	}
	status, raw := e.postRaw("/api/verify", e.device67, map[string]any{"code": str(good, "code")}, from("203.0.113.9")...)
	if status != http.StatusTooManyRequests {
		t.Fatalf("locked client: %d %s", status, raw)
	}
	// Retry-After is set: check through a raw request.
	if ra := e.retryAfter(e.device67, str(good, "code"), "203.0.113.9"); ra < 3500 || ra > 3600 {
		t.Errorf("Retry-After %d, want about an hour", ra)
	}
	if st, _ := e.srv.CodeStatus(t.Context(), "67", str(good, "uuid")); st.Claimed {
		t.Fatal("a locked-out request claimed the code")
	}

	// The key: 60 wrong codes (5 above, 55 from as many clients) lock the
	// key for everyone.
	for i := 0; i < 55; i++ {
		if s, _ := verify(e.device67, wrong, fmt.Sprintf("198.51.100.%d", i)); s != 400 {
			t.Fatalf("key attempt %d: %d", i, s)
		}
	}
	if s, m := verify(e.device67, str(good, "code"), "192.0.2.1"); s != http.StatusTooManyRequests || str(m, "errorCode") != ErrTooManyAttempts {
		t.Fatalf("locked key: %d %v", s, m)
	}
	// Another device key is not affected.
	other := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
	if s, m := verify(e.deviceVN, str(other, "code"), "192.0.2.1"); s != 200 {
		t.Fatalf("other key: %d %v", s, m)
	}

	// After the window the key and the client work again.
	e.clock.Advance(time.Hour)
	if s, m := verify(e.device67, str(good, "longCode"), "203.0.113.9"); s != 200 {
		t.Fatalf("after lock-out: %d %v", s, m)
	}
	stats, _ := e.srv.Stats(t.Context(), "67", testNow, testNow)
	if len(stats) != 1 || stats[0].CodesInvalid != 60 {
		t.Errorf("invalid attempts counted: %+v", stats)
	}
}

func (e *env) retryAfter(key, code, ip string) int {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/api/verify", jsonBody(map[string]any{"code": code}))
	req.Header.Set("X-API-Key", key)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	n, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return n
}

func TestLimiterBoundsMemory(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTrackedClients = 100
	l := newLimiter(cfg)
	for i := 0; i < 1000; i++ {
		var id [16]byte
		id[0], id[1] = byte(i), byte(i>>8)
		l.fail(id, "k", testNow)
	}
	if n := len(l.clients); n > 100 {
		t.Fatalf("%d clients tracked, limit 100", n)
	}
	l.prune(testNow.Add(2 * time.Hour))
	if len(l.clients) != 0 || len(l.keys) != 0 {
		t.Fatalf("prune left %d clients, %d keys", len(l.clients), len(l.keys))
	}
}
