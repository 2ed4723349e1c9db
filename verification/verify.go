package verification

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/internal/httputil"
	"github.com/bluezone-vn/bluezone/store"
)

// DecodeVerifyRequest decodes and checks a POST /api/verify body with the
// service's strict rules (no unknown fields, no trailing data, known accept
// values). Failures are *Error values.
func DecodeVerifyRequest(body []byte) (VerifyRequest, map[string]bool, error) {
	var req VerifyRequest
	if err := httputil.DecodeJSONBytes(body, &req); err != nil {
		return VerifyRequest{}, nil, decodeFailure(err, ErrUnparsableRequest)
	}
	accept, err := acceptSet(req.Accept)
	if err != nil {
		return VerifyRequest{}, nil, err
	}
	return req, accept, nil
}

// acceptSet expands the client's accept list as the reference does: the
// types form a ladder, so "likely" means confirmed+likely and "negative"
// means all three. "contact" is ours and stands alone, so an older client
// never gets a type it does not know. "user-report" is recognised (we issue
// no such codes). An empty list accepts every type, present and future
// (returned as nil).
func acceptSet(list []string) (map[string]bool, error) {
	if len(list) == 0 {
		return nil, nil
	}
	set := map[string]bool{}
	for _, t := range list {
		switch strings.ToLower(strings.TrimSpace(t)) {
		case TestConfirmed:
			set[TestConfirmed] = true
		case TestLikely:
			set[TestConfirmed], set[TestLikely] = true, true
		case TestNegative:
			set[TestConfirmed], set[TestLikely], set[TestNegative] = true, true, true
		case TestContact:
			set[TestContact] = true
		case "user-report":
		default:
			return nil, apiErr(http.StatusBadRequest, ErrInvalidTestType, "accept holds an unknown test type")
		}
	}
	return set, nil
}

// handleVerify serves POST /api/verify (device key): code → token.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, key *authKey) {
	if httputil.IsChaff(r) {
		s.chaffVerify(w, r)
		return
	}
	now := s.now()
	client := s.clientID(r)
	if wait := s.limits.locked(client, key.id, now); wait > 0 {
		e := apiErr(http.StatusTooManyRequests, ErrTooManyAttempts, "too many wrong codes; try again later")
		e.RetryAfter = wait
		s.fail(w, r, e)
		return
	}
	var req VerifyRequest
	if err := httputil.DecodeJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		s.fail(w, r, decodeFailure(err, ErrUnparsableRequest))
		return
	}
	accept, err := acceptSet(req.Accept)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token, sub, err := s.verifyCode(r.Context(), key, strings.TrimSpace(req.Code), accept, now)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && (e.Code == ErrCodeInvalid || e.Code == ErrCodeExpired) {
			s.limits.fail(client, key.id, now)
		}
		s.fail(w, r, err)
		return
	}
	s.metricResult(r.URL.Path, "ok")
	httputil.WriteJSON(w, http.StatusOK, VerifyResponse{
		TestType: sub.TestType, SymptomDate: sub.SymptomDate, TestDate: sub.TestDate, Token: token, Padding: s.padding(),
	})
}

// verifyCode claims the code atomically and issues a token for it. Codes
// are looked up in the key's realm, or in every realm for a national key.
func (s *Server) verifyCode(ctx context.Context, key *authKey, code string, accept map[string]bool, now time.Time) (string, subject, error) {
	invalid := apiErr(http.StatusBadRequest, ErrCodeInvalid, "verification code invalid")
	col := ""
	switch len(code) {
	case 8:
		col = "code_hmac"
	case 16:
		col = "long_code_hmac"
	default:
		if code != "" {
			s.bumpStatLogged(ctx, key.realm, statCodesInvalid)
		}
		return "", subject{}, invalid
	}
	q := `SELECT uuid, realm_code, test_type, symptom_date, test_date, expires_at, long_expires_at, claimed
		FROM verification_codes WHERE ` + col + ` = ?`
	args := []any{mac(s.keys.codeMAC, code)}
	if !key.national() {
		q += ` AND realm_code = ?`
		args = append(args, key.realm)
	}
	var token string
	var sub subject
	var failRealm string // realm whose codes_invalid counter a failure goes to
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var uuid, realm string
		var symptom, test *string
		var expires, longExpires int64
		var claimed int
		err := tx.QueryRow(ctx, q, args...).Scan(&uuid, &realm, &sub.TestType, &symptom, &test, &expires, &longExpires, &claimed)
		if isNoRows(err) {
			failRealm = key.realm
			return invalid
		}
		if err != nil {
			return err
		}
		if symptom != nil {
			sub.SymptomDate = *symptom
		}
		if test != nil {
			sub.TestDate = *test
		}
		if col == "long_code_hmac" {
			expires = longExpires
		}
		switch {
		case claimed != 0:
			failRealm = realm
			return invalid
		case now.Unix() >= expires:
			failRealm = realm
			return apiErr(http.StatusBadRequest, ErrCodeExpired, "verification code expired")
		case accept != nil && !accept[sub.TestType]:
			return apiErr(http.StatusPreconditionFailed, ErrUnsupportedType, "verification code has a test type the app does not accept")
		}
		res, err := tx.Exec(ctx, `UPDATE verification_codes SET claimed = 1 WHERE uuid = ? AND claimed = 0`, uuid)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			failRealm = realm
			return invalid
		}
		jti := randomToken(32)
		if _, err := tx.Exec(ctx, `INSERT INTO verification_tokens (token_hmac, realm_code, subject, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, mac(s.keys.tokenMAC, jti), realm, sub.String(), now.Unix(), now.Add(s.cfg.TokenTTL).Unix()); err != nil {
			return err
		}
		if err := bumpStat(ctx, tx, realm, now, statCodesClaimed); err != nil {
			return err
		}
		token, err = s.signToken(jti, sub, now)
		return err
	})
	if err != nil {
		if failRealm != "" {
			s.bumpStatLogged(ctx, failRealm, statCodesInvalid)
		}
		return "", subject{}, err
	}
	return token, sub, nil
}
