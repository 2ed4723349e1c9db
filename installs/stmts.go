package installs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bluezone-vn/bluezone/store"
)

// stmtCache keeps the writer's SQLite statements prepared across batches.
// A multi-row statement costs as much to prepare as to run, so the writer
// uses a few fixed row counts (chunkSizes) whose statements it prepares
// once and reuses, instead of one statement text per batch size. It is
// used by the writer goroutine only (or RecordCheckins, never at the same
// time). PostgreSQL does not use it: its statements take arrays, and pgx
// caches their plans itself.
type stmtCache struct {
	db *store.DB
	m  map[string]*sql.Stmt
}

func newStmtCache(db *store.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// stmt returns query prepared for tx.
func (c *stmtCache) stmt(ctx context.Context, tx *store.Tx, query string) (*sql.Stmt, error) {
	st := c.m[query]
	if st == nil {
		var err error
		if st, err = c.db.PrepareReusable(ctx, query); err != nil {
			return nil, fmt.Errorf("installs: prepare: %w", err)
		}
		c.m[query] = st
	}
	return tx.Stmt(ctx, st), nil
}

func (c *stmtCache) exec(ctx context.Context, tx *store.Tx, query string, args ...any) error {
	st, err := c.stmt(ctx, tx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

func (c *stmtCache) query(ctx context.Context, tx *store.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// close closes every cached statement.
func (c *stmtCache) close() {
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// chunkSizes are the row counts of the writer's multi-row SQLite
// statements, largest first; the last must be 1. 128 rows of 6 columns
// stay far below SQLite's limit of 32766 parameters.
var chunkSizes = [...]int{128, 32, 8, 1}

// nextChunk returns how many of n remaining rows the next statement takes.
func nextChunk(n int) int {
	for _, s := range chunkSizes {
		if n >= s {
			return s
		}
	}
	return n
}
