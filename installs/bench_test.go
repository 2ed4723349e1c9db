package installs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func engines() []struct {
	name string
	open func(testing.TB) *store.DB
} {
	return []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}
}

// BenchmarkCheckinHTTP drives POST /v1/installs/checkin over loopback HTTP
// from many goroutines, each check-in a new device (the heaviest case: a
// token insert and new-install counters), and reports check-ins per second.
// Each acknowledged request is committed.
//
//	go test ./installs -run '^$' -bench CheckinHTTP -benchtime 40000x -count 3
func BenchmarkCheckinHTTP(b *testing.B) {
	for _, eng := range engines() {
		for _, returning := range []bool{false, true} {
			name := eng.name + "/new"
			if returning {
				name = eng.name + "/returning"
			}
			b.Run(name, func(b *testing.B) { benchCheckinHTTP(b, eng.open(b), returning) })
		}
	}
}

func benchCheckinHTTP(b *testing.B, db *store.DB, returning bool) {
	e := newEnv(b, db, nil)
	admin := e.s.admin
	place := func(i int) (string, string) {
		d := admin.Districts[i%len(admin.Districts)]
		return d.ProvinceCode, d.Code
	}
	if returning { // every device checked in yesterday, where it checks in today
		D := DayOf(testDay0)
		for i := 0; i < b.N; i += 5000 {
			var evs []event
			for j := i; j < min(i+5000, b.N); j++ {
				raw, _ := decodeTok(token(j))
				p, d := place(j)
				evs = append(evs, event{hash: e.s.tokenHash(raw), province: p, district: d, day: D - 1})
			}
			if err := e.s.writeBatch(context.Background(), evs); err != nil {
				b.Fatal(err)
			}
		}
	}
	tr := &http.Transport{MaxIdleConns: 2048, MaxIdleConnsPerHost: 2048}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var seq atomic.Int64
	seq.Store(-1)
	before := e.s.batches.Load()
	b.SetParallelism(512) // 512 × GOMAXPROCS concurrent clients
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1))
			p, d := place(i)
			body, _ := json.Marshal(CheckinRequest{Token: token(i), Province: p, District: d,
				Platform: "android", AppVersion: "4.0.1"})
			resp, err := client.Post(e.url+"/v1/installs/checkin", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checkins/s")
	b.ReportMetric(float64(b.N)/float64(e.s.batches.Load()-before), "checkins/batch")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/checkin")
}

// load40M writes synthetic counters straight into installs_daily: 180
// days over which 40 million devices appear, spread over the 707
// districts by population, with province rows summing them, as the
// check-in writer would have left them. Token rows are not needed:
// reports never read them.
func load40M(b *testing.B, e *env) {
	ctx := context.Background()
	const days, total = 180, 40_000_000
	var pop int64
	for _, p := range e.s.admin.Provinces {
		pop += p.Population
	}
	end := DayOf(testDay0)
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		var args []any
		n := 0
		flush := func() error {
			if n == 0 {
				return nil
			}
			_, err := tx.Exec(ctx, `INSERT INTO installs_daily (province, district, day, new_installs, installs, active) VALUES `+store.Placeholders(n, 6), args...)
			args, n = args[:0], 0
			return err
		}
		add := func(p, d string, day Day, newI, inst, act int64) error {
			args = append(args, p, d, int64(day), newI, inst, act)
			n++
			if n == 300 {
				return flush()
			}
			return nil
		}
		natAt := make([]int64, days)
		for _, p := range e.s.admin.Provinces {
			dists := e.s.admin.DistrictsOf(p.Code)
			provAt := make([]int64, days)
			for _, d := range dists {
				share := int64(float64(total) * float64(d.Population) / float64(pop))
				var prev int64
				for i := 0; i < days; i++ {
					inst := share * int64(i+1) / days
					provAt[i] += inst
					if err := add(p.Code, d.Code, end-days+1+Day(i), inst-prev, inst, inst*6/10); err != nil {
						return err
					}
					prev = inst
				}
			}
			var prev int64
			for i, inst := range provAt {
				natAt[i] += inst
				if err := add(p.Code, provinceLevel, end-days+1+Day(i), inst-prev, inst, inst*6/10); err != nil {
					return err
				}
				prev = inst
			}
		}
		var prev int64
		for i, inst := range natAt {
			if err := add(National, provinceLevel, end-days+1+Day(i), inst-prev, inst, inst*6/10); err != nil {
				return err
			}
			prev = inst
		}
		return flush()
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReports40M times the national and a province page's data with
// 40 million installs recorded (see load40M).
//
//	go test ./installs -run '^$' -bench Reports40M -benchtime 50x -count 3
func BenchmarkReports40M(b *testing.B) {
	for _, eng := range engines() {
		b.Run(eng.name, func(b *testing.B) {
			e := newEnv(b, eng.open(b), nil)
			load40M(b, e)
			ctx := context.Background()
			n, err := e.s.National(ctx, testDay0)
			if err != nil || n.Installs < 39_000_000 {
				b.Fatalf("national: %v, %d installs", err, n.Installs)
			}
			b.Logf("%s: %s installs, %s active, rate %s", eng.name, FormatCount(n.Installs), FormatCount(n.Active), FormatRate(n.Rate))
			b.Run("national", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.s.National(ctx, testDay0); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("province-01", func(b *testing.B) { // Hà Nội: 30 districts
				for i := 0; i < b.N; i++ {
					if _, err := e.s.Province(ctx, "01", testDay0); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkWriteBatch times the check-in writer alone (no HTTP): batches
// of 2,000 check-ins spread over all districts, either all new devices or
// all devices that checked in the day before.
//
//	go test ./installs -run '^$' -bench WriteBatch -benchtime 10x
func BenchmarkWriteBatch(b *testing.B) {
	for _, eng := range engines() {
		for _, returning := range []bool{false, true} {
			name := eng.name + "/new"
			if returning {
				name = eng.name + "/returning"
			}
			b.Run(name, func(b *testing.B) {
				e := newEnv(b, eng.open(b), nil)
				ctx := context.Background()
				dists := e.s.admin.Districts
				const size = 2000
				batch := func(i int, day Day) []event {
					evs := make([]event, size)
					for j := range evs {
						d := dists[(i*size+j)%len(dists)]
						evs[j] = event{hash: e.s.tokenHash([]byte(fmt.Sprint(i, "/", j))), province: d.ProvinceCode, district: d.Code, day: day}
					}
					return evs
				}
				D := DayOf(testDay0)
				if returning {
					for i := 0; i < b.N; i++ {
						if err := e.s.writeBatch(ctx, batch(i, D-1)); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				for i := 0; i < b.N; i++ {
					if err := e.s.writeBatch(ctx, batch(i, D)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "checkins/s")
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*size)/1e3, "cpu-µs/checkin")
			})
		}
	}
}

// cpuTime is this process's user+system CPU time in nanoseconds: unlike
// wall time, it is not inflated when other jobs load the machine. (With
// PostgreSQL, the server's own CPU is not included.)
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
