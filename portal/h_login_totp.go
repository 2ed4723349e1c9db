package portal

import "net/http"

// handleTOTPForm asks for the authenticator code after a right password.
func (s *Server) handleTOTPForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.render(w, r, rc, http.StatusOK, "totp", "totp.title", map[string]any{"Error": ""})
}

// handleTOTP checks the code; success replaces the session with a new one
// at the next stage.
func (s *Server) handleTOTP(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ok, u, err := s.checkTOTP(r.Context(), rc.User.ID, r.PostForm.Get("code"))
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if !ok {
		locked := u.LockedUntil > s.clock.Now().Unix()
		if fresh, err := s.userByID(r.Context(), s.db, rc.User.ID); err == nil {
			locked = fresh.LockedUntil > s.clock.Now().Unix()
		}
		if locked {
			// The lock-out ended every session: back to the login page.
			s.clearSessionCookie(w)
			s.redirect(w, r, "/login")
			return
		}
		s.render(w, r, rc, http.StatusUnauthorized, "totp", "totp.title", map[string]any{"Error": rc.L.T("totp.wrong")})
		return
	}
	stage := stageOK
	if u.MustChange {
		stage = stagePassword
	}
	if err := s.dropSession(r.Context(), rc.Sess.hash); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	raw, err := s.newSession(r.Context(), s.db, u.ID, stage)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.setSessionCookie(w, raw)
	if stage == stagePassword {
		s.redirect(w, r, "/password")
		return
	}
	s.redirect(w, r, "/")
}
