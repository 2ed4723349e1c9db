package keyserver

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestMigrateIdempotentAndContractColumns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := Migrate(ctx, db); err != nil {
				t.Fatalf("migrate #%d: %v", i+1, err)
			}
		}
		// The columns the export worker relies on (CONTRACTS.md).
		_, err := db.Exec(ctx, `INSERT INTO exposures (exposure_key, rolling_start, rolling_period,
			transmission_risk, report_type, days_since_onset, health_authority, created_at,
			revised_report_type, revised_days_since_onset, revised_transmission_risk, revised_at)
			VALUES (?, 1, 144, 2, 1, NULL, 'x', 3600, NULL, NULL, NULL, NULL)`, make([]byte, 16))
		if err != nil {
			t.Fatalf("insert contract row: %v", err)
		}
		// PostgreSQL refuses a stored key itself; on SQLite the writer's
		// keySet does (migration 005).
		if db.Dialect() == store.Postgres {
			_, err = db.Exec(ctx, `INSERT INTO exposures (exposure_key, rolling_start, rolling_period,
				transmission_risk, report_type, health_authority, created_at)
				VALUES (?, 1, 144, 2, 1, 'x', 3600) ON CONFLICT (exposure_key) DO NOTHING`, make([]byte, 16))
			if err != nil {
				t.Fatalf("insert on conflict: %v", err)
			}
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM exposures`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows = %d, %v; want 1", n, err)
		}
	})
}

// Migration 005 rebuilds the SQLite exposures table without an index on
// exposure_key, keeping every row under its rowid, and the indexes the
// export worker reads by.
func TestMigration005KeepsRows(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	before := fstest.MapFS{}
	for _, name := range []string{"001_exposures.sqlite.sql", "002_authorities.sql", "003_revision_keys.sqlite.sql",
		"004_revised_at_partial.sql"} {
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: b}
	}
	if err := db.Migrate(ctx, Component, before, "."); err != nil {
		t.Fatal(err)
	}
	rows := randomExposures(50)
	for i := range rows {
		if _, err := db.Exec(ctx, `INSERT INTO exposures (rowid, exposure_key, rolling_start, rolling_period,
			transmission_risk, report_type, health_authority, created_at, revised_at) VALUES (?,?,?,?,?,?,?,?,?)`,
			int64(10*i+7), rows[i].key[:], rows[i].rollingStart, 144, 2, 1, "x", int64(3600*i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		var k []byte
		var created, revised int64
		if err := db.QueryRow(ctx, `SELECT exposure_key, created_at, revised_at FROM exposures WHERE rowid = ?`,
			int64(10*i+7)).Scan(&k, &created, &revised); err != nil {
			t.Fatalf("row %d: %v", 10*i+7, err)
		}
		if !bytes.Equal(k, rows[i].key[:]) || created != int64(3600*i) || revised != int64(i) {
			t.Fatalf("row %d = %x %d %d, want %x %d %d", 10*i+7, k, created, revised, rows[i].key, 3600*i, i)
		}
	}
	var indexes []string
	q, err := db.Query(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'exposures' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for q.Next() {
		var name string
		if err := q.Scan(&name); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, name)
	}
	q.Close()
	if got := strings.Join(indexes, ","); got != "exposures_created_at,exposures_revised_at" {
		t.Fatalf("indexes on exposures: %s", got)
	}
}

// TestRevisedAtIndexPartialAndUsed checks migration 004: the revised_at
// index holds only revised keys and still serves the export worker's
// range query.
func TestRevisedAtIndexPartialAndUsed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		const q = `SELECT exposure_key FROM exposures WHERE revised_at >= 0 AND revised_at < 3600 AND revised_report_type IS NOT NULL`
		var plan string
		if db.Dialect() == store.SQLite {
			var def string
			if err := db.QueryRow(ctx, `SELECT sql FROM sqlite_master WHERE name = 'exposures_revised_at'`).Scan(&def); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(def, "WHERE revised_at IS NOT NULL") {
				t.Fatalf("index definition = %q, want partial", def)
			}
			rows, err := db.Query(ctx, `EXPLAIN QUERY PLAN `+q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan += detail + "\n"
			}
			rows.Close()
		} else {
			var def string
			if err := db.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'exposures_revised_at'
				AND schemaname = current_schema()`).Scan(&def); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(def, "WHERE (revised_at IS NOT NULL)") {
				t.Fatalf("index definition = %q, want partial", def)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
					return err
				}
				rows, err := tx.Query(ctx, `EXPLAIN `+q)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var line string
					if err := rows.Scan(&line); err != nil {
						return err
					}
					plan += line + "\n"
				}
				return rows.Err()
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(plan, "exposures_revised_at") {
			t.Fatalf("plan does not use exposures_revised_at:\n%s", plan)
		}
	})
}
