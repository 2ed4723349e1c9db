package portal_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestCSRFRejected(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "cw", CW, "67", "")
	c := e.client(t)
	c.mustLogin("cw")
	form := func() url.Values {
		return url.Values{"ref": {"BN-1"}, "district": {"660"}, "status": {"suspected"}}
	}
	for name, token := range map[string]string{"missing": "", "wrong": "AAAA" + c.csrf[4:]} {
		f := form()
		f.Set("csrf", token)
		if r := c.do("POST", "/portal/cases", f); r.Status != http.StatusForbidden {
			t.Errorf("%s token: %d, want 403", name, r.Status)
		}
	}
	// Another session's token is refused too.
	other := e.client(t)
	other.mustLogin("cw")
	f := form()
	f.Set("csrf", other.csrf)
	if r := c.do("POST", "/portal/cases", f); r.Status != http.StatusForbidden {
		t.Errorf("other session's token: %d, want 403", r.Status)
	}
	var n int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM portal_cases`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d cases stored by rejected requests", n)
	}
	if r := c.post("/portal/cases", form()); r.Status != http.StatusSeeOther {
		t.Fatalf("right token: %d %s", r.Status, r.Body)
	}
	// The login form is protected by its pre-login cookie.
	anon := e.client(t)
	anon.get("/portal/login")
	if r := anon.do("POST", "/portal/login", url.Values{"username": {"cw"}, "password": {testPassword}, "csrf": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("login with a wrong token: %d", r.Status)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "vw", VI, "67", "")
	c := e.client(t)
	c.mustLogin("vw")
	e.clock.Advance(29 * time.Minute)
	if r := c.get("/portal/reports"); r.Status != 200 {
		t.Fatalf("after 29 idle minutes: %d", r.Status)
	}
	e.clock.Advance(30*time.Minute + time.Second)
	if r := c.get("/portal/reports"); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/portal/login") {
		t.Fatalf("after 30 idle minutes: %d %q, want redirect to login", r.Status, r.Location)
	}
	// Absolute expiry: active every 20 minutes, still out after 12 hours.
	c.mustLogin("vw")
	for i := 0; i < 35; i++ { // 35 × 20 min = 11 h 40 min
		e.clock.Advance(20 * time.Minute)
		if r := c.get("/portal/"); r.Status != 200 {
			t.Fatalf("active session ended after %d steps: %d", i+1, r.Status)
		}
	}
	e.clock.Advance(20 * time.Minute)
	if r := c.get("/portal/"); r.Status != http.StatusSeeOther {
		t.Fatalf("session older than 12 h still accepted: %d", r.Status)
	}
	var n int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM portal_sessions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d expired sessions left in the table", n)
	}
}

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user(t, "cw", CW, "67", "")
		c := e.client(t)
		for i := 0; i < 5; i++ {
			if r := c.login("cw", "Xyzzy-bad-"+string(rune('a'+i))); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i, r.Status)
			}
		}
		r := c.login("cw", testPassword)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("right password while locked: %d, want 401", r.Status)
		}
		if !strings.Contains(r.Body, "15") {
			t.Errorf("the refusal should mention the lock-out")
		}
		e.clock.Advance(14 * time.Minute)
		if r := c.login("cw", testPassword); r.Status != http.StatusUnauthorized {
			t.Fatalf("after 14 min: %d, want still locked", r.Status)
		}
		e.clock.Advance(61 * time.Second)
		c.mustLogin("cw")
		// Audit: 5 failures, a lock, and failures while locked; no passwords.
		rows := auditActions(t, e)
		if rows["login_failed"] != 7 || rows["account_locked"] != 1 || rows["login"] != 1 {
			t.Errorf("audit counts %v", rows)
		}
		assertNotStored(t, e, "Xyzzy-bad-", testPassword)
	})
}

func TestTOTP(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "pa", PA, "67", "")
	c := e.client(t)
	c.mustLogin("pa")
	c.post("/portal/account/totp/start", nil)
	page := c.get("/portal/account")
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page.Body)
	if m == nil || !strings.Contains(page.Body, `src="data:image/png;base64,`) || !strings.Contains(page.Body, "otpauth://totp/") {
		t.Fatalf("enrolment page lacks the secret, QR code or otpauth URL:\n%s", page.Body)
	}
	secret := m[1]
	if r := c.post("/portal/account/totp/confirm", url.Values{"code": {"000000"}}); !strings.Contains(r.Location, "err=1") {
		t.Fatalf("wrong enrolment code accepted: %q", r.Location)
	}
	code, _ := totp.GenerateCode(secret, e.clock.Now())
	if r := c.post("/portal/account/totp/confirm", url.Values{"code": {code}}); !strings.Contains(r.Location, "ok=") {
		t.Fatalf("enrolment: %d %q", r.Status, r.Location)
	}
	assertNotStored(t, e, secret)
	c.post("/portal/logout", nil)

	// Password alone is not enough.
	c2 := e.client(t)
	if r := c2.login("pa", testPassword); r.Location != "/portal/login/totp" {
		t.Fatalf("login with TOTP: %d %q", r.Status, r.Location)
	}
	if r := c2.get("/portal/cases"); r.Location != "/portal/login/totp" {
		t.Fatalf("pages before the second factor: %d %q", r.Status, r.Location)
	}
	c2.get("/portal/login/totp")
	if r := c2.post("/portal/login/totp", url.Values{"code": {"123456"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong TOTP: %d", r.Status)
	}
	// The enrolment code was used at this step: it cannot be replayed.
	if r := c2.post("/portal/login/totp", url.Values{"code": {code}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("replayed TOTP code: %d", r.Status)
	}
	e.clock.Advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret, e.clock.Now())
	r := c2.post("/portal/login/totp", url.Values{"code": {code}})
	if r.Status != http.StatusSeeOther || r.Location != "/portal/" {
		t.Fatalf("right TOTP: %d %q", r.Status, r.Location)
	}
	if r := c2.get("/portal/users"); r.Status != 200 {
		t.Fatalf("after TOTP: %d", r.Status)
	}
	// Wrong TOTP codes count toward the lock-out.
	c3 := e.client(t)
	c3.login("pa", testPassword)
	c3.get("/portal/login/totp")
	for i := 0; i < 5; i++ {
		c3.post("/portal/login/totp", url.Values{"code": {"00000" + string(rune('0'+i))}})
	}
	if r := c3.get("/portal/"); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/login") {
		t.Fatalf("session survived the TOTP lock-out: %d %q", r.Status, r.Location)
	}
	if r := e.client(t).login("pa", testPassword); r.Status != http.StatusUnauthorized {
		t.Fatalf("locked account logged in: %d", r.Status)
	}
	a := auditActions(t, e)
	if a["totp_enabled"] != 1 || a["totp_failed"] < 5 || a["account_locked"] != 1 {
		t.Errorf("audit %v", a)
	}
}

