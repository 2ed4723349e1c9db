package export

import (
	"bytes"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/bluezone-vn/bluezone/exportfile"
)

func TestSortKeys(t *testing.T) {
	for _, n := range []int{0, 1, 2, 100, 1 << 14, 100_000} {
		keys := make([]exportfile.Key, n)
		for i := range keys {
			rand.Read(keys[i].Data[:])
			keys[i].RollingStart = int32(i)
			if i%7 == 0 && i > 0 {
				keys[i].Data = keys[i-1].Data // equal keys must survive too
				keys[i].Data[15]++
			}
		}
		want := slices.Clone(keys)
		slices.SortStableFunc(want, func(a, b exportfile.Key) int { return bytes.Compare(a.Data[:], b.Data[:]) })
		got := sortKeys(slices.Clone(keys))
		if len(got) != n {
			t.Fatalf("n=%d: got %d keys", n, len(got))
		}
		for i := range got {
			if got[i].Data != want[i].Data {
				t.Fatalf("n=%d: key %d out of order", n, i)
			}
		}
		// Same multiset of records, fields kept with their keys.
		seen := map[int32]bool{}
		for _, k := range got {
			seen[k.RollingStart] = true
		}
		if len(seen) != n {
			t.Fatalf("n=%d: records lost or duplicated", n)
		}
	}
}

func TestUnpack(t *testing.T) {
	pack := func(start, period, tr, rt int64, dsos *int64) int64 {
		v := start<<32 + period<<24 + tr<<20 + rt<<16
		if dsos != nil {
			v += *dsos + 32768
		}
		return v
	}
	d := func(v int64) *int64 { return &v }
	cases := []struct {
		start, period, tr, rt int64
		dsos                  *int64
	}{
		{2_900_000, 144, 2, 1, d(3)},
		{0, 1, 0, 0, nil},
		{2147483647, 255, 15, 15, d(-32767)},
		{2_900_144, 100, 8, 5, d(-14)},
		{2_900_144, 144, 6, 4, d(0)},
		{2_900_144, 144, 6, 4, d(32767)},
	}
	for _, c := range cases {
		var k exportfile.Key
		unpack(&k, pack(c.start, c.period, c.tr, c.rt, c.dsos))
		if int64(k.RollingStart) != c.start || int64(k.RollingPeriod) != c.period || int64(k.TransmissionRisk) != c.tr ||
			int64(k.ReportType) != c.rt || k.HasDaysSinceOnset != (c.dsos != nil) || (c.dsos != nil && int64(k.DaysSinceOnset) != *c.dsos) {
			t.Errorf("unpack(%+v) = %+v", c, k)
		}
	}
}

func BenchmarkSortKeys1M(b *testing.B) {
	keys := make([]exportfile.Key, 1_000_000)
	for i := range keys {
		rand.Read(keys[i].Data[:])
	}
	work := make([]exportfile.Key, len(keys))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(work, keys)
		sortKeys(work)
	}
}
