package verification

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// NationalRealm is the realm code of the national health authority. Its
// admin keys may act for every realm; its device keys verify codes of every
// realm.
const NationalRealm = "VN"

// Test types. The first three are the reference server's; "contact" is ours:
// an F1 whose health worker authorises a warning to the F1's own contacts
// (exported as report type RECURSIVE).
const (
	TestConfirmed = "confirmed"
	TestLikely    = "likely"
	TestNegative  = "negative"
	TestContact   = "contact"
)

// AllTestTypes lists the test types a realm may allow, in order.
var AllTestTypes = []string{TestConfirmed, TestLikely, TestNegative, TestContact}

// Realm is one health authority: a province (code = GSO code) or the nation.
type Realm struct {
	Code     string
	Name     string
	Issuer   string // certificate iss; default "bluezone-vn-<code>"
	Audience string // certificate aud; default Config.DefaultAudience
	// AllowedTestTypes are the test types codes may be issued for; default all.
	AllowedTestTypes []string
	// RequireDate makes /api/issue insist on a symptom-onset or test date.
	RequireDate bool
	// DailyQuota limits codes issued per UTC day; 0 = unlimited; -1 on
	// CreateRealm means Config.DefaultDailyQuota.
	DailyQuota int
}

var realmCodeRE = regexp.MustCompile(`^(VN|[0-9]{2})$`)

func (s *Server) realmDefaults(r Realm) (Realm, error) {
	if !realmCodeRE.MatchString(r.Code) {
		return r, fmt.Errorf("realm code %q: want a 2-digit GSO province code or %q", r.Code, NationalRealm)
	}
	if strings.TrimSpace(r.Name) == "" {
		return r, fmt.Errorf("realm %s: empty name", r.Code)
	}
	if r.Issuer == "" {
		r.Issuer = "bluezone-vn-" + strings.ToLower(r.Code)
	}
	if r.Audience == "" {
		r.Audience = s.cfg.DefaultAudience
	}
	if len(r.AllowedTestTypes) == 0 {
		r.AllowedTestTypes = append([]string(nil), AllTestTypes...)
	}
	for _, t := range r.AllowedTestTypes {
		if !isTestType(t) {
			return r, fmt.Errorf("realm %s: unknown test type %q (allowed: %s)", r.Code, t, strings.Join(AllTestTypes, ", "))
		}
	}
	if r.DailyQuota < 0 {
		r.DailyQuota = s.cfg.DefaultDailyQuota
	}
	return r, nil
}

func isTestType(t string) bool {
	for _, a := range AllTestTypes {
		if a == t {
			return true
		}
	}
	return false
}

// CreateRealm stores a new realm with defaults filled in and gives it its
// first signing key, "v1". Creating an existing realm is an error.
func (s *Server) CreateRealm(ctx context.Context, r Realm) (Realm, error) {
	r, err := s.realmDefaults(r)
	if err != nil {
		return Realm{}, fmt.Errorf("create realm: %w", err)
	}
	if err := s.db.InTx(ctx, func(tx *store.Tx) error { return s.insertRealm(ctx, tx, r) }); err != nil {
		return Realm{}, fmt.Errorf("create realm: %w", err)
	}
	return r, nil
}

