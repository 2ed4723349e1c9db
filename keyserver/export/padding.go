package export

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/store"
)

// pad adds the batch's padding keys to b.keys: the persisted ones when the
// batch was padded before, otherwise, for a non-empty batch smaller than
// MinRecords + random(0..PaddingRange), new fake keys up to that size,
// persisted before any file is written so that a rebuild (after a crash or
// a lost race) exports exactly the same keys. Revised keys are not padded:
// they repeat keys already published, so padding them hides nothing.
//
// A fake key is 16 random bytes with the interval, period, transmission
// risk, report type and onset of a random real key of the batch, so fakes
// cannot be told apart by their fields.
func (w *Worker) pad(ctx context.Context, start int64, b *batchKeys) error {
	pad, _, err := readKeys(ctx, w.db, nil, selectPadding, start)
	if err != nil {
		return fmt.Errorf("export: read padding: %w", err)
	}
	if len(pad) == 0 && b.real > 0 && w.cfg.MinRecords > 0 {
		target := w.cfg.MinRecords + mrand.IntN(w.cfg.PaddingRange+1)
		if b.real < target {
			pad = make([]exportfile.Key, target-b.real)
			for i := range pad {
				pad[i] = b.keys[mrand.IntN(b.real)]
				if _, err := rand.Read(pad[i].Data[:]); err != nil {
					return fmt.Errorf("export: padding: %w", err)
				}
			}
			if err := w.db.InTx(ctx, func(tx *store.Tx) error { return insertPadding(ctx, tx, start, pad) }); err != nil {
				return fmt.Errorf("export: save padding: %w", err)
			}
		}
	}
	b.keys = append(b.keys, pad...)
	b.padding = len(pad)
	return nil
}

// insertPadding stores fake keys with multi-row inserts.
func insertPadding(ctx context.Context, tx *store.Tx, start int64, pad []exportfile.Key) error {
	const perStmt = 128
	for len(pad) > 0 {
		n := min(len(pad), perStmt)
		var sb strings.Builder
		sb.WriteString(`INSERT INTO export_padding (batch_start, exposure_key, rolling_start, rolling_period,
			transmission_risk, report_type, days_since_onset) VALUES `)
		args := make([]any, 0, n*7)
		for i, k := range pad[:n] {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?,?,?,?,?,?,?)")
			var dsos any
			if k.HasDaysSinceOnset {
				dsos = int64(k.DaysSinceOnset)
			}
			args = append(args, start, k.Data[:], int64(k.RollingStart), int64(k.RollingPeriod),
				int64(k.TransmissionRisk), int64(k.ReportType), dsos)
		}
		if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
			return err
		}
		pad = pad[n:]
	}
	return nil
}
