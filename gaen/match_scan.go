package gaen

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// scanner holds one goroutine's reusable state for matching keys, so matching allocates nothing per key.
type scanner struct {
	d    *deriver
	aes  ecb
	rpis [TEKRollingPeriod * KeyLength]byte // the key's RPIs for the intervals in js

	// The intervals to derive for the last key range seen, and their padded data. Consecutive keys usually
	// share a range (a whole UTC day; MatchAll groups keys by day), so this is mostly reused as is.
	matcher     uint64 // Matcher.id the cache was built for, 0 = none
	first, last uint32
	n           int
	js          [TEKRollingPeriod]uint32 // intervals whose RPIs are derived
	days        [TEKRollingPeriod]*day   // and the day each belongs to
	pads        [TEKRollingPeriod * KeyLength]byte
}

// prepare fills s.js, s.days and s.pads for the intervals in [first, last] that can match something, unless
// they are already there, and returns their number.
func (s *scanner) prepare(m *Matcher, first, last uint32) int {
	if s.matcher == m.id && s.first == first && s.last == last {
		return s.n
	}
	n := 0
	for dn := first / TEKRollingPeriod; dn <= last/TEKRollingPeriod; dn++ { // one or two days
		d := m.day(dn)
		if d == nil {
			continue
		}
		base := uint64(dn) * TEKRollingPeriod
		for j := max(uint64(first), base); j <= min(uint64(last), base+TEKRollingPeriod-1); j++ {
			if k := j - base; d.need[k>>6]&(1<<(k&63)) == 0 {
				continue
			}
			s.js[n], s.days[n] = uint32(j), d
			// "EN-RPI" ‖ 0×6 ‖ LE32(j), written as two little-endian words.
			p := s.pads[n*KeyLength : (n+1)*KeyLength]
			binary.LittleEndian.PutUint64(p[:8], rpiPrefixWord)
			binary.LittleEndian.PutUint64(p[8:], j<<32)
			n++
		}
	}
	s.matcher, s.first, s.last, s.n = m.id, first, last, n
	return n
}

// rpiPrefixWord is bytes 0–7 of the padded data ("EN-RPI", 0, 0) read as a little-endian word.
const rpiPrefixWord = uint64('E') | uint64('N')<<8 | uint64('-')<<16 | uint64('R')<<24 | uint64('P')<<32 | uint64('I')<<40

var scannerPool = sync.Pool{New: func() any { return &scanner{d: newDeriver()} }}

// Match returns the sightings key explains, in sighting order, or nil. A sighting matches when the key's RPI
// for some interval j of its rolling period equals the sighting's RPI and the sighting was heard within ±12
// intervals of j; the match is dropped when the AEM, decrypted with the key's AEMK, carries a TX power outside
// [MinTXPower, MaxTXPower]. Safe for concurrent use.
func (m *Matcher) Match(key DiagnosisKey) []Match {
	s := scannerPool.Get().(*scanner)
	defer scannerPool.Put(s)
	return m.match(s, &key)
}

// keyRange returns the intervals [first, last] of key that can match anything, and false if there are none.
func (m *Matcher) keyRange(key *DiagnosisKey) (uint32, uint32, bool) {
	if len(m.entries) == 0 {
		return 0, 0, false
	}
	period := uint64(key.RollingPeriod)
	if period == 0 || period > TEKRollingPeriod {
		period = TEKRollingPeriod
	}
	first := uint64(key.RollingStart)
	last := first + period - 1
	first, last = max(first, uint64(m.lo)), min(last, uint64(m.hi))
	if first > last {
		return 0, 0, false
	}
	return uint32(first), uint32(last), true
}

