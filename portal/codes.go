package portal

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// Code states as the portal tracks them.
const (
	CodePending = "pending"
	CodeClaimed = "claimed"
	CodeExpired = "expired"
)

// CodeRecord is what the portal remembers of an issued code: its UUID and
// what became of it — never the code.
type CodeRecord struct {
	ID            int64
	CaseID        int64
	Province      string
	District      string
	UUID          string
	TestType      string
	State         string
	IssuedAt      time.Time
	LongExpiresAt time.Time
	SettledAt     time.Time // when the portal saw it claimed or expired
}

// testTypeFor maps a case status to the test type of its code: confirmed →
// confirmed, suspected → likely, contact → contact (only when a health
// worker authorises the F1 to warn their own contacts). Other statuses get
// no code.
func testTypeFor(status string, authorised bool) (string, string) {
	switch status {
	case StatusConfirmed:
		return "confirmed", ""
	case StatusSuspected:
		return "likely", ""
	case StatusContact:
		if !authorised {
			return "", "err.contact_auth"
		}
		return "contact", ""
	}
	return "", "err.no_code_for_status"
}

// issueCode asks the verification service for a code for the case and
// records its UUID. If recording fails the code is expired again, so no
// code exists that the registry does not know.
func (s *Server) issueCode(ctx context.Context, u *User, c Case, testType string, viaSMS bool) (IssuedCode, error) {
	ic, err := s.codes.IssueCode(ctx, c.Province, CodeRequest{
		TestType: testType, SymptomDate: c.OnsetDate, TestDate: c.TestDate, TZOffsetMinutes: 420,
	})
	if err != nil {
		return IssuedCode{}, fmt.Errorf("issue code: %w", err)
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO portal_codes (case_id, province, district, uuid, test_type, state, issued_at, long_expires_at, issued_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Province, c.District, ic.UUID, testType, CodePending, now.Unix(), ic.LongExpiresAt.Unix(), u.ID); err != nil {
			return err
		}
		if err := bumpDaily(ctx, tx, c.Province, c.District, dayOf(now), "codes_issued", 1); err != nil {
			return err
		}
		detail := "type=" + testType + " uuid=" + ic.UUID
		if viaSMS {
			detail += " sms=yes"
		}
		return s.audit(ctx, tx, actorOf(u), "code_issued", c.Province, caseTarget(c), detail)
	})
	if err != nil {
		if xerr := s.codes.ExpireCode(ctx, c.Province, ic.UUID); xerr != nil {
			s.log.ErrorContext(ctx, "portal: could not expire an unrecorded code", "uuid", ic.UUID, "err", xerr)
		}
		return IssuedCode{}, fmt.Errorf("record code: %w", err)
	}
	return ic, nil
}

const codeCols = `id, case_id, province, district, uuid, test_type, state, issued_at, long_expires_at, settled_at`

func scanCode(sc interface{ Scan(...any) error }) (CodeRecord, error) {
	var r CodeRecord
	var issued, long, settled int64
	err := sc.Scan(&r.ID, &r.CaseID, &r.Province, &r.District, &r.UUID, &r.TestType, &r.State, &issued, &long, &settled)
	r.IssuedAt, r.LongExpiresAt = time.Unix(issued, 0).In(Zone), time.Unix(long, 0).In(Zone)
	if settled > 0 {
		r.SettledAt = time.Unix(settled, 0).In(Zone)
	}
	return r, err
}

func (s *Server) codesOfCase(ctx context.Context, caseID int64) ([]CodeRecord, error) {
	return s.queryCodes(ctx, `SELECT `+codeCols+` FROM portal_codes WHERE case_id = ? ORDER BY id DESC LIMIT 50`, caseID)
}

func (s *Server) queryCodes(ctx context.Context, q string, args ...any) ([]CodeRecord, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("codes: %w", err)
	}
	defer rows.Close()
	var out []CodeRecord
	for rows.Next() {
		r, err := scanCode(rows)
		if err != nil {
			return nil, fmt.Errorf("codes: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// refreshCode asks the verification service about a pending code and
// records a claim (counted on the day the portal learns of it) or expiry.
// The conditional update makes concurrent refreshes count a claim once.
func (s *Server) refreshCode(ctx context.Context, rec *CodeRecord) error {
	if rec.State != CodePending {
		return nil
	}
	st, err := s.codes.CodeStatus(ctx, rec.Province, rec.UUID)
	if err != nil {
		return fmt.Errorf("code status: %w", err)
	}
	now := s.clock.Now()
	state := ""
	switch {
	case st.Claimed:
		state = CodeClaimed
	case st.Expired || !now.Before(rec.LongExpiresAt):
		state = CodeExpired
	default:
		return nil
	}
	return s.settleCode(ctx, rec, state, actor{Username: "system", Realm: rec.Province}, "")
}

// settleCode moves a pending code to claimed or expired, once.
func (s *Server) settleCode(ctx context.Context, rec *CodeRecord, state string, by actor, caseRef string) error {
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE portal_codes SET state = ?, settled_at = ? WHERE id = ? AND state = ?`, state, now.Unix(), rec.ID, CodePending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // someone else settled it
		}
		rec.State, rec.SettledAt = state, now
		target := fmt.Sprintf("case:%d", rec.CaseID)
		if caseRef != "" {
			target += ":" + caseRef
		}
		if state == CodeClaimed {
			if err := bumpDaily(ctx, tx, rec.Province, rec.District, dayOf(now), "codes_claimed", 1); err != nil {
				return err
			}
			return s.audit(ctx, tx, by, "code_claimed", rec.Province, target, "uuid="+rec.UUID)
		}
		return s.audit(ctx, tx, by, "code_expired", rec.Province, target, "uuid="+rec.UUID)
	})
}

// RefreshCodes checks up to limit pending codes (oldest first) with the
// verification service and returns how many it checked. Run calls it.
func (s *Server) RefreshCodes(ctx context.Context, limit int) (int, error) {
	if _, err := s.DeleteExpiredSessions(ctx); err != nil {
		return 0, err
	}
	recs, err := s.queryCodes(ctx, `SELECT `+codeCols+` FROM portal_codes WHERE state = ? ORDER BY long_expires_at LIMIT ?`, CodePending, limit)
	if err != nil {
		return 0, err
	}
	var errs []error
	for i := range recs {
		if err := s.refreshCode(ctx, &recs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return len(recs), errors.Join(errs...)
}

// expireCode ends a pending code's life at the verification service.
func (s *Server) expireCode(ctx context.Context, u *User, c Case, rec *CodeRecord) error {
	if err := s.codes.ExpireCode(ctx, rec.Province, rec.UUID); err != nil {
		return fmt.Errorf("expire code: %w", err)
	}
	return s.settleCode(ctx, rec, CodeExpired, actorOf(u), c.Ref)
}

// links returns the deep links of a long code: the app's scheme, and the
// https form when Config.PublicURL is set. The QR code shows the https form
// when there is one (a phone's camera opens it), else the app link.
func (s *Server) links(longCode string) (app, https string) {
	q := url.Values{"c": {longCode}}.Encode()
	app = s.cfg.AppLinkScheme + "://v?" + q
	if s.cfg.PublicURL != "" {
		https = s.cfg.PublicURL + "/v?" + q
		if s.cfg.PublicURL[len(s.cfg.PublicURL)-1] == '/' {
			https = s.cfg.PublicURL + "v?" + q
		}
	}
	return app, https
}
