package gaen

import (
	"crypto/aes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// naiveMatcher is the straightforward reading of the specification, kept as the reference the fast Matcher is
// checked against and as the benchmark baseline: per key crypto/hkdf, aes.NewCipher, an RPI for every interval
// of the rolling period, each looked up in a Go map.
type naiveMatcher struct {
	sightings []Sighting
	byRPI     map[RPI][]int
}

func newNaiveMatcher(sightings []Sighting) *naiveMatcher {
	n := &naiveMatcher{sightings: slices.Clone(sightings), byRPI: make(map[RPI][]int, len(sightings))}
	for i := range n.sightings {
		s := &n.sightings[i]
		if s.Interval == 0 && !s.Time.IsZero() {
			s.Interval = IntervalNumber(s.Time)
		}
		n.byRPI[s.RPI] = append(n.byRPI[s.RPI], i)
	}
	return n
}

func (n *naiveMatcher) match(key DiagnosisKey) []Match {
	rpik, err := hkdf.Key(sha256.New, key.TEK[:], nil, "EN-RPIK", 16)
	if err != nil {
		panic(err)
	}
	block, err := aes.NewCipher(rpik)
	if err != nil {
		panic(err)
	}
	period := uint64(key.RollingPeriod)
	if period == 0 || period > TEKRollingPeriod {
		period = TEKRollingPeriod
	}
	var out []Match
	for k := uint64(0); k < period; k++ {
		j := uint64(key.RollingStart) + k
		if j > 0xFFFFFFFF {
			break
		}
		var pd [16]byte
		copy(pd[:], "EN-RPI")
		binary.LittleEndian.PutUint32(pd[12:], uint32(j))
		var rpi RPI
		block.Encrypt(rpi[:], pd[:])
		for _, i := range n.byRPI[rpi] {
			s := n.sightings[i]
			if d := int64(s.Interval) - int64(j); d < -MaxClockDriftIntervals || d > MaxClockDriftIntervals {
				continue
			}
			md, _ := ParseMetadata(DecryptAEM(DeriveAEMK(key.TEK), s.RPI, s.AEM))
			if md.TXPower < MinTXPower || md.TXPower > MaxTXPower {
				continue
			}
			out = append(out, Match{SightingIndex: i, Sighting: s, Interval: uint32(j), Metadata: md})
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return a.SightingIndex - b.SightingIndex })
	return out
}
