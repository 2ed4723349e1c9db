package gaen

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"
)

const day0 = 2642976 // rolling start of the official vectors (2020-04-02)

// hear returns a sighting of key's RPI for interval j, heard at interval heard, with the given TX power.
func hear(key DiagnosisKey, j, heard uint32, tx int8) Sighting {
	rpi := DeriveRPI(key.TEK, j)
	md := NewMetadata(tx, CalibrationLow)
	return Sighting{RPI: rpi, AEM: EncryptAEM(DeriveAEMK(key.TEK), rpi, md.Bytes()), Interval: heard, RSSI: -70, Ref: int64(heard)}
}

func TestMatchRules(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	key := DiagnosisKey{TEK: randomTEK(r), RollingStart: day0, RollingPeriod: TEKRollingPeriod, ReportType: 1, Ref: 99}
	tests := []struct {
		name  string
		s     Sighting
		key   func(DiagnosisKey) DiagnosisKey
		match bool
	}{
		{"same interval", hear(key, day0+10, day0+10, -10), nil, true},
		{"heard 12 intervals late", hear(key, day0+10, day0+22, -10), nil, true},
		{"heard 12 intervals early", hear(key, day0+10, day0-2, -10), nil, true},
		{"heard 13 intervals late", hear(key, day0+10, day0+23, -10), nil, false},
		{"heard 13 intervals early", hear(key, day0+20, day0+7, -10), nil, false},
		{"first interval of the key", hear(key, day0, day0, -10), nil, true},
		{"last interval of the key", hear(key, day0+143, day0+150, -10), nil, true},
		{"interval after the key's period", hear(key, day0+144, day0+144, -10), nil, false},
		{"interval before the key's start", hear(key, day0-1, day0, -10), nil, false},
		{"short rolling period excludes later intervals", hear(key, day0+50, day0+50, -10),
			func(k DiagnosisKey) DiagnosisKey { k.RollingPeriod = 50; return k }, false},
		{"short rolling period includes its last interval", hear(key, day0+49, day0+49, -10),
			func(k DiagnosisKey) DiagnosisKey { k.RollingPeriod = 50; return k }, true},
		{"rolling period 0 means 144", hear(key, day0+143, day0+143, -10),
			func(k DiagnosisKey) DiagnosisKey { k.RollingPeriod = 0; return k }, true},
		{"rolling period above 144 is read as 144", hear(key, day0+144, day0+144, -10),
			func(k DiagnosisKey) DiagnosisKey { k.RollingPeriod = 300; return k }, false},
		{"unaligned rolling start", hear(key, day0+200, day0+200, -10),
			func(k DiagnosisKey) DiagnosisKey { k.RollingStart = day0 + 100; return k }, true},
		{"TX power -50", hear(key, day0+10, day0+10, -50), nil, true},
		{"TX power -51 rejected", hear(key, day0+10, day0+10, -51), nil, false},
		{"TX power +20", hear(key, day0+10, day0+10, 20), nil, true},
		{"TX power +21 rejected", hear(key, day0+10, day0+10, 21), nil, false},
		{"other key's RPI", hear(DiagnosisKey{TEK: randomTEK(r)}, day0+10, day0+10, -10), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := key
			if tt.key != nil {
				k = tt.key(k)
			}
			// Surround the sighting with noise so the index has more than one entry and day.
			sightings := []Sighting{tt.s}
			for range 300 {
				sightings = append(sightings, Sighting{RPI: RPI(randomTEK(r)), Interval: day0 - 200 + r.Uint32N(600)})
			}
			m := NewMatcher(sightings)
			got := m.Match(k)
			if want := newNaiveMatcher(sightings).match(k); !reflect.DeepEqual(got, want) {
				t.Fatalf("Match = %+v, naive reference = %+v", got, want)
			}
			if !tt.match {
				if len(got) != 0 {
					t.Fatalf("Match = %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("Match = %+v, want one match", got)
			}
			md, _ := ParseMetadata(DecryptAEM(DeriveAEMK(k.TEK), tt.s.RPI, tt.s.AEM))
			want := Match{SightingIndex: 0, Sighting: tt.s, Interval: got[0].Interval, Metadata: md}
			if got[0] != want || DeriveRPI(k.TEK, got[0].Interval) != tt.s.RPI {
				t.Errorf("Match = %+v, want %+v", got[0], want)
			}
		})
	}
}

// randomScenario builds sightings and keys where many keys match, at random drifts and TX powers (some out of
// range), with repeated sightings of one RPI, unaligned keys and odd rolling periods.
func randomScenario(r *rand.Rand, nKeys int) ([]Sighting, []DiagnosisKey) {
	var sightings []Sighting
	keys := make([]DiagnosisKey, nKeys)
	for i := range keys {
		start := uint32(day0 + TEKRollingPeriod*r.IntN(4))
		if r.IntN(5) == 0 {
			start += r.Uint32N(TEKRollingPeriod)
		}
		keys[i] = DiagnosisKey{TEK: randomTEK(r), RollingStart: start, RollingPeriod: []uint32{0, 1, 50, 143, 144, 145}[r.IntN(6)], Ref: int64(i)}
		if r.IntN(3) == 0 {
			continue // never heard
		}
		for range 1 + r.IntN(6) {
			j := start + r.Uint32N(160)
			heard := uint32(int64(j) + int64(r.IntN(31)-15))
			s := hear(keys[i], j, heard, int8(r.IntN(90)-65))
			for range 1 + r.IntN(3) { // heard in several scans
				sightings = append(sightings, s)
			}
		}
	}
	for range 2000 {
		sightings = append(sightings, Sighting{RPI: RPI(randomTEK(r)), Interval: day0 - 30 + r.Uint32N(700)})
	}
	r.Shuffle(len(sightings), func(i, j int) { sightings[i], sightings[j] = sightings[j], sightings[i] })
	return sightings, keys
}

// TestMatchAgainstNaive checks the fast Matcher against the straightforward reference on random data.
func TestMatchAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 5 {
		sightings, keys := randomScenario(r, 300)
		m, naive := NewMatcher(sightings), newNaiveMatcher(sightings)
		var want []KeyMatch
		matched, total := 0, 0
		for i, k := range keys {
			got, exp := m.Match(k), naive.match(k)
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("round %d key %d: Match = %+v\nnaive = %+v", round, i, got, exp)
			}
			if exp != nil {
				want = append(want, KeyMatch{KeyIndex: i, Key: k, Matches: exp})
				total += len(exp)
			}
		}
		matched = len(want)
		if matched < 50 || total < 100 {
			t.Fatalf("round %d: only %d keys / %d sightings matched; the scenario is too weak", round, matched, total)
		}
		for _, workers := range []int{1, 2, 7} {
			got, err := m.MatchAll(context.Background(), keys, workers)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d: MatchAll(%d workers) differs from Match one by one", round, workers)
			}
		}
	}
}

func TestMatchConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	sightings, keys := randomScenario(r, 100)
	m, naive := NewMatcher(sightings), newNaiveMatcher(sightings)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(keys); i += 4 {
				if got, want := m.Match(keys[i]), naive.match(keys[i]); !reflect.DeepEqual(got, want) {
					t.Errorf("key %d differs under concurrency", i)
				}
			}
		})
	}
	wg.Wait()
}

func TestMatcherEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	key := DiagnosisKey{TEK: randomTEK(r), RollingStart: day0}

	if got := NewMatcher(nil).Match(key); got != nil {
		t.Errorf("empty matcher matched %+v", got)
	}
	res, err := NewMatcher(nil).MatchAll(context.Background(), []DiagnosisKey{key}, 0)
	if err != nil || res != nil {
		t.Errorf("empty MatchAll = %+v, %v", res, err)
	}

	// Interval taken from Time when 0; the caller's slice is copied.
	s := hear(key, day0+30, 0, -5)
	s.Time = IntervalTime(day0 + 31).Add(3 * time.Minute)
	in := []Sighting{s}
	m := NewMatcher(in)
	in[0].RPI = RPI{}
	got := m.Match(key)
	if len(got) != 1 || got[0].Sighting.Interval != day0+31 || got[0].Interval != day0+30 || got[0].Metadata.TXPower != -5 {
		t.Fatalf("Match = %+v, want one match heard at %d", got, day0+31)
	}
	if m.Len() != 1 {
		t.Errorf("Len = %d", m.Len())
	}

	// Keys far outside the sightings' time range, and at the ends of the interval space.
	for _, start := range []uint32{0, day0 - 1000, day0 + 1000, 0xFFFFFFFF - 10} {
		k := key
		k.RollingStart = start
		if got := m.Match(k); got != nil {
			t.Errorf("key at %d matched %+v", start, got)
		}
	}
	edge := NewMatcher([]Sighting{hear(key, 5, 0, 0), hear(key, 0xFFFFFFFA, 0xFFFFFFFF, 0)})
	for _, tc := range []struct{ start, want uint32 }{{0, 5}, {0xFFFFFFFA - 100, 0xFFFFFFFA}} {
		k := key
		k.RollingStart = tc.start
		if got := edge.Match(k); len(got) != 1 || got[0].Interval != tc.want {
			t.Errorf("edge key at %d: %+v", tc.start, got)
		}
	}
}

func TestMatchAllCancel(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	sightings, keys := randomScenario(r, 20)
	for len(keys) < 10*chunk {
		keys = append(keys, keys...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := NewMatcher(sightings).MatchAll(ctx, keys, 2)
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("MatchAll on a cancelled context = %d results, %v", len(res), err)
	}
}
