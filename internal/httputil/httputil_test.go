package httputil

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body, ctype string
		status            int
		msg               string
	}{
		{"ok", `{"name":"a","count":2}`, "application/json", 0, ""},
		{"ok charset", `{"name":"a"}`, "application/json; charset=utf-8", 0, ""},
		{"empty", ``, "", 400, "empty"},
		{"malformed", `{"name":`, "", 400, "malformed JSON"},
		{"syntax", `{"name" "a"}`, "", 400, "malformed JSON at byte"},
		{"unknown field", `{"nome":"a"}`, "", 400, `unknown field "nome"`},
		{"wrong type", `{"count":"x"}`, "", 400, `field "count" must be int`},
		{"trailing", `{"name":"a"} {}`, "", 400, "data after the JSON value"},
		{"trailing junk", `{"name":"a"}x`, "", 400, "data after the JSON value"},
		{"too big", `{"name":"` + strings.Repeat("a", 200) + `"}`, "", 413, "larger than 100 bytes"},
		{"content type", `{}`, "text/plain", 415, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			var v sample
			err := DecodeJSON(httptest.NewRecorder(), r, 100, &v)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Status != tc.status || !strings.Contains(de.Msg, tc.msg) {
				t.Fatalf("err = %v (%#v), want status %d containing %q", err, de, tc.status, tc.msg)
			}
		})
	}
}

func TestPaddingAndChaff(t *testing.T) {
	for i := 0; i < 50; i++ {
		raw, err := base64.StdEncoding.DecodeString(Padding(10, 20))
		if err != nil || len(raw) < 10 || len(raw) > 20 {
			t.Fatalf("padding of %d bytes, %v", len(raw), err)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if IsChaff(r) {
		t.Fatal("plain request taken for chaff")
	}
	r.Header.Set("X-Chaff", "1")
	if !IsChaff(r) {
		t.Fatal("chaff not detected")
	}
	w := httptest.NewRecorder()
	WriteJSON(w, 201, map[string]int{"a": 1})
	if w.Code != 201 || w.Header().Get("Cache-Control") != "no-store" || strings.TrimSpace(w.Body.String()) != `{"a":1}` {
		t.Fatalf("WriteJSON wrote %d %q %q", w.Code, w.Header(), w.Body.String())
	}
}

func FuzzDecodeJSONBytes(f *testing.F) {
	f.Add([]byte(`{"name":"a","count":1}`))
	f.Add([]byte(`{"name":"a"}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v sample
		err := DecodeJSONBytes(data, &v)
		var de *DecodeError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("error of type %T", err)
		}
	})
}
