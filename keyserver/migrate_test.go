package keyserver

import (
	"context"
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
