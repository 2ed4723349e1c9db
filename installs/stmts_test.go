package installs

import (
	"context"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestNextChunkCoversEveryCount(t *testing.T) {
	for n := 1; n <= 700; n++ {
		left, stmts := n, 0
		for left > 0 {
			c := nextChunk(left)
			if c < 1 || c > left {
				t.Fatalf("n=%d: chunk %d of %d left", n, c, left)
			}
			left -= c
			stmts++
		}
		if limit := n/chunkSizes[0] + 3*(len(chunkSizes)-1) + 7; stmts > limit {
			t.Errorf("n=%d: %d statements, want at most %d", n, stmts, limit)
		}
	}
}

// TestBatchesAcrossChunkSizes writes batches whose token and counter rows
// span several statement sizes (and repeats them, and checks in the same
// devices the next day) with the writer's reused statements, and checks the
// stored rows against counts made here.
func TestBatchesAcrossChunkSizes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newEnv(t, db, nil).s
		places := s.admin.Districts
		day := DayOf(testDay0)
		next := 0
		batch := func(n int, d Day, first int) []event {
			evs := make([]event, n)
			for i := range evs {
				p := places[(first+i)*7%len(places)]
				raw, _ := decodeTok(token(first + i))
				evs[i] = event{hash: s.tokenHash(raw), province: p.ProvinceCode, district: p.Code, day: d}
			}
			return evs
		}
		for _, n := range []int{1, 9, 137, 300, 41} {
			evs := batch(n, day, next)
			next += n
			for rep := 0; rep < 2; rep++ { // the repeat changes nothing
				if err := s.writeBatch(ctx, evs); err != nil {
					t.Fatal(err)
				}
			}
		}
		total := next
		var got int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM installs_tokens`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != total {
			t.Fatalf("%d token rows, want %d", got, total)
		}
		national := func(d Day) (int, int, int) {
			var nw, inst, act int
			if err := db.QueryRow(ctx, `SELECT new_installs, installs, active FROM installs_daily WHERE province = ? AND district = ? AND day = ?`,
				National, provinceLevel, int64(d)).Scan(&nw, &inst, &act); err != nil {
				t.Fatal(err)
			}
			return nw, inst, act
		}
		if nw, inst, act := national(day); nw != total || inst != total || act != total {
			t.Fatalf("national day 0: new %d installs %d active %d, want %d each", nw, inst, act, total)
		}
		var sum int
		if err := db.QueryRow(ctx, `SELECT coalesce(sum(installs), 0) FROM installs_daily WHERE district NOT IN ('*', '') AND day = ?`,
			int64(day)).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if sum != total {
			t.Fatalf("districts hold %d installs, want %d", sum, total)
		}
		// Next day: everyone returns, in one large batch.
		var evs []event
		for i := 0; i < total; i++ {
			evs = append(evs, batch(1, day+1, i)...)
		}
		if err := s.writeBatch(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if nw, inst, act := national(day + 1); nw != 0 || inst != total || act != total {
			t.Fatalf("national day 1: new %d installs %d active %d, want 0, %d, %d", nw, inst, act, total, total)
		}
		if _, _, act := national(day + Day(s.cfg.ActiveDays)); act != total { // every window moved on by one day
			t.Fatalf("active on day %d: %d, want %d", s.cfg.ActiveDays, act, total)
		}
		if db.Dialect() == store.SQLite && (s.stmts == nil || s.stmts.Len() > 3*len(chunkSizes)) {
			t.Fatalf("statement cache holds %v statements, want at most %d", s.stmts, 3*len(chunkSizes))
		}
	})
}
