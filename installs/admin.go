package installs

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// AdminError is the body of every admin API error.
type AdminError struct {
	Error   string `json:"error"` // unauthorized, forbidden, invalid, not_found, internal
	Message string `json:"message"`
}

// registerAdmin adds the admin API. Every route needs Deps.Authorize to
// accept the request; a province realm may act only on its province.
//
//	PUT  /api/installs/denominators                    CSV (DenominatorsCSVHeader) → {"stored": n}
//	PUT  /api/installs/targets                         JSON Target → Target
//	GET  /api/installs/targets/{scope}                 Target in force ("VN" or a province)
//	POST /api/installs/official                        CSV (OfficialCSVHeader) → {"imported": n}
//	POST /api/installs/agencies                        JSON Agency{province,name} → Agency
//	GET  /api/installs/agencies?province=67            [Agency]
//	POST /api/installs/campaigns                       JSON Campaign → Campaign
//	GET  /api/installs/campaigns?province=67           [Campaign]
//	POST /api/installs/reports                         JSON UnitReport → {"ok": true}
//	GET  /api/installs/provinces/{code}/summary        AgencySummary (?campaign=ID&date=YYYY-MM-DD)
//	GET  /api/installs/provinces/{code}/summary.csv    the same as CSV for the ministry
func (s *Server) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/installs/denominators", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		if err := wantCSV(r); err != nil {
			return err
		}
		n, err := s.LoadDenominatorsCSV(r.Context(), http.MaxBytesReader(w, r.Body, 16<<20), realm)
		if err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, map[string]int{"stored": n})
		return nil
	}))
	mux.HandleFunc("PUT /api/installs/targets", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		var t Target
		if err := httputil.DecodeJSON(w, r, 4096, &t); err != nil {
			return invalidf("%v", err)
		}
		if err := s.SetTarget(r.Context(), t, realm); err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, t)
		return nil
	}))
	mux.HandleFunc("GET /api/installs/targets/{scope}", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		scope := r.PathValue("scope")
		if scope != National {
			if _, ok := s.admin.Province(scope); !ok {
				return ErrNotFound
			}
		}
		t, err := s.TargetFor(r.Context(), scope)
		if err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, t)
		return nil
	}))
	mux.HandleFunc("POST /api/installs/official", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		if err := wantCSV(r); err != nil {
			return err
		}
		figs, err := s.ParseOfficialCSV(http.MaxBytesReader(w, r.Body, 16<<20), realm)
		if err != nil {
			return err
		}
		if err := s.ImportOfficial(r.Context(), figs); err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, map[string]int{"imported": len(figs)})
		return nil
	}))
	mux.HandleFunc("POST /api/installs/agencies", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		var a Agency
		if err := httputil.DecodeJSON(w, r, 4096, &a); err != nil {
			return invalidf("%v", err)
		}
		a, err := s.AddAgency(r.Context(), a, realm)
		if err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusCreated, a)
		return nil
	}))
	mux.HandleFunc("GET /api/installs/agencies", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		p := r.URL.Query().Get("province")
		if err := s.checkPlace(realm, p, ""); err != nil {
			return err
		}
		list, err := s.Agencies(r.Context(), p)
		if err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, list)
		return nil
	}))
	mux.HandleFunc("POST /api/installs/campaigns", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		var c Campaign
		if err := httputil.DecodeJSON(w, r, 4096, &c); err != nil {
			return invalidf("%v", err)
		}
		c, err := s.AddCampaign(r.Context(), c, realm)
		if err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusCreated, c)
		return nil
	}))
	mux.HandleFunc("GET /api/installs/campaigns", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		p := r.URL.Query().Get("province")
		if err := s.checkPlace(realm, p, ""); err != nil {
			return err
		}
		list, err := s.Campaigns(r.Context(), p)
		if err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, list)
		return nil
	}))
	mux.HandleFunc("POST /api/installs/reports", s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
		var u UnitReport
		if err := httputil.DecodeJSON(w, r, 4096, &u); err != nil {
			return invalidf("%v", err)
		}
		if err := s.SubmitReport(r.Context(), u, realm); err != nil {
			return err
		}
		httputil.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return nil
	}))
	summary := func(csvOut bool) http.HandlerFunc {
		return s.admin1(func(w http.ResponseWriter, r *http.Request, realm string) error {
			code := r.PathValue("code")
			if err := s.checkPlace(realm, code, ""); err != nil {
				return err
			}
			day, err := s.dayParam(r)
			if err != nil {
				return err
			}
			var id int64
			if c := r.URL.Query().Get("campaign"); c != "" {
				if id, err = strconv.ParseInt(c, 10, 64); err != nil || id <= 0 {
					return invalidf("campaign must be a positive id")
				}
			}
			sum, err := s.AgencySummary(r.Context(), code, id, day)
			if err != nil {
				return err
			}
			if !csvOut {
				httputil.WriteJSON(w, http.StatusOK, sum)
				return nil
			}
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="agencies-`+code+`-`+day.String()+`.csv"`)
			return WriteSummaryCSV(w, code, sum)
		})
	}
	mux.HandleFunc("GET /api/installs/provinces/{code}/summary", summary(false))
	mux.HandleFunc("GET /api/installs/provinces/{code}/summary.csv", summary(true))
}

func wantCSV(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "text/csv" && mt != "text/plain") {
			return invalidf("content type must be text/csv")
		}
	}
	return nil
}

// admin1 authenticates the request and turns the handler's error into a
// status and an AdminError.
func (s *Server) admin1(h func(http.ResponseWriter, *http.Request, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.authorize == nil {
			writeAdminError(w, http.StatusUnauthorized, "unauthorized", "the admin API is not enabled")
			return
		}
		realm, err := s.authorize(r)
		if err != nil || realm == "" {
			writeAdminError(w, http.StatusUnauthorized, "unauthorized", "a valid admin API key is required (header X-API-Key)")
			return
		}
		if err := h(w, r, realm); err != nil {
			s.writeErr(w, r.Context(), err)
		}
	}
}

func (s *Server) writeErr(w http.ResponseWriter, ctx context.Context, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, ErrForbidden):
		writeAdminError(w, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, ErrNotFound):
		writeAdminError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.As(err, &tooBig):
		writeAdminError(w, http.StatusRequestEntityTooLarge, "invalid", "request body is too large")
	case errors.Is(err, ErrInvalid):
		writeAdminError(w, http.StatusBadRequest, "invalid", err.Error())
	default:
		s.log.ErrorContext(ctx, "installs: admin request failed", "err", err)
		writeAdminError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func writeAdminError(w http.ResponseWriter, status int, code, msg string) {
	httputil.WriteJSON(w, status, AdminError{Error: code, Message: msg})
}

// dayParam reads ?date=YYYY-MM-DD, defaulting to today.
func (s *Server) dayParam(r *http.Request) (Day, error) {
	v := r.URL.Query().Get("date")
	if v == "" {
		return s.Today(), nil
	}
	d, err := ParseDay(v)
	if err != nil {
		return 0, invalidf("%v", err)
	}
	return d, nil
}
