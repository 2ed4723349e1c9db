package exportfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseIndex(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one no newline", "exports/1-2-00001.zip", []string{"exports/1-2-00001.zip"}},
		{"trailing newline and blanks", "a/1.zip\n\nb/2.zip\n\n  \n", []string{"a/1.zip", "b/2.zip"}},
		{"crlf", "a/1.zip\r\nb/2.zip\r\n", []string{"a/1.zip", "b/2.zip"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseIndex([]byte(c.in))
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestParseIndexErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"absolute", "ok.zip\n/etc/passwd\n", "line 2: absolute path"},
		{"dotdot", "a/../../b.zip", `".." segment`},
		{"dot", "./a.zip", `"." segment`},
		{"empty segment", "a//b.zip", "empty segment"},
		{"space", "a b.zip", "character ' ' not allowed"},
		{"backslash", `a\b.zip`, `not allowed`},
		{"url", "https://x/a.zip", "character ':' not allowed"},
		{"nul", "a\x00.zip", "not allowed"},
		{"long", strings.Repeat("a", 513), "longer than 512"},
		{"too big", strings.Repeat("a.zip\n", MaxIndexBytes/6+1), "limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseIndex([]byte(c.in))
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) || got != nil {
				t.Fatalf("got %q, %v; want error %q", got, err, c.want)
			}
		})
	}
}

func TestMarshalIndex(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Numeric order differs from string order: 999… sorts before 1000….
	a := FileName("vn", time.Unix(999999999, 0), time.Unix(999999999+3600, 0), 1)
	b := FileName("vn", day, day.Add(time.Hour), 1)
	c := FileName("vn", day, day.Add(time.Hour), 2)
	d := FileName("vn/", day.Add(time.Hour), day.Add(2*time.Hour), 1)
	if b != "vn/1772323200-1772326800-00001.zip" || d != "vn/1772326800-1772330400-00001.zip" {
		t.Fatalf("FileName: %q %q", b, d)
	}
	if FileName("", day, day, 7) != "1772323200-1772323200-00007.zip" {
		t.Fatalf("FileName without root: %q", FileName("", day, day, 7))
	}
	got, err := MarshalIndex([]string{d, "zz/other.zip", c, a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{a, b, c, d, "zz/other.zip"}, "\n") + "\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	back, err := ParseIndex(got)
	if err != nil || len(back) != 5 || back[0] != a {
		t.Fatalf("round trip: %q %v", back, err)
	}
	if out, err := MarshalIndex(nil); err != nil || len(out) != 0 {
		t.Fatalf("empty: %q %v", out, err)
	}
	for _, bad := range [][]string{{a, a}, {"/abs.zip"}, {"a/../b.zip"}} {
		if out, err := MarshalIndex(bad); err == nil || out != nil {
			t.Errorf("%q: %q, %v", bad, out, err)
		}
	}
}
