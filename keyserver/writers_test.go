package keyserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"time"

	dto "github.com/prometheus/client_model/go"

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

// On SQLite requests that arrive within CommitDelay of each other share one
// commit; a request alone is committed once the delay has passed.
func TestCommitDelayGathers(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t), func(c *Config) { c.CommitDelay = 100 * time.Millisecond; c.CommitBatch = 3 })
	batches := func() (n uint64, requests float64) {
		var m dto.Metric
		if err := h.srv.metrics.batchSize.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, resp := h.post(h.request(keysAt(testNow, 2), nil)); st != http.StatusOK {
				t.Errorf("publish: %d %+v", st, resp)
			}
		}()
	}
	wg.Wait()
	if n, reqs := batches(); n != 1 || reqs != 3 {
		t.Fatalf("%d commits of %v requests in all, want 1 of 3", n, reqs)
	}
	start := time.Now()
	h.publishOK(keysAt(testNow, 2))
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("a lone request was answered after %v, before the commit delay", took)
	}
	if n, reqs := batches(); n != 2 || reqs != 4 || h.count() != 8 {
		t.Fatalf("%d commits of %v requests, %d rows; want 2, 4, 8", n, reqs, h.count())
	}
}

// Settings that cannot work are refused by New with the setting's name.
func TestConfigRefused(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"CommitDelay", func(c *Config) { c.CommitDelay = -time.Millisecond }},
		{"CommitDelay", func(c *Config) { c.CommitDelay = time.Second }},
		{"CommitBatch", func(c *Config) { c.CommitBatch = 1 }},
		{"MaxBatch", func(c *Config) { c.MaxBatch = 0 }},
		{"WriteTimeout", func(c *Config) { c.WriteTimeout = 0 }},
		{"Writers", func(c *Config) { c.Writers = -1 }},
	} {
		cfg := DefaultConfig()
		c.mutate(&cfg)
		_, err := New(cfg, Deps{DB: storetest.SQLite(t), Clock: fixedClock{}, Logger: discardLogger(), Secret: testSecret})
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: New = %v, want an error naming it", c.name, err)
		}
	}
	cfg := DefaultConfig()
	cfg.CommitDelay, cfg.CommitBatch = 0, 0 // off: the batch size is then unused
	if err := cfg.Validate(); err != nil {
		t.Errorf("CommitDelay 0: %v", err)
	}
}
