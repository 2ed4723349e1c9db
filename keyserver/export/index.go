package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluezone-vn/bluezone/blob"
	"github.com/bluezone-vn/bluezone/exportfile"
)

// IndexName is the blob name of the index.
const IndexName = "index.txt"

// liveFiles returns the files of every complete batch, oldest first.
func (w *Worker) liveFiles(ctx context.Context) ([]string, error) {
	rows, err := w.db.Query(ctx, `SELECT files FROM export_batches
		WHERE status = 'complete' AND files <> '' ORDER BY start_time`)
	if err != nil {
		return nil, fmt.Errorf("export: list files: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var files string
		if err := rows.Scan(&files); err != nil {
			return nil, fmt.Errorf("export: list files: %w", err)
		}
		names = append(names, strings.Split(files, "\n")...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export: list files: %w", err)
	}
	return names, nil
}

// writeIndex rewrites index.txt (atomically, through the blob store) to
// list exactly the live files, oldest first, when it differs from what is
// stored. It runs only after the files it lists are durable and recorded.
func (w *Worker) writeIndex(ctx context.Context) error {
	names, err := w.liveFiles(ctx)
	if err != nil {
		return err
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = w.cfg.IndexPrefix + n
	}
	data, err := exportfile.MarshalIndex(paths)
	if err != nil {
		return fmt.Errorf("export: index: %w", err)
	}
	old, err := w.blob.Get(ctx, IndexName)
	if err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err != nil && !errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("export: read index: %w", err)
	}
	if err := w.blob.Put(ctx, IndexName, data); err != nil {
		return fmt.Errorf("export: write index: %w", err)
	}
	return nil
}

// cleanup deletes keys older than the retention, and retires the batches
// that ended before it: their files leave the index at the next rewrite and
// are deleted by sweep after that, so the index never lists a deleted file.
func (w *Worker) cleanup(ctx context.Context) error {
	now := w.clock.Now()
	cut := now.Add(-w.cfg.Retention).Unix()
	period := int64(w.cfg.Period.Seconds())
	steps := []struct{ what, sql string }{
		{"keys", `DELETE FROM exposures WHERE created_at < ?`},
		{"padding", `DELETE FROM export_padding WHERE batch_start + ` + strconv.FormatInt(period, 10) + ` <= ?`},
		{"batches", `UPDATE export_batches SET status = 'deleted' WHERE status = 'complete' AND end_time <= ?`},
	}
	for _, s := range steps {
		res, err := w.db.Exec(ctx, s.sql, cut)
		if err != nil {
			return fmt.Errorf("export: delete old %s: %w", s.what, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			w.log.Info("export cleanup", "removed", s.what, "count", n)
		}
	}
	// Records of long-retired batches are no longer needed to know where
	// to resume.
	if _, err := w.db.Exec(ctx, `DELETE FROM export_batches WHERE status = 'deleted' AND end_time <= ?`,
		cut-int64(w.cfg.Retention.Seconds())); err != nil {
		return fmt.Errorf("export: prune batch records: %w", err)
	}
	return nil
}

// sweep deletes stored zips that no live batch lists: files of retired
// batches, and leftovers of failed attempts at batches that have since been
// recorded. A zip newer than the last recorded batch is left alone: it may
// belong to a batch being built.
func (w *Worker) sweep(ctx context.Context) error {
	names, err := w.liveFiles(ctx)
	if err != nil {
		return err
	}
	live := make(map[string]bool, len(names))
	for _, n := range names {
		live[n] = true
	}
	var newest int64
	if err := w.db.QueryRow(ctx, `SELECT COALESCE(MAX(end_time), 0) FROM export_batches`).Scan(&newest); err != nil {
		return fmt.Errorf("export: sweep: %w", err)
	}
	stored, err := w.blob.List(ctx, "")
	if err != nil {
		return fmt.Errorf("export: sweep: %w", err)
	}
	for _, in := range stored {
		if live[in.Name] {
			continue
		}
		_, end, ok := parseFileName(in.Name)
		if !ok || end > newest {
			continue
		}
		if err := w.blob.Delete(ctx, in.Name); err != nil {
			return fmt.Errorf("export: sweep: %w", err)
		}
	}
	return nil
}

// parseFileName reads start and end from "<start>-<end>-<num>.zip".
func parseFileName(name string) (start, end int64, ok bool) {
	stem, found := strings.CutSuffix(name, ".zip")
	if !found {
		return 0, 0, false
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 3 {
		return 0, 0, false
	}
	s, err1 := strconv.ParseInt(parts[0], 10, 64)
	e, err2 := strconv.ParseInt(parts[1], 10, 64)
	_, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, false
	}
	return s, e, true
}
