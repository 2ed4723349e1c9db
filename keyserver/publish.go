package keyserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// Register adds the publish API's routes to mux: POST /v1/publish.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/publish", s.handlePublish)
}

func (s *Server) padding() string {
	hi := s.cfg.ResponsePaddingMin
	if s.cfg.ResponsePaddingRange > 0 {
		hi += s.cfg.ResponsePaddingRange - 1
	}
	return httputil.Padding(s.cfg.ResponsePaddingMin, hi)
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // latency bookkeeping for chaff only, not logic
	if httputil.IsChaff(r) {
		s.serveChaff(w, r, start)
		return
	}
	status, resp := s.publish(w, r)
	resp.Padding = s.padding()
	code := resp.Code
	if code == "" {
		code = "ok"
	}
	s.metrics.result(code)
	httputil.WriteJSON(w, status, resp)
	if status == http.StatusOK {
		s.chaff.record(time.Since(start))
	}
}

func fail(status int, code, msg string) (int, *PublishResponse) {
	return status, &PublishResponse{Code: code, Error: msg}
}

// publish runs one publish request in the reference server's order: decode,
// app, certificate, revision token, key validation, write, new token.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) (int, *PublishResponse) {
	ctx := r.Context()
	body, err := readPublishBody(w, r)
	var dreq *PublishRequest
	if err == nil {
		dreq, err = DecodePublishRequest(body)
	}
	if err != nil {
		var de *httputil.DecodeError
		if errors.As(err, &de) {
			return fail(de.Status, ErrorBadRequest, "error unmarshalling API call: "+de.Msg)
		}
		return fail(http.StatusBadRequest, ErrorBadRequest, "error unmarshalling API call")
	}
	req := *dreq
	app, err := s.loadApp(ctx, req.HealthAuthorityID)
	if err != nil {
		s.log.Error("keyserver: load authorized app", "err", err)
		return fail(http.StatusNotFound, ErrorUnableToLoadHealthAuthority, "error loading health authority config")
	}
	if app == nil {
		return fail(http.StatusUnauthorized, ErrorUnknownHealthAuthorityID, "unauthorized health authority")
	}
	vc, err := s.verifyCertificate(ctx, app, &req)
	if err != nil {
		var ce *errCertificate
		if errors.As(err, &ce) {
			return fail(http.StatusUnauthorized, ErrorVerificationCertificateInvalid,
				"unable to validate diagnosis verification: "+ce.msg)
		}
		s.log.Error("keyserver: verify certificate", "err", err)
		return fail(http.StatusInternalServerError, ErrorInternalError, http.StatusText(http.StatusInternalServerError))
	}
	var token []revisableKey
	tokenFailed := false
	if req.RevisionToken != "" {
		token, err = s.tokens.open(ctx, req.RevisionToken)
		switch {
		case errors.Is(err, errTokenInvalid):
			tokenFailed = true // treated as absent unless keys need revising
		case err != nil:
			s.log.Error("keyserver: open revision token", "err", err)
			return fail(http.StatusInternalServerError, ErrorInternalError, http.StatusText(http.StatusInternalServerError))
		}
	}
	now := s.clock.Now()
	tr, err := s.transform(&req, vc, now)
	if err != nil {
		var re *errRequest
		if errors.As(err, &re) {
			return fail(http.StatusBadRequest, ErrorBadRequest, "unable to read request data: "+re.msg)
		}
		return fail(http.StatusInternalServerError, ErrorInternalError, http.StatusText(http.StatusInternalServerError))
	}
	var res writeResult
	if len(tr.exposures) > 0 {
		res, err = s.submit(ctx, &writeJob{incoming: tr.exposures, token: token, tokenFailed: tokenFailed})
		if err == nil {
			err = res.err
		}
		if err != nil {
			var re *errRevision
			if errors.As(err, &re) {
				status, resp := fail(http.StatusBadRequest, re.code, re.msg)
				resp.Warnings = tr.warnings
				return status, resp
			}
			if ctx.Err() == nil {
				s.log.Error("keyserver: write exposures", "err", err)
			}
			return fail(http.StatusInternalServerError, ErrorInternalError, http.StatusText(http.StatusInternalServerError))
		}
	}
	resp := &PublishResponse{InsertedExposures: res.inserted, Warnings: tr.warnings}
	if len(tr.dropped) > 0 {
		resp.Code = ErrorPartialFailure
		resp.Error = strings.Join(tr.dropped, "; ")
	}
	resp.RevisionToken = s.newToken(ctx, token, res.changed, now)
	return http.StatusOK, resp
}

// newToken seals a token for the keys of the old token that can still be
// revised plus the keys this request inserted or revised. A failure is
// logged and gives no token: the keys are stored already.
func (s *Server) newToken(ctx context.Context, old []revisableKey, changed []exposure, now time.Time) string {
	retain := intervalOf(now.Add(-s.cfg.MaxIntervalAge))
	keys := make([]revisableKey, 0, len(old)+len(changed))
	seen := make(map[[KeyLength]byte]bool, cap(keys))
	for _, e := range changed {
		if !seen[e.key] {
			seen[e.key] = true
			keys = append(keys, revisableKey{key: e.key, rollingStart: e.rollingStart, rollingPeriod: e.rollingPeriod})
		}
	}
	for _, k := range old {
		if !seen[k.key] && k.rollingStart+k.rollingPeriod >= retain {
			seen[k.key] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	tok, err := s.tokens.seal(ctx, keys)
	if err != nil {
		s.log.Error("keyserver: make revision token", "err", err)
		return ""
	}
	return tok
}
