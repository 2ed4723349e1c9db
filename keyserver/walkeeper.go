package keyserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// walCheckpointEvery is how often the SQLite write-ahead log is
// checkpointed beside the writer; walRestartEvery how often at most the
// writer pauses to let the log start over (see walKeeper).
const (
	walCheckpointEvery = 250 * time.Millisecond
	walRestartEvery    = time.Second
)

// walKeeper keeps the SQLite write-ahead log small while the writer
// commits without pause. A background goroutine checkpoints it (PASSIVE:
// it copies committed pages into the database file without blocking the
// writer), but SQLite only starts the log over from its beginning when a
// write transaction begins with every frame copied, and under load the
// writer commits new frames while each checkpoint runs, so that moment never
// came: the log grew to 800 MB in a 10 s load test, each commit appending to
// an ever longer file. So, at most every walRestartEvery, after a background
// checkpoint the writer checkpoints the frames committed meanwhile on its
// own connection, between two batches; its next transaction then restarts
// the log. That pause (10–40 ms under load, mostly the database file's
// fsync) is why it is not done after every background checkpoint: once a
// second kept the p99 latency where it was (docs/benchmarks.md).
type walKeeper struct {
	db   *store.DB
	conn *store.Conn // the writer's
	log  *slog.Logger
	done chan struct{} // the writer should finish a background checkpoint
}

func newWALKeeper(db *store.DB, conn *store.Conn, log *slog.Logger) *walKeeper {
	return &walKeeper{db: db, conn: conn, log: log, done: make(chan struct{}, 1)}
}

// background checkpoints every walCheckpointEvery until ctx ends.
func (k *walKeeper) background(ctx context.Context) {
	t := time.NewTicker(walCheckpointEvery)
	defer t.Stop()
	const perRestart = int(walRestartEvery / walCheckpointEvery)
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := k.db.Exec(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				if ctx.Err() == nil {
					k.log.Warn("keyserver: WAL checkpoint", "err", err)
				}
				continue
			}
			if n%perRestart != 0 {
				continue
			}
			select {
			case k.done <- struct{}{}:
			default:
			}
		}
	}
}

// caughtUp is ready when the writer should finish a background checkpoint
// (see finish); it is nil, never ready, for a nil keeper (PostgreSQL).
func (k *walKeeper) caughtUp() <-chan struct{} {
	if k == nil {
		return nil
	}
	return k.done
}

// finishIfDue runs finish if caughtUp is ready.
func (k *walKeeper) finishIfDue(ctx context.Context) {
	if k == nil {
		return
	}
	select {
	case <-k.done:
		k.finish(ctx)
	default:
	}
}

// finish checkpoints, on the writer's connection and between its
// transactions, what was committed since the background checkpoint began.
func (k *walKeeper) finish(ctx context.Context) {
	if _, err := k.conn.Exec(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		if ctx.Err() == nil {
			k.log.Warn("keyserver: WAL checkpoint", "err", err)
		}
	}
}
