package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluezone-vn/bluezone/internal/loadgen"
)

// result is one measured phase and how many of its accepted check-ins came
// from new devices.
type result struct {
	loadgen.Result
	acceptedNew int
}

// request is one prepared check-in body; isNew says whether its token has
// never been seen, so the phase can count accepted new devices.
type request struct {
	body  []byte
	isNew bool
}

// drive posts reqs from clients concurrent keep-alive clients until they run
// out or d passes. A request is accepted when the answer is 200 with an
// empty error code.
func drive(ctx context.Context, client *http.Client, url string, reqs []request, clients int, d time.Duration) *result {
	var next atomic.Int64
	var mu sync.Mutex
	res := &result{Result: loadgen.Result{Errors: map[string]int{}}}
	var wg sync.WaitGroup
	cpu0 := loadgen.CPUTime()
	start := time.Now()
	deadline := start.Add(d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, len(reqs)/clients+1)
			errs := map[string]int{}
			ok, okNew := 0, 0
			buf := make([]byte, 0, 512)
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) || time.Now().After(deadline) {
					break
				}
				t0 := time.Now()
				code, body := post(ctx, client, url, reqs[i].body, buf)
				if code != http.StatusOK || !bytes.Contains(body, []byte(`"error":""`)) {
					errs[fmt.Sprintf("%d %s", code, errCode(body))]++
					continue
				}
				lat = append(lat, time.Since(t0))
				ok++
				if reqs[i].isNew {
					okNew++
				}
			}
			mu.Lock()
			res.Add(ok, lat, errs)
			res.acceptedNew += okNew
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.CPU = loadgen.CPUTime() - cpu0
	return res
}

func post(ctx context.Context, client *http.Client, url string, body, buf []byte) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, []byte(`"error":"transport"`)
	}
	defer res.Body.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := res.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if err != io.EOF {
				return 0, []byte(`"error":"transport"`)
			}
			return res.StatusCode, buf
		}
	}
}

func errCode(body []byte) string {
	s := string(body)
	if i := strings.Index(s, `"error":"`); i >= 0 {
		s = s[i+9:]
		if j := strings.IndexByte(s, '"'); j >= 0 {
			return s[:j]
		}
	}
	return "?"
}
