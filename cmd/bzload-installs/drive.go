package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// result is one measured phase.
type result struct {
	accepted    int
	acceptedNew int
	errors      map[string]int
	latencies   []time.Duration
	elapsed     time.Duration
	cpu         time.Duration // this process's user+system CPU during the phase
}

func (r *result) rps() float64 { return float64(r.accepted) / r.elapsed.Seconds() }

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *result) print(out io.Writer, name string) {
	slices.Sort(r.latencies)
	nerr := 0
	for _, n := range r.errors {
		nerr += n
	}
	cpuPer := 0.0
	if r.accepted+nerr > 0 {
		cpuPer = float64(r.cpu.Microseconds()) / float64(r.accepted+nerr)
	}
	fmt.Fprintf(out, "%-34s %7d ok in %.2fs = %6.0f req/s  p50 %5.1f ms  p95 %5.1f ms  p99 %5.1f ms  cpu %3.0f µs/req  errors %d %v\n",
		name+":", r.accepted, r.elapsed.Seconds(), r.rps(),
		ms(pct(r.latencies, 0.50)), ms(pct(r.latencies, 0.95)), ms(pct(r.latencies, 0.99)), cpuPer, nerr, r.errors)
}

// request is one prepared check-in body; isNew says whether its token has
// never been seen, so the phase can count accepted new devices.
type request struct {
	body  []byte
	isNew bool
}

// drive posts reqs from clients concurrent keep-alive clients until they run
// out or d passes. A request is accepted when the answer is 200 with an
// empty error code.
func drive(ctx context.Context, client *http.Client, url string, reqs []request, clients int, d time.Duration) *result {
	var next atomic.Int64
	var mu sync.Mutex
	res := &result{errors: map[string]int{}}
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, len(reqs)/clients+1)
			errs := map[string]int{}
			ok, okNew := 0, 0
			buf := make([]byte, 0, 512)
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) || time.Now().After(deadline) {
					break
				}
				t0 := time.Now()
				code, body := post(ctx, client, url, reqs[i].body, buf)
				if code != http.StatusOK || !bytes.Contains(body, []byte(`"error":""`)) {
					errs[fmt.Sprintf("%d %s", code, errCode(body))]++
					continue
				}
				lat = append(lat, time.Since(t0))
				ok++
				if reqs[i].isNew {
					okNew++
				}
			}
			mu.Lock()
			res.accepted += ok
			res.acceptedNew += okNew
			res.latencies = append(res.latencies, lat...)
			for k, v := range errs {
				res.errors[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = cpuTime() - cpu0
	return res
}

func post(ctx context.Context, client *http.Client, url string, body, buf []byte) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, []byte(`"error":"transport"`)
	}
	defer res.Body.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := res.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if err != io.EOF {
				return 0, []byte(`"error":"transport"`)
			}
			return res.StatusCode, buf
		}
	}
}

func errCode(body []byte) string {
	s := string(body)
	if i := strings.Index(s, `"error":"`); i >= 0 {
		s = s[i+9:]
		if j := strings.IndexByte(s, '"'); j >= 0 {
			return s[:j]
		}
	}
	return "?"
}

func newClient(clients int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        clients,
			MaxIdleConnsPerHost: clients,
			MaxConnsPerHost:     clients,
			DisableCompression:  true,
		},
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg is the machine's 1-minute load average (Linux only).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
