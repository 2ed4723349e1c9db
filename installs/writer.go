package installs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bluezone-vn/bluezone/internal/gather"
	"github.com/bluezone-vn/bluezone/store"
)

// event is one validated check-in as the writer sees it.
type event struct {
	hash     []byte // HMAC of the token
	province string
	district string // '' when not given
	day      Day
}

// pending is a check-in waiting for its batch to commit.
type pending struct {
	ev   event
	done chan error
	// Buffers of the handler, reused with the pending value (pooled).
	hash [16]byte
	raw  [64]byte
}

// Run is the check-in writer: it groups queued check-ins into batches of up
// to Config.BatchSize (waiting at most Config.BatchDelay after the first),
// writes each batch in one transaction and only then answers its requests.
// It returns nil when ctx ends; check-ins still queued are answered with an
// error. Run exactly one writer per database: two writers could both count
// the same new token.
//
// On PostgreSQL the writer is pipelined (see pipeline): while one batch's
// statement and commit are in flight, the next batch is collected, read
// and decided.
func (s *Server) Run(ctx context.Context) error {
	wctx := context.WithoutCancel(ctx)
	var txr store.TxRunner = s.db
	if s.db.Dialect() == store.SQLite {
		// One connection for every batch keeps its page cache warm (see
		// store.Conn).
		conn, err := s.db.WriterConn(ctx)
		if err != nil {
			return fmt.Errorf("installs: writer connection: %w", err)
		}
		defer conn.Close()
		txr = conn
	}
	var fl *flight // PostgreSQL: the batch being written
	for {
		var first *pending
		var landed <-chan error // nil (never ready) without a flight
		if fl != nil {
			landed = fl.done
		}
		select {
		case <-ctx.Done():
			s.landWait(wctx, fl)
			s.drain(ctx.Err())
			if s.stmts != nil {
				s.stmts.Close()
			}
			return nil
		case err := <-landed:
			s.land(wctx, fl, err)
			fl = nil
			continue
		case first = <-s.queue:
		}
		batch := gather.Batch(ctx, s.queue, []*pending{first}, s.cfg.BatchDelay, s.cfg.BatchSize, s.cfg.BatchSize)
		evs := make([]event, len(batch))
		for i, p := range batch {
			evs[i] = p.ev
		}
		if s.db.Dialect() == store.Postgres {
			fl = s.pipeline(wctx, fl, batch, evs)
			continue
		}
		err := s.writeBatchWith(wctx, txr, evs)
		if err != nil && store.IsUniqueViolation(err) {
			err = s.writeBatchWith(wctx, txr, evs) // another writer raced us on a new token
		}
		s.answer(batch, err)
	}
}

// answer tells a batch's requests how it ended.
func (s *Server) answer(batch []*pending, err error) {
	if err == nil {
		s.metrics.batches.Inc()
		s.batches.Add(1)
		s.metrics.batchSize.Observe(float64(len(batch)))
	}
	for _, p := range batch {
		p.done <- err
	}
}

func (s *Server) drain(err error) {
	for {
		select {
		case p := <-s.queue:
			p.done <- fmt.Errorf("installs: writer stopped: %w", err)
		default:
			return
		}
	}
}

// tokenState is a token's stored row, as the batch changes it.
type tokenState struct {
	province, district string
	last               Day
	exists, dirty      bool
}

// writeBatch records a batch of check-ins in one transaction: token rows
// and the aggregate counters they change.
func (s *Server) writeBatch(ctx context.Context, evs []event) error {
	return s.writeBatchWith(ctx, s.db, evs)
}

// writeBatchWith is writeBatch running its SQLite transaction on txr
// (Run's own connection, or the pool).
func (s *Server) writeBatchWith(ctx context.Context, txr store.TxRunner, evs []event) error {
	if s.db.Dialect() == store.Postgres {
		return s.writeBatchPG(ctx, evs)
	}
	var after counterCache
	if s.stmts == nil {
		s.stmts = store.NewStmtCache(s.db)
	}
	err := txr.InTx(ctx, func(tx *store.Tx) error {
		states, err := loadTokens(ctx, tx, s.stmts, evs)
		if err != nil {
			return err
		}
		ds := s.transitions(evs, states)
		if err := saveTokens(ctx, tx, s.stmts, states); err != nil {
			return err
		}
		w := newRowWriter(tx, s.stmts)
		if after, err = applyDeltas(ctx, tx, w, ds, s.counters, nil); err != nil {
			return err
		}
		return w.flush(ctx)
	})
	if err != nil {
		return err
	}
	s.keepCounters(after)
	return nil
}

