package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/app"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/verification"
)

// appServer is the whole Bluezone server in-process (package app) behind a
// loopback HTTP listener, as the scenario's Server.
type appServer struct {
	a         *app.App
	url       string
	deviceKey string
}

func newAppServer(t *testing.T, clk *clock.Fake) *appServer {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Clock = clk
	cfg.Logger = slog.New(slog.NewTextHandler(logOut(), nil))
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	key, err := os.ReadFile(filepath.Join(cfg.DataDir, "secrets", "device-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	// Run serves and runs the background loops (the key server's batch
	// writer among them) until the test ends.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app.Run: %v", err)
		}
	})
	return &appServer{a: a, url: "http://" + ln.Addr().String(), deviceKey: strings.TrimSpace(string(key))}
}

func (s *appServer) URL() string          { return s.url }
func (s *appServer) DeviceAPIKey() string { return s.deviceKey }

func (s *appServer) IssueCode(ctx context.Context, testType string, symptomDate time.Time) (string, error) {
	req := verification.IssueRequest{TestType: testType, TZOffsetMinutes: 420}
	if !symptomDate.IsZero() {
		req.SymptomDate = symptomDate.Format("2006-01-02")
	}
	res, err := s.a.Verification.IssueCode(ctx, verification.NationalRealm, req)
	if err != nil {
		return "", err
	}
	return res.Code, nil
}

func (s *appServer) Export(ctx context.Context) error {
	_, err := s.a.Export.RunOnce(ctx)
	return err
}

// dumpDB returns every value of every table of the server's database.
func dumpDB(t *testing.T, s *appServer) []byte {
	t.Helper()
	ctx := context.Background()
	db := s.a.DB()
	rows, err := db.Query(ctx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var out []byte
	for _, tb := range tables {
		r, err := db.Query(ctx, "SELECT * FROM "+tb)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					out = append(out, x...)
				case string:
					out = append(out, x...)
				default:
					out = append(out, fmt.Sprint(x)...)
				}
				out = append(out, 0)
			}
		}
		r.Close()
	}
	if len(tables) < 5 || len(out) == 0 {
		t.Fatalf("dumped %d tables, %d bytes", len(tables), len(out))
	}
	return out
}

func logOut() io.Writer {
	if os.Getenv("SIM_SERVER_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
