package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/bluezone-vn/bluezone/app"
	"github.com/bluezone-vn/bluezone/device/sim"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

var _ sim.Server = (*app.Local)(nil)

// startDemoServer starts the whole server in-process on a loopback port,
// with the simulated clock and its data in dataDir, as the scenario's health
// authority.
func startDemoServer(ctx context.Context, dataDir string, clk *clock.Fake) (*app.Local, error) {
	cfg := app.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.Clock = clk
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return app.StartLocal(ctx, cfg)
}
