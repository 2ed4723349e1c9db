package verification

import (
	"context"
	"fmt"
	"time"

	"github.com/bluezone-vn/bluezone/store"
)

// DayStats are one realm's (or all realms') aggregate counts for one UTC
// day. Nothing finer is kept: no per-code, per-key or per-client rows.
type DayStats struct {
	Day                time.Time // UTC midnight
	CodesIssued        int64
	CodesClaimed       int64 // codes exchanged for a token
	CodesInvalid       int64 // wrong, used or expired codes sent to /api/verify
	TokensClaimed      int64 // tokens exchanged for a certificate
	TokensInvalid      int64 // bad, replayed or expired tokens
	CertificatesIssued int64
}

type statColumn string

const (
	statCodesIssued   statColumn = "codes_issued"
	statCodesClaimed  statColumn = "codes_claimed"
	statCodesInvalid  statColumn = "codes_invalid"
	statTokensClaimed statColumn = "tokens_claimed"
	statTokensInvalid statColumn = "tokens_invalid"
	statCertificates  statColumn = "certificates_issued"
)

// bumpStat adds one to a counter of realm's current day.
func bumpStat(ctx context.Context, q store.Querier, realm string, now time.Time, col statColumn) error {
	_, err := q.Exec(ctx, `INSERT INTO verification_stats (realm_code, day, `+string(col)+`) VALUES (?, ?, 1)
		ON CONFLICT (realm_code, day) DO UPDATE SET `+string(col)+` = verification_stats.`+string(col)+` + 1`,
		realm, now.UTC().Format(dateLayout))
	if err != nil {
		return fmt.Errorf("count %s: %w", col, err)
	}
	return nil
}

// bumpStatLogged counts outside a transaction; a failure is logged, not
// returned, because a lost count must not fail the request.
func (s *Server) bumpStatLogged(ctx context.Context, realm string, col statColumn) {
	if err := bumpStat(ctx, s.db, realm, s.now(), col); err != nil {
		s.log.WarnContext(ctx, "verification stats", "error", err)
	}
}

// Stats returns the daily counts of realmCode (every realm summed when
// realmCode is "") for the UTC days from fromDay to toDay inclusive, one
// entry per day with activity, oldest first.
func (s *Server) Stats(ctx context.Context, realmCode string, fromDay, toDay time.Time) ([]DayStats, error) {
	sum := func(c statColumn) string { return "CAST(SUM(" + string(c) + ") AS BIGINT)" }
	q := `SELECT day, ` + sum(statCodesIssued) + `, ` + sum(statCodesClaimed) + `, ` + sum(statCodesInvalid) + `, ` +
		sum(statTokensClaimed) + `, ` + sum(statTokensInvalid) + `, ` + sum(statCertificates) +
		` FROM verification_stats WHERE day >= ? AND day <= ?`
	args := []any{fromDay.UTC().Format(dateLayout), toDay.UTC().Format(dateLayout)}
	if realmCode != "" {
		q += ` AND realm_code = ?`
		args = append(args, realmCode)
	}
	rows, err := s.db.Query(ctx, q+` GROUP BY day ORDER BY day`, args...)
	if err != nil {
		return nil, fmt.Errorf("verification stats: %w", err)
	}
	defer rows.Close()
	var out []DayStats
	for rows.Next() {
		var d DayStats
		var day string
		if err := rows.Scan(&day, &d.CodesIssued, &d.CodesClaimed, &d.CodesInvalid, &d.TokensClaimed,
			&d.TokensInvalid, &d.CertificatesIssued); err != nil {
			return nil, fmt.Errorf("verification stats: %w", err)
		}
		if d.Day, err = time.Parse(dateLayout, day); err != nil {
			return nil, fmt.Errorf("verification stats: bad day %q: %w", day, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
