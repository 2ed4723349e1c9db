package portal

import (
	"net/http"
	"strconv"
)

// handleCases lists a province's cases, newest first, one page at a time
// (keyset pagination: ?before=<id>), filtered by district, status or an
// exact reference number.
func (s *Server) handleCases(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	province, ok := s.provinceParam(rc, q.Get("province"))
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	f := caseFilter{Province: province, District: q.Get("district"), Status: q.Get("status"), Ref: q.Get("ref"), Limit: s.cfg.PageSize}
	if rc.User.District != "" {
		f.District = rc.User.District
	}
	if f.District != "" && s.admin.ValidPair(province, f.District) != nil {
		f.District = ""
	}
	if !contains(Statuses, f.Status) {
		f.Status = ""
	}
	if len(f.Ref) > 32 {
		f.Ref = ""
	}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	cases, err := s.listCases(r.Context(), f)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	next := int64(0)
	if len(cases) == f.Limit {
		next = cases[len(cases)-1].ID
	}
	s.render(w, r, rc, http.StatusOK, "cases", "cases.title", map[string]any{
		"Province": province, "Filter": f, "Cases": cases, "Next": next,
		"Districts": s.admin.DistrictsOf(province), "Statuses": Statuses,
		"Provinces": s.provinceChoices(rc),
	})
}

// provinceParam picks the province a page is about: a province user's own,
// or for national users the ?province= given (default Hà Nội, "01").
func (s *Server) provinceParam(rc *reqCtx, p string) (string, bool) {
	if rc.User.Realm != NationalRealm {
		return rc.User.Realm, p == "" || p == rc.User.Realm
	}
	if p == "" {
		return "01", true
	}
	_, ok := s.admin.Province(p)
	return p, ok
}

// provinceChoices are the provinces a user may pick (national users only).
func (s *Server) provinceChoices(rc *reqCtx) []string {
	if rc.User.Realm != NationalRealm {
		return nil
	}
	out := make([]string, 0, len(s.admin.Provinces))
	for _, p := range s.admin.Provinces {
		out = append(out, p.Code)
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// caseOf loads the case named by the {id} path value, answering 404 (and
// returning false) when it does not exist or lies outside the user's
// province or district.
func (s *Server) caseOf(w http.ResponseWriter, r *http.Request, rc *reqCtx) (Case, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r, rc)
		return Case{}, false
	}
	c, err := s.caseByID(r.Context(), id)
	if err == errNotFound || (err == nil && !rc.User.seesCase(c.Province, c.District)) {
		s.notFound(w, r, rc)
		return Case{}, false
	}
	if err != nil {
		s.serverError(w, r, rc, err)
		return Case{}, false
	}
	return c, true
}
