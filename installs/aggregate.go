package installs

import (
	"context"
	"fmt"
	"sort"

	"github.com/bluezone-vn/bluezone/store"
)

// How the counters stay exact without scanning tokens.
//
// Each token row holds where the device last checked in and that day, L.
// A check-in on day T makes the device "active" on days T … T+N-1 (N =
// Config.ActiveDays). installs_daily keeps, per place and day, the number
// of devices active that day, so a report reads one row instead of counting
// tokens. A check-in changes only the days whose answer changes:
//
//   - new token: +1 active on T … T+N-1, +1 new install on T, +1 installs
//     on every row from T on;
//   - same place, L < T: the active window already covers L … L+N-1, so
//     only the days not yet covered, max(L+N, T) … T+N-1, get +1;
//   - moved (province or district differs): the device counts in the new
//     place from T on. The old place loses it on T … L+N-1 (the rest of
//     its old window) and loses one installed device from T on; the new
//     place gains the full window T … T+N-1 and one device from T on. The
//     new install of its first day stays where it happened.
//   - same place and day, or L > T (a late request from before midnight):
//     nothing changes, which makes check-ins idempotent per token and day.
//
// Every level is kept: district rows (district '' for check-ins without
// one), province rows (district '*') and national rows (province "VN",
// district '*'), each with the same rules applied to its own key. Rows exist for every day of every window, so the active
// count of a day without a row is 0 and its installs are those of the
// latest earlier row. N must therefore stay fixed once data exists.

// provinceLevel is the district value of province-wide rows.
const provinceLevel = "*"

type aggKey struct{ province, district string }

// nationalKey is the key of the national rows.
var nationalKey = aggKey{National, provinceLevel}

type keyDelta struct {
	newAt        map[Day]int64
	installsFrom map[Day]int64 // added to every row from that day on
	active       map[Day]int64
	min, max     Day
	init         bool
}

func (k *keyDelta) span(a, b Day) {
	if !k.init || a < k.min {
		k.min = a
	}
	if !k.init || b > k.max {
		k.max = b
	}
	k.init = true
}

type deltas struct {
	n    Day
	keys map[aggKey]*keyDelta
}

func newDeltas(n Day) *deltas { return &deltas{n: n, keys: map[aggKey]*keyDelta{}} }

func (d *deltas) key(k aggKey) *keyDelta {
	kd := d.keys[k]
	if kd == nil {
		kd = &keyDelta{newAt: map[Day]int64{}, installsFrom: map[Day]int64{}, active: map[Day]int64{}}
		d.keys[k] = kd
	}
	return kd
}

func (d *deltas) activeRange(k aggKey, from, to Day, v int64) {
	if from > to {
		return
	}
	kd := d.key(k)
	for day := from; day <= to; day++ {
		kd.active[day] += v
	}
	kd.span(from, to)
}

func (d *deltas) installs(k aggKey, from Day, v int64) {
	kd := d.key(k)
	kd.installsFrom[from] += v
	kd.span(from, from)
}

// transition records one check-in on day t at place to, by a token last
// seen on day last at place from (hadOld false for a new token).
func (d *deltas) transition(from aggKey, hadOld bool, last Day, to aggKey, t Day) {
	switch {
	case !hadOld:
		d.key(to).newAt[t]++
		d.installs(to, t, 1)
		d.activeRange(to, t, t+d.n-1, 1)
	case from == to:
		if last < t {
			d.activeRange(to, max(last+d.n, t), t+d.n-1, 1)
		}
	default:
		d.installs(from, t, -1)
		d.installs(to, t, 1)
		d.activeRange(from, t, last+d.n-1, -1)
		d.activeRange(to, t, t+d.n-1, 1)
	}
}

// dayRow is one installs_daily row.
type dayRow struct {
	Day         Day
	NewInstalls int64
	Installs    int64
	Active      int64
}

