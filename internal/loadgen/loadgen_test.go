package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResult(t *testing.T) {
	r := &Result{Accepted: 4, Errors: map[string]int{"bad_request": 1}, Elapsed: 2 * time.Second, CPU: 5 * time.Millisecond}
	for _, ms := range []int{40, 10, 30, 20, 50} {
		r.Latencies = append(r.Latencies, time.Duration(ms)*time.Millisecond)
	}
	if r.RPS() != 2 || r.ErrorCount() != 1 {
		t.Fatalf("RPS %v, errors %d", r.RPS(), r.ErrorCount())
	}
	for p, want := range map[float64]int{0.2: 10, 0.5: 30, 0.99: 50, 1: 50} {
		if got := r.Percentile(p); got != time.Duration(want)*time.Millisecond {
			t.Errorf("p%v = %v, want %d ms", p, got, want)
		}
	}
	var out bytes.Buffer
	r.Print(&out, "phase")
	for _, want := range []string{"phase:", "4 ok", "2 req/s", "p50  30.0 ms", "cpu 1000 µs/req", "errors 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Print lacks %q: %s", want, out.String())
		}
	}
	if (&Result{}).RPS() != 0 || (&Result{}).Percentile(0.5) != 0 {
		t.Error("empty result")
	}
	var sum Result
	sum.Add(2, []time.Duration{time.Millisecond, 2 * time.Millisecond}, map[string]int{"x": 1})
	sum.Add(1, []time.Duration{3 * time.Millisecond}, map[string]int{"x": 2, "y": 1})
	if sum.Accepted != 3 || len(sum.Latencies) != 3 || sum.Errors["x"] != 3 || sum.ErrorCount() != 4 {
		t.Errorf("Add: %+v", sum)
	}
}

func TestLoopbackAndHelpers(t *testing.T) {
	addr, stop, err := ServeLoopback(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("address %s is not loopback", addr)
	}
	resp, err := NewClient(4, 5*time.Second).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("body %q", b)
	}
	if CPUTime() <= 0 || LoadAvg() == "" {
		t.Error("CPU time or load average missing")
	}
	stopProfile, err := StartProfile(filepath.Join(t.TempDir(), "cpu.prof"))
	if err != nil {
		t.Fatal(err)
	}
	stopProfile()
	if _, err := StartProfile(filepath.Join(t.TempDir(), "missing", "cpu.prof")); err == nil {
		t.Error("profile into a missing folder succeeded")
	}
}

// fakeService answers "up" and records that its writer ran and stopped.
type fakeService struct{ running, stopped chan struct{} }

func (f *fakeService) Run(ctx context.Context) error {
	close(f.running)
	<-ctx.Done()
	close(f.stopped)
	return nil
}

func (f *fakeService) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /up", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "up") })
}

func TestServeService(t *testing.T) {
	f := &fakeService{running: make(chan struct{}), stopped: make(chan struct{})}
	addr, stop, err := ServeService(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	<-f.running
	resp, err := NewClient(1, 5*time.Second).Get("http://" + addr + "/up")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "up" {
		t.Fatalf("body %q", b)
	}
	stop()
	select {
	case <-f.stopped:
	default:
		t.Fatal("stop returned before the writer stopped")
	}
	if _, err := NewClient(1, time.Second).Get("http://" + addr + "/up"); err == nil {
		t.Fatal("the server still answers after stop")
	}
}
