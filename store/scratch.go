package store

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
)

// OpenScratch opens a throwaway database of the caller's own, for load
// tools: "sqlite" makes a fresh file in a new temporary folder,
// "sqlite:PATH" opens PATH and keeps it, and a postgres:// URL gets a fresh
// schema (named prefix_<random>) on that server. cleanup closes the
// database and removes the folder or drops the schema.
func OpenScratch(ctx context.Context, spec, prefix string) (db *DB, cleanup func(), err error) {
	switch {
	case spec == "sqlite":
		dir, err := os.MkdirTemp("", prefix+"-*")
		if err != nil {
			return nil, nil, fmt.Errorf("scratch database: %w", err)
		}
		db, err := Open(ctx, filepath.Join(dir, "scratch.db"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return db, func() { db.Close(); os.RemoveAll(dir) }, nil
	case strings.HasPrefix(spec, "sqlite:"):
		db, err := Open(ctx, spec)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		u, drop, err := ScratchSchema(ctx, spec, prefix)
		if err != nil {
			return nil, nil, err
		}
		db, err := Open(ctx, u)
		if err != nil {
			drop()
			return nil, nil, err
		}
		return db, func() {
			db.Close()
			if err := drop(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}, nil
	}
	return nil, nil, fmt.Errorf("database %q: want sqlite, sqlite:PATH or a postgres:// URL", spec)
}

// ScratchSchema creates a fresh schema named prefix_<random> on the
// PostgreSQL server at baseURL and returns a URL whose connections use it,
// and drop, which removes the schema and everything in it. Close what uses
// the schema before calling drop.
func ScratchSchema(ctx context.Context, baseURL, prefix string) (schemaURL string, drop func() error, err error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", nil, fmt.Errorf("scratch schema: %w", err)
	}
	admin, err := Open(ctx, baseURL)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("scratch schema: %w", err)
	}
	schema := prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop = func() error {
		defer admin.Close()
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(c, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	return u.String(), drop, nil
}
