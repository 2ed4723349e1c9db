package keyserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func TestPublishStoresExpectedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		keys := keysAt(testNow, 14)
		keys[3].TransmissionRisk = 7 // kept as sent; the others are backfilled
		st, resp := h.post(h.request(keys, nil))
		if st != http.StatusOK || resp.Code != "" || resp.InsertedExposures != 14 {
			t.Fatalf("status %d, resp %+v", st, resp)
		}
		if resp.RevisionToken == "" || len(resp.Padding) < 1024 {
			t.Fatalf("missing token or padding: %+v", resp)
		}
		if n := h.count(); n != 14 {
			t.Fatalf("stored %d rows, want 14", n)
		}
		today := int32(gaen.RollingStart(testNow))
		hour := testNow.Truncate(time.Hour).Unix()
		embargo := time.Date(2026, 3, 11, 1, 0, 0, 0, time.UTC).Unix()
		for i, k := range keys {
			r := h.row(k.Key)
			if r == nil {
				t.Fatalf("key %d not stored", i)
			}
			day := int(k.IntervalNumber-today) / 144 // -13..0
			wantCreated := hour
			if i == len(keys)-1 {
				wantCreated = embargo // today's key is still valid
			}
			wantTR := 2
			if i == 3 {
				wantTR = 7
			}
			if r.start != int(k.IntervalNumber) || r.period != 144 || r.rt != ExportConfirmedTest || r.tr != wantTR ||
				r.ha != testIssuer || r.created != wantCreated || r.dsos == nil || *r.dsos != day+4 ||
				r.revType != nil || r.revAt != nil || r.revTR != nil || r.revDSOS != nil {
				t.Errorf("key %d: row %+v (dsos %v), want created %d tr %d dsos %d", i, r, deref(r.dsos), wantCreated, wantTR, day+4)
			}
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestSymptomOnsetSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		today := int32(gaen.RollingStart(testNow))
		// From the request (rounded down to its day).
		keys := keysAt(testNow, 2)
		req := h.request(keys, func(o *certOpts) { o.onset = uint32(today - 3*144) })
		req.SymptomOnsetInterval = today - 144 + 60
		if st, resp := h.post(req); st != 200 || resp.Code != "" {
			t.Fatalf("%d %+v", st, resp)
		}
		if r := h.row(keys[1].Key); r == nil || r.dsos == nil || *r.dsos != 1 {
			t.Fatalf("request onset: row %+v", r)
		}
		// From the certificate when the request has none.
		keys = keysAt(testNow, 2)
		if st, resp := h.post(h.request(keys, func(o *certOpts) { o.onset = uint32(today - 3*144) })); st != 200 || resp.Code != "" {
			t.Fatalf("%d %+v", st, resp)
		}
		if r := h.row(keys[1].Key); r == nil || r.dsos == nil || *r.dsos != 3 {
			t.Fatalf("certificate onset: row %+v", r)
		}
		// An onset older than 28 days is ignored: 4 days ago is assumed.
		keys = keysAt(testNow, 1)
		req = h.request(keys, nil)
		req.SymptomOnsetInterval = today - 40*144
		if st, resp := h.post(req); st != 200 || resp.Code != "" {
			t.Fatalf("%d %+v", st, resp)
		}
		if r := h.row(keys[0].Key); r == nil || r.dsos == nil || *r.dsos != 4 {
			t.Fatalf("default onset: row %+v", r)
		}
		// A key 14 days before the onset is kept.
		req2 := h.request([]ExposureKey{{Key: keysAt(testNow, 1)[0].Key, IntervalNumber: today - 14*144, IntervalCount: 144}, keysAt(testNow, 1)[0]}, nil)
		req2.SymptomOnsetInterval = today + 1 // today
		if st, resp := h.post(req2); st != 200 || len(resp.Warnings) != 0 || resp.InsertedExposures != 2 {
			t.Fatalf("14 days: %d %+v", st, resp)
		}
		if r := h.row(req2.Keys[0].Key); r == nil || r.dsos == nil || *r.dsos != -14 {
			t.Fatalf("14 days: row %+v", r)
		}
	})
}

func TestOnsetTooFarDropsKeyWithWarning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Move "now" to just after midnight so a key that started 15 days
		// ago is still within the 15-day window.
		h := newHarness(t, db)
		now := time.Date(2026, 3, 10, 0, 15, 0, 0, time.UTC)
		h.clk.Set(now)
		today := int32(gaen.RollingStart(now))
		old := ExposureKey{Key: keysAt(now, 1)[0].Key, IntervalNumber: today - 15*144, IntervalCount: 144}
		fresh := ExposureKey{Key: keysAt(now, 1)[0].Key, IntervalNumber: today - 144, IntervalCount: 144}
		req := h.request([]ExposureKey{old, fresh}, nil)
		req.SymptomOnsetInterval = today // onset today: the old key is 15 days before
		st, resp := h.post(req)
		if st != 200 || resp.Code != "" || resp.InsertedExposures != 1 || len(resp.Warnings) != 1 ||
			!strings.Contains(resp.Warnings[0], "symptom onset is too large") {
			t.Fatalf("%d %+v", st, resp)
		}
		if h.row(old.Key) != nil || h.row(fresh.Key) == nil || h.count() != 1 {
			t.Fatalf("wrong rows stored")
		}
	})
}

func TestReportTypeMapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, c := range []struct {
			rt         string
			wantStored bool
			export, tr int
		}{
			{ReportTypeConfirmed, true, ExportConfirmedTest, 2},
			{ReportTypeLikely, true, ExportClinical, 4},
			{ReportTypeContact, true, ExportRecursive, 4},
			{ReportTypeNegative, false, 0, 0},
		} {
			t.Run(c.rt, func(t *testing.T) {
				keys := keysAt(testNow, 1)
				rt := c.rt
				st, resp := h.post(h.request(keys, func(o *certOpts) { o.reportType = &rt }))
				if st != 200 || resp.Code != "" {
					t.Fatalf("%d %+v", st, resp)
				}
				r := h.row(keys[0].Key)
				if !c.wantStored {
					if r != nil || resp.InsertedExposures != 0 {
						t.Fatalf("negative key stored: %+v", resp)
					}
					return
				}
				if r == nil || r.rt != c.export || r.tr != c.tr || resp.InsertedExposures != 1 {
					t.Fatalf("row %+v resp %+v", r, resp)
				}
			})
		}
	})
}

func TestPartialFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		keys := keysAt(testNow, 4)
		keys[1].TransmissionRisk = 9
		st, resp := h.post(h.request(keys, nil))
		if st != 200 || resp.Code != ErrorPartialFailure || resp.InsertedExposures != 3 ||
			!strings.Contains(resp.Error, "key 1 cannot be imported") || resp.RevisionToken == "" {
			t.Fatalf("%d %+v", st, resp)
		}
		if h.count() != 3 || h.row(keys[1].Key) != nil {
			t.Fatal("bad key stored or good keys missing")
		}
	})
}

