package verification

import (
	"errors"
	"net/http"
	"time"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// maxBatch is the reference's limit of codes per /api/batch-issue request.
const maxBatch = 10

// handleIssue serves POST /api/issue (admin key).
func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request, key *authKey) {
	var req issueRequest
	if err := httputil.DecodeJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		s.fail(w, r, decodeFailure(err, ErrUnparsableRequest))
		return
	}
	resp, err := s.issueOne(r, key, &req, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp.Padding = s.padding()
	s.metricResult(r.URL.Path, "ok")
	httputil.WriteJSON(w, http.StatusOK, resp)
}

// handleBatchIssue serves POST /api/batch-issue: up to 10 issue requests,
// not atomic; the answer carries one entry per request, and the status and
// top-level error of the first failure.
func (s *Server) handleBatchIssue(w http.ResponseWriter, r *http.Request, key *authKey) {
	var req batchIssueRequest
	if err := httputil.DecodeJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		s.fail(w, r, decodeFailure(err, ErrUnparsableRequest))
		return
	}
	if len(req.Codes) == 0 || len(req.Codes) > maxBatch {
		s.fail(w, r, apiErr(http.StatusBadRequest, ErrUnparsableRequest, "codes must hold 1 to %d requests", maxBatch))
		return
	}
	out := batchIssueResponse{Codes: make([]*issueResponse, len(req.Codes))}
	status := http.StatusOK
	for i, one := range req.Codes {
		if one == nil {
			one = &issueRequest{}
		}
		resp, err := s.issueOne(r, key, one, req.Realm)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				s.log.ErrorContext(r.Context(), "batch issue failed", "error", err)
				e = apiErr(http.StatusInternalServerError, ErrInternal, "internal error")
			}
			resp = &issueResponse{Error: e.Message, ErrorCode: e.Code}
			if status == http.StatusOK {
				status, out.Error, out.ErrorCode = e.Status, e.Message, e.Code
			}
		}
		out.Codes[i] = resp
	}
	out.Padding = s.padding()
	result := "ok"
	if out.ErrorCode != "" {
		result = out.ErrorCode
	}
	s.metricResult(r.URL.Path, result)
	httputil.WriteJSON(w, status, out)
}

// issueOne validates one wire request and issues its code.
func (s *Server) issueOne(r *http.Request, key *authKey, req *issueRequest, batchRealm string) (*issueResponse, error) {
	if req.Phone != "" {
		// Sending SMS is the portal's job; accepting a number here would
		// make callers believe a message went out. The number is not kept.
		return nil, apiErr(http.StatusBadRequest, ErrPhoneNotSupported,
			"this API does not send SMS: omit phone and deliver the code or long code yourself")
	}
	want := req.Realm
	if want == "" {
		want = batchRealm
	}
	realm, err := s.actingRealm(r.Context(), key, want)
	if err != nil {
		return nil, err
	}
	tz, err := checkTZOffset(req.TZOffset)
	if err != nil {
		return nil, err
	}
	res, err := s.IssueCode(r.Context(), realm, IssueRequest{
		TestType: req.TestType, SymptomDate: req.SymptomDate, TestDate: req.TestDate,
		TZOffsetMinutes: tz, UUID: req.UUID, ExternalIssuerID: req.ExternalIssuerID,
	})
	if err != nil {
		return nil, err
	}
	return &issueResponse{
		UUID:                   res.UUID,
		Code:                   res.Code,
		ExpiresAt:              res.ExpiresAt.UTC().Format(time.RFC1123),
		ExpiresAtTimestamp:     res.ExpiresAt.Unix(),
		LongCode:               res.LongCode,
		LongExpiresAt:          res.LongExpiresAt.UTC().Format(time.RFC1123),
		LongExpiresAtTimestamp: res.LongExpiresAt.Unix(),
	}, nil
}
