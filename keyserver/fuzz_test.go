package keyserver

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bluezone-vn/bluezone/store/storetest"
)

// FuzzPublishRequest feeds arbitrary bodies to the request decoder and, when
// they decode, to the key validation: neither may panic, a decoded request
// must survive a round trip, and validation must never accept more keys than
// were sent or any key breaking the limits.
func FuzzPublishRequest(f *testing.F) {
	keys := keysAt(testNow, 3)
	good, _ := json.Marshal(PublishRequest{Keys: keys, HealthAuthorityID: "vn.bluezone", VerificationPayload: "a.b.c",
		HMACKey: "c2VjcmV0", SymptomOnsetInterval: 1, RevisionToken: "x", Padding: "cGFk"})
	for _, s := range []string{string(good), `{}`, `null`, `[]`, `{"temporaryExposureKeys":[{"key":"AAAAAAAAAAAAAAAAAAAAAA==","rollingStartNumber":-5,"rollingPeriod":999999}]}`,
		`{"temporaryexposurekeys":[]}`, `{"padding":"` + "\xff" + `"}`, `{"a":1}`, `{"healthAuthorityID":"x","healthAuthorityID":"y"}`, `{} {}`} {
		f.Add([]byte(s))
	}
	db := storetest.SQLite(f)
	srv, err := New(DefaultConfig(), Deps{DB: db, Clock: fixedClock{}, Logger: discardLogger(), Secret: make32(1)})
	if err != nil {
		f.Fatal(err)
	}
	vc := &verifiedClaims{issuer: "i", reportType: ReportTypeConfirmed}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodePublishRequest(body)
		if err != nil {
			if req != nil {
				t.Fatal("request returned with an error")
			}
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		req2, err := DecodePublishRequest(again)
		if err != nil || !reflect.DeepEqual(req, req2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, req, req2)
		}
		res, err := srv.transform(req, vc, testNow)
		if err != nil {
			return
		}
		if len(res.exposures)+len(res.dropped) > len(req.Keys) {
			t.Fatalf("more results than keys")
		}
		for _, e := range res.exposures {
			if e.rollingPeriod < 1 || e.rollingPeriod > 144 || e.transmissionRisk < 0 || e.transmissionRisk > 8 ||
				e.daysSinceOnset == nil || *e.daysSinceOnset < -14 || *e.daysSinceOnset > 14 {
				t.Fatalf("accepted a bad key: %+v", e)
			}
		}
	})
}
