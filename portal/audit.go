package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// actor is who did something, as the audit log records it.
type actor struct {
	ID       int64
	Username string
	Realm    string
}

func actorOf(u *User) actor { return actor{ID: u.ID, Username: u.Username, Realm: u.Realm} }

// AuditEntry is one line of the audit log. It never holds a code, a
// password, a phone number or an address.
type AuditEntry struct {
	ID       int64
	At       time.Time
	Username string
	Realm    string // realm of what was acted on
	Action   string
	Target   string
	Detail   string
}

// AuditActions lists the actions the log records (the search form's choices).
var AuditActions = []string{
	"login", "login_failed", "account_locked", "logout", "password_changed", "password_reset",
	"totp_enabled", "totp_disabled", "totp_reset", "totp_failed",
	"user_created", "user_changed", "user_unlocked", "user_disabled", "user_enabled",
	"case_created", "case_status", "code_issued", "code_sms", "code_expired", "code_claimed",
	"agency_added", "campaign_added", "unit_report", "target_set",
}

// audit appends one entry. It is append-only: no code path updates or
// deletes portal_audit.
func (s *Server) audit(ctx context.Context, q store.Querier, a actor, action, realm, target, detail string) error {
	if realm == "" {
		realm = a.Realm
	}
	_, err := q.Exec(ctx, `INSERT INTO portal_audit (at, user_id, username, realm, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.clock.Now().Unix(), a.ID, a.Username, realm, action, target, detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// auditQuery is a search of the log.
type auditQuery struct {
	Realm    string // "" = all (national admins)
	Username string
	Action   string
	From, To time.Time // zero = open
	Before   int64     // keyset: entries with id < Before; 0 = newest
	Limit    int
}

func (s *Server) searchAudit(ctx context.Context, q auditQuery) ([]AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if q.Realm != "" {
		add("realm = ?", q.Realm)
	}
	if q.Username != "" {
		add("username = ?", q.Username)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if !q.From.IsZero() {
		add("at >= ?", q.From.Unix())
	}
	if !q.To.IsZero() {
		add("at < ?", q.To.Unix())
	}
	if q.Before > 0 {
		add("id < ?", q.Before)
	}
	sqlq := `SELECT id, at, username, realm, action, target, detail FROM portal_audit`
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	sqlq += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", q.Limit)
	rows, err := s.db.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Username, &e.Realm, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("search audit: %w", err)
		}
		e.At = time.Unix(at, 0).In(Zone)
		out = append(out, e)
	}
	return out, rows.Err()
}
