package installs

import (
	"context"

	"github.com/bluezone-vn/bluezone/store"
)

// The pipelined PostgreSQL writer. A batch costs two round trips (read its
// tokens, then one statement that writes and commits); done one after the
// other, the writer idles through every commit. Instead, while batch N's
// statement is in flight, batch N+1 is collected, its tokens are read and
// it is decided against the state N will leave:
//   - tokens of N+1 that N also had are taken from N's decided states rather
//     than read (they may not be committed yet); all other tokens are
//     untouched by N, so reading them while N commits is safe;
//   - the counter cache already holds N's rows (entered when N was sent); a
//     counter row the cache lacks is read only after N has landed;
//   - N+1 is sent only after N has landed, so statements reach the database
//     in order (each writes absolute counter values).
// If N fails, its requests are answered with the error (after one retry
// when another writer raced it), the counter cache is dropped, and N+1 is
// decided again from the database alone.

// flight is a batch whose statement is in flight.
type flight struct {
	batch  []*pending
	evs    []event
	b      *pgBatch
	done   chan error // the statement's result, once
	landed bool
	failed bool // the statement failed: what was decided on top of it is void
}

// pipeline decides batch while fl (nil if none) is in flight, waits for fl
// to land, and sends batch; it returns batch's flight (nil if it ended at
// once).
func (s *Server) pipeline(ctx context.Context, fl *flight, batch []*pending, evs []event) *flight {
	var b *pgBatch
	var err error
	if fl != nil {
		b, err = s.preparePG(ctx, evs, fl.b.states, func() error { return s.landWait(ctx, fl) })
	}
	if s.landWait(ctx, fl) != nil || fl == nil || err != nil {
		// Decide against the database alone.
		if b, err = s.preparePG(ctx, evs, nil, nil); err != nil {
			s.answer(batch, err)
			return nil
		}
	}
	// The next batch builds on this one's rows; dropped again if it fails.
	s.keepCounters(b.after)
	next := &flight{batch: batch, evs: evs, b: b, done: make(chan error, 1)}
	go func() { next.done <- s.execPG(ctx, b) }()
	return next
}

// errFlightFailed voids a batch decided on top of a batch that failed.
type errFlightFailed struct{}

func (errFlightFailed) Error() string { return "installs: the batch before failed" }

// landWait waits for fl (nil: nothing to wait for) to land and reports
// whether its statement failed.
func (s *Server) landWait(ctx context.Context, fl *flight) error {
	if fl == nil {
		return nil
	}
	if !fl.landed {
		s.land(ctx, fl, <-fl.done)
	}
	if fl.failed {
		return errFlightFailed{}
	}
	return nil
}

// land answers fl's requests with its statement's result err. A failed
// statement drops the counter cache (it held fl's rows) and, when another
// writer raced fl on a new token, writes fl again from the database's state.
func (s *Server) land(ctx context.Context, fl *flight, err error) {
	fl.landed = true
	if err != nil {
		fl.failed = true
		s.counters = nil
		if store.IsUniqueViolation(err) {
			err = s.writeBatch(ctx, fl.evs)
		}
	}
	s.answer(fl.batch, err)
}
