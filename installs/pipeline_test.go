package installs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestRunMatchesSerialWrites sends a stream of random check-ins (new
// devices, returning ones, repeats within and across batches, moves, late
// check-ins, new days) through the running writer, as the API does, with
// the queue always full so that on PostgreSQL every batch is decided while
// the one before is in flight; one batch statement is made to fail. The
// stored tokens and counters must equal those of the same check-ins, minus
// the failed batch's, written one small batch after the other.
func TestRunMatchesSerialWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		piped := newEnv(t, db, func(c *Config) { c.BatchSize = 16 }).s
		plain := newEnv(t, storetest.SQLite(t), nil).s
		var statements atomic.Int64
		injected := errors.New("injected failure")
		execPGFault = func() error {
			if statements.Add(1) == 5 {
				return injected
			}
			return nil
		}
		defer func() { execPGFault = nil }()

		rng := rand.New(rand.NewPCG(3, 4))
		places := piped.admin.Districts[:10]
		day := DayOf(testDay0)
		var ps []*pending
		for i := range 700 {
			if i%150 == 149 {
				day++
			}
			p := places[rng.IntN(len(places))]
			dist := p.Code
			if rng.IntN(5) == 0 {
				dist = ""
			}
			d := day
			if rng.IntN(12) == 0 {
				d-- // late, from before midnight
			}
			raw, _ := decodeTok(token(rng.IntN(60)))
			ps = append(ps, &pending{ev: event{hash: piped.tokenHash(raw), province: p.ProvinceCode, district: dist, day: d},
				done: make(chan error, 1)})
		}
		for _, p := range ps {
			piped.queue <- p
		}
		var ok []event
		failed := 0
		for _, p := range ps {
			switch err := <-p.done; {
			case err == nil:
				ok = append(ok, p.ev)
			case errors.Is(err, injected):
				failed++
			default:
				t.Fatalf("check-in failed: %v", err)
			}
		}
		if db.Dialect() == store.Postgres && (failed == 0 || failed > 16) {
			t.Fatalf("%d check-ins failed, want one batch's (1..16)", failed)
		}
		if db.Dialect() == store.SQLite && failed != 0 {
			t.Fatalf("%d check-ins failed on SQLite, want 0", failed)
		}
		for i := 0; i < len(ok); i += 7 {
			if err := plain.writeBatch(ctx, ok[i:min(i+7, len(ok))]); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{
			`SELECT province || '/' || district || '/' || CAST(day AS TEXT), new_installs, installs, active FROM installs_daily`,
			`SELECT province || '/' || district || '/' || CAST(last_day AS TEXT), 0, 0, 0 FROM installs_tokens`,
		} {
			a, b := tableRows(t, piped.db, q), tableRows(t, plain.db, q)
			if len(a) == 0 || len(a) != len(b) {
				t.Fatalf("%q: %d rows through Run, %d written serially", q, len(a), len(b))
			}
			for k, n := range b {
				if a[k] != n {
					t.Errorf("%s: %d through Run, %d written serially", k, a[k], n)
				}
			}
		}
	})
}

// tableRows counts the rows of q (a label and three numbers) by label and
// numbers.
func tableRows(t *testing.T, db *store.DB, q string) map[[2]string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[2]string]int{}
	for rows.Next() {
		var label string
		var a, b, c int64
		if err := rows.Scan(&label, &a, &b, &c); err != nil {
			t.Fatal(err)
		}
		out[[2]string{label, fmt.Sprint(a, b, c)}]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
