package export

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/store"
)

// Queries of a batch's keys. Both return rows in the column order scanKeys
// expects: key, rolling start, rolling period, transmission risk, report
// type, days since onset (NULL when unknown).
const (
	selectKeys = `SELECT exposure_key, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset
		FROM exposures WHERE created_at >= ? AND created_at < ?`
	// A revision replaces report type, onset and (when given) transmission
	// risk; a negative test is stored as REVOKED.
	selectRevised = `SELECT exposure_key, rolling_start, rolling_period,
			COALESCE(revised_transmission_risk, transmission_risk), revised_report_type, revised_days_since_onset
		FROM exposures WHERE revised_at >= ? AND revised_at < ? AND revised_report_type IS NOT NULL`
	selectPadding = `SELECT exposure_key, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset
		FROM export_padding WHERE batch_start = ?`
)

// readKeys appends the keys a query returns to dst. Rows whose key is not
// 16 bytes are skipped and counted (they cannot be exported). It is the
// worker's hot loop: one Scan per row into reused variables, no per-row
// allocation beyond the driver's own.
func readKeys(ctx context.Context, q store.Querier, dst []exportfile.Key, query string, args ...any) ([]exportfile.Key, int, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return dst, 0, err
	}
	defer rows.Close()
	var (
		key               sql.RawBytes
		start, period, tr int64
		rt                int64
		dsos              sql.NullInt64
		skipped           int
	)
	for rows.Next() {
		if err := rows.Scan(&key, &start, &period, &tr, &rt, &dsos); err != nil {
			return dst, skipped, err
		}
		if len(key) != exportfile.KeyLen {
			skipped++
			continue
		}
		k := exportfile.Key{
			RollingStart:      int32(start),
			RollingPeriod:     int32(period),
			TransmissionRisk:  int32(tr),
			ReportType:        exportfile.ReportType(rt),
			DaysSinceOnset:    int32(dsos.Int64),
			HasDaysSinceOnset: dsos.Valid,
		}
		copy(k.Data[:], key)
		dst = append(dst, k)
	}
	return dst, skipped, rows.Err()
}

// sortKeys orders keys by their bytes, as the reference does so that file
// order reveals nothing about upload order.
func sortKeys(keys []exportfile.Key) {
	slices.SortFunc(keys, func(a, b exportfile.Key) int { return bytes.Compare(a.Data[:], b.Data[:]) })
}

// batchKeys reads everything a batch exports: its keys (real and persisted
// padding) and its revised keys, each sorted.
type batchKeys struct {
	keys, revised []exportfile.Key
	real, padding int
}

func (w *Worker) readBatch(ctx context.Context, start, end int64) (*batchKeys, error) {
	var b batchKeys
	var skipped int
	var err error
	b.keys, skipped, err = readKeys(ctx, w.db, nil, selectKeys, start, end)
	if err != nil {
		return nil, fmt.Errorf("export: read keys: %w", err)
	}
	b.real = len(b.keys)
	n := 0
	b.revised, n, err = readKeys(ctx, w.db, nil, selectRevised, start, end)
	if err != nil {
		return nil, fmt.Errorf("export: read revised keys: %w", err)
	}
	skipped += n
	if skipped > 0 {
		w.log.Warn("export: skipped stored keys of wrong length", "count", skipped)
	}
	return &b, nil
}
