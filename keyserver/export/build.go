package export

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/store"
)

// buildBatch exports the keys of [start, end) and records the batch. It
// returns the number of files written; 0 means the batch is empty and
// nothing was written or recorded (the caller records empty ranges).
//
// Files are written (each atomically) before the batch is recorded, and the
// index is rewritten only after that, so the index never lists a file that
// is not complete on disk. If writing fails midway the files already
// written are removed again and nothing is recorded: the next run builds
// the whole batch anew, with the same keys (padding is persisted first).
func (w *Worker) buildBatch(ctx context.Context, start, end int64) (int, error) {
	// Phase durations go to the log for operators; they steer nothing.
	began := time.Now()
	b, err := w.readBatch(ctx, start, end)
	if err != nil {
		return 0, err
	}
	if len(b.keys) == 0 && len(b.revised) == 0 {
		return 0, nil
	}
	if err := w.pad(ctx, start, b); err != nil {
		return 0, err
	}
	read := time.Since(began)
	b.keys = sortKeys(b.keys)
	b.revised = sortKeys(b.revised)
	sorted := time.Since(began)
	files := w.split(start, end, b)
	names := make([]string, len(files))
	for i := range files {
		names[i] = exportfile.FileName("", time.Unix(start, 0), time.Unix(end, 0), i+1)
	}
	if err := w.writeFiles(ctx, names, files); err != nil {
		return 0, fmt.Errorf("export: batch %d-%d: %w", start, end, err)
	}
	// Were recording to fail, the files stay: they are listed nowhere,
	// the next run rewrites them, and another worker that took over the
	// lease may have written the very same names.
	if err := w.record(ctx, start, end, names, b); err != nil {
		return 0, err
	}
	w.log.Info("export batch built", "start", start, "end", end, "files", len(names),
		"keys", b.real, "padding", b.padding, "revised", len(b.revised),
		"read", read.Round(time.Millisecond), "sorted", sorted.Round(time.Millisecond),
		"done", time.Since(began).Round(time.Millisecond))
	return len(names), nil
}

// split cuts the batch into files of at most MaxRecords keys plus revised
// keys: keys fill the files first, revised keys follow, as the reference
// does. When a batch needs several files, each file's end timestamp is the
// batch end plus the file number, so phones that de-duplicate files by
// (start, end, batch number) keep all of them; batch_num and batch_size are
// always 1 (the reference stopped numbering files within a batch).
func (w *Worker) split(start, end int64, b *batchKeys) []*exportfile.Export {
	total := len(b.keys) + len(b.revised)
	n := (total + w.cfg.MaxRecords - 1) / w.cfg.MaxRecords
	out := make([]*exportfile.Export, n)
	keys, revised := b.keys, b.revised
	for i := range out {
		e := &exportfile.Export{
			Start:     time.Unix(start, 0),
			End:       time.Unix(end, 0),
			Region:    w.cfg.Region,
			BatchNum:  1,
			BatchSize: 1,
		}
		if n > 1 {
			e.End = time.Unix(end+int64(i+1), 0)
		}
		room := w.cfg.MaxRecords
		k := min(room, len(keys))
		e.Keys, keys = keys[:k:k], keys[k:]
		room -= k
		r := min(room, len(revised))
		e.RevisedKeys, revised = revised[:r:r], revised[r:]
		out[i] = e
	}
	return out
}

// writeFiles signs, zips and stores the files, several at once (signing
// and deflating are CPU-bound). On failure it removes what it stored.
func (w *Worker) writeFiles(ctx context.Context, names []string, files []*exportfile.Export) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			data, err := exportfile.Build(files[i], w.signers...)
			if err != nil {
				errs[i] = fmt.Errorf("build %s: %w", names[i], err)
				cancel()
				return
			}
			if err := w.blob.Put(ctx, names[i], data); err != nil {
				errs[i] = fmt.Errorf("store %s: %w", names[i], err)
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		w.removeFiles(ctx, names)
		return err
	}
	return nil
}

// removeFiles deletes files of a batch that could not be completed, while
// this worker still holds the lease (otherwise they may be another
// worker's). It is best effort: a file left behind is listed nowhere, is
// overwritten when the batch is built again, and is swept once a later
// batch is recorded.
func (w *Worker) removeFiles(ctx context.Context, names []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var mine int
	if err := w.db.QueryRow(ctx, `SELECT COUNT(*) FROM export_locks WHERE name = ? AND holder = ?`,
		lockName, w.holder).Scan(&mine); err != nil || mine != 1 {
		return
	}
	for _, name := range names {
		if err := w.blob.Delete(ctx, name); err != nil {
			w.log.Warn("export: could not remove file of failed batch", "file", name, "err", err)
		}
	}
}

// record marks [start, end) as built with the given files, in the same
// transaction as a lease renewal, so a worker that lost its lease cannot
// record a batch another worker is building.
func (w *Worker) record(ctx context.Context, start, end int64, names []string, b *batchKeys) error {
	now := w.clock.Now()
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		if err := w.renew(ctx, tx, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO export_batches (start_time, end_time, status, files, key_count,
			padding_count, revised_count, built_at) VALUES (?, ?, 'complete', ?, ?, ?, ?, ?)`,
			start, end, strings.Join(names, "\n"), b.real, b.padding, len(b.revised), now.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("export: record batch %d-%d: %w", start, end, err)
	}
	return nil
}
