package installs

import (
	"context"
	"fmt"
)

// RecordCheckins validates reqs like the check-in API and writes them as if
// they had arrived on day, in transactions of at most Config.BatchSize. It
// is for tools that preload devices (the load generator seeds returning
// devices with it) and is not a way around the API's rules: a request that
// would get a 4xx fails the whole call before anything is written.
//
// It must not run while Run is running on the same database: there must be
// one writer at a time.
func (s *Server) RecordCheckins(ctx context.Context, day Day, reqs []CheckinRequest) error {
	evs := make([]event, len(reqs))
	for i, r := range reqs {
		var scratch [64]byte
		raw, err := validCheckin(&r, s.admin, &scratch)
		if err != nil {
			return fmt.Errorf("installs: record check-in %d: %w", i, err)
		}
		evs[i] = event{hash: s.tokenHash(raw), province: r.Province, district: r.District, day: day}
	}
	for i := 0; i < len(evs); i += s.cfg.BatchSize {
		if err := s.writeBatch(ctx, evs[i:min(i+s.cfg.BatchSize, len(evs))]); err != nil {
			return err
		}
	}
	return nil
}
