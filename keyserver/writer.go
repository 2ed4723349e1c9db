package keyserver

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// The group-commit writer. Request goroutines do all the CPU work (JSON,
// certificate, validation) and hand a writeJob to the one writer goroutine
// (Server.Run). The writer takes every job waiting, decides each one
// against the stored keys (new key, revision, or refusal), writes the new
// keys of all of them in one transaction, and only after the commit returns
// tells each request its result. One fsync (SQLite) or one commit round trip
// (PostgreSQL) thus serves many requests, and no request is acknowledged
// before its keys are durable.
//
// Jobs that revise stored keys are rare; they are taken out of the batch and
// run one by one in their own transaction after it, so that a revision that
// loses a race can be refused without undoing other requests' writes.

type writeJob struct {
	incoming    []exposure
	token       []revisableKey // nil when no usable token was sent
	tokenFailed bool           // a token was sent but could not be opened
	done        chan writeResult
}

type writeResult struct {
	inserted int
	changed  []exposure // inserted or revised, for the new revision token
	err      error
}

// errRevision is a refusal decided by the revision rules; code is the wire
// error code and msg is safe to show.
type errRevision struct{ code, msg string }

func (e *errRevision) Error() string { return e.msg }

// storedKey is what the revision rules need of a stored row.
type storedKey struct {
	rollingStart  int32
	rollingPeriod int32
	reportType    int
	revised       bool
	revisedType   int
}

var errWriterStopped = errors.New("keyserver: writer is not running")

// submit hands job to the writer and waits for its commit.
func (s *Server) submit(ctx context.Context, job *writeJob) (writeResult, error) {
	job.done = make(chan writeResult, 1)
	timer := time.NewTimer(s.cfg.WriteTimeout)
	defer timer.Stop()
	select {
	case s.queue <- job:
	case <-s.stopped:
		return writeResult{}, errWriterStopped
	case <-ctx.Done():
		return writeResult{}, ctx.Err()
	case <-timer.C:
		return writeResult{}, errors.New("keyserver: write queue full")
	}
	select {
	case r := <-job.done:
		return r, nil
	case <-s.stopped:
		select {
		case r := <-job.done:
			return r, nil
		default:
			return writeResult{}, errWriterStopped
		}
	case <-ctx.Done():
		return writeResult{}, ctx.Err()
	case <-timer.C:
		return writeResult{}, errors.New("keyserver: write timed out")
	}
}

// Run is the group-commit writer: it must be running for publish requests
// to be stored (requests wait for it, up to Config.WriteTimeout). It returns
// nil when ctx ends, after committing the jobs already queued. Call it once.
//
// On SQLite one goroutine writes (SQLite allows one writer at a time). On
// PostgreSQL Config.Writers goroutines take batches from the same queue and
// commit them concurrently, so one batch's round trips and commit flush
// overlap the next batch's; keys stored by a concurrent batch are caught by
// ON CONFLICT and sent down the careful path like any other stored key.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("keyserver: Run called twice")
	}
	defer close(s.stopped)
	writers := 1
	if s.db.Dialect() != store.SQLite {
		writers = s.cfg.Writers
		if writers == 0 {
			writers = defaultPostgresWriters
		}
	}
	var tx store.TxRunner = s.db // SQLite: the writer's own connection
	var wal *walKeeper           // SQLite only
	if s.db.Dialect() == store.SQLite {
		conn, err := s.writerConn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		tx = conn
		wal = newWALKeeper(s.db, conn, s.log)
		cpCtx, stopCP := context.WithCancel(context.WithoutCancel(ctx))
		cpDone := make(chan struct{})
		go func() { defer close(cpDone); wal.background(cpCtx) }()
		defer func() { stopCP(); <-cpDone }()
	}
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() { defer wg.Done(); s.writeLoop(ctx, tx, wal) }()
	}
	wg.Wait()
	return nil
}

// defaultPostgresWriters is the number of concurrent writer transactions
// on PostgreSQL when Config.Writers is 0.
const defaultPostgresWriters = 3

