package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/device"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// TestDutiesAgainstServer: the daily check-in goes once per UTC day, chaff
// rounds are answered by the real server and store nothing, and a report
// without consent sends nothing (its code stays unused).
func TestDutiesAgainstServer(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2020, 7, 20, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	srv := newAppServer(t, clk)
	cfg := device.DefaultConfig(srv.URL())
	cfg.APIKey, cfg.Province, cfg.District, cfg.ChaffMeanHours = srv.DeviceAPIKey(), "48", "490", 6
	d, err := device.Create(t.TempDir(), cfg, &device.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	r, err := d.RunDuties(ctx)
	if err != nil || !r.CheckedIn || r.ChaffSent || r.Errors != "" {
		t.Fatalf("first duties: %+v %v", r, err)
	}
	clk.Advance(time.Hour)
	if r, _ = d.RunDuties(ctx); r.CheckedIn {
		t.Error("checked in twice on one day")
	}
	exposures := func() int {
		var n int
		if err := srv.App.DB().QueryRow(ctx, "SELECT COUNT(*) FROM exposures").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Within 10 days a chaff round (mean 6 h) is certain to fall due.
	chaff := 0
	for i := 0; i < 40; i++ {
		clk.Advance(6 * time.Hour)
		r, err := d.RunDuties(ctx)
		if err != nil || r.Errors != "" {
			t.Fatalf("duties: %+v %v", r, err)
		}
		if r.ChaffSent {
			chaff++
		}
	}
	if chaff == 0 {
		t.Fatal("no chaff round in 10 days")
	}
	if n := exposures(); n != 0 {
		t.Fatalf("chaff stored %d exposures", n)
	}
	st, _ := d.Status()
	if st.LastCheckinDay != clk.Now().Format("2006-01-02") {
		t.Errorf("last check-in %q", st.LastCheckinDay)
	}

	// No consent: nothing is sent, so the code is still unused.
	code, err := srv.IssueCode(ctx, "confirmed", clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Report(ctx, code, false); err != device.ErrNoConsent {
		t.Fatalf("report without consent: %v", err)
	}
	if n := exposures(); n != 0 {
		t.Fatal("keys stored without consent")
	}
	rr, err := d.Report(ctx, code, true)
	if err != nil {
		t.Fatalf("the code was used by the refused report: %v", err)
	}
	if rr.Keys < 10 || exposures() < 10 {
		t.Fatalf("reported %d keys, stored %d", rr.Keys, exposures())
	}
	// A wrong code is refused with the server's error code.
	if _, err := d.Report(ctx, "00000000", true); err == nil || !strings.Contains(err.Error(), "/api/verify") {
		t.Fatalf("wrong code: %v", err)
	}
}
