package gaen

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	"slices"
	"time"
)

// Sighting is one RPI a device heard. Only RPI and Interval take part in matching; the other fields are
// carried through to the Match so callers can attach their scan data.
type Sighting struct {
	RPI      RPI
	AEM      AEM       // decrypted into Match.Metadata when the RPI matches
	Interval uint32    // ENIntervalNumber the RPI was heard in; if 0, IntervalNumber(Time) is used
	Time     time.Time // optional: when it was heard
	RSSI     int       // optional: received signal strength, dBm
	Ref      int64     // optional: the caller's own identifier (a row id, say)
}

// DiagnosisKey is a published TEK with its validity, plus fields the matcher passes through untouched.
type DiagnosisKey struct {
	TEK           TEK
	RollingStart  uint32 // first interval the key was valid in
	RollingPeriod uint32 // number of intervals, 1..144; 0 means 144 (the export format's default); >144 is read as 144
	// Passed through untouched:
	ReportType       int32
	DaysSinceOnset   int32
	TransmissionRisk int32
	Ref              int64
}

// Match is one sighting that one diagnosis key explains.
type Match struct {
	SightingIndex int      // index into the slice given to NewMatcher
	Sighting      Sighting // a copy of that sighting
	Interval      uint32   // the interval the key's RPI was derived for (within ±12 of Sighting.Interval)
	Metadata      Metadata // the sighting's AEM decrypted with the key's AEMK (TX power within [-50, +20] dBm)
}

// KeyMatch lists the matches of one diagnosis key, in sighting order.
type KeyMatch struct {
	KeyIndex int // index into the slice given to MatchAll
	Key      DiagnosisKey
	Matches  []Match
}

// entry is one sighting in the matcher's index, sorted by tag then RPI so that equal tags form a run.
type entry struct {
	rpi      RPI
	interval uint32
	index    int32
}

// Matcher finds which diagnosis keys explain a fixed set of sightings. NewMatcher builds an index once; Match
// and MatchAll may then be called from many goroutines at once.
//
// The index is laid out for the common case, a key that matches nothing: a bitmap filter (about 16 bits per
// distinct RPI, small enough to stay in cache) answers almost every lookup; only filter hits probe an
// open-addressing table of 8-byte RPI prefixes, and only prefix hits compare full RPIs. RPIs are derived only
// for intervals within ±12 of an interval in which something was heard, and keys wholly outside the sightings'
// time range cost nothing.
type Matcher struct {
	sightings []Sighting
	entries   []entry

	seed       uint64   // odd multiplier, random per matcher, so crafted RPIs cannot target slots
	tableShift uint     // 64 - log2(len(tags))
	tags       []uint64 // tag of an entry run, 0 = empty slot
	starts     []int32  // first entry of the run, parallel to tags

	filterShift uint
	filter      []uint64

	lo, hi uint32   // intervals for which an RPI may match: [min heard − 12, max heard + 12]
	need   []uint64 // bit j−lo set when some sighting was heard within ±12 of interval j
}

// tagOf returns the table key of an RPI: its first 8 bytes with the low bit set, so no tag is 0 (the empty
// slot marker). Distinct RPIs may share a tag; lookups compare the full RPI.
func tagOf(r *RPI) uint64 { return binary.LittleEndian.Uint64(r[:8]) | 1 }

// NewMatcher indexes sightings. The slice is copied; later changes to it do not affect the matcher.
func NewMatcher(sightings []Sighting) *Matcher {
	m := &Matcher{sightings: slices.Clone(sightings)}
	var seed [8]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails
	m.seed = binary.LittleEndian.Uint64(seed[:]) | 1

	m.entries = make([]entry, len(sightings))
	lo, hi := ^uint32(0), uint32(0)
	for i := range m.sightings {
		s := &m.sightings[i]
		if s.Interval == 0 && !s.Time.IsZero() {
			s.Interval = IntervalNumber(s.Time)
		}
		m.entries[i] = entry{rpi: s.RPI, interval: s.Interval, index: int32(i)}
		lo, hi = min(lo, s.Interval), max(hi, s.Interval)
	}
	if len(sightings) == 0 {
		return m
	}
	slices.SortFunc(m.entries, func(a, b entry) int {
		if ta, tb := tagOf(&a.rpi), tagOf(&b.rpi); ta != tb {
			if ta < tb {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(a.rpi[:], b.rpi[:]); c != 0 {
			return c
		}
		return int(a.index - b.index)
	})

	runs := 0
	for i := range m.entries {
		if i == 0 || tagOf(&m.entries[i].rpi) != tagOf(&m.entries[i-1].rpi) {
			runs++
		}
	}
	tableBits := max(4, bits.Len(uint(2*runs-1))) // load factor ≤ 1/2
	m.tableShift = uint(64 - tableBits)
	m.tags = make([]uint64, 1<<tableBits)
	m.starts = make([]int32, 1<<tableBits)
	filterBits := max(6, bits.Len(uint(16*runs-1)))
	m.filterShift = uint(64 - filterBits)
	m.filter = make([]uint64, 1<<(filterBits-6))
	mask := uint64(len(m.tags) - 1)
	for i := range m.entries {
		t := tagOf(&m.entries[i].rpi)
		if i > 0 && t == tagOf(&m.entries[i-1].rpi) {
			continue
		}
		h := t * m.seed
		f := h >> m.filterShift
		m.filter[f>>6] |= 1 << (f & 63)
		for slot := bits.RotateLeft64(h, 32) >> m.tableShift; ; slot = (slot + 1) & mask {
			if m.tags[slot] == 0 {
				m.tags[slot], m.starts[slot] = t, int32(i)
				break
			}
		}
	}

	// Intervals whose RPIs could match: within the drift tolerance of an interval with sightings.
	m.lo = lo - min(lo, MaxClockDriftIntervals)
	m.hi = hi + min(^uint32(0)-hi, MaxClockDriftIntervals)
	m.need = make([]uint64, (uint64(m.hi-m.lo)+64)/64)
	for i := range m.sightings {
		a := m.sightings[i].Interval
		for j := a - min(a, MaxClockDriftIntervals); ; j++ {
			m.need[(j-m.lo)>>6] |= 1 << ((j - m.lo) & 63)
			if j == a+min(^uint32(0)-a, MaxClockDriftIntervals) {
				break
			}
		}
	}
	return m
}

// Len returns the number of sightings indexed.
func (m *Matcher) Len() int { return len(m.sightings) }

// lookup returns the range of entries whose RPI equals r, or (0, 0).
func (m *Matcher) lookup(r *RPI) (int, int) {
	t := tagOf(r)
	h := t * m.seed
	f := h >> m.filterShift
	if m.filter[f>>6]&(1<<(f&63)) == 0 {
		return 0, 0
	}
	mask := uint64(len(m.tags) - 1)
	for slot := bits.RotateLeft64(h, 32) >> m.tableShift; ; slot = (slot + 1) & mask {
		switch m.tags[slot] {
		case 0:
			return 0, 0
		case t:
			i := int(m.starts[slot])
			for i < len(m.entries) && tagOf(&m.entries[i].rpi) == t && m.entries[i].rpi != *r {
				i++
			}
			j := i
			for j < len(m.entries) && m.entries[j].rpi == *r {
				j++
			}
			return i, j
		}
	}
}
