// Package store opens the system's SQL database — embedded SQLite by default,
// PostgreSQL for scale — and runs each component's embedded, forward-only
// migrations.
//
// It is plumbing, not a data model: each service package owns the interface
// it needs and the SQL that implements it, written once against DB, which
// rewrites '?' placeholders for PostgreSQL. Queries are kept to the portable
// subset of SQL both engines accept; where a migration cannot be portable, a
// component ships one file per dialect (see Migrate).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Querier is what DB and Tx have in common: placeholder-rewriting query
// methods. Code that may run inside or outside a transaction takes a Querier.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// DB is an open database. Its query methods accept '?' placeholders on both
// engines. It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	path    string // SQLite: the database file
}

var _ Querier = (*DB)(nil)

// Open opens the database named by dsn and checks that it answers. A dsn
// starting with postgres:// or postgresql:// selects PostgreSQL (pgx); any
// other value is a SQLite file path, optionally prefixed with "sqlite:" (its
// folder is created). SQLite runs in WAL mode with synchronous=FULL, so a
// commit that returned is on disk.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("open database: empty DSN")
	}
	var db *DB
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sdb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sdb.SetMaxOpenConns(32)
		sdb.SetMaxIdleConns(32)
		db = &DB{sql: sdb, dialect: Postgres}
	} else {
		path := strings.TrimPrefix(dsn, "sqlite:")
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("open sqlite: create folder: %w", err)
			}
		}
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer at a time is SQLite's rule; a few connections let readers
		// run beside it under WAL.
		sdb.SetMaxOpenConns(8)
		sdb.SetMaxIdleConns(8)
		db = &DB{sql: sdb, dialect: SQLite, path: path}
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("open %s database: %w", db.dialect, err)
	}
	return db, nil
}

// Dialect reports which engine this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the underlying *sql.DB for what this package does not wrap
// (pool settings, driver-specific bulk paths). Its methods do not rewrite
// placeholders.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// Exec runs a statement.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, Rebind(db.dialect, query), args...)
}

// Query runs a query that returns rows.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.sql.QueryContext(ctx, Rebind(db.dialect, query), args...)
}

// QueryRow runs a query that returns at most one row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.sql.QueryRowContext(ctx, Rebind(db.dialect, query), args...)
}

// Tx is a transaction with the same placeholder rewriting as DB.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

var _ Querier = (*Tx)(nil)

// Dialect reports which engine this is.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, Rebind(tx.dialect, query), args...)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, Rebind(tx.dialect, query), args...)
}

// QueryRow runs a single-row query in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, Rebind(tx.dialect, query), args...)
}

// Prepare prepares a statement in the transaction, for bulk inserts.
func (tx *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return tx.tx.PrepareContext(ctx, Rebind(tx.dialect, query))
}

// PrepareReusable prepares a statement on the database, to be run inside
// transactions through Tx.Stmt. database/sql keeps one prepared copy per
// connection, so a statement run in many transactions is parsed once per
// connection rather than once per run. The caller closes it.
func (db *DB) PrepareReusable(ctx context.Context, query string) (*sql.Stmt, error) {
	return db.sql.PrepareContext(ctx, Rebind(db.dialect, query))
}

// Stmt returns stmt (from DB.PrepareReusable) bound to this transaction;
// it is closed with the transaction, stmt itself stays open.
func (tx *Tx) Stmt(ctx context.Context, stmt *sql.Stmt) *sql.Stmt {
	return tx.tx.StmtContext(ctx, stmt)
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. On SQLite the transaction takes the write lock at once
// (BEGIN IMMEDIATE), so two writers never dead-lock on an upgrade.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	return inTx(ctx, db.sql, db.dialect, fn)
}

// Conn is one connection taken out of the pool for the caller's use alone,
// until Close. A SQLite connection keeps its page cache only while no other
// connection commits: a writer that always commits on the same Conn finds
// the pages it wrote still cached, where hopping between pooled
// connections would make each one drop its cache and read them again.
type Conn struct {
	conn    *sql.Conn
	dialect Dialect
}

// Conn takes a connection out of the pool; the caller closes it.
func (db *DB) Conn(ctx context.Context) (*Conn, error) {
	c, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("take a connection: %w", err)
	}
	return &Conn{conn: c, dialect: db.dialect}, nil
}

// writerCacheKiB is the SQLite page cache of a WriterConn. A writer's
// indexes may be keyed by random values (the check-in writer's token
// hashes), so a batch touches pages all over them, and SQLite's default
// 2 MiB cache would send most of its writes to the file system once a
// table holds some 100,000 rows.
const writerCacheKiB = 64 << 10

// WriterConn is Conn for a batching writer that commits on it for as long
// as it runs: on SQLite it also gives the connection a 64 MiB page cache.
func (db *DB) WriterConn(ctx context.Context) (*Conn, error) {
	c, err := db.Conn(ctx)
	if err != nil || db.dialect != SQLite {
		return c, err
	}
	if _, err := c.Exec(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB)); err != nil {
		c.Close()
		return nil, fmt.Errorf("set the writer's cache size: %w", err)
	}
	return c, nil
}

// TxRunner runs transactions: a *DB (on any pooled connection) or a *Conn.
type TxRunner interface {
	InTx(ctx context.Context, fn func(*Tx) error) error
}

var (
	_ TxRunner = (*DB)(nil)
	_ TxRunner = (*Conn)(nil)
)

// Dialect reports which engine this is.
func (c *Conn) Dialect() Dialect { return c.dialect }

// Exec runs a statement on the connection, outside any transaction.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(ctx, Rebind(c.dialect, query), args...)
}

// QueryRow runs a single-row query on the connection.
func (c *Conn) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(ctx, Rebind(c.dialect, query), args...)
}

// InTx is DB.InTx on this connection.
func (c *Conn) InTx(ctx context.Context, fn func(*Tx) error) error {
	return inTx(ctx, c.conn, c.dialect, fn)
}

// Close returns the connection to the pool.
func (c *Conn) Close() error { return c.conn.Close() }

// beginner is what both *sql.DB and *sql.Conn offer.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func inTx(ctx context.Context, b beginner, d Dialect, fn func(*Tx) error) error {
	stx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Tx{tx: stx, dialect: d}); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Rebind rewrites '?' placeholders to $1, $2, … for PostgreSQL and leaves
// queries for SQLite as they are. A '?' inside a single-quoted literal is
// left alone.
func Rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n, inQuote := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE 23505") // PostgreSQL unique_violation
}
