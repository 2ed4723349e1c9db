package portal

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bluezone-vn/bluezone/store"
)

// Case statuses. A case starts suspected, contact (F1) or confirmed (F0);
// suspected becomes confirmed or negative, contact becomes confirmed or
// released; confirmed, negative and released are final.
const (
	StatusSuspected = "suspected"
	StatusContact   = "contact"
	StatusConfirmed = "confirmed"
	StatusNegative  = "negative"
	StatusReleased  = "released"
)

// Statuses lists every case status.
var Statuses = []string{StatusSuspected, StatusContact, StatusConfirmed, StatusNegative, StatusReleased}

var initialStatuses = []string{StatusSuspected, StatusContact, StatusConfirmed}

var transitions = map[string][]string{
	StatusSuspected: {StatusConfirmed, StatusNegative},
	StatusContact:   {StatusConfirmed, StatusReleased},
}

// CanTransition reports whether a case may move from one status to another.
func CanTransition(from, to string) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Case is one registry entry: a reference number and facts about the
// illness, never who the person is.
type Case struct {
	ID        int64
	Province  string
	District  string
	Ref       string
	Status    string
	TestDate  string // YYYY-MM-DD or ""
	OnsetDate string // YYYY-MM-DD or ""
	Notes     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// caseInput is the case form.
type caseInput struct {
	Ref, District, Status, TestDate, OnsetDate, Notes string
}

var refRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/._-]{0,31}$`)

// phoneLike reports whether s holds something that looks like a phone
// number: nine or more digits in a row once spaces, dots, dashes and
// brackets are ignored (Vietnamese numbers have 10 digits, or 11 with +84).
func phoneLike(s string) bool {
	run := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			run++
			if run >= 9 {
				return true
			}
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '+':
		default:
			run = 0
		}
	}
	return false
}

// checkDate accepts "" or a real YYYY-MM-DD not after today and not more
// than a year ago.
func (s *Server) checkDate(v string) bool {
	if v == "" {
		return true
	}
	t, err := time.ParseInLocation("2006-01-02", v, Zone)
	if err != nil {
		return false
	}
	today := dayOf(s.clock.Now())
	d := dayOf(t)
	return d <= today && d >= today-366
}

// validateCase returns the message key of the first problem, or "".
func (s *Server) validateCase(in caseInput, province string) string {
	switch {
	case !refRE.MatchString(in.Ref):
		return "err.ref"
	case phoneLike(in.Ref):
		return "err.ref_phone"
	case s.admin.ValidPair(province, in.District) != nil || in.District == "":
		return "err.district"
	case !s.checkDate(in.TestDate) || !s.checkDate(in.OnsetDate):
		return "err.date"
	case utf8.RuneCountInString(in.Notes) > s.cfg.NoteMaxLen || !utf8.ValidString(in.Notes):
		return "err.notes_long"
	case phoneLike(in.Notes):
		return "err.notes_phone"
	case strings.ContainsFunc(in.Notes, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return "err.notes_control"
	}
	for _, st := range initialStatuses {
		if in.Status == st {
			return ""
		}
	}
	return "err.status"
}

// errRefTaken is returned when the province already has the reference.
var errRefTaken = errors.New("reference number already used in this province")

// createCase stores a new case and counts it in the day's figures.
func (s *Server) createCase(ctx context.Context, u *User, province string, in caseInput) (Case, error) {
	now := s.clock.Now()
	c := Case{Province: province, District: in.District, Ref: in.Ref, Status: in.Status, TestDate: in.TestDate,
		OnsetDate: in.OnsetDate, Notes: in.Notes, CreatedAt: now, UpdatedAt: now}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO portal_cases (province, district, ref, status, test_date, onset_date, notes, created_at, updated_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Province, c.District, c.Ref, c.Status, c.TestDate, c.OnsetDate, c.Notes, now.Unix(), now.Unix(), u.ID).Scan(&c.ID)
		if store.IsUniqueViolation(err) {
			return errRefTaken
		}
		if err != nil {
			return err
		}
		if err := bumpDaily(ctx, tx, c.Province, c.District, dayOf(now), statusColumn[c.Status], 1); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorOf(u), "case_created", c.Province, caseTarget(c), "status="+c.Status+" district="+c.District)
	})
	if err != nil {
		return Case{}, fmt.Errorf("create case: %w", err)
	}
	return c, nil
}

// statusColumn is the daily counter a case entering a status adds to.
var statusColumn = map[string]string{
	StatusSuspected: "suspected",
	StatusContact:   "contacts",
	StatusConfirmed: "confirmed",
}

func caseTarget(c Case) string { return fmt.Sprintf("case:%d:%s", c.ID, c.Ref) }

// errBadTransition is returned for a status change the rules forbid.
var errBadTransition = errors.New("status change not allowed")

// changeStatus moves a case to a new status, checking the rules against
// the stored status in the same transaction.
func (s *Server) changeStatus(ctx context.Context, u *User, c Case, to, testDate string) error {
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var cur string
		if err := tx.QueryRow(ctx, `SELECT status FROM portal_cases WHERE id = ?`, c.ID).Scan(&cur); err != nil {
			return err
		}
		if !CanTransition(cur, to) {
			return errBadTransition
		}
		q := `UPDATE portal_cases SET status = ?, updated_at = ? WHERE id = ?`
		args := []any{to, now.Unix(), c.ID}
		if testDate != "" {
			q = `UPDATE portal_cases SET status = ?, updated_at = ?, test_date = ? WHERE id = ?`
			args = []any{to, now.Unix(), testDate, c.ID}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
		if col := statusColumn[to]; col != "" {
			if err := bumpDaily(ctx, tx, c.Province, c.District, dayOf(now), col, 1); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actorOf(u), "case_status", c.Province, caseTarget(c), cur+" → "+to)
	})
}

const caseCols = `id, province, district, ref, status, test_date, onset_date, notes, created_at, updated_at`

func scanCase(sc interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var created, updated int64
	err := sc.Scan(&c.ID, &c.Province, &c.District, &c.Ref, &c.Status, &c.TestDate, &c.OnsetDate, &c.Notes, &created, &updated)
	c.CreatedAt, c.UpdatedAt = time.Unix(created, 0).In(Zone), time.Unix(updated, 0).In(Zone)
	return c, err
}

// caseByID returns a case or sql.ErrNoRows.
func (s *Server) caseByID(ctx context.Context, id int64) (Case, error) {
	return scanCase(s.db.QueryRow(ctx, `SELECT `+caseCols+` FROM portal_cases WHERE id = ?`, id))
}

// caseFilter selects a page of a province's cases, newest first.
type caseFilter struct {
	Province string
	District string
	Status   string
	Ref      string // exact reference number
	Before   int64  // keyset: cases with id < Before; 0 = newest
	Limit    int
}

// listCases returns one page; every filter combination is served by one of
// the portal_cases indexes, so a page costs the same with 100,000 cases.
func (s *Server) listCases(ctx context.Context, f caseFilter) ([]Case, error) {
	where := []string{"province = ?"}
	args := []any{f.Province}
	if f.District != "" {
		where, args = append(where, "district = ?"), append(args, f.District)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Ref != "" {
		where, args = append(where, "ref = ?"), append(args, f.Ref)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	rows, err := s.db.Query(ctx, `SELECT `+caseCols+` FROM portal_cases WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, f.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
