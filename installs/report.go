package installs

import "time"

// This file holds the read-side view types that the dashboard renders and the
// download handlers serialise. They are stable: fields may be added, none
// renamed or removed. JSON names are the ones the /data/… downloads use.

// Denominator kinds: what a rate is measured against.
const (
	// KindPopulation is the total population (2019 census unless replaced).
	KindPopulation = "population"
	// KindAdults is the adult population: census × Config.AdultShare unless
	// an operator loaded a figure.
	KindAdults = "adults"
	// KindSmartphones is the number of smartphones, when an operator loaded
	// one; zero (unknown) otherwise.
	KindSmartphones = "smartphones"
)

// Sources of an install figure.
const (
	// SourceCounted: the figure comes from anonymous check-ins.
	SourceCounted = "counted"
	// SourceImported: the figure comes from official figures an operator
	// imported from CSV (see ImportOfficial); shown labelled "imported".
	SourceImported = "imported"
	// SourceMixed: a national total summing counted and imported provinces.
	SourceMixed = "mixed"
)

// Denominator is the population figure a rate is measured against.
type Denominator struct {
	Kind  string `json:"kind"` // KindPopulation, KindAdults or KindSmartphones
	Value int64  `json:"value"`
}

// NationalReport is the data of the national page for one day: totals, the
// rate, progress toward the national target and the ranking of the 63
// provinces.
type NationalReport struct {
	Day         time.Time `json:"-"`    // local midnight (Config.Location) of the day reported
	Date        string    `json:"date"` // Day as YYYY-MM-DD
	Installs    int64     `json:"installs"`
	Active      int64     `json:"active"`   // devices that checked in within Config.ActiveDays (counted only)
	Inactive    int64     `json:"inactive"` // counted devices not active: counted installs − active
	NewInstalls int64     `json:"newInstalls"`
	// ChangeSinceYesterday is Installs minus the previous day's Installs.
	ChangeSinceYesterday int64       `json:"changeSinceYesterday"`
	Denominator          Denominator `json:"denominator"`
	Rate                 float64     `json:"rate"`          // Installs / Denominator.Value, 0..1 (may exceed 1 with bad denominators)
	ExpectedReach        float64     `json:"expectedReach"` // Rate², the share of contacts where both have the app
	// Target is the national target's progress; nil when no target is set.
	Target    *TargetProgress `json:"target,omitempty"`
	Provinces []ProvinceRow   `json:"provinces"` // ranked: by Rank, then by code
	Source    string          `json:"source"`    // SourceCounted, SourceImported or SourceMixed
	// Series is the national installs per day over Config.SeriesDays up to
	// Day, followed by projected points at the current pace.
	Series []SeriesPoint `json:"series,omitempty"`
}

// ProvinceRow is one province's line in the national ranking table, or the
// head of a province page.
type ProvinceRow struct {
	Code                 string  `json:"code"`
	Name                 string  `json:"name"`
	Installs             int64   `json:"installs"`
	Active               int64   `json:"active"`
	NewInstalls          int64   `json:"newInstalls"`
	ChangeSinceYesterday int64   `json:"changeSinceYesterday"`
	Denominator          int64   `json:"denominator"` // of NationalReport.Denominator.Kind
	Rate                 float64 `json:"rate"`
	// Rank is 1 for the highest rate; equal rates share a rank and the next
	// rank skips ("1, 2, 2, 4").
	Rank int `json:"rank"`
	// RankChange is yesterday's rank minus today's: positive = moved up.
	RankChange int `json:"rankChange"`
	// DaysToTarget is how many days at the current pace until the
	// province's target installs are reached: 0 when reached, nil when the
	// pace is zero or there is no target.
	DaysToTarget  *int    `json:"daysToTarget"`
	ExpectedReach float64 `json:"expectedReach"`
	// Imported says the figures come from an official import (dated
	// ImportedDate) rather than from check-ins.
	Imported     bool   `json:"imported"`
	ImportedDate string `json:"importedDate,omitempty"`
	// Counted is the counted-check-in figure, kept apart from imports.
	Counted int64 `json:"counted"`
}

