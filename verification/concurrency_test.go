package verification

import (
	"net/http"
	"sync"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestConcurrentClaims races 8 clients for one code and 8 for one token:
// exactly one of each wins.
func TestConcurrentClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.ClientMaxFailures, c.KeyMaxFailures = 100, 100 })
		race := func(path string, body map[string]any) (wins int, codes map[string]int) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			codes = map[string]int{}
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, jsonBody(body))
					req.Header.Set("X-API-Key", e.device67)
					resp, err := e.http.Client().Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					mu.Lock()
					defer mu.Unlock()
					if resp.StatusCode == http.StatusOK {
						wins++
					}
					codes[resp.Status]++
				}()
			}
			wg.Wait()
			return wins, codes
		}
		c := e.issue(e.admin67, map[string]any{"testType": "confirmed"})
		if wins, codes := race("/api/verify", map[string]any{"code": str(c, "code")}); wins != 1 {
			t.Errorf("code claimed %d times: %v", wins, codes)
		}
		if wins, codes := race("/api/certificate", map[string]any{"token": e.token(), "ekeyhmac": goodHMAC}); wins != 1 {
			t.Errorf("token claimed %d times: %v", wins, codes)
		}
	})
}
