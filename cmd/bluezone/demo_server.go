package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/app"
	"github.com/bluezone-vn/bluezone/device/sim"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/verification"
)

// demoServer is the whole server in-process (package app) on a loopback
// port, with the simulated clock, as the scenario's health authority.
type demoServer struct {
	a         *app.App
	url       string
	deviceKey string
}

var _ sim.Server = (*demoServer)(nil)

// startDemoServer starts app on 127.0.0.1:0 with its data in dataDir. stop
// shuts it down.
func startDemoServer(ctx context.Context, dataDir string, clk *clock.Fake) (sim.Server, func() error, error) {
	cfg := app.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.Clock = clk
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	key, err := os.ReadFile(filepath.Join(dataDir, "secrets", "device-api-key"))
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- a.Run(rctx, ln) }()
	stop := func() error {
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(15 * time.Second):
			err = errors.New("server did not stop in 15 s")
		}
		return errors.Join(err, a.Close())
	}
	return &demoServer{a: a, url: "http://" + ln.Addr().String(), deviceKey: strings.TrimSpace(string(key))}, stop, nil
}

func (s *demoServer) URL() string          { return s.url }
func (s *demoServer) DeviceAPIKey() string { return s.deviceKey }

// IssueCode is what a health worker does in the portal.
func (s *demoServer) IssueCode(ctx context.Context, testType string, symptomDate time.Time) (string, error) {
	req := verification.IssueRequest{TestType: testType, TZOffsetMinutes: 420}
	if !symptomDate.IsZero() {
		req.SymptomDate = symptomDate.Format("2006-01-02")
	}
	res, err := s.a.Verification.IssueCode(ctx, verification.NationalRealm, req)
	if err != nil {
		return "", err
	}
	return res.Code, nil
}

// Export runs the export worker once.
func (s *demoServer) Export(ctx context.Context) error {
	_, err := s.a.Export.RunOnce(ctx)
	return err
}
