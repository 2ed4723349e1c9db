package installs

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/bluezone-vn/bluezone/internal/httputil"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// CheckinRequest is the body of POST /v1/installs/checkin, sent by the app
// once a day.
type CheckinRequest struct {
	// Token is the install's random token, created once at install time:
	// 16 to 64 random bytes in unpadded base64url (e.g. 32 characters for
	// 24 bytes). The server keeps only HMAC-SHA256(secret, token).
	Token    string `json:"token"`
	Province string `json:"province"`           // 2-digit GSO code
	District string `json:"district,omitempty"` // 3-digit GSO code in Province, or empty
	// Platform is "android", "ios" or "other"; AppVersion is 1 to 32
	// characters of [0-9A-Za-z.+-]. Both are checked and not stored.
	Platform   string `json:"platform"`
	AppVersion string `json:"appVersion"`
}

// CheckinResponse is the answer to every check-in, success or error: the
// same fields each time, so its shape says nothing about whether the
// device was new.
type CheckinResponse struct {
	Error   string `json:"error"`   // "" on success, else a stable code (below)
	Message string `json:"message"` // human-readable, "" on success
	Day     string `json:"day"`     // the day counted, YYYY-MM-DD ("" on error)
}

// Check-in error codes.
const (
	ErrCodeBadRequest  = "bad_request"  // malformed JSON, unknown field, too large
	ErrCodeBadToken    = "bad_token"    // token missing or not 16..64 bytes of base64url
	ErrCodeBadProvince = "bad_province" // unknown province code
	ErrCodeBadDistrict = "bad_district" // unknown district or not in the province
	ErrCodeBadPlatform = "bad_platform"
	ErrCodeBadVersion  = "bad_app_version"
	ErrCodeOverloaded  = "overloaded" // writer queue full: retry later (503)
	ErrCodeInternal    = "internal"
)

// checkinError is a validation failure with its stable code.
type checkinError struct {
	Status int
	Code   string
	Msg    string
}

func (e *checkinError) Error() string { return e.Code + ": " + e.Msg }

const maxCheckinBody = 1024

// ParseCheckin decodes and validates a check-in body against the reference
// data and returns the token's raw bytes. Errors are *checkinError values
// whose Code is one of the ErrCode constants.
func ParseCheckin(body []byte, admin *vnadmin.Data) (CheckinRequest, []byte, error) {
	var scratch [64]byte
	req, raw, err := parseCheckin(body, admin, &scratch)
	return req, bytes.Clone(raw), err
}

// parseCheckin is ParseCheckin with the raw token decoded into scratch.
func parseCheckin(body []byte, admin *vnadmin.Data, scratch *[64]byte) (CheckinRequest, []byte, error) {
	var req CheckinRequest
	if len(body) > maxCheckinBody {
		return req, nil, &checkinError{http.StatusRequestEntityTooLarge, ErrCodeBadRequest, fmt.Sprintf("request body is larger than %d bytes", maxCheckinBody)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil, &checkinError{http.StatusBadRequest, ErrCodeBadRequest, "request body is empty"}
	}
	// Strict: unknown members, duplicate names, trailing data and invalid
	// UTF-8 are errors; names match case-insensitively as before.
	if err := jsonv2.Unmarshal(body, &req, jsonv2.RejectUnknownMembers(true), jsonv2.MatchCaseInsensitiveNames(true)); err != nil {
		return req, nil, &checkinError{http.StatusBadRequest, ErrCodeBadRequest, describeJSONError(err)}
	}
	raw, err := validCheckin(&req, admin, scratch)
	return req, raw, err
}

// describeJSONError turns a decoding error into a short message for the
// client.
func describeJSONError(err error) string {
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "json: "), "jsontext: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return "malformed JSON: " + msg
}

// validCheckin checks a decoded check-in and returns the token's raw bytes.
// The raw bytes are decoded into scratch.
func validCheckin(req *CheckinRequest, admin *vnadmin.Data, scratch *[64]byte) ([]byte, error) {
	var raw []byte
	var err error
	if n := strictRawURL.DecodedLen(len(req.Token)); n >= 16 && n <= 64 {
		var m int
		m, err = strictRawURL.Decode(scratch[:n], []byte(req.Token))
		raw = scratch[:m]
	}
	if raw == nil || err != nil || len(raw) < 16 || len(raw) > 64 {
		return nil, &checkinError{http.StatusBadRequest, ErrCodeBadToken, "token must be 16 to 64 random bytes in unpadded base64url"}
	}
	if _, ok := admin.Province(req.Province); !ok {
		return nil, &checkinError{http.StatusBadRequest, ErrCodeBadProvince, "province must be a 2-digit GSO province code"}
	}
	if req.District != "" {
		if err := admin.ValidPair(req.Province, req.District); err != nil {
			return nil, &checkinError{http.StatusBadRequest, ErrCodeBadDistrict, "district must be a GSO district code of the province"}
		}
	}
	switch req.Platform {
	case "android", "ios", "other":
	default:
		return nil, &checkinError{http.StatusBadRequest, ErrCodeBadPlatform, `platform must be "android", "ios" or "other"`}
	}
	if !validVersion(req.AppVersion) {
		return nil, &checkinError{http.StatusBadRequest, ErrCodeBadVersion, "appVersion must be 1 to 32 characters of 0-9 A-Z a-z . + -"}
	}
	return raw, nil
}

