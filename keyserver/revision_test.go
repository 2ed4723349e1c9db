package keyserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func withType(rt string) func(*certOpts) { return func(o *certOpts) { o.reportType = &rt } }

func TestRevisionFlows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		keys := keysAt(testNow, 3)
		st, first := h.post(h.request(keys, withType(ReportTypeLikely)))
		if st != 200 || first.InsertedExposures != 3 || first.RevisionToken == "" {
			t.Fatalf("likely publish: %d %+v", st, first)
		}
		snapshot := func() []row {
			var out []row
			for _, k := range keys {
				out = append(out, *h.row(k.Key))
			}
			return out
		}
		before := snapshot()
		unchanged := func(name string) {
			t.Helper()
			after := snapshot()
			for i := range after {
				if after[i].revAt != nil || after[i].rt != before[i].rt || after[i].created != before[i].created {
					t.Fatalf("%s changed row %d: %+v", name, i, after[i])
				}
			}
		}

		// Replaying the same certificate and keys without the token fails:
		// stored keys can only be re-sent with a revision token.
		_ = snapshot
		for _, c := range []struct {
			name  string
			token string
			code  string
		}{
			{"no token", "", ErrorMissingRevisionToken},
			{"garbage token", "AAAA", ErrorInvalidRevisionToken},
			{"tampered token", first.RevisionToken[:20] + "A" + first.RevisionToken[21:], ErrorInvalidRevisionToken},
		} {
			req := h.request(keys, withType(ReportTypeConfirmed))
			req.RevisionToken = c.token
			if st, resp := h.post(req); st != http.StatusBadRequest || resp.Code != c.code {
				t.Fatalf("%s: %d %+v", c.name, st, resp)
			}
			unchanged(c.name)
		}
		// A valid token for other keys does not cover these.
		_, other := h.post(h.request(keysAt(testNow, 1), nil))
		req := h.request(keys, withType(ReportTypeConfirmed))
		req.RevisionToken = other.RevisionToken
		if st, resp := h.post(req); st != 400 || resp.Code != ErrorInvalidRevisionToken {
			t.Fatalf("foreign token: %d %+v", st, resp)
		}
		unchanged("foreign token")

		// Same report type with the token: nothing to do, success.
		req = h.request(keys, withType(ReportTypeLikely))
		req.RevisionToken = first.RevisionToken
		if st, resp := h.post(req); st != 200 || resp.InsertedExposures != 0 || resp.RevisionToken == "" {
			t.Fatalf("same type: %d %+v", st, resp)
		}
		unchanged("same type")

		// likely → confirmed an hour later.
		h.clk.Advance(time.Hour)
		req = h.request(keys, withType(ReportTypeConfirmed))
		req.RevisionToken = first.RevisionToken
		st, second := h.post(req)
		if st != 200 || second.Code != "" || second.RevisionToken == "" {
			t.Fatalf("revise: %d %+v", st, second)
		}
		hour := testNow.Add(time.Hour).Truncate(time.Hour).Unix()
		for i, k := range keys {
			r := h.row(k.Key)
			wantAt := hour
			if i == len(keys)-1 {
				wantAt = before[i].created // still-valid key: embargoed revision
			}
			if r.rt != ExportClinical || r.revType == nil || *r.revType != ExportConfirmedTest || r.revTR == nil || *r.revTR != 2 ||
				r.revAt == nil || *r.revAt != wantAt || r.revDSOS == nil || r.created != before[i].created {
				t.Fatalf("key %d after revision: %+v", i, r)
			}
		}
		// Revising again (confirmed → negative) is refused: only once.
		req = h.request(keys, withType(ReportTypeNegative))
		req.RevisionToken = second.RevisionToken
		if st, resp := h.post(req); st != 400 || resp.Code != ErrorKeyAlreadyRevised {
			t.Fatalf("second revision: %d %+v", st, resp)
		}
		// Re-sending the revised type is a no-op.
		req = h.request(keys, withType(ReportTypeConfirmed))
		req.RevisionToken = second.RevisionToken
		if st, resp := h.post(req); st != 200 {
			t.Fatalf("resend revised: %d %+v", st, resp)
		}
	})
}

func TestRevisionTransitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, c := range []struct {
			from, to string
			ok       bool
			export   int
		}{
			{ReportTypeConfirmed, ReportTypeLikely, false, 0},
			{ReportTypeConfirmed, ReportTypeNegative, false, 0},
			{ReportTypeLikely, ReportTypeNegative, true, ExportRevoked},
			{ReportTypeContact, ReportTypeConfirmed, true, ExportConfirmedTest},
			{ReportTypeContact, ReportTypeLikely, true, ExportClinical},
			{ReportTypeLikely, ReportTypeContact, false, 0},
		} {
			t.Run(c.from+"→"+c.to, func(t *testing.T) {
				keys := keysAt(testNow, 2)
				_, first := h.post(h.request(keys, withType(c.from)))
				req := h.request(keys, withType(c.to))
				req.RevisionToken = first.RevisionToken
				st, resp := h.post(req)
				r := h.row(keys[0].Key)
				if !c.ok {
					if st != 400 || resp.Code != ErrorInvalidReportTypeTransition || r.revAt != nil {
						t.Fatalf("%d %+v row %+v", st, resp, r)
					}
					return
				}
				if st != 200 || r.revType == nil || *r.revType != c.export {
					t.Fatalf("%d %+v row %+v", st, resp, r)
				}
			})
		}
	})
}

func TestRevisionTokenKeepsOldKeysAndIsPadded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		a, b := keysAt(testNow, 1), keysAt(testNow.Add(-24*time.Hour), 1)
		_, r1 := h.post(h.request(a, withType(ReportTypeLikely)))
		req := h.request(b, withType(ReportTypeLikely))
		req.RevisionToken = r1.RevisionToken
		_, r2 := h.post(req)
		got, err := h.srv.tokens.open(ctx, r2.RevisionToken)
		if err != nil || len(got) != 2 {
			t.Fatalf("token keys %d, %v", len(got), err)
		}
		big := keysAt(testNow, 14)
		_, r3 := h.post(h.request(big[:3], nil))
		if len(r1.RevisionToken) != len(r3.RevisionToken) || len(r1.RevisionToken) != sealedSize(1) {
			t.Fatalf("token sizes differ: %d vs %d (want %d)", len(r1.RevisionToken), len(r3.RevisionToken), sealedSize(1))
		}
		// A token survives a restart (keys are stored, wrapped).
		srv2, err := New(h.srv.cfg, Deps{DB: db, Clock: h.clk, Logger: h.srv.log, Secret: make32(7)})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := srv2.tokens.open(ctx, r2.RevisionToken); err != nil || len(got) != 2 {
			t.Fatalf("after restart: %d %v", len(got), err)
		}
		// With a different secret the stored keys cannot be unwrapped.
		srv3, _ := New(h.srv.cfg, Deps{DB: db, Clock: h.clk, Logger: h.srv.log, Secret: make32(8)})
		if _, err := srv3.tokens.open(ctx, r2.RevisionToken); err == nil {
			t.Fatal("token opened under another secret")
		}
		// The stored key material is not the raw AES key: 32 + nonce + tag.
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM revision_keys`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("revision keys %d %v", n, err)
		}
	})
}

func make32(b byte) []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = b
	}
	return s
}
