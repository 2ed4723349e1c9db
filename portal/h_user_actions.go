package portal

import (
	"context"
	"net/http"

	"github.com/bluezone-vn/bluezone/store"
)

// userAction runs one administrator action on a managed user in a
// transaction with its audit entry, then returns to the user's page.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request, rc *reqCtx, action string,
	fn func(ctx context.Context, tx *store.Tx, u User) (detail string, errKey string, err error)) {
	u, ok := s.managedUser(w, r, rc)
	if !ok {
		return
	}
	ctx := r.Context()
	var errKey string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		detail, k, err := fn(ctx, tx, u)
		if err != nil || k != "" {
			errKey = k
			return err
		}
		return s.audit(ctx, tx, actorOf(rc.User), action, u.Realm, "user:"+u.Username, detail)
	})
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if errKey != "" {
		s.redirect(w, r, "/users/"+itoa(u.ID)+"?err="+errKey)
		return
	}
	s.redirect(w, r, "/users/"+itoa(u.ID)+"?ok=ok.user_saved")
}

// handleUserRole changes a user's role and district (realm stays).
func (s *Server) handleUserRole(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	role, district := r.PostForm.Get("role"), r.PostForm.Get("district")
	s.userAction(w, r, rc, "user_changed", func(ctx context.Context, tx *store.Tx, u User) (string, string, error) {
		if role == RoleNationalAdmin && rc.User.Role != RoleNationalAdmin {
			return "", "err.role", nil
		}
		if k := s.checkUserFields(role, u.Realm, district); k != "" {
			return "", k, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET role = ?, district = ? WHERE id = ?`, role, district, u.ID); err != nil {
			return "", "", err
		}
		return "role " + u.Role + " → " + role + " district=" + district, "", dropUserSessions(ctx, tx, u.ID)
	})
}

// handleUserReset sets a temporary password the user must change, ends
// their sessions and unlocks the account; the password is shown once.
func (s *Server) handleUserReset(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	u, ok := s.managedUser(w, r, rc)
	if !ok {
		return
	}
	pw := temporaryPassword()
	hash, err := hashPassword(pw, s.cfg.Argon2)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	ctx := r.Context()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET password_hash = ?, must_change = 1, failed_count = 0, locked_until = 0 WHERE id = ?`, hash, u.ID); err != nil {
			return err
		}
		if err := dropUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorOf(rc.User), "password_reset", u.Realm, "user:"+u.Username, "temporary password set")
	})
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	u.MustChange = true
	roles := Roles
	if rc.User.Role != RoleNationalAdmin {
		roles = Roles[1:]
	}
	s.render(w, r, rc, http.StatusOK, "user", "user.title", map[string]any{
		"U": u, "Roles": roles, "Districts": s.admin.DistrictsOf(u.Realm), "Now": s.clock.Now().Unix(),
		"Error": "", "TempPassword": pw,
	})
}

// handleUserUnlock lifts a lock-out.
func (s *Server) handleUserUnlock(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.userAction(w, r, rc, "user_unlocked", func(ctx context.Context, tx *store.Tx, u User) (string, string, error) {
		_, err := tx.Exec(ctx, `UPDATE portal_users SET failed_count = 0, locked_until = 0 WHERE id = ?`, u.ID)
		return "", "", err
	})
}

// handleUserDisable blocks an account and ends its sessions.
func (s *Server) handleUserDisable(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.userAction(w, r, rc, "user_disabled", func(ctx context.Context, tx *store.Tx, u User) (string, string, error) {
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET disabled = 1 WHERE id = ?`, u.ID); err != nil {
			return "", "", err
		}
		return "", "", dropUserSessions(ctx, tx, u.ID)
	})
}

// handleUserEnable unblocks an account.
func (s *Server) handleUserEnable(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.userAction(w, r, rc, "user_enabled", func(ctx context.Context, tx *store.Tx, u User) (string, string, error) {
		_, err := tx.Exec(ctx, `UPDATE portal_users SET disabled = 0 WHERE id = ?`, u.ID)
		return "", "", err
	})
}

// handleUserTOTPReset removes a user's second factor (lost phone); they
// can enrol again after logging in.
func (s *Server) handleUserTOTPReset(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.userAction(w, r, rc, "totp_reset", func(ctx context.Context, tx *store.Tx, u User) (string, string, error) {
		_, err := tx.Exec(ctx, `UPDATE portal_users SET totp_sealed = '', totp_pending = '', totp_last_step = 0 WHERE id = ?`, u.ID)
		return "", "", err
	})
}