func validVersion(v string) bool {
	if len(v) < 1 || len(v) > 32 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// tokenHash is the stored form of a token: the first 16 bytes of
// HMAC-SHA256 keyed with the service secret. 128 bits keep collisions out
// of reach for any number of installs Vietnam could have.
func (s *Server) tokenHash(raw []byte) []byte {
	var out [16]byte
	s.tokenHashInto(&out, raw)
	return out[:]
}

// tokenHashInto writes tokenHash(raw) to out with a pooled HMAC state
// (hmac's Reset restores the keyed state without rehashing the key).
func (s *Server) tokenHashInto(out *[16]byte, raw []byte) {
	m, _ := s.hmacs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, s.secret)
	} else {
		m.Reset()
	}
	m.Write(raw)
	var sum [sha256.Size]byte
	copy(out[:], m.Sum(sum[:0]))
	s.hmacs.Put(m)
}

// strictRawURL is the token's encoding (built once: Strict copies).
var strictRawURL = base64.RawURLEncoding.Strict()

// checkinBuf is a pooled request body buffer (one byte over the limit, to
// detect a body that is too large).
type checkinBuf [maxCheckinBody + 1]byte

var checkinBufs = sync.Pool{New: func() any { return new(checkinBuf) }}

var (
	hdrJSON    = []string{"application/json; charset=utf-8"}
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
)

// okResponse is the pre-encoded success answer of one day.
type okResponse struct {
	day  Day
	body []byte
}

func (s *Server) okBody(day Day) []byte {
	if r := s.okResp.Load(); r != nil && r.day == day {
		return r.body
	}
	b, _ := json.Marshal(CheckinResponse{Day: day.String()})
	b = append(b, '\n')
	s.okResp.Store(&okResponse{day: day, body: b})
	return b
}

func (s *Server) handleCheckin(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.checkinFail(w, &checkinError{http.StatusUnsupportedMediaType, ErrCodeBadRequest, "content type must be application/json"})
			return
		}
	}
	buf := checkinBufs.Get().(*checkinBuf)
	n, err := io.ReadFull(r.Body, buf[:])
	switch {
	case n > maxCheckinBody:
		checkinBufs.Put(buf)
		s.checkinFail(w, &checkinError{http.StatusRequestEntityTooLarge, ErrCodeBadRequest, fmt.Sprintf("request body is larger than %d bytes", maxCheckinBody)})
		return
	case err != nil && err != io.ErrUnexpectedEOF && err != io.EOF:
		checkinBufs.Put(buf)
		s.checkinFail(w, &checkinError{http.StatusBadRequest, ErrCodeBadRequest, "could not read request body"})
		return
	}
	p, _ := s.pendings.Get().(*pending)
	if p == nil {
		p = &pending{done: make(chan error, 1)}
	}
	req, raw, err := parseCheckin(buf[:n], s.admin, &p.raw)
	checkinBufs.Put(buf)
	if err != nil {
		s.pendings.Put(p)
		var ce *checkinError
		errors.As(err, &ce)
		s.checkinFail(w, ce)
		return
	}
	s.tokenHashInto(&p.hash, raw)
	day := s.Today()
	p.ev = event{hash: p.hash[:], province: req.Province, district: req.District, day: day}
	select {
	case s.queue <- p:
	default:
		s.pendings.Put(p)
		s.checkinFail(w, &checkinError{http.StatusServiceUnavailable, ErrCodeOverloaded, "too many check-ins right now; retry later"})
		return
	}
	select {
	case err = <-p.done:
		s.pendings.Put(p)
	case <-r.Context().Done():
		return // p is not reused: the writer will still answer it
	}
	if err != nil {
		s.log.Error("installs: check-in batch failed", "err", err)
		s.checkinFail(w, &checkinError{http.StatusInternalServerError, ErrCodeInternal, "could not record the check-in"})
		return
	}
	s.metrics.ok.Inc()
	h := w.Header()
	h["Content-Type"], h["Cache-Control"], h["X-Content-Type-Options"] = hdrJSON, hdrNoStore, hdrNosniff
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.okBody(day))
}

func (s *Server) checkinFail(w http.ResponseWriter, ce *checkinError) {
	s.metrics.checkins.WithLabelValues(ce.Code).Inc()
	httputil.WriteJSON(w, ce.Status, CheckinResponse{Error: ce.Code, Message: ce.Msg})
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("request body is larger than %d bytes", limit)
		}
		return nil, fmt.Errorf("could not read request body")
	}
	return b, nil
}
