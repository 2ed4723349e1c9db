package portal

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"

	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/bluezone-vn/bluezone/store"
)

// handleAccount shows the user's own account: role, realm and the TOTP
// second factor (with the enrolment QR code while one is pending).
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var pending string
	if err := s.db.QueryRow(r.Context(), `SELECT totp_pending FROM portal_users WHERE id = ?`, rc.User.ID).Scan(&pending); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	data := map[string]any{"Pending": false, "Error": r.URL.Query().Get("err") != ""}
	if pending != "" {
		secret, err := s.keys.openString(pending, totpContext(rc.User.ID))
		if err != nil {
			s.serverError(w, r, rc, err)
			return
		}
		u := s.otpauthURL(rc.User.Username, secret)
		png, err := qrcode.Encode(u, qrcode.Medium, 256)
		if err != nil {
			s.serverError(w, r, rc, err)
			return
		}
		data["Pending"] = true
		data["Secret"] = secret
		data["OTPAuth"] = u
		data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	s.render(w, r, rc, http.StatusOK, "account", "account.title", data)
}

func (s *Server) otpauthURL(username, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", s.cfg.TOTPIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	return "otpauth://totp/" + url.PathEscape(s.cfg.TOTPIssuer+":"+username) + "?" + v.Encode()
}

// handleTOTPStart creates a new pending TOTP secret (sealed) for enrolment.
func (s *Server) handleTOTPStart(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.TOTPIssuer, AccountName: rc.User.Username})
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	sealed := s.keys.sealString(key.Secret(), totpContext(rc.User.ID))
	if _, err := s.db.Exec(r.Context(), `UPDATE portal_users SET totp_pending = ? WHERE id = ?`, sealed, rc.User.ID); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/account")
}

// handleTOTPConfirm turns the pending secret on once the user typed a code
// their authenticator made from it.
func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	var pending string
	if err := s.db.QueryRow(ctx, `SELECT totp_pending FROM portal_users WHERE id = ?`, rc.User.ID).Scan(&pending); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if pending == "" {
		s.redirect(w, r, "/account")
		return
	}
	secret, err := s.keys.openString(pending, totpContext(rc.User.ID))
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	step := matchTOTP(secret, r.PostForm.Get("code"), s.clock.Now())
	if step == 0 {
		s.redirect(w, r, "/account?err=1")
		return
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET totp_sealed = totp_pending, totp_pending = '', totp_last_step = ? WHERE id = ?`, step, rc.User.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorOf(rc.User), "totp_enabled", "", "user:"+rc.User.Username, "")
	})
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/account?ok=ok.totp_enabled")
}

// handleTOTPDisable turns the second factor off; it needs the password.
func (s *Server) handleTOTPDisable(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	var hash string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM portal_users WHERE id = ?`, rc.User.ID).Scan(&hash); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if ok, err := checkPassword(r.PostForm.Get("password"), hash); err != nil || !ok {
		s.redirect(w, r, "/account?err=1")
		return
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET totp_sealed = '', totp_pending = '' WHERE id = ?`, rc.User.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorOf(rc.User), "totp_disabled", "", "user:"+rc.User.Username, "")
	})
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, "/account?ok=ok.totp_disabled")
}
