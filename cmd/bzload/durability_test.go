package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// The test binary doubles as the keyserver child process: with
// BZLOAD_CHILD_ARGS set it runs bzload with those arguments instead of the
// tests.
func TestMain(m *testing.M) {
	if a := os.Getenv("BZLOAD_CHILD_ARGS"); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := run(context.Background(), args, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	enc, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BZLOAD_CHILD_ARGS="+string(enc))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if strings.HasPrefix(s.Text(), "listening ") {
				line <- strings.TrimPrefix(s.Text(), "listening ")
			}
		}
		close(line)
	}()
	select {
	case addr, ok := <-line:
		if !ok {
			t.Fatal("child exited before listening")
		}
		return &child{cmd: cmd, addr: addr}
	case <-time.After(60 * time.Second):
		t.Fatal("child did not start")
	}
	return nil
}

// TestDurabilityAfterSIGKILL publishes from 16 clients to a keyserver child
// process, kills it with SIGKILL in the middle, restarts it on the same
// database and checks that every key of every acknowledged publish is there.
func TestDurabilityAfterSIGKILL(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		durability(t, filepath.Join(t.TempDir(), "keys.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		admin, err := store.Open(ctx, storetest.PostgresURL())
		if err != nil {
			t.Fatalf("PostgreSQL needed: %v", err)
		}
		defer admin.Close()
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "t_dur_" + hex.EncodeToString(b)
		if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		defer admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		u, _ := url.Parse(storetest.PostgresURL())
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		durability(t, u.String())
	})
}

func durability(t *testing.T, dsn string) {
	ctx := context.Background()
	auth, err := newAuthority()
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(auth.priv)
	keyFile := filepath.Join(t.TempDir(), "ha.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	args := []string{"serve-keyserver", "--db", dsn, "--ha-key", keyFile, "--secret", hex.EncodeToString(secret)}
	c := startChild(t, args...)

	const clients = 16
	var mu sync.Mutex
	var acked [][][]byte
	sent := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				body, keys, err := auth.body(time.Now(), 14, "cGFk")
				if err != nil {
					t.Error(err)
					return
				}
				res, err := client.Post("http://"+c.addr+"/v1/publish", "application/json", strings.NewReader(string(body)))
				mu.Lock()
				sent++
				mu.Unlock()
				if err != nil {
					continue // killed mid-request: not acknowledged
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == 200 && strings.Contains(string(raw), `"insertedExposures":14,`) {
					mu.Lock()
					acked = append(acked, keys)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d publishes acknowledged before the kill; the test needs more", len(acked))
	}

	// Restart on the same database: it must come up, and every acknowledged
	// key must be stored.
	c2 := startChild(t, args...)
	_ = c2.cmd.Process.Signal(syscall.SIGKILL)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// One read of every stored key (SQLite has no index on exposure_key).
	stored := map[string]int{}
	rows, err := db.Query(ctx, `SELECT exposure_key FROM exposures`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		stored[string(k)]++
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	missing, total := 0, len(stored)
	for _, keys := range acked {
		for _, k := range keys {
			if stored[string(k)] != 1 {
				missing++
			}
		}
	}
	t.Logf("%d requests sent, %d acknowledged, %d rows stored", sent, len(acked), total)
	if missing > 0 {
		t.Fatalf("%d acknowledged keys missing after SIGKILL", missing)
	}
	if total < len(acked)*14 {
		t.Fatalf("stored %d rows < acknowledged %d", total, len(acked)*14)
	}
}
