package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
)

// assertNotStored dumps every column of every table of the app's database
// as text and fails if any of the given values appears in it.
func assertNotStored(t *testing.T, a *App, values map[string]string) {
	t.Helper()
	ctx := context.Background()
	tables := listTables(t, a.DB())
	if len(tables) < 5 {
		t.Fatalf("found only %d tables: %v", len(tables), tables)
	}
	for _, table := range tables {
		rows, err := a.DB().Query(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for i, v := range vals {
				text := fmt.Sprintf("%v", v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				for what, secret := range values {
					if secret != "" && strings.Contains(text, secret) {
						t.Errorf("table %s column %s holds the %s in clear", table, cols[i], what)
					}
				}
			}
		}
		rows.Close()
	}
}

func listTables(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}
