package portal

import (
	"net/http"
	"net/url"
)

// handleHome is the landing page: what the user can do, and today's counts
// of their province (or the nation).
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	today := dayOf(s.clock.Now())
	rep, err := s.report(r.Context(), rc.User.Realm, today, today)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.render(w, r, rc, http.StatusOK, "home", "home.title", map[string]any{"Today": rep.Total, "Date": rep.To})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
