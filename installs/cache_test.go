package installs

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestCounterCacheMatchesDatabase replays the same random check-ins (new
// devices, returning ones, moves between places, late check-ins from an
// earlier day, repeats) in small batches twice: once with the writer's
// counter cache, once reading every batch's rows from the database. The
// stored counters must be identical.
func TestCounterCacheMatchesDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cached := newEnv(t, db, nil).s
		plain := newEnv(t, storetest.SQLite(t), nil).s
		admin := cached.admin
		rng := rand.New(rand.NewPCG(1, 2))
		places := admin.Districts[:12]
		day := DayOf(testDay0)
		for batch := 0; batch < 60; batch++ {
			if batch%6 == 5 {
				day += Day(1 + rng.IntN(3))
			}
			var evs []event
			for i := 0; i < 1+rng.IntN(15); i++ {
				p := places[rng.IntN(len(places))]
				dist := p.Code
				if rng.IntN(5) == 0 {
					dist = ""
				}
				d := day
				if rng.IntN(10) == 0 {
					d-- // late, from before midnight
				}
				raw, _ := decodeTok(token(rng.IntN(40)))
				evs = append(evs, event{hash: cached.tokenHash(raw), province: p.ProvinceCode, district: dist, day: d})
			}
			if err := cached.writeBatch(ctx, evs); err != nil {
				t.Fatal(err)
			}
			plain.counters = nil
			if err := plain.writeBatch(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		read := func(s *Server) map[string]dayRow {
			rows, err := s.db.Query(ctx, `SELECT province, district, day, new_installs, installs, active FROM installs_daily`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]dayRow{}
			for rows.Next() {
				var p, d string
				var r dayRow
				if err := rows.Scan(&p, &d, &r.Day, &r.NewInstalls, &r.Installs, &r.Active); err != nil {
					t.Fatal(err)
				}
				out[p+"/"+d+"/"+r.Day.String()] = r
			}
			return out
		}
		a, b := read(cached), read(plain)
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("%d rows with the cache, %d without", len(a), len(b))
		}
		for k, r := range b {
			if a[k] != r {
				t.Errorf("%s: cached %+v, from the database %+v", k, a[k], r)
			}
		}
	})
}
