package installs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// Target is a rate of a denominator kind to reach by a date, for the
// nation (Scope "VN") or a province. A province without its own target
// follows the national one, measured on its own denominator.
type Target struct {
	Scope           string  `json:"scope"`
	Rate            float64 `json:"rate"` // 0 < rate ≤ 1
	DenominatorKind string  `json:"denominatorKind"`
	Date            string  `json:"date"` // YYYY-MM-DD
}

// Validate checks a target's fields and scope.
func (s *Server) validateTarget(t Target, realm string) error {
	if t.Scope != National {
		if err := s.checkPlace(realm, t.Scope, ""); err != nil {
			return err
		}
	} else if realm != National {
		return fmt.Errorf("only a national key may set the national target: %w", ErrForbidden)
	}
	if !(t.Rate > 0 && t.Rate <= 1) {
		return invalidf("rate must be in (0, 1], not %v", t.Rate)
	}
	if !validKind(t.DenominatorKind) {
		return invalidf("denominatorKind must be population, adults or smartphones, not %q", t.DenominatorKind)
	}
	if _, err := ParseDay(t.Date); err != nil {
		return invalidf("%v", err)
	}
	return nil
}

// SetTarget stores a national or province target. realm is the caller's.
func (s *Server) SetTarget(ctx context.Context, t Target, realm string) error {
	if err := s.validateTarget(t, realm); err != nil {
		return err
	}
	d, _ := ParseDay(t.Date)
	_, err := s.db.Exec(ctx, `INSERT INTO installs_targets (scope, rate, denominator_kind, target_day) VALUES (?, ?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET rate = excluded.rate, denominator_kind = excluded.denominator_kind,
		target_day = excluded.target_day`, t.Scope, t.Rate, t.DenominatorKind, int64(d))
	if err != nil {
		return fmt.Errorf("installs: store target: %w", err)
	}
	return nil
}

// TargetFor returns the target in force for scope: its own, else the
// national one, else the configured default.
func (s *Server) TargetFor(ctx context.Context, scope string) (Target, error) {
	for _, sc := range []string{scope, National} {
		var t Target
		var day int64
		err := s.db.QueryRow(ctx, `SELECT scope, rate, denominator_kind, target_day FROM installs_targets WHERE scope = ?`, sc).
			Scan(&t.Scope, &t.Rate, &t.DenominatorKind, &day)
		if err == nil {
			t.Date = Day(day).String()
			t.Scope = scope
			return t, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Target{}, fmt.Errorf("installs: read target: %w", err)
		}
		if sc == National {
			break
		}
	}
	t := s.target
	t.Scope = scope
	return t, nil
}

// progress computes TargetProgress for installs on day with the given
// denominator and pace.
func progress(t Target, denominator, installs int64, day Day, pace float64) *TargetProgress {
	td, err := ParseDay(t.Date)
	if err != nil {
		return nil
	}
	target := int64(math.Ceil(t.Rate * float64(denominator)))
	p := &TargetProgress{Rate: t.Rate, DenominatorKind: t.DenominatorKind, Denominator: denominator,
		Date: td.Time(), DateString: t.Date, TargetInstalls: target, CurrentPacePerDay: pace}
	p.Remaining = max(0, target-installs)
	p.DaysLeft = max(0, int(td-day))
	if p.DaysLeft > 0 {
		p.RequiredPerDay = float64(p.Remaining) / float64(p.DaysLeft)
	} else {
		p.RequiredPerDay = float64(p.Remaining)
	}
	if target > 0 {
		p.Progress = min(1, float64(installs)/float64(target))
	}
	p.DaysToTarget = daysToTarget(p.Remaining, pace)
	p.OnTrack = p.Remaining == 0 || (pace > 0 && pace >= p.RequiredPerDay)
	return p
}

// daysToTarget is remaining/pace rounded up: 0 when reached, nil when the
// pace is not positive.
func daysToTarget(remaining int64, pace float64) *int {
	if remaining <= 0 {
		z := 0
		return &z
	}
	if pace <= 0 {
		return nil
	}
	d := int(math.Ceil(float64(remaining) / pace))
	return &d
}
