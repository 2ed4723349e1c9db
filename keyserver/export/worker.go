package export

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bluezone-vn/bluezone/blob"
	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

// Deps are the worker's collaborators. DB, Blob, Clock and at least one
// Signer are required; a nil Logger discards logs.
type Deps struct {
	DB     *store.DB
	Blob   blob.Store
	Clock  clock.Clock
	Logger *slog.Logger
	// Signers sign every file, newest key first; more than one during a
	// key rotation.
	Signers []Signer
}

// Worker builds, indexes, cleans up and serves export files.
type Worker struct {
	cfg     Config
	db      *store.DB
	blob    blob.Store
	clock   clock.Clock
	log     *slog.Logger
	signers []exportfile.Signer
	pubs    []publicKey
	// holder names this worker in the lease row.
	holder string
}

// New checks cfg and deps and returns a worker. It does not touch the
// database; run Migrate (and keyserver.Migrate) first.
func New(cfg Config, deps Deps) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.DB == nil:
		return nil, errors.New("export: nil database")
	case deps.Blob == nil:
		return nil, errors.New("export: nil blob store")
	case deps.Clock == nil:
		return nil, errors.New("export: nil clock")
	case len(deps.Signers) == 0:
		return nil, errors.New("export: no signing key")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Worker{cfg: cfg, db: deps.DB, blob: deps.Blob, clock: deps.Clock, log: log}
	seen := map[[2]string]bool{}
	for i, s := range deps.Signers {
		if s.KeyID == "" {
			s.KeyID = DefaultKeyID
		}
		if s.KeyVersion == "" {
			s.KeyVersion = DefaultKeyVersion
		}
		if !keyIDRe.MatchString(s.KeyID) || !keyIDRe.MatchString(s.KeyVersion) {
			return nil, fmt.Errorf("export: signer %d: key id %q / version %q: want 1-64 of [A-Za-z0-9_]", i, s.KeyID, s.KeyVersion)
		}
		if s.Signer == nil {
			return nil, fmt.Errorf("export: signer %d (%s/%s): nil crypto.Signer", i, s.KeyID, s.KeyVersion)
		}
		pub, ok := s.Signer.Public().(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("export: signer %d (%s/%s): not an ECDSA P-256 key", i, s.KeyID, s.KeyVersion)
		}
		id := [2]string{s.KeyID, s.KeyVersion}
		if seen[id] {
			return nil, fmt.Errorf("export: signer %d: key %s/%s listed twice", i, s.KeyID, s.KeyVersion)
		}
		seen[id] = true
		pem, err := exportfile.MarshalPublicKeyPEM(pub)
		if err != nil {
			return nil, fmt.Errorf("export: signer %d: %w", i, err)
		}
		info := exportfile.SignatureInfo{KeyID: s.KeyID, KeyVersion: s.KeyVersion, Algorithm: exportfile.AlgorithmECDSAP256SHA256}
		w.signers = append(w.signers, exportfile.Signer{Info: info, Signer: s.Signer})
		w.pubs = append(w.pubs, publicKey{KeyID: s.KeyID, KeyVersion: s.KeyVersion, Algorithm: info.Algorithm, PublicKeyPEM: string(pem)})
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	w.holder = hex.EncodeToString(rnd[:])
	return w, nil
}

// Run builds closed batches every Tick (once at once) until ctx ends, and
// returns nil then. Failures are logged and retried on the next tick.
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Tick)
	defer t.Stop()
	for {
		if n, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("export run failed; retrying next tick", "err", err)
		} else if n > 0 {
			w.log.Info("export files written", "batches", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce does one round of work if it can take the lease (another worker
// holding it is not an error: built is then 0): it deletes keys and batches
// past retention, builds every closed batch not built yet, rewrites
// index.txt once their zips are durable, and removes the files no batch
// lists any more. built counts the batches that produced files.
func (w *Worker) RunOnce(ctx context.Context) (built int, err error) {
	ok, err := w.acquire(ctx, w.clock.Now())
	if err != nil || !ok {
		return 0, err
	}
	defer func() {
		// Release even when ctx ended, so others need not wait the TTL.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := w.release(rctx); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if err := w.cleanup(ctx); err != nil {
		return 0, err
	}
	built, err = w.buildClosed(ctx)
	// The index is rewritten even after a failed batch: the batches built
	// before it are durable and deserve listing.
	if ierr := w.writeIndex(ctx); ierr != nil {
		return built, errors.Join(err, ierr)
	}
	if err != nil {
		return built, err
	}
	if err := w.sweep(ctx); err != nil {
		return built, err
	}
	return built, nil
}

// alignDown returns the batch start at or before t (unix seconds).
func (w *Worker) alignDown(t int64) int64 {
	p := int64(w.cfg.Period / time.Second)
	return t - ((t%p)+p)%p
}

// buildClosed builds batches from the end of the last recorded one up to
// the last closed one. A run of empty periods is recorded as one row.
func (w *Worker) buildClosed(ctx context.Context) (int, error) {
	now := w.clock.Now()
	period := int64(w.cfg.Period / time.Second)
	// The last batch that may be built ends here.
	limit := w.alignDown(now.Add(-w.cfg.MinWindowAge).Unix())
	floor := w.alignDown(now.Add(-w.cfg.Retention).Unix())
	var cursor int64
	if err := w.db.QueryRow(ctx, `SELECT COALESCE(MAX(end_time), 0) FROM export_batches`).Scan(&cursor); err != nil {
		return 0, fmt.Errorf("export: read last batch: %w", err)
	}
	if cursor < floor {
		// Nothing recorded (or all of it expired): start at the first data
		// still kept.
		first, ok, err := w.nextData(ctx, floor)
		if err != nil || !ok {
			return 0, err
		}
		cursor = w.alignDown(first)
	}
	built := 0
	for {
		// After a change of period the first batch is shorter, up to the
		// next boundary of the new period.
		start, end := cursor, w.alignDown(cursor)+period
		if end > limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return built, err
		}
		n, err := w.buildBatch(ctx, start, end)
		if err != nil {
			return built, err
		}
		if n > 0 {
			built++
			cursor = end
			continue
		}
		// Empty: skip to the next period holding data, recording the gap
		// as one empty batch.
		next, ok, err := w.nextData(ctx, end)
		if err != nil {
			return built, err
		}
		gapEnd := limit
		if ok {
			gapEnd = min(max(w.alignDown(next), end), limit)
		}
		if err := w.record(ctx, start, gapEnd, nil, &batchKeys{}); err != nil {
			return built, err
		}
		cursor = gapEnd
	}
	return built, nil
}

// nextData returns the earliest created_at or revised_at at or after t.
func (w *Worker) nextData(ctx context.Context, t int64) (int64, bool, error) {
	var a, b *int64
	if err := w.db.QueryRow(ctx, `SELECT MIN(created_at) FROM exposures WHERE created_at >= ?`, t).Scan(&a); err != nil {
		return 0, false, fmt.Errorf("export: find next keys: %w", err)
	}
	if err := w.db.QueryRow(ctx, `SELECT MIN(revised_at) FROM exposures WHERE revised_at >= ?`, t).Scan(&b); err != nil {
		return 0, false, fmt.Errorf("export: find next revisions: %w", err)
	}
	switch {
	case a == nil && b == nil:
		return 0, false, nil
	case a == nil:
		return *b, true, nil
	case b == nil:
		return *a, true, nil
	default:
		return min(*a, *b), true, nil
	}
}
