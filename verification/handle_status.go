package verification

import (
	"context"
	"net/http"

	"github.com/bluezone-vn/bluezone/internal/httputil"
	"github.com/bluezone-vn/bluezone/store"
)

// CodeStatus is what the issuer may learn about an issued code.
type CodeStatus struct {
	UUID          string
	RealmCode     string
	TestType      string
	Claimed       bool
	ExpiresAt     int64 // Unix seconds
	LongExpiresAt int64
}

// codeScope limits which codes an admin key can see: a province key its
// realm's; a national key those of the named realm, or all.
func (s *Server) codeScope(ctx context.Context, key *authKey, requested string) (string, error) {
	if requested == "" && key.national() {
		return "", nil
	}
	return s.actingRealm(ctx, key, requested)
}

// CodeStatus looks a code up by UUID within realmCode ("" = any realm).
// An unknown UUID, or one of another realm, is code_not_found (404).
func (s *Server) CodeStatus(ctx context.Context, realmCode, uuid string) (CodeStatus, error) {
	return s.codeStatus(ctx, s.db, realmCode, uuid)
}

func (s *Server) codeStatus(ctx context.Context, q store.Querier, realmCode, uuid string) (CodeStatus, error) {
	if uuid == "" {
		return CodeStatus{}, apiErr(http.StatusBadRequest, ErrUnparsableRequest, "uuid is required")
	}
	query := `SELECT uuid, realm_code, test_type, claimed, expires_at, long_expires_at FROM verification_codes WHERE uuid = ?`
	args := []any{uuid}
	if realmCode != "" {
		query += ` AND realm_code = ?`
		args = append(args, realmCode)
	}
	var st CodeStatus
	var claimed int
	err := q.QueryRow(ctx, query, args...).Scan(&st.UUID, &st.RealmCode, &st.TestType, &claimed, &st.ExpiresAt, &st.LongExpiresAt)
	if isNoRows(err) {
		return CodeStatus{}, apiErr(http.StatusNotFound, ErrCodeNotFound, "code does not exist or has been removed")
	}
	if err != nil {
		return CodeStatus{}, err
	}
	st.Claimed = claimed != 0
	return st, nil
}

// ExpireCode ends an unclaimed code's life now. A claimed code is
// code_invalid (400), an unknown one code_not_found (404).
func (s *Server) ExpireCode(ctx context.Context, realmCode, uuid string) (CodeStatus, error) {
	var st CodeStatus
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if st, err = s.codeStatus(ctx, tx, realmCode, uuid); err != nil {
			return err
		}
		if st.Claimed {
			return apiErr(http.StatusBadRequest, ErrCodeInvalid, "code has already been used")
		}
		now := s.now().Unix()
		st.ExpiresAt, st.LongExpiresAt = min(st.ExpiresAt, now), min(st.LongExpiresAt, now)
		_, err = tx.Exec(ctx, `UPDATE verification_codes SET expires_at = ?, long_expires_at = ? WHERE uuid = ?`,
			st.ExpiresAt, st.LongExpiresAt, st.UUID)
		return err
	})
	return st, err
}

// codeRequest decodes a {uuid, realm} body and resolves the realms the key
// may look in; on failure it has answered already.
func (s *Server) codeRequest(w http.ResponseWriter, r *http.Request, key *authKey) (scope, uuid string, ok bool) {
	var req codeStatusRequest
	if err := httputil.DecodeJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		s.fail(w, r, decodeFailure(err, ErrUnparsableRequest))
		return "", "", false
	}
	scope, err := s.codeScope(r.Context(), key, req.Realm)
	if err != nil {
		s.fail(w, r, err)
		return "", "", false
	}
	return scope, req.UUID, true
}

// handleCheckCodeStatus serves POST /api/checkcodestatus (admin key).
func (s *Server) handleCheckCodeStatus(w http.ResponseWriter, r *http.Request, key *authKey) {
	scope, uuid, ok := s.codeRequest(w, r, key)
	if !ok {
		return
	}
	st, err := s.CodeStatus(r.Context(), scope, uuid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metricResult(r.URL.Path, "ok")
	httputil.WriteJSON(w, http.StatusOK, checkCodeStatusResponse{
		Claimed: st.Claimed, ExpiresAtTimestamp: st.ExpiresAt, LongExpiresAtTimestamp: st.LongExpiresAt, Padding: s.padding(),
	})
}

// handleExpireCode serves POST /api/expirecode (admin key).
func (s *Server) handleExpireCode(w http.ResponseWriter, r *http.Request, key *authKey) {
	scope, uuid, ok := s.codeRequest(w, r, key)
	if !ok {
		return
	}
	st, err := s.ExpireCode(r.Context(), scope, uuid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metricResult(r.URL.Path, "ok")
	httputil.WriteJSON(w, http.StatusOK, expireCodeResponse{
		ExpiresAtTimestamp: st.ExpiresAt, LongExpiresAtTimestamp: st.LongExpiresAt, Padding: s.padding(),
	})
}
