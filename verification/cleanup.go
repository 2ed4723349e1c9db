package verification

import (
	"context"
	"fmt"
)

// CleanupResult counts what one Cleanup deleted.
type CleanupResult struct {
	Codes, Tokens, RetiredKeys int64
}

// Cleanup deletes codes and tokens created more than Config.CleanupAge ago
// (48 h: past every code's and token's life) and retired signing keys older
// than Config.RetiredKeyRetention. Run calls it periodically; it is safe to
// call from several replicas at once.
func (s *Server) Cleanup(ctx context.Context) (CleanupResult, error) {
	now := s.now()
	cut := now.Add(-s.cfg.CleanupAge).Unix()
	var res CleanupResult
	r, err := s.db.Exec(ctx, `DELETE FROM verification_codes WHERE created_at < ?`, cut)
	if err != nil {
		return res, fmt.Errorf("cleanup codes: %w", err)
	}
	res.Codes, _ = r.RowsAffected()
	if r, err = s.db.Exec(ctx, `DELETE FROM verification_tokens WHERE created_at < ?`, cut); err != nil {
		return res, fmt.Errorf("cleanup tokens: %w", err)
	}
	res.Tokens, _ = r.RowsAffected()
	if r, err = s.db.Exec(ctx, `DELETE FROM verification_signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?`,
		now.Add(-s.cfg.RetiredKeyRetention).Unix()); err != nil {
		return res, fmt.Errorf("cleanup retired keys: %w", err)
	}
	res.RetiredKeys, _ = r.RowsAffected()
	return res, nil
}
