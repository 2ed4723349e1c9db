package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestOpenScratch(t *testing.T) {
	ctx := context.Background()
	for _, spec := range []string{"sqlite", storetest.PostgresURL()} {
		db, cleanup, err := store.OpenScratch(ctx, spec, "scratchtest")
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if _, err := db.Exec(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
			t.Fatal(err)
		}
		cleanup()
		if spec == "sqlite" {
			continue
		}
		// The schema is gone.
		admin, err := store.Open(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := admin.QueryRow(ctx, `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE 'scratchtest_%'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d scratch schemas left, %v", n, err)
		}
		admin.Close()
	}
	kept := filepath.Join(t.TempDir(), "kept.db")
	db, cleanup, err := store.OpenScratch(ctx, "sqlite:"+kept, "x")
	if err != nil {
		t.Fatal(err)
	}
	cleanup()
	_ = db
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("sqlite:PATH was not kept: %v", err)
	}
	if _, _, err := store.OpenScratch(ctx, "mysql://x", "x"); err == nil || !strings.Contains(err.Error(), "want sqlite") {
		t.Errorf("bad spec: %v", err)
	}
}
