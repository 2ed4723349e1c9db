package verification

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// limiter counts wrong codes per device API key and per client, in memory
// only, and locks out whoever collects too many (docs/security.md, "Codes
// and guessing"). Clients are identified by a keyed hash of their address
// under a random per-process key: the address itself is never kept,
// stored or logged.
type limiter struct {
	client, key limitPolicy
	maxClients  int

	mu      sync.Mutex
	clients map[[16]byte]*counter
	keys    map[string]*counter
}

type limitPolicy struct {
	max     int
	window  time.Duration
	lockout time.Duration
	// lockToWindowEnd keeps a key locked until its window ends, so a key
	// never gets more than max failures per window.
	lockToWindowEnd bool
}

type counter struct {
	windowStart time.Time
	failures    int
	lockedUntil time.Time
}

func newLimiter(cfg Config) *limiter {
	return &limiter{
		client:     limitPolicy{max: cfg.ClientMaxFailures, window: cfg.ClientWindow, lockout: cfg.ClientLockout},
		key:        limitPolicy{max: cfg.KeyMaxFailures, window: cfg.KeyWindow, lockout: cfg.KeyLockout, lockToWindowEnd: true},
		maxClients: cfg.MaxTrackedClients,
		clients:    map[[16]byte]*counter{},
		keys:       map[string]*counter{},
	}
}

// locked reports how long the client or key is still locked out (0: not).
func (l *limiter) locked(client [16]byte, keyID string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	if c := l.clients[client]; c != nil && now.Before(c.lockedUntil) {
		wait = c.lockedUntil.Sub(now)
	}
	if c := l.keys[keyID]; c != nil && now.Before(c.lockedUntil) {
		wait = max(wait, c.lockedUntil.Sub(now))
	}
	return wait
}

// fail records one wrong code for the client and the key.
func (l *limiter) fail(client [16]byte, keyID string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[client]
	if c == nil {
		if len(l.clients) >= l.maxClients {
			l.pruneLocked(now)
		}
		if len(l.clients) >= l.maxClients {
			// Still full of live counters: forget an arbitrary one rather
			// than grow without bound (map order is random).
			for k := range l.clients {
				delete(l.clients, k)
				break
			}
		}
		c = &counter{}
		l.clients[client] = c
	}
	c.record(l.client, now)
	k := l.keys[keyID]
	if k == nil {
		k = &counter{}
		l.keys[keyID] = k
	}
	k.record(l.key, now)
}

func (c *counter) record(p limitPolicy, now time.Time) {
	if now.Sub(c.windowStart) >= p.window || now.Before(c.windowStart) {
		c.windowStart, c.failures = now, 0
	}
	c.failures++
	if c.failures >= p.max {
		until := now.Add(p.lockout)
		if end := c.windowStart.Add(p.window); p.lockToWindowEnd && end.After(until) {
			until = end
		}
		if until.After(c.lockedUntil) {
			c.lockedUntil = until
		}
	}
}

// prune forgets counters whose window and lock-out are over.
func (l *limiter) prune(now time.Time) {
	l.mu.Lock()
	l.pruneLocked(now)
	l.mu.Unlock()
}

func (l *limiter) pruneLocked(now time.Time) {
	for k, c := range l.clients {
		if c.stale(l.client, now) {
			delete(l.clients, k)
		}
	}
	for k, c := range l.keys {
		if c.stale(l.key, now) {
			delete(l.keys, k)
		}
	}
}

func (c *counter) stale(p limitPolicy, now time.Time) bool {
	return now.Sub(c.windowStart) >= p.window && !now.Before(c.lockedUntil)
}

// clientID hashes the request's client address (the connection's, or the
// first entry of the configured proxy header) under the per-process key.
func (s *Server) clientID(r *http.Request) [16]byte {
	addr := ""
	if s.cfg.ClientIPHeader != "" {
		addr, _, _ = strings.Cut(r.Header.Get(s.cfg.ClientIPHeader), ",")
		addr = strings.TrimSpace(addr)
	}
	if addr == "" {
		addr = r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
	}
	var id [16]byte
	copy(id[:], mac(s.keys.clientMAC, addr))
	return id
}
