package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// The expected permissions, written out independently of routes.go: route
// → roles allowed (fully logged-in sessions). "public" routes need no
// session; "none" routes are never open to a logged-in session.
const (
	NA = portal.RoleNationalAdmin
	PA = portal.RoleProvinceAdmin
	CW = portal.RoleCaseWorker
	CO = portal.RoleCampaignOfficer
	VI = portal.RoleViewer
)

var everyone = []string{NA, PA, CW, CO, VI}

var wantAccess = map[string][]string{
	"GET /static/{file}":                   {"public"},
	"GET /login":                           {"public"},
	"POST /login":                          {"public"},
	"GET /login/totp":                      {"none"}, // logged-in sessions are sent home
	"POST /login/totp":                     {"none"},
	"POST /logout":                         everyone,
	"GET /password":                        everyone,
	"POST /password":                       everyone,
	"GET /{$}":                             everyone,
	"GET /account":                         everyone,
	"POST /account/totp/start":             everyone,
	"POST /account/totp/confirm":           everyone,
	"POST /account/totp/disable":           everyone,
	"GET /cases":                           {NA, PA, CW},
	"GET /cases/new":                       {CW},
	"POST /cases":                          {CW},
	"GET /cases/{id}":                      {NA, PA, CW},
	"POST /cases/{id}/status":              {CW},
	"POST /cases/{id}/codes":               {CW},
	"POST /cases/{id}/codes/{code}/expire": {CW},
	"GET /reports":                         everyone,
	"GET /reports.csv":                     everyone,
	"GET /audit":                           {NA, PA},
	"GET /users":                           {NA, PA},
	"POST /users":                          {NA, PA},
	"GET /users/{id}":                      {NA, PA},
	"POST /users/{id}/role":                {NA, PA},
	"POST /users/{id}/reset":               {NA, PA},
	"POST /users/{id}/unlock":              {NA, PA},
	"POST /users/{id}/disable":             {NA, PA},
	"POST /users/{id}/enable":              {NA, PA},
	"POST /users/{id}/totp-reset":          {NA, PA},
	"GET /deployment":                      {NA, PA, CO, VI},
	"GET /deployment.csv":                  {NA, PA, CO, VI},
	"POST /deployment/agencies":            {NA, PA, CO},
	"POST /deployment/campaigns":           {NA, PA, CO},
	"POST /deployment/reports":             {NA, PA, CO},
	"POST /deployment/target":              {NA, PA},
}

func concrete(path string) string {
	r := strings.NewReplacer("{file}", "nothing.css", "{id}", "999999", "{code}", "1", "{$}", "")
	return "/portal" + r.Replace(path)
}

// TestRouteRoleMatrix walks every route × role (and no session) and checks
// allow/deny against wantAccess; every route must be listed there.
func TestRouteRoleMatrix(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	routes := portal.RouteList(e.portal)
	if len(routes) != len(wantAccess) {
		t.Errorf("routes.go has %d routes, the expectation lists %d", len(routes), len(wantAccess))
	}
	realm := map[string]string{NA: "VN", PA: "67", CW: "67", CO: "67", VI: "67"}
	clients := map[string]*client{}
	for _, role := range everyone {
		e.user(t, "u-"+strings.ReplaceAll(role, "_", "-"), role, realm[role], "")
		c := e.client(t)
		c.mustLogin("u-" + strings.ReplaceAll(role, "_", "-"))
		clients[role] = c
	}
	for _, rt := range routes {
		want, ok := wantAccess[rt]
		if !ok {
			t.Errorf("route %s is not in the expected permission table", rt)
			continue
		}
		if rt == "POST /logout" {
			continue // ends the session; tested below
		}
		method, path, _ := strings.Cut(rt, " ")
		public := want[0] == "public"
		t.Run(rt, func(t *testing.T) {
			anon := e.client(t)
			anon.get("/portal/login") // a pre-login cookie and token, like a browser
			var r resp
			if method == "GET" {
				r = anon.get(concrete(path))
			} else {
				r = anon.post(concrete(path), url.Values{})
			}
			switch {
			case public && (r.Status == http.StatusForbidden || strings.Contains(r.Location, "/login?")):
				t.Errorf("anonymous: public route refused: %d %s", r.Status, r.Location)
			case !public && method == "GET" && !(r.Status == http.StatusSeeOther && strings.HasPrefix(r.Location, "/portal/login?next=")):
				t.Errorf("anonymous GET: got %d %q, want 303 to login", r.Status, r.Location)
			case !public && method != "GET" && r.Status != http.StatusForbidden:
				t.Errorf("anonymous %s: got %d, want 403", method, r.Status)
			}
			if public {
				return
			}
			for _, role := range everyone {
				c := clients[role]
				allowed := contains(want, role)
				if method == "GET" {
					r = c.get(concrete(path))
				} else {
					r = c.post(concrete(path), url.Values{})
				}
				denied := r.Status == http.StatusForbidden || (r.Status == http.StatusSeeOther && strings.Contains(r.Location, "/login"))
				if rt == "GET /login/totp" { // a full session is redirected home
					denied = r.Status == http.StatusSeeOther && r.Location == "/portal/"
				}
				if allowed == denied {
					t.Errorf("%s: allowed=%v but got %d %q", role, allowed, r.Status, r.Location)
				}
			}
		})
	}
	for _, role := range everyone {
		c := clients[role]
		if r := c.post("/portal/logout", url.Values{}); r.Status != http.StatusSeeOther || r.Location != "/portal/login" {
			t.Errorf("%s logout: %d %q", role, r.Status, r.Location)
		}
		if r := c.get("/portal/"); r.Status != http.StatusSeeOther {
			t.Errorf("%s after logout: %d, want redirect to login", role, r.Status)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
