package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/internal/httputil"
	"github.com/bluezone-vn/bluezone/internal/loadgen"
	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/store"
)

type publishFlags struct {
	db       string
	clients  int
	duration time.Duration
	requests int
	keys     int
	ceiling  bool
	profile  string
	writers  int
}

func runPublish(ctx context.Context, args []string, out io.Writer) error {
	var f publishFlags
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.StringVar(&f.db, "db", "sqlite", "database: sqlite, sqlite:PATH or postgres://… (a scratch schema is made and dropped)")
	fs.IntVar(&f.clients, "clients", 64, "concurrent clients")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "measuring time per phase (at most 2 min)")
	fs.IntVar(&f.requests, "requests", 0, "pre-minted requests (0: enough for the duration at 8,000/s, at most 120,000)")
	fs.IntVar(&f.keys, "keys", 14, "keys per request (1..14)")
	fs.BoolVar(&f.ceiling, "ceiling", true, "also measure the bare net/http JSON ceiling")
	fs.IntVar(&f.writers, "writers", 0, "concurrent writer transactions on PostgreSQL (0: the keyserver's default)")
	fs.StringVar(&f.profile, "cpuprofile", "", "write a CPU profile of the publish phase to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.clients < 1 || f.clients > 1024 || f.keys < 1 || f.keys > 14 || f.duration <= 0 || f.duration > 2*time.Minute {
		return errors.New("need 1 ≤ clients ≤ 1024, 1 ≤ keys ≤ 14, 0 < duration ≤ 2m")
	}
	if f.requests == 0 {
		f.requests = min(int(f.duration.Seconds()*8000)+f.clients, 120_000)
	}

	db, cleanup, err := store.OpenScratch(ctx, f.db, "bzload")
	if err != nil {
		return err
	}
	defer cleanup()
	auth, err := newAuthority()
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	reg := prometheus.NewRegistry()
	srv, err := startKeyserver(ctx, db, auth, secret, reg, f.writers)
	if err != nil {
		return err
	}
	addr, stop, err := loadgen.ServeService(ctx, srv)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(out, "bzload publish: db=%s (%s) clients=%d keys/request=%d writers=%d duration=%s cpus=%d load average before: %s\n",
		db.Dialect(), redactDSN(f.db), f.clients, f.keys, f.writers, f.duration, runtime.NumCPU(), loadgen.LoadAvg())
	fmt.Fprintf(out, "minting %d requests (ES256 certificates, tekmac over random keys)…\n", f.requests)
	padding := make([]byte, 1024)
	_, _ = rand.Read(padding)
	pad := base64.StdEncoding.EncodeToString(padding)
	bodies := make([][]byte, f.requests)
	now := time.Now()
	for i := range bodies {
		b, _, err := auth.body(now, f.keys, pad)
		if err != nil {
			return err
		}
		bodies[i] = b
	}

	client := loadgen.NewClient(f.clients, 30*time.Second)
	// Warm up: connections, caches, revision key.
	if _, err := drive(ctx, client, "http://"+addr+"/v1/publish", bodies[:min(len(bodies), f.clients*4)], f.clients, time.Minute, f.keys); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	rest := bodies[min(len(bodies), f.clients*4):]
	stopProfile, err := loadgen.StartProfile(f.profile)
	if err != nil {
		return err
	}
	pub, err := drive(ctx, client, "http://"+addr+"/v1/publish", rest, f.clients, f.duration, f.keys)
	if err != nil {
		return err
	}
	stopProfile()
	pub.Print(out, "publish (keyserver, "+string(db.Dialect())+")")
	printBatches(out, reg)

	var stored int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM exposures`).Scan(&stored); err != nil {
		return err
	}
	wantStored := (pub.Accepted + f.clients*4) * f.keys
	fmt.Fprintf(out, "  stored rows: %d (expected %d)\n", stored, wantStored)
	if stored != wantStored {
		return fmt.Errorf("stored %d rows, expected %d", stored, wantStored)
	}

	if f.ceiling {
		cmux := http.NewServeMux()
		cmux.HandleFunc("POST /v1/publish", func(w http.ResponseWriter, r *http.Request) {
			// The same body limit and decoder as the keyserver's.
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, keyserver.MaxBodyBytes))
			var req *keyserver.PublishRequest
			if err == nil {
				req, err = keyserver.DecodePublishRequest(body)
			}
			if err != nil {
				httputil.WriteJSON(w, http.StatusBadRequest, keyserver.PublishResponse{Code: keyserver.ErrorBadRequest})
				return
			}
			httputil.WriteJSON(w, http.StatusOK, keyserver.PublishResponse{InsertedExposures: len(req.Keys),
				Padding: httputil.Padding(1024, 2047)})
		})
		caddr, cstop, err := loadgen.ServeLoopback(cmux)
		if err != nil {
			return err
		}
		defer cstop()
		cclient := loadgen.NewClient(f.clients, 30*time.Second)
		if _, err := drive(ctx, cclient, "http://"+caddr+"/v1/publish", bodies[:min(len(bodies), f.clients*4)], f.clients, time.Minute, f.keys); err != nil {
			return err
		}
		ceil, err := drive(ctx, cclient, "http://"+caddr+"/v1/publish", bodies, f.clients, f.duration, f.keys)
		if err != nil {
			return err
		}
		ceil.Print(out, "bare net/http JSON ceiling")
		fmt.Fprintf(out, "ratio publish/ceiling: %.2f (load average after: %s)\n", pub.RPS()/ceil.RPS(), loadgen.LoadAvg())
	}
	return nil
}

// drive sends bodies with the given number of concurrent clients until they
// run out or the duration passes, and counts 200 answers that report every
// key inserted as accepted.
func drive(ctx context.Context, client *http.Client, url string, bodies [][]byte, clients int, d time.Duration, keys int) (*loadgen.Result, error) {
	var next atomic.Int64
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	res := &loadgen.Result{Errors: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, len(bodies)/clients+1)
			errs := map[string]int{}
			ok := 0
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					break
				}
				t0 := time.Now()
				code, err := post(ctx, client, url, bodies[i], keys)
				if err != nil {
					errs[err.Error()]++
					continue
				}
				if code != "" {
					errs[code]++
					continue
				}
				lat = append(lat, time.Since(t0))
				ok++
			}
			mu.Lock()
			res.Add(ok, lat, errs)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if res.Accepted == 0 {
		return res, fmt.Errorf("no request accepted: %v", res.Errors)
	}
	return res, ctx.Err()
}

func post(ctx context.Context, client *http.Client, url string, body []byte, keys int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return "", errors.New("transport error")
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return "", errors.New("transport error")
	}
	// A cheap check that keeps the generator's CPU for the server: success
	// is 200, no error code and every key inserted.
	if res.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"code"`)) ||
		!bytes.Contains(raw, []byte(fmt.Sprintf(`"insertedExposures":%d,`, keys))) {
		var pr keyserver.PublishResponse
		_ = json.Unmarshal(raw, &pr)
		return fmt.Sprintf("%d %s", res.StatusCode, pr.Code), nil
	}
	return "", nil
}

func redactDSN(s string) string {
	if len(s) > 11 && (s[:11] == "postgres://" || s[:13] == "postgresql:/") {
		return "postgres"
	}
	return s
}

// printBatches reports the group-commit writer's mean batch and commit time
// from its metrics (warm-up included).
func printBatches(out io.Writer, reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		return
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			if h == nil || h.GetSampleCount() == 0 {
				continue
			}
			mean := h.GetSampleSum() / float64(h.GetSampleCount())
			switch mf.GetName() {
			case "bluezone_keyserver_commit_batch_requests":
				fmt.Fprintf(out, "  group commit: %d transactions, mean %.1f requests each\n", h.GetSampleCount(), mean)
			case "bluezone_keyserver_commit_seconds":
				fmt.Fprintf(out, "  group commit: mean transaction %.2f ms\n", mean*1000)
			}
		}
	}
}