func TestAdminPasswordReset(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "admin67", PA, "67", "")
	cw := e.user(t, "cw", CW, "67", "")
	e.user(t, "admin01", PA, "01", "")
	worker := e.client(t)
	worker.mustLogin("cw")

	other := e.client(t)
	other.mustLogin("admin01")
	if r := other.post("/portal/users/"+itoa(cw.ID)+"/reset", nil); r.Status != http.StatusNotFound {
		t.Fatalf("another province's admin reset the password: %d", r.Status)
	}
	admin := e.client(t)
	admin.mustLogin("admin67")
	r := admin.post("/portal/users/"+itoa(cw.ID)+"/reset", nil)
	m := regexp.MustCompile(`id="temp-password">([^<]+)<`).FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		t.Fatalf("reset: %d\n%s", r.Status, r.Body)
	}
	temp := m[1]
	if r := worker.get("/portal/"); r.Status != http.StatusSeeOther {
		t.Fatalf("the reset did not end the user's session: %d", r.Status)
	}
	if r := worker.login("cw", testPassword); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", r.Status)
	}
	if r := worker.login("cw", temp); r.Location != "/portal/password" {
		t.Fatalf("temporary password: %d %q, want the change form", r.Status, r.Location)
	}
	if r := worker.get("/portal/cases"); r.Location != "/portal/password" {
		t.Fatalf("other pages before the change: %d %q", r.Status, r.Location)
	}
	worker.get("/portal/password")
	if r := worker.post("/portal/password", url.Values{"current": {temp}, "new": {"short"}, "confirm": {"short"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("short password: %d", r.Status)
	}
	newPW := "a much longer passphrase"
	if r := worker.post("/portal/password", url.Values{"current": {temp}, "new": {newPW}, "confirm": {newPW}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := worker.get("/portal/cases"); r.Status != 200 {
		t.Fatalf("after the change: %d", r.Status)
	}
	a := auditActions(t, e)
	if a["password_reset"] != 1 || a["password_changed"] != 1 {
		t.Errorf("audit %v", a)
	}
	assertNotStored(t, e, temp, newPW)
}

func TestCreateUserBootstrap(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, bad := range []portal.NewUser{
		{Username: "A B", Password: testPassword, Role: NA, Realm: "VN"},
		{Username: "root", Password: "short", Role: NA, Realm: "VN"},
		{Username: "root", Password: testPassword, Role: NA, Realm: "67"},
		{Username: "root", Password: testPassword, Role: CW, Realm: "VN"},
		{Username: "root", Password: testPassword, Role: CW, Realm: "67", District: "001"},
		{Username: "root", Password: testPassword, Role: "god", Realm: "VN"},
	} {
		if _, err := e.portal.CreateUser(ctx, bad); err == nil {
			t.Errorf("CreateUser(%+v) accepted", bad)
		}
	}
	var n int
	e.db.QueryRow(ctx, `SELECT COUNT(*) FROM portal_users`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d users stored by refused requests", n)
	}
	u, err := e.portal.CreateUser(ctx, portal.NewUser{Username: "Root", Password: testPassword, Role: NA, Realm: "VN"})
	if err != nil || u.Username != "root" {
		t.Fatalf("bootstrap: %v %+v", err, u)
	}
	if _, err := e.portal.CreateUser(ctx, portal.NewUser{Username: "root", Password: testPassword, Role: NA, Realm: "VN"}); !errors.Is(err, portal.ErrUserExists) {
		t.Fatalf("duplicate username: %v", err)
	}
	if _, err := e.portal.CreateUser(ctx, portal.NewUser{Username: "x y", Password: testPassword, Role: NA, Realm: "VN"}); err == nil || !strings.Contains(err.Error(), "Username") {
		t.Errorf("bad username error %q should say what is wrong", err)
	}
	var hash string
	e.db.QueryRow(ctx, `SELECT password_hash FROM portal_users WHERE username = 'root'`).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("stored hash %q is not argon2id with the documented parameters", hash)
	}
	e.client(t).mustLogin("root")
}

func auditActions(t *testing.T, e *env) map[string]int {
	t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT action, COUNT(*) FROM portal_audit GROUP BY action`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var a string
		var n int
		rows.Scan(&a, &n)
		out[a] = n
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