// placeRows is what the writer knows of one place's counter rows: every
// stored row from day from on, and the latest row before it (zero when
// there is none).
type placeRows struct {
	from Day
	prev dayRow
	rows []dayRow // sorted by day, all ≥ from
}

// trim forgets the rows before day x (≤ the first day a batch may change),
// keeping the latest of them as prev, so a place's entry stays a few
// windows long.
func (p *placeRows) trim(x Day) *placeRows {
	if x <= p.from {
		return p
	}
	i := 0
	for i < len(p.rows) && p.rows[i].Day < x {
		p.prev = p.rows[i]
		i++
	}
	p.rows = p.rows[i:]
	p.from = x
	return p
}

// counterCache is the writer's copy of the counter rows it last read or
// wrote, so that a batch reads nothing for the places it knows. It is valid
// because one writer alone changes installs_daily (see Run); it is used by
// the writer goroutine only, and a batch's changes enter it only after the
// batch committed.
type counterCache map[aggKey]*placeRows

// applyDeltas adds ds to installs_daily: for each place, it takes the rows
// from the first day changed on (and the latest row before, to carry the
// installed count into new rows) from the cache or, for places it does not
// hold, from the database; fills the days in between, adds the deltas and
// hands the changed rows to w (which the caller flushes). It returns the places' rows as they will be once
// the transaction commits. beforeRead, when not nil, runs before it reads
// the database (the pipelined writer waits there for the batch in flight).
func applyDeltas(ctx context.Context, q store.Querier, w *rowWriter, ds *deltas, cache counterCache,
	beforeRead func() error) (counterCache, error) {
	if len(ds.keys) == 0 {
		return nil, nil
	}
	known := make(counterCache, len(ds.keys))
	lo := Day(1 << 30)
	for k, kd := range ds.keys {
		if pr := cache[k]; pr != nil && pr.from <= kd.min {
			known[k] = pr
		} else {
			lo = min(lo, kd.min)
		}
	}
	if len(known) < len(ds.keys) {
		if beforeRead != nil {
			if err := beforeRead(); err != nil {
				return nil, err
			}
		}
		if err := loadPlaces(ctx, q, ds, lo, known); err != nil {
			return nil, err
		}
	}
	keys := make([]aggKey, 0, len(ds.keys))
	for k := range ds.keys {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // a stable order keeps PostgreSQL row locks dead-lock free
		if keys[i].province != keys[j].province {
			return keys[i].province < keys[j].province
		}
		return keys[i].district < keys[j].district
	})
	after := make(counterCache, len(keys))
	for _, k := range keys {
		kd := ds.keys[k]
		pr := known[k]
		// The latest row before kd.min carries the installed count.
		before := pr.prev
		var ex []dayRow
		for _, r := range pr.rows {
			if r.Day < kd.min {
				before = r
			} else {
				ex = append(ex, r)
			}
		}
		hi := kd.max
		if len(ex) > 0 {
			hi = max(hi, ex[len(ex)-1].Day)
		}
		window := make([]dayRow, hi-kd.min+1)
		existed := make([]bool, len(window))
		carry := before.Installs
		j := 0
		for i := range window {
			day := kd.min + Day(i)
			if j < len(ex) && ex[j].Day == day {
				window[i], existed[i] = ex[j], true
				j++
			} else {
				window[i] = dayRow{Day: day, Installs: carry}
			}
			carry = window[i].Installs
		}
		// Only rows that change are written. A missing row that no delta
		// touches stays missing: it would read the same as the latest
		// earlier row (same installs, no activity).
		// The place's rows after the batch: the known rows before kd.min,
		// then the window's stored rows.
		next := &placeRows{from: pr.from, prev: pr.prev, rows: make([]dayRow, 0, len(pr.rows)-len(ex)+len(window))}
		next.rows = append(next.rows, pr.rows[:len(pr.rows)-len(ex)]...)
		var add int64
		for i := range window {
			day := window[i].Day
			add += kd.installsFrom[day]
			n, a := kd.newAt[day], kd.active[day]
			touched := n != 0 || a != 0 || kd.installsFrom[day] != 0
			if !touched && !(existed[i] && add != 0) {
				if existed[i] {
					next.rows = append(next.rows, window[i])
				}
				continue
			}
			window[i].Installs += add
			window[i].NewInstalls += n
			window[i].Active += a
			next.rows = append(next.rows, window[i])
			if err := w.add(ctx, k, window[i]); err != nil {
				return nil, err
			}
		}
		after[k] = next.trim(min(kd.min, max(pr.from, kd.max-3*ds.n)))
	}
	return after, nil
}

