package gaen

import (
	"context"
	"crypto/aes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Benchmark scenario from issue 2: 100,000 heard RPIs spread uniformly over 14 days, 1,000,000 random
// diagnosis keys with rolling starts over the same 14 days, a few planted keys that must be found.
const (
	benchSightings = 100_000
	benchKeys      = 1_000_000
	benchDays      = 14
)

type benchFixture struct {
	sightings []Sighting
	keys      []DiagnosisKey
	planted   map[int]int // key index → number of sightings it must match
	fast      *Matcher
	naive     *naiveMatcher
}

var (
	fixtureOnce sync.Once
	fixture     *benchFixture
)

func randomTEK(r *rand.Rand) TEK {
	var k TEK
	for i := 0; i < len(k); i += 8 {
		v := r.Uint64()
		for b := range 8 {
			k[i+b] = byte(v >> (8 * b))
		}
	}
	return k
}

func loadFixture(b *testing.B) *benchFixture {
	fixtureOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		base := RollingStart(time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC))
		span := uint32(benchDays * TEKRollingPeriod)
		f := &benchFixture{planted: map[int]int{}}
		f.sightings = make([]Sighting, 0, benchSightings)
		for len(f.sightings) < benchSightings-40 {
			var s Sighting
			s.RPI = RPI(randomTEK(r))
			s.AEM = AEM{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
			s.Interval = base + r.Uint32N(span)
			s.RSSI = -50 - r.IntN(50)
			f.sightings = append(f.sightings, s)
		}
		f.keys = make([]DiagnosisKey, benchKeys)
		for i := range f.keys {
			f.keys[i] = DiagnosisKey{TEK: randomTEK(r), RollingStart: base + TEKRollingPeriod*r.Uint32N(benchDays),
				RollingPeriod: TEKRollingPeriod}
		}
		// Plant 10 keys, each heard 4 times (one of them 2 h late, at the drift limit).
		for p := range 10 {
			ki := r.IntN(benchKeys)
			k := &f.keys[ki]
			gen, aemk := NewRPIGenerator(DeriveRPIK(k.TEK)), DeriveAEMK(k.TEK)
			for h := range 4 {
				j := k.RollingStart + r.Uint32N(TEKRollingPeriod)
				heard := j
				if h == 3 {
					heard = j + MaxClockDriftIntervals
				}
				rpi := gen.RPI(j)
				md := NewMetadata(int8(-20+p), CalibrationMedium)
				f.sightings = append(f.sightings, Sighting{RPI: rpi, AEM: EncryptAEM(aemk, rpi, md.Bytes()), Interval: heard})
			}
			f.planted[ki] = 4
		}
		r.Shuffle(len(f.sightings), func(i, j int) { f.sightings[i], f.sightings[j] = f.sightings[j], f.sightings[i] })
		f.fast = NewMatcher(f.sightings)
		f.naive = newNaiveMatcher(f.sightings)
		fixture = f
	})
	return fixture
}

// BenchmarkMatchKeys measures keys per second on one goroutine for the naive baseline and the Matcher, over the
// same keys in the same order.
func BenchmarkMatchKeys(b *testing.B) {
	f := loadFixture(b)
	b.Run("naive", func(b *testing.B) {
		i := 0
		cpu := cpuTime()
		for b.Loop() {
			f.naive.match(f.keys[i%len(f.keys)])
			i++
		}
		reportKeys(b, b.N, cpu)
	})
	b.Run("fast", func(b *testing.B) {
		s := &scanner{d: newDeriver()}
		i := 0
		cpu := cpuTime()
		for b.Loop() {
			f.fast.match(s, &f.keys[i%len(f.keys)])
			i++
		}
		reportKeys(b, b.N, cpu)
	})
}

// BenchmarkMatchAll1M matches all 1,000,000 keys with MatchAll on one worker and on GOMAXPROCS workers (2 on
// the benchmark machine), and checks that exactly the planted keys are found. ns/op is the wall time for one
// million keys.
func BenchmarkMatchAll1M(b *testing.B) {
	f := loadFixture(b)
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				res, err := f.fast.MatchAll(context.Background(), f.keys, workers)
				if err != nil {
					b.Fatal(err)
				}
				checkPlanted(b, f, res)
			}
			reportKeys(b, b.N*len(f.keys), cpu)
		})
	}
}

// reportKeys reports keys/s (wall clock) and cpu-ns/key for keys matched since CPU time cpu0.
func reportKeys(b *testing.B, keys int, cpu0 time.Duration) {
	b.ReportMetric(float64(keys)/b.Elapsed().Seconds(), "keys/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(keys), "cpu-ns/key")
}

func checkPlanted(tb testing.TB, f *benchFixture, res []KeyMatch) {
	tb.Helper()
	if len(res) != len(f.planted) {
		tb.Fatalf("found %d keys, want the %d planted", len(res), len(f.planted))
	}
	for _, km := range res {
		if want, ok := f.planted[km.KeyIndex]; !ok || len(km.Matches) != want {
			tb.Fatalf("key %d: %d matches, planted %d (%v)", km.KeyIndex, len(km.Matches), want, ok)
		}
	}
}

func BenchmarkDeriveRPIK(b *testing.B) {
	tek := TEK{1, 2, 3}
	b.Run("crypto/hkdf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tek[0]++
			_ = DeriveRPIK(tek)
		}
	})
	b.Run("precomputed", func(b *testing.B) {
		b.ReportAllocs()
		d := newDeriver()
		for b.Loop() {
			tek[0]++
			d.setTEK(&tek)
			_ = d.expand(infoRPIK)
		}
	})
}

// BenchmarkRPI measures one RPI derivation from an existing key: crypto/aes one block at a time (what the naive
// matcher does), RPIGenerator.RPI, and RPIGenerator.RPIs for a whole day (reported per RPI as ns/rpi).
func BenchmarkRPI(b *testing.B) {
	rpik := [16]byte{9}
	b.Run("crypto-aes", func(b *testing.B) {
		b.ReportAllocs()
		block, _ := aes.NewCipher(rpik[:])
		n := uint32(2642976)
		var p, r [16]byte
		for b.Loop() {
			n++
			p = paddedData(n)
			block.Encrypt(r[:], p[:])
		}
	})
	b.Run("generator", func(b *testing.B) {
		b.ReportAllocs()
		g := NewRPIGenerator(rpik)
		n := uint32(2642976)
		for b.Loop() {
			n++
			_ = g.RPI(n)
		}
	})
	b.Run("batch144", func(b *testing.B) {
		b.ReportAllocs()
		g := NewRPIGenerator(rpik)
		dst := make([]RPI, TEKRollingPeriod)
		for b.Loop() {
			g.RPIs(2642976, dst)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*TEKRollingPeriod), "ns/rpi")
	})
}

func BenchmarkNewRPIGenerator(b *testing.B) {
	b.ReportAllocs()
	k := [16]byte{9}
	for b.Loop() {
		k[0]++
		_ = NewRPIGenerator(k)
	}
}

func BenchmarkEncryptAEM(b *testing.B) {
	b.ReportAllocs()
	aemk, rpi, md := [16]byte{7}, RPI{1}, NewMetadata(-10, 2).Bytes()
	for b.Loop() {
		rpi[0]++
		_ = EncryptAEM(aemk, rpi, md)
	}
}
