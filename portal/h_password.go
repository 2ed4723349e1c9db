package portal

import (
	"net/http"

	"github.com/bluezone-vn/bluezone/store"
)

// handlePasswordForm shows the change-password form (forced after an
// admin reset).
func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.render(w, r, rc, http.StatusOK, "password", "pw.title", map[string]any{"Error": ""})
}

// handlePassword changes the user's own password. It needs the current one,
// and ends every other session of the user.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	fail := func(key string) {
		s.render(w, r, rc, http.StatusBadRequest, "password", "pw.title", map[string]any{"Error": rc.L.T(key)})
	}
	var hash string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM portal_users WHERE id = ?`, rc.User.ID).Scan(&hash); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	ok, err := checkPassword(r.PostForm.Get("current"), hash)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	newPW := r.PostForm.Get("new")
	switch {
	case !ok:
		fail("pw.wrong_current")
		return
	case newPW != r.PostForm.Get("confirm"):
		fail("pw.mismatch")
		return
	case newPW == r.PostForm.Get("current"):
		fail("pw.same")
		return
	}
	if k := passwordProblem(newPW, s.cfg.MinPasswordLen, rc.User.Username); k != "" {
		fail(k)
		return
	}
	newHash, err := hashPassword(newPW, s.cfg.Argon2)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET password_hash = ?, must_change = 0 WHERE id = ?`, newHash, rc.User.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM portal_sessions WHERE user_id = ? AND id_hash <> ?`, rc.User.ID, rc.Sess.hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE portal_sessions SET stage = ? WHERE id_hash = ?`, stageOK, rc.Sess.hash); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorOf(rc.User), "password_changed", "", "user:"+rc.User.Username, "")
	})
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/?ok=ok.pw_changed")
}
