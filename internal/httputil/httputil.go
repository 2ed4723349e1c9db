// Package httputil holds the HTTP plumbing every service shares: strict JSON
// request decoding, JSON responses, stable error codes, traffic-analysis
// padding, chaff detection and client-side request limits.
//
// It knows nothing about any one API: each service keeps its own request
// and response types and its own error codes.
package httputil

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBody is the request body limit of the reference key server's
// publish API (64,000 bytes), used unless a handler asks for another.
const DefaultMaxBody = 64_000

// DecodeError is a request that could not be decoded. Its message is safe
// to show to the client; Status is the HTTP status to answer with.
type DecodeError struct {
	Status int
	Msg    string
	Err    error
}

func (e *DecodeError) Error() string { return e.Msg }

// Unwrap returns the underlying decoding error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeJSON reads r's body, at most maxBody bytes, into v. It insists on a
// JSON content type (when one is given), rejects unknown fields, trailing
// data after the value and bodies over the limit, and returns a *DecodeError
// that says which. maxBody ≤ 0 means DefaultMaxBody.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBody int64, v any) error {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &DecodeError{Status: http.StatusUnsupportedMediaType, Msg: "content type must be application/json", Err: err}
		}
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &DecodeError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body is larger than %d bytes", maxBody), Err: err}
		}
		return &DecodeError{Status: http.StatusBadRequest, Msg: "could not read request body", Err: err}
	}
	return DecodeJSONBytes(data, v)
}

// DecodeJSONBytes decodes one JSON value from data into v with the same
// rules as DecodeJSON, for callers (and fuzzers) that already hold the body.
func DecodeJSONBytes(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &DecodeError{Status: http.StatusBadRequest, Msg: "request body is empty"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &DecodeError{Status: http.StatusBadRequest, Msg: describeJSONError(err), Err: err}
	}
	if dec.More() {
		return &DecodeError{Status: http.StatusBadRequest, Msg: "request body has data after the JSON value"}
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return &DecodeError{Status: http.StatusBadRequest, Msg: "request body has data after the JSON value"}
	}
	return nil
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("value must be %s, not %s", typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end of body"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "malformed JSON"
	}
}

// WriteJSON answers with status and v encoded as JSON. Responses are never
// cached unless the handler set Cache-Control itself.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Padding returns a random base64 string of between min and max bytes of
// random data, for responses whose size must not reveal what they say.
func Padding(minBytes, maxBytes int) string {
	n := minBytes
	if maxBytes > minBytes {
		n += RandomIntn(maxBytes - minBytes + 1)
	}
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// RandomIntn returns a uniform random integer in [0, n) from crypto/rand.
// It panics if n ≤ 0.
func RandomIntn(n int) int {
	if n <= 0 {
		panic("httputil: RandomIntn with n <= 0")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	return int(v % uint64(n))
}

// IsChaff reports whether the request is a chaff (decoy) request, marked by
// a non-empty X-Chaff header as in the reference servers.
func IsChaff(r *http.Request) bool { return r.Header.Get("X-Chaff") != "" }
