package export_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/blob"
	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/keyserver/export"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestServedFilesVerifyWithServedKeys downloads everything over real HTTP,
// as a phone would, and checks headers and signatures against the public
// keys the server publishes — two of them, as during a key rotation.
func TestServedFilesVerifyWithServedKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		ctx := context.Background()
		newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		oldKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		fs, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		clk := clock.NewFake(t0)
		w, err := export.New(testConfig(), export.Deps{DB: db, Blob: fs, Clock: clk, Signers: []export.Signer{
			{KeyID: "452", KeyVersion: "v2", Signer: newKey},
			{Signer: oldKey},
		}})
		if err != nil {
			t.Fatal(err)
		}
		insert(t, db, keyAt(t, t0), keyAt(t, t0.Add(12*time.Second)))
		clk.Set(t0.Add(20 * time.Second))
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		w.Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()

		resp, body := get(t, srv.URL+"/exports/keys.json")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("keys.json: %s %q", resp.Status, resp.Header.Get("Content-Type"))
		}
		var keys []struct{ KeyID, KeyVersion, Algorithm, PublicKeyPEM string }
		if err := json.Unmarshal(body, &keys); err != nil || len(keys) != 2 {
			t.Fatalf("keys.json = %s (%v)", body, err)
		}
		if keys[0].KeyID != "452" || keys[0].KeyVersion != "v2" || keys[1].KeyVersion != "v1" ||
			keys[0].Algorithm != "1.2.840.10045.4.3.2" || !strings.Contains(string(body), `"publicKeyPEM"`) {
			t.Fatalf("keys.json = %s", body)
		}
		trusted := exportfile.TrustedKeys{}
		for _, k := range keys {
			pub, err := exportfile.ParsePublicKey([]byte(k.PublicKeyPEM))
			if err != nil {
				t.Fatal(err)
			}
			trusted[exportfile.KeyRef{ID: k.KeyID, Version: k.KeyVersion}] = pub
		}
		if !trusted[exportfile.KeyRef{ID: "452", Version: "v2"}].Equal(&newKey.PublicKey) {
			t.Fatal("keys.json v2 is not the signing key")
		}

		// keys.pem: the same keys, each after its id line.
		resp, body = get(t, srv.URL+"/exports/keys.pem")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "keyId=452 keyVersion=v2 ") {
			t.Fatalf("keys.pem: %s %q", resp.Status, body)
		}
		pemPub, err := exportfile.ParsePublicKey(body)
		if err != nil || !pemPub.Equal(&newKey.PublicKey) {
			t.Fatalf("keys.pem first key: %v", err)
		}

		resp, body = get(t, srv.URL+"/exports/index.txt")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=us-ascii" ||
			resp.Header.Get("Cache-Control") != "no-cache, max-age=0" {
			t.Fatalf("index: %s %v", resp.Status, resp.Header)
		}
		lines, err := exportfile.ParseIndex(body)
		if err != nil || len(lines) != 2 {
			t.Fatalf("index = %q (%v)", body, err)
		}
		for _, l := range lines {
			resp, body := get(t, srv.URL+"/"+l)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" ||
				resp.Header.Get("Cache-Control") != "public, max-age=86400" {
				t.Fatalf("%s: %s %v", l, resp.Status, resp.Header)
			}
			file, err := exportfile.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			statuses, err := file.Verify(trusted)
			if err != nil || len(statuses) != 2 {
				t.Fatalf("%s: verify: %v %+v", l, err, statuses)
			}
			// Only the new key trusted (a phone updated early) still works.
			only := exportfile.TrustedKeys{{ID: "452", Version: "v2"}: &newKey.PublicKey}
			if _, err := file.Verify(only); err != nil {
				t.Fatalf("%s with v2 only: %v", l, err)
			}
			// A different key under the same name fails.
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if _, err := file.Verify(exportfile.TrustedKeys{{ID: "452", Version: "v2"}: &other.PublicKey}); err == nil {
				t.Fatalf("%s verified with a foreign key", l)
			}
		}
		for _, path := range []string{"/exports/missing.zip", "/exports/x.txt", "/exports/..%2fx.zip", "/exports/.tmp-1.zip"} {
			if resp, _ := get(t, srv.URL+path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %s, want 404", path, resp.Status)
			}
		}
	})
}
