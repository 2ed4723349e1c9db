package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/device"
	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// TestOfficialVectorsEndToEnd: a phone whose first daily key is the test
// vector TEK reports it through the real server; a phone that heard RPI
// number 5 of the vectors (with its AEM) is warned after the export, with
// its exposure window in interval 2642981.
func TestOfficialVectorsEndToEnd(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "gaen-test-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		TEK   string `json:"tek"`
		First uint32 `json:"first_interval_number"`
		RPIs  []struct {
			RPI string `json:"rpi"`
			AEM string `json:"aem"`
		} `json:"rpis"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	tek, _ := hex.DecodeString(v.TEK)
	rpi5, _ := hex.DecodeString(v.RPIs[5].RPI)
	aem5, _ := hex.DecodeString(v.RPIs[5].AEM)
	var adv gaen.Advertisement
	copy(adv.RPI[:], rpi5)
	copy(adv.AEM[:], aem5)

	ctx := context.Background()
	day := gaen.IntervalTime(v.First) // 2020-04-02T00:00:00Z
	clk := clock.NewFake(day.Add(5 * time.Minute))
	srv := newAppServer(t, clk)

	// The reporting phone: its random source yields the install token, the
	// nonce sealing its first state, and then the vector TEK as its first
	// key.
	rnd := io.MultiReader(bytes.NewReader(make([]byte, 24+12)), bytes.NewReader(tek), rand.Reader)
	cfg := device.DefaultConfig(srv.URL())
	cfg.APIKey = srv.DeviceAPIKey()
	reporter, err := device.Create(t.TempDir(), cfg, &device.Options{Clock: clk, Rand: rnd, DeviceKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer reporter.Close()
	p, _ := gaen.ParsePayload(reporter.AdvertisementPayload())
	var tekArr gaen.TEK
	copy(tekArr[:], tek)
	if p.RPI != gaen.DeriveRPI(tekArr, gaen.IntervalNumber(clk.Now())) {
		t.Fatal("the reporting phone does not use the vector TEK")
	}

	listener, err := device.Create(t.TempDir(), cfg, &device.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	if _, err := listener.FetchTrustedKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// 5 minutes' worth in the risk configuration: one interval of RPI 5.
	if err := listener.SetRiskConfigJSON(`{"f1MinimumDailyScore": 300}`); err != nil {
		t.Fatal(err)
	}
	// Heard three times during interval 2642981 (00:50–01:00 UTC), at
	// RSSI −40 (attenuation 8 − (−40) = 48 dB with the vectors' TX power).
	for _, m := range []time.Duration{51, 54, 57} {
		clk.Set(day.Add(m * time.Minute))
		listener.Heard(adv.Payload(), -40, -38)
		listener.ScanDone(1)
	}

	// The same evening the reporter tests positive and shares its key.
	clk.Set(day.Add(20 * time.Hour))
	code, err := srv.IssueCode(ctx, "confirmed", day)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := reporter.Report(ctx, code, true)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Keys != 1 {
		t.Fatalf("reported %d keys, want the vector TEK only", rr.Keys)
	}
	// Before the key's embargo ends nothing is exported.
	if err := srv.Export(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := listener.Sync(ctx); err != nil || res.MatchedKeys != 0 || listener.Warnings().Len() != 0 {
		t.Fatalf("warned before the embargo: %+v %v", res, err)
	}
	clk.Set(day.Add(28 * time.Hour))
	if err := srv.Export(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := listener.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.MatchedKeys != 1 || res.NewF1 != 1 {
		t.Fatalf("sync %+v, want the vector key matched and one F1", res)
	}
	ws := listener.Warnings().All()
	if len(ws) != 1 || ws[0].Kind != device.KindF1 || ws[0].Day != "2020-04-02" {
		t.Fatalf("warnings %+v", ws)
	}
	wins := listener.ExposureWindows().All()
	if len(wins) != 1 || gaen.IntervalNumber(time.Unix(wins[0].StartUnix, 0)) != v.First+5 || wins[0].Scans != 3 {
		t.Fatalf("windows %+v, want one of 3 scans in interval %d", wins, v.First+5)
	}
}
