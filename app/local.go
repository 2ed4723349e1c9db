package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/verification"
)

// Local is a whole server running in this process behind a 127.0.0.1
// listener, for the demo and for end-to-end tests: phones talk to it over
// real HTTP, and the health worker's and the export operator's actions are
// plain calls. Its method set is what device/sim.Server asks for.
type Local struct {
	// App is the running server, for inspecting what it stores.
	App       *App
	url       string
	deviceKey string
	cancel    context.CancelFunc
	done      chan error
}

// StartLocal builds the app from cfg (cfg.Addr is ignored), serves it on a
// fresh loopback port and runs its background loops until Stop.
func StartLocal(ctx context.Context, cfg Config) (*Local, error) {
	a, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(filepath.Join(cfg.DataDir, "secrets", "device-api-key"))
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("local server: device API key: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("local server: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &Local{App: a, url: "http://" + ln.Addr().String(), deviceKey: strings.TrimSpace(string(key)),
		cancel: cancel, done: make(chan error, 1)}
	go func() { l.done <- a.Run(rctx, ln) }()
	return l, nil
}

// URL is the server's base URL.
func (l *Local) URL() string { return l.url }

// DeviceAPIKey is the app's device API key made on first start.
func (l *Local) DeviceAPIKey() string { return l.deviceKey }

// IssueCode issues a national code of testType, as a health worker does in
// the portal, with the symptom-onset day when it is not zero.
func (l *Local) IssueCode(ctx context.Context, testType string, symptomDate time.Time) (string, error) {
	req := verification.IssueRequest{TestType: testType, TZOffsetMinutes: 420}
	if !symptomDate.IsZero() {
		req.SymptomDate = symptomDate.Format("2006-01-02")
	}
	res, err := l.App.Verification.IssueCode(ctx, verification.NationalRealm, req)
	if err != nil {
		return "", err
	}
	return res.Code, nil
}

// Export runs the export worker once.
func (l *Local) Export(ctx context.Context) error {
	_, err := l.App.Export.RunOnce(ctx)
	return err
}

// Stop shuts the server down (waiting at most 15 s) and closes the app.
func (l *Local) Stop() error {
	l.cancel()
	var err error
	select {
	case err = <-l.done:
	case <-time.After(15 * time.Second):
		err = errors.New("local server did not stop within 15 s")
	}
	return errors.Join(err, l.App.Close())
}
