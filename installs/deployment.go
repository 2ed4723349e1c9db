package installs

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNotFound is returned for unknown provinces, agencies and campaigns.
var ErrNotFound = errors.New("not found")

// ErrInvalid marks input that failed validation; the message says why.
var ErrInvalid = errors.New("invalid")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Agency is a unit of a province that reports its staff's installs.
type Agency struct {
	ID       int64  `json:"id"`
	Province string `json:"province"`
	Name     string `json:"name"`
}

// UnitReport is one agency's report in a campaign.
type UnitReport struct {
	CampaignID int64  `json:"campaignId"`
	AgencyID   int64  `json:"agencyId"`
	Date       string `json:"date"` // YYYY-MM-DD, not in the future
	Staff      int64  `json:"staff"`
	Installed  int64  `json:"installed"` // ≤ Staff
}

func checkName(name string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > 200 || !utf8.ValidString(name) {
		return invalidf("name must be 1 to 200 characters")
	}
	return nil
}

// AddAgency registers an agency in a province within realm.
func (s *Server) AddAgency(ctx context.Context, a Agency, realm string) (Agency, error) {
	if err := s.checkPlace(realm, a.Province, ""); err != nil {
		return Agency{}, err
	}
	if err := checkName(a.Name); err != nil {
		return Agency{}, err
	}
	a.Name = strings.TrimSpace(a.Name)
	err := s.db.QueryRow(ctx, `INSERT INTO installs_agencies (province, name) VALUES (?, ?) RETURNING id`, a.Province, a.Name).Scan(&a.ID)
	if err != nil {
		if isUnique(err) {
			return Agency{}, invalidf("an agency named %q already exists in province %s", a.Name, a.Province)
		}
		return Agency{}, fmt.Errorf("installs: add agency: %w", err)
	}
	return a, nil
}