func (s *Server) insertRealm(ctx context.Context, tx *store.Tx, r Realm) error {
	if _, err := tx.Exec(ctx, `INSERT INTO verification_realms
		(code, name, issuer, audience, allowed_test_types, require_date, daily_quota, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Code, r.Name, r.Issuer, r.Audience, strings.Join(r.AllowedTestTypes, ","), boolInt(r.RequireDate),
		r.DailyQuota, s.now().Unix()); err != nil {
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("realm %s or issuer %q already exists: %w", r.Code, r.Issuer, err)
		}
		return err
	}
	_, err := s.addSigningKey(ctx, tx, r.Code)
	return err
}

// UpdateRealm changes a realm's name, issuer, audience, allowed test types,
// date requirement and quota (empty strings and a nil list keep the old
// values).
func (s *Server) UpdateRealm(ctx context.Context, r Realm) error {
	old, err := s.Realm(ctx, r.Code)
	if err != nil {
		return fmt.Errorf("update realm: %w", err)
	}
	if r.Name == "" {
		r.Name = old.Name
	}
	if r.Issuer == "" {
		r.Issuer = old.Issuer
	}
	if r.Audience == "" {
		r.Audience = old.Audience
	}
	if r.AllowedTestTypes == nil {
		r.AllowedTestTypes = old.AllowedTestTypes
	}
	if r, err = s.realmDefaults(r); err != nil {
		return fmt.Errorf("update realm: %w", err)
	}
	_, err = s.db.Exec(ctx, `UPDATE verification_realms SET name = ?, issuer = ?, audience = ?,
		allowed_test_types = ?, require_date = ?, daily_quota = ? WHERE code = ?`,
		r.Name, r.Issuer, r.Audience, strings.Join(r.AllowedTestTypes, ","), boolInt(r.RequireDate), r.DailyQuota, r.Code)
	if err != nil {
		return fmt.Errorf("update realm %s: %w", r.Code, err)
	}
	return nil
}

// errNoRealm is returned (wrapped) for an unknown realm code.
var errNoRealm = errors.New("no such realm")

// Realm returns one realm.
func (s *Server) Realm(ctx context.Context, code string) (Realm, error) {
	rs, err := s.queryRealms(ctx, s.db, `WHERE code = ?`, code)
	if err != nil {
		return Realm{}, err
	}
	if len(rs) == 0 {
		return Realm{}, fmt.Errorf("realm %q: %w", code, errNoRealm)
	}
	return rs[0], nil
}

// ListRealms returns every realm ordered by code ("01" … "96", then "VN").
func (s *Server) ListRealms(ctx context.Context) ([]Realm, error) {
	return s.queryRealms(ctx, s.db, `ORDER BY code`)
}

func (s *Server) queryRealms(ctx context.Context, q store.Querier, where string, args ...any) ([]Realm, error) {
	rows, err := q.Query(ctx, `SELECT code, name, issuer, audience, allowed_test_types, require_date, daily_quota
		FROM verification_realms `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list realms: %w", err)
	}
	defer rows.Close()
	var out []Realm
	for rows.Next() {
		var r Realm
		var types string
		var req int
		if err := rows.Scan(&r.Code, &r.Name, &r.Issuer, &r.Audience, &types, &req, &r.DailyQuota); err != nil {
			return nil, fmt.Errorf("list realms: %w", err)
		}
		r.AllowedTestTypes = strings.Split(types, ",")
		r.RequireDate = req != 0
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list realms: %w", err)
	}
	return out, nil
}

// EnsureBootstrap creates the national realm and one realm per province
// (from vnadmin) that do not exist yet, each with a signing key. On the very
// first start it also creates a national admin API key and returns it with
// created = true; afterwards it returns "", false (the key is never shown
// again).
func (s *Server) EnsureBootstrap(ctx context.Context) (adminKey string, created bool, err error) {
	have := map[string]bool{}
	realms, err := s.ListRealms(ctx)
	if err != nil {
		return "", false, fmt.Errorf("bootstrap: %w", err)
	}
	for _, r := range realms {
		have[r.Code] = true
	}
	want := []Realm{{Code: NationalRealm, Name: "Việt Nam", DailyQuota: -1}}
	for _, p := range vnadmin.MustLoad().Provinces {
		want = append(want, Realm{Code: p.Code, Name: p.Name, DailyQuota: -1})
	}
	var missing []Realm
	for _, r := range want {
		if !have[r.Code] {
			if r, err = s.realmDefaults(r); err != nil {
				return "", false, fmt.Errorf("bootstrap: %w", err)
			}
			missing = append(missing, r)
		}
	}
	// One transaction for the lot (one commit, not 64); if another replica
	// created some meanwhile, fall back to one at a time.
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range missing {
			if err := s.insertRealm(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range missing {
			if _, cerr := s.CreateRealm(ctx, r); cerr != nil {
				if _, gerr := s.Realm(ctx, r.Code); gerr != nil {
					return "", false, fmt.Errorf("bootstrap: %w", cerr)
				}
			}
		}
	}
	// Claim the bootstrap marker first, so two replicas starting together
	// never both make a key.
	_, err = s.db.Exec(ctx, `INSERT INTO verification_meta (name, value) VALUES ('bootstrap_admin_key', ?)`,
		s.now().Format("2006-01-02T15:04:05Z"))
	if err != nil {
		if store.IsUniqueViolation(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("bootstrap: %w", err)
	}
	key, err := s.CreateAPIKey(ctx, NationalRealm, KindAdmin, "bootstrap")
	if err != nil {
		_, _ = s.db.Exec(ctx, `DELETE FROM verification_meta WHERE name = 'bootstrap_admin_key'`)
		return "", false, fmt.Errorf("bootstrap: %w", err)
	}
	return key, true, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
