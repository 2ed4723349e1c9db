package keyserver

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// keySet is the SQLite writer's index of the stored diagnosis keys: the
// rowid of each key's row in exposures.
//
// On SQLite the exposures table has no index on exposure_key (migration
// 005). Keys are random, so in a b-tree of them every new key lands on a
// page of its own: a commit of 300 keys wrote and fsynced 300 index pages,
// 1.2 MB for 5 KB of keys, and the writer spent most of its time waiting
// for the disk (docs/benchmarks.md). The writer is the only one to insert
// keys (Run holds the database's "keyserver-writer" lock for as long as it
// runs, so no second writer, in this process or another, can start), so a
// map kept beside it says exactly which keys are stored. It is loaded from
// the table when the writer starts, and keys are added only once their
// commit returned (stage, then settle), so it never holds a key that was
// not committed.
//
// The export worker deletes old rows, which leaves entries whose row is
// gone; readers look the rows up by rowid and forget the keys they do not
// find (they also compare the row's key with the one they asked for).
// Entries are dropped once their key is too old to be published again
// (prune), which bounds the map to the keys of MaxIntervalAge plus a day.
// A million keys take 116 MB and are loaded in about 2 s
// (BenchmarkLoadKeySet1M).
type keySet struct {
	rows    map[[KeyLength]byte]keyRow
	order   []stagedKey   // keys in the order added, for prune
	head    int           // order[:head] are pruned
	staged  []stagedKey   // inserted by the transaction under way
	minKeep time.Duration // how long a key is kept after its created_at
	// next is the rowid the next inserted row gets: the writer numbers
	// rows itself, so a multi-row insert needs no read-back.
	next, committedNext int64
}

// keyRow is where a key is stored.
type keyRow struct {
	rowid     int64
	createdAt int64 // unix seconds, as stored
}

// stagedKey is a key and its row.
type stagedKey struct {
	key [KeyLength]byte
	row keyRow
}

// keySetMargin is kept beyond the age after which a key can no longer be
// published, against clock steps and rounding.
const keySetMargin = 24 * time.Hour

// newKeySet returns an empty keySet for cfg (see loadKeySet).
func newKeySet(cfg *Config) *keySet {
	return &keySet{
		rows:    map[[KeyLength]byte]keyRow{},
		minKeep: cfg.MaxIntervalAge + cfg.TruncateWindow + keySetMargin,
		next:    1, committedNext: 1,
	}
}

// loadKeySet reads every stored key. A key can be published (and so needs
// to be found) only while its validity ended less than cfg.MaxIntervalAge
// ago, and it ended less than cfg.TruncateWindow after its created_at
// (transformKey), so keys are kept that long after their created_at, plus
// keySetMargin.
func loadKeySet(ctx context.Context, q store.Querier, cfg *Config) (*keySet, error) {
	s := newKeySet(cfg)
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM exposures`).Scan(&n); err != nil {
		return nil, fmt.Errorf("load stored keys: %w", err)
	}
	s.rows = make(map[[KeyLength]byte]keyRow, n)
	s.order = make([]stagedKey, 0, n)
	rows, err := q.Query(ctx, `SELECT rowid, exposure_key, created_at FROM exposures ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("load stored keys: %w", err)
	}
	defer rows.Close()
	var raw sql.RawBytes // copied into the key array, so not kept
	for rows.Next() {
		var r keyRow
		if err := rows.Scan(&r.rowid, &raw, &r.createdAt); err != nil {
			return nil, fmt.Errorf("load stored keys: %w", err)
		}
		if len(raw) != KeyLength {
			return nil, fmt.Errorf("load stored keys: row %d has a %d-byte key", r.rowid, len(raw))
		}
		s.put([KeyLength]byte(raw), r)
		s.next = r.rowid + 1
	}
	s.committedNext = s.next
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load stored keys: %w", err)
	}
	return s, nil
}

// lookup returns where key is stored, if it may be.
func (s *keySet) lookup(key [KeyLength]byte) (keyRow, bool) {
	r, ok := s.rows[key]
	return r, ok
}

// forget drops key if it is stored under rowid: its row was deleted.
func (s *keySet) forget(key [KeyLength]byte, rowid int64) {
	if r, ok := s.rows[key]; ok && r.rowid == rowid {
		delete(s.rows, key)
	}
}

// stage notes a key the transaction under way inserts and returns the
// rowid its row is to get.
func (s *keySet) stage(key [KeyLength]byte, createdAt int64) int64 {
	id := s.next
	s.next++
	s.staged = append(s.staged, stagedKey{key: key, row: keyRow{rowid: id, createdAt: createdAt}})
	return id
}

// settle adds the staged keys if their transaction committed and forgets
// them either way.
func (s *keySet) settle(committed bool) {
	if committed {
		for _, k := range s.staged {
			s.put(k.key, k.row)
		}
		s.committedNext = s.next
	}
	s.next = s.committedNext
	s.staged = s.staged[:0]
}

func (s *keySet) put(key [KeyLength]byte, r keyRow) {
	s.rows[key] = r
	s.order = append(s.order, stagedKey{key: key, row: r})
}

// prune drops the keys whose created_at is more than minKeep before now,
// walking them in the order they were added and stopping at the first
// younger one (keys are added in about created_at order; a younger key
// ahead only delays the ones behind it). It returns how many it dropped.
func (s *keySet) prune(now time.Time) int {
	cutoff := now.Add(-s.minKeep).Unix()
	n := 0
	for ; s.head < len(s.order); s.head++ {
		e := s.order[s.head]
		if e.row.createdAt >= cutoff {
			break
		}
		// A key published again after its row was deleted has a later
		// entry, which this older one must not drop.
		if s.rows[e.key] == e.row {
			delete(s.rows, e.key)
			n++
		}
	}
	if s.head > 1024 && s.head > len(s.order)/2 {
		s.order = append(s.order[:0:0], s.order[s.head:]...)
		s.head = 0
	}
	return n
}

// len is the number of keys held.
func (s *keySet) len() int { return len(s.rows) }
