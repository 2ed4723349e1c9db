package radio

import (
	"math"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
)

type fixedAdv []byte

func (f fixedAdv) AdvertisementPayload() []byte { return f }

type recorder struct {
	heard map[string][]int // payload → typical RSSIs
	max   map[string][]int
	scans int
}

func newRecorder() *recorder { return &recorder{heard: map[string][]int{}, max: map[string][]int{}} }

func (r *recorder) Heard(p []byte, rssi, maxRSSI int) {
	r.heard[string(p)] = append(r.heard[string(p)], rssi)
	r.max[string(p)] = append(r.max[string(p)], maxRSSI)
}
func (r *recorder) ScanDone(int) { r.scans++ }

var t0 = time.Date(2020, 4, 2, 8, 0, 0, 0, time.UTC)

func newAir(t *testing.T) (*Air, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	a, err := NewAir(clk, DefaultAirConfig(1))
	if err != nil {
		t.Fatal(err)
	}
	return a, clk
}

func mean(xs []int) float64 {
	s := 0.0
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}

func TestPathLossAndNoise(t *testing.T) {
	a, _ := newAir(t)
	rx := a.NewRadio("rx", RadioParams{TxPowerDbm: -15})
	rec := newRecorder()
	if err := rx.StartScanning(rec); err != nil {
		t.Fatal(err)
	}
	rx.MoveTo("office", "room", 0, 0)
	dists := map[string]float64{"1m": 1, "2m": 2, "8m": 8}
	for name, d := range dists {
		tx := a.NewRadio(name, RadioParams{TxPowerDbm: -15})
		tx.MoveTo("office", "room", d, 0)
		tx.Advertise(fixedAdv(name))
	}
	a.RunUntil(t0.Add(24 * time.Hour))
	if rec.scans < 24*3600/300 || rec.scans > 24*3600/210+1 {
		t.Fatalf("%d scans in a day, want one every 210–300 s", rec.scans)
	}
	m := a.Model()
	for name, d := range dists {
		got := mean(rec.heard[name])
		want := -15 - m.PathLossDb(d, 0)
		if math.Abs(got-want) > 1 {
			t.Errorf("%s: mean RSSI %.1f, want %.1f ± 1", name, got, want)
		}
		if len(rec.heard[name]) != rec.scans {
			t.Errorf("%s heard in %d of %d scans", name, len(rec.heard[name]), rec.scans)
		}
		for i, mx := range rec.max[name] {
			if mx < rec.heard[name][i] {
				t.Fatalf("%s: max RSSI %d below typical %d", name, mx, rec.heard[name][i])
			}
		}
	}
	if m1, m8 := mean(rec.heard["1m"]), mean(rec.heard["8m"]); m1-m8 < 15 {
		t.Errorf("1 m vs 8 m differ by %.1f dB, want ≈ 18", m1-m8)
	}
}

func TestPlacesWallsAndSilence(t *testing.T) {
	a, _ := newAir(t)
	rx := a.NewRadio("rx", RadioParams{TxPowerDbm: -15})
	rec := newRecorder()
	rx.StartScanning(rec)
	rx.MoveTo("house", "kitchen", 0, 0)

	same := a.NewRadio("same", RadioParams{TxPowerDbm: -15})
	same.MoveTo("house", "kitchen", 3, 0)
	same.Advertise(fixedAdv("same"))
	wall := a.NewRadio("wall", RadioParams{TxPowerDbm: -15})
	wall.MoveTo("house", "bedroom", 3, 0)
	wall.Advertise(fixedAdv("wall"))
	other := a.NewRadio("other", RadioParams{TxPowerDbm: -15})
	other.MoveTo("café", "hall", 0, 0) // another building, even at 0 m
	other.Advertise(fixedAdv("other"))
	off := a.NewRadio("off", RadioParams{TxPowerDbm: -15})
	off.MoveTo("house", "kitchen", 0.5, 0) // app off: never advertises

	a.RunUntil(t0.Add(6 * time.Hour))
	if len(rec.heard["other"]) != 0 {
		t.Error("a radio in another place was heard")
	}
	if len(rec.heard["same"]) == 0 || len(rec.heard["wall"]) == 0 {
		t.Fatal("radios in the same house not heard")
	}
	if d := mean(rec.heard["same"]) - mean(rec.heard["wall"]); math.Abs(d-a.Model().WallLossDb) > 1.5 {
		t.Errorf("wall costs %.1f dB, want %.0f", d, a.Model().WallLossDb)
	}
	for p := range rec.heard {
		if p != "same" && p != "wall" {
			t.Errorf("heard unexpected %q", p)
		}
	}

	// Moving and stopping take effect from the next scan.
	same.MoveTo("café", "hall", 1, 0)
	wall.StopAdvertising()
	rx.MoveTo("café", "hall", 0, 0)
	before := len(rec.heard["wall"])
	rec.heard["same"] = nil
	a.RunUntil(t0.Add(12 * time.Hour))
	if len(rec.heard["wall"]) != before {
		t.Error("heard a radio that stopped advertising")
	}
	if len(rec.heard["other"]) == 0 || len(rec.heard["same"]) == 0 {
		t.Error("did not hear radios after moving to the café")
	}
	rx.StopScanning()
	n := rec.scans
	a.RunUntil(t0.Add(18 * time.Hour))
	if rec.scans != n {
		t.Error("scanned after StopScanning")
	}
}

