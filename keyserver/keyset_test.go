package keyserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func testKey(b byte) [KeyLength]byte { return [KeyLength]byte{b, 1, 2, 3} }

// The key set holds committed keys only and drops them once too old to be
// published again, an older entry never dropping a key added again later.
func TestKeySetPrune(t *testing.T) {
	cfg := DefaultConfig()
	s := newKeySet(&cfg)
	old := testNow.Add(-s.minKeep - time.Hour).Unix()
	young := testNow.Add(-s.minKeep + time.Hour).Unix()

	s.stage(testKey(1), old)
	s.stage(testKey(2), old)
	s.settle(true)
	s.stage(testKey(3), young)
	s.settle(false) // rolled back
	if _, ok := s.lookup(testKey(3)); ok {
		t.Fatal("a key of a rolled-back transaction is in the set")
	}
	if id := s.stage(testKey(3), young); id != 3 {
		t.Fatalf("rowid after a rollback = %d, want 3 again", id)
	}
	s.settle(true)
	// Key 1's row was deleted and the key published again.
	s.forget(testKey(1), 1)
	s.forget(testKey(2), 99) // another rowid: not key 2's row
	if id := s.stage(testKey(1), young); id != 4 {
		t.Fatalf("rowid = %d, want 4", id)
	}
	s.settle(true)

	if n := s.prune(testNow); n != 1 {
		t.Fatalf("pruned %d, want 1 (key 2)", n)
	}
	if r, ok := s.lookup(testKey(1)); !ok || r.rowid != 4 {
		t.Fatalf("key 1 = %+v, %v; want rowid 4", r, ok)
	}
	if _, ok := s.lookup(testKey(2)); ok {
		t.Fatal("key 2 kept past its age")
	}
	if n := s.prune(testNow.Add(2 * time.Hour)); n != 2 || s.len() != 0 {
		t.Fatalf("pruned %d, %d left; want 2, 0", n, s.len())
	}
}

// A restarted writer knows the keys stored before: publishing them again
// without a revision token is refused, and nothing is stored twice.
func TestStoredKeysKnownAfterRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		keys := keysAt(testNow, 3)
		h.publishOK(keys)
		h.restart()
		st, resp := h.post(h.request(keys, nil))
		if st != http.StatusBadRequest || resp.Code != ErrorMissingRevisionToken {
			t.Fatalf("publish again after restart: %d %+v; want 400 %s", st, resp, ErrorMissingRevisionToken)
		}
		if n := h.count(); n != 3 {
			t.Fatalf("stored %d rows, want 3", n)
		}
	})
}

// A key whose row the export worker deleted can be published again.
func TestRepublishAfterRowDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		first := keysAt(testNow, 1)
		h.publishOK(first)
		if _, err := db.Exec(context.Background(), `DELETE FROM exposures`); err != nil {
			t.Fatal(err)
		}
		second := keysAt(testNow, 1)
		h.publishOK(second)
		st, resp := h.post(h.request(first, nil))
		if st != http.StatusOK || resp.InsertedExposures != 1 {
			t.Fatalf("publish the deleted key again: %d %+v; want 200, 1 inserted", st, resp)
		}
		if h.row(first[0].Key) == nil || h.row(second[0].Key) == nil || h.count() != 2 {
			t.Fatalf("want both keys stored, have %d rows", h.count())
		}
	})
}

// Two writers on one SQLite database would each trust their own key set:
// the second is refused.
func TestSecondSQLiteWriterRefused(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	// A stored publish shows the first writer runs (and holds the lock).
	h.publishOK(keysAt(testNow, 2))
	srv, err := New(h.cfg, Deps{DB: h.db, Clock: h.clk, Logger: discardLogger(), Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Run(ctx); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second Run: %v, want ErrLocked", err)
	}
	// The first still writes.
	h.publishOK(keysAt(testNow, 2))
}

// A key stays known for as long as it can be published, and is dropped
// from memory some time after.
func TestKeySetKeepsPublishableKeys(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	// The writer prunes before a batch and counts after its commit,
	// before answering.
	held := func() int { return int(testutil.ToFloat64(h.srv.metrics.keys)) }
	key := keysAt(testNow, 1)
	h.publishOK(key)
	// The last moment the key may be published: its validity ended
	// MaxIntervalAge ago, less a minute.
	end := intervalTime(key[0].IntervalNumber + key[0].IntervalCount)
	h.clk.Set(end.Add(h.cfg.MaxIntervalAge - time.Minute))
	h.publishOK(keysAt(h.clk.Now(), 1)) // prunes
	st, resp := h.post(h.request(key, nil))
	if st != http.StatusBadRequest || resp.Code != ErrorMissingRevisionToken {
		t.Fatalf("publish at the last moment: %d %+v; want 400 %s", st, resp, ErrorMissingRevisionToken)
	}
	if n := held(); n != 2 {
		t.Fatalf("writer holds %d keys, want 2", n)
	}
	// A day and more later it is no longer held; the newer key is.
	// (An embargoed key was stored with created_at an hour after its end.)
	h.clk.Set(end.Add(h.cfg.MaxIntervalAge + 2*h.cfg.TruncateWindow + keySetMargin + time.Minute))
	h.publishOK(keysAt(h.clk.Now(), 1))
	if n := held(); n != 2 {
		t.Fatalf("writer holds %d keys, want 2 (the two later ones)", n)
	}
}

// A stored key of the wrong length stops the key set from loading with an
// error naming the row, instead of being taken for another key.
func TestLoadKeySetRefusesBadRow(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO exposures (rowid, exposure_key, rolling_start, rolling_period,
		transmission_risk, report_type, health_authority, created_at) VALUES (7, ?, 1, 144, 2, 1, 'x', 3600)`,
		make([]byte, 15)); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	_, err := loadKeySet(ctx, db, &cfg)
	if err == nil || !strings.Contains(err.Error(), "row 7 has a 15-byte key") {
		t.Fatalf("loadKeySet = %v, want an error naming row 7", err)
	}
}
