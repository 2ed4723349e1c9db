package portal

import "net/http"

// handleLogout ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := s.dropSession(r.Context(), rc.Sess.hash); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if err := s.audit(r.Context(), s.db, actorOf(rc.User), "logout", "", "user:"+rc.User.Username, ""); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.clearSessionCookie(w)
	s.redirect(w, r, "/login")
}
