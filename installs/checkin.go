package installs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

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
	var req CheckinRequest
	if len(body) > maxCheckinBody {
		return req, nil, &checkinError{http.StatusRequestEntityTooLarge, ErrCodeBadRequest, fmt.Sprintf("request body is larger than %d bytes", maxCheckinBody)}
	}
	if err := httputil.DecodeJSONBytes(body, &req); err != nil {
		var de *httputil.DecodeError
		status := http.StatusBadRequest
		if errors.As(err, &de) {
			status = de.Status
		}
		return req, nil, &checkinError{status, ErrCodeBadRequest, err.Error()}
	}
	raw, err := validCheckin(&req, admin)
	return req, raw, err
}

// validCheckin checks a decoded check-in and returns the token's raw bytes.
func validCheckin(req *CheckinRequest, admin *vnadmin.Data) ([]byte, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(req.Token)
	if err != nil || len(raw) < 16 || len(raw) > 64 {
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
	m := hmac.New(sha256.New, s.secret)
	m.Write(raw)
	return m.Sum(nil)[:16]
}

func (s *Server) handleCheckin(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.checkinFail(w, &checkinError{http.StatusUnsupportedMediaType, ErrCodeBadRequest, "content type must be application/json"})
			return
		}
	}
	body, err := readBody(w, r, maxCheckinBody)
	if err != nil {
		s.checkinFail(w, &checkinError{http.StatusRequestEntityTooLarge, ErrCodeBadRequest, err.Error()})
		return
	}
	req, raw, err := ParseCheckin(body, s.admin)
	if err != nil {
		var ce *checkinError
		errors.As(err, &ce)
		s.checkinFail(w, ce)
		return
	}
	ev := event{hash: s.tokenHash(raw), province: req.Province, district: req.District, day: s.Today()}
	p := &pending{ev: ev, done: make(chan error, 1)}
	select {
	case s.queue <- p:
	default:
		s.checkinFail(w, &checkinError{http.StatusServiceUnavailable, ErrCodeOverloaded, "too many check-ins right now; retry later"})
		return
	}
	select {
	case err = <-p.done:
	case <-r.Context().Done():
		return
	}
	if err != nil {
		s.log.Error("installs: check-in batch failed", "err", err)
		s.checkinFail(w, &checkinError{http.StatusInternalServerError, ErrCodeInternal, "could not record the check-in"})
		return
	}
	s.metrics.checkins.WithLabelValues("ok").Inc()
	httputil.WriteJSON(w, http.StatusOK, CheckinResponse{Day: ev.day.String()})
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
