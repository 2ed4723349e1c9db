package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrate applies the component's migrations found in the folder dir of
// fsys (typically an embed.FS and "migrations"; "." for its top) that this
// database has not yet applied, in version order, each in its own
// transaction, and records them in schema_migrations.
//
// File names are NNN_description.sql for SQL both engines accept, or the pair
// NNN_description.sqlite.sql and NNN_description.postgres.sql where they
// differ. Migrations are forward-only: a recorded version is never run again,
// and there are no down files. Two components keep separate version
// sequences, so each service owns its tables.
func (db *DB) Migrate(ctx context.Context, component string, fsys fs.FS, dir string) error {
	if db == nil {
		return fmt.Errorf("migrate %s: nil database", component)
	}
	if component == "" {
		return fmt.Errorf("migrate: empty component name")
	}
	fsys, err := fs.Sub(fsys, dir)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("migrate %s: create schema_migrations: %w", component, err)
	}
	files, err := migrationFiles(fsys, db.dialect)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	applied := map[int]bool{}
	rows, err := db.Query(ctx, `SELECT version FROM schema_migrations WHERE component = ?`, component)
	if err != nil {
		return fmt.Errorf("migrate %s: read applied: %w", component, err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate %s: %w", component, err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	for _, m := range files {
		if applied[m.version] {
			continue
		}
		body, err := fs.ReadFile(fsys, m.file)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", component, err)
		}
		err = db.InTx(ctx, func(tx *Tx) error {
			// Both engines accept several statements in one Exec without args.
			if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (component, version, name) VALUES (?, ?, ?)`,
				component, m.version, m.file)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: apply %s: %w", component, m.file, err)
		}
	}
	return nil
}

type migration struct {
	version int
	file    string
}

func migrationFiles(fsys fs.FS, d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	byVersion := map[int]migration{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		stem := strings.TrimSuffix(name, ".sql")
		specific := false
		switch {
		case strings.HasSuffix(stem, ".sqlite"), strings.HasSuffix(stem, ".postgres"):
			if !strings.HasSuffix(stem, "."+string(d)) {
				continue
			}
			specific = true
		}
		num, _, ok := strings.Cut(stem, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and '_'", name)
		}
		if prev, dup := byVersion[v]; dup {
			prevSpecific := strings.Count(prev.file, ".") > 1
			if prevSpecific == specific {
				return nil, fmt.Errorf("migrations %q and %q share version %d", prev.file, name, v)
			}
			if prevSpecific {
				continue
			}
		}
		byVersion[v] = migration{version: v, file: name}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
