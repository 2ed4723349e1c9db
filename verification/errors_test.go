package verification

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// errCase is one bad request: setup prepares state and returns the request;
// the answer must carry status and code, and the stored rows (other than the
// aggregate counters) must not change.
type errCase struct {
	name   string
	setup  func(e *env) (path, key string, body any)
	status int
	code   string
}

func (e *env) code(adminKey string, req map[string]any) map[string]any { return e.issue(adminKey, req) }

// token issues and verifies a confirmed code of realm 67 and returns the token.
func (e *env) token() string {
	e.t.Helper()
	c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
	status, v := e.verify(e.device67, str(c, "code"))
	if status != 200 {
		e.t.Fatalf("verify: %d %v", status, v)
	}
	return str(v, "token")
}

var goodHMAC = base64.StdEncoding.EncodeToString(make([]byte, 32))

func day(e *env, offsetDays int) string {
	return e.clock.Now().Add(7*time.Hour).AddDate(0, 0, offsetDays).Format(dateLayout)
}

func errorCases() []errCase {
	issue := func(key func(*env) string, body map[string]any) func(*env) (string, string, any) {
		return func(e *env) (string, string, any) { return "/api/issue", key(e), body }
	}
	vn := func(e *env) string { return e.adminVN }
	a67 := func(e *env) string { return e.admin67 }
	big := `{"testType":"confirmed","padding":"` + strings.Repeat("A", 70_000) + `"}`
	return []errCase{
		// Authentication.
		{"verify without key", func(e *env) (string, string, any) { return "/api/verify", "", `{"code":"12345678"}` }, 401, ErrUnauthorized},
		{"verify with admin key", func(e *env) (string, string, any) { return "/api/verify", e.admin67, `{"code":"12345678"}` }, 401, ErrUnauthorized},
		{"certificate with admin key", func(e *env) (string, string, any) {
			return "/api/certificate", e.adminVN, map[string]any{"token": e.token(), "ekeyhmac": goodHMAC}
		}, 401, ErrUnauthorized},
		{"issue with device key", issue(func(e *env) string { return e.device67 }, map[string]any{"testType": "confirmed"}), 401, ErrUnauthorized},
		{"issue with unknown key", issue(func(*env) string { return "bza.nothing" }, map[string]any{"testType": "confirmed"}), 401, ErrUnauthorized},
		{"issue with disabled key", func(e *env) (string, string, any) {
			k, err := e.srv.CreateAPIKey(context.Background(), "67", KindAdmin, "to disable")
			if err != nil {
				e.t.Fatal(err)
			}
			keys, _ := e.srv.ListAPIKeys(context.Background(), "67")
			for _, key := range keys {
				if key.Name == "to disable" {
					if err := e.srv.DisableAPIKey(context.Background(), key.ID); err != nil {
						e.t.Fatal(err)
					}
				}
			}
			return "/api/issue", k, map[string]any{"testType": "confirmed"}
		}, 401, ErrUnauthorized},

		// /api/issue validation.
		{"issue malformed JSON", func(e *env) (string, string, any) { return "/api/issue", e.adminVN, `{"testType": confirmed}` }, 400, ErrUnparsableRequest},
		{"issue unknown field", func(e *env) (string, string, any) { return "/api/issue", e.adminVN, `{"testType":"confirmed","x":1}` }, 400, ErrUnparsableRequest},
		{"issue trailing data", func(e *env) (string, string, any) { return "/api/issue", e.adminVN, `{"testType":"confirmed"} {}` }, 400, ErrUnparsableRequest},
		{"issue oversize body", func(e *env) (string, string, any) { return "/api/issue", e.adminVN, big }, 413, ErrUnparsableRequest},
		{"issue unknown test type", issue(vn, map[string]any{"testType": "positive"}), 400, ErrInvalidTestType},
		{"issue test type the realm does not allow", func(e *env) (string, string, any) {
			if err := e.srv.UpdateRealm(context.Background(), Realm{Code: "04", AllowedTestTypes: []string{TestConfirmed}, DailyQuota: -1}); err != nil {
				e.t.Fatal(err)
			}
			return "/api/issue", e.adminVN, map[string]any{"testType": "likely", "realm": "04"}
		}, 412, ErrUnsupportedType},
		{"issue bad date format", issue(vn, map[string]any{"testType": "confirmed", "symptomDate": "2025/03/01"}), 400, ErrUnparsableRequest},
		{"issue future date", func(e *env) (string, string, any) {
			return "/api/issue", e.adminVN, map[string]any{"testType": "confirmed", "testDate": day(e, 1), "tzOffset": 420}
		}, 400, ErrInvalidDate},
		{"issue date too old", func(e *env) (string, string, any) {
			return "/api/issue", e.adminVN, map[string]any{"testType": "confirmed", "symptomDate": day(e, -29), "tzOffset": 420}
		}, 400, ErrInvalidDate},
		{"issue missing required date", func(e *env) (string, string, any) {
			if err := e.srv.UpdateRealm(context.Background(), Realm{Code: "06", RequireDate: true, DailyQuota: -1}); err != nil {
				e.t.Fatal(err)
			}
			return "/api/issue", e.adminVN, map[string]any{"testType": "confirmed", "realm": "06"}
		}, 400, ErrMissingDate},
		{"issue with phone", issue(vn, map[string]any{"testType": "confirmed", "phone": "+84912345678"}), 400, ErrPhoneNotSupported},
		{"issue bad tzOffset", issue(vn, map[string]any{"testType": "confirmed", "tzOffset": 5000}), 400, ErrUnparsableRequest},
		{"issue for another province", issue(a67, map[string]any{"testType": "confirmed", "realm": "01"}), 403, ErrRealmForbidden},
		{"issue for unknown realm", issue(vn, map[string]any{"testType": "confirmed", "realm": "99"}), 400, ErrInvalidRealm},
		{"issue duplicate uuid", func(e *env) (string, string, any) {
			e.issue(e.adminVN, map[string]any{"testType": "confirmed", "uuid": "dup-1"})
			return "/api/issue", e.adminVN, map[string]any{"testType": "confirmed", "uuid": "dup-1"}
		}, 409, ErrUUIDAlreadyExists},
		{"issue over quota", func(e *env) (string, string, any) {
			if err := e.srv.UpdateRealm(context.Background(), Realm{Code: "02", DailyQuota: 1}); err != nil {
				e.t.Fatal(err)
			}
			e.issue(e.adminVN, map[string]any{"testType": "confirmed", "realm": "02"})
			return "/api/issue", e.adminVN, map[string]any{"testType": "confirmed", "realm": "02"}
		}, 429, ErrQuotaExceeded},

		// /api/verify.
		{"verify unknown code", func(e *env) (string, string, any) {
			return "/api/verify", e.device67, map[string]any{"code": "00000000"}
		}, 400, ErrCodeInvalid},
		{"verify empty code", func(e *env) (string, string, any) { return "/api/verify", e.device67, map[string]any{"code": ""} }, 400, ErrCodeInvalid},
		{"verify reused code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			if s, _ := e.verify(e.device67, str(c, "code")); s != 200 {
				e.t.Fatal("first verify failed")
			}
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code")}
		}, 400, ErrCodeInvalid},
		{"verify long code after short code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			if s, _ := e.verify(e.device67, str(c, "code")); s != 200 {
				e.t.Fatal("first verify failed")
			}
			return "/api/verify", e.device67, map[string]any{"code": str(c, "longCode")}
		}, 400, ErrCodeInvalid},
		{"verify expired code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			e.clock.Advance(15 * time.Minute)
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code")}
		}, 400, ErrCodeExpired},
		{"verify expired long code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			e.clock.Advance(24 * time.Hour)
			return "/api/verify", e.device67, map[string]any{"code": str(c, "longCode")}
		}, 400, ErrCodeExpired},
		{"verify expired by admin", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			if s, m := e.post("/api/expirecode", e.admin67, map[string]any{"uuid": str(c, "uuid")}); s != 200 {
				e.t.Fatalf("expire: %d %v", s, m)
			}
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code")}
		}, 400, ErrCodeExpired},
		{"verify likely code, app accepts confirmed", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "likely"})
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code"), "accept": []string{"confirmed"}}
		}, 412, ErrUnsupportedType},
		{"verify negative code, app accepts likely", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "negative"})
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code"), "accept": []string{"likely"}}
		}, 412, ErrUnsupportedType},
		{"verify contact code, app accepts negative", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "contact"})
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code"), "accept": []string{"negative"}}
		}, 412, ErrUnsupportedType},
		{"verify unknown accept value", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			return "/api/verify", e.device67, map[string]any{"code": str(c, "code"), "accept": []string{"positive"}}
		}, 400, ErrInvalidTestType},
		{"verify code of another province", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			return "/api/verify", e.device01, map[string]any{"code": str(c, "code")}
		}, 400, ErrCodeInvalid},
		{"verify malformed JSON", func(e *env) (string, string, any) { return "/api/verify", e.device67, `{"code":` }, 400, ErrUnparsableRequest},
		{"verify unknown field", func(e *env) (string, string, any) { return "/api/verify", e.device67, `{"code":"12345678","x":1}` }, 400, ErrUnparsableRequest},
		{"verify trailing data", func(e *env) (string, string, any) { return "/api/verify", e.device67, `{"code":"12345678"}x` }, 400, ErrUnparsableRequest},
		{"verify oversize body", func(e *env) (string, string, any) { return "/api/verify", e.device67, big }, 413, ErrUnparsableRequest},
		{"verify wrong JSON type", func(e *env) (string, string, any) { return "/api/verify", e.device67, `{"code":12345678}` }, 400, ErrUnparsableRequest},

		// /api/certificate.
		{"certificate replayed token", func(e *env) (string, string, any) {
			tok := e.token()
			if s, m := e.post("/api/certificate", e.device67, map[string]any{"token": tok, "ekeyhmac": goodHMAC}); s != 200 {
				e.t.Fatalf("first certificate: %d %v", s, m)
			}
			return "/api/certificate", e.device67, map[string]any{"token": tok, "ekeyhmac": goodHMAC}
		}, 400, ErrTokenInvalid},
		{"certificate expired token", func(e *env) (string, string, any) {
			tok := e.token()
			e.clock.Advance(24 * time.Hour)
			return "/api/certificate", e.device67, map[string]any{"token": tok, "ekeyhmac": goodHMAC}
		}, 400, ErrTokenExpired},
		{"certificate short ekeyhmac", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, map[string]any{"token": e.token(), "ekeyhmac": base64.StdEncoding.EncodeToString(make([]byte, 31))}
		}, 400, ErrHMACInvalid},
		{"certificate long ekeyhmac", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, map[string]any{"token": e.token(), "ekeyhmac": base64.StdEncoding.EncodeToString(make([]byte, 33))}
		}, 400, ErrHMACInvalid},
		{"certificate bad base64 ekeyhmac", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, map[string]any{"token": e.token(), "ekeyhmac": "!!!not base64!!!"}
		}, 400, ErrHMACInvalid},
		{"certificate missing ekeyhmac", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, map[string]any{"token": e.token()}
		}, 400, ErrHMACInvalid},
		{"certificate garbage token", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, map[string]any{"token": "a.b.c", "ekeyhmac": goodHMAC}
		}, 400, ErrTokenInvalid},
		{"certificate token of another secret", func(e *env) (string, string, any) {
			other, err := New(DefaultConfig(), Deps{DB: e.db, Clock: e.clock, Logger: slog.New(slog.DiscardHandler), Secret: make([]byte, 32)})
			if err != nil {
				e.t.Fatal(err)
			}
			tok, _ := other.signToken("forged", subject{TestType: TestConfirmed}, e.clock.Now())
			return "/api/certificate", e.device67, map[string]any{"token": tok, "ekeyhmac": goodHMAC}
		}, 400, ErrTokenInvalid},
		{"certificate token of another province", func(e *env) (string, string, any) {
			return "/api/certificate", e.device01, map[string]any{"token": e.token(), "ekeyhmac": goodHMAC}
		}, 400, ErrTokenInvalid},
		{"certificate malformed JSON", func(e *env) (string, string, any) { return "/api/certificate", e.device67, `{"token":` }, 400, ErrTokenInvalid},
		{"certificate unknown field", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, `{"token":"x","ekeyhmac":"` + goodHMAC + `","tek":1}`
		}, 400, ErrTokenInvalid},
		{"certificate trailing data", func(e *env) (string, string, any) {
			return "/api/certificate", e.device67, `{"token":"x","ekeyhmac":"` + goodHMAC + `"}{}`
		}, 400, ErrTokenInvalid},
		{"certificate oversize body", func(e *env) (string, string, any) { return "/api/certificate", e.device67, big }, 413, ErrTokenInvalid},

		// Status and expiry.
		{"status unknown uuid", func(e *env) (string, string, any) {
			return "/api/checkcodestatus", e.admin67, map[string]any{"uuid": "nope"}
		}, 404, ErrCodeNotFound},
		{"status of another province's code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			return "/api/checkcodestatus", e.mustKey("01", KindAdmin), map[string]any{"uuid": str(c, "uuid")}
		}, 404, ErrCodeNotFound},
		{"status naming another province", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			return "/api/checkcodestatus", e.admin67, map[string]any{"uuid": str(c, "uuid"), "realm": "01"}
		}, 403, ErrRealmForbidden},
		{"expire claimed code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			e.verify(e.device67, str(c, "code"))
			return "/api/expirecode", e.admin67, map[string]any{"uuid": str(c, "uuid")}
		}, 400, ErrCodeInvalid},
		{"expire another province's code", func(e *env) (string, string, any) {
			c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
			return "/api/expirecode", e.mustKey("01", KindAdmin), map[string]any{"uuid": str(c, "uuid")}
		}, 404, ErrCodeNotFound},
		{"expire unknown field", func(e *env) (string, string, any) {
			return "/api/expirecode", e.admin67, `{"uuid":"x","y":2}`
		}, 400, ErrUnparsableRequest},
	}
}

