package keyserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/internal/gather"
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
	rowid         int64 // SQLite only
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
// On SQLite one goroutine writes (SQLite allows one writer at a time), on a
// connection of its own, knowing the stored keys from its keySet; it holds
// the database's "keyserver-writer" lock while it runs, so Run fails if
// another key server writes to the same SQLite file. On PostgreSQL
// Config.Writers goroutines take batches from the same queue and commit
// them concurrently, so one batch's round trips and commit flush overlap
// the next batch's; keys stored by a concurrent batch are caught by ON
// CONFLICT and sent down the careful path like any other stored key.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("keyserver: Run called twice")
	}
	defer close(s.stopped)
	if s.db.Dialect() != store.SQLite {
		writers := s.cfg.Writers
		if writers == 0 {
			writers = defaultPostgresWriters
		}
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() { defer wg.Done(); (&writer{s: s, db: s.db}).loop(ctx) }()
		}
		wg.Wait()
		return nil
	}
	// A ctx that ends while the writer starts is a stop, not a failure.
	stopped := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	lock, err := s.db.ExclusiveLock("keyserver-writer")
	if err != nil {
		return fmt.Errorf("keyserver: is another key server writing to this SQLite database? %w", err)
	}
	defer lock.Unlock()
	conn, err := s.writerConn(ctx)
	if err != nil {
		return stopped(err)
	}
	defer conn.Close()
	keys, err := loadKeySet(ctx, s.db, &s.cfg)
	if err != nil {
		return stopped(fmt.Errorf("keyserver: %w", err))
	}
	s.metrics.keys.Set(float64(keys.len()))
	stmts := store.NewStmtCache(s.db)
	defer stmts.Close()
	w := &writer{s: s, db: conn, wal: newWALKeeper(s.db, conn, s.log), keys: keys, stmts: stmts}
	cpCtx, stopCP := context.WithCancel(context.WithoutCancel(ctx))
	cpDone := make(chan struct{})
	go func() { defer close(cpDone); w.wal.background(cpCtx) }()
	defer func() { stopCP(); <-cpDone }()
	w.loop(ctx)
	return nil
}

// defaultPostgresWriters is the number of concurrent writer transactions
// on PostgreSQL when Config.Writers is 0.
const defaultPostgresWriters = 3

// writer is one writer goroutine and what it writes with.
type writer struct {
	s     *Server
	db    store.TxRunner   // SQLite: the writer's own connection
	wal   *walKeeper       // SQLite only
	keys  *keySet          // SQLite only
	stmts *store.StmtCache // SQLite only: prepared on the writer's connection
}

// loop takes every job waiting (up to MaxBatch) and writes them as one
// batch, until ctx ends; then it commits what is still queued and returns.
func (w *writer) loop(ctx context.Context) {
	s := w.s
	batch := make([]*writeJob, 0, s.cfg.MaxBatch)
	for {
		select {
		case <-ctx.Done():
			// Commit what is queued, then stop.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.WriteTimeout)
			for {
				batch = gather.Batch(dctx, s.queue, batch[:0], 0, 0, s.cfg.MaxBatch)
				if len(batch) == 0 {
					break
				}
				w.writeBatch(dctx, batch)
			}
			cancel()
			return
		case <-w.wal.caughtUp():
			w.wal.finish(ctx)
		case j := <-s.queue:
			w.wal.finishIfDue(ctx)
			if w.keys != nil {
				w.keys.prune(s.clock.Now())
			}
			batch = gather.Batch(ctx, s.queue, append(batch[:0], j), s.cfg.CommitDelay, s.cfg.CommitBatch, s.cfg.MaxBatch)
			// A batch taken from the queue is written even if ctx ends
			// meanwhile, as Run promises for queued jobs.
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.WriteTimeout)
			w.writeBatch(bctx, batch)
			cancel()
		}
	}
}

func (w *writer) writeBatch(ctx context.Context, batch []*writeJob) {
	start := time.Now()
	results, slow, err := w.writeFast(ctx, batch)
	// A conflict in the careful path means another writer (PostgreSQL)
	// stored one of the keys after this transaction read them: read again.
	for try := 0; errors.Is(err, errConflict) && try < conflictRetries; try++ {
		results, slow, err = w.writeCareful(ctx, batch)
	}
	if err != nil {
		// Fall back to one transaction per job so one bad job cannot fail
		// the others.
		w.s.log.Error("keyserver: batch write failed; retrying jobs one by one", "jobs", len(batch), "err", err)
		for _, job := range batch {
			job.done <- w.writeOne(ctx, job)
		}
		return
	}
	w.s.metrics.observeBatch(len(batch), time.Since(start))
	for i, job := range batch {
		if !slow[i] {
			job.done <- results[i]
		}
	}
	for i, job := range batch {
		if slow[i] {
			job.done <- w.writeOne(ctx, job)
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

// inTx runs fn in a transaction; the keys it inserted join the key set
// (SQLite) once the commit returned, before any request is answered.
func (w *writer) inTx(ctx context.Context, fn func(*store.Tx) error) error {
	err := w.db.InTx(ctx, fn)
	if w.keys != nil {
		w.keys.settle(err == nil)
		w.s.metrics.keys.Set(float64(w.keys.len()))
	}
	return err
}

// writeFast assumes the common case, that every key is new, and inserts
// them all without looking first; if any key turns out to be stored, it
// rolls back with errConflict. Jobs reporting negative (which never insert,
// only revise) are left to writeOne.
func (w *writer) writeFast(ctx context.Context, batch []*writeJob) ([]writeResult, []bool, error) {
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
	if w.keys == nil {
		// PostgreSQL: one statement is one transaction, a single round
		// trip, and a key stored already fails the whole statement
		// (nothing stored).
		err := insertPostgres(ctx, w.s.db, inserts, false)
		if store.IsUniqueViolation(err) {
			err = errConflict
		}
		return results, slow, err
	}
	err := w.inTx(ctx, func(tx *store.Tx) error {
		return w.insert(ctx, tx, inserts)
	})
	return results, slow, err
}

// writeCareful reads the stored rows for every key of the batch and applies
// the revision rules job by job; jobs that revise are left to writeOne.
func (w *writer) writeCareful(ctx context.Context, batch []*writeJob) ([]writeResult, []bool, error) {
	results := make([]writeResult, len(batch))
	slow := make([]bool, len(batch))
	err := w.inTx(ctx, func(tx *store.Tx) error {
		clear(slow)
		stored, err := w.readStored(ctx, tx, batch)
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
		return w.insert(ctx, tx, inserts)
	})
	return results, slow, err
}

// writeOne runs one job in its own transaction, revisions included,
// deciding again when a concurrent writer stored one of its keys first.
func (w *writer) writeOne(ctx context.Context, job *writeJob) writeResult {
	r := w.writeOnce(ctx, job)
	for try := 0; errors.Is(r.err, errConflict) && try < conflictRetries; try++ {
		r = w.writeOnce(ctx, job)
	}
	return r
}

func (w *writer) writeOnce(ctx context.Context, job *writeJob) writeResult {
	var res writeResult
	err := w.inTx(ctx, func(tx *store.Tx) error {
		stored, err := w.readStored(ctx, tx, []*writeJob{job})
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
		if err := w.insert(ctx, tx, inserts); err != nil {
			return err
		}
		for _, e := range r.changed {
			if _, ok := updates[e.key]; ok {
				if err := revise(ctx, tx, &e, stored[e.key]); err != nil {
					return err
				}
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
