package portal

import (
	"strings"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	allowed := map[string]bool{
		"suspected→confirmed": true, "suspected→negative": true,
		"contact→confirmed": true, "contact→released": true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			if got := CanTransition(from, to); got != allowed[from+"→"+to] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
		}
	}
}

func TestTestTypeFor(t *testing.T) {
	for _, tc := range []struct {
		status     string
		authorised bool
		want, err  string
	}{
		{StatusConfirmed, false, "confirmed", ""},
		{StatusSuspected, false, "likely", ""},
		{StatusContact, false, "", "err.contact_auth"},
		{StatusContact, true, "contact", ""},
		{StatusNegative, true, "", "err.no_code_for_status"},
		{StatusReleased, true, "", "err.no_code_for_status"},
	} {
		got, err := testTypeFor(tc.status, tc.authorised)
		if got != tc.want || err != tc.err {
			t.Errorf("testTypeFor(%s, %v) = %q, %q", tc.status, tc.authorised, got, err)
		}
	}
}

func TestPhoneLike(t *testing.T) {
	for s, want := range map[string]bool{
		"0912345678": true, "0912 345 678": true, "+84 912.345.678": true, "(091) 234-5678": true,
		"BN-67-0001": false, "2020-08-13": false, "sốt 39 độ, 3 ngày": false, "12345678": false,
	} {
		if got := phoneLike(s); got != want {
			t.Errorf("phoneLike(%q) = %v", s, got)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"0912345678": "0912345678", "+84912345678": "0912345678", "84 912 345 678": "0912345678",
		"091.234.5678": "0912345678", "12345": "", "0012345678": "", "09123456789": "", "0912345678x": "", "": "",
	} {
		if got := normalizePhone(in); got != want {
			t.Errorf("normalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "abc", "+8400000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := normalizePhone(s)
		if p != "" && (len(p) != 10 || p[0] != '0' || strings.Trim(p, "0123456789") != "") {
			t.Fatalf("normalizePhone(%q) = %q", s, p)
		}
		if p != "" && !phoneLike(s) {
			t.Fatalf("%q is a phone number that phoneLike misses", s)
		}
	})
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("pässwörd long enough", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := checkPassword("pässwörd long enough", h); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := checkPassword("pässwörd long enougH", h); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := hashPassword("pässwörd long enough", DefaultArgon2)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", h + "$"} {
		if _, err := checkPassword("x", bad); err == nil {
			t.Errorf("checkPassword accepted hash %q", bad)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=99999999,t=99,p=1$$")
	f.Add(dummyHash)
	f.Fuzz(func(t *testing.T, phc string) {
		p, salt, hash, err := parsePHC(phc)
		if err != nil {
			return
		}
		if p.validate() != nil || len(salt) < 8 || len(hash) < 16 {
			t.Fatalf("parsePHC(%q) accepted %+v", phc, p)
		}
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/portal/cases?x=1": "/portal/cases?x=1", "//evil.example": "/portal/", "/portal//evil": "/portal/",
		"https://evil.example/portal/": "/portal/", "/portal/login": "/portal/", "/portalx": "/portal/", "": "/portal/",
		"/portal/\\evil": "/portal/",
	} {
		if got := safeNext("/portal", in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"prefix":       func(c *Config) { c.Prefix = "portal/" },
		"scheme":       func(c *Config) { c.AppLinkScheme = "bluezone://" },
		"idle":         func(c *Config) { c.SessionIdle = 0 },
		"max<idle":     func(c *Config) { c.SessionMax = time.Minute },
		"failures":     func(c *Config) { c.MaxFailures = 0 },
		"pwlen":        func(c *Config) { c.MinPasswordLen = 4 },
		"notes":        func(c *Config) { c.NoteMaxLen = 5000 },
		"page":         func(c *Config) { c.PageSize = 1 },
		"argon":        func(c *Config) { c.Argon2.Memory = 1 },
		"http url":     func(c *Config) { c.PublicURL = "http://bluezone.gov.vn" },
		"url path":     func(c *Config) { c.PublicURL = "https://bluezone.gov.vn/x" },
		"insecure+url": func(c *Config) { c.PublicURL = "https://bluezone.gov.vn"; c.InsecureCookies = true },
	} {
		c := DefaultConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestTemplatesUseKnownKeys(t *testing.T) {
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.byName) < 14 {
		t.Fatalf("only %d pages parsed", len(p.byName))
	}
	for k, m := range messages {
		if m.VI() == "" || m.EN() == "" {
			t.Errorf("message %q lacks a language", k)
		}
	}
}

func TestDays(t *testing.T) {
	at := time.Date(2020, 8, 13, 23, 59, 0, 0, Zone)
	d := dayOf(at)
	if dayString(d) != "2020-08-13" || dayOf(at.Add(time.Minute)) != d+1 {
		t.Fatalf("day boundaries: %s", dayString(d))
	}
	if p, err := parseDay("2020-08-13"); err != nil || p != d {
		t.Fatalf("parseDay: %d %v", p, err)
	}
}

// BenchmarkCheckPassword is the cost of one login's argon2id check with
// the default parameters.
func BenchmarkCheckPassword(b *testing.B) {
	h, _ := hashPassword("correct horse battery", DefaultArgon2)
	for b.Loop() {
		checkPassword("correct horse battery", h)
	}
}
