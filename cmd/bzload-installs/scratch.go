package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// openScratch opens a database of the run's own: a fresh SQLite file in a
// temporary folder, or a fresh schema on the PostgreSQL server named by a
// postgres:// DSN. cleanup closes it and removes the file or drops the
// schema.
func openScratch(ctx context.Context, spec string) (*store.DB, func(), error) {
	switch {
	case spec == "sqlite":
		dir, err := os.MkdirTemp("", "bzload-installs-*")
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(ctx, filepath.Join(dir, "installs.db"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return db, func() { db.Close(); os.RemoveAll(dir) }, nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		admin, err := store.Open(ctx, spec)
		if err != nil {
			return nil, nil, err
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "bzload_installs_" + hex.EncodeToString(b)
		if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return nil, nil, fmt.Errorf("create schema: %w", err)
		}
		drop := func() {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := admin.Exec(c, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				fmt.Fprintln(os.Stderr, "bzload-installs: drop schema:", err)
			}
			admin.Close()
		}
		u, err := url.Parse(spec)
		if err != nil {
			drop()
			return nil, nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := store.Open(ctx, u.String())
		if err != nil {
			drop()
			return nil, nil, err
		}
		return db, func() { db.Close(); drop() }, nil
	}
	return nil, nil, fmt.Errorf("--db must be sqlite or postgres://…")
}
