package keyserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestConcurrentWritersRace publishes the same keys in many requests at
// once, beside requests with keys of their own, with several writers on
// PostgreSQL (one on SQLite): exactly one request stores the shared keys,
// the others are refused for lack of a revision token, and every other
// request is stored whole.
func TestConcurrentWritersRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, func(c *Config) { c.Writers = 4; c.MaxBatch = 4 })
		shared := keysAt(testNow, 3)
		const racers, others = 12, 24
		var bodies [][]byte
		for i := 0; i < racers+others; i++ {
			keys := shared
			if i >= racers {
				keys = keysAt(testNow, 5)
			}
			b, err := json.Marshal(h.request(keys, nil))
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, b)
		}
		type answer struct {
			status int
			resp   PublishResponse
			err    error
		}
		answers := make([]answer, len(bodies))
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := h.http.Client().Post(h.http.URL+"/v1/publish", "application/json", bytes.NewReader(b))
				if err != nil {
					answers[i].err = err
					return
				}
				defer res.Body.Close()
				raw, _ := io.ReadAll(res.Body)
				answers[i].status = res.StatusCode
				answers[i].err = json.Unmarshal(raw, &answers[i].resp)
			}()
		}
		wg.Wait()
		won := 0
		for i, a := range answers {
			switch {
			case a.err != nil:
				t.Fatalf("request %d: %v", i, a.err)
			case i >= racers:
				if a.status != http.StatusOK || a.resp.InsertedExposures != 5 {
					t.Errorf("own keys %d: status %d, %+v", i, a.status, a.resp)
				}
			case a.status == http.StatusOK && a.resp.InsertedExposures == 3:
				won++
			case a.status != http.StatusBadRequest || a.resp.Code != ErrorMissingRevisionToken:
				t.Errorf("racer %d: status %d, %+v; want 400 %s", i, a.status, a.resp, ErrorMissingRevisionToken)
			}
		}
		if won != 1 {
			t.Errorf("%d racers stored the shared keys, want 1", won)
		}
		if got, want := h.count(), 3+others*5; got != want {
			t.Errorf("stored %d rows, want %d", got, want)
		}
	})
}
