package device

import (
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

func TestKeySchedule(t *testing.T) {
	day0 := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(day0.Add(9*time.Hour + 3*time.Minute))
	d := testDevice(t, clk, "http://127.0.0.1:1")

	p1 := d.AdvertisementPayload()
	adv1, err := gaen.ParsePayload(p1)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.st.TEKs) != 1 {
		t.Fatalf("%d TEKs after first advertisement, want 1", len(d.st.TEKs))
	}
	k := d.st.TEKs[0]
	if k.RollingStart != gaen.RollingStart(day0) || k.RollingPeriod != 144 {
		t.Fatalf("first key %d+%d, want UTC midnight %d + 144", k.RollingStart, k.RollingPeriod, gaen.RollingStart(day0))
	}
	var tek gaen.TEK
	copy(tek[:], k.Key)
	if want := gaen.DeriveRPI(tek, gaen.IntervalNumber(clk.Now())); adv1.RPI != want {
		t.Fatal("advertised RPI is not the key's RPI of the current interval")
	}
	// Same interval: same payload; next interval: a new RPI, same key.
	clk.Advance(5 * time.Minute)
	if string(d.AdvertisementPayload()) != string(p1) {
		t.Error("payload changed within an interval")
	}
	clk.Advance(5 * time.Minute)
	adv2, _ := gaen.ParsePayload(d.AdvertisementPayload())
	if adv2.RPI == adv1.RPI || len(d.st.TEKs) != 1 {
		t.Error("RPI did not rotate at the interval boundary, or a key was added")
	}
	// Metadata carries the configured TX power.
	aemk := gaen.DeriveAEMK(tek)
	md, err := gaen.ParseMetadata(gaen.DecryptAEM(aemk, adv2.RPI, adv2.AEM))
	if err != nil || md.TXPower != -15 {
		t.Errorf("metadata %+v %v, want TX power -15", md, err)
	}

	// Next UTC midnight: a new key.
	clk.Set(day0.Add(24*time.Hour + time.Minute))
	d.AdvertisementPayload()
	if len(d.st.TEKs) != 2 || d.st.TEKs[1].RollingStart != gaen.RollingStart(day0)+144 {
		t.Fatalf("no new key at midnight: %+v", d.st.TEKs)
	}
	if string(d.st.TEKs[0].Key) == string(d.st.TEKs[1].Key) {
		t.Fatal("the new day's key equals yesterday's")
	}

	// Early release at 10:25 on day 1: today's key is cut to end with the
	// current interval; a fresh key starts at the next.
	clk.Set(day0.Add(24*time.Hour + 10*time.Hour + 25*time.Minute))
	i := gaen.IntervalNumber(clk.Now())
	d.mu.Lock()
	pub := d.keysToPublishLocked(i)
	d.mu.Unlock()
	if len(pub) != 2 {
		t.Fatalf("%d keys to publish, want 2", len(pub))
	}
	today := pub[1]
	if today.RollingPeriod >= 144 || today.end() != i+1 {
		t.Fatalf("today's published key ends at %d (period %d), want %d", today.end(), today.RollingPeriod, i+1)
	}
	before := d.AdvertisementPayload()
	d.mu.Lock()
	if err := d.releaseLocked(pub, i); err != nil {
		t.Fatal(err)
	}
	d.mu.Unlock()
	if len(d.st.TEKs) != 3 {
		t.Fatalf("%d keys after release, want 3", len(d.st.TEKs))
	}
	fresh := d.st.TEKs[2]
	if fresh.RollingStart != i+1 || fresh.end() != gaen.RollingStart(day0)+288 || fresh.Released {
		t.Fatalf("fresh key %+v, want start %d ending at midnight", fresh, i+1)
	}
	if !d.st.TEKs[0].Released || !d.st.TEKs[1].Released || d.st.TEKs[1].RollingPeriod != today.RollingPeriod {
		t.Fatal("published keys not marked released and cut")
	}
	// The rest of this interval still uses the released key; the next
	// interval the fresh one.
	if string(d.AdvertisementPayload()) != string(before) {
		t.Error("payload changed within the interval of the release")
	}
	clk.Advance(10 * time.Minute)
	adv3, _ := gaen.ParsePayload(d.AdvertisementPayload())
	var freshTEK gaen.TEK
	copy(freshTEK[:], fresh.Key)
	if adv3.RPI != gaen.DeriveRPI(freshTEK, i+1) {
		t.Error("after the release interval the device does not advertise the fresh key")
	}

	// Keys survive reopening (state is persisted) …
	dir := d.Dir()
	d.Close()
	d2, err := Open(dir, &Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if len(d2.st.TEKs) != 3 {
		t.Fatalf("reopened device has %d keys", len(d2.st.TEKs))
	}
	// … and are forgotten after 14 days.
	clk.Set(day0.Add(16 * 24 * time.Hour))
	d2.AdvertisementPayload()
	if len(d2.st.TEKs) != 1 {
		t.Errorf("%d keys 16 days later, want only today's", len(d2.st.TEKs))
	}
}

func TestPublishAtMost14Days(t *testing.T) {
	day0 := time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(day0)
	d := testDevice(t, clk, "http://127.0.0.1:1")
	for i := 0; i < 20; i++ {
		d.AdvertisementPayload()
		clk.Advance(24 * time.Hour)
	}
	d.AdvertisementPayload()
	d.mu.Lock()
	pub := d.keysToPublishLocked(gaen.IntervalNumber(clk.Now()))
	d.mu.Unlock()
	// 14 days back plus today's, cut short.
	if len(pub) != 15 {
		t.Fatalf("%d keys, want 15", len(pub))
	}
	for j := 1; j < len(pub); j++ {
		if pub[j].RollingStart <= pub[j-1].RollingStart {
			t.Fatal("keys not in rolling-start order")
		}
	}
	oldest := gaen.IntervalNumber(clk.Now()) - gaen.RetentionIntervals
	if pub[0].end() <= oldest {
		t.Errorf("oldest key ended %d, before the 14-day limit %d", pub[0].end(), oldest)
	}
}
