package export

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/bluezone-vn/bluezone/blob"
)

// publicKey is one entry of GET /exports/keys.json.
type publicKey struct {
	KeyID        string `json:"keyId"`
	KeyVersion   string `json:"keyVersion"`
	Algorithm    string `json:"algorithm"`
	PublicKeyPEM string `json:"publicKeyPEM"`
}

// keysCache lets clients keep the public keys an hour: they change only at
// a rotation, which overlaps old and new keys for much longer.
const keysCache = "public, max-age=3600"

// Register adds the worker's routes to mux:
//
//	GET /exports/index.txt   the index (no-cache)
//	GET /exports/{file}.zip  an export file (cacheable for a day)
//	GET /exports/keys.pem    the public signing keys as PEM blocks, each
//	                         preceded by a "keyId=… keyVersion=…" line
//	GET /exports/keys.json   [{keyId, keyVersion, algorithm, publicKeyPEM}]
func (w *Worker) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /exports/index.txt", func(rw http.ResponseWriter, r *http.Request) {
		blob.Serve(rw, r, w.blob, IndexName)
	})
	mux.HandleFunc("GET /exports/{file}", func(rw http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if !strings.HasSuffix(name, ".zip") {
			http.NotFound(rw, r)
			return
		}
		blob.Serve(rw, r, w.blob, name)
	})
	mux.HandleFunc("GET /exports/keys.pem", w.serveKeysPEM)
	mux.HandleFunc("GET /exports/keys.json", w.serveKeysJSON)
}

func (w *Worker) serveKeysPEM(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/x-pem-file")
	rw.Header().Set("Cache-Control", keysCache)
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write([]byte(w.PublicKeysPEM()))
}

func (w *Worker) serveKeysJSON(rw http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(w.pubs)
	if err != nil {
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", keysCache)
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write(body)
}

// PublicKeysPEM returns what GET /exports/keys.pem serves, for tools that
// print or register the keys: per signer, newest first, a line
// "keyId=<id> keyVersion=<version> algorithm=<oid>" and then its PEM
// "PUBLIC KEY" block (PEM parsers skip the line).
func (w *Worker) PublicKeysPEM() string {
	var b strings.Builder
	for _, k := range w.pubs {
		b.WriteString("keyId=" + k.KeyID + " keyVersion=" + k.KeyVersion + " algorithm=" + k.Algorithm + "\n")
		b.WriteString(k.PublicKeyPEM)
	}
	return b.String()
}