// TestRejected: every refusal answers the reference's status and code and
// stores nothing.
func TestRejected(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	today := int32(gaen.RollingStart(testNow))
	current := int32(gaen.IntervalNumber(testNow))
	str := func(s string) *string { return &s }
	one := func(k ExposureKey) func([]ExposureKey) []ExposureKey {
		return func(keys []ExposureKey) []ExposureKey { k.Key = keys[0].Key; return []ExposureKey{k} }
	}
	type tc struct {
		name   string
		keys   func([]ExposureKey) []ExposureKey // from 3 fresh keys
		cert   func(*certOpts)
		req    func(*PublishRequest)
		status int
		code   string
	}
	cases := []tc{
		{name: "expired certificate", cert: func(o *certOpts) { o.iat = testNow.Add(-20 * time.Minute); o.exp = testNow.Add(-2 * time.Minute) }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "certificate not valid yet (nbf)", cert: func(o *certOpts) { n := testNow.Add(5 * time.Minute); o.nbf = &n }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "certificate issued in the future", cert: func(o *certOpts) { o.iat = testNow.Add(5 * time.Minute); o.exp = testNow.Add(20 * time.Minute) }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "wrong audience", cert: func(o *certOpts) { o.audience = "someone-else" }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "unknown kid", cert: func(o *certOpts) { o.kid = str("v9") }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "missing kid", cert: func(o *certOpts) { o.kid = nil }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "unknown issuer", cert: func(o *certOpts) { o.issuer = "bluezone-vn-99" }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "alg none", cert: func(o *certOpts) { o.method = jwt.SigningMethodNone; o.signKey = jwt.UnsafeAllowNoneSignatureType }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "alg HS256", cert: func(o *certOpts) { o.method = jwt.SigningMethodHS256; o.signKey = []byte("public key as secret") }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "alg RS256", cert: func(o *certOpts) { o.method = jwt.SigningMethodRS256; o.signKey = rsaKey }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "missing reportType", cert: func(o *certOpts) { o.reportType = nil }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "unknown reportType", cert: func(o *certOpts) { o.reportType = str("user-report") }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "tekmac mismatch", cert: func(o *certOpts) { o.tekmac = base64.StdEncoding.EncodeToString(make([]byte, 32)) }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "keys changed after certificate", req: func(r *PublishRequest) { r.Keys[0].TransmissionRisk = 5 }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "wrong hmacKey", req: func(r *PublishRequest) { r.HMACKey = base64.StdEncoding.EncodeToString(make([]byte, 32)) }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "tekmac without TR while TR set", keys: func(k []ExposureKey) []ExposureKey { k[0].TransmissionRisk = 3; return k }, cert: func(o *certOpts) { o.noTR = true }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "missing certificate", req: func(r *PublishRequest) { r.VerificationPayload = "" }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "garbage certificate", req: func(r *PublishRequest) { r.VerificationPayload = "not.a.jwt" }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "unknown app", req: func(r *PublishRequest) { r.HealthAuthorityID = "com.example.other" }, status: 401, code: ErrorUnknownHealthAuthorityID},
		{name: "key too old", keys: one(ExposureKey{IntervalNumber: today - 16*144, IntervalCount: 144}), status: 400, code: ErrorBadRequest},
		{name: "key in the future", keys: one(ExposureKey{IntervalNumber: current + 1, IntervalCount: 144}), status: 400, code: ErrorBadRequest},
		{name: "rolling period 0", keys: one(ExposureKey{IntervalNumber: today - 144, IntervalCount: 0}), status: 400, code: ErrorBadRequest},
		{name: "rolling period 145", keys: one(ExposureKey{IntervalNumber: today - 144, IntervalCount: 145}), status: 400, code: ErrorBadRequest},
		{name: "transmission risk 9", keys: one(ExposureKey{IntervalNumber: today - 144, IntervalCount: 144, TransmissionRisk: 9}), status: 400, code: ErrorBadRequest},
		{name: "transmission risk -1", keys: one(ExposureKey{IntervalNumber: today - 144, IntervalCount: 144, TransmissionRisk: -1}), status: 400, code: ErrorBadRequest},
		{name: "bad base64", keys: func(k []ExposureKey) []ExposureKey { k = k[:1]; k[0].Key = "!!!notbase64!!!"; return k }, status: 400, code: ErrorBadRequest},
		{name: "key of 15 bytes", keys: func(k []ExposureKey) []ExposureKey {
			k = k[:1]
			k[0].Key = base64.StdEncoding.EncodeToString(make([]byte, 15))
			return k
		}, status: 400, code: ErrorBadRequest},
		{name: "duplicate keys", keys: func(k []ExposureKey) []ExposureKey {
			k[1] = k[0]
			k[1].IntervalNumber = k[0].IntervalNumber
			return k[:2]
		}, status: 400, code: ErrorBadRequest},
		{name: "no keys", keys: func(k []ExposureKey) []ExposureKey { return nil }, status: 401, code: ErrorVerificationCertificateInvalid},
		{name: "31 keys", keys: func([]ExposureKey) []ExposureKey {
			k := keysAt(testNow, 31)
			for i := range k {
				k[i].IntervalNumber = current - int32(31-i)
				k[i].IntervalCount = 1
			}
			return k
		}, status: 400, code: ErrorBadRequest},
		{name: "4 keys with one start", keys: func(k []ExposureKey) []ExposureKey {
			k = append(k, keysAt(testNow, 1)...)
			for i := range k {
				k[i].IntervalNumber = today - 144
				k[i].IntervalCount = int32(100 + i)
			}
			return k
		}, status: 400, code: ErrorBadRequest},
		{name: "overlapping keys", keys: func(k []ExposureKey) []ExposureKey {
			k[0].IntervalNumber, k[1].IntervalNumber = today-144, today-144+10
			return k[:2]
		}, status: 400, code: ErrorBadRequest},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				keys := keysAt(testNow, 3)
				if c.keys != nil {
					keys = c.keys(keys)
				}
				req := h.request(keys, c.cert)
				if c.req != nil {
					c.req(req)
				}
				st, resp := h.post(req)
				if st != c.status || resp.Code != c.code {
					t.Fatalf("got %d %q (%s), want %d %q", st, resp.Code, resp.Error, c.status, c.code)
				}
				if resp.Error == "" || len(resp.Padding) < 1024 || resp.RevisionToken != "" {
					t.Fatalf("error response lacks message or padding: %+v", resp)
				}
				if n := h.count(); n != 0 {
					t.Fatalf("%d rows stored after refusal", n)
				}
			})
		}
	})
}

func TestRejectedBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		good, _ := json.Marshal(h.request(keysAt(testNow, 2), nil))
		huge := h.request(keysAt(testNow, 2), nil)
		huge.Padding = strings.Repeat("A", MaxBodyBytes)
		hugeBody, _ := json.Marshal(huge)
		for _, c := range []struct {
			name   string
			body   []byte
			ctype  string
			status int
		}{
			{"malformed JSON", []byte(`{"temporaryExposureKeys": [`), "", 400},
			{"trailing data", append(append([]byte{}, good...), []byte(` {}`)...), "", 400},
			{"unknown field", bytes.Replace(good, []byte(`{`), []byte(`{"regions":["VN"],`), 1), "", 400},
			{"wrong type", []byte(`{"temporaryExposureKeys": "x"}`), "", 400},
			{"empty body", nil, "", 400},
			{"oversize body", hugeBody, "", 413},
			{"not JSON content type", good, "text/plain", 415},
		} {
			t.Run(c.name, func(t *testing.T) {
				hdr := map[string]string{}
				if c.ctype != "" {
					hdr["Content-Type"] = c.ctype
				}
				st, resp, _ := h.postRaw(c.body, hdr)
				if st != c.status || resp.Code != ErrorBadRequest || len(resp.Padding) < 1024 {
					t.Fatalf("got %d %+v, want %d bad_request", st, resp.Code, c.status)
				}
				if h.count() != 0 {
					t.Fatal("rows stored")
				}
			})
		}
		// The well-formed body is accepted (so the cases above fail for the
		// reason they name).
		if st, _, _ := h.postRaw(good, nil); st != 200 || h.count() != 2 {
			t.Fatalf("good body: %d", st)
		}
	})
}

func TestAppRestrictedToIssuers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		if err := h.srv.UpsertAuthorizedApp(ctx, AuthorizedApp{ID: "vn.bluezone.hcm", HealthAuthorities: []string{"bluezone-vn-79"}}); err != nil {
			t.Fatal(err)
		}
		req := h.request(keysAt(testNow, 1), nil)
		req.HealthAuthorityID = "vn.bluezone.hcm"
		if st, resp := h.post(req); st != 401 || resp.Code != ErrorVerificationCertificateInvalid {
			t.Fatalf("%d %+v", st, resp)
		}
		if err := h.srv.UpsertAuthorizedApp(ctx, AuthorizedApp{ID: "vn.bluezone.hcm", HealthAuthorities: []string{"bluezone-vn-79", testIssuer}}); err != nil {
			t.Fatal(err)
		}
		if st, resp := h.post(req); st != 200 || resp.InsertedExposures != 1 {
			t.Fatalf("%d %+v", st, resp)
		}
	})
}

func TestRetiredKeyRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		thru := testNow.Add(-time.Minute)
		err := h.srv.UpsertHealthAuthority(context.Background(), HealthAuthority{Issuer: testIssuer, Audience: testAudience,
			Keys: []HealthAuthorityKey{{Version: "v1", PublicKeyPEM: pemOf(t, &h.priv.PublicKey), From: testNow.Add(-48 * time.Hour), Thru: &thru}}})
		if err != nil {
			t.Fatal(err)
		}
		if st, resp := h.post(h.request(keysAt(testNow, 1), nil)); st != 401 || resp.Code != ErrorVerificationCertificateInvalid {
			t.Fatalf("%d %+v", st, resp)
		}
		if h.count() != 0 {
			t.Fatal("stored")
		}
	})
}

func TestTekmacWithoutTRWhenAllZero(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		if st, resp := h.post(h.request(keysAt(testNow, 3), func(o *certOpts) { o.noTR = true })); st != 200 || resp.InsertedExposures != 3 {
			t.Fatalf("%d %+v", st, resp)
		}
	})
}

func TestChaffStoresNothingAndLooksReal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		body, _ := json.Marshal(h.request(keysAt(testNow, 14), nil))
		_, _, realRaw := h.postRaw(body, nil)
		if h.count() != 14 {
			t.Fatal("real publish not stored")
		}
		chaffBody, _ := json.Marshal(h.request(keysAt(testNow, 14), nil))
		st, resp, raw := h.postRaw(chaffBody, map[string]string{"X-Chaff": "1"})
		if st != 200 || resp.Code != "" || resp.InsertedExposures != 14 || len(resp.Padding) < 1024 {
			t.Fatalf("chaff: %d %+v", st, resp)
		}
		var real PublishResponse
		_ = json.Unmarshal(realRaw, &real)
		if len(resp.RevisionToken) != len(real.RevisionToken) {
			t.Fatalf("chaff token %d bytes, real %d", len(resp.RevisionToken), len(real.RevisionToken))
		}
		var a, b map[string]any
		_ = json.Unmarshal(raw, &a)
		_ = json.Unmarshal(realRaw, &b)
		for k := range b {
			if _, ok := a[k]; !ok {
				t.Errorf("chaff response lacks %q", k)
			}
		}
		if len(a) != len(b) {
			t.Errorf("chaff fields %v, real %v", a, b)
		}
		if d := len(raw) - len(realRaw); d > 1500 || d < -1500 {
			t.Errorf("sizes differ by %d", d)
		}
		if h.count() != 14 {
			t.Fatal("chaff stored keys")
		}
		// Chaff with garbage is answered the same way and stores nothing.
		if st, _, _ := h.postRaw([]byte("garbage"), map[string]string{"X-Chaff": "1"}); st != 200 || h.count() != 14 {
			t.Fatal("garbage chaff")
		}
	})
}