func (m *Matcher) match(s *scanner, key *DiagnosisKey) []Match {
	first, last, ok := m.keyRange(key)
	if !ok {
		return nil
	}
	n := s.prepare(m, first, last)
	if n == 0 {
		return nil
	}
	s.d.setTEK(&key.TEK)
	rpik := s.d.expand(infoRPIK)
	s.aes.setKey(&rpik)
	s.aes.encrypt(s.rpis[:], s.pads[:], n)

	var (
		out     []Match
		aemk    [KeyLength]byte
		haveKey bool
	)
	for k, j := range s.js[:n] {
		rpi := (*RPI)(s.rpis[k*KeyLength : (k+1)*KeyLength])
		if !m.mayMatch(rpi, s.days[k]) {
			continue
		}
		if a, b := m.lookup(rpi); a < b {
			if !haveKey {
				aemk, haveKey = s.d.expand(infoAEMK), true
			}
			out = m.appendMatches(out, a, b, j, aemk)
		}
	}
	if len(out) > 1 {
		slices.SortFunc(out, func(a, b Match) int { return a.SightingIndex - b.SightingIndex })
	}
	return out
}

// appendMatches checks the sightings in entries[a:b], whose RPI is the key's RPI for interval j.
func (m *Matcher) appendMatches(out []Match, a, b int, j uint32, aemk [KeyLength]byte) []Match {
	for _, e := range m.entries[a:b] {
		if d := int64(e.interval) - int64(j); d < -MaxClockDriftIntervals || d > MaxClockDriftIntervals {
			continue
		}
		sg := m.sightings[e.index]
		md, _ := ParseMetadata(DecryptAEM(aemk, sg.RPI, sg.AEM)) // lenient on version, like phones
		if !md.TXPowerPlausible() {
			continue
		}
		out = append(out, Match{SightingIndex: int(e.index), Sighting: sg, Interval: j, Metadata: md})
	}
	return out
}

// chunk is how many keys a MatchAll worker takes at a time; ctx is checked between chunks.
const chunk = 2048

// MatchAll matches keys on up to workers goroutines (≤ 0 means GOMAXPROCS) and returns the keys with at least
// one match, in key order. It stops early with ctx's error when ctx ends.
func (m *Matcher) MatchAll(ctx context.Context, keys []DiagnosisKey, workers int) ([]KeyMatch, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, (len(keys)+chunk-1)/chunk))
	order := dayOrder(keys)
	var (
		mu      sync.Mutex
		next    int
		results []KeyMatch
		wg      sync.WaitGroup
	)
	take := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		a := next
		next = min(next+chunk, len(keys))
		return a, next
	}
	for range workers {
		wg.Go(func() {
			s := scannerPool.Get().(*scanner)
			defer scannerPool.Put(s)
			var local []KeyMatch
			for ctx.Err() == nil {
				a, b := take()
				if a == b {
					break
				}
				for _, i := range order[a:b] {
					if ms := m.match(s, &keys[i]); ms != nil {
						local = append(local, KeyMatch{KeyIndex: int(i), Key: keys[i], Matches: ms})
					}
				}
			}
			mu.Lock()
			results = append(results, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gaen: match keys: %w", err)
	}
	slices.SortFunc(results, func(a, b KeyMatch) int { return a.KeyIndex - b.KeyIndex })
	return results, nil
}

// dayOrder returns the indices of keys grouped by UTC day of their rolling start (modulo 256 days, which is
// enough for locality), stable within a group. Keys of one day are checked against the same per-day filter,
// which then stays in the first-level cache. It costs two passes over the keys, a few milliseconds a million.
func dayOrder(keys []DiagnosisKey) []int32 {
	var starts [257]int
	for i := range keys {
		starts[keys[i].RollingStart/TEKRollingPeriod%256+1]++
	}
	for b := 1; b < len(starts); b++ {
		starts[b] += starts[b-1]
	}
	order := make([]int32, len(keys))
	for i := range keys {
		b := keys[i].RollingStart / TEKRollingPeriod % 256
		order[starts[b]] = int32(i)
		starts[b]++
	}
	return order
}
