package keyserver

import (
	"context"
	"strings"
	"testing"

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
		_, err = db.Exec(ctx, `INSERT INTO exposures (exposure_key, rolling_start, rolling_period,
			transmission_risk, report_type, health_authority, created_at)
			VALUES (?, 1, 144, 2, 1, 'x', 3600) ON CONFLICT (exposure_key) DO NOTHING`, make([]byte, 16))
		if err != nil {
			t.Fatalf("insert on conflict: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM exposures`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows = %d, %v; want 1", n, err)
		}
	})
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
