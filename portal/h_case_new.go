package portal

import (
	"errors"
	"net/http"
	"strings"
)

// handleCaseNewForm shows the form for a new case.
func (s *Server) handleCaseNewForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.showCaseForm(w, r, rc, http.StatusOK, caseInput{Status: StatusSuspected, District: rc.User.District}, "")
}

func (s *Server) showCaseForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, in caseInput, errKey string) {
	data := map[string]any{
		"In": in, "Districts": s.admin.DistrictsOf(rc.User.Realm), "Statuses": initialStatuses,
		"NoteMax": s.cfg.NoteMaxLen, "Error": "", "Today": dayString(dayOf(s.clock.Now())),
	}
	if errKey != "" {
		data["Error"] = rc.L.F(errKey, s.cfg.NoteMaxLen)
	}
	s.render(w, r, rc, status, "case_new", "case_new.title", data)
}

// handleCaseCreate records a case in the user's province. The form has no
// name or phone field, and fields it does not know are ignored: nothing but
// the listed columns is ever stored.
func (s *Server) handleCaseCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	in := caseInput{
		Ref:       strings.TrimSpace(r.PostForm.Get("ref")),
		District:  r.PostForm.Get("district"),
		Status:    r.PostForm.Get("status"),
		TestDate:  r.PostForm.Get("test_date"),
		OnsetDate: r.PostForm.Get("onset_date"),
		Notes:     strings.TrimSpace(r.PostForm.Get("notes")),
	}
	if rc.User.District != "" {
		in.District = rc.User.District
	}
	if k := s.validateCase(in, rc.User.Realm); k != "" {
		s.showCaseForm(w, r, rc, http.StatusBadRequest, in, k)
		return
	}
	c, err := s.createCase(r.Context(), rc.User, rc.User.Realm, in)
	if errors.Is(err, errRefTaken) {
		s.showCaseForm(w, r, rc, http.StatusConflict, in, "err.ref_taken")
		return
	}
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/cases/"+itoa(c.ID)+"?ok=ok.case_created")
}
