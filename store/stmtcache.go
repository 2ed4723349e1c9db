package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// StmtCache keeps a batching writer's statements prepared across its
// transactions. A multi-row statement costs about as much to prepare as to
// run, so a writer uses a few fixed row counts (see NextChunk) whose
// statements it prepares once here and reuses, instead of one statement
// text per batch size. database/sql keeps one prepared copy per connection,
// so a writer that commits on one Conn parses each statement once. It is
// for one goroutine at a time. PostgreSQL writers need none: their
// statements take arrays, and pgx caches plans itself.
type StmtCache struct {
	db *DB
	m  map[string]*sql.Stmt
}

// NewStmtCache returns an empty cache of statements prepared on db.
func NewStmtCache(db *DB) *StmtCache {
	return &StmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// Stmt returns query prepared, bound to tx.
func (c *StmtCache) Stmt(ctx context.Context, tx *Tx, query string) (*sql.Stmt, error) {
	st := c.m[query]
	if st == nil {
		var err error
		if st, err = c.db.PrepareReusable(ctx, query); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		c.m[query] = st
	}
	return tx.Stmt(ctx, st), nil
}

// Exec runs query, prepared, in tx.
func (c *StmtCache) Exec(ctx context.Context, tx *Tx, query string, args ...any) (sql.Result, error) {
	st, err := c.Stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// Query runs query, prepared, in tx.
func (c *StmtCache) Query(ctx context.Context, tx *Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := c.Stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Len is the number of statements held.
func (c *StmtCache) Len() int { return len(c.m) }

// Close closes every statement held.
func (c *StmtCache) Close() {
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// NextChunk returns how many of n remaining rows a writer's next multi-row
// statement takes: the largest of sizes (largest first, the last 1) that is
// at most n.
func NextChunk(n int, sizes []int) int {
	for _, s := range sizes {
		if n >= s {
			return s
		}
	}
	return n
}

// Placeholders returns n groups of cols '?' placeholders for a multi-row
// VALUES list: "(?,?),(?,?)" for n=2, cols=2; "?,?" for cols=1.
func Placeholders(n, cols int) string {
	group := "?"
	if cols > 1 {
		group = "(" + strings.Repeat("?,", cols-1) + "?)"
	}
	var b strings.Builder
	b.Grow(n * (len(group) + 1))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}
