package portal

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/bluezone-vn/bluezone/store"
)

// loginResult is the outcome of a password check.
type loginResult struct {
	OK    bool
	User  User
	Stage string
}

// checkLogin checks a username and password, counting failures and locking
// the account after Config.MaxFailures in a row. It takes as long for
// unknown users, and says nothing about which part was wrong or whether the
// account is locked.
func (s *Server) checkLogin(ctx context.Context, username, password string) (loginResult, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var hash string
	var failed int
	var totpSealed string
	u, err := scanUserHash(s.db.QueryRow(ctx, `SELECT `+userCols+`, password_hash, failed_count, totp_sealed FROM portal_users WHERE username = ?`, username), &hash, &failed, &totpSealed)
	if errors.Is(err, sql.ErrNoRows) || !usernameRE.MatchString(username) {
		checkPassword(password, dummyHash) //nolint:errcheck // timing only
		// The typed name is not recorded: it may be a mistyped password.
		return loginResult{}, s.audit(ctx, s.db, actor{Username: "(unknown)", Realm: NationalRealm}, "login_failed", "", "", "unknown user")
	}
	if err != nil {
		return loginResult{}, fmt.Errorf("login: %w", err)
	}
	now := s.clock.Now()
	match, err := checkPassword(password, hash)
	if err != nil {
		return loginResult{}, fmt.Errorf("login %d: %w", u.ID, err)
	}
	switch {
	case u.Disabled:
		return loginResult{}, s.audit(ctx, s.db, actorOf(&u), "login_failed", "", "user:"+u.Username, "account disabled")
	case u.LockedUntil > now.Unix():
		return loginResult{}, s.audit(ctx, s.db, actorOf(&u), "login_failed", "", "user:"+u.Username, "account locked")
	case !match:
		return loginResult{}, s.recordFailure(ctx, u, failed, "wrong password")
	}
	stage := stageOK
	if u.TOTP {
		stage = stageTOTP
	} else if u.MustChange {
		stage = stagePassword
	}
	if _, err := s.db.Exec(ctx, `UPDATE portal_users SET failed_count = 0 WHERE id = ?`, u.ID); err != nil {
		return loginResult{}, fmt.Errorf("login: %w", err)
	}
	if stage != stageTOTP {
		if err := s.audit(ctx, s.db, actorOf(&u), "login", "", "user:"+u.Username, ""); err != nil {
			return loginResult{}, err
		}
	}
	return loginResult{OK: true, User: u, Stage: stage}, nil
}

func scanUserHash(row *sql.Row, hash *string, failed *int, totpSealed *string) (User, error) {
	var u User
	var must, disabled int
	err := row.Scan(&u.ID, &u.Username, &u.Realm, &u.District, &u.Role, &must, &u.TOTP, &disabled, &u.LockedUntil, &u.CreatedAt, hash, failed, totpSealed)
	u.MustChange, u.Disabled = must != 0, disabled != 0
	return u, err
}

// recordFailure counts a wrong password or TOTP code; the MaxFailures-th in a
// row locks the account for Config.Lockout and ends its sessions.
func (s *Server) recordFailure(ctx context.Context, u User, failed int, why string) error {
	failed++
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		action := "login_failed"
		if strings.HasPrefix(why, "wrong TOTP") {
			action = "totp_failed"
		}
		if err := s.audit(ctx, tx, actorOf(&u), action, "", "user:"+u.Username, why); err != nil {
			return err
		}
		if failed < s.cfg.MaxFailures {
			_, err := tx.Exec(ctx, `UPDATE portal_users SET failed_count = ? WHERE id = ?`, failed, u.ID)
			return err
		}
		until := s.clock.Now().Add(s.cfg.Lockout).Unix()
		if _, err := tx.Exec(ctx, `UPDATE portal_users SET failed_count = 0, locked_until = ? WHERE id = ?`, until, u.ID); err != nil {
			return err
		}
		if err := dropUserSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorOf(&u), "account_locked", "", "user:"+u.Username,
			fmt.Sprintf("%d failures; locked for %v", failed, s.cfg.Lockout))
	})
}

// totpOpts are the authenticator settings: RFC 6238 defaults, which every
// authenticator app supports.
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchTOTP returns the time step code matches within ±1 step of now, or 0.
func matchTOTP(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0
	}
	for _, off := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(off*30) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / 30
		}
	}
	return 0
}

// checkTOTP checks the second factor of a session in the TOTP stage. A code
// is accepted once (a step not later than the last used one is refused),
// and wrong codes count toward the lock-out like wrong passwords.
func (s *Server) checkTOTP(ctx context.Context, userID int64, code string) (bool, User, error) {
	var sealed string
	var last int64
	var hash string
	var failed int
	u, err := scanUserHash(s.db.QueryRow(ctx, `SELECT `+userCols+`, password_hash, failed_count, totp_sealed FROM portal_users WHERE id = ?`, userID), &hash, &failed, &sealed)
	if err != nil {
		return false, User{}, fmt.Errorf("totp: %w", err)
	}
	if err := s.db.QueryRow(ctx, `SELECT totp_last_step FROM portal_users WHERE id = ?`, userID).Scan(&last); err != nil {
		return false, User{}, fmt.Errorf("totp: %w", err)
	}
	now := s.clock.Now()
	if u.LockedUntil > now.Unix() || u.Disabled {
		return false, u, nil
	}
	secret, err := s.keys.openString(sealed, totpContext(u.ID))
	if err != nil {
		return false, u, fmt.Errorf("totp secret of user %d: %w", u.ID, err)
	}
	step := matchTOTP(secret, code, now)
	if step == 0 || step <= last {
		why := "wrong TOTP code"
		if step != 0 {
			why = "wrong TOTP code (replayed)"
		}
		return false, u, s.recordFailure(ctx, u, failed, why)
	}
	if _, err := s.db.Exec(ctx, `UPDATE portal_users SET totp_last_step = ?, failed_count = 0 WHERE id = ?`, step, u.ID); err != nil {
		return false, u, fmt.Errorf("totp: %w", err)
	}
	return true, u, s.audit(ctx, s.db, actorOf(&u), "login", "", "user:"+u.Username, "with TOTP")
}

func totpContext(userID int64) string { return fmt.Sprintf("totp:%d", userID) }
