package sim

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/device"
)

// Outcome is what happened to one person.
type Outcome struct {
	Person *Person
	// Warned is "F1", "F2" or "" (the highest warning on the phone).
	Warned string
	// Truth is "F0" for the case, "F1"/"F2" when the person spent 15
	// minutes within 2 m of the case (or of the reporting F1) on an
	// infectious day, "near" when within 2 m but less (or outside that
	// period), "" otherwise.
	Truth string
	// CloseMinutes is the most minutes within 2 m of the case (or the F1)
	// on one day.
	CloseMinutes int
}

// Result is the outcome of a scenario.
type Result struct {
	Case, F1 int // person ids; F1 is -1 if nobody was warned
	Outcomes []Outcome
	// Counters.
	Scans, Heard, CafeVisits, TakeAways, Syncs int64
	SimDuration                                time.Duration
}

// Run plays the scenario: Days days of town life; on the evening of CaseDay
// the case tests positive, a health worker issues a "confirmed" code and
// the case reports (and isolates); at the end exports are built and every
// phone syncs; then one warned F1 gets a "contact" code, reports, exports
// are built again and every phone syncs once more.
func (s *Sim) Run(ctx context.Context) (*Result, error) {
	res := &Result{F1: -1}
	ppl := s.town.people
	caseID := s.caseID
	res.Case = caseID
	caseP := ppl[caseID]
	onCase := s.dayStart(s.cfg.CaseDay).AddDate(0, 0, -1) // symptom onset: the day before the test
	s.say(s.cfg.Start, "%d people in %d households, %d workplaces and a café; %d have the app switched off.",
		len(ppl), len(s.town.households), len(s.town.workplaces), countOff(ppl))

	for day := 0; day < s.cfg.Days; day++ {
		start := s.dayStart(day)
		// Phones with Bluetooth off still keep their key schedule.
		for id, p := range ppl {
			if !p.AppOn {
				if err := s.devices[id].Tick(); err != nil {
					return nil, err
				}
			}
		}
		moves := s.planDay(start)
		reportAt := int64(-1)
		if day == s.cfg.CaseDay {
			reportAt = at(start, 20, 0)
		}
		for _, m := range moves {
			if reportAt >= 0 && m.at >= reportAt {
				if err := s.caseReports(ctx, caseP, onCase, reportAt); err != nil {
					return nil, err
				}
				reportAt = -1
			}
			s.runUntil(m.at)
			s.apply(m)
		}
		if reportAt >= 0 {
			s.runUntil(reportAt)
			if err := s.caseReports(ctx, caseP, onCase, reportAt); err != nil {
				return nil, err
			}
		}
		s.runUntil(s.dayStart(day + 1).Unix())
		st := s.air.Stats()
		s.say(s.dayStart(day+1).Add(-time.Minute), "day %d over: %d scans, %d advertisements heard so far; %d café visits, %d take-aways.",
			day+1, st.Scans, st.Heard, s.cafeVisits, s.takeAways)
	}
	end := s.dayStart(s.cfg.Days)
	s.closeSegments(end.Unix())

	// Exports are built and every phone syncs.
	if err := s.exportAndSync(ctx, "the case's keys"); err != nil {
		return nil, err
	}
	warned := s.warnedKinds()
	var f1s []int
	for id, k := range warned {
		if k == device.KindF1 && id != caseID {
			f1s = append(f1s, id)
		}
	}
	sort.Ints(f1s)
	s.say(s.cfg.Clock.Now(), "%d phones show an F1 warning.", len(f1s))

	// One F1 is authorised by a health worker to warn their own contacts:
	// preferably someone of the case's household who works elsewhere (their
	// colleagues become F2s), else any F1 with a workplace.
	f1 := -1
	for _, id := range f1s {
		if p := ppl[id]; p.Household == caseP.Household && p.Work >= 0 && p.Work != caseP.Work {
			f1 = id
			break
		}
	}
	for _, id := range f1s {
		if f1 < 0 && ppl[id].Work >= 0 {
			f1 = id
		}
	}
	if f1 < 0 && len(f1s) > 0 {
		f1 = f1s[0]
	}
	res.F1 = f1
	var onF1 time.Time
	if f1 >= 0 {
		onF1 = s.firstWarningDay(f1).AddDate(0, 0, 2)
		now := s.cfg.Clock.Now().Add(time.Hour)
		s.runUntil(now.Unix())
		code, err := s.srv.IssueCode(ctx, "contact", onF1)
		if err != nil {
			return nil, fmt.Errorf("issue contact code: %w", err)
		}
		rr, err := s.devices[f1].Report(ctx, code, true)
		if err != nil {
			return nil, fmt.Errorf("F1 report: %w", err)
		}
		s.say(s.cfg.Clock.Now(), "F1 %s calls the hotline; a health worker issues a 'contact' code; the phone shares %d keys with consent.", ppl[f1].Name, rr.Keys)
		if err := s.exportAndSync(ctx, "the F1's keys"); err != nil {
			return nil, err
		}
		warned = s.warnedKinds()
	}

	// Ground truth and outcomes.
	for _, p := range ppl {
		o := Outcome{Person: p, Warned: warned[p.ID]}
		if p.ID == caseID {
			o.Truth = "F0"
		} else {
			c1, b1 := contactClass(p, caseP, onCase)
			o.CloseMinutes = int(b1 / 60)
			switch {
			case c1 == "close":
				o.Truth = "F1"
			case f1 >= 0 && p.ID != f1:
				c2, b2 := contactClass(p, ppl[f1], onF1)
				if c2 == "close" {
					o.Truth, o.CloseMinutes = "F2", int(b2/60)
				} else if c1 == "near" || c2 == "near" {
					o.Truth = "near"
					o.CloseMinutes = int(max(b1, b2) / 60)
				}
			case c1 == "near":
				o.Truth = "near"
			}
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	st := s.air.Stats()
	res.Scans, res.Heard = st.Scans, st.Heard
	res.CafeVisits, res.TakeAways, res.Syncs = int64(s.cafeVisits), int64(s.takeAways), int64(s.syncs)
	res.SimDuration = s.cfg.Clock.Now().Sub(s.cfg.Start)
	return res, nil
}

func (s *Sim) pickCase() int {
	// A worker with a household of several people and colleagues.
	for _, p := range s.town.people {
		if p.Work >= 0 && p.AppOn && len(s.town.households[p.Household]) >= 3 && len(s.town.workplaces[p.Work]) >= 8 {
			return p.ID
		}
	}
	for _, p := range s.town.people {
		if p.AppOn {
			return p.ID
		}
	}
	return 0
}

func (s *Sim) caseReports(ctx context.Context, p *Person, onset time.Time, t int64) error {
	s.runUntil(t)
	now := s.cfg.Clock.Now()
	s.say(now, "%s tests positive for COVID-19 (symptoms since %s).", p.Name, onset.Format("Mon 02 Jan"))
	code, err := s.srv.IssueCode(ctx, "confirmed", onset)
	if err != nil {
		return fmt.Errorf("issue code: %w", err)
	}
	s.say(now, "A health worker issues verification code %s…; %s agrees to share the phone's keys.", code[:min(2, len(code))], p.Name)
	rr, err := s.devices[p.ID].Report(ctx, code, true)
	if err != nil {
		return fmt.Errorf("case report: %w", err)
	}
	s.say(now, "The phone shared %d daily keys (today's released early); %s now isolates at home.", rr.Keys, p.Name)
	s.isolated[p.ID] = true
	return nil
}

// exportAndSync advances time past the export embargo, builds exports and
// lets every phone sync.
func (s *Sim) exportAndSync(ctx context.Context, what string) error {
	// Keys released today are embargoed until they expire, and batches are
	// exported after their window: run the town 4 more hours.
	s.runUntil(s.cfg.Clock.Now().Add(4 * time.Hour).Unix())
	if err := s.srv.Export(ctx); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	s.say(s.cfg.Clock.Now(), "The export worker signs a new file with %s; every phone with the app on syncs.", what)
	// Phones sync on their own; here a few at a time over loopback HTTP.
	var (
		mu               sync.Mutex
		f1, f2, rejected int
		firstErr         error
		wg               sync.WaitGroup
		next             = make(chan int)
	)
	for w := 0; w < max(2, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				d := s.devices[id]
				r, err := d.Sync(ctx)
				if err == nil {
					_, err = d.RunDuties(ctx)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("sync %s: %w", s.town.people[id].Name, err)
				}
				if r != nil {
					if r.NewF1 > 0 {
						f1++
					}
					if r.NewF2 > 0 {
						f2++
					}
					rejected += r.Rejected
				}
				s.syncs++
				mu.Unlock()
			}
		}()
	}
	for id := range s.devices {
		if s.town.people[id].AppOn {
			next <- id
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	s.say(s.cfg.Clock.Now(), "Sync done: %d phone(s) raised a new F1 warning, %d a new F2 warning; %d file(s) rejected.", f1, f2, rejected)
	return nil
}

// warnedKinds returns each person's highest warning.
func (s *Sim) warnedKinds() map[int]string {
	out := map[int]string{}
	for id, d := range s.devices {
		for _, w := range d.Warnings().All() {
			if w.Kind == device.KindF1 || out[id] == "" {
				out[id] = w.Kind
			}
		}
	}
	return out
}

func (s *Sim) firstWarningDay(id int) time.Time {
	for _, w := range s.devices[id].Warnings().All() {
		if w.Kind == device.KindF1 {
			t, _ := time.Parse("2006-01-02", w.Day)
			return t
		}
	}
	return s.cfg.Clock.Now()
}

func countOff(ppl []*Person) int {
	n := 0
	for _, p := range ppl {
		if !p.AppOn {
			n++
		}
	}
	return n
}

// Summary writes who was warned, who was near but below the threshold, and
// who was not warned.
func (r *Result) Summary() string {
	var b strings.Builder
	group := map[string][]Outcome{}
	for _, o := range r.Outcomes {
		key := ""
		switch {
		case o.Truth == "F0":
			key = "case"
		case o.Warned != "" && o.Warned == o.Truth:
			key = "warned " + o.Warned
		case o.Warned != "":
			truth := o.Truth
			if truth == "" || truth == "near" {
				truth = "no close contact"
			}
			key = "warned " + o.Warned + " (ground truth: " + truth + ")"
		case (o.Truth == "F1" || o.Truth == "F2") && !o.Person.AppOn:
			key = "close contact, app off: not warned"
		case o.Truth == "F1" || o.Truth == "F2":
			key = "close contact but NOT warned"
		case o.Truth == "near":
			key = "near but below the threshold: not warned"
		default:
			key = "not warned"
		}
		group[key] = append(group[key], o)
	}
	order := []string{"case", "warned F1", "warned F2", "warned F1 (ground truth: F2)", "warned F2 (ground truth: F1)",
		"warned F1 (ground truth: no close contact)", "warned F2 (ground truth: no close contact)",
		"close contact but NOT warned", "close contact, app off: not warned",
		"near but below the threshold: not warned", "not warned"}
	for _, k := range order {
		os := group[k]
		if len(os) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-52s %5d", k, len(os))
		if k != "not warned" {
			var names []string
			for i, o := range os {
				if i == 8 {
					names = append(names, fmt.Sprintf("… %d more", len(os)-8))
					break
				}
				n := o.Person.Name
				if o.CloseMinutes > 0 && k != "case" {
					n += fmt.Sprintf(" (%d min ≤2 m)", o.CloseMinutes)
				}
				names = append(names, n)
			}
			fmt.Fprintf(&b, "  %s", strings.Join(names, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}
