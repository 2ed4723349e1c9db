package export

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/store"
)

// Reading a million keys is the worker's hot loop, so each row comes back
// as two columns: the key and one integer packing its other fields,
//
//	bits 32..62 rolling start, 24..31 rolling period, 20..23 transmission
//	risk, 16..19 report type, 0..15 days since onset + 32768 (0 = unknown)
//
// computed by the database (the same SQL on both engines). Rows whose
// fields do not fit are left out by the WHERE clause — the key server never
// stores such rows — so packing cannot garble a key.
const (
	packedFields = `CAST(rolling_start AS BIGINT) * 4294967296 + CAST(rolling_period AS BIGINT) * 16777216 + %s * 1048576 +
		%s * 65536 + COALESCE(%s + 32768, 0)`
	fieldsFit = `rolling_start BETWEEN 0 AND 2147483647 AND rolling_period BETWEEN 1 AND 255
		AND %[1]s BETWEEN 0 AND 15 AND %[2]s BETWEEN 0 AND 15 AND (%[3]s IS NULL OR %[3]s BETWEEN -32767 AND 32767)`
)

func packedQuery(table, tr, rt, dsos, where string) string {
	return `SELECT exposure_key, ` + fmt.Sprintf(packedFields, tr, rt, dsos) + ` FROM ` + table +
		` WHERE ` + where + ` AND ` + fmt.Sprintf(fieldsFit, tr, rt, dsos)
}

var (
	// Keys first published in a batch.
	selectKeys = packedQuery("exposures", "transmission_risk", "report_type", "days_since_onset",
		`created_at >= ? AND created_at < ?`)
	// Keys revised in a batch, with their revised fields: report type and
	// onset replaced, transmission risk replaced when given. A negative
	// test is stored (and exported) as REVOKED.
	selectRevised = packedQuery("exposures", "COALESCE(revised_transmission_risk, transmission_risk)",
		"revised_report_type", "revised_days_since_onset",
		`revised_at >= ? AND revised_at < ? AND revised_report_type IS NOT NULL`)
	// A batch's persisted padding.
	selectPadding = packedQuery("export_padding", "transmission_risk", "report_type", "days_since_onset",
		`batch_start = ?`)
)

// unpack fills k's fields (all but Data) from a packed integer.
func unpack(k *exportfile.Key, v int64) {
	k.RollingStart = int32(v >> 32)
	k.RollingPeriod = int32(v >> 24 & 0xff)
	k.TransmissionRisk = int32(v >> 20 & 0xf)
	k.ReportType = exportfile.ReportType(v >> 16 & 0xf)
	if d := v & 0xffff; d != 0 {
		k.DaysSinceOnset, k.HasDaysSinceOnset = int32(d-32768), true
	} else {
		k.DaysSinceOnset, k.HasDaysSinceOnset = 0, false
	}
}

// keyReader collects rows into keys; rows whose key is not 16 bytes are
// skipped and counted (they cannot be exported).
type keyReader struct {
	keys    []exportfile.Key
	skipped int
}

func (r *keyReader) add(key []byte, packed int64) {
	if len(key) != exportfile.KeyLen {
		r.skipped++
		return
	}
	r.keys = append(r.keys, exportfile.Key{})
	k := &r.keys[len(r.keys)-1]
	copy(k.Data[:], key)
	unpack(k, packed)
}

// readKeys appends the keys a packed query returns to dst. It talks to the
// driver directly (pgx's binary protocol on PostgreSQL, the SQLite driver's
// row values on SQLite), bypassing database/sql's per-column conversion.
func readKeys(ctx context.Context, db *store.DB, dst []exportfile.Key, query string, args ...any) ([]exportfile.Key, int, error) {
	r := keyReader{keys: dst}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return dst, 0, err
	}
	defer conn.Close()
	query = store.Rebind(db.Dialect(), query)
	err = conn.Raw(func(dc any) error {
		switch c := dc.(type) {
		case *stdlib.Conn:
			return readPgx(ctx, c, &r, query, args)
		case driver.QueryerContext:
			return readDriver(ctx, c, &r, query, args)
		default:
			return readSQL(ctx, conn, &r, query, args)
		}
	})
	return r.keys, r.skipped, err
}

// readPgx reads raw column bytes: no value is decoded into an interface.
func readPgx(ctx context.Context, c *stdlib.Conn, r *keyReader, query string, args []any) error {
	rows, err := c.Conn().Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	binaryInt := false
	if fd := rows.FieldDescriptions(); len(fd) == 2 {
		binaryInt = fd[1].Format == 1 && fd[1].DataTypeOID == 20 // int8
	}
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) != 2 {
			return fmt.Errorf("read keys: %d columns", len(raw))
		}
		var v int64
		if binaryInt && len(raw[1]) == 8 {
			v = int64(binary.BigEndian.Uint64(raw[1]))
		} else {
			n, err := strconv.ParseInt(string(raw[1]), 10, 64)
			if err != nil {
				return fmt.Errorf("read keys: packed fields: %w", err)
			}
			v = n
		}
		r.add(raw[0], v)
	}
	return rows.Err()
}

