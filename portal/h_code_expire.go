package portal

import (
	"errors"
	"net/http"
	"strconv"
)

// handleCodeExpire ends a case's pending code early (given to the wrong
// person, read out wrongly).
func (s *Server) handleCodeExpire(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, ok := s.caseOf(w, r, rc)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("code"), 10, 64)
	if err != nil {
		s.notFound(w, r, rc)
		return
	}
	recs, err := s.queryCodes(r.Context(), `SELECT `+codeCols+` FROM portal_codes WHERE id = ? AND case_id = ?`, id, c.ID)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if len(recs) == 0 {
		s.notFound(w, r, rc)
		return
	}
	if recs[0].State != CodePending {
		s.redirect(w, r, "/cases/"+itoa(c.ID)+"?err=err.code_settled")
		return
	}
	if err := s.expireCode(r.Context(), rc.User, c, &recs[0]); err != nil {
		if errors.Is(err, ErrInvalidInput) { // claimed meanwhile
			if err := s.refreshCode(r.Context(), &recs[0]); err != nil {
				s.log.WarnContext(r.Context(), "portal: code status", "err", err)
			}
			s.redirect(w, r, "/cases/"+itoa(c.ID)+"?err=err.code_settled")
			return
		}
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/cases/"+itoa(c.ID)+"?ok=ok.code_expired")
}
