package store_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// A lock is held by one holder at a time, in this process or another, and
// a killed holder leaves it free.
func TestExclusiveLock(t *testing.T) {
	if path := os.Getenv("BLUEZONE_LOCK_HOLDER"); path != "" {
		holdLockForever(path)
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	l, err := db.ExclusiveLock("writer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExclusiveLock("writer"); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second lock in the same process: %v, want ErrLocked", err)
	}
	other, err := db.ExclusiveLock("other")
	if err != nil {
		t.Fatalf("a lock of another name: %v", err)
	}
	other.Unlock()
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatalf("second unlock: %v", err)
	}

	// Another process takes it; this one cannot until that one is killed.
	child := exec.Command(os.Args[0], "-test.run", "^TestExclusiveLock$")
	child.Env = append(os.Environ(), "BLUEZONE_LOCK_HOLDER="+path)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("holder said %q, %v", line, err)
	}
	if _, err := db.ExclusiveLock("writer"); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("lock held by another process: %v, want ErrLocked", err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	l, err = db.ExclusiveLock("writer")
	if err != nil {
		t.Fatalf("lock after its holder was killed: %v", err)
	}
	l.Unlock()
}

// holdLockForever is the child process of TestExclusiveLock.
func holdLockForever(path string) {
	db, err := store.Open(context.Background(), path)
	if err != nil {
		os.Stdout.WriteString("open: " + err.Error() + "\n")
		os.Exit(1)
	}
	if _, err := db.ExclusiveLock("writer"); err != nil {
		os.Stdout.WriteString("lock: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("locked\n")
	select {}
}

// On PostgreSQL the lock takes nothing: any number of holders.
func TestExclusiveLockPostgres(t *testing.T) {
	db := storetest.Postgres(t)
	a, err := db.ExclusiveLock("writer")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.ExclusiveLock("writer")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := b.Unlock(); err != nil {
		t.Fatal(err)
	}
}
