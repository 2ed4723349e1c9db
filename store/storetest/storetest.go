// Package storetest gives tests fresh databases on both engines: a SQLite
// file in the test's temporary folder and a private schema on a real
// PostgreSQL server, dropped when the test ends.
//
// The PostgreSQL server is the one named by BLUEZONE_TEST_POSTGRES, else the
// machine's own at 127.0.0.1:5432 (database test). A test that cannot reach
// it fails with a message saying how to get one (./scripts/test starts one);
// it never skips silently.
package storetest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// DefaultPostgres is the server used when BLUEZONE_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the PostgreSQL server tests use.
func PostgresURL() string {
	if u := os.Getenv("BLUEZONE_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultPostgres
}

// Each runs fn as two subtests, "sqlite" and "postgres", each with a fresh,
// empty database. Use it for contract tests that every engine must pass.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a fresh SQLite database in the test's temporary folder,
// closed when the test ends.
func SQLite(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Postgres returns a connection to a fresh schema on the test PostgreSQL
// server; the schema is dropped when the test ends.
func Postgres(tb testing.TB) *store.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, PostgresSchemaURL(tb))
	if err != nil {
		tb.Fatalf("open test schema: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PostgresSchemaURL creates a fresh schema on the test PostgreSQL server and
// returns a URL whose connections use it, for code under test that opens
// the database itself (a whole server, a child process). The schema is
// dropped when the test ends; close what uses it before that (register its
// cleanup after calling this).
func PostgresSchemaURL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := PostgresURL()
	u, drop, err := store.ScratchSchema(ctx, base, "t")
	if err != nil {
		tb.Fatalf("PostgreSQL is needed for this test and is not reachable at %s: %v\n"+
			"(run ./scripts/test, which starts one, or set BLUEZONE_TEST_POSTGRES)", redact(base), err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("%v", err)
		}
	})
	return u
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}
