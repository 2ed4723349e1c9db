package installs

import (
	"context"
	"errors"
	"net/http"
	"time"
)

type pending struct{}

// National is the identifier of the national scope (targets, campaigns).
const National = "VN"

// Target is a rate of a denominator kind to reach by a date, for the
// nation (Scope "VN") or a province.
type Target struct {
	Scope           string  `json:"scope"`
	Rate            float64 `json:"rate"`
	DenominatorKind string  `json:"denominatorKind"`
	Date            string  `json:"date"` // YYYY-MM-DD
}

func (s *Server) handleCheckin(w http.ResponseWriter, r *http.Request) {}
func (s *Server) registerDownloads(mux *http.ServeMux)                 {}
func (s *Server) registerAdmin(mux *http.ServeMux)                     {}

// National returns the national page data for the day containing day.
func (s *Server) National(ctx context.Context, day time.Time) (NationalReport, error) {
	return NationalReport{}, errors.New("not yet")
}

// Province returns a province page's data for the day containing day.
// The error wraps ErrNotFound for an unknown province code.
func (s *Server) Province(ctx context.Context, code string, day time.Time) (ProvinceReport, error) {
	return ProvinceReport{}, errors.New("not yet")
}

// ErrNotFound is returned for unknown province codes.
var ErrNotFound = errors.New("installs: not found")
