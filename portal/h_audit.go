package portal

import (
	"net/http"
	"strconv"
	"strings"
)

// handleAudit searches the audit log by user, action and date range,
// newest first. National admins see every realm, province admins their
// province's. There is no route that edits or deletes the log.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	aq := auditQuery{Username: strings.ToLower(strings.TrimSpace(q.Get("user"))), Action: q.Get("action"), Limit: s.cfg.PageSize}
	if rc.User.Realm != NationalRealm {
		aq.Realm = rc.User.Realm
	} else if p := q.Get("realm"); p != "" {
		aq.Realm = p
	}
	if !contains(AuditActions, aq.Action) {
		aq.Action = ""
	}
	if len(aq.Username) > 64 {
		aq.Username = ""
	}
	if d, err := parseDay(q.Get("from")); err == nil {
		aq.From = dayTime(d)
	}
	if d, err := parseDay(q.Get("to")); err == nil {
		aq.To = dayTime(d + 1)
	}
	aq.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	entries, err := s.searchAudit(r.Context(), aq)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	next := int64(0)
	if len(entries) == aq.Limit {
		next = entries[len(entries)-1].ID
	}
	nextQ := r.URL.Query()
	nextQ.Set("before", itoa(next))
	s.render(w, r, rc, http.StatusOK, "audit", "audit.title", map[string]any{
		"Entries": entries, "Actions": AuditActions, "Q": q, "Next": next, "NextQuery": nextQ.Encode(),
	})
}
