package device

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// lowThreshold is a risk configuration under which one 5-minute scan at
// close range warns, for tests that hear a single RPI.
const lowThreshold = `{"f1MinimumDailyScore":60,"f2MinimumDailyScore":60}`

func vectorKey(v vectors) exportfile.Key {
	return exportfile.Key{Data: v.TEK, RollingStart: int32(v.First), RollingPeriod: 144, ReportType: exportfile.ReportTypeConfirmedTest, DaysSinceOnset: 0, HasDaysSinceOnset: true}
}

func randomKeys(t testing.TB, n int, start int32) []exportfile.Key {
	keys := make([]exportfile.Key, n)
	for i := range keys {
		rand.Read(keys[i].Data[:])
		keys[i].RollingStart, keys[i].RollingPeriod, keys[i].ReportType = start, 144, exportfile.ReportTypeConfirmedTest
	}
	return keys
}

// syncFixture is a device that heard RPI number 5 of the test vector TEK at
// close range, and an export server trusted by it.
func syncFixture(t *testing.T, heardAt time.Time) (*Device, *exportServer, signer, vectors) {
	t.Helper()
	v := loadVectors(t)
	es := newExportServer(t)
	s := newSigner(t, "452", "v1")
	clk := clock.NewFake(heardAt)
	d := testDevice(t, clk, es.URL)
	if err := d.TrustKey("452", "v1", s.pem); err != nil {
		t.Fatal(err)
	}
	if err := d.SetRiskConfigJSON(lowThreshold); err != nil {
		t.Fatal(err)
	}
	// The vector metadata says TX power +8 dBm: RSSI -40 is 48 dB.
	hear(d, clk, heardAt, v.RPIs[5], v.AEMs[5], -40)
	clk.Set(heardAt.Add(30 * time.Hour))
	return d, es, s, v
}

func TestSyncTestVectorWarns(t *testing.T) {
	v := loadVectors(t)
	heard := gaen.IntervalTime(v.First + 5).Add(3 * time.Minute)
	d, es, s, _ := syncFixture(t, heard)
	ctx := context.Background()

	// Before the key is exported: nothing.
	res, err := d.Sync(ctx)
	if err != nil || res.Files != 0 || d.Warnings().Len() != 0 {
		t.Fatalf("sync with no exports: %+v %v", res, err)
	}
	// Other people's keys do not match.
	es.add(buildExport(t, randomKeys(t, 200, int32(v.First)), nil, s))
	if res, err = d.Sync(ctx); err != nil || res.Files != 1 || res.MatchedKeys != 0 || d.Warnings().Len() != 0 {
		t.Fatalf("sync of unrelated keys: %+v %v", res, err)
	}
	// The vector TEK among them matches RPI #5.
	keys := append(randomKeys(t, 100, int32(v.First)), vectorKey(v))
	es.add(buildExport(t, keys, nil, s))
	res, err = d.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 1 || res.Keys != 101 || res.MatchedKeys != 1 || res.NewF1 != 1 {
		t.Fatalf("sync result %+v", res)
	}
	ws := d.Warnings()
	if ws.Len() != 1 || ws.At(0).Kind != KindF1 || ws.At(0).Day != "2020-04-02" || ws.At(0).ClosestBucket != "immediate" {
		t.Fatalf("warnings %+v", ws.All())
	}
	wins := d.ExposureWindows().All()
	if len(wins) != 1 || gaen.IntervalNumber(time.Unix(wins[0].StartUnix, 0)) != v.First+5 || wins[0].MinAttenuationDb > 48 {
		t.Fatalf("window %+v, want one in interval %d", wins, v.First+5)
	}
	// Incremental: only new files are downloaded, warnings are not repeated.
	gets := es.gets
	if res, err = d.Sync(ctx); err != nil || res.Files != 0 || res.NewF1 != 0 || es.gets != gets {
		t.Fatalf("second sync %+v %v (downloads %d→%d)", res, err, gets, es.gets)
	}
	// A revision to REVOKED withdraws the warning.
	rev := vectorKey(v)
	rev.ReportType = exportfile.ReportTypeRevoked
	es.add(buildExport(t, nil, []exportfile.Key{rev}, s))
	if _, err = d.Sync(ctx); err != nil || d.Warnings().Len() != 0 {
		t.Fatalf("revoked key still warns: %v %+v", err, d.Warnings().All())
	}
}