// readDriver steps the driver's rows into one reused value slice.
func readDriver(ctx context.Context, c driver.QueryerContext, r *keyReader, query string, args []any) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		// database/sql would convert arguments; calling the driver
		// directly, do the same.
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return fmt.Errorf("read keys: argument %d: %w", i+1, err)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	rows, err := c.QueryContext(ctx, query, named)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, 2)
	for {
		if err := rows.Next(vals); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		key, _ := vals[0].([]byte)
		v, ok := vals[1].(int64)
		if !ok {
			return fmt.Errorf("read keys: packed fields are %T", vals[1])
		}
		r.add(key, v)
	}
}

// readSQL is the portable fallback through database/sql.
func readSQL(ctx context.Context, conn *sql.Conn, r *keyReader, query string, args []any) error {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var key sql.RawBytes
	var v int64
	for rows.Next() {
		if err := rows.Scan(&key, &v); err != nil {
			return err
		}
		r.add(key, v)
	}
	return rows.Err()
}

// batchKeys is everything a batch exports: its keys (real and persisted
// padding) and its revised keys.
type batchKeys struct {
	keys, revised []exportfile.Key
	real, padding int
}

func (w *Worker) readBatch(ctx context.Context, start, end int64) (*batchKeys, error) {
	var b batchKeys
	var skipped, n int
	var err error
	if w.db.Dialect() == store.SQLite {
		b.keys, skipped, err = readKeysSQLite(ctx, w.db, start, end)
	} else {
		b.keys, skipped, err = readKeys(ctx, w.db, nil, selectKeys, start, end)
	}
	if err != nil {
		return nil, fmt.Errorf("export: read keys: %w", err)
	}
	b.real = len(b.keys)
	b.revised, n, err = readKeys(ctx, w.db, nil, selectRevised, start, end)
	if err != nil {
		return nil, fmt.Errorf("export: read revised keys: %w", err)
	}
	if skipped += n; skipped > 0 {
		w.log.Warn("export: skipped stored keys of wrong length", "count", skipped)
	}
	return &b, nil
}

// parallelReadMin is the batch size from which SQLite reads a batch in
// rowid ranges on several connections (a variable so tests can lower it).
var parallelReadMin = 50_000

// selectKeysByRowid reads one rowid range of a batch straight from the
// table b-tree: NOT INDEXED keeps SQLite from walking the created_at index
// and seeking the table once per row, while the rowid range still bounds
// the scan.
var selectKeysByRowid = packedQuery("exposures NOT INDEXED", "transmission_risk", "report_type", "days_since_onset",
	`rowid >= ? AND rowid <= ? AND created_at >= ? AND created_at < ?`)

// readKeysSQLite reads a batch's keys on SQLite. The key server inserts
// in arrival order, so a batch's rows are mostly one dense run of rowids:
// when they are (at most half the rowids in their span belong to other
// batches), the span is cut into one range per CPU and the ranges are read
// on separate connections at once. Sparse or small batches take the index.
func readKeysSQLite(ctx context.Context, db *store.DB, start, end int64) ([]exportfile.Key, int, error) {
	var count, lo, hi int64
	if err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(rowid), 0), COALESCE(MAX(rowid), -1)
		FROM exposures WHERE created_at >= ? AND created_at < ?`, start, end).Scan(&count, &lo, &hi); err != nil {
		return nil, 0, err
	}
	parts := int64(min(runtime.GOMAXPROCS(0), 4))
	if count < int64(parallelReadMin) || hi-lo+1 > 2*count || parts < 2 {
		return readKeys(ctx, db, nil, selectKeys, start, end)
	}
	type result struct {
		keys    []exportfile.Key
		skipped int
		err     error
	}
	results := make([]result, parts)
	step := (hi - lo + parts) / parts
	var wg sync.WaitGroup
	for i := range parts {
		from, to := lo+i*step, min(lo+(i+1)*step-1, hi)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.keys, r.skipped, r.err = readKeys(ctx, db, make([]exportfile.Key, 0, count/parts+1024),
				selectKeysByRowid, from, to, start, end)
		}()
	}
	wg.Wait()
	keys := make([]exportfile.Key, 0, count)
	skipped := 0
	for _, r := range results {
		if r.err != nil {
			return nil, 0, r.err
		}
		keys = append(keys, r.keys...)
		skipped += r.skipped
	}
	return keys, skipped, nil
}
