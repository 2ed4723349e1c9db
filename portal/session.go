package portal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// Session stages: a session is created at the password step and moves on.
const (
	stageTOTP     = "totp"     // password was right; the second factor is due
	stagePassword = "password" // logged in, but must choose a new password first
	stageOK       = "ok"
)

const (
	sessionCookie = "bz_portal"
	preCookie     = "bz_portal_pre" // pre-login CSRF cookie (login form)
	langCookie    = "bz_lang"
)

// Zone is Vietnam's time (UTC+7): days in reports begin at local midnight.
var Zone = time.FixedZone("ICT", 7*3600)

type session struct {
	raw       string // cookie value; never stored
	hash      string
	UserID    int64
	Stage     string
	CreatedAt int64
	SeenAt    int64
}

// newSession stores a session for the user and returns its cookie value.
func (s *Server) newSession(ctx context.Context, q store.Querier, userID int64, stage string) (string, error) {
	raw := newToken()
	now := s.clock.Now().Unix()
	_, err := q.Exec(ctx, `INSERT INTO portal_sessions (id_hash, user_id, stage, created_at, seen_at) VALUES (?, ?, ?, ?, ?)`,
		s.keys.sessionHash(raw), userID, stage, now, now)
	if err != nil {
		return "", fmt.Errorf("new session: %w", err)
	}
	return raw, nil
}

// loadSession returns the request's live session and its user, or nils when
// there is none. Expired sessions (idle or absolute) and sessions of
// disabled users are deleted.
func (s *Server) loadSession(ctx context.Context, r *http.Request) (*session, *User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) != 43 {
		return nil, nil, nil
	}
	sess := &session{raw: c.Value, hash: s.keys.sessionHash(c.Value)}
	err = s.db.QueryRow(ctx, `SELECT user_id, stage, created_at, seen_at FROM portal_sessions WHERE id_hash = ?`, sess.hash).
		Scan(&sess.UserID, &sess.Stage, &sess.CreatedAt, &sess.SeenAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load session: %w", err)
	}
	now := s.clock.Now().Unix()
	u, err := s.userByID(ctx, s.db, sess.UserID)
	expired := now-sess.SeenAt >= int64(s.cfg.SessionIdle/time.Second) || now-sess.CreatedAt >= int64(s.cfg.SessionMax/time.Second)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && u.Disabled) || expired {
		if err := s.dropSession(ctx, sess.hash); err != nil {
			return nil, nil, err
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load session user: %w", err)
	}
	// Touch at most every 30 s: one write per page would be wasteful.
	if now-sess.SeenAt >= 30 {
		if _, err := s.db.Exec(ctx, `UPDATE portal_sessions SET seen_at = ? WHERE id_hash = ?`, now, sess.hash); err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
		sess.SeenAt = now
	}
	return sess, &u, nil
}

func (s *Server) dropSession(ctx context.Context, hash string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM portal_sessions WHERE id_hash = ?`, hash); err != nil {
		return fmt.Errorf("drop session: %w", err)
	}
	return nil
}

// dropUserSessions logs a user out everywhere (password reset, disable).
func dropUserSessions(ctx context.Context, q store.Querier, userID int64) error {
	if _, err := q.Exec(ctx, `DELETE FROM portal_sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("drop sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their idle or absolute
// expiry; Run calls it with each poll.
func (s *Server) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	now := s.clock.Now().Unix()
	res, err := s.db.Exec(ctx, `DELETE FROM portal_sessions WHERE seen_at <= ? OR created_at <= ?`,
		now-int64(s.cfg.SessionIdle/time.Second), now-int64(s.cfg.SessionMax/time.Second))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: s.cfg.Prefix, MaxAge: maxAge,
		Secure: !s.cfg.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	}
}

func (s *Server) setSessionCookie(w http.ResponseWriter, raw string) {
	// No MaxAge: a browser session cookie; the server enforces expiry.
	http.SetCookie(w, s.cookie(sessionCookie, raw, 0))
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
}
