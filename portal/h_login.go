package portal

import (
	"net/http"
	"strings"
)

// handleLoginForm shows the login form. Before any session exists, CSRF is
// prevented with a random pre-login cookie whose HMAC the form carries.
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.showLogin(w, r, rc, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, errKey string) {
	pre := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 43 {
		pre = c.Value
	} else {
		pre = newToken()
		http.SetCookie(w, s.cookie(preCookie, pre, 3600))
	}
	rc.CSRF = s.keys.csrfToken("pre", pre)
	data := map[string]any{"Next": safeNext(s.cfg.Prefix, r.FormValue("next")), "Error": ""}
	if errKey != "" {
		data["Error"] = rc.L.T(errKey)
	}
	s.render(w, r, rc, status, "login", "login.title", data)
}

// handleLogin checks the password and starts a session at the right stage.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r, rc)
		return
	}
	c, err := r.Cookie(preCookie)
	if err != nil || !s.keys.csrfOK("pre", c.Value, r.PostForm.Get("csrf")) {
		s.forbidden(w, r, rc)
		return
	}
	res, err := s.checkLogin(r.Context(), r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if !res.OK {
		s.showLogin(w, r, rc, http.StatusUnauthorized, "login.failed")
		return
	}
	// A fresh session id at every login: a planted cookie is worthless.
	if old, err := r.Cookie(sessionCookie); err == nil {
		if err := s.dropSession(r.Context(), s.keys.sessionHash(old.Value)); err != nil {
			s.serverError(w, r, rc, err)
			return
		}
	}
	raw, err := s.newSession(r.Context(), s.db, res.User.ID, res.Stage)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.setSessionCookie(w, raw)
	switch res.Stage {
	case stageTOTP:
		s.redirect(w, r, "/login/totp")
	case stagePassword:
		s.redirect(w, r, "/password")
	default:
		http.Redirect(w, r, safeNext(s.cfg.Prefix, r.PostForm.Get("next")), http.StatusSeeOther)
	}
}

// safeNext keeps a post-login destination inside the portal.
func safeNext(prefix, next string) string {
	if strings.HasPrefix(next, prefix+"/") && !strings.HasPrefix(next, prefix+"//") &&
		!strings.ContainsAny(next, "\\\r\n") && !strings.Contains(next, "/login") {
		return next
	}
	return prefix + "/"
}
