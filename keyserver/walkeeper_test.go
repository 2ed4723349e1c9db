package keyserver

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// randomExposures makes n new random keys as the publish handler hands
// them to the writer.
func randomExposures(n int) []exposure {
	out := make([]exposure, n)
	for i := range out {
		_, _ = rand.Read(out[i].key[:])
		out[i].rollingStart, out[i].rollingPeriod, out[i].transmissionRisk = 2_900_000, 144, 2
		out[i].reportType, out[i].healthAuthority, out[i].createdAt = ReportTypeConfirmed, testIssuer, 1_772_323_200
	}
	return out
}

// TestWALStartsOver writes without pause for a few seconds and checks that
// the SQLite write-ahead log still starts over from its beginning now and
// then (SQLite gives the log header new salts on every restart), so that it
// cannot grow without end, and that every acknowledged key is stored.
func TestWALStartsOver(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := newHarness(t, db)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := h.srv.submit(ctx, &writeJob{incoming: randomExposures(14)})
				if err != nil || r.err != nil || r.inserted != 14 {
					t.Errorf("write: %v, %v, inserted %d", err, r.err, r.inserted)
					return
				}
				mu.Lock()
				acked += 14
				mu.Unlock()
			}
		}()
	}
	salts := map[[8]byte]bool{}
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		if s, ok := walSalts(t, filepath.Join(dir, "keys.db-wal")); ok {
			salts[s] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if len(salts) < 2 {
		t.Errorf("the write-ahead log kept one header (%d salts seen) through 4 s of writes: it never started over", len(salts))
	}
	if got := h.count(); got != acked {
		t.Errorf("stored %d keys, acknowledged %d", got, acked)
	}
}

// walSalts reads the two salts of a write-ahead log's header.
func walSalts(t *testing.T, path string) ([8]byte, bool) {
	var s [8]byte
	f, err := os.Open(path)
	if err != nil {
		return s, false
	}
	defer f.Close()
	var hdr [32]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return s, false
	}
	copy(s[:], hdr[16:24])
	return s, true
}
