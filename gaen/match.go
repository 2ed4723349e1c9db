package gaen

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync/atomic"
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
// The index follows what a device hears, interval by interval, and is laid out for the common case of a key
// that matches nothing. The RPI a key has for interval j can only match a sighting heard in [j−12, j+12], so
// for each UTC day (144 intervals) there is a small blocked Bloom filter (two bits in one word, 16–32 bits per RPI) of the RPIs
// heard that day or within 12 intervals of it: a day's worth of sightings fits in the first-level cache, and
// almost every derived RPI is dismissed there. Only filter hits probe an open-addressing table of 8-byte RPI
// prefixes, and only prefix hits compare full RPIs and intervals. RPIs are derived only for intervals within
// ±12 of an interval in which something was heard, and keys wholly outside the sightings' time range cost
// nothing.
type Matcher struct {
	id        uint64 // unique per matcher, for scanners' caches
	sightings []Sighting
	entries   []entry

	// Table of runs of entries with equal tags.
	tableSeed  uint64 // odd multiplier, random per matcher, so crafted RPIs cannot target slots
	tableShift uint   // 64 - log2(len(tags))
	tags       []uint64
	starts     []int32 // first entry of the run, parallel to tags

	// Per-day filters, only for days with something to find, sorted by day number.
	filterSeed uint64
	days       []day
	filterBits []uint64

	lo, hi uint32 // intervals for which an RPI may match: [min heard − 12, max heard + 12]
}

// day is what the matcher knows about the RPIs of one UTC day (intervals 144·number … 144·number+143): which
// of its intervals have a sighting within ±12 (need), and a blocked Bloom filter of the RPIs heard within ±12
// of the day (words filterBits[off : off+2^(64-shift)], two bits per RPI in one word, so a probe is one load).
type day struct {
	number uint32
	off    uint32
	shift  uint8
	need   [3]uint64 // bit k: interval 144·number+k can match something
}

// tagOf returns the table key of an RPI: its first 8 bytes with the low bit set, so no tag is 0 (the empty
// slot marker). Distinct RPIs may share a tag; lookups compare the full RPI.
func tagOf(r *RPI) uint64 { return binary.LittleEndian.Uint64(r[:8]) | 1 }

var matcherIDs atomic.Uint64

// NewMatcher indexes sightings. The slice is copied; later changes to it do not affect the matcher.
func NewMatcher(sightings []Sighting) *Matcher {
	m := &Matcher{id: matcherIDs.Add(1), sightings: slices.Clone(sightings)}
	var seed [16]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails
	m.tableSeed = binary.LittleEndian.Uint64(seed[:8]) | 1
	m.filterSeed = binary.LittleEndian.Uint64(seed[8:]) | 1

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
	mask := uint64(len(m.tags) - 1)
	for i := range m.entries {
		t := tagOf(&m.entries[i].rpi)
		if i > 0 && t == tagOf(&m.entries[i-1].rpi) {
			continue
		}
		for slot := (t * m.tableSeed) >> m.tableShift; ; slot = (slot + 1) & mask {
			if m.tags[slot] == 0 {
				m.tags[slot], m.starts[slot] = t, int32(i)
				break
			}
		}
	}
	m.lo = lo - min(lo, MaxClockDriftIntervals)
	m.hi = hi + min(^uint32(0)-hi, MaxClockDriftIntervals)
	m.buildFilters()

	return m
}

// Len returns the number of sightings indexed.
func (m *Matcher) Len() int { return len(m.sightings) }

// buildFilters fills m.days from m.entries.
func (m *Matcher) buildFilters() {
	// A sighting heard at i can match RPIs of intervals i−12 … i+12, which lie in one or two days.
	span := func(i uint32) (uint32, uint32) {
		return i - min(i, MaxClockDriftIntervals), i + min(^uint32(0)-i, MaxClockDriftIntervals)
	}
	counts := map[uint32]int{}
	for i := range m.entries {
		a, b := span(m.entries[i].interval)
		counts[a/TEKRollingPeriod]++
		if b/TEKRollingPeriod != a/TEKRollingPeriod {
			counts[b/TEKRollingPeriod]++
		}
	}
	m.days = make([]day, 0, len(counts))
	for d := range counts {
		m.days = append(m.days, day{number: d})
	}
	slices.SortFunc(m.days, func(a, b day) int { return cmp.Compare(a.number, b.number) })
	total := 0
	for k := range m.days {
		words := max(3, bits.Len(uint(16*counts[m.days[k].number]-1))-6) // log2 of the word count: ≥ 16 bits per RPI
		m.days[k].off, m.days[k].shift = uint32(total), uint8(64-words)
		total += 1 << words
	}
	m.filterBits = make([]uint64, total)
	for i := range m.entries {
		h := tagOf(&m.entries[i].rpi) * m.filterSeed
		a, b := span(m.entries[i].interval)
		var d *day
		for j := uint64(a); j <= uint64(b); j++ {
			if d == nil || d.number != uint32(j/TEKRollingPeriod) {
				d = m.day(uint32(j / TEKRollingPeriod))
				m.filterBits[d.off+uint32(h>>d.shift)] |= filterMask(h)
			}
			k := j % TEKRollingPeriod
			d.need[k>>6] |= 1 << (k & 63)
		}
	}
}

// day returns the record of day number n, or nil if nothing can match in that day.
func (m *Matcher) day(n uint32) *day {
	lo, hi := 0, len(m.days)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if m.days[mid].number < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(m.days) && m.days[lo].number == n {
		return &m.days[lo]
	}
	return nil
}

// mayMatch reports whether an RPI can match anything heard around day d: false is certain, true is usually
// right.
func (m *Matcher) mayMatch(r *RPI, d *day) bool {
	h := tagOf(r) * m.filterSeed
	want := filterMask(h)
	return m.filterBits[d.off+uint32(h>>d.shift)]&want == want
}

// filterMask returns the two bits an RPI with hash h sets in its filter word. The word is chosen by the top
// bits of h; the bit positions come from lower bits, which multiplication mixes less but which are random
// here anyway (RPIs are AES outputs, and the seed is secret).
func filterMask(h uint64) uint64 {
	return 1<<(h>>20&63) | 1<<(h>>26&63)
}

// lookup returns the range of entries whose RPI equals r, or (0, 0).
func (m *Matcher) lookup(r *RPI) (int, int) {
	t := tagOf(r)
	mask := uint64(len(m.tags) - 1)
	for slot := (t * m.tableSeed) >> m.tableShift; ; slot = (slot + 1) & mask {
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
