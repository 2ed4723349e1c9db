package keyserver

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/bluezone-vn/bluezone/store"
)

// The writer's SQL: reading the stored rows of keys, inserting and revising
// them. On SQLite rows are found by rowid through the writer's keySet (the
// table has no index on exposure_key), on PostgreSQL by key.

// readStored loads the stored rows for every key of the jobs.
func (w *writer) readStored(ctx context.Context, tx *store.Tx, jobs []*writeJob) (map[[KeyLength]byte]*storedKey, error) {
	var args []any
	var want map[int64][KeyLength]byte // SQLite: the key each rowid should hold
	id, col := "0", "exposure_key"     // PostgreSQL: by key, no rowid
	if w.keys != nil {
		id, col, want = "rowid", "rowid", map[int64][KeyLength]byte{}
	}
	for _, j := range jobs {
		for i := range j.incoming {
			k := j.incoming[i].key
			if w.keys == nil {
				args = append(args, k[:])
			} else if r, ok := w.keys.lookup(k); ok {
				args = append(args, r.rowid)
				want[r.rowid] = k
			}
		}
	}
	stored := make(map[[KeyLength]byte]*storedKey, len(args))
	const chunk = 500
	for lo := 0; lo < len(args); lo += chunk {
		part := args[lo:min(lo+chunk, len(args))]
		q := `SELECT ` + id + `, exposure_key, rolling_start, rolling_period, report_type, revised_report_type
			FROM exposures WHERE ` + col + ` IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		if err := scanStored(ctx, tx, q, part, stored); err != nil {
			return nil, err
		}
	}
	for rowid, k := range want {
		// The export worker deleted the row: the key is no longer
		// stored. (A row holding another key under that rowid is not
		// expected, as the writer numbers rows itself; it is treated
		// the same.)
		if sk, ok := stored[k]; !ok || sk.rowid != rowid {
			w.keys.forget(k, rowid)
		}
	}
	return stored, nil
}

// scanStored runs q and adds the rows it returns to stored.
func scanStored(ctx context.Context, tx *store.Tx, q string, args []any, stored map[[KeyLength]byte]*storedKey) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read stored keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k []byte
		var sk storedKey
		var revised sql.NullInt64
		if err := rows.Scan(&sk.rowid, &k, &sk.rollingStart, &sk.rollingPeriod, &sk.reportType, &revised); err != nil {
			return fmt.Errorf("read stored keys: %w", err)
		}
		if revised.Valid {
			sk.revised, sk.revisedType = true, int(revised.Int64)
		}
		if len(k) == KeyLength {
			stored[[KeyLength]byte(k)] = &sk
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read stored keys: %w", err)
	}
	return nil
}

// insert inserts rows. If any key is stored already it returns errConflict;
// the caller rolls back.
func (w *writer) insert(ctx context.Context, tx *store.Tx, rows []exposure) error {
	if len(rows) == 0 {
		return nil
	}
	if w.keys == nil {
		return insertPostgres(ctx, tx, rows, true)
	}
	return insertSQLite(ctx, tx, w.keys, w.stmts, rows)
}

// insertSQLite inserts rows, numbering them itself (keySet.stage), with
// statements of insertChunks rows prepared once in stmts; their rowids are
// staged in keys. If a key is in keys, or twice in rows, it inserts nothing
// and returns errConflict.
func insertSQLite(ctx context.Context, tx *store.Tx, keys *keySet, stmts *store.StmtCache, rows []exposure) error {
	seen := make(map[[KeyLength]byte]struct{}, len(rows))
	for i := range rows {
		k := rows[i].key
		if _, ok := keys.lookup(k); ok {
			return errConflict
		}
		if _, ok := seen[k]; ok {
			return errConflict
		}
		seen[k] = struct{}{}
	}
	// The driver watches a cancellable context with a new goroutine for
	// every statement it runs; a transaction that has begun is finished
	// anyway, so its rows are written without one.
	rowCtx := context.WithoutCancel(ctx)
	args := make([]any, 0, insertChunks[0]*9)
	for len(rows) > 0 {
		n := store.NextChunk(len(rows), insertChunks[:])
		args = args[:0]
		for i := range rows[:n] {
			e := &rows[i]
			args = append(args, keys.stage(e.key, e.createdAt))
			args = append(args, rowArgs(e)...)
		}
		if _, err := stmts.Exec(rowCtx, tx, insertSQLiteRows+store.Placeholders(n, 9), args...); err != nil {
			return fmt.Errorf("insert exposures: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

const insertSQLiteRows = `INSERT INTO exposures (rowid, exposure_key, rolling_start, rolling_period,
	transmission_risk, report_type, days_since_onset, health_authority, created_at) VALUES `

// insertChunks are the row counts of the SQLite writer's insert statements,
// largest first, the last 1. One statement of 14 rows costs about half as
// much per row as 14 single-row ones (BenchmarkWriterInsert); a typical
// batch of a few requests of 14 keys takes 2–4 statements.
var insertChunks = [...]int{128, 32, 14, 4, 1}

// revise stores e's new report type on its stored row sk, if the row was
// not revised meanwhile (else ErrorKeyAlreadyRevised).
func revise(ctx context.Context, tx *store.Tx, e *exposure, sk *storedKey) error {
	where, args := `exposure_key = ?`, []any{e.key[:]}
	if tx.Dialect() == store.SQLite {
		where, args = `rowid = ? AND exposure_key = ?`, []any{sk.rowid, e.key[:]}
	}
	out, err := tx.Exec(ctx, `UPDATE exposures SET revised_report_type = ?, revised_days_since_onset = ?,
		revised_transmission_risk = ?, revised_at = ?, health_authority = ?
		WHERE `+where+` AND revised_at IS NULL`,
		append([]any{exportReportType(e.reportType), dsosArg(e), e.transmissionRisk, e.createdAt, e.healthAuthority}, args...)...)
	if err != nil {
		return fmt.Errorf("revise exposure: %w", err)
	}
	if n, err := out.RowsAffected(); err == nil && n != 1 {
		return &errRevision{code: ErrorKeyAlreadyRevised, msg: "key was already revised"}
	}
	return nil
}

// insertPostgres inserts rows (sorted) in one statement, each column sent
// as one array parameter (no per-row placeholders to parse and bind). With
// skipStored, keys stored already are skipped and make it return
// errConflict; without, they fail the statement with a unique violation.
func insertPostgres(ctx context.Context, q store.Querier, rows []exposure, skipStored bool) error {
	if len(rows) == 0 {
		return nil
	}
	sortByKey(rows)
	n := len(rows)
	keys := make([][]byte, n)
	starts, periods, risks, types := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	dsos := make([]*int32, n)
	authorities, created := make([]string, n), make([]int64, n)
	for i := range rows {
		e := &rows[i]
		keys[i] = e.key[:]
		starts[i], periods[i], risks[i] = e.rollingStart, e.rollingPeriod, int32(e.transmissionRisk)
		types[i] = int32(exportReportType(e.reportType))
		dsos[i] = e.daysSinceOnset
		authorities[i], created[i] = e.healthAuthority, e.createdAt
	}
	query := `INSERT INTO exposures (exposure_key, rolling_start, rolling_period, transmission_risk,
		report_type, days_since_onset, health_authority, created_at)
		SELECT * FROM unnest(?::bytea[], ?::integer[], ?::integer[], ?::integer[], ?::integer[], ?::integer[],
			?::text[], ?::bigint[])`
	if skipStored {
		query += ` ON CONFLICT (exposure_key) DO NOTHING`
	}
	res, err := q.Exec(ctx, query, keys, starts, periods, risks, types, dsos, authorities, created)
	if err != nil {
		return fmt.Errorf("insert exposures: %w", err)
	}
	if got, err := res.RowsAffected(); err != nil || got != int64(n) {
		return errConflict
	}
	return nil
}

// sortByKey sorts rows by key, so that concurrent PostgreSQL writers lock
// keys in one order.
func sortByKey(rows []exposure) {
	if !sort.SliceIsSorted(rows, func(i, j int) bool { return bytes.Compare(rows[i].key[:], rows[j].key[:]) < 0 }) {
		sort.Slice(rows, func(i, j int) bool { return bytes.Compare(rows[i].key[:], rows[j].key[:]) < 0 })
	}
}

// rowArgs are e's values for insertSQLiteRows, after its rowid.
func rowArgs(e *exposure) []any {
	return []any{e.key[:], int64(e.rollingStart), int64(e.rollingPeriod), int64(e.transmissionRisk),
		int64(exportReportType(e.reportType)), dsosArg(e), e.healthAuthority, e.createdAt}
}

// dsosArg is e's days since onset as a query argument: NULL when unknown.
func dsosArg(e *exposure) any {
	if e.daysSinceOnset == nil {
		return nil
	}
	return int64(*e.daysSinceOnset)
}
