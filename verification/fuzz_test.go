package verification

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Message == "" {
		t.Fatalf("error %+v: want a 4xx status, a code and a message", e)
	}
}

func FuzzVerifyRequest(f *testing.F) {
	for _, s := range []string{
		`{"code":"12345678","accept":["confirmed"],"padding":"eHh4"}`,
		`{"code":"abcdefghij012345","accept":["likely","contact","user-report"]}`,
		`{"code":"1"}`, `{"code":12}`, `{"accept":["x"]}`, `{}`, `[]`, `null`, `{"code":"1"} {}`,
		`{"code":"1","nonce":"AAAA","extra":true}`, "\x00", `{"code":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, accept, err := DecodeVerifyRequest(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		for tt := range accept {
			if !isTestType(tt) {
				t.Fatalf("accept set holds %q", tt)
			}
		}
		// What decoded must survive a round trip unchanged.
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, _, err := DecodeVerifyRequest(again)
		if err != nil || req2.Code != req.Code || len(req2.Accept) != len(req.Accept) {
			t.Fatalf("round trip: %+v vs %+v (%v)", req, req2, err)
		}
	})
}

func FuzzCertificateRequest(f *testing.F) {
	for _, s := range []string{
		`{"token":"a.b.c","ekeyhmac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","padding":"eHh4"}`,
		`{"token":"a.b.c","ekeyhmac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"token":"a.b.c","ekeyhmac":"____AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"token":"a.b.c","ekeyhmac":"AAAA"}`, `{"token":1}`, `{"ekeyhmac":"!!"}`, `{}`, `{"token":"x"}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, mac, err := DecodeCertificateRequest(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if len(mac) != 32 {
			t.Fatalf("accepted an ekeyhmac of %d bytes", len(mac))
		}
	})
}

// FuzzParseToken feeds arbitrary strings to the token parser: it must never
// accept one it did not sign.
func FuzzParseToken(f *testing.F) {
	kr, err := newKeyring(testSecret())
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cfg: DefaultConfig(), keys: kr}
	good, err := s.signToken("jti", subject{TestType: TestConfirmed, SymptomDate: "2025-03-01"}, testNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-2] + "AA")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		jti, sub, err := s.parseToken(raw, testNow.Add(time.Minute))
		if err != nil {
			return
		}
		// Non-canonical base64 of the same bytes may pass; different claims
		// may not.
		if jti != "jti" || sub != (subject{TestType: TestConfirmed, SymptomDate: "2025-03-01"}) {
			t.Fatalf("accepted a token it did not sign: %q", raw)
		}
	})
}
