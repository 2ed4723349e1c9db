package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/app/adapters"
	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/verification"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// start is the tests' fake "now": 13 Aug 2020, 10:00 in Vietnam.
var start = time.Date(2020, 8, 13, 10, 0, 0, 0, portal.Zone)

const testPassword = "correct horse battery"

// env is a portal wired to the real verification and installs services on
// one database, served over real HTTP on loopback.
type env struct {
	db     *store.DB
	clock  *clock.Fake
	portal *portal.Server
	verif  *verification.Server
	inst   *installs.Server
	ts     *httptest.Server
	mux    *http.ServeMux
	logs   *syncBuffer
	users  map[string]portal.User
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var secret = bytes.Repeat([]byte{7}, 32)

func newEnv(t testing.TB, db *store.DB, mod ...func(*portal.Config)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{db: db, clock: clock.NewFake(start), logs: &syncBuffer{}, users: map[string]portal.User{}}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	for _, m := range []func(context.Context, *store.DB) error{verification.Migrate, installs.Migrate, portal.Migrate} {
		if err := m(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if e.verif, err = verification.New(verification.DefaultConfig(), verification.Deps{DB: db, Clock: e.clock, Logger: log, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.verif.EnsureBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if e.inst, err = installs.New(installs.DefaultConfig(), installs.Deps{DB: db, Clock: e.clock, Logger: log, Admin: vnadmin.MustLoad(), Secret: secret}); err != nil {
		t.Fatal(err)
	}
	cfg := portal.DefaultConfig()
	cfg.InsecureCookies = true
	cfg.PollInterval = 0
	for _, m := range mod {
		m(&cfg)
	}
	e.portal, err = portal.New(cfg, portal.Deps{DB: db, Clock: e.clock, Logger: log, Secret: secret,
		Codes: adapters.PortalCodes(e.verif, e.clock), Deployment: adapters.PortalDeployment(e.inst)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.portal.Register(mux)
	e.verif.Register(mux)
	e.mux = mux
	e.ts = httptest.NewServer(mux)
	t.Cleanup(e.ts.Close)
	return e
}

// user creates an account with testPassword (no forced change).
func (e *env) user(t testing.TB, name, role, realm, district string) portal.User {
	t.Helper()
	u, err := e.portal.CreateUser(context.Background(), portal.NewUser{Username: name, Password: testPassword, Role: role, Realm: realm, District: district})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	e.users[name] = u
	return u
}

// client is one browser-like HTTP client: it keeps cookies by hand (the
// cookies are Secure-less in tests) and never follows redirects.
type client struct {
	e       *env
	t       testing.TB
	cookies map[string]string
	csrf    string
}

func (e *env) client(t testing.TB) *client {
	return &client{e: e, t: t, cookies: map[string]string{}}
}

type resp struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(method, path string, form url.Values) resp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	res, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfRE.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp{Status: res.StatusCode, Body: string(b), Location: res.Header.Get("Location"), Header: res.Header}
}

func (c *client) get(path string) resp { c.t.Helper(); return c.do("GET", path, nil) }

// post submits a form with the client's current CSRF token added.
func (c *client) post(path string, form url.Values) resp {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	return c.do("POST", path, form)
}

// login logs in with the password (and, when given, a TOTP code) and
// checks it reached the home page.
func (c *client) login(user, password string) resp {
	c.t.Helper()
	c.get("/portal/login")
	return c.post("/portal/login", url.Values{"username": {user}, "password": {password}})
}

func (c *client) mustLogin(user string) {
	c.t.Helper()
	r := c.login(user, testPassword)
	if r.Status != http.StatusSeeOther || r.Location != "/portal/" {
		c.t.Fatalf("login %s: %d → %q\n%s", user, r.Status, r.Location, r.Body)
	}
	if h := c.get("/portal/"); h.Status != 200 {
		c.t.Fatalf("home after login: %d", h.Status)
	}
}

// deviceVerify claims a code through the verification service's real
// device API over HTTP, as the app does.
func (e *env) deviceVerify(t testing.TB, deviceKey, code string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"code": code, "accept": []string{"confirmed", "likely", "contact"}})
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/verify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", deviceKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