// writeBatchPG is writeBatch on PostgreSQL in two round trips instead of
// five (begin, read tokens, write tokens, write counters, commit): it reads
// the batch's tokens (and any counter rows the cache lacks) outside a
// transaction, then writes tokens and counters in one statement of two
// data-modifying CTEs, which PostgreSQL runs atomically and commits before
// answering. Reading outside the write is safe because the writer alone
// changes these tables (see Run), so nothing can change them in between.
func (s *Server) writeBatchPG(ctx context.Context, evs []event) error {
	b, err := s.preparePG(ctx, evs, nil, nil)
	if err != nil {
		return err
	}
	if err := s.execPG(ctx, b); err != nil {
		return err
	}
	s.keepCounters(b.after)
	return nil
}

// pgBatch is a PostgreSQL batch decided and ready to write.
type pgBatch struct {
	states map[string]*tokenState // every token of the batch, as it will be
	after  counterCache           // the counter rows as the batch leaves them
	w      *rowWriter             // the counter rows to write
}

// preparePG reads what evs need and decides the batch. Tokens found in
// overlay (the batch in flight, see pipeline) are taken from it rather
// than read; beforeRead runs before counter rows are read from the database.
func (s *Server) preparePG(ctx context.Context, evs []event, overlay map[string]*tokenState, beforeRead func() error) (*pgBatch, error) {
	states, err := loadTokensOver(ctx, s.db, nil, evs, overlay)
	if err != nil {
		return nil, err
	}
	ds := s.transitions(evs, states)
	b := &pgBatch{states: states, w: &rowWriter{pg: true}}
	if b.after, err = applyDeltas(ctx, s.db, b.w, ds, s.counters, beforeRead); err != nil {
		return nil, err
	}
	return b, nil
}

// execPGFault, when set (by tests only), runs before each batch statement
// on PostgreSQL; an error it returns fails the batch as the database would.
var execPGFault func() error

// execPG writes a prepared batch in one autocommit statement.
func (s *Server) execPG(ctx context.Context, b *pgBatch) error {
	var hashes [][]byte
	var provs, dists []string
	var days []int64
	for h, st := range b.states {
		if st.dirty {
			hashes = append(hashes, []byte(h))
			provs = append(provs, st.province)
			dists = append(dists, st.district)
			days = append(days, int64(st.last))
		}
	}
	w := b.w
	if len(hashes) == 0 && len(w.provs) == 0 {
		return nil
	}
	if execPGFault != nil {
		if err := execPGFault(); err != nil {
			return fmt.Errorf("installs: write batch: %w", err)
		}
	}
	_, err := s.db.Exec(ctx, `WITH t AS (INSERT INTO installs_tokens (token_hash, province, district, last_day)
		SELECT * FROM unnest(?::bytea[], ?::text[], ?::text[], ?::integer[])
		ON CONFLICT (token_hash) DO UPDATE SET province = excluded.province,
		district = excluded.district, last_day = excluded.last_day RETURNING 1),
		d AS (INSERT INTO installs_daily (province, district, day, new_installs, installs, active)
		SELECT * FROM unnest(?::text[], ?::text[], ?::integer[], ?::bigint[], ?::bigint[], ?::bigint[])`+upsertDaily+` RETURNING 1)
		SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM d)`,
		hashes, provs, dists, days, w.provs, w.dists, w.days, w.vals[0], w.vals[1], w.vals[2])
	if err != nil {
		return fmt.Errorf("installs: write batch: %w", err)
	}
	return nil
}

