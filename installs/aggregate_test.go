package installs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestAggregatesMatchModel writes random check-ins (repeats, moves between
// districts and provinces, gaps of days, the same token several times in a
// batch) through the batch writer and compares every counter of every day
// with a brute-force count over the check-in history.
func TestAggregatesMatchModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const N = 4
		e := newEnv(t, db, func(c *Config) { c.ActiveDays = N })
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		places := []aggKey{{"67", "660"}, {"67", "661"}, {"67", ""}, {"01", "001"}, {"01", "002"}}
		type checkin struct {
			tok   int
			place aggKey
			day   Day
		}
		var history []checkin
		start := Day(18500)
		for day := start; day < start+15; day++ {
			if rng.IntN(5) == 0 {
				continue // a quiet day
			}
			for b := 0; b < 1+rng.IntN(3); b++ {
				var evs []event
				for i := 0; i < rng.IntN(25); i++ {
					c := checkin{tok: rng.IntN(30), place: places[rng.IntN(len(places))], day: day}
					if rng.IntN(3) > 0 { // most devices stay put
						for j := len(history) - 1; j >= 0; j-- {
							if history[j].tok == c.tok {
								c.place = history[j].place
								break
							}
						}
					}
					history = append(history, c)
					evs = append(evs, event{hash: e.s.tokenHash([]byte(fmt.Sprint("tok", c.tok))), province: c.place.province, district: c.place.district, day: day})
				}
				if err := e.s.writeBatch(ctx, evs); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The model: a device's place on day d is that of its last check-in
		// up to d; it is active on d if that check-in is within N days.
		type counts struct{ newI, installs, active int64 }
		model := func(d Day, key aggKey, level func(aggKey) aggKey) counts {
			var c counts
			seen := map[int]bool{}
			lastAt := map[int]checkin{}
			for _, h := range history {
				if h.day > d {
					break
				}
				if !seen[h.tok] {
					seen[h.tok] = true
					if h.day == d && level(h.place) == key {
						c.newI++
					}
				}
				lastAt[h.tok] = h
			}
			for _, h := range lastAt {
				if level(h.place) != key {
					continue
				}
				c.installs++
				if h.day > d-N {
					c.active++
				}
			}
			return c
		}
		district := func(k aggKey) aggKey { return k }
		province := func(k aggKey) aggKey { return aggKey{k.province, provinceLevel} }
		var reqs []latestReq
		for d := start - 1; d < start+15+N; d++ {
			for _, p := range places {
				reqs = append(reqs, latestReq{p, d}, latestReq{province(p), d})
			}
			reqs = append(reqs, latestReq{nationalKey, d})
		}
		got, err := latestRows(ctx, db, reqs)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, r := range reqs {
			row, ok := got[r]
			c := asOf(row, ok, r.day)
			lv := district
			if r.key.district == provinceLevel {
				lv = province
			}
			if r.key == nationalKey {
				lv = func(aggKey) aggKey { return nationalKey }
			}
			want := model(r.day, r.key, lv)
			if c.NewInstalls != want.newI || c.Installs != want.installs || c.Active != want.active {
				t.Errorf("day %d %v: new %d installs %d active %d; want %+v", r.day-start, r.key, c.NewInstalls, c.Installs, c.Active, want)
			}
			if want.installs > 0 {
				checked++
			}
		}
		if checked < 50 {
			t.Fatalf("only %d non-empty counters checked: the random history is too thin", checked)
		}
	})
}
