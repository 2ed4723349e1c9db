package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/app"
)

func openAppForTest(t *testing.T, data string) *app.App {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = data
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestAdmin(t *testing.T) {
	data := t.TempDir()
	code, out, stderr := runCLI(t, "", "admin", "realms", "--data", data)
	if code != 0 || strings.Count(out, "\n") != 65 || !strings.Contains(out, "67  ") || !strings.Contains(out, "Đắk Nông") {
		t.Fatalf("realms: %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "admin-api-key") {
		t.Errorf("first start did not say where the admin key is: %q", stderr)
	}

	code, out, stderr = runCLI(t, "", "admin", "create-api-key", "--data", data, "--realm", "67", "--kind", "device", "--name", "test app")
	key := strings.TrimSpace(out)
	if code != 0 || len(key) < 20 || !strings.Contains(stderr, "shown once") {
		t.Fatalf("create-api-key: %d %q %q", code, out, stderr)
	}
	code, out, _ = runCLI(t, "", "admin", "list-api-keys", "--data", data, "--realm", "67")
	if code != 0 || !strings.Contains(out, "test app") || strings.Contains(out, key) {
		t.Fatalf("list-api-keys: %d\n%s", code, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if code, out, _ = runCLI(t, "", "admin", "disable-api-key", "--data", data, "--id", id); code != 0 {
		t.Fatalf("disable: %d %s", code, out)
	}
	if _, out, _ = runCLI(t, "", "admin", "list-api-keys", "--data", data, "--realm", "67"); strings.Contains(strings.Split(out, "\n")[1], " - ") {
		t.Fatalf("key still enabled:\n%s", out)
	}

	if code, out, _ = runCLI(t, "", "admin", "rotate-signing-key", "--data", data, "--realm", "67"); code != 0 || !strings.Contains(out, "v2") {
		t.Fatalf("rotate-signing-key: %d %s", code, out)
	}
	for _, want := range []string{"v1", "v2"} {
		// v1 is created by the first rotation when no key exists yet; v2 by the second.
		if code, out, _ = runCLI(t, "", "admin", "rotate-export-key", "--data", data); code != 0 || !strings.Contains(out, "version "+want) {
			t.Fatalf("rotate-export-key: %d %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(data, "keys", "export-452-"+want+".pem")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAdminCreateUser(t *testing.T) {
	data := t.TempDir()
	code, out, stderr := runCLI(t, "correct horse battery\n", "admin", "create-user", "--data", data,
		"--username", "admin.dn", "--role", "province_admin", "--realm", "67")
	if code != 0 || !strings.Contains(out, "created portal user admin.dn") {
		t.Fatalf("create-user: %d %q %q", code, out, stderr)
	}
	for name, c := range map[string]struct {
		stdin string
		args  []string
	}{
		"taken name":     {"correct horse battery\n", []string{"--username", "admin.dn", "--role", "viewer", "--realm", "67"}},
		"short password": {"short\n", []string{"--username", "v1", "--role", "viewer", "--realm", "67"}},
		"bad role":       {"correct horse battery\n", []string{"--username", "v2", "--role", "king", "--realm", "67"}},
		"bad realm":      {"correct horse battery\n", []string{"--username", "v3", "--role", "viewer", "--realm", "99"}},
		"no password":    {"", []string{"--username", "v4", "--role", "viewer", "--realm", "67"}},
	} {
		args := append([]string{"admin", "create-user", "--data", data}, c.args...)
		if code, _, stderr := runCLI(t, c.stdin, args...); code != 1 || stderr == "" {
			t.Errorf("%s: exit %d, stderr %q; want 1 with a message", name, code, stderr)
		}
	}
	// Only the first user exists.
	a := openAppForTest(t, data)
	var n int
	if err := a.DB().QueryRow(context.Background(), `SELECT COUNT(*) FROM portal_users`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("portal users: %d, %v", n, err)
	}
}

func TestAdminBadInput(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"admin"},
		{"admin", "frobnicate"},
		{"admin", "create-api-key", "--data", data, "--realm", "67", "--name", "x"},                   // no kind
		{"admin", "create-api-key", "--data", data, "--realm", "67", "--kind", "root", "--name", "x"}, // bad kind
		{"admin", "list-api-keys", "--data", data},
		{"admin", "disable-api-key", "--data", data},
		{"admin", "rotate-signing-key", "--data", data},
		{"admin", "realms", "--data", data, "extra"},
		{"admin", "create-user", "--data", data, "--username", "x"},
	} {
		if code, _, stderr := runCLI(t, "", args...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
	for _, args := range [][]string{
		{"admin", "create-api-key", "--data", data, "--realm", "99", "--kind", "admin", "--name", "x"}, // unknown realm
		{"admin", "rotate-signing-key", "--data", data, "--realm", "99"},
		{"admin", "disable-api-key", "--data", data, "--id", "nope"},
		{"admin", "realms", "--data", data, "--db", "mysql://x"},
	} {
		if code, _, stderr := runCLI(t, "", args...); code != 1 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 1 with a message", args, code, stderr)
		}
	}
}
