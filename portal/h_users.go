package portal

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// handleUsers lists the accounts an administrator manages and offers the
// new-user form.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.showUsers(w, r, rc, http.StatusOK, "", nil)
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, errKey string, created map[string]string) {
	realm := ""
	if rc.User.Realm != NationalRealm {
		realm = rc.User.Realm
	}
	users, err := s.listUsers(r.Context(), realm)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	roles := Roles
	if rc.User.Role != RoleNationalAdmin {
		roles = Roles[1:]
	}
	data := map[string]any{"Users": users, "Roles": roles, "Provinces": s.provinceChoices(rc), "Error": "", "Created": created,
		"Districts": s.admin.DistrictsOf(rc.User.Realm), "Now": s.clock.Now().Unix()}
	if errKey != "" {
		data["Error"] = rc.L.F(errKey, s.cfg.MinPasswordLen)
	}
	s.render(w, r, rc, status, "users", "users.title", data)
}

// handleUserCreate creates an account with a temporary password the user
// must change at first login. Province admins create users of their
// province only, and never national admins.
func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	nu := NewUser{
		Username: strings.TrimSpace(r.PostForm.Get("username")), Role: r.PostForm.Get("role"),
		Realm: r.PostForm.Get("realm"), District: r.PostForm.Get("district"), MustChange: true,
		Password: temporaryPassword(),
	}
	if rc.User.Role != RoleNationalAdmin {
		nu.Realm = rc.User.Realm
	}
	if nu.Role == RoleNationalAdmin && rc.User.Role != RoleNationalAdmin {
		s.showUsers(w, r, rc, http.StatusBadRequest, "err.role", nil)
		return
	}
	u, err := s.createUser(r.Context(), nu, actorOf(rc.User))
	var ue userError
	if errors.As(err, &ue) {
		s.showUsers(w, r, rc, http.StatusBadRequest, ue.Key, nil)
		return
	}
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	// The temporary password is shown once, to be handed over in person.
	s.showUsers(w, r, rc, http.StatusOK, "", map[string]string{"Username": u.Username, "Password": nu.Password})
}

// managedUser loads the {id} user if the administrator manages them, else
// answers 404.
func (s *Server) managedUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) (User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r, rc)
		return User{}, false
	}
	u, err := s.userByID(r.Context(), s.db, id)
	if err == errNotFound || (err == nil && !rc.User.manages(u)) {
		s.notFound(w, r, rc)
		return User{}, false
	}
	if err != nil {
		s.serverError(w, r, rc, err)
		return User{}, false
	}
	return u, true
}

// handleUser shows one account with the administrator's actions.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	u, ok := s.managedUser(w, r, rc)
	if !ok {
		return
	}
	roles := Roles
	if rc.User.Role != RoleNationalAdmin {
		roles = Roles[1:]
	}
	s.render(w, r, rc, http.StatusOK, "user", "user.title", map[string]any{
		"U": u, "Roles": roles, "Districts": s.admin.DistrictsOf(u.Realm), "Now": s.clock.Now().Unix(),
		"Error": errorParam(rc, r.URL.Query().Get("err")), "TempPassword": "",
	})
}
