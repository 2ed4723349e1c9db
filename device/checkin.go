package device

import (
	"context"
	"fmt"
	"strings"
)

type checkinReq struct {
	Token      string `json:"token"`
	Province   string `json:"province"`
	District   string `json:"district,omitempty"`
	Platform   string `json:"platform"`
	AppVersion string `json:"appVersion"`
}

// DutiesResult says what RunDuties did.
type DutiesResult struct {
	CheckedIn bool
	ChaffSent bool
	// Errors joins non-fatal errors, "" if none.
	Errors string
}

// RunDuties does the device's periodic chores; the app calls it from its
// background job (the CLI from sync). It advances the key schedule (Tick),
// checks in once per UTC day (POST
// /v1/installs/checkin with the random install token, province, district,
// platform and app version, when a province is configured), sends a chaff
// round when one is due, and purges data older than 14 days.
func (d *Device) RunDuties(ctx context.Context) (*DutiesResult, error) {
	res := &DutiesResult{}
	var errs []string
	if err := d.Tick(); err != nil {
		return res, err
	}
	if ok, err := d.CheckIn(ctx, false); err != nil {
		errs = append(errs, err.Error())
	} else {
		res.CheckedIn = ok
	}
	d.mu.Lock()
	now := d.clock.Now()
	mean := d.st.Config.ChaffMeanHours
	due := mean > 0 && !d.st.NextChaff.IsZero() && !now.Before(d.st.NextChaff)
	if mean > 0 && (d.st.NextChaff.IsZero() || due) {
		d.st.NextChaff = d.nextChaffAfter(now, mean)
	}
	d.purgeLocked(now)
	err := d.saveLocked()
	d.mu.Unlock()
	if err != nil {
		return res, err
	}
	if due {
		if err := d.SendChaff(ctx); err != nil {
			errs = append(errs, err.Error())
		} else {
			res.ChaffSent = true
		}
	}
	res.Errors = strings.Join(errs, "; ")
	return res, nil
}

// CheckIn sends the daily install check-in unless one was already sent today
// (UTC) or force is set. It reports whether it sent one. Without a province
// configured it does nothing.
func (d *Device) CheckIn(ctx context.Context, force bool) (bool, error) {
	d.mu.Lock()
	cfg := d.st.Config
	today := dayName(d.clock.Now())
	done := d.st.LastCheckinDay == today
	tok := d.st.InstallToken
	d.mu.Unlock()
	if cfg.Province == "" || (done && !force) {
		return false, nil
	}
	base := strings.TrimRight(cfg.ServerURL, "/")
	err := d.post(ctx, base+"/v1/installs/checkin", "", false,
		checkinReq{Token: tok, Province: cfg.Province, District: cfg.District, Platform: cfg.Platform, AppVersion: cfg.AppVersion}, nil)
	if err != nil {
		return false, fmt.Errorf("check-in: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.LastCheckinDay = today
	return true, d.saveLocked()
}