// transitions applies evs to the tokens' stored states (marking those that
// change dirty) and returns the counter deltas they cause.
func (s *Server) transitions(evs []event, states map[string]*tokenState) *deltas {
	ds := newDeltas(Day(s.cfg.ActiveDays))
	for _, ev := range evs {
		st := states[string(ev.hash)]
		if !st.exists {
			ds.transition(aggKey{}, false, 0, aggKey{ev.province, ev.district}, ev.day)
			ds.transition(aggKey{}, false, 0, aggKey{ev.province, provinceLevel}, ev.day)
			ds.transition(aggKey{}, false, 0, nationalKey, ev.day)
			*st = tokenState{province: ev.province, district: ev.district, last: ev.day, exists: true, dirty: true}
			continue
		}
		if st.last > ev.day {
			continue // a late check-in from before midnight: already superseded
		}
		if st.last == ev.day && st.province == ev.province && st.district == ev.district {
			continue // idempotent: already counted today, here
		}
		ds.transition(aggKey{st.province, st.district}, true, st.last, aggKey{ev.province, ev.district}, ev.day)
		ds.transition(aggKey{st.province, provinceLevel}, true, st.last, aggKey{ev.province, provinceLevel}, ev.day)
		ds.transition(nationalKey, true, st.last, nationalKey, ev.day)
		st.province, st.district, st.last, st.dirty = ev.province, ev.district, ev.day, true
	}
	return ds
}

// keepCounters puts a committed batch's counter rows into the cache.
func (s *Server) keepCounters(after counterCache) {
	if s.counters == nil {
		s.counters = make(counterCache)
	}
	for k, pr := range after {
		s.counters[k] = pr
	}
}

// loadTokens reads the stored state of the batch's tokens through q (a
// *store.Tx on SQLite, which it needs for the cached statements of sc).
func loadTokens(ctx context.Context, q store.Querier, sc *store.StmtCache, evs []event) (map[string]*tokenState, error) {
	return loadTokensOver(ctx, q, sc, evs, nil)
}

// loadTokensOver is loadTokens taking the tokens that overlay holds from it
// (as they are there, but not dirty) instead of reading them.
func loadTokensOver(ctx context.Context, q store.Querier, sc *store.StmtCache, evs []event, overlay map[string]*tokenState) (map[string]*tokenState, error) {
	states := make(map[string]*tokenState, len(evs))
	keys := make([]any, 0, len(evs))
	for _, ev := range evs {
		if _, ok := states[string(ev.hash)]; ok {
			continue
		}
		if o, ok := overlay[string(ev.hash)]; ok {
			st := *o
			st.dirty = false
			states[string(ev.hash)] = &st
			continue
		}
		states[string(ev.hash)] = &tokenState{}
		keys = append(keys, ev.hash)
	}
	for i := 0; i < len(keys); {
		var rows *sql.Rows
		var err error
		if q.Dialect() == store.Postgres {
			// One array parameter, however many keys.
			hashes := make([][]byte, len(keys))
			for j, k := range keys {
				hashes[j] = k.([]byte)
			}
			i = len(keys)
			rows, err = q.Query(ctx, `SELECT token_hash, province, district, last_day FROM installs_tokens WHERE token_hash = ANY(?::bytea[])`, hashes)
		} else {
			n := nextChunk(len(keys) - i)
			chunk := keys[i : i+n]
			i += n
			rows, err = sc.Query(ctx, q.(*store.Tx), `SELECT token_hash, province, district, last_day FROM installs_tokens WHERE token_hash IN (`+
				store.Placeholders(n, 1)+`)`, chunk...)
		}
		if err != nil {
			return nil, fmt.Errorf("installs: load tokens: %w", err)
		}
		for rows.Next() {
			var h []byte
			var st tokenState
			if err := rows.Scan(&h, &st.province, &st.district, &st.last); err != nil {
				rows.Close()
				return nil, fmt.Errorf("installs: load tokens: %w", err)
			}
			st.exists = true
			*states[string(h)] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("installs: load tokens: %w", err)
		}
	}
	return states, nil
}

// saveTokens writes the changed tokens on SQLite (PostgreSQL writes them
// in writeBatchPG).
func saveTokens(ctx context.Context, tx *store.Tx, sc *store.StmtCache, states map[string]*tokenState) error {
	args := make([]any, 0, len(states)*4)
	for h, st := range states {
		if st.dirty {
			args = append(args, []byte(h), st.province, st.district, int64(st.last))
		}
	}
	for rows := len(args) / 4; rows > 0; {
		n := nextChunk(rows)
		q := `INSERT INTO installs_tokens (token_hash, province, district, last_day) VALUES ` +
			store.Placeholders(n, 4) + ` ON CONFLICT (token_hash) DO UPDATE SET province = excluded.province,
			district = excluded.district, last_day = excluded.last_day`
		if _, err := sc.Exec(ctx, tx, q, args[:n*4]...); err != nil {
			return fmt.Errorf("installs: save tokens: %w", err)
		}
		args, rows = args[n*4:], rows-n
	}
	return nil
}
