package portal

import (
	"net/http"
	"strconv"
)

// handleCase shows one case, its allowed status changes and its codes;
// pending codes are first checked with the verification service, so the
// page says whether each was claimed or expired.
func (s *Server) handleCase(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, ok := s.caseOf(w, r, rc)
	if !ok {
		return
	}
	codes, err := s.codesOfCase(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	for i := range codes {
		if err := s.refreshCode(r.Context(), &codes[i]); err != nil {
			// The status stays "pending" on the page; the poller retries.
			s.log.WarnContext(r.Context(), "portal: code status", "case", c.ID, "err", err)
		}
	}
	testType, _ := testTypeFor(c.Status, true)
	s.render(w, r, rc, http.StatusOK, "case", "case.title", map[string]any{
		"Case": c, "Codes": codes, "Next": transitions[c.Status], "TestType": testType,
		"Error": errorParam(rc, r.URL.Query().Get("err")),
	})
}

// errorParam turns an ?err= message key into its text (unknown keys: "").
func errorParam(rc *reqCtx, key string) string {
	if key != "" && rc.L.Has(key) {
		return rc.L.T(key)
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
