package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startApp runs a whole app on a loopback port and returns its base URL.
func startApp(t *testing.T, cfg Config) (*App, string) {
	t.Helper()
	l, err := StartLocal(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return l.App, l.URL()
}

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Logger = nil
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndMetrics(t *testing.T) {
	_, base := startApp(t, testConfig(t))
	if code, body := get(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, `bluezone_http_requests_total{code="200",route="GET /healthz"} 1`) {
		t.Fatalf("metrics: %d, missing the healthz request count:\n%s", code, body)
	}
}

func TestSecretsPersistAcrossRestarts(t *testing.T) {
	cfg := testConfig(t)
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := append([]byte(nil), a.secret...)
	if len(a.Notes) == 0 {
		t.Fatal("first start reported nothing created")
	}
	a.Close()
	info, err := os.Stat(filepath.Join(cfg.DataDir, "secrets", "master.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, mode %v", err, info.Mode())
	}
	b, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if string(b.secret) != string(first) {
		t.Fatal("secret changed across restarts")
	}
}

func TestConfigValidation(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"no data dir":   func(c *Config) { c.DataDir = "" },
		"bad part":      func(c *Config) { c.Only = "everything" },
		"bad db":        func(c *Config) { c.DB = "mysql://x" },
		"bad period":    func(c *Config) { c.ExportPeriod = 7 * time.Hour },
		"no region":     func(c *Config) { c.Region = "" },
		"no key id":     func(c *Config) { c.ExportKeyID = "" },
		"negative wait": func(c *Config) { c.ExportMinWindowAge = -time.Second },
	} {
		cfg := testConfig(t)
		mut(&cfg)
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("%s: New accepted the config", name)
		}
	}
	cfg := testConfig(t)
	cfg.Secret = "not base64!"
	if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "BLUEZONE_SECRET") {
		t.Errorf("bad secret: %v", err)
	}
}

// A second server on the same SQLite data folder stops with a clear error
// instead of writing keys beside the first.
func TestSecondServerOnSameDataDir(t *testing.T) {
	cfg := testConfig(t)
	startApp(t, cfg)
	b, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = b.Run(ctx, ln)
	if err == nil || !strings.Contains(err.Error(), "another key server") || ctx.Err() != nil {
		t.Fatalf("second server: %v; want it to stop at once naming the other key server", err)
	}
}