func TestSyncRejectsBadFiles(t *testing.T) {
	v := loadVectors(t)
	heard := gaen.IntervalTime(v.First + 5).Add(3 * time.Minute)
	keys := []exportfile.Key{vectorKey(v)}
	tamper := func(t *testing.T, s signer) []byte {
		_, zip := buildExport(t, keys, nil, s)
		f, _ := exportfile.Parse(zip)
		bin := append([]byte(nil), f.Bin...)
		// Change the key's rolling start (a varint inside export.bin)
		// without re-signing: flip one byte of the key data instead,
		// keeping the file parseable.
		for i := range bin {
			if i+16 <= len(bin) && string(bin[i:i+16]) == string(v.TEK[:]) {
				bin[i+15] ^= 1
				break
			}
		}
		sigs, _ := exportfile.Sign(f.Bin, 1, 1, s.Signer)
		z, err := exportfile.MarshalZip(bin, sigs)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	cases := map[string]func(t *testing.T, s signer) []byte{
		"tampered": tamper,
		"unknown signer": func(t *testing.T, _ signer) []byte {
			_, zip := buildExport(t, keys, nil, newSigner(t, "452", "v2"))
			return zip
		},
		"forged signer id": func(t *testing.T, _ signer) []byte {
			_, zip := buildExport(t, keys, nil, newSigner(t, "452", "v1")) // right name, wrong key
			return zip
		},
		"truncated zip": func(t *testing.T, s signer) []byte {
			_, zip := buildExport(t, keys, nil, s)
			return zip[:len(zip)/2]
		},
		"not a zip": func(*testing.T, signer) []byte { return []byte("<html>oops</html>") },
		"unsigned": func(t *testing.T, s signer) []byte {
			_, zip := buildExport(t, keys, nil, s)
			f, _ := exportfile.Parse(zip)
			z, err := exportfile.MarshalZip(f.Bin, nil)
			if err != nil {
				t.Fatal(err)
			}
			return z
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			d, es, s, _ := syncFixture(t, heard)
			es.add(buildExport(t, randomKeys(t, 5, int32(v.First)), nil, s))
			n, _ := buildExport(t, nil, nil, s)
			es.add(n+"x.zip", mk(t, s))
			res, err := d.Sync(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Rejected != 1 || res.Files != 1 || res.MatchedKeys != 0 || d.Warnings().Len() != 0 {
				t.Fatalf("result %+v, warnings %d", res, d.Warnings().Len())
			}
			rj := d.Rejections()
			if len(rj) != 1 || rj[0].Reason == "" {
				t.Fatalf("rejections %+v", rj)
			}
			t.Logf("%s: %s", name, rj[0].Reason)
			st, _ := d.Status()
			if st.RejectedFiles != 1 || st.Warnings != 0 {
				t.Errorf("status %+v", st)
			}
		})
	}
}

func TestSyncClockDrift(t *testing.T) {
	v := loadVectors(t)
	// RPI #72 heard between 2 h 10 min early and 2 h 10 min late.
	for _, c := range []struct {
		offset time.Duration
		match  bool
	}{
		{-2*time.Hour - 10*time.Minute, false},
		{-2 * time.Hour, true},
		{-time.Hour, true},
		{0, true},
		{2 * time.Hour, true},
		{2*time.Hour + 10*time.Minute, false},
	} {
		t.Run(c.offset.String(), func(t *testing.T) {
			at := gaen.IntervalTime(v.First + 72).Add(c.offset).Add(time.Minute)
			es := newExportServer(t)
			s := newSigner(t, "452", "v1")
			clk := clock.NewFake(at)
			d := testDevice(t, clk, es.URL)
			d.TrustKey("452", "v1", s.pem)
			d.SetRiskConfigJSON(lowThreshold)
			hear(d, clk, at, v.RPIs[72], v.AEMs[72], -40)
			clk.Set(at.Add(30 * time.Hour))
			es.add(buildExport(t, []exportfile.Key{vectorKey(v)}, nil, s))
			res, err := d.Sync(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := res.MatchedKeys == 1 && d.Warnings().Len() == 1; got != c.match {
				t.Errorf("matched=%v (result %+v), want %v", got, res, c.match)
			}
		})
	}
}

func TestSyncNeedsTrustAndServer(t *testing.T) {
	es := newExportServer(t)
	clk := clock.NewFake(time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC))
	d := testDevice(t, clk, es.URL)
	if _, err := d.Sync(context.Background()); err == nil {
		t.Fatal("synced without trusted keys")
	}
	if _, err := d.FetchTrustedKeys(context.Background()); err == nil {
		t.Fatal("fetched an empty key list")
	}
	s := newSigner(t, "452", "v1")
	es.keys = []TrustedKey{s.trusted()}
	if n, err := d.FetchTrustedKeys(context.Background()); err != nil || n != 1 {
		t.Fatalf("fetch keys: %d %v", n, err)
	}
	if err := d.TrustKey("452", "v1", "not a key"); err == nil {
		t.Fatal("trusted a malformed key")
	}
	es.Close()
	if _, err := d.Sync(context.Background()); err == nil {
		t.Fatal("sync succeeded with the server down")
	}
}