func TestCalibrationBias(t *testing.T) {
	a, _ := newAir(t)
	loud := a.NewRadio("loud", RadioParams{TxPowerDbm: -5, RxBiasDb: 0})
	deaf := a.NewRadio("deaf", RadioParams{TxPowerDbm: -15, RxBiasDb: -8})
	rl, rd := newRecorder(), newRecorder()
	loud.StartScanning(rl)
	deaf.StartScanning(rd)
	loud.Advertise(fixedAdv("loud"))
	deaf.Advertise(fixedAdv("deaf"))
	loud.MoveTo("p", "r", 0, 0)
	deaf.MoveTo("p", "r", 2, 0)
	a.RunUntil(t0.Add(24 * time.Hour))
	// loud hears deaf at −15 − PL; deaf hears loud at −5 − PL − 8.
	if d := mean(rd.heard["loud"]) - mean(rl.heard["deaf"]); math.Abs(d-2) > 1 {
		t.Errorf("bias difference %.1f dB, want 2", d)
	}
}

func TestDeterministic(t *testing.T) {
	run := func() []int {
		a, _ := newAir(t)
		rx := a.NewRadio("rx", RadioParams{TxPowerDbm: -15})
		rec := newRecorder()
		rx.StartScanning(rec)
		rx.MoveTo("p", "r", 0, 0)
		tx := a.NewRadio("tx", RadioParams{TxPowerDbm: -15})
		tx.MoveTo("p", "r", 2, 1)
		tx.Advertise(fixedAdv("tx"))
		a.RunUntil(t0.Add(3 * time.Hour))
		return rec.heard["tx"]
	}
	x, y := run(), run()
	if len(x) == 0 || len(x) != len(y) {
		t.Fatalf("runs differ in length: %d vs %d", len(x), len(y))
	}
	for i := range x {
		if x[i] != y[i] {
			t.Fatal("same seed gave different RSSIs")
		}
	}
}

func TestConfigValidate(t *testing.T) {
	bad := DefaultAirConfig(1)
	bad.ScanEveryMax = time.Second
	if _, err := NewAir(clock.NewFake(t0), bad); err == nil {
		t.Error("accepted max < min scan period")
	}
	m := DefaultAirConfig(1)
	m.Model.Exponent = 0
	if _, err := NewAir(clock.NewFake(t0), m); err == nil {
		t.Error("accepted exponent 0")
	}
	if _, err := NewAir(nil, DefaultAirConfig(1)); err == nil {
		t.Error("accepted nil clock")
	}
	if d := DefaultModel().DistanceForLoss(DefaultModel().PathLossDb(3, 0)); math.Abs(d-3) > 1e-9 {
		t.Errorf("DistanceForLoss(PathLoss(3)) = %v", d)
	}
}

func BenchmarkScan(b *testing.B) {
	clk := clock.NewFake(t0)
	a, _ := NewAir(clk, DefaultAirConfig(1))
	recs := make([]*recorder, 20)
	for i := range recs {
		r := a.NewRadio("r", RadioParams{TxPowerDbm: -15})
		recs[i] = newRecorder()
		r.StartScanning(recs[i])
		r.Advertise(fixedAdv("x"))
		r.MoveTo("office", "room", float64(i%5)*2, float64(i/5)*2)
	}
	b.ResetTimer()
	at := t0
	for i := 0; i < b.N; i++ {
		at = at.Add(13 * time.Second) // ≈ one scan of 20 radios
		a.RunUntil(at)
		if i%1000 == 0 {
			for _, r := range recs {
				clear(r.heard)
				clear(r.max)
			}
		}
	}
}
