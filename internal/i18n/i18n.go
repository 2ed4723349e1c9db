// Package i18n is the two-language message table the web pages share:
// Vietnamese by default, English on request (?lang=en, remembered in a
// cookie). Each package keeps its own Catalog of messages and its own
// formatting of dates and names; this package only looks messages up and
// chooses a request's language.
package i18n

import (
	"fmt"
	"net/http"
)

// The languages of the pages.
const (
	VI = "vi"
	EN = "en"
)

// Message is one user-visible string: {Vietnamese, English}. It is an array
// so that catalogs can be written as compact {"…", "…"} literals.
type Message [2]string

// VI returns the Vietnamese text.
func (m Message) VI() string { return m[0] }

// EN returns the English text.
func (m Message) EN() string { return m[1] }

// Catalog maps message keys to their texts.
type Catalog map[string]Message

// T returns the message for key in lang (Vietnamese unless lang is EN). An
// unknown key shows as ‹key›, so a mistake is visible on the page; each
// package's tests check that its templates use only known keys.
func (c Catalog) T(lang, key string) string {
	m, ok := c[key]
	if !ok {
		return "‹" + key + "›"
	}
	if lang == EN {
		return m.EN()
	}
	return m.VI()
}

// Has reports whether key is in the catalog.
func (c Catalog) Has(key string) bool {
	_, ok := c[key]
	return ok
}

// Other is the language a page's switch link offers.
func Other(lang string) string {
	if lang == EN {
		return VI
	}
	return EN
}

// Choose returns the language of a request: a valid ?lang= parameter, else
// the named cookie, else Vietnamese. remember is true when the language came
// from the parameter, so the caller sets the cookie for the next pages.
func Choose(r *http.Request, cookie string) (lang string, remember bool) {
	switch q := r.URL.Query().Get("lang"); q {
	case VI, EN:
		return q, true
	}
	if c, err := r.Cookie(cookie); err == nil && (c.Value == VI || c.Value == EN) {
		return c.Value, false
	}
	return VI, false
}

// Locale is one request's language and the catalog its strings come from.
// A package embeds it in a Locale of its own to add its formatting of dates
// and names; templates call {{.L.T "key"}} and {{.L.F "key" args…}}.
type Locale struct {
	Lang    string // VI or EN: also the html lang attribute
	Catalog Catalog
}

// T returns the message for key (see Catalog.T).
func (l Locale) T(key string) string { return l.Catalog.T(l.Lang, key) }

// F formats the message for key with fmt.Sprintf verbs.
func (l Locale) F(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Has reports whether key is in the catalog.
func (l Locale) Has(key string) bool { return l.Catalog.Has(key) }

// Other is the language the page's switch link offers.
func (l Locale) Other() string { return Other(l.Lang) }