func TestErrorPaths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.ClientMaxFailures, c.KeyMaxFailures = 1000, 1000 })
		for _, tc := range errorCases() {
			t.Run(tc.name, func(t *testing.T) {
				e.t = t
				path, key, body := tc.setup(e)
				before := snapshot(t, e.db)
				status, m := e.post(path, key, body)
				if status != tc.status || str(m, "errorCode") != tc.code {
					t.Errorf("got %d %q (%s), want %d %q", status, str(m, "errorCode"), str(m, "error"), tc.status, tc.code)
				}
				if str(m, "error") == "" {
					t.Errorf("no error message in %v", m)
				}
				if after := snapshot(t, e.db); after != before {
					t.Errorf("stored rows changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}
	})
}

func TestRetryAfterOnQuota(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), nil)
	if err := e.srv.UpdateRealm(context.Background(), Realm{Code: "67", DailyQuota: 1}); err != nil {
		t.Fatal(err)
	}
	e.issue(e.admin67, map[string]any{"testType": "confirmed"})
	_, err := e.srv.IssueCode(context.Background(), "67", IssueRequest{TestType: "confirmed"})
	var apiE *Error
	if !asError(err, &apiE) || apiE.Code != ErrQuotaExceeded || apiE.RetryAfter != 21*time.Hour {
		t.Fatalf("IssueCode over quota: %v (%+v)", err, apiE)
	}
	// The next UTC day has a fresh quota.
	e.clock.Advance(21 * time.Hour)
	if _, err := e.srv.IssueCode(context.Background(), "67", IssueRequest{TestType: "confirmed"}); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}
