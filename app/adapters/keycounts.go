package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/store"
)

// KeyCounts answers portal.KeyCounts from the key server's exposures table
// (whose columns are fixed by the key server's contract): keys accepted per
// health authority and day of their hour-truncated created_at, in Vietnam's
// time. realmOf maps a certificate issuer to its realm code; issuers it does
// not know are left out.
type KeyCounts struct {
	DB      *store.DB
	RealmOf func(ctx context.Context, issuer string) (realm string, ok bool)
}

var _ portal.KeyCounts = (*KeyCounts)(nil)

// KeysPublished implements portal.KeyCounts.
func (k *KeyCounts) KeysPublished(ctx context.Context, from, to string) ([]portal.KeyDayCount, error) {
	first, err := time.ParseInLocation("2006-01-02", from, portal.Zone)
	if err != nil {
		return nil, fmt.Errorf("%w: from date: %v", portal.ErrInvalidInput, err)
	}
	last, err := time.ParseInLocation("2006-01-02", to, portal.Zone)
	if err != nil {
		return nil, fmt.Errorf("%w: to date: %v", portal.ErrInvalidInput, err)
	}
	rows, err := k.DB.Query(ctx, `SELECT health_authority, created_at, COUNT(*) FROM exposures
		WHERE created_at >= ? AND created_at < ? GROUP BY health_authority, created_at`,
		first.Unix(), last.AddDate(0, 0, 1).Unix())
	if err != nil {
		return nil, fmt.Errorf("keys published: %w", err)
	}
	defer rows.Close()
	type key struct{ realm, day string }
	sums := map[key]int64{}
	var order []key
	for rows.Next() {
		var issuer string
		var at, n int64
		if err := rows.Scan(&issuer, &at, &n); err != nil {
			return nil, fmt.Errorf("keys published: %w", err)
		}
		realm, ok := k.RealmOf(ctx, issuer)
		if !ok {
			continue
		}
		kk := key{realm, time.Unix(at, 0).In(portal.Zone).Format("2006-01-02")}
		if _, seen := sums[kk]; !seen {
			order = append(order, kk)
		}
		sums[kk] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys published: %w", err)
	}
	out := make([]portal.KeyDayCount, 0, len(order))
	for _, kk := range order {
		out = append(out, portal.KeyDayCount{Realm: kk.realm, Day: kk.day, Keys: sums[kk]})
	}
	return out, nil
}
