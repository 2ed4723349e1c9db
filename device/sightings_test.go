package device

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

func rpiN(n byte) (gaen.RPI, gaen.AEM) {
	var r gaen.RPI
	for i := range r {
		r[i] = n ^ byte(i*37)
	}
	return r, gaen.AEM{n, 1, 2, 3}
}

func TestSightingLogEncryptedAtRest(t *testing.T) {
	t0 := time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	d := testDevice(t, clk, "http://127.0.0.1:1")
	var rpis []gaen.RPI
	for n := byte(0); n < 50; n++ {
		r, a := rpiN(n)
		rpis = append(rpis, r)
		hear(d, clk, t0.Add(time.Duration(n)*time.Minute), r, a, -60)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	// Read every file of the device directory raw: no RPI, AEM-with-RPI or
	// own key may appear in clear, nor in hex.
	var raw []byte
	filepath.Walk(d.Dir(), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			raw = append(raw, b...)
		}
		return nil
	})
	if len(raw) < 50*recordLen {
		t.Fatalf("only %d bytes on disk for 50 sightings", len(raw))
	}
	for _, r := range rpis {
		if bytes.Contains(raw, r[:8]) || bytes.Contains(raw, []byte(r.String()[:16])) {
			t.Fatalf("RPI %s readable in the device files", r)
		}
	}
	for _, k := range d.st.TEKs {
		if bytes.Contains(raw, k.Key[:8]) {
			t.Fatal("own TEK readable in the device files")
		}
	}
	// The records come back intact through the key.
	n := 0
	d.log.readSince("", func(s *sighting) {
		if s.RPI != rpis[n] || s.RSSI != -60 || s.MaxRSSI != -55 {
			t.Errorf("record %d = %+v", n, s)
		}
		n++
	})
	if n != 50 {
		t.Fatalf("read %d records, want 50", n)
	}
	// Another key cannot read them.
	dir := d.Dir()
	d.Close()
	if _, err := Open(dir, &Options{Clock: clk, DeviceKey: make([]byte, 32)}); err == nil {
		t.Fatal("opened the device with a wrong key")
	}
	other := &sightingLog{dir: filepath.Join(dir, sightingsDir)}
	other.seal, _ = newSealer(bytes.Repeat([]byte{7}, 32), nil)
	got := 0
	other.readSince("", func(*sighting) { got++ })
	if got != 0 || other.corrupt == 0 {
		t.Fatalf("wrong key read %d records (%d corrupt blocks)", got, other.corrupt)
	}
}

func TestSightingLogDedupTruncationPurge(t *testing.T) {
	t0 := time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	d := testDevice(t, clk, "http://127.0.0.1:1")
	r, a := rpiN(1)
	p := gaen.Advertisement{RPI: r, AEM: a}.Payload()
	// The same advertisement delivered twice in one scan is one sighting
	// with the stronger RSSI; the next scan is a new sighting.
	d.Heard(p, -70, -65)
	d.Heard(p, -62, -60)
	d.ScanDone(2)
	clk.Advance(4 * time.Minute)
	d.Heard(p, -80, -75)
	d.Heard([]byte("not an EN payload"), -50, -50)
	d.ScanDone(1)
	var got []sighting
	d.log.readSince("", func(s *sighting) { got = append(got, *s) })
	if len(got) != 2 || got[0].RSSI != -62 || got[0].MaxRSSI != -60 || got[1].RSSI != -80 {
		t.Fatalf("sightings %+v", got)
	}
	if got[1].Gap != 240 {
		t.Errorf("seconds since last scan %d, want 240", got[1].Gap)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}

	// A block cut short by a crash is skipped, earlier blocks survive.
	clk.Advance(time.Minute)
	d.Heard(p, -50, -50)
	d.ScanDone(1)
	d.Flush()
	f := d.log.path(dayName(t0))
	data, _ := os.ReadFile(f)
	os.WriteFile(f, data[:len(data)-7], 0o600)
	n := 0
	d.log.readSince("", func(*sighting) { n++ })
	if n != 2 || d.log.corrupt != 1 {
		t.Fatalf("after truncation read %d (corrupt %d), want 2 (1)", n, d.log.corrupt)
	}

	// Sightings are kept 14 days: a day's file goes on day 15.
	for day := 1; day <= 15; day++ {
		clk.Set(t0.Add(time.Duration(day) * 24 * time.Hour))
		d.Heard(p, -60, -55)
		d.ScanDone(1)
		d.Flush()
		d.mu.Lock()
		d.purgeLocked(clk.Now())
		d.mu.Unlock()
		days, _ := d.log.days()
		has0 := len(days) > 0 && days[0] == dayName(t0)
		if day < 14 && !has0 {
			t.Fatalf("day 0 purged on day %d", day)
		}
		if day >= 14 && has0 {
			t.Fatalf("day 0 still kept on day %d (%v)", day, days)
		}
		if len(days) > 14 {
			t.Fatalf("%d days kept", len(days))
		}
	}
}

func TestSeenPerDay(t *testing.T) {
	t0 := time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	d := testDevice(t, clk, "http://127.0.0.1:1")
	// Two phones nearby for 2 hours, each rotating every interval, heard
	// every 4 minutes; a third for one scan.
	var teks [3]gaen.TEK
	for i := range teks {
		teks[i][0] = byte(i + 1)
	}
	for at := t0; at.Before(t0.Add(2 * time.Hour)); at = at.Add(4 * time.Minute) {
		clk.Set(at)
		for i := 0; i < 2; i++ {
			adv := gaen.Advertise(teks[i], gaen.IntervalNumber(at), gaen.NewMetadata(-15, 2))
			d.Heard(adv.Payload(), -60, -55)
		}
		if at.Equal(t0.Add(time.Hour)) {
			d.Heard(gaen.Advertise(teks[2], gaen.IntervalNumber(at), gaen.NewMetadata(-15, 2)).Payload(), -80, -75)
		}
		d.ScanDone(2)
	}
	seen, err := d.SeenPerDay()
	if err != nil {
		t.Fatal(err)
	}
	if seen.Len() != 1 {
		t.Fatalf("%d days", seen.Len())
	}
	s := seen.At(0)
	if s.Identifiers != 2*12+1 || s.Devices != 3 || s.Day != "2020-06-01" {
		t.Errorf("seen %+v, want 25 identifiers and 3 devices", s)
	}
}
