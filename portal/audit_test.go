package portal_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestAuditAppendOnly checks that no code path can change the log: no
// route other than GET touches /audit, and no SQL in the package updates
// or deletes portal_audit.
func TestAuditAppendOnly(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	for _, rt := range portal.RouteList(e.portal) {
		if strings.Contains(rt, "audit") && rt != "GET /audit" {
			t.Errorf("route %s touches the audit log", rt)
		}
	}
	files, _ := filepath.Glob("*.go")
	bad := regexp.MustCompile(`(?i)(update\s+portal_audit|delete\s+from\s+portal_audit|drop\s+table\s+portal_audit|truncate\s+(table\s+)?portal_audit)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q changes the audit log", f, m)
		}
	}
	e.user(t, "na", NA, "VN", "")
	c := e.client(t)
	c.mustLogin("na")
	c.get("/portal/audit")
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		if r := c.do(m, "/portal/audit", url.Values{"csrf": {c.csrf}}); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s /portal/audit: %d, want 405", m, r.Status)
		}
	}
}

// TestAuditSearch checks the search by user, action and dates, and that a
// province admin sees only their province.
func TestAuditSearch(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "na", NA, "VN", "")
	e.user(t, "pa67", PA, "67", "")
	e.user(t, "cw67", CW, "67", "")
	e.user(t, "cw01", CW, "01", "")
	for _, u := range []string{"cw67", "cw01"} {
		c := e.client(t)
		c.mustLogin(u)
		c.get("/portal/cases/new")
		c.post("/portal/cases", url.Values{"ref": {"R-" + u}, "district": {map[string]string{"cw67": "660", "cw01": "001"}[u]}, "status": {"suspected"}})
	}
	e.client(t).login("cw67", "not the password")
	na := e.client(t)
	na.mustLogin("na")
	rows := func(c *client, q string) []string {
		r := c.get("/portal/audit?" + q)
		if r.Status != 200 {
			t.Fatalf("audit %s: %d", q, r.Status)
		}
		return regexp.MustCompile(`<td class="action">([a-z_]+)</td>`).FindAllString(r.Body, -1)
	}
	if got := rows(na, "user=cw67&action=case_created"); len(got) != 1 {
		t.Errorf("cw67 case_created: %d rows", len(got))
	}
	if got := rows(na, "action=login_failed"); len(got) != 1 {
		t.Errorf("login_failed: %d rows", len(got))
	}
	if got := rows(na, "action=case_created&from=2020-08-14"); len(got) != 0 {
		t.Errorf("future from-date: %d rows", len(got))
	}
	if got := rows(na, "action=case_created&from=2020-08-13&to=2020-08-13"); len(got) != 2 {
		t.Errorf("today: %d rows", len(got))
	}
	pa := e.client(t)
	pa.mustLogin("pa67")
	if got := rows(pa, "action=case_created"); len(got) != 1 {
		t.Errorf("province admin sees %d case_created rows, want only their province's 1", len(got))
	}
}

// TestDeployment drives the campaign officer's pages against the real
// installs service.
func TestDeployment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user(t, "co67", CO, "67", "")
		e.user(t, "vw67", VI, "67", "")
		c := e.client(t)
		c.mustLogin("co67")
		c.get("/portal/deployment")
		if r := c.post("/portal/deployment/agencies", url.Values{"name": {"Sở Y tế Đắk Nông"}}); !strings.Contains(r.Location, "ok=") {
			t.Fatalf("add agency: %d %q", r.Status, r.Location)
		}
		if r := c.post("/portal/deployment/campaigns", url.Values{"name": {"Đợt 1"}, "start": {"2020-08-01"}, "reports_due": {"2020-08-20"}}); !strings.Contains(r.Location, "ok=") {
			t.Fatalf("add campaign: %d %q", r.Status, r.Location)
		}
		page := c.get("/portal/deployment")
		agency := regexp.MustCompile(`<option value="(\d+)">Sở Y tế Đắk Nông</option>`).FindStringSubmatch(page.Body)
		campaign := regexp.MustCompile(`<option value="(\d+)">Đợt 1</option>`).FindStringSubmatch(page.Body)
		if agency == nil || campaign == nil {
			t.Fatalf("the page lacks the new agency or campaign")
		}
		bad := c.post("/portal/deployment/reports", url.Values{"campaign": {campaign[1]}, "agency": {agency[1]}, "date": {"2020-08-13"}, "staff": {"10"}, "installed": {"11"}})
		if !strings.Contains(bad.Location, "err=err.deploy") {
			t.Errorf("installed > staff accepted: %q", bad.Location)
		}
		if r := c.post("/portal/deployment/reports", url.Values{"campaign": {campaign[1]}, "agency": {agency[1]}, "date": {"2020-08-13"}, "staff": {"120"}, "installed": {"90"}}); !strings.Contains(r.Location, "ok=") {
			t.Fatalf("report: %q", r.Location)
		}
		v := e.client(t)
		v.mustLogin("vw67")
		csv := v.get("/portal/deployment.csv")
		if !strings.Contains(csv.Body, "67,Đợt 1,Sở Y tế Đắk Nông,true,false,2020-08-13,120,90,0.7500") {
			t.Errorf("deployment CSV:\n%s", csv.Body)
		}
		a := auditActions(t, e)
		if a["agency_added"] != 1 || a["campaign_added"] != 1 || a["unit_report"] != 1 {
			t.Errorf("audit %v", a)
		}
	})
}
