package device

import (
	"sort"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
)

// Status is a snapshot of a device for display.
type Status struct {
	ServerURL      string
	TrustedKeys    int
	OwnKeys        int
	ReleasedKeys   int
	CurrentRPI     string // the identifier broadcast now (public)
	SightingDays   int
	Sightings      int
	LastSyncUnix   int64 // 0 if never
	LastExport     string
	Warnings       int
	RejectedFiles  int
	Reports        int
	LastCheckinDay string
	Running        bool
	// LastError is the last background error (key schedule or sighting
	// log), "" if none.
	LastError string
}

// Status returns a snapshot of the device.
func (d *Device) Status() (*Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	s := &Status{
		ServerURL:      d.st.Config.ServerURL,
		TrustedKeys:    len(d.st.TrustedKeys),
		LastExport:     d.st.LastExport,
		RejectedFiles:  len(d.st.Rejected),
		Reports:        len(d.st.Reports),
		LastCheckinDay: d.st.LastCheckinDay,
		Running:        d.radio != nil,
	}
	if !d.st.LastSync.IsZero() {
		s.LastSyncUnix = d.st.LastSync.Unix()
	}
	if p, err := d.payloadLocked(gaen.IntervalNumber(now)); err == nil {
		if adv, err := gaen.ParsePayload(p); err == nil {
			s.CurrentRPI = adv.RPI.String()
		}
	}
	for _, k := range d.st.TEKs {
		s.OwnKeys++
		if k.Released {
			s.ReleasedKeys++
		}
	}
	days := map[string]bool{}
	if err := d.log.readSince("", func(x *sighting) {
		s.Sightings++
		days[dayName(time.Unix(x.Time, 0))] = true
	}); err != nil {
		return nil, err
	}
	s.SightingDays = len(days)
	s.Warnings = len(d.warningsLocked(now))
	if d.lastErr != nil {
		s.LastError = d.lastErr.Error()
	}
	return s, nil
}

// DaySeen says how much the device heard on one UTC day.
type DaySeen struct {
	Day string
	// Sightings counts scan records (one per identifier per scan).
	Sightings int
	// Identifiers counts distinct rolling identifiers (each lives about
	// 10 minutes, so one phone nearby all day gives up to 144).
	Identifiers int
	// Devices estimates the distinct phones: identifiers are chained when
	// one was last heard in the interval before (or two before) another was
	// first heard, as a phone's rotating identifiers are; the number of
	// chains is the estimate. Identifiers cannot be linked for certain —
	// that is the point of rotating them.
	Devices int
}

// SeenList is a list of DaySeen, oldest first.
type SeenList struct{ items []DaySeen }

// Len returns the number of days.
func (l *SeenList) Len() int { return len(l.items) }

// At returns day i.
func (l *SeenList) At(i int) *DaySeen { s := l.items[i]; return &s }

// All returns the days as a slice (for Go callers).
func (l *SeenList) All() []DaySeen { return append([]DaySeen(nil), l.items...) }

// SeenPerDay reports, for each day in the sighting log, how many sightings,
// identifiers and (estimated) devices were heard.
func (d *Device) SeenPerDay() (*SeenList, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	type span struct{ first, last uint32 }
	byDay := map[string]map[gaen.RPI]*span{}
	counts := map[string]int{}
	err := d.log.readSince("", func(x *sighting) {
		day := dayName(time.Unix(x.Time, 0))
		m := byDay[day]
		if m == nil {
			m = map[gaen.RPI]*span{}
			byDay[day] = m
		}
		i := gaen.IntervalNumber(time.Unix(x.Time, 0))
		counts[day]++
		if sp := m[x.RPI]; sp != nil {
			sp.first, sp.last = min(sp.first, i), max(sp.last, i)
		} else {
			m[x.RPI] = &span{i, i}
		}
	})
	if err != nil {
		return nil, err
	}
	out := &SeenList{}
	for day, m := range byDay {
		spans := make([]span, 0, len(m))
		for _, sp := range m {
			spans = append(spans, *sp)
		}
		sort.Slice(spans, func(a, b int) bool { return spans[a].first < spans[b].first })
		// Greedy chaining: open chains by the interval their last
		// identifier was last heard in.
		open := map[uint32]int{}
		chains := 0
		for _, sp := range spans {
			switch {
			case sp.first >= 1 && open[sp.first-1] > 0:
				open[sp.first-1]--
			case sp.first >= 2 && open[sp.first-2] > 0:
				open[sp.first-2]--
			default:
				chains++
			}
			open[sp.last]++
		}
		out.items = append(out.items, DaySeen{Day: day, Sightings: counts[day], Identifiers: len(m), Devices: chains})
	}
	sort.Slice(out.items, func(a, b int) bool { return out.items[a].Day < out.items[b].Day })
	return out, nil
}

// Warnings lists the current warnings, oldest day first.
func (d *Device) Warnings() *WarningList {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &WarningList{items: d.warningsLocked(d.clock.Now())}
}

// DaySummaries lists the scored days with any exposure, including those
// below the warning thresholds.
func (d *Device) DaySummaries() *DaySummaryList {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &DaySummaryList{items: summarize(d.st.Exposures, d.risk, d.clock.Now())}
}

func (d *Device) warningsLocked(now time.Time) []Warning {
	return warningsFrom(summarize(d.st.Exposures, d.risk, now), d.risk, func(kind, day string) time.Time {
		for _, n := range d.st.Notified {
			if n.Kind == kind && n.Day == day {
				return n.At
			}
		}
		return now
	})
}

// RiskConfigJSON returns the risk configuration in use, as JSON.
func (d *Device) RiskConfigJSON() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.risk.JSON()
}

// SetRiskConfigJSON replaces the risk configuration (see ParseRiskConfig);
// an empty string restores DefaultRiskConfig. Warnings are re-derived from
// the stored exposures at once.
func (d *Device) SetRiskConfigJSON(js string) error {
	var c *RiskConfig
	if js != "" {
		var err error
		if c, err = ParseRiskConfig([]byte(js)); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Risk = c
	d.setup()
	d.noteWarningsLocked(d.clock.Now())
	return d.saveLocked()
}

// noteWarningsLocked records when each current warning was first raised and
// returns the warnings that are new.
func (d *Device) noteWarningsLocked(now time.Time) []Warning {
	var fresh []Warning
	for _, w := range d.warningsLocked(now) {
		found := false
		for _, n := range d.st.Notified {
			if n.Kind == w.Kind && n.Day == w.Day {
				found = true
				break
			}
		}
		if !found {
			d.st.Notified = append(d.st.Notified, notified{Kind: w.Kind, Day: w.Day, At: now})
			fresh = append(fresh, w)
		}
	}
	return fresh
}
