package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
)

// Tables lists the tables of db's schema (its current schema on
// PostgreSQL), SQLite's internal tables left out.
func Tables(tb testing.TB, db *store.DB) []string {
	tb.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if db.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := db.Query(context.Background(), q)
	if err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatalf("list tables: %v", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	return out
}

// EachValue calls fn with every stored value of every row of the given
// tables (all tables when none are named), as raw bytes for byte columns
// and as text for the rest (NULL is nil). Privacy tests use it to prove
// what is not stored by looking at what is.
func EachValue(tb testing.TB, db *store.DB, fn func(table, column string, value []byte), tables ...string) {
	tb.Helper()
	if len(tables) == 0 {
		tables = Tables(tb, db)
	}
	for _, table := range tables {
		rows, err := db.Query(context.Background(), "SELECT * FROM "+table)
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("dump %s: %v", table, err)
			}
			for i, v := range vals {
				fn(table, cols[i], valueBytes(v))
			}
		}
		if err := rows.Err(); err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
	}
}

func valueBytes(v any) []byte {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return x
	case string:
		return []byte(x)
	default:
		return []byte(fmt.Sprint(x))
	}
}

// AssertNotStored fails tb for every stored value, in any table, that
// contains one of secrets (named by what they are, for the message). Empty
// secrets are ignored.
func AssertNotStored(tb testing.TB, db *store.DB, secrets map[string][]byte) {
	tb.Helper()
	EachValue(tb, db, func(table, column string, value []byte) {
		for what, s := range secrets {
			if len(s) > 0 && bytes.Contains(value, s) {
				tb.Errorf("table %s column %s holds the %s in clear", table, column, what)
			}
		}
	})
}