// writeLoop is one writer goroutine: it takes every job waiting (up to
// MaxBatch) and writes them as one batch, until ctx ends; then it commits
// what is still queued and returns.
func (s *Server) writeLoop(ctx context.Context, db store.TxRunner, wal *walKeeper) {
	batch := make([]*writeJob, 0, s.cfg.MaxBatch)
	for {
		select {
		case <-ctx.Done():
			// Commit what is queued, then stop.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.WriteTimeout)
			for {
				batch = s.drain(batch[:0])
				if len(batch) == 0 {
					break
				}
				s.writeBatch(dctx, db, batch)
			}
			cancel()
			return
		case <-wal.caughtUp():
			wal.finish(ctx)
		case j := <-s.queue:
			wal.finishIfDue(ctx)
			batch = s.drain(append(batch[:0], j))
			s.writeBatch(ctx, db, batch)
		}
	}
}

// drain adds the jobs waiting in the queue to batch, up to MaxBatch.
func (s *Server) drain(batch []*writeJob) []*writeJob {
	for len(batch) < s.cfg.MaxBatch {
		select {
		case j := <-s.queue:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

func (s *Server) writeBatch(ctx context.Context, db store.TxRunner, batch []*writeJob) {
	start := time.Now()
	results, slow, err := s.writeFast(ctx, db, batch)
	// A conflict in the careful path means another writer (PostgreSQL)
	// stored one of the keys after this transaction read them: read again.
	for try := 0; errors.Is(err, errConflict) && try < conflictRetries; try++ {
		results, slow, err = s.writeCareful(ctx, db, batch)
	}
	if err != nil {
		// Fall back to one transaction per job so one bad job cannot fail
		// the others.
		s.log.Error("keyserver: batch write failed; retrying jobs one by one", "jobs", len(batch), "err", err)
		for _, job := range batch {
			job.done <- s.writeOne(ctx, db, job)
		}
		return
	}
	s.metrics.observeBatch(len(batch), time.Since(start))
	for i, job := range batch {
		if !slow[i] {
			job.done <- results[i]
		}
	}
	for i, job := range batch {
		if slow[i] {
			job.done <- s.writeOne(ctx, db, job)
		}
	}
}

// errConflict aborts a transaction that tried to insert a key that is
// stored already: in the fast path because the revision rules must then be
// applied (writeCareful); in the careful path because a concurrent writer
// committed the key after it was read, so the decision must be made again.
var errConflict = errors.New("key already stored")

// conflictRetries bounds how often a batch or job is decided again after
// losing a race to a concurrent writer.
const conflictRetries = 5

// writerConn takes the SQLite connection the writer commits on for as long
// as it runs (store.DB.WriterConn).
func (s *Server) writerConn(ctx context.Context) (*store.Conn, error) {
	conn, err := s.db.WriterConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyserver: writer connection: %w", err)
	}
	// The writer's commits do not checkpoint the WAL themselves (that
	// copies pages and fsyncs the database file inside the commit);
	// walKeeper does it beside them.
	if _, err := conn.Exec(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("keyserver: set wal_autocheckpoint: %w", err)
	}
	return conn, nil
}

// writeFast assumes the common case, that every key is new, and inserts
// them all without looking first; if any key turns out to be stored, it
// rolls back with errConflict. Jobs reporting negative (which never insert,
// only revise) are left to writeOne.
func (s *Server) writeFast(ctx context.Context, db store.TxRunner, batch []*writeJob) ([]writeResult, []bool, error) {
	results := make([]writeResult, len(batch))
	slow := make([]bool, len(batch))
	var inserts []exposure
	for i, job := range batch {
		if len(job.incoming) > 0 && job.incoming[0].reportType == ReportTypeNegative {
			slow[i] = true
			continue
		}
		results[i] = writeResult{inserted: len(job.incoming), changed: job.incoming}
		inserts = append(inserts, job.incoming...)
	}
	if s.db.Dialect() != store.SQLite {
		// One statement is one transaction: a single round trip, and a
		// key stored already fails the whole statement (nothing stored).
		err := insertPostgres(ctx, s.db, inserts, false)
		if store.IsUniqueViolation(err) {
			err = errConflict
		}
		return results, slow, err
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return insertExposures(ctx, tx, inserts)
	})
	return results, slow, err
}

// writeCareful reads the stored rows for every key of the batch and applies
// the revision rules job by job; jobs that revise are left to writeOne.
func (s *Server) writeCareful(ctx context.Context, db store.TxRunner, batch []*writeJob) ([]writeResult, []bool, error) {
	results := make([]writeResult, len(batch))
	slow := make([]bool, len(batch))
	err := db.InTx(ctx, func(tx *store.Tx) error {
		clear(slow)
		stored, err := readStored(ctx, tx, batch)
		if err != nil {
			return err
		}
		var inserts []exposure
		for i, job := range batch {
			r, updates := decide(job, stored)
			if len(updates) > 0 {
				slow[i] = true
				continue
			}
			results[i] = r
			if r.err != nil {
				continue
			}
			for _, e := range r.changed {
				if e.reportType == ReportTypeNegative {
					continue // a new key reported negative is not stored
				}
				inserts = append(inserts, e)
				stored[e.key] = &storedKey{rollingStart: e.rollingStart, rollingPeriod: e.rollingPeriod,
					reportType: exportReportType(e.reportType)}
			}
		}
		return insertExposures(ctx, tx, inserts)
	})
	return results, slow, err
}

// writeOne runs one job in its own transaction, revisions included,
// deciding again when a concurrent writer stored one of its keys first.
func (s *Server) writeOne(ctx context.Context, db store.TxRunner, job *writeJob) writeResult {
	r := s.writeOnce(ctx, db, job)
	for try := 0; errors.Is(r.err, errConflict) && try < conflictRetries; try++ {
		r = s.writeOnce(ctx, db, job)
	}
	return r
}

func (s *Server) writeOnce(ctx context.Context, db store.TxRunner, job *writeJob) writeResult {
	var res writeResult
	err := db.InTx(ctx, func(tx *store.Tx) error {
		stored, err := readStored(ctx, tx, []*writeJob{job})
		if err != nil {
			return err
		}
		r, updates := decide(job, stored)
		res = r
		if r.err != nil {
			return nil
		}
		var inserts []exposure
		for _, e := range r.changed {
			if _, isUpdate := updates[e.key]; isUpdate || e.reportType == ReportTypeNegative {
				continue
			}
			inserts = append(inserts, e)
		}
		if err := insertExposures(ctx, tx, inserts); err != nil {
			return err
		}
		for _, e := range r.changed {
			if _, ok := updates[e.key]; !ok {
				continue
			}
			var dsos any
			if e.daysSinceOnset != nil {
				dsos = int64(*e.daysSinceOnset)
			}
			out, err := tx.Exec(ctx, `UPDATE exposures SET revised_report_type = ?, revised_days_since_onset = ?,
				revised_transmission_risk = ?, revised_at = ?, health_authority = ?
				WHERE exposure_key = ? AND revised_at IS NULL`,
				exportReportType(e.reportType), dsos, e.transmissionRisk, e.createdAt, e.healthAuthority, e.key[:])
			if err != nil {
				return fmt.Errorf("revise exposure: %w", err)
			}
			if n, err := out.RowsAffected(); err == nil && n != 1 {
				return &errRevision{code: ErrorKeyAlreadyRevised, msg: "key was already revised"}
			}
		}
		return nil
	})
	var rev *errRevision
	switch {
	case errors.As(err, &rev):
		return writeResult{err: rev}
	case err != nil:
		return writeResult{err: err}
	}
	return res
}

// readStored loads the stored rows for every key of the jobs.
func readStored(ctx context.Context, tx *store.Tx, jobs []*writeJob) (map[[KeyLength]byte]*storedKey, error) {
	var keys []any
	for _, j := range jobs {
		for i := range j.incoming {
			keys = append(keys, j.incoming[i].key[:])
		}
	}
	stored := make(map[[KeyLength]byte]*storedKey, len(keys))
	const chunk = 500
	for lo := 0; lo < len(keys); lo += chunk {
		part := keys[lo:min(lo+chunk, len(keys))]
		q := `SELECT exposure_key, rolling_start, rolling_period, report_type, revised_report_type
			FROM exposures WHERE exposure_key IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := tx.Query(ctx, q, part...)
		if err != nil {
			return nil, fmt.Errorf("read stored keys: %w", err)
		}
		for rows.Next() {
			var k []byte
			var sk storedKey
			var revised sql.NullInt64
			if err := rows.Scan(&k, &sk.rollingStart, &sk.rollingPeriod, &sk.reportType, &revised); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read stored keys: %w", err)
			}
			if revised.Valid {
				sk.revised, sk.revisedType = true, int(revised.Int64)
			}
			var kk [KeyLength]byte
			copy(kk[:], k)
			stored[kk] = &sk
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read stored keys: %w", err)
		}
	}
	return stored, nil
}

// insertExposures inserts rows, sorted by key for locality in the primary
// key's index (and so that concurrent writers lock keys in one order). If
// any key is stored already it returns errConflict; the caller rolls back.
func insertExposures(ctx context.Context, tx *store.Tx, rows []exposure) error {
	if len(rows) == 0 {
		return nil
	}
	sortByKey(rows)
	const cols = `INSERT INTO exposures (exposure_key, rolling_start, rolling_period, transmission_risk,
		report_type, days_since_onset, health_authority, created_at) VALUES `
	const conflict = ` ON CONFLICT (exposure_key) DO NOTHING`
	if tx.Dialect() == store.SQLite {
		// One prepared single-row statement: in-process calls are cheap,
		// and a single-row insert needs no statement journal.
		stmt, err := tx.Prepare(ctx, cols+"(?,?,?,?,?,?,?,?)"+conflict)
		if err != nil {
			return fmt.Errorf("insert exposures: %w", err)
		}
		defer stmt.Close()
		// The driver watches a cancellable context with a new goroutine
		// for every statement it runs; a transaction that has begun is
		// finished anyway, so its rows are written without one.
		rowCtx := context.WithoutCancel(ctx)
		for i := range rows {
			res, err := stmt.ExecContext(rowCtx, rowArgs(&rows[i])...)
			if err != nil {
				return fmt.Errorf("insert exposures: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errConflict
			}
		}
		return nil
	}
	return insertPostgres(ctx, tx, rows, true)
}

// insertPostgres inserts rows (sorted) in one statement, each column sent
// as one array parameter (no per-row placeholders to parse and bind). With
// skipStored, keys stored already are skipped and make it return
// errConflict; without, they fail the statement with a unique violation.
func insertPostgres(ctx context.Context, q store.Querier, rows []exposure, skipStored bool) error {
	if len(rows) == 0 {
		return nil
	}
	sortByKey(rows)
	n := len(rows)
	keys := make([][]byte, n)
	starts, periods, risks, types := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	dsos := make([]*int32, n)
	authorities, created := make([]string, n), make([]int64, n)
	for i := range rows {
		e := &rows[i]
		keys[i] = e.key[:]
		starts[i], periods[i], risks[i] = e.rollingStart, e.rollingPeriod, int32(e.transmissionRisk)
		types[i] = int32(exportReportType(e.reportType))
		dsos[i] = e.daysSinceOnset
		authorities[i], created[i] = e.healthAuthority, e.createdAt
	}
	query := `INSERT INTO exposures (exposure_key, rolling_start, rolling_period, transmission_risk,
		report_type, days_since_onset, health_authority, created_at)
		SELECT * FROM unnest(?::bytea[], ?::integer[], ?::integer[], ?::integer[], ?::integer[], ?::integer[],
			?::text[], ?::bigint[])`
	if skipStored {
		query += ` ON CONFLICT (exposure_key) DO NOTHING`
	}
	res, err := q.Exec(ctx, query, keys, starts, periods, risks, types, dsos, authorities, created)
	if err != nil {
		return fmt.Errorf("insert exposures: %w", err)
	}
	if got, err := res.RowsAffected(); err != nil || got != int64(n) {
		return errConflict
	}
	return nil
}

// sortByKey sorts rows by key: SQLite's primary-key index is then walked
// in order, and concurrent PostgreSQL writers lock keys in one order.
func sortByKey(rows []exposure) {
	if !sort.SliceIsSorted(rows, func(i, j int) bool { return bytes.Compare(rows[i].key[:], rows[j].key[:]) < 0 }) {
		sort.Slice(rows, func(i, j int) bool { return bytes.Compare(rows[i].key[:], rows[j].key[:]) < 0 })
	}
}

func rowArgs(e *exposure) []any {
	var dsos any
	if e.daysSinceOnset != nil {
		dsos = int64(*e.daysSinceOnset)
	}
	return []any{e.key[:], int64(e.rollingStart), int64(e.rollingPeriod), int64(e.transmissionRisk),
		int64(exportReportType(e.reportType)), dsos, e.healthAuthority, e.createdAt}
}

// allowedTransition reports whether a stored key of report type from may be
// revised to report type to: likely → confirmed or negative (as in the
// reference), and Bluezone's contact → confirmed, likely or negative.
func allowedTransition(from, to string) bool {
	switch from {
	case ReportTypeLikely:
		return to == ReportTypeConfirmed || to == ReportTypeNegative
	case ReportTypeContact:
		return to == ReportTypeConfirmed || to == ReportTypeLikely || to == ReportTypeNegative
	}
	return false
}

// decide applies the revision rules of the reference server to job against
// the stored keys. It returns the job's result and the set of keys it would
// revise (updates); a job with updates must be written by writeOne.
func decide(job *writeJob, stored map[[KeyLength]byte]*storedKey) (writeResult, map[[KeyLength]byte]bool) {
	var existing []*exposure
	for i := range job.incoming {
		if _, ok := stored[job.incoming[i].key]; ok {
			existing = append(existing, &job.incoming[i])
		}
	}
	if len(existing) > 0 {
		if job.token == nil {
			if job.tokenFailed {
				return writeResult{err: &errRevision{ErrorInvalidRevisionToken, "revision token is invalid"}}, nil
			}
			return writeResult{err: &errRevision{ErrorMissingRevisionToken, "no revision token, but sent existing keys"}}, nil
		}
		allowed := make(map[[KeyLength]byte]revisableKey, len(job.token))
		for _, rk := range job.token {
			allowed[rk.key] = rk
		}
		for _, in := range existing {
			ex := stored[in.key]
			if ex.rollingStart != in.rollingStart || ex.rollingPeriod != in.rollingPeriod {
				return writeResult{err: &errRevision{ErrorBadRequest, "a published key does not match the stored key's interval metadata"}}, nil
			}
			rk, ok := allowed[in.key]
			if !ok || rk.rollingStart != ex.rollingStart || rk.rollingPeriod != ex.rollingPeriod {
				return writeResult{err: &errRevision{ErrorInvalidRevisionToken, "revision token is invalid"}}, nil
			}
		}
	}
	res := writeResult{changed: make([]exposure, 0, len(job.incoming))}
	var updates map[[KeyLength]byte]bool
	for _, in := range job.incoming {
		ex, ok := stored[in.key]
		if !ok {
			res.changed = append(res.changed, in)
			if in.reportType != ReportTypeNegative {
				res.inserted++
			}
			continue
		}
		from := reportTypeFromExport(ex.reportType)
		if from == in.reportType || (ex.revised && reportTypeFromExport(ex.revisedType) == in.reportType) {
			continue // nothing to change
		}
		if ex.revised {
			return writeResult{err: &errRevision{ErrorKeyAlreadyRevised, "key was already revised"}}, nil
		}
		if !allowedTransition(from, in.reportType) {
			return writeResult{err: &errRevision{ErrorInvalidReportTypeTransition,
				fmt.Sprintf("invalid report type transition: cannot transition from %q to %q", from, in.reportType)}}, nil
		}
		if updates == nil {
			updates = map[[KeyLength]byte]bool{}
		}
		updates[in.key] = true
		res.changed = append(res.changed, in)
	}
	return res, updates
}
