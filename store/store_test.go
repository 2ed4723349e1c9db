package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, pg string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ? , ?", "SELECT $1 , $2"},
		{"SELECT '?' , ?", "SELECT '?' , $1"},
	} {
		if got := store.Rebind(store.Postgres, tc.in); got != tc.pg {
			t.Errorf("Rebind(%q) = %q, want %q", tc.in, got, tc.pg)
		}
		if got := store.Rebind(store.SQLite, tc.in); got != tc.in {
			t.Errorf("SQLite Rebind(%q) = %q", tc.in, got)
		}
	}
}

func TestMigrateAndQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fsys := os.DirFS("testdata/migrations")
		if err := db.Migrate(ctx, "demo", fsys, "."); err != nil {
			t.Fatal(err)
		}
		// A second run applies nothing and fails on nothing.
		if err := db.Migrate(ctx, "demo", fsys, "."); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component = ?`, "demo").Scan(&n); err != nil || n != 2 {
			t.Fatalf("applied = %d, %v; want 2", n, err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO items (id, name) VALUES (?, ?)`, 1, "a"); err != nil {
			t.Fatal(err)
		}
		_, err := db.Exec(ctx, `INSERT INTO items (id, name) VALUES (?, ?)`, 2, "a")
		if !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: %v, want a unique violation", err)
		}
		want := []byte{0, 1, 2, 255}
		if _, err := db.Exec(ctx, `INSERT INTO blobs (id, data) VALUES (?, ?)`, 1, want); err != nil {
			t.Fatal(err)
		}
		var got []byte
		if err := db.QueryRow(ctx, `SELECT data FROM blobs WHERE id = ?`, 1).Scan(&got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("blob = %x, %v", got, err)
		}
		// A failed transaction leaves nothing behind.
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO items (id, name) VALUES (?, ?)`, 3, "c"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v", err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM items`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("items after rollback = %d, %v; want 1", n, err)
		}
	})
}

func TestMigrateBadNames(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	for name, fsys := range map[string]fstest.MapFS{
		"no number": {"init.sql": {Data: []byte("SELECT 1")}},
		"duplicate": {"001_a.sql": {Data: []byte("SELECT 1")}, "001_b.sql": {Data: []byte("SELECT 1")}},
	} {
		if err := db.Migrate(ctx, "bad", fsys, "."); err == nil {
			t.Errorf("%s: Migrate succeeded, want an error", name)
		}
	}
	broken := fstest.MapFS{"001_ok.sql": {Data: []byte("CREATE TABLE ok (x INTEGER)")}, "002_bad.sql": {Data: []byte("CREATE TABLE")}}
	if err := db.Migrate(ctx, "broken", broken, "."); err == nil {
		t.Fatal("broken migration succeeded")
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component = 'broken'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("recorded = %d, %v; want only the good one", n, err)
	}
	var none *store.DB
	if err := none.Migrate(ctx, "x", broken, "."); err == nil {
		t.Fatal("Migrate on a nil database succeeded")
	}
	if err := db.Migrate(ctx, "x", broken, "no-such-folder"); err == nil {
		t.Fatal("Migrate of a missing folder succeeded")
	}
	if _, err := store.Open(ctx, ""); err == nil {
		t.Fatal("Open with empty DSN succeeded")
	}
}

// A pinned connection commits and rolls back like the pool, keeps its own
// session settings, and its commits are seen by the pool.
func TestConn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, "demo", os.DirFS("testdata/migrations"), "."); err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if conn.Dialect() != db.Dialect() {
			t.Fatalf("dialect %s, want %s", conn.Dialect(), db.Dialect())
		}
		if err := conn.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO items (id, name) VALUES (?, ?)`, 1, "a")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err = conn.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO items (id, name) VALUES (?, ?)`, 2, "b"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM items`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("pool sees %d items, %v; want 1", n, err)
		}
		if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM items WHERE name = ?`, "a").Scan(&n); err != nil || n != 1 {
			t.Fatalf("conn sees %d items named a, %v; want 1", n, err)
		}
		// A session setting stays with the connection.
		if db.Dialect() == store.SQLite {
			if _, err := conn.Exec(ctx, "PRAGMA cache_size = -12345"); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, "PRAGMA cache_size").Scan(&n); err != nil || n != -12345 {
				t.Fatalf("cache_size = %d, %v", n, err)
			}
		}
		if err := conn.Close(); err != nil {
			t.Fatal(err)
		}
		if err := conn.InTx(ctx, func(*store.Tx) error { return nil }); err == nil {
			t.Fatal("InTx on a closed connection succeeded")
		}
	})
}

// A writer's connection commits like any other and, on SQLite, has the
// large page cache.
func TestWriterConn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		conn, err := db.WriterConn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `CREATE TABLE w (id INTEGER PRIMARY KEY)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == store.SQLite {
			var n int
			if err := conn.QueryRow(ctx, "PRAGMA cache_size").Scan(&n); err != nil || n != -64<<10 {
				t.Fatalf("cache_size = %d, %v; want %d", n, err, -64<<10)
			}
		}
	})
}

// A cached statement is prepared once and runs in any later transaction;
// multi-row statements are built from Placeholders and NextChunk.
func TestStmtCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE sc (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		c := store.NewStmtCache(db)
		defer c.Close()
		sizes := []int{4, 1}
		next := 0
		for range 3 {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				for left := 6; left > 0; {
					n := store.NextChunk(left, sizes)
					args := make([]any, 0, 2*n)
					for range n {
						next++
						args = append(args, next, "v")
					}
					if _, err := c.Exec(ctx, tx, `INSERT INTO sc (id, v) VALUES `+store.Placeholders(n, 2), args...); err != nil {
						return err
					}
					left -= n
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if c.Len() != 2 {
			t.Fatalf("cache holds %d statements, want 2 (4 rows and 1 row)", c.Len())
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM sc`).Scan(&n); err != nil || n != 18 {
			t.Fatalf("rows = %d, %v; want 18", n, err)
		}
		if p := store.Placeholders(2, 3); p != "(?,?,?),(?,?,?)" {
			t.Fatalf("Placeholders(2, 3) = %q", p)
		}
		if p := store.Placeholders(3, 1); p != "?,?,?" {
			t.Fatalf("Placeholders(3, 1) = %q", p)
		}
	})
}
