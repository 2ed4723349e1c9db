package sim

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/bluezone-vn/bluezone/app"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// newAppServer starts the whole Bluezone server in-process (app.Local)
// behind a loopback listener, as the scenario's Server, until the test ends.
func newAppServer(t *testing.T, clk *clock.Fake) *app.Local {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Clock = clk
	cfg.Logger = slog.New(slog.NewTextHandler(logOut(), nil))
	srv, err := app.StartLocal(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	return srv
}

// dumpDB returns every value of every table of the server's database,
// NUL-separated.
func dumpDB(t *testing.T, s *app.Local) []byte {
	t.Helper()
	var out []byte
	tables := map[string]bool{}
	storetest.EachValue(t, s.App.DB(), func(table, _ string, v []byte) {
		tables[table] = true
		out = append(append(out, v...), 0)
	})
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
