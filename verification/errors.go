package verification

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// Error codes on the wire. The first group is the reference verification
// server's (pkg/api/api.go); the last group is ours.
const (
	ErrUnparsableRequest = "unparsable_request"
	ErrInternal          = "internal_server_error"
	ErrCodeInvalid       = "code_invalid"
	ErrCodeExpired       = "code_expired"
	ErrCodeNotFound      = "code_not_found"
	ErrUnsupportedType   = "unsupported_test_type"
	ErrInvalidTestType   = "invalid_test_type"
	ErrMissingDate       = "missing_date"
	ErrInvalidDate       = "invalid_date"
	ErrUUIDAlreadyExists = "uuid_already_exists"
	ErrQuotaExceeded     = "quota_exceeded"
	ErrTokenInvalid      = "token_invalid"
	ErrTokenExpired      = "token_expired"
	ErrHMACInvalid       = "hmac_invalid"
	ErrUnauthorized      = "unauthorized"        // ours: missing, unknown or disabled API key, or wrong kind
	ErrRealmForbidden    = "realm_forbidden"     // ours: a province key named another realm
	ErrInvalidRealm      = "invalid_realm"       // ours: unknown realm code
	ErrPhoneNotSupported = "phone_not_supported" // ours: this API never sends SMS
	ErrTooManyAttempts   = "too_many_attempts"   // ours: guessing lock-out (429 + Retry-After)
	ErrInvalidExternalID = "invalid_external_issuer_id"
)

// Error is a failure with an HTTP status and a stable code, returned by the
// Go API (IssueCode, …) so callers such as the portal can show Message and
// branch on Code.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

func apiErr(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorBody is every API's error shape.
type errorBody struct {
	Error     string `json:"error"`
	ErrorCode string `json:"errorCode"`
	Padding   string `json:"padding"`
}

// fail answers with err: an *Error as itself, anything else as a logged 500
// whose details stay on the server.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.log.ErrorContext(r.Context(), "verification request failed", "path", r.URL.Path, "error", err)
		e = apiErr(http.StatusInternalServerError, ErrInternal, "internal error")
	}
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	s.metricResult(r.URL.Path, e.Code)
	httputil.WriteJSON(w, e.Status, errorBody{Error: e.Message, ErrorCode: e.Code, Padding: s.padding()})
}

// decodeFailure turns a request-decoding error into the API's error, with
// the given code (unparsable_request, or token_invalid on /api/certificate
// as the reference does).
func decodeFailure(err error, code string) *Error {
	var de *httputil.DecodeError
	if errors.As(err, &de) {
		return &Error{Status: de.Status, Code: code, Message: de.Msg}
	}
	return apiErr(http.StatusBadRequest, code, "could not read request")
}

func (s *Server) padding() string { return httputil.Padding(s.cfg.PaddingMin, s.cfg.PaddingMax) }
