// Package loadgen is the plumbing the repository's load tools share: a
// loopback HTTP server, keep-alive clients, latency percentiles, CPU time
// and load average, CPU profiles. It drives nothing itself: each tool keeps
// its own requests, phases and checks of what was stored.
//
// Load tools send traffic to loopback only, and every phase is bounded in
// time and count.
package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Result is one measured phase.
type Result struct {
	Accepted  int
	Errors    map[string]int
	Latencies []time.Duration // of every answered request
	Elapsed   time.Duration
	CPU       time.Duration // this process's user+system CPU during the phase; 0 if not measured
}

// Add adds one client's part of a phase: its accepted requests, their
// latencies and its errors by kind. It is not safe for concurrent use.
func (r *Result) Add(accepted int, latencies []time.Duration, errors map[string]int) {
	r.Accepted += accepted
	r.Latencies = append(r.Latencies, latencies...)
	if r.Errors == nil {
		r.Errors = map[string]int{}
	}
	for k, v := range errors {
		r.Errors[k] += v
	}
}

// RPS is accepted requests per second.
func (r *Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Elapsed.Seconds()
}

// ErrorCount is the number of requests that were not accepted.
func (r *Result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Percentile returns the latency below which a share p (0 < p ≤ 1) of the
// requests fell, by the nearest-rank method. It sorts Latencies.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	slices.Sort(r.Latencies)
	i := int(p*float64(len(r.Latencies))+0.5) - 1
	return r.Latencies[max(0, min(i, len(r.Latencies)-1))]
}

// Print writes one line: name, accepted, rate, p50/p95/p99/max latency, CPU
// per request (when measured) and the errors by code.
func (r *Result) Print(out io.Writer, name string) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	cpu := ""
	if n := r.Accepted + r.ErrorCount(); r.CPU > 0 && n > 0 {
		cpu = fmt.Sprintf("  cpu %3.0f µs/req", float64(r.CPU.Microseconds())/float64(n))
	}
	fmt.Fprintf(out, "%-34s %7d ok in %.2fs = %6.0f req/s  p50 %5.1f ms  p95 %5.1f ms  p99 %5.1f ms  max %6.1f ms%s  errors %d %v\n",
		name+":", r.Accepted, r.Elapsed.Seconds(), r.RPS(),
		ms(r.Percentile(0.50)), ms(r.Percentile(0.95)), ms(r.Percentile(0.99)), ms(r.Percentile(1)), cpu, r.ErrorCount(), r.Errors)
}

// ServeLoopback serves h on a fresh 127.0.0.1 port and returns its address
// and a function that shuts it down.
func ServeLoopback(h http.Handler) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen on loopback: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return ln.Addr().String(), func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(c)
	}, nil
}

// Service is what the load tools drive: a writer goroutine and HTTP routes.
type Service interface {
	Run(ctx context.Context) error
	Register(mux *http.ServeMux)
}

// ServeService runs svc's writer and serves its routes on a fresh loopback
// port; stop shuts the server down, then stops the writer and waits for it.
func ServeService(ctx context.Context, svc Service) (addr string, stop func(), err error) {
	runCtx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan error, 1)
	go func() { writerDone <- svc.Run(runCtx) }()
	mux := http.NewServeMux()
	svc.Register(mux)
	addr, stopHTTP, err := ServeLoopback(mux)
	if err != nil {
		stopWriter()
		<-writerDone
		return "", nil, err
	}
	return addr, func() {
		stopHTTP()
		stopWriter()
		<-writerDone
	}, nil
}

// NewClient returns an HTTP client that keeps a connection per concurrent
// client alive and never compresses.
func NewClient(clients int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			MaxIdleConns:        clients * 2,
			MaxIdleConnsPerHost: clients * 2,
			MaxConnsPerHost:     clients * 2,
			DisableCompression:  true,
		},
	}
}

// CPUTime is this process's user+system CPU time so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// LoadAvg is the machine's 1-minute load average, or "?" where /proc has
// none.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// StartProfile starts a CPU profile into path (nothing when path is empty)
// and returns the function that stops it.
func StartProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
