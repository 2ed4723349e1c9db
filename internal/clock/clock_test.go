package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2020, 4, 2, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	if !f.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", f.Now(), start)
	}
	if got := f.Advance(90 * time.Minute); !got.Equal(start.Add(90 * time.Minute)) {
		t.Fatalf("Advance = %v", got)
	}
	f.Set(start)
	if !f.Now().Equal(start) {
		t.Fatalf("after Set, Now = %v", f.Now())
	}
	var c Clock = Func(func() time.Time { return start })
	if !c.Now().Equal(start) {
		t.Fatal("Func clock")
	}
	if d := time.Since(Real{}.Now()); d < 0 || d > time.Minute {
		t.Fatalf("Real clock off by %v", d)
	}
}
