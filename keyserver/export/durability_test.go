package export_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/keyserver/export"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestTwoWorkersBuildEachBatchOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		shared := &faultyStore{Store: newFixture(t, db, testConfig(), nil).blob}
		a := newFixture(t, db, testConfig(), shared)
		b := newFixture(t, db, testConfig(), shared)
		b.clock = a.clock
		bw, err := export.New(testConfig(), export.Deps{DB: db, Blob: shared, Clock: a.clock,
			Signers: []export.Signer{{Signer: a.key}}})
		if err != nil {
			t.Fatal(err)
		}
		b.w = bw
		for i := 0; i < 60; i++ {
			insert(t, db, keyAt(t, t0.Add(time.Duration(i)*time.Second)))
		}
		ctx := context.Background()
		total := 0
		for step := 1; step <= 6; step++ {
			a.clock.Set(t0.Add(time.Duration(step*10) * time.Second))
			results := make(chan error, 2)
			counts := make(chan int, 2)
			for _, w := range []*export.Worker{a.w, b.w} {
				go func() {
					n, err := w.RunOnce(ctx)
					counts <- n
					results <- err
				}()
			}
			for range 2 {
				if err := <-results; err != nil {
					t.Fatal(err)
				}
				total += <-counts
			}
			// Whoever lost the race catches up on the next round.
		}
		a.clock.Set(t0.Add(70 * time.Second))
		for _, w := range []*export.Worker{a.w, b.w} {
			n, err := w.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if total != 6 {
			t.Fatalf("workers built %d batches together, want 6", total)
		}
		for name, n := range shared.puts {
			if name != export.IndexName && n != 1 {
				t.Fatalf("%s written %d times", name, n)
			}
		}
		if got := a.index(t); len(got) != 6 {
			t.Fatalf("index = %v", got)
		}
		var rows int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM export_batches WHERE files <> ''`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 6 {
			t.Fatalf("export_batches has %d rows with files", rows)
		}
	})
}

func TestCleanup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		cfg := testConfig()
		f := newFixture(t, db, cfg, nil)
		old := keyAt(t, t0)
		insert(t, db, old)
		f.clock.Set(t0.Add(time.Minute))
		f.run(t)
		oldLine := line(t0, t0.Add(10*time.Second), 1)
		if got := f.index(t); !slices.Equal(got, []string{oldLine}) {
			t.Fatalf("index = %v", got)
		}
		day := 24 * time.Hour
		recent := keyAt(t, t0.Add(10*day))
		insert(t, db, recent)
		f.clock.Set(t0.Add(10*day + time.Minute))
		f.run(t)
		if got := f.index(t); len(got) != 2 {
			t.Fatalf("index = %v", got)
		}
		// 14 days after the first batch ended, it goes; the recent stays.
		f.clock.Set(t0.Add(14*day + 10*time.Second))
		f.run(t)
		recentLine := line(t0.Add(10*day), t0.Add(10*day+10*time.Second), 1)
		if got := f.index(t); !slices.Equal(got, []string{recentLine}) {
			t.Fatalf("index after cleanup = %v, want %v", got, recentLine)
		}
		if got := zips(t, f.blob); !slices.Equal(got, []string{recentLine[len("exports/"):]}) {
			t.Fatalf("stored zips = %v", got)
		}
		var keys int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM exposures`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 1 {
			t.Fatalf("%d keys left, want 1 (the recent one)", keys)
		}
		var k []byte
		if err := db.QueryRow(context.Background(), `SELECT exposure_key FROM exposures`).Scan(&k); err != nil || !bytes.Equal(k, recent.key[:]) {
			t.Fatalf("left key wrong: %v", err)
		}
		// The live file still verifies.
		f.file(t, recentLine)
	})
}

func TestInterruptedExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		cfg := testConfig()
		cfg.MaxRecords = 2
		faulty := &faultyStore{failOn: 0}
		base := newFixture(t, db, cfg, nil)
		faulty.Store = base.blob
		f := newFixture(t, db, cfg, faulty)
		insert(t, db, keyAt(t, t0), keyAt(t, t0.Add(time.Second)))
		f.clock.Set(t0.Add(10 * time.Second))
		f.run(t) // batch 1: one file
		first := f.index(t)
		for i := 0; i < 5; i++ {
			insert(t, db, keyAt(t, t0.Add(10*time.Second+time.Duration(i)*time.Second)))
		}
		faulty.failOn = faulty.zipPut + 2 // the second zip of batch 2 fails
		f.clock.Set(t0.Add(20 * time.Second))
		if _, err := f.w.RunOnce(context.Background()); err == nil {
			t.Fatal("RunOnce succeeded despite a failed write")
		}
		if got := f.index(t); !slices.Equal(got, first) {
			t.Fatalf("index after failure = %v, want unchanged %v", got, first)
		}
		for _, l := range f.index(t) {
			f.file(t, l) // every listed file exists and verifies
		}
		if got := zips(t, f.blob); len(got) != 1 {
			t.Fatalf("zips after failure = %v, want only batch 1's", got)
		}
		faulty.failOn = 0
		if n := f.run(t); n != 1 {
			t.Fatalf("retry built %d", n)
		}
		got := f.index(t)
		if len(got) != 4 {
			t.Fatalf("index after retry = %v", got)
		}
		var keys int
		for _, l := range got {
			keys += len(f.file(t, l).Export.Keys)
		}
		if keys != 7 {
			t.Fatalf("files hold %d keys, want 7", keys)
		}
	})
}