// TargetProgress is progress toward a target: Rate of the DenominatorKind
// population installed by Date.
type TargetProgress struct {
	Rate            float64   `json:"rate"`
	DenominatorKind string    `json:"denominatorKind"`
	Denominator     int64     `json:"denominator"`
	Date            time.Time `json:"-"`
	DateString      string    `json:"date"` // YYYY-MM-DD
	TargetInstalls  int64     `json:"targetInstalls"`
	Remaining       int64     `json:"remaining"` // never negative
	DaysLeft        int       `json:"daysLeft"`  // days after the report day up to and including Date; 0 when past
	// RequiredPerDay is Remaining/DaysLeft (Remaining when DaysLeft is 0).
	RequiredPerDay float64 `json:"requiredPerDay"`
	// CurrentPacePerDay is the mean daily increase over the last
	// Config.PaceDays days.
	CurrentPacePerDay float64 `json:"currentPacePerDay"`
	Progress          float64 `json:"progress"` // installs / TargetInstalls, capped at 1
	OnTrack           bool    `json:"onTrack"`  // reached, or pace ≥ required
	// DaysToTarget at the current pace; nil when the pace is zero.
	DaysToTarget *int `json:"daysToTarget"`
}

// ProvinceReport is the data of one province's page for one day.
type ProvinceReport struct {
	Day       time.Time     `json:"-"`
	Date      string        `json:"date"`
	Province  ProvinceRow   `json:"province"`  // with its national rank
	Districts []DistrictRow `json:"districts"` // ranked by rate
	// DistrictSum is the sum of the districts' installs. Unattributed is the
	// province total minus DistrictSum: check-ins without a district, or in
	// imported figures the part "not attributed to a district" (negative
	// when the districts add up to more than the total).
	DistrictSum  int64 `json:"districtSum"`
	Unattributed int64 `json:"unattributed"`
	// Flagged is set when imported district figures disagree with the
	// imported province total.
	Flagged bool            `json:"flagged"`
	Series  []SeriesPoint   `json:"series"`
	Target  *TargetProgress `json:"target,omitempty"`
	// Agencies is the province's deployment reports for its current
	// campaign (zero value when there is none).
	Agencies AgencySummary `json:"agencies"`
	Source   string        `json:"source"`
}

// DistrictRow is one district's line on a province page.
type DistrictRow struct {
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	Installs      int64   `json:"installs"`
	Active        int64   `json:"active"`
	Denominator   int64   `json:"denominator"`
	Rate          float64 `json:"rate"`
	Rank          int     `json:"rank"` // within the province, ties share
	ExpectedReach float64 `json:"expectedReach"`
}

// SeriesPoint is one day of a time series; Projected points extend the line
// at the current pace.
type SeriesPoint struct {
	Day       time.Time `json:"-"`
	Date      string    `json:"date"`
	Installs  int64     `json:"installs"`
	Projected bool      `json:"projected"`
}

// AgencySummary is a province's deployment reports for one campaign: which
// units reported, which are late, and the totals.
type AgencySummary struct {
	Campaign       *Campaign    `json:"campaign,omitempty"`
	Units          []UnitStatus `json:"units"`
	TotalStaff     int64        `json:"totalStaff"`
	TotalInstalled int64        `json:"totalInstalled"`
	Rate           float64      `json:"rate"` // TotalInstalled / TotalStaff
	Reported       int          `json:"reported"`
	Late           int          `json:"late"`
}

// UnitStatus is one agency or unit in an AgencySummary, with its latest
// report in the campaign.
type UnitStatus struct {
	AgencyID  int64   `json:"agencyId"`
	Name      string  `json:"name"`
	Reported  bool    `json:"reported"`
	Late      bool    `json:"late"` // no report by the campaign's deadline (missing, or sent after it)
	Staff     int64   `json:"staff"`
	Installed int64   `json:"installed"`
	Rate      float64 `json:"rate"`
	Date      string  `json:"date,omitempty"` // report date, YYYY-MM-DD
}

// Campaign is a deployment campaign with its deadlines. Province "VN" means
// every province.
type Campaign struct {
	ID          int64  `json:"id"`
	Province    string `json:"province"`
	Name        string `json:"name"`
	Start       string `json:"start"`       // YYYY-MM-DD
	GuidanceDue string `json:"guidanceDue"` // YYYY-MM-DD, may be empty
	ReportsDue  string `json:"reportsDue"`  // YYYY-MM-DD
}
