package portal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/bluezone-vn/bluezone/store"
)

// NationalRealm is the realm of ministry staff; other realms are province
// codes.
const NationalRealm = "VN"

// User is a staff account as the portal shows it (never its password hash
// or TOTP secret).
type User struct {
	ID          int64
	Username    string
	Realm       string // "VN" or a province code
	District    string // case workers limited to one district; else ""
	Role        string
	MustChange  bool
	TOTP        bool
	Disabled    bool
	LockedUntil int64 // Unix seconds; 0 when not locked
	CreatedAt   int64
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username string
	Password string
	Realm    string
	District string
	Role     string
	// MustChange makes the user choose a new password at first login.
	MustChange bool
}

// ErrUserExists is returned by CreateUser for a taken username.
var ErrUserExists = errors.New("username already exists")

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// checkUserFields returns the message key of the first problem with a
// role/realm/district combination, or "".
func (s *Server) checkUserFields(role, realm, district string) string {
	if _, ok := rolePerms[role]; !ok {
		return "err.role"
	}
	if realm == NationalRealm {
		switch role {
		case RoleNationalAdmin, RoleViewer, RoleCampaignOfficer:
		default:
			return "err.role_realm"
		}
		if district != "" {
			return "err.district"
		}
		return ""
	}
	if role == RoleNationalAdmin {
		return "err.role_realm"
	}
	if _, ok := s.admin.Province(realm); !ok {
		return "err.realm"
	}
	if district != "" && (role != RoleCaseWorker || s.admin.ValidPair(realm, district) != nil) {
		return "err.district"
	}
	return ""
}

// CreateUser creates a staff account; it is the bootstrap path for the first
// national administrator (`bluezone admin create-user`) and what the users
// page calls. The password must meet Config.MinPasswordLen. The creation is
// audited as done by "system". A taken username is an error wrapping
// ErrUserExists; other refusals say in English what is wrong.
func (s *Server) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	return s.createUser(ctx, nu, actor{Username: "system", Realm: NationalRealm})
}

func (s *Server) createUser(ctx context.Context, nu NewUser, by actor) (User, error) {
	nu.Username = strings.ToLower(strings.TrimSpace(nu.Username))
	if !usernameRE.MatchString(nu.Username) {
		return User{}, userError{Key: "err.username"}
	}
	if k := s.checkUserFields(nu.Role, nu.Realm, nu.District); k != "" {
		return User{}, userError{Key: k}
	}
	if k := passwordProblem(nu.Password, s.cfg.MinPasswordLen, nu.Username); k != "" {
		return User{}, userError{Key: k}
	}
	hash, err := hashPassword(nu.Password, s.cfg.Argon2)
	if err != nil {
		return User{}, err
	}
	now := s.clock.Now().Unix()
	u := User{Username: nu.Username, Realm: nu.Realm, District: nu.District, Role: nu.Role, MustChange: nu.MustChange, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO portal_users (username, realm, district, role, password_hash, must_change, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, u.Username, u.Realm, u.District, u.Role, hash, b2i(u.MustChange), now).Scan(&u.ID)
		if store.IsUniqueViolation(err) {
			return ErrUserExists
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "user_created", u.Realm, "user:"+u.Username, "role="+u.Role+" district="+u.District)
	})
	if err != nil {
		if errors.Is(err, ErrUserExists) {
			return User{}, userError{Key: "err.user_exists", err: ErrUserExists}
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// userError is a validation failure whose Key is a message shown to staff.
// Its Error is the English message, for the CLI.
type userError struct {
	Key string
	err error // wrapped sentinel, if any
}

func (e userError) Error() string {
	return "portal: " + strings.ReplaceAll(newLocale(langEN).T(e.Key), "%d", "the minimum number of")
}

func (e userError) Unwrap() error { return e.err }

const userCols = `id, username, realm, district, role, must_change, totp_sealed <> '', disabled, locked_until, created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var must, disabled int
	err := sc.Scan(&u.ID, &u.Username, &u.Realm, &u.District, &u.Role, &must, &u.TOTP, &disabled, &u.LockedUntil, &u.CreatedAt)
	u.MustChange, u.Disabled = must != 0, disabled != 0
	return u, err
}

// userByID returns the user, or sql.ErrNoRows.
func (s *Server) userByID(ctx context.Context, q store.Querier, id int64) (User, error) {
	return scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM portal_users WHERE id = ?`, id))
}

// listUsers returns the users of realm ("" = all), by username.
func (s *Server) listUsers(ctx context.Context, realm string) ([]User, error) {
	q := `SELECT ` + userCols + ` FROM portal_users`
	var args []any
	if realm != "" {
		q += ` WHERE realm = ?`
		args = append(args, realm)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY realm, username LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// manages reports whether an administrator may change the target user:
// national admins manage everyone, province admins their province's
// non-national users; nobody manages their own role or lock from here.
func (me *User) manages(target User) bool {
	if me.ID == target.ID {
		return false
	}
	switch me.Role {
	case RoleNationalAdmin:
		return true
	case RoleProvinceAdmin:
		return target.Realm == me.Realm && target.Role != RoleNationalAdmin
	}
	return false
}

// seesProvince reports whether the user may see a province's data.
func (me *User) seesProvince(p string) bool { return me.Realm == NationalRealm || me.Realm == p }

// seesCase reports whether the user may see a case in province/district.
func (me *User) seesCase(province, district string) bool {
	if me.Realm == NationalRealm {
		return true
	}
	return me.Realm == province && (me.District == "" || me.District == district)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

var errNotFound = sql.ErrNoRows
