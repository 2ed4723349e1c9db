package gaen

import (
	"bytes"
	"errors"
	"testing"
	"testing/iotest"
	"time"
)

func TestIntervals(t *testing.T) {
	tests := []struct {
		name    string
		t       time.Time
		n       uint32
		rolling uint32
	}{
		{"epoch", time.Unix(0, 0), 0, 0},
		{"before epoch clamps to 0", time.Unix(-1, 0), 0, 0},
		{"vector key generation", time.Date(2020, 4, 2, 0, 0, 0, 0, time.UTC), 2642976, 2642976},
		{"one second before an interval ends", time.Date(2020, 4, 2, 0, 9, 59, 999, time.UTC), 2642976, 2642976},
		{"next interval", time.Date(2020, 4, 2, 0, 10, 0, 0, time.UTC), 2642977, 2642976},
		{"last interval of the day", time.Date(2020, 4, 2, 23, 59, 59, 0, time.UTC), 2642976 + 143, 2642976},
		{"UTC midnight, not local", time.Date(2020, 4, 2, 6, 30, 0, 0, time.FixedZone("ICT", 7*3600)), 2642976 - 3, 2642976 - 144},
		{"far future clamps", time.Unix(1<<42, 0), 0xFFFFFFFF, 0xFFFFFFFF - 0xFFFFFFFF%144},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IntervalNumber(tt.t); got != tt.n {
				t.Errorf("IntervalNumber = %d, want %d", got, tt.n)
			}
			if got := RollingStart(tt.t); got != tt.rolling {
				t.Errorf("RollingStart = %d, want %d", got, tt.rolling)
			}
		})
	}
	for _, n := range []uint32{0, 1, 2642976, 0xFFFFFFFF} {
		tm := IntervalTime(n)
		if tm.Location() != time.UTC || IntervalNumber(tm) != n || IntervalNumber(tm.Add(-time.Second)) == n && n > 0 {
			t.Errorf("IntervalTime(%d) = %v is not the start of interval %d", n, tm, n)
		}
	}
	if RetentionIntervals != 2016 || IntervalDuration != 10*time.Minute {
		t.Errorf("constants: retention %d intervals, interval %v", RetentionIntervals, IntervalDuration)
	}
}

func TestNewTEK(t *testing.T) {
	a, err := NewTEK()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewTEK()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a == (TEK{}) {
		t.Errorf("NewTEK gave %x and %x", a, b)
	}
	want := bytes.Repeat([]byte{7}, 16)
	if k, err := NewTEKFrom(bytes.NewReader(want)); err != nil || !bytes.Equal(k[:], want) {
		t.Errorf("NewTEKFrom = %x, %v", k, err)
	}
	if _, err := NewTEKFrom(bytes.NewReader(want[:15])); err == nil {
		t.Error("NewTEKFrom accepted a short read")
	}
	boom := errors.New("boom")
	if _, err := NewTEKFrom(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("NewTEKFrom error = %v, want it to wrap %v", err, boom)
	}
}

func TestParseHex(t *testing.T) {
	if k, err := ParseTEK("75c734c6dd1a782de7a965da5eb93125"); err != nil || k[0] != 0x75 || k[15] != 0x25 {
		t.Errorf("ParseTEK = %x, %v", k, err)
	}
	if r, err := ParseRPI("8BE6CD371C5C891604BFBE49DF845096"); err != nil || r.String() != "8be6cd371c5c891604bfbe49df845096" {
		t.Errorf("ParseRPI = %v, %v", r, err)
	}
	for _, bad := range []string{"", "75c7", "75c734c6dd1a782de7a965da5eb9312", "75c734c6dd1a782de7a965da5eb931250", "zzc734c6dd1a782de7a965da5eb93125"} {
		if _, err := ParseTEK(bad); err == nil {
			t.Errorf("ParseTEK(%q) succeeded", bad)
		}
		if _, err := ParseRPI(bad); err == nil {
			t.Errorf("ParseRPI(%q) succeeded", bad)
		}
	}
}
