package export_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/bluezone-vn/bluezone/blob"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/keyserver/export"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// benchKeys is the size of the export benchmark: the target is
// 1,000,000 stored keys exported in at most 3 s.
const benchKeys = 1_000_000

// BenchmarkExport1M loads 1M keys into one hourly batch once, then times
// RunOnce building that batch (two signed 500,000-key files) and the index
// from scratch. Between iterations the batch records, padding and files are
// removed, the keys stay. Run:
//
//	go test -run '^$' -bench Export1M -benchtime 5x ./keyserver/export
//
// BENCH_EXPORT_DB=sqlite (or postgres) limits it to one engine.
func BenchmarkExport1M(b *testing.B) {
	// A benchmark with sub-benchmarks runs once, so each database is
	// loaded once however many times its sub-benchmark runs.
	for _, open := range []func(testing.TB) *store.DB{storetest.SQLite, storetest.Postgres} {
		db := open(b)
		if !strings.Contains(os.Getenv("BENCH_EXPORT_DB"), string(db.Dialect())) && os.Getenv("BENCH_EXPORT_DB") != "" {
			continue
		}
		ctx := context.Background()
		migrate(b, db)
		loadStart := time.Now()
		if err := bulkLoad(ctx, db, benchKeys, t0, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: loaded %d keys in %v", db.Dialect(), benchKeys, time.Since(loadStart).Round(time.Millisecond))
		b.Run(string(db.Dialect()), func(b *testing.B) { benchExport(b, db) })
	}
}

func benchExport(b *testing.B, db *store.DB) {
	ctx := context.Background()
	hour := t0.Add(time.Hour)
	dir := b.TempDir()
	fs, err := blob.NewFS(dir)
	if err != nil {
		b.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cfg := export.DefaultConfig()
	cfg.MinWindowAge = 0
	var logger *slog.Logger
	if os.Getenv("BENCH_EXPORT_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	w, err := export.New(cfg, export.Deps{DB: db, Blob: fs, Clock: clock.NewFake(hour), Logger: logger,
		Signers: []export.Signer{{Signer: key}}})
	if err != nil {
		b.Fatal(err)
	}
	var times, cpus []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, q := range []string{`DELETE FROM export_batches`, `DELETE FROM export_padding`} {
			if _, err := db.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		list, _ := fs.List(ctx, "")
		for _, in := range list {
			_ = fs.Delete(ctx, in.Name)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		n, err := w.RunOnce(ctx)
		times = append(times, time.Since(start))
		cpus = append(cpus, cpuTime()-cpu0)
		if err != nil || n != 1 {
			b.Fatalf("RunOnce = %d, %v", n, err)
		}
	}
	b.StopTimer()
	idx, err := fs.Get(ctx, export.IndexName)
	if err != nil || strings.Count(string(idx), "\n") != 2 {
		b.Fatalf("index = %q, %v", idx, err)
	}
	slices.Sort(times)
	slices.Sort(cpus)
	med := times[len(times)/2]
	b.ReportMetric(med.Seconds(), "median-s")
	b.ReportMetric(cpus[len(cpus)/2].Seconds(), "median-cpu-s")
	b.ReportMetric(float64(benchKeys)/med.Seconds(), "keys/s")
	b.Logf("%s: RunOnce wall %v (median %v), process CPU %v", db.Dialect(), times, med, cpus)
}

// bulkLoad inserts n random keys with created_at spread over [from,
// from+span): COPY on PostgreSQL, multi-row INSERTs in one transaction on
// SQLite.
func bulkLoad(ctx context.Context, db *store.DB, n int, from time.Time, span time.Duration) error {
	seed := make([]byte, 16*1024)
	row := func(i int, key []byte) (created, start int64) {
		if i%1024 == 0 {
			rand.Read(seed)
		}
		copy(key, seed[(i%1024)*16:])
		// The key server stores created_at truncated to the hour, in
		// arrival order: every key of an hourly batch shares one value.
		return from.Unix() + int64(i)*int64(span.Seconds())/int64(n)/3600*3600, 2_900_000 + int64(i%14)*144
	}
	if db.Dialect() == store.Postgres {
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			i := 0
			src := pgx.CopyFromFunc(func() ([]any, error) {
				if i == n {
					return nil, nil
				}
				key := make([]byte, 16)
				created, start := row(i, key)
				i++
				return []any{key, start, int64(144), int64(2), int64(1), int64(i % 7), "bench", created}, nil
			})
			_, err := pc.CopyFrom(ctx, pgx.Identifier{"exposures"}, []string{"exposure_key", "rolling_start",
				"rolling_period", "transmission_risk", "report_type", "days_since_onset", "health_authority", "created_at"}, src)
			return err
		})
	}
	const perStmt = 500
	return db.InTx(ctx, func(tx *store.Tx) error {
		stmt, err := tx.Prepare(ctx, `INSERT INTO exposures (exposure_key, rolling_start, rolling_period,
			transmission_risk, report_type, days_since_onset, health_authority, created_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?,?,144,2,1,?,'bench',?),", perStmt), ","))
		if err != nil {
			return err
		}
		defer stmt.Close()
		args := make([]any, 0, perStmt*4)
		keys := make([]byte, 16*perStmt)
		for i := 0; i < n; i += perStmt {
			args = args[:0]
			for j := 0; j < perStmt; j++ {
				k := keys[j*16 : j*16+16]
				created, start := row(i+j, k)
				args = append(args, k, start, int64((i+j)%7), created)
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		}
		return nil
	})
}

// cpuTime is the user+system CPU this process has used: next to wall time
// it shows how much of a run was spent waiting (disk, other processes on a
// shared machine).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
