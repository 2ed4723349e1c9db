// Command bzload-installs is the load tool for the installs check-in API
// (POST /v1/installs/checkin). It starts the real installs service
// in-process on a loopback port, with its batching writer, on a scratch
// SQLite file or PostgreSQL schema, and drives it over real HTTP with
// keep-alive clients:
//
//	bzload-installs --db sqlite|postgres://… [--clients 128] [--duration 5s] [--phases returning,daily,new] [--new-share 0.1]
//
// Phases, each on a day of its own (the service's clock is set per phase):
//
//   - returning: every device checked in the day before (the steady state
//     of a daily check-in);
//   - daily: a day's mix, --new-share of the requests from devices never
//     seen and the rest from devices seen two days before;
//   - new: every device new (an install storm, the heaviest case).
//
// Returning devices are seeded beforehand through the service's own writer
// (RecordCheckins), not measured. After each phase it checks that the
// stored counters equal what was acknowledged: the national new installs
// of the day, the token rows last seen that day and the national active
// count of the last day of their window. It also measures, in the same
// run, a bare net/http ceiling (the same bodies decoded by the same JSON
// library and a response of the same size) and prints each phase's ratio to
// it. It prints requests/s, latency percentiles, errors and this process's
// CPU per request (client, server and writer; not the PostgreSQL server).
// The scratch file or schema is removed at the end.
//
// It is a measuring tool, not part of the served system; it listens on
// 127.0.0.1 only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/loadgen"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bzload-installs:", err)
		os.Exit(1)
	}
}

type flags struct {
	db         string
	clients    int
	duration   time.Duration
	phases     string
	newShare   float64
	maxRate    int
	batchSize  int
	batchDelay time.Duration
	ceiling    bool
	profile    string
}

// dayClock is the service's clock: noon of a day the tool sets per phase.
type dayClock struct{ unix atomic.Int64 }

func (c *dayClock) Now() time.Time     { return time.Unix(c.unix.Load(), 0) }
func (c *dayClock) set(d installs.Day) { c.unix.Store(d.Time().Add(12 * time.Hour).Unix()) }

