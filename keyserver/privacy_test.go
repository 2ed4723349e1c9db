package keyserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestPrivacyStoredTables runs publishes, a revision and chaff, then reads
// every table: key material appears only in exposures, no table holds a
// certificate, hmacKey, revision token, app id or client address, and the
// exposures table has exactly the columns of CONTRACTS.md.
func TestPrivacyStoredTables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		var secrets [][]byte // must appear nowhere
		var keyBytes [][]byte
		keys := keysAt(testNow, 5)
		req := h.request(keys, withType(ReportTypeLikely))
		_, r1 := h.post(req)
		req2 := h.request(keys, withType(ReportTypeConfirmed))
		req2.RevisionToken = r1.RevisionToken
		_, r2 := h.post(req2)
		chaff := h.request(keysAt(testNow, 3), nil)
		body, _ := json.Marshal(chaff)
		h.postRaw(body, map[string]string{"X-Chaff": "1"})
		for _, r := range []*PublishRequest{req, req2, chaff} {
			secrets = append(secrets, []byte(r.VerificationPayload), []byte(r.HMACKey))
			hk, _ := base64.StdEncoding.DecodeString(r.HMACKey)
			secrets = append(secrets, hk)
		}
		for _, k := range chaff.Keys {
			raw, _ := base64.StdEncoding.DecodeString(k.Key)
			secrets = append(secrets, raw, []byte(k.Key))
		}
		for _, tok := range []string{r1.RevisionToken, r2.RevisionToken} {
			raw, _ := base64.StdEncoding.DecodeString(tok)
			secrets = append(secrets, []byte(tok), raw[len(raw)-40:])
		}
		secrets = append(secrets, []byte("127.0.0.1"), []byte(testApp))
		for _, k := range keys {
			raw, _ := base64.StdEncoding.DecodeString(k.Key)
			keyBytes = append(keyBytes, raw)
			secrets = append(secrets, []byte(k.Key)) // base64 form is never stored
		}

		if tables := storetest.Tables(t, db); len(tables) < 5 {
			t.Fatalf("only tables %v", tables)
		}
		rowsOf := map[string]int{}
		storetest.EachValue(t, db, func(table, column string, b []byte) {
			if table == "exposures" && column == "exposure_key" {
				rowsOf[table]++
			}
			for _, s := range secrets {
				if len(s) >= 8 && bytes.Contains(b, s) {
					t.Errorf("table %s column %s holds request material", table, column)
				}
			}
			if table != "exposures" {
				for _, k := range keyBytes {
					if bytes.Contains(b, k) {
						t.Errorf("table %s column %s holds key material", table, column)
					}
				}
			}
		})
		if n := rowsOf["exposures"]; n != len(keys) {
			t.Errorf("exposures has %d rows, want %d", n, len(keys))
		}
		rows, err := db.Query(ctx, "SELECT * FROM exposures")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		rows.Close()
		want := []string{"created_at", "days_since_onset", "exposure_key", "health_authority", "report_type",
			"revised_at", "revised_days_since_onset", "revised_report_type", "revised_transmission_risk",
			"rolling_period", "rolling_start", "transmission_risk"}
		sort.Strings(cols)
		if strings.Join(cols, ",") != strings.Join(want, ",") {
			t.Errorf("exposures columns %v, want %v", cols, want)
		}
	})
}
