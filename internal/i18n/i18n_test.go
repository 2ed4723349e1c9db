package i18n

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCatalog(t *testing.T) {
	c := Catalog{"hello": {"Xin chào", "Hello"}}
	if c.T(VI, "hello") != "Xin chào" || c.T(EN, "hello") != "Hello" || c.T("fr", "hello") != "Xin chào" {
		t.Fatal("lookup")
	}
	if c.T(EN, "nope") != "‹nope›" || c.Has("nope") || !c.Has("hello") {
		t.Fatal("unknown key")
	}
	if Other(VI) != EN || Other(EN) != VI {
		t.Fatal("Other")
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		url, cookie, want string
		remember          bool
	}{
		{"/", "", VI, false},
		{"/?lang=en", "", EN, true},
		{"/?lang=vi", "en", VI, true},
		{"/?lang=fr", "en", EN, false},
		{"/", "en", EN, false},
		{"/", "xx", VI, false},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.url, nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: "lang", Value: tc.cookie})
		}
		if lang, remember := Choose(r, "lang"); lang != tc.want || remember != tc.remember {
			t.Errorf("%s cookie %q: %s %v, want %s %v", tc.url, tc.cookie, lang, remember, tc.want, tc.remember)
		}
	}
}

func TestLocale(t *testing.T) {
	c := Catalog{"n": {"%d khóa", "%d keys"}}
	en := Locale{Lang: EN, Catalog: c}
	vi := Locale{Lang: VI, Catalog: c}
	if en.F("n", 3) != "3 keys" || vi.F("n", 3) != "3 khóa" || en.T("x") != "‹x›" {
		t.Fatalf("F/T: %q %q %q", en.F("n", 3), vi.F("n", 3), en.T("x"))
	}
	if !en.Has("n") || en.Has("x") || en.Other() != VI || vi.Other() != EN {
		t.Fatal("Has/Other")
	}
}