// loadPlaces reads from the database the rows from day lo on of the places
// in ds that known lacks, and the latest row before lo of each.
func loadPlaces(ctx context.Context, tx store.Querier, ds *deltas, lo Day, known counterCache) error {
	missing := make(counterCache)
	var need []latestReq
	for k := range ds.keys {
		if known[k] == nil {
			missing[k] = &placeRows{from: lo}
			need = append(need, latestReq{k, lo - 1})
		}
	}
	rows, err := tx.Query(ctx, `SELECT province, district, day, new_installs, installs, active
		FROM installs_daily WHERE day >= ? ORDER BY day`, int64(lo))
	if err != nil {
		return fmt.Errorf("installs: read counters: %w", err)
	}
	for rows.Next() {
		var k aggKey
		var r dayRow
		if err := rows.Scan(&k.province, &k.district, &r.Day, &r.NewInstalls, &r.Installs, &r.Active); err != nil {
			rows.Close()
			return fmt.Errorf("installs: read counters: %w", err)
		}
		if pr := missing[k]; pr != nil {
			pr.rows = append(pr.rows, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("installs: read counters: %w", err)
	}
	prev, err := latestRows(ctx, tx, need)
	if err != nil {
		return err
	}
	for k, pr := range missing {
		pr.prev = prev[latestReq{k, lo - 1}]
		known[k] = pr
	}
	return nil
}

// rowWriter upserts installs_daily rows: in cached statements of
// chunkSizes rows on SQLite, in one statement of array parameters on
// PostgreSQL (with pg set, it only collects the arrays; writeBatchPG sends
// them with the tokens).
type rowWriter struct {
	pg    bool
	tx    *store.Tx
	sc    *store.StmtCache
	args  []any
	n     int
	provs []string
	dists []string
	days  []int64
	vals  [3][]int64
}

func newRowWriter(tx *store.Tx, sc *store.StmtCache) *rowWriter {
	return &rowWriter{pg: tx.Dialect() == store.Postgres, tx: tx, sc: sc}
}

func (w *rowWriter) add(ctx context.Context, k aggKey, r dayRow) error {
	if w.pg {
		w.provs = append(w.provs, k.province)
		w.dists = append(w.dists, k.district)
		w.days = append(w.days, int64(r.Day))
		w.vals[0] = append(w.vals[0], r.NewInstalls)
		w.vals[1] = append(w.vals[1], r.Installs)
		w.vals[2] = append(w.vals[2], r.Active)
		return nil
	}
	w.args = append(w.args, k.province, k.district, int64(r.Day), r.NewInstalls, r.Installs, r.Active)
	w.n++
	if w.n == chunkSizes[0] {
		return w.flush(ctx)
	}
	return nil
}

const upsertDaily = ` ON CONFLICT (province, district, day) DO UPDATE SET
	new_installs = excluded.new_installs, installs = excluded.installs, active = excluded.active`

func (w *rowWriter) flush(ctx context.Context) error {
	var err error
	switch {
	case w.pg && len(w.provs) > 0:
		_, err = w.tx.Exec(ctx, `INSERT INTO installs_daily (province, district, day, new_installs, installs, active)
			SELECT * FROM unnest(?::text[], ?::text[], ?::integer[], ?::bigint[], ?::bigint[], ?::bigint[])`+upsertDaily,
			w.provs, w.dists, w.days, w.vals[0], w.vals[1], w.vals[2])
		w.provs, w.dists, w.days = w.provs[:0], w.dists[:0], w.days[:0]
		for i := range w.vals {
			w.vals[i] = w.vals[i][:0]
		}
	case w.n > 0:
		args := w.args
		for w.n > 0 && err == nil {
			n := nextChunk(w.n)
			_, err = w.sc.Exec(ctx, w.tx, `INSERT INTO installs_daily (province, district, day, new_installs, installs, active) VALUES `+
				store.Placeholders(n, 6)+upsertDaily, args[:n*6]...)
			args, w.n = args[n*6:], w.n-n
		}
		w.args, w.n = w.args[:0], 0
	}
	if err != nil {
		return fmt.Errorf("installs: write counters: %w", err)
	}
	return nil
}

// latestReq asks for a place's latest row on or before a day.
type latestReq struct {
	key aggKey
	day Day
}

// latestRows returns, for each request, the place's latest installs_daily
// row on or before the day (zero when there is none), in one query per 300
// requests: an index seek per place whatever the table's size.
func latestRows(ctx context.Context, q store.Querier, reqs []latestReq) (map[latestReq]dayRow, error) {
	out := make(map[latestReq]dayRow, len(reqs))
	for i := 0; i < len(reqs); i += 300 {
		chunk := reqs[i:min(i+300, len(reqs))]
		args := make([]any, 0, len(chunk)*3)
		for _, r := range chunk {
			args = append(args, r.key.province, r.key.district, int64(r.day))
		}
		query := `SELECT v.column1, v.column2, v.column3, t.day, t.new_installs, t.installs, t.active
			FROM (VALUES ` + store.Placeholders(len(chunk), 3) + `) AS v
			JOIN installs_daily t ON t.province = v.column1 AND t.district = v.column2
			AND t.day = (SELECT max(x.day) FROM installs_daily x
				WHERE x.province = v.column1 AND x.district = v.column2 AND x.day <= v.column3)`
		if q.Dialect() == store.Postgres {
			// PostgreSQL plans the join above as a scan; LATERAL makes it one
			// index seek per place.
			query = `SELECT v.column1, v.column2, v.column3, t.day, t.new_installs, t.installs, t.active
			FROM (VALUES ` + typedPlaceholders(len(chunk)) + `) AS v
			CROSS JOIN LATERAL (SELECT x.day, x.new_installs, x.installs, x.active FROM installs_daily x
				WHERE x.province = v.column1 AND x.district = v.column2 AND x.day <= v.column3
				ORDER BY x.day DESC LIMIT 1) t`
		}
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("installs: read latest counters: %w", err)
		}
		for rows.Next() {
			var r latestReq
			var d dayRow
			var day int64
			if err := rows.Scan(&r.key.province, &r.key.district, &day, &d.Day, &d.NewInstalls, &d.Installs, &d.Active); err != nil {
				rows.Close()
				return nil, fmt.Errorf("installs: read latest counters: %w", err)
			}
			r.day = Day(day)
			out[r] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("installs: read latest counters: %w", err)
		}
	}
	return out, nil
}

// typedPlaceholders is store.Placeholders(n, 3) with PostgreSQL casts, which it
// needs to type the columns of a VALUES list of parameters.
func typedPlaceholders(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += "(?::text,?::text,?::integer)"
	}
	return s
}

// asOf is the counters of a place on a day: its row that day, or the
// latest earlier row with no activity that day.
func asOf(r dayRow, ok bool, day Day) dayRow {
	if !ok {
		return dayRow{Day: day}
	}
	if r.Day != day {
		return dayRow{Day: day, Installs: r.Installs}
	}
	return r
}
