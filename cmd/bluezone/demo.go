package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bluezone-vn/bluezone/device/sim"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

func init() {
	commands["demo"] = command{summary: "simulate a town whose phones warn F1s and F2s, against an in-process server", run: runDemo}
}

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "demo", "demo [--people N] [--days D] [--seed S]")
	people := fs.Int("people", 200, "number of virtual people")
	days := fs.Int("days", 7, "simulated days (2–13)")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same story)")
	appOff := fs.Float64("app-off", 0.1, "share of people with the app switched off")
	keep := fs.String("keep", "", "keep the server data and phone folders in this folder (default: a temporary folder, removed)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("demo: unexpected argument %q", fs.Arg(0))
	}
	if *people < 4 || *people > 100000 {
		return usageErrorf("demo: --people %d: need 4..100000", *people)
	}
	if *days < 2 || *days > 13 {
		return usageErrorf("demo: --days %d: need 2..13", *days)
	}
	root := *keep
	if root == "" {
		// Thousands of small phone folders: prefer memory-backed storage.
		base := ""
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			base = "/dev/shm"
		}
		tmp, err := os.MkdirTemp(base, "bluezone-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	}
	wall := time.Now()
	start := time.Date(2020, 7, 20, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	clk := clock.NewFake(start)
	srv, err := startDemoServer(ctx, filepath.Join(root, "server"), clk)
	if err != nil {
		return fmt.Errorf("demo server: %w", err)
	}
	defer srv.Stop()

	var bar *progressbar.ProgressBar
	if !*quiet {
		bar = progressbar.NewOptions64(int64(*days)*24*60,
			progressbar.OptionSetWriter(env.stderr),
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionSetItsString("sim-min"),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
	}
	timeline := &barWriter{w: env.stdout, bar: bar}
	fmt.Fprintf(env.stdout, "Bluezone demo: %d people, %d days, seed %d; server %s (in-process, loopback HTTP).\n\n", *people, *days, *seed, srv.URL())
	s, err := sim.New(ctx, sim.Config{
		People: *people, Days: *days, Seed: *seed, Start: start, AppOff: *appOff,
		Dir: filepath.Join(root, "phones"), Clock: clk, Timeline: timeline, Witnesses: true,
		Progress: func(done, total int64) {
			if bar != nil {
				timeline.mu.Lock()
				_ = bar.Set64(done)
				timeline.mu.Unlock()
			}
		},
	}, srv)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Run(ctx)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\nSummary (ground truth: ≥ 15 min within 2 m on a day the source was infectious):\n%s", res.Summary())
	fmt.Fprintf(env.stdout, "\n%d scans, %d advertisements heard, %d syncs; %s simulated in %s.\n",
		res.Scans, res.Heard, res.Syncs, res.SimDuration.Round(time.Hour), time.Since(wall).Round(100*time.Millisecond))
	return nil
}

// barWriter prints timeline lines above the progress bar.
type barWriter struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *barWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		_ = b.bar.Clear()
	}
	return b.w.Write(p)
}
