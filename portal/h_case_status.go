package portal

import (
	"errors"
	"net/http"
)

// handleCaseStatus moves a case to a new status (suspected → confirmed |
// negative, contact → confirmed | released); other changes are refused.
func (s *Server) handleCaseStatus(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, ok := s.caseOf(w, r, rc)
	if !ok {
		return
	}
	to := r.PostForm.Get("status")
	testDate := r.PostForm.Get("test_date")
	if !s.checkDate(testDate) {
		s.redirect(w, r, "/cases/"+itoa(c.ID)+"?err=err.date")
		return
	}
	err := s.changeStatus(r.Context(), rc.User, c, to, testDate)
	if errors.Is(err, errBadTransition) {
		s.errorPage(w, r, rc, http.StatusConflict, "err.transition")
		return
	}
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/cases/"+itoa(c.ID)+"?ok=ok.case_updated")
}
