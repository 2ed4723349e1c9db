package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestRealmScope checks the limits on top of the permission table: a
// province's staff see only their province, a district-bound case worker
// only their district; national staff see every province.
func TestRealmScope(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "cw67", CW, "67", "")
	e.user(t, "cw660", CW, "67", "660")
	e.user(t, "cw01", CW, "01", "")
	e.user(t, "na", NA, "VN", "")
	cw := e.client(t)
	cw.mustLogin("cw67")
	cw.get("/portal/cases/new")
	r := cw.post("/portal/cases", url.Values{"ref": {"R-661"}, "district": {"661"}, "status": {"suspected"}})
	caseURL := strings.SplitN(r.Location, "?", 2)[0]
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", r.Status)
	}
	for name, c := range map[string]*client{"other province": e.client(t), "other district": e.client(t)} {
		user := map[string]string{"other province": "cw01", "other district": "cw660"}[name]
		c.mustLogin(user)
		if r := c.get(caseURL); r.Status != http.StatusNotFound {
			t.Errorf("%s: case page %d, want 404", name, r.Status)
		}
		if r := c.post(caseURL+"/status", url.Values{"status": {"confirmed"}}); r.Status != http.StatusNotFound {
			t.Errorf("%s: status change %d, want 404", name, r.Status)
		}
		if r := c.get("/portal/cases?district=661"); strings.Contains(r.Body, "R-661") {
			t.Errorf("%s: the list shows the case", name)
		}
		if r := c.get("/portal/reports?province=67"); name == "other province" && r.Status != http.StatusBadRequest {
			t.Errorf("%s: another province's report %d, want 400", name, r.Status)
		}
	}
	// The district-bound worker's new cases go to their district whatever the form says.
	c := e.client(t)
	c.mustLogin("cw660")
	c.get("/portal/cases/new")
	r = c.post("/portal/cases", url.Values{"ref": {"R-660"}, "district": {"661"}, "status": {"suspected"}})
	if page := c.get(strings.SplitN(r.Location, "?", 2)[0]); !strings.Contains(page.Body, "Gia Nghĩa") {
		t.Errorf("district-bound case not in the worker's district")
	}
	na := e.client(t)
	na.mustLogin("na")
	if r := na.get(caseURL); r.Status != 200 || strings.Contains(r.Body, `id="issue-code"`) {
		t.Errorf("national admin: %d (read-only view expected)", r.Status)
	}
	if r := na.get("/portal/reports?province=67"); r.Status != 200 {
		t.Errorf("national admin, province report: %d", r.Status)
	}
}
