package keyserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// Error codes of the publish API, as sent in PublishResponse.Code. They are
// the reference exposure-notifications-server's codes, so apps written for it
// can show the same localized messages.
const (
	// ErrorUnknownHealthAuthorityID: the request's healthAuthorityID (the app
	// id) is not an authorized app. HTTP 401.
	ErrorUnknownHealthAuthorityID = "unknown_health_authority_id"
	// ErrorUnableToLoadHealthAuthority: the app's configuration could not be
	// read (a retryable server-side problem). HTTP 404, as in the reference.
	ErrorUnableToLoadHealthAuthority = "unable_to_load_health_authority"
	// ErrorVerificationCertificateInvalid: the verification certificate did
	// not verify (signature, issuer, audience, key id, times, claims, tekmac).
	// HTTP 401.
	ErrorVerificationCertificateInvalid = "health_authority_verification_certificate_invalid"
	// ErrorBadRequest: the request could not be parsed or no key in it is
	// acceptable. HTTP 400 (413 for an oversize body, 415 for a non-JSON
	// content type).
	ErrorBadRequest = "bad_request"
	// ErrorInternalError: the server failed; the client may retry. HTTP 500.
	ErrorInternalError = "internal_error"
	// ErrorMissingRevisionToken: the request re-sends keys that are already
	// stored, without a revision token. HTTP 400.
	ErrorMissingRevisionToken = "missing_revision_token"
	// ErrorInvalidRevisionToken: a revision token was sent but could not be
	// decrypted, or does not cover the stored keys being revised. HTTP 400.
	ErrorInvalidRevisionToken = "invalid_revision_token"
	// ErrorKeyAlreadyRevised: a stored key was already revised once. HTTP 400.
	ErrorKeyAlreadyRevised = "key_already_revised"
	// ErrorInvalidReportTypeTransition: a stored key may not move to the new
	// report type (e.g. confirmed → likely). HTTP 400.
	ErrorInvalidReportTypeTransition = "invalid_report_type_transition"
	// ErrorPartialFailure: some keys were dropped for bad data and the rest
	// were stored. HTTP 200, with the reasons in PublishResponse.Error.
	ErrorPartialFailure = "partial_failure"
)

// Report types carried by a verification certificate's reportType claim.
// "contact" is Bluezone's extension: an F1 whose health worker authorised a
// warning to the F1's own contacts (exported as RECURSIVE).
const (
	ReportTypeConfirmed = "confirmed"
	ReportTypeLikely    = "likely"
	ReportTypeNegative  = "negative"
	ReportTypeContact   = "contact"
)

// Export-file report type values stored in exposures.report_type and
// exposures.revised_report_type (the TemporaryExposureKey.ReportType enum).
const (
	ExportConfirmedTest = 1
	ExportClinical      = 2
	ExportRecursive     = 4
	ExportRevoked       = 5
)

// Limits of the wire format.
const (
	// KeyLength is the length of a Temporary Exposure Key in bytes.
	KeyLength = 16
	// MaxTransmissionRisk is the largest transmission risk a key may carry.
	MaxTransmissionRisk = 8
	// MaxRollingPeriod is the largest rolling period (intervals) of a key.
	MaxRollingPeriod = 144
	// MaxBodyBytes is the largest accepted request body.
	MaxBodyBytes = httputil.DefaultMaxBody
)

// PublishRequest is the body of POST /v1/publish (the reference's v1
// Publish type). HealthAuthorityID is, despite its name, the id of the
// authorized app. Traveler is accepted for compatibility and not stored.
// Padding is ignored.
type PublishRequest struct {
	Keys                 []ExposureKey `json:"temporaryExposureKeys"`
	HealthAuthorityID    string        `json:"healthAuthorityID"`
	VerificationPayload  string        `json:"verificationPayload,omitempty"`
	HMACKey              string        `json:"hmacKey,omitempty"`
	SymptomOnsetInterval int32         `json:"symptomOnsetInterval,omitempty"`
	Traveler             bool          `json:"traveler,omitempty"`
	RevisionToken        string        `json:"revisionToken"`
	Padding              string        `json:"padding"`
}

// ExposureKey is one Temporary Exposure Key in a publish request: the
// standard-base64 16-byte key, its first interval, its length in intervals
// and an optional transmission risk (0 = let the server choose from the
// report type).
type ExposureKey struct {
	Key              string `json:"key"`
	IntervalNumber   int32  `json:"rollingStartNumber"`
	IntervalCount    int32  `json:"rollingPeriod"`
	TransmissionRisk int    `json:"transmissionRisk,omitempty"`
}

// PublishResponse is the body of every /v1/publish answer. On success
// RevisionToken lets the same device revise these keys later; on failure
// Code is one of the Error* constants and Error a human-readable message.
// Padding (random) hides the size of what the answer says.
type PublishResponse struct {
	RevisionToken     string   `json:"revisionToken,omitempty"`
	InsertedExposures int      `json:"insertedExposures,omitempty"`
	Error             string   `json:"error,omitempty"`
	Code              string   `json:"code,omitempty"`
	Padding           string   `json:"padding,omitempty"`
	Warnings          []string `json:"warnings,omitempty"`
}

// DecodePublishRequest decodes a publish request body with the strict rules
// of the API: exactly one JSON object, no unknown or duplicate fields, valid
// UTF-8, no trailing data. Field names match case-insensitively, as in the
// reference server. It does not validate keys or the certificate. The error
// is an *httputil.DecodeError whose message is safe to return to the client.
func DecodePublishRequest(body []byte) (*PublishRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &httputil.DecodeError{Status: http.StatusBadRequest, Msg: "request body is empty"}
	}
	var req PublishRequest
	if err := jsonv2.Unmarshal(body, &req, jsonv2.RejectUnknownMembers(true), jsonv2.MatchCaseInsensitiveNames(true)); err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "json: "), "jsontext: ")
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, &httputil.DecodeError{Status: http.StatusBadRequest, Msg: "malformed request: " + msg, Err: err}
	}
	return &req, nil
}

// readPublishBody reads a request body of at most MaxBodyBytes with a JSON
// (or no) content type, answering as the reference does: 415 for another
// content type, 413 for an oversize body.
func readPublishBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, &httputil.DecodeError{Status: http.StatusUnsupportedMediaType, Msg: "content type must be application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &httputil.DecodeError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
		}
		return nil, &httputil.DecodeError{Status: http.StatusBadRequest, Msg: "could not read request body"}
	}
	return body, nil
}
