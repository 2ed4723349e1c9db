package dashboard

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
)

// Tables sort on the server through ?sort=KEY&dir=asc|desc links, so they
// work without JavaScript; static/app.js then sorts the same rows in place
// from the cells' data-v values and keeps these links' URLs in step.

// column describes one sortable column of a table.
type column[T any] struct {
	Key   string
	Label string // message key
	Num   bool   // numeric: right-aligned
	// FirstDesc makes the first click sort descending (installs, rates:
	// biggest first); ranks and names start ascending.
	FirstDesc bool
	cmp       func(a, b T) int
}

// header is one rendered column heading.
type header struct {
	Key      string
	Label    string
	URL      string // link that sorts by this column
	AriaSort string // "ascending", "descending" or "none"
	Num      bool
	// Type tells the script how to compare data-v values: "num" or "text".
	Type string
	// First is the direction of a first click: "asc" or "desc".
	First string
}

// sortState is the table's current order.
type sortState struct {
	Key  string
	Desc bool
}

// parseSort reads ?sort= and ?dir=, falling back to def for unknown keys.
func parseSort[T any](r *http.Request, cols []column[T], def sortState) sortState {
	q := r.URL.Query()
	key := q.Get("sort")
	for _, c := range cols {
		if c.Key == key {
			st := sortState{Key: key, Desc: c.FirstDesc}
			switch q.Get("dir") {
			case "asc":
				st.Desc = false
			case "desc":
				st.Desc = true
			}
			return st
		}
	}
	return def
}

// sortRows orders rows by st, keeping the given order (the rank) for ties.
func sortRows[T any](rows []T, cols []column[T], st sortState) {
	for _, c := range cols {
		if c.Key != st.Key {
			continue
		}
		slices.SortStableFunc(rows, func(a, b T) int {
			if st.Desc {
				return c.cmp(b, a)
			}
			return c.cmp(a, b)
		})
		return
	}
}

// headers renders the column headings of a table whose id is anchor.
func headers[T any](r *http.Request, l Locale, cols []column[T], st sortState, anchor string) []header {
	out := make([]header, len(cols))
	for i, c := range cols {
		h := header{Key: c.Key, Label: l.T(c.Label), AriaSort: "none", Num: c.Num, Type: "text"}
		if c.Num {
			h.Type = "num"
		}
		dir := "asc"
		if c.FirstDesc {
			dir = "desc"
		}
		h.First = dir
		if c.Key == st.Key {
			if st.Desc {
				h.AriaSort, dir = "descending", "asc"
			} else {
				h.AriaSort, dir = "ascending", "desc"
			}
		}
		q := url.Values{}
		for k, v := range r.URL.Query() {
			if k != "lang" && k != "sort" && k != "dir" {
				q[k] = v
			}
		}
		q.Set("sort", c.Key)
		q.Set("dir", dir)
		h.URL = r.URL.Path + "?" + q.Encode() + "#" + anchor
		out[i] = h
	}
	return out
}

func byInt[T any, N cmp.Ordered](f func(T) N) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(f(a), f(b)) }
}
