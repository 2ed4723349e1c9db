package verification

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/bluezone-vn/bluezone/store"
)

// IssueRequest asks for a code (the Go form of POST /api/issue).
type IssueRequest struct {
	TestType    string // confirmed | likely | negative | contact
	SymptomDate string // optional YYYY-MM-DD, issuer's local date
	TestDate    string // optional YYYY-MM-DD
	// TZOffsetMinutes is the issuer's offset east of UTC (Vietnam: 420).
	TZOffsetMinutes int
	// UUID optionally names the code for status checks; a repeated UUID is
	// refused with uuid_already_exists (409). Empty: one is generated.
	UUID string
	// ExternalIssuerID is stored as given (hash anything personal first).
	ExternalIssuerID string
}

// IssueResponse is an issued code. Code and LongCode exist only here: the
// server keeps their HMACs.
type IssueResponse struct {
	UUID          string
	Code          string // 8 digits, valid until ExpiresAt
	ExpiresAt     time.Time
	LongCode      string // 16 characters [a-z0-9], for links/SMS, valid until LongExpiresAt
	LongExpiresAt time.Time
}

var uuidRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// IssueCode issues a code in realmCode. Failures are *Error values with the
// reference's status and code (invalid_test_type, unsupported_test_type,
// missing_date, invalid_date, uuid_already_exists, quota_exceeded …).
func (s *Server) IssueCode(ctx context.Context, realmCode string, req IssueRequest) (IssueResponse, error) {
	realm, err := s.Realm(ctx, realmCode)
	if err != nil {
		if errors.Is(err, errNoRealm) {
			return IssueResponse{}, apiErr(http.StatusBadRequest, ErrInvalidRealm, "unknown realm %q", realmCode)
		}
		return IssueResponse{}, err
	}
	testType := strings.ToLower(strings.TrimSpace(req.TestType))
	if !isTestType(testType) {
		return IssueResponse{}, apiErr(http.StatusBadRequest, ErrInvalidTestType,
			"testType must be one of %s", strings.Join(AllTestTypes, ", "))
	}
	if !contains(realm.AllowedTestTypes, testType) {
		return IssueResponse{}, apiErr(http.StatusPreconditionFailed, ErrUnsupportedType,
			"realm %s does not issue %s codes", realm.Code, testType)
	}
	if realm.RequireDate && req.SymptomDate == "" && req.TestDate == "" {
		return IssueResponse{}, apiErr(http.StatusBadRequest, ErrMissingDate, "realm %s requires a symptom or test date", realm.Code)
	}
	if req.TZOffsetMinutes < -maxTZOffset || req.TZOffsetMinutes > maxTZOffset {
		return IssueResponse{}, apiErr(http.StatusBadRequest, ErrUnparsableRequest, "tzOffset out of range")
	}
	now := s.now()
	symptom, err := parseDate("symptomDate", req.SymptomDate, req.TZOffsetMinutes, now, s.cfg.MaxDateAge)
	if err != nil {
		return IssueResponse{}, err
	}
	test, err := parseDate("testDate", req.TestDate, req.TZOffsetMinutes, now, s.cfg.MaxDateAge)
	if err != nil {
		return IssueResponse{}, err
	}
	uuid := strings.TrimSpace(req.UUID)
	if uuid != "" && !uuidRE.MatchString(uuid) {
		return IssueResponse{}, apiErr(http.StatusBadRequest, ErrUnparsableRequest, "uuid must be 1-64 characters [A-Za-z0-9-]")
	}
	if len(req.ExternalIssuerID) > 255 || strings.IndexFunc(req.ExternalIssuerID, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return IssueResponse{}, apiErr(http.StatusBadRequest, ErrInvalidExternalID, "externalIssuerID must be at most 255 printable characters")
	}

	resp := IssueResponse{
		ExpiresAt:     now.Add(s.cfg.CodeTTL).Truncate(time.Second),
		LongExpiresAt: now.Add(s.cfg.LongCodeTTL).Truncate(time.Second),
	}
	// A fresh code can collide with a stored one (unique HMAC); draw again.
	for attempt := 0; ; attempt++ {
		resp.UUID = uuid
		if resp.UUID == "" {
			resp.UUID = newUUID()
		}
		resp.Code, resp.LongCode = newShortCode(), newLongCode()
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			return s.insertCode(ctx, tx, realm, testType, symptom, test, req.ExternalIssuerID, now, resp)
		})
		if err == nil || !store.IsUniqueViolation(err) || attempt >= 8 {
			break
		}
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return IssueResponse{}, e
		}
		return IssueResponse{}, fmt.Errorf("issue code: %w", err)
	}
	return resp, nil
}

func (s *Server) insertCode(ctx context.Context, tx *store.Tx, realm Realm, testType, symptom, test, extID string,
	now time.Time, resp IssueResponse) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM verification_codes WHERE uuid = ?`, resp.UUID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return apiErr(http.StatusConflict, ErrUUIDAlreadyExists, "a code with uuid %s already exists", resp.UUID)
	}
	if realm.DailyQuota > 0 {
		var issued int64
		err := tx.QueryRow(ctx, `SELECT codes_issued FROM verification_stats WHERE realm_code = ? AND day = ?`,
			realm.Code, now.Format(dateLayout)).Scan(&issued)
		if err != nil && !isNoRows(err) {
			return err
		}
		if issued >= int64(realm.DailyQuota) {
			next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
			e := apiErr(http.StatusTooManyRequests, ErrQuotaExceeded, "realm %s has issued its %d codes for today", realm.Code, realm.DailyQuota)
			e.RetryAfter = next.Sub(now)
			return e
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO verification_codes (uuid, realm_code, code_hmac, long_code_hmac, test_type,
		symptom_date, test_date, external_issuer_id, created_at, expires_at, long_expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		resp.UUID, realm.Code, mac(s.keys.codeMAC, resp.Code), mac(s.keys.codeMAC, resp.LongCode), testType,
		nullString(symptom), nullString(test), extID, now.Unix(), resp.ExpiresAt.Unix(), resp.LongExpiresAt.Unix()); err != nil {
		return err
	}
	return bumpStat(ctx, tx, realm.Code, now, statCodesIssued)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
