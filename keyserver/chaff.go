package keyserver

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// chaffTracker remembers how long real publish requests take, so that a
// chaff request (header X-Chaff) can be held about as long. Apps send chaff
// so that an observer of their traffic cannot tell when a user really
// published.
type chaffTracker struct {
	mu       sync.Mutex
	avg      time.Duration // exponentially weighted mean of real latencies
	maxDelay time.Duration
}

func newChaffTracker(maxDelay time.Duration) *chaffTracker {
	return &chaffTracker{maxDelay: maxDelay}
}

func (c *chaffTracker) record(d time.Duration) {
	c.mu.Lock()
	if c.avg == 0 {
		c.avg = d
	} else {
		c.avg += (d - c.avg) / 16
	}
	c.mu.Unlock()
}

func (c *chaffTracker) delay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return min(c.avg, c.maxDelay)
}

// serveChaff answers a chaff request with a response of the same shape and
// similar size and latency as a real success, and stores nothing. The body
// is read (and counted) like a real one, never verified.
func (s *Server) serveChaff(w http.ResponseWriter, r *http.Request, start time.Time) {
	n := 0
	body, err := readPublishBody(w, r)
	if err == nil {
		if req, err := DecodePublishRequest(body); err == nil {
			n = min(len(req.Keys), s.cfg.MaxKeysOnPublish)
		}
	}
	fake := make([]byte, base64.StdEncoding.DecodedLen(sealedSize(n)))
	_, _ = rand.Read(fake)
	resp := PublishResponse{
		RevisionToken:     base64.StdEncoding.EncodeToString(fake)[:sealedSize(n)],
		InsertedExposures: n,
		Padding:           httputil.Padding(s.cfg.ResponsePaddingMin, s.cfg.ResponsePaddingMin+s.cfg.ResponsePaddingRange),
	}
	if wait := s.chaff.delay() - time.Since(start); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	s.metrics.result("chaff")
	httputil.WriteJSON(w, http.StatusOK, resp)
}
