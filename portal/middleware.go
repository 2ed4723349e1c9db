package portal

import (
	"errors"
	"net/http"
	"net/url"
)

// reqCtx is what wrap learned about a request before its handler runs.
type reqCtx struct {
	L    Locale
	User *User    // nil on public routes
	Sess *session // nil on public routes
	CSRF string   // the form token of this session
}

// maxForm bounds every form body (the largest is a case with a 500-character
// note).
const maxForm = 16 << 10

// wrap enforces a route's perm: the session and its stage, the role through
// rolePerms, and the CSRF token on every state-changing request.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if rt.Perm != permPublic || rt.Method != http.MethodGet {
			h.Set("Cache-Control", "no-store")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		rc := &reqCtx{L: s.pickLocale(w, r)}
		if rt.Perm == permPublic {
			rt.Handler(w, r, rc)
			return
		}
		sess, u, err := s.loadSession(r.Context(), r)
		if err != nil {
			s.serverError(w, r, rc, err)
			return
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				s.clearSessionCookie(w)
				http.Redirect(w, r, s.cfg.Prefix+"/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.forbidden(w, r, rc)
			return
		}
		rc.Sess, rc.User = sess, u
		rc.CSRF = s.keys.csrfToken("session", sess.raw)
		if !stageAllows(sess.Stage, u.Role, rt.Perm) {
			if r.Method == http.MethodGet {
				switch sess.Stage {
				case stageTOTP:
					http.Redirect(w, r, s.cfg.Prefix+"/login/totp", http.StatusSeeOther)
					return
				case stagePassword:
					http.Redirect(w, r, s.cfg.Prefix+"/password", http.StatusSeeOther)
					return
				}
				if rt.Perm == permTOTPStage {
					http.Redirect(w, r, s.cfg.Prefix+"/", http.StatusSeeOther)
					return
				}
			}
			s.forbidden(w, r, rc)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := r.ParseForm(); err != nil {
				s.badRequest(w, r, rc)
				return
			}
			if !s.keys.csrfOK("session", sess.raw, r.PostForm.Get("csrf")) {
				s.forbidden(w, r, rc)
				return
			}
		}
		rt.Handler(w, r, rc)
	})
}

// stageAllows reports whether a session at stage, of a user with role, may
// use a route requiring p.
func stageAllows(stage, role string, p perm) bool {
	if p == permLogout {
		return true
	}
	switch stage {
	case stageTOTP:
		return p == permTOTPStage
	case stagePassword:
		return p == permAnySession
	case stageOK:
		return p == permAnySession || can(role, p)
	}
	return false
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.errorPage(w, r, rc, http.StatusForbidden, "err.forbidden")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.errorPage(w, r, rc, http.StatusNotFound, "err.not_found")
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.errorPage(w, r, rc, http.StatusBadRequest, "err.bad_request")
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.errorPage(w, r, rc, http.StatusRequestEntityTooLarge, "err.bad_request")
		return
	}
	s.log.ErrorContext(r.Context(), "portal: request failed", "route", r.Pattern, "err", err)
	s.errorPage(w, r, rc, http.StatusInternalServerError, "err.internal")
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, key string) {
	s.render(w, r, rc, status, "error", "err.title", map[string]any{"Message": rc.L.T(key)})
}

// redirect answers a successful POST with 303 to a portal path.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, s.cfg.Prefix+path, http.StatusSeeOther)
}
