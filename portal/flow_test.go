package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
	"github.com/bluezone-vn/bluezone/verification"
)

const fakeName = "Nguyễn Văn Bình"

var (
	codeRE     = regexp.MustCompile(`id="code"[^>]*>(\d{8})<`)
	longCodeRE = regexp.MustCompile(`id="long-code">([a-z0-9]{16})<`)
	caseLocRE  = regexp.MustCompile(`^/portal/cases/(\d+)\?`)
)

// TestCaseFlow records, confirms and issues over HTTP against the real
// verification service, claims the code with the device API, and checks
// the counts, the audit log and that nothing personal was stored.
func TestCaseFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.user(t, "cw", CW, "67", "")
		deviceKey, err := e.verif.CreateAPIKey(ctx, "67", verification.KindDevice, "app")
		if err != nil {
			t.Fatal(err)
		}
		c := e.client(t)
		c.mustLogin("cw")
		c.get("/portal/cases/new")

		// Refused input stores nothing.
		bad := []url.Values{
			{"ref": {"0912345678"}, "district": {"660"}, "status": {"suspected"}},
			{"ref": {"BN-1"}, "district": {"660"}, "status": {"suspected"}, "notes": {"gọi 0912 345 678"}},
			{"ref": {"BN-1"}, "district": {"001"}, "status": {"suspected"}},
			{"ref": {"BN-1"}, "district": {"660"}, "status": {"negative"}},
			{"ref": {"BN-1"}, "district": {"660"}, "status": {"suspected"}, "notes": {strings.Repeat("x", 501)}},
			{"ref": {"BN-1"}, "district": {"660"}, "status": {"suspected"}, "test_date": {"2020-08-14"}},
			{"ref": {"BN 1"}, "district": {"660"}, "status": {"suspected"}},
		}
		for _, f := range bad {
			if r := c.post("/portal/cases", f); r.Status != http.StatusBadRequest {
				t.Errorf("bad case %v: %d", f, r.Status)
			}
		}
		if n := count(t, e, "portal_cases"); n != 0 {
			t.Fatalf("%d cases stored from refused forms", n)
		}
		// A name typed into a field the form does not have is ignored.
		r := c.post("/portal/cases", url.Values{"ref": {"BN-67-0001"}, "district": {"660"}, "status": {"suspected"},
			"onset_date": {"2020-08-10"}, "notes": {"sốt nhẹ"}, "name": {fakeName}, "phone": {"0912345678"}})
		m := caseLocRE.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %q %s", r.Status, r.Location, r.Body)
		}
		caseURL := "/portal/cases/" + m[1]
		if r := c.post("/portal/cases", url.Values{"ref": {"BN-67-0001"}, "district": {"660"}, "status": {"suspected"}}); r.Status != http.StatusConflict {
			t.Errorf("duplicate reference: %d", r.Status)
		}
		c.get(caseURL)
		if r := c.post(caseURL+"/status", url.Values{"status": {"released"}}); r.Status != http.StatusConflict {
			t.Errorf("suspected → released: %d, want 409", r.Status)
		}
		if r := c.post(caseURL+"/status", url.Values{"status": {"confirmed"}, "test_date": {"2020-08-12"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if r := c.post(caseURL+"/status", url.Values{"status": {"negative"}}); r.Status != http.StatusConflict {
			t.Errorf("confirmed → negative: %d, want 409", r.Status)
		}
		page := c.get(caseURL)
		if !strings.Contains(page.Body, `id="code-type">Đã xác nhận<`) {
			t.Errorf("a confirmed case should offer a confirmed code")
		}
		if r := c.post(caseURL+"/codes", url.Values{"phone": {"12345"}}); !strings.Contains(r.Location, "err=err.phone") {
			t.Errorf("bad phone: %d %q", r.Status, r.Location)
		}
		if n := count(t, e, "portal_codes"); n != 0 {
			t.Fatalf("a code was issued for a refused form")
		}
		r = c.post(caseURL+"/codes", url.Values{"phone": {"+84 912 345 678"}, "msg_lang": {"en"}, "name": {fakeName}})
		code, long := codeRE.FindStringSubmatch(r.Body), longCodeRE.FindStringSubmatch(r.Body)
		if r.Status != 200 || code == nil || long == nil {
			t.Fatalf("issue: %d\n%s", r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("code page Cache-Control %q", cc)
		}
		for _, want := range []string{"bluezone://v?c=" + long[1], `id="qr" src="data:image/png;base64,`, "your verification code is " + code[1], `id="sms-sent"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("code page lacks %q", want)
			}
		}
		if !strings.Contains(e.logs.String(), "SMS sent to a number ending in 78") {
			t.Errorf("the logging SMS provider did not log the tail")
		}
		for _, secret := range []string{"912345678", "0912 345 678", code[1], long[1]} {
			if strings.Contains(e.logs.String(), secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
		page = c.get(caseURL)
		if !strings.Contains(page.Body, `data-state="pending"`) {
			t.Errorf("case page should show the code pending")
		}
		if st := e.deviceVerify(t, deviceKey, code[1]); st != 200 {
			t.Fatalf("device verify: %d", st)
		}
		page = c.get(caseURL)
		if !strings.Contains(page.Body, `data-state="claimed"`) {
			t.Errorf("case page should show the code claimed:\n%s", page.Body)
		}
		rep := c.get("/portal/reports")
		row := regexp.MustCompile(`(?s)<tr data-day="2020-08-13">.*?</tr>`).FindString(rep.Body)
		for _, want := range []string{`c-confirmed">1<`, `c-suspected">1<`, `c-contacts">0<`, `c-issued">1<`, `c-claimed">1<`} {
			if !strings.Contains(row, want) {
				t.Errorf("today's report row lacks %s: %s", want, row)
			}
		}
		csv := c.get("/portal/reports.csv?from=2020-08-13&to=2020-08-13")
		if want := "2020-08-13,67,Đắk Nông,660,Gia Nghĩa,1,1,0,1,1"; !strings.Contains(csv.Body, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csv.Body)
		}

		// A second code, expired by the case worker, cannot be claimed.
		r = c.post(caseURL+"/codes", nil)
		code2 := codeRE.FindStringSubmatch(r.Body)
		page = c.get(caseURL)
		exp := regexp.MustCompile(`action="(/portal/cases/\d+/codes/\d+/expire)"`).FindStringSubmatch(page.Body)
		if code2 == nil || exp == nil {
			t.Fatalf("second code or its expire button missing")
		}
		if r := c.post(exp[1], nil); r.Status != http.StatusSeeOther {
			t.Fatalf("expire: %d", r.Status)
		}
		if st := e.deviceVerify(t, deviceKey, code2[1]); st == 200 {
			t.Fatal("an expired code was claimed")
		}

		// A contact (F1) gets a code only when authorised.
		r = c.post("/portal/cases", url.Values{"ref": {"F1-0002"}, "district": {"661"}, "status": {"contact"}})
		f1 := "/portal/cases/" + caseLocRE.FindStringSubmatch(r.Location)[1]
		c.get(f1)
		if r := c.post(f1+"/codes", nil); !strings.Contains(r.Location, "err=err.contact_auth") {
			t.Errorf("unauthorised F1 code: %d %q", r.Status, r.Location)
		}
		if r := c.post(f1+"/codes", url.Values{"authorised": {"yes"}}); codeRE.FindStringSubmatch(r.Body) == nil {
			t.Errorf("authorised F1 code not issued: %d", r.Status)
		}
		var tt string
		db.QueryRow(ctx, `SELECT test_type FROM portal_codes ORDER BY id DESC LIMIT 1`).Scan(&tt)
		if tt != "contact" {
			t.Errorf("F1 code type %q", tt)
		}

		a := auditActions(t, e)
		if a["case_created"] != 2 || a["case_status"] != 1 || a["code_issued"] != 3 || a["code_claimed"] != 1 || a["code_expired"] != 1 || a["code_sms"] != 1 {
			t.Errorf("audit counts %v", a)
		}
		assertNotStored(t, e, code[1], long[1], code2[1], fakeName, "0912345678", "912345678", "912 345 678")
	})
}

func count(t *testing.T, e *env, table string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// portalTables are every table the portal owns.
var portalTables = []string{"portal_users", "portal_sessions", "portal_cases", "portal_codes", "portal_daily", "portal_audit"}

// assertNotStored dumps every row of every portal table and fails if any
// value contains one of the strings.
func assertNotStored(t *testing.T, e *env, secrets ...string) {
	t.Helper()
	ctx := context.Background()
	for _, table := range portalTables {
		rows, err := e.db.Query(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			n++
			for i, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				for _, sec := range secrets {
					if sec != "" && strings.Contains(s, sec) {
						t.Errorf("%s.%s stores %q", table, cols[i], sec)
					}
				}
			}
		}
		rows.Close()
		if table == "portal_audit" && n == 0 {
			t.Errorf("the audit log is empty: the dump inspected nothing")
		}
	}
}
