package export

import (
	"context"
	"fmt"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// lockName is the lease row every worker competes for.
const lockName = "export"

// acquire tries to take or renew the lease for this worker until
// now+ttl. It reports false, without error, when another worker holds an
// unexpired lease. Each statement is atomic on both engines, so two
// workers can never both see true for overlapping leases.
func (w *Worker) acquire(ctx context.Context, now time.Time) (bool, error) {
	if _, err := w.db.Exec(ctx, `INSERT INTO export_locks (name, holder, expires_at) VALUES (?, '', 0)
		ON CONFLICT (name) DO NOTHING`, lockName); err != nil {
		return false, fmt.Errorf("export: create lock: %w", err)
	}
	res, err := w.db.Exec(ctx, `UPDATE export_locks SET holder = ?, expires_at = ?
		WHERE name = ? AND (holder = ? OR expires_at <= ?)`,
		w.holder, now.Add(w.cfg.LockTTL).Unix(), lockName, w.holder, now.Unix())
	if err != nil {
		return false, fmt.Errorf("export: take lock: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("export: take lock: %w", err)
	}
	return n == 1, nil
}

// renew extends this worker's lease inside q (a transaction that is about
// to commit work), failing when the lease was lost meanwhile: the work is
// then rolled back rather than recorded twice.
func (w *Worker) renew(ctx context.Context, q store.Querier, now time.Time) error {
	res, err := q.Exec(ctx, `UPDATE export_locks SET expires_at = ? WHERE name = ? AND holder = ?`,
		now.Add(w.cfg.LockTTL).Unix(), lockName, w.holder)
	if err != nil {
		return fmt.Errorf("export: renew lock: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("export: lock lost to another worker")
	}
	return nil
}

// release gives the lease up so another worker need not wait for it to
// expire.
func (w *Worker) release(ctx context.Context) error {
	if _, err := w.db.Exec(ctx, `UPDATE export_locks SET expires_at = 0 WHERE name = ? AND holder = ?`,
		lockName, w.holder); err != nil {
		return fmt.Errorf("export: release lock: %w", err)
	}
	return nil
}