// Agencies lists a province's agencies by name.
func (s *Server) Agencies(ctx context.Context, province string) ([]Agency, error) {
	rows, err := s.db.Query(ctx, `SELECT id, province, name FROM installs_agencies WHERE province = ? ORDER BY name, id`, province)
	if err != nil {
		return nil, fmt.Errorf("installs: list agencies: %w", err)
	}
	defer rows.Close()
	out := []Agency{}
	for rows.Next() {
		var a Agency
		if err := rows.Scan(&a.ID, &a.Province, &a.Name); err != nil {
			return nil, fmt.Errorf("installs: list agencies: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddCampaign creates a campaign for a province, or for every province
// (Province "VN", national keys only). Start ≤ GuidanceDue ≤ ReportsDue.
func (s *Server) AddCampaign(ctx context.Context, c Campaign, realm string) (Campaign, error) {
	if c.Province == National {
		if realm != National {
			return Campaign{}, fmt.Errorf("only a national key may create a national campaign: %w", ErrForbidden)
		}
	} else if err := s.checkPlace(realm, c.Province, ""); err != nil {
		return Campaign{}, err
	}
	if err := checkName(c.Name); err != nil {
		return Campaign{}, err
	}
	start, err := ParseDay(c.Start)
	if err != nil {
		return Campaign{}, invalidf("start: %v", err)
	}
	due, err := ParseDay(c.ReportsDue)
	if err != nil {
		return Campaign{}, invalidf("reportsDue: %v", err)
	}
	var guidance sql.NullInt64
	if c.GuidanceDue != "" {
		g, err := ParseDay(c.GuidanceDue)
		if err != nil {
			return Campaign{}, invalidf("guidanceDue: %v", err)
		}
		if g < start || g > due {
			return Campaign{}, invalidf("guidanceDue must lie between start and reportsDue")
		}
		guidance = sql.NullInt64{Int64: int64(g), Valid: true}
	}
	if due < start {
		return Campaign{}, invalidf("reportsDue must not be before start")
	}
	c.Name = strings.TrimSpace(c.Name)
	err = s.db.QueryRow(ctx, `INSERT INTO installs_campaigns (province, name, start_day, guidance_day, reports_day)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, c.Province, c.Name, int64(start), guidance, int64(due)).Scan(&c.ID)
	if err != nil {
		return Campaign{}, fmt.Errorf("installs: add campaign: %w", err)
	}
	return c, nil
}

const campaignCols = `id, province, name, start_day, guidance_day, reports_day`

func scanCampaign(sc interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var start, due int64
	var g sql.NullInt64
	if err := sc.Scan(&c.ID, &c.Province, &c.Name, &start, &g, &due); err != nil {
		return Campaign{}, err
	}
	c.Start, c.ReportsDue = Day(start).String(), Day(due).String()
	if g.Valid {
		c.GuidanceDue = Day(g.Int64).String()
	}
	return c, nil
}

// Campaigns lists the campaigns that apply to a province (its own and the
// national ones), newest first.
func (s *Server) Campaigns(ctx context.Context, province string) ([]Campaign, error) {
	rows, err := s.db.Query(ctx, `SELECT `+campaignCols+` FROM installs_campaigns
		WHERE province = ? OR province = ? ORDER BY start_day DESC, id DESC`, province, National)
	if err != nil {
		return nil, fmt.Errorf("installs: list campaigns: %w", err)
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("installs: list campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SubmitReport records a unit's report: the agency must exist in a
// province within realm, the campaign must apply to it, 0 ≤ installed ≤
// staff ≤ 10 million, and the date must not be in the future. A second
// report for the same date replaces the first.
func (s *Server) SubmitReport(ctx context.Context, r UnitReport, realm string) error {
	var a Agency
	err := s.db.QueryRow(ctx, `SELECT id, province, name FROM installs_agencies WHERE id = ?`, r.AgencyID).Scan(&a.ID, &a.Province, &a.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("agency %d: %w", r.AgencyID, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("installs: submit report: %w", err)
	}
	if err := s.checkPlace(realm, a.Province, ""); err != nil {
		return err
	}
	c, err := scanCampaign(s.db.QueryRow(ctx, `SELECT `+campaignCols+` FROM installs_campaigns WHERE id = ?`, r.CampaignID))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("campaign %d: %w", r.CampaignID, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("installs: submit report: %w", err)
	}
	if c.Province != National && c.Province != a.Province {
		return invalidf("campaign %d is for province %s, not %s", c.ID, c.Province, a.Province)
	}
	d, err := ParseDay(r.Date)
	if err != nil {
		return invalidf("date: %v", err)
	}
	today := s.Today()
	switch {
	case d > today:
		return invalidf("date %s is in the future", r.Date)
	case r.Staff < 0 || r.Installed < 0:
		return invalidf("staff and installed must not be negative")
	case r.Staff > 10_000_000:
		return invalidf("staff must be at most 10,000,000")
	case r.Installed > r.Staff:
		return invalidf("installed (%d) must not exceed staff (%d)", r.Installed, r.Staff)
	}
	_, err = s.db.Exec(ctx, `INSERT INTO installs_unit_reports (campaign_id, agency_id, day, staff, installed, submitted_day)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, agency_id, day) DO UPDATE SET staff = excluded.staff,
		installed = excluded.installed, submitted_day = excluded.submitted_day`,
		r.CampaignID, r.AgencyID, int64(d), r.Staff, r.Installed, int64(today))
	if err != nil {
		return fmt.Errorf("installs: submit report: %w", err)
	}
	return nil
}

// AgencySummary returns a province's deployment status in a campaign on
// day: each agency's latest report, whether it reported, whether it is late
// (the reports deadline passed before day and it sent nothing by then), and
// the totals. campaignID 0 picks the newest campaign that applies to the
// province and started on or before day; with none, the summary lists the
// agencies with no campaign.
func (s *Server) AgencySummary(ctx context.Context, province string, campaignID int64, day Day) (AgencySummary, error) {
	var sum AgencySummary
	var c Campaign
	var err error
	if campaignID != 0 {
		c, err = scanCampaign(s.db.QueryRow(ctx, `SELECT `+campaignCols+` FROM installs_campaigns WHERE id = ? AND (province = ? OR province = ?)`,
			campaignID, province, National))
	} else {
		c, err = scanCampaign(s.db.QueryRow(ctx, `SELECT `+campaignCols+` FROM installs_campaigns
			WHERE (province = ? OR province = ?) AND start_day <= ? ORDER BY start_day DESC, id DESC LIMIT 1`, province, National, int64(day)))
	}
	switch {
	case errors.Is(err, sql.ErrNoRows) && campaignID != 0:
		return sum, fmt.Errorf("campaign %d: %w", campaignID, ErrNotFound)
	case errors.Is(err, sql.ErrNoRows):
		c.ID = 0
	case err != nil:
		return sum, fmt.Errorf("installs: agency summary: %w", err)
	default:
		sum.Campaign = &c
	}
	agencies, err := s.Agencies(ctx, province)
	if err != nil {
		return sum, err
	}
	type rep struct {
		day, submitted, staff, installed int64
		onTime                           bool
	}
	latest := map[int64]*rep{}
	var due Day
	if sum.Campaign != nil {
		due, _ = ParseDay(c.ReportsDue)
		rows, err := s.db.Query(ctx, `SELECT r.agency_id, r.day, r.submitted_day, r.staff, r.installed
			FROM installs_unit_reports r JOIN installs_agencies a ON a.id = r.agency_id
			WHERE r.campaign_id = ? AND a.province = ? AND r.day <= ? ORDER BY r.day, r.id`, c.ID, province, int64(day))
		if err != nil {
			return sum, fmt.Errorf("installs: agency summary: %w", err)
		}
		for rows.Next() {
			var id int64
			var x rep
			if err := rows.Scan(&id, &x.day, &x.submitted, &x.staff, &x.installed); err != nil {
				rows.Close()
				return sum, fmt.Errorf("installs: agency summary: %w", err)
			}
			onTime := Day(x.submitted) <= due
			if prev := latest[id]; prev != nil {
				onTime = onTime || prev.onTime
			}
			x.onTime = onTime
			latest[id] = &x
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return sum, fmt.Errorf("installs: agency summary: %w", err)
		}
	}
	sum.Units = make([]UnitStatus, 0, len(agencies))
	for _, a := range agencies {
		u := UnitStatus{AgencyID: a.ID, Name: a.Name}
		if x := latest[a.ID]; x != nil {
			u.Reported, u.Staff, u.Installed, u.Date = true, x.staff, x.installed, Day(x.day).String()
			u.Rate = rate(x.installed, x.staff)
			u.Late = !x.onTime
		} else if sum.Campaign != nil && day > due {
			u.Late = true
		}
		if u.Reported {
			sum.Reported++
		}
		if u.Late {
			sum.Late++
		}
		sum.TotalStaff += u.Staff
		sum.TotalInstalled += u.Installed
		sum.Units = append(sum.Units, u)
	}
	sum.Rate = rate(sum.TotalInstalled, sum.TotalStaff)
	return sum, nil
}

// WriteSummaryCSV writes a province's agency summary for the ministry.
func WriteSummaryCSV(w io.Writer, province string, sum AgencySummary) error {
	cw := csv.NewWriter(w)
	campaign, due := "", ""
	if sum.Campaign != nil {
		campaign, due = sum.Campaign.Name, sum.Campaign.ReportsDue
	}
	_ = cw.Write([]string{"province_code", "campaign", "reports_due", "agency", "reported", "late", "report_date", "staff", "installed", "rate"})
	for _, u := range sum.Units {
		_ = cw.Write([]string{province, campaign, due, u.Name, strconv.FormatBool(u.Reported), strconv.FormatBool(u.Late),
			u.Date, strconv.FormatInt(u.Staff, 10), strconv.FormatInt(u.Installed, 10), FormatRate(u.Rate)})
	}
	_ = cw.Write([]string{province, campaign, due, "TOTAL", strconv.Itoa(sum.Reported), strconv.Itoa(sum.Late), "",
		strconv.FormatInt(sum.TotalStaff, 10), strconv.FormatInt(sum.TotalInstalled, 10), FormatRate(sum.Rate)})
	cw.Flush()
	return cw.Error()
}

func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "23505"))
}
