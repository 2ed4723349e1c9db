package keyserver

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// BenchmarkWriterInsert times what the group-commit writer's fast path
// spends per key on SQLite: one transaction of 322 new random keys (23
// requests of 14, a typical batch under load) into a table already holding
// 300,000, commit (synchronous=FULL) included, on the writer's own
// connection. It reports the whole transaction and the inserts alone per
// key; the rest is the commit's WAL writes and fsync. Run:
//
//	go test -run '^$' -bench WriterInsert -benchtime 300x ./keyserver
func BenchmarkWriterInsert(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	conn, err := (&Server{db: db}).writerConn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	cfg := DefaultConfig()
	keys := newKeySet(&cfg)
	stmts := store.NewStmtCache(db)
	defer stmts.Close()
	insert := func(tx *store.Tx, rows []exposure) error { return insertSQLite(ctx, tx, keys, stmts, rows) }
	for range 30 {
		rows := randomExposures(10_000)
		err := conn.InTx(ctx, func(tx *store.Tx) error { return insert(tx, rows) })
		keys.settle(err == nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	const perTx = 322
	var total, inserts time.Duration
	b.ResetTimer()
	for range b.N {
		rows := randomExposures(perTx)
		t0 := time.Now()
		err := conn.InTx(ctx, func(tx *store.Tx) error {
			t1 := time.Now()
			err := insert(tx, rows)
			inserts += time.Since(t1)
			return err
		})
		keys.settle(err == nil)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
	}
	n := float64(b.N * perTx)
	b.ReportMetric(float64(total.Microseconds())/n, "µs/key")
	b.ReportMetric(float64(inserts.Microseconds())/n, "insert-µs/key")
}

// BenchmarkLoadKeySet1M times what a SQLite key server does when it starts
// with 1,000,000 stored keys: read them into its key set. It reports the
// heap the set holds per key. Run:
//
//	go test -run '^$' -bench LoadKeySet1M -benchtime 3x ./keyserver
func BenchmarkLoadKeySet1M(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	fill := newKeySet(&cfg)
	stmts := store.NewStmtCache(db)
	defer stmts.Close()
	const total, perTx = 1_000_000, 20_000
	for range total / perTx {
		rows := randomExposures(perTx)
		err := db.InTx(ctx, func(tx *store.Tx) error { return insertSQLite(ctx, tx, fill, stmts, rows) })
		fill.settle(err == nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	fill = nil
	var keys *keySet
	var heap uint64
	b.ResetTimer()
	for range b.N {
		keys = nil
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var err error
		if keys, err = loadKeySet(ctx, db, &cfg); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
	}
	b.StopTimer()
	if keys.len() != total {
		b.Fatalf("loaded %d keys, want %d", keys.len(), total)
	}
	b.ReportMetric(float64(heap)/total, "heap-B/key")
}
