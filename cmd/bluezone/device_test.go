package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
)

func TestDeviceCommands(t *testing.T) {
	ctx := context.Background()
	srv, err := startDemoServer(ctx, t.TempDir(), clock.NewFake(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dir := t.TempDir()
	alice, bob, carol := filepath.Join(dir, "alice"), filepath.Join(dir, "bob"), filepath.Join(dir, "carol")

	if code, _, errb := runCLI(t, "", "device", "init", "--dir", alice); code != 2 || !strings.Contains(errb, "--server is required") {
		t.Fatalf("init without --server: %d %q", code, errb)
	}
	for _, d := range []string{alice, bob} {
		code, out, errb := runCLI(t, "", "device", "init", "--dir", d, "--server", srv.URL(), "--api-key", srv.DeviceAPIKey(), "--province", "01")
		if code != 0 || !strings.Contains(out, "trusting 1 export signing key") {
			t.Fatalf("init: %d %q %q", code, out, errb)
		}
	}
	if code, _, errb := runCLI(t, "", "device", "init", "--dir", alice, "--server", srv.URL()); code != 1 || !strings.Contains(errb, "already holds a device") {
		t.Fatalf("second init: %d %q", code, errb)
	}
	// Pinning from a PEM file as served at /exports/keys.pem.
	resp, err := http.Get(srv.URL() + "/exports/keys.pem")
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pemFile := filepath.Join(dir, "keys.pem")
	os.WriteFile(pemFile, pem, 0o600)
	if code, out, errb := runCLI(t, "", "device", "init", "--dir", carol, "--server", srv.URL(), "--trust-key", pemFile); code != 0 || !strings.Contains(out, "trusting 1") {
		t.Fatalf("init --trust-key: %d %q %q", code, out, errb)
	}

	code, out, _ := runCLI(t, "", "device", "status", "--dir", alice)
	if code != 0 || !regexp.MustCompile(`Trusted export keys\s+1`).MatchString(out) || !regexp.MustCompile(`Broadcasting now\s+[0-9a-f]{32}`).MatchString(out) {
		t.Fatalf("status: %d %q", code, out)
	}

	// Reporting asks for consent; "no" sends nothing.
	issue := func() string {
		c, err := srv.IssueCode(ctx, "confirmed", time.Now().AddDate(0, 0, -1))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := issue()
	code, out, _ = runCLI(t, "n\n", "device", "report", "--dir", alice, "--code", c1)
	if code != 0 || !strings.Contains(out, "Share your keys?") || !strings.Contains(out, "Nothing was sent") {
		t.Fatalf("report declined: %d %q", code, out)
	}
	// The code was not used: it still works, with consent.
	code, out, errb := runCLI(t, "y\n", "device", "report", "--dir", alice, "--code", c1)
	if code != 0 || !strings.Contains(out, "Shared 1 key(s) (confirmed report)") {
		t.Fatalf("report: %d %q %q", code, out, errb)
	}
	// A used code is refused with the server's reason.
	code, _, errb = runCLI(t, "", "device", "report", "--dir", bob, "--code", c1, "--yes")
	if code != 1 || !strings.Contains(errb, "/api/verify") {
		t.Fatalf("reused code: %d %q", code, errb)
	}

	code, out, errb = runCLI(t, "", "device", "sync", "--dir", bob)
	if code != 0 || !strings.Contains(out, "matched") || !strings.Contains(out, "Daily check-in sent") {
		t.Fatalf("sync: %d %q %q", code, out, errb)
	}
	if code, out, _ = runCLI(t, "", "device", "warnings", "--dir", bob, "--details"); code != 0 || !strings.Contains(out, "No warnings.") {
		t.Fatalf("warnings: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, "", "device", "seen", "--dir", bob); code != 0 || !strings.Contains(out, "DEVICES (est.)") {
		t.Fatalf("seen: %d %q", code, out)
	}
	if code, _, errb = runCLI(t, "", "device", "fly", "--dir", bob); code != 2 || !strings.Contains(errb, "unknown device subcommand") {
		t.Fatalf("unknown subcommand: %d %q", code, errb)
	}
	if code, _, errb = runCLI(t, "", "device", "status", "--dir", filepath.Join(dir, "nobody")); code != 1 || !strings.Contains(errb, "run init first") {
		t.Fatalf("status of a missing device: %d %q", code, errb)
	}
}

func TestDemoSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	code, out, errb := runCLI(t, "", "demo", "--people", "40", "--days", "3", "--seed", "3", "--quiet")
	if code != 0 {
		t.Fatalf("demo: %d %s", code, errb)
	}
	for _, want := range []string{"tests positive", "The export worker signs", "Summary", "case ", "warned F1", "not warned"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runCLI(t, "", "demo", "--days", "30"); code != 2 {
		t.Errorf("--days 30 accepted")
	}
}