func run(ctx context.Context, args []string, out io.Writer) error {
	var f flags
	def := installs.DefaultConfig()
	fs := flag.NewFlagSet("bzload-installs", flag.ContinueOnError)
	fs.StringVar(&f.db, "db", "sqlite", "database: sqlite or postgres://… (a scratch file or schema, removed afterwards)")
	fs.IntVar(&f.clients, "clients", 128, "concurrent keep-alive clients")
	fs.DurationVar(&f.duration, "duration", 5*time.Second, "measuring time per phase (at most 1m)")
	fs.StringVar(&f.phases, "phases", "returning,daily,new", "phases to run, in this order: returning, daily, new")
	fs.Float64Var(&f.newShare, "new-share", 0.10, "share of new devices in the daily phase")
	fs.IntVar(&f.maxRate, "max-rate", 15000, "requests prepared per phase per second of --duration (a phase ends early if they run out)")
	fs.IntVar(&f.batchSize, "batch-size", def.BatchSize, "writer: most check-ins per transaction")
	fs.DurationVar(&f.batchDelay, "batch-delay", def.BatchDelay, "writer: longest wait for a batch to fill")
	fs.BoolVar(&f.ceiling, "ceiling", true, "also measure the bare net/http ceiling")
	fs.StringVar(&f.profile, "cpuprofile", "", "write a CPU profile of the measured service phases to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.clients < 1 || f.clients > 4096 || f.duration <= 0 || f.duration > time.Minute ||
		f.newShare < 0 || f.newShare > 1 || f.maxRate < 100 || f.maxRate > 100_000 {
		return errors.New("need 1 ≤ clients ≤ 4096, 0 < duration ≤ 1m, 0 ≤ new-share ≤ 1, 100 ≤ max-rate ≤ 100000")
	}
	phases := strings.Split(f.phases, ",")
	for _, p := range phases {
		if p != "returning" && p != "daily" && p != "new" {
			return fmt.Errorf("unknown phase %q", p)
		}
	}

	db, cleanup, err := store.OpenScratch(ctx, f.db, "bzload_installs")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := installs.Migrate(ctx, db); err != nil {
		return err
	}
	cfg := def
	cfg.BatchSize, cfg.BatchDelay = f.batchSize, f.batchDelay
	clk := &dayClock{}
	admin := vnadmin.MustLoad()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	srv, err := installs.New(cfg, installs.Deps{DB: db, Clock: clk, Admin: admin, Secret: secret,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}

	gen := newGenerator(admin)
	perPhase := int(f.duration.Seconds()*float64(f.maxRate)) + f.clients
	d0 := installs.DayOf(time.Now())
	fmt.Fprintf(out, "bzload-installs: db=%s clients=%d duration=%s/phase batch≤%d/%s cpus=%d GOMAXPROCS=%d load average before: %s\n",
		db.Dialect(), f.clients, f.duration, cfg.BatchSize, cfg.BatchDelay, runtime.NumCPU(), runtime.GOMAXPROCS(0), loadgen.LoadAvg())

	// Returning devices: seeded on d0 through the service's writer.
	poolSize := 0
	for _, p := range phases {
		switch p {
		case "returning":
			poolSize += perPhase
		case "daily":
			poolSize += int(float64(perPhase)*(1-f.newShare)) + 1
		}
	}
	pool := gen.next(poolSize)
	t0 := time.Now()
	for i := 0; i < len(pool); i += 20_000 {
		if err := srv.RecordCheckins(ctx, d0, pool[i:min(i+20_000, len(pool))]); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if poolSize > 0 {
		fmt.Fprintf(out, "seeded %d returning devices in %.1fs\n", poolSize, time.Since(t0).Seconds())
	}
	poolBodies := bodies(pool, false)

	addr, stop, err := loadgen.ServeService(ctx, srv)
	if err != nil {
		return err
	}
	defer stop()
	url := "http://" + addr + "/v1/installs/checkin"
	client := loadgen.NewClient(f.clients, 60*time.Second)

	// Warm-up (connections, caches), new devices on the day before d0: it
	// touches no counter that the phases check.
	clk.set(d0 - 1)
	warm := bodies(gen.next(4*f.clients), true)
	w := drive(ctx, client, url, warm, f.clients, time.Minute)
	if w.Accepted == 0 {
		return fmt.Errorf("warm-up: nothing accepted: %v", w.Errors)
	}
	totalNew := poolSize + w.Accepted

	stopProfile, err := loadgen.StartProfile(f.profile)
	if err != nil {
		return err
	}
	var results []*result
	var names []string
	used := 0
	for i, p := range phases {
		day := d0 + 1 + installs.Day(i)
		clk.set(day)
		var reqs []request
		switch p {
		case "returning":
			n := min(perPhase, len(poolBodies)-used)
			reqs = poolBodies[used : used+n]
			used += n
		case "daily":
			nNew := int(float64(perPhase) * f.newShare)
			nOld := min(perPhase-nNew, len(poolBodies)-used)
			fresh := bodies(gen.next(nNew), true)
			reqs = interleave(poolBodies[used:used+nOld], fresh)
			used += nOld
		case "new":
			reqs = bodies(gen.next(perPhase), true)
		}
		r := drive(ctx, client, url, reqs, f.clients, f.duration)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := p
		if p == "daily" {
			name = fmt.Sprintf("daily (%.0f%% new)", f.newShare*100)
		}
		name += " (" + string(db.Dialect()) + ")"
		r.Print(out, name)
		if r.Accepted == len(reqs) {
			fmt.Fprintf(out, "  note: all %d prepared requests were used before the duration ended; raise --max-rate\n", len(reqs))
		}
		totalNew += r.acceptedNew
		if err := checkCounts(ctx, db, day, cfg.ActiveDays, r, out); err != nil {
			return err
		}
		results = append(results, r)
		names = append(names, name)
	}
	stopProfile()
	var total int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM installs_tokens`).Scan(&total); err != nil {
		return err
	}
	fmt.Fprintf(out, "  stored devices: %d (expected %d)\n", total, totalNew)
	if total != totalNew {
		return fmt.Errorf("stored %d devices, expected %d", total, totalNew)
	}

	if f.ceiling {
		ceil, err := measureCeiling(ctx, gen, f, perPhase)
		if err != nil {
			return err
		}
		ceil.Print(out, "bare net/http JSON ceiling")
		for i, r := range results {
			fmt.Fprintf(out, "  ratio %s / ceiling: %.2f\n", names[i], r.RPS()/ceil.RPS())
		}
	}
	fmt.Fprintf(out, "load average after: %s\n", loadgen.LoadAvg())
	return nil
}

// checkCounts compares the stored counters of day with what the phase had
// acknowledged: the national new installs of the day, the token rows last
// seen that day, and the national active count on the last day of their
// window (no device of an earlier phase is active that late).
func checkCounts(ctx context.Context, db *store.DB, day installs.Day, activeDays int, r *result, out io.Writer) error {
	var newInstalls, active int64
	var seen int
	err := db.QueryRow(ctx, `SELECT coalesce(max(new_installs), 0) FROM installs_daily WHERE province = ? AND district = '*' AND day = ?`,
		installs.National, int64(day)).Scan(&newInstalls)
	if err == nil {
		err = db.QueryRow(ctx, `SELECT coalesce(max(active), 0) FROM installs_daily WHERE province = ? AND district = '*' AND day = ?`,
			installs.National, int64(day)+int64(activeDays)-1).Scan(&active)
	}
	if err == nil {
		err = db.QueryRow(ctx, `SELECT count(*) FROM installs_tokens WHERE last_day = ?`, int64(day)).Scan(&seen)
	}
	if err != nil {
		return fmt.Errorf("check counts: %w", err)
	}
	fmt.Fprintf(out, "  stored: new installs %d (acknowledged %d), devices seen that day %d and active on day+%d %d (acknowledged %d)\n",
		newInstalls, r.acceptedNew, seen, activeDays-1, active, r.Accepted)
	if newInstalls != int64(r.acceptedNew) || seen != r.Accepted || active != int64(r.Accepted) {
		return errors.New("stored counters differ from the acknowledged check-ins")
	}
	return nil
}

// measureCeiling serves the same kind of bodies with a handler that only
// reads and decodes them (same size limit and JSON library as the service)
// and writes a response of the same size and headers.
func measureCeiling(ctx context.Context, gen *generator, f flags, n int) (*result, error) {
	resp := []byte(`{"error":"","message":"","day":"2020-08-13"}` + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/installs/checkin", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1024))
		var req installs.CheckinRequest
		if err == nil {
			err = jsonv2.Unmarshal(body, &req, jsonv2.RejectUnknownMembers(true))
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write(resp)
	})
	addr, stop, err := loadgen.ServeLoopback(mux)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := loadgen.NewClient(f.clients, 60*time.Second)
	url := "http://" + addr + "/v1/installs/checkin"
	reqs := bodies(gen.next(n), true)
	drive(ctx, client, url, reqs[:4*f.clients], f.clients, time.Minute)
	return drive(ctx, client, url, reqs[4*f.clients:], f.clients, f.duration), ctx.Err()
}

// generator makes check-ins of distinct random tokens, spread over every
// district.
type generator struct {
	admin  *vnadmin.Data
	prefix [16]byte
	i      int
}

func newGenerator(admin *vnadmin.Data) *generator {
	g := &generator{admin: admin}
	_, _ = rand.Read(g.prefix[:])
	return g
}

func (g *generator) next(n int) []installs.CheckinRequest {
	out := make([]installs.CheckinRequest, n)
	var tok [24]byte
	copy(tok[:], g.prefix[:])
	platforms := []string{"android", "android", "ios"}
	for k := range out {
		i := g.i
		g.i++
		tok[16], tok[17], tok[18], tok[19] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		d := g.admin.Districts[(i*7919)%len(g.admin.Districts)]
		out[k] = installs.CheckinRequest{Token: base64.RawURLEncoding.EncodeToString(tok[:]),
			Province: d.ProvinceCode, District: d.Code, Platform: platforms[i%3], AppVersion: "4.0.3"}
	}
	return out
}

func bodies(reqs []installs.CheckinRequest, isNew bool) []request {
	out := make([]request, len(reqs))
	for i, r := range reqs {
		b, _ := jsonv2.Marshal(r)
		out[i] = request{body: b, isNew: isNew}
	}
	return out
}

// interleave spreads the new requests evenly among the returning ones.
func interleave(old, fresh []request) []request {
	out := make([]request, 0, len(old)+len(fresh))
	j := 0
	for i := range old {
		for j < len(fresh) && j*len(old) <= i*len(fresh) {
			out = append(out, fresh[j])
			j++
		}
		out = append(out, old[i])
	}
	return append(out, fresh[j:]...)
}
