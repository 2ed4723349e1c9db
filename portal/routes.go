package portal

import "net/http"

// Roles a staff account can hold.
const (
	RoleNationalAdmin   = "national_admin"   // ministry: every realm's users, national targets, sees everything
	RoleProvinceAdmin   = "province_admin"   // Sở Y tế / Sở TT&TT: the province's users, agencies, targets
	RoleCaseWorker      = "case_worker"      // records cases and issues codes in a province or one district
	RoleCampaignOfficer = "campaign_officer" // agencies, campaigns and deployment reports
	RoleViewer          = "viewer"           // read-only statistics
)

// Roles lists every role, most powerful first.
var Roles = []string{RoleNationalAdmin, RoleProvinceAdmin, RoleCaseWorker, RoleCampaignOfficer, RoleViewer}

// perm is what a route requires.
type perm string

const (
	permPublic     perm = "public"      // no session needed (login page, assets)
	permTOTPStage  perm = "totp-stage"  // a session waiting for its second factor
	permLogout     perm = "logout"      // any session at any stage
	permAnySession perm = "any-session" // a session past its second factor, even one that must change its password
	permSelf       perm = "self"        // any fully logged-in user: home, own account
	permCaseView   perm = "case-view"
	permCaseEdit   perm = "case-edit" // record and change cases, issue and expire codes
	permStats      perm = "stats"
	permAudit      perm = "audit"
	permUsers      perm = "users"
	permDeployView perm = "deploy-view"
	permDeployEdit perm = "deploy-edit"
	permTargets    perm = "targets"
)

// rolePerms is THE permission table: every route's perm is looked up here
// and nowhere else. Realm and district limits (a province's staff see only
// their province) are applied on top by the handlers.
var rolePerms = map[string]map[perm]bool{
	RoleNationalAdmin: {permSelf: true, permCaseView: true, permStats: true, permAudit: true,
		permUsers: true, permDeployView: true, permDeployEdit: true, permTargets: true},
	RoleProvinceAdmin: {permSelf: true, permCaseView: true, permStats: true, permAudit: true,
		permUsers: true, permDeployView: true, permDeployEdit: true, permTargets: true},
	RoleCaseWorker:      {permSelf: true, permCaseView: true, permCaseEdit: true, permStats: true},
	RoleCampaignOfficer: {permSelf: true, permStats: true, permDeployView: true, permDeployEdit: true},
	RoleViewer:          {permSelf: true, permStats: true, permDeployView: true},
}

// can reports whether role holds p.
func can(role string, p perm) bool { return rolePerms[role][p] }

// route is one entry of the portal's routing table.
type route struct {
	Method  string
	Path    string // under Config.Prefix
	Perm    perm
	Handler func(w http.ResponseWriter, r *http.Request, rc *reqCtx)
}

// routeTable lists every route the portal serves. Register mounts exactly
// these, each behind wrap, which enforces Perm.
func (s *Server) routeTable() []route {
	return []route{
		{"GET", "/static/{file}", permPublic, s.handleStatic},
		{"GET", "/login", permPublic, s.handleLoginForm},
		{"POST", "/login", permPublic, s.handleLogin},
		{"GET", "/login/totp", permTOTPStage, s.handleTOTPForm},
		{"POST", "/login/totp", permTOTPStage, s.handleTOTP},
		{"POST", "/logout", permLogout, s.handleLogout},
		{"GET", "/password", permAnySession, s.handlePasswordForm},
		{"POST", "/password", permAnySession, s.handlePassword},

		{"GET", "/{$}", permSelf, s.handleHome},
		{"GET", "/account", permSelf, s.handleAccount},
		{"POST", "/account/totp/start", permSelf, s.handleTOTPStart},
		{"POST", "/account/totp/confirm", permSelf, s.handleTOTPConfirm},
		{"POST", "/account/totp/disable", permSelf, s.handleTOTPDisable},

		{"GET", "/cases", permCaseView, s.handleCases},
		{"GET", "/cases/new", permCaseEdit, s.handleCaseNewForm},
		{"POST", "/cases", permCaseEdit, s.handleCaseCreate},
		{"GET", "/cases/{id}", permCaseView, s.handleCase},
		{"POST", "/cases/{id}/status", permCaseEdit, s.handleCaseStatus},
		{"POST", "/cases/{id}/codes", permCaseEdit, s.handleCodeIssue},
		{"POST", "/cases/{id}/codes/{code}/expire", permCaseEdit, s.handleCodeExpire},

		{"GET", "/reports", permStats, s.handleReport},
		{"GET", "/reports.csv", permStats, s.handleReportCSV},

		{"GET", "/audit", permAudit, s.handleAudit},

		{"GET", "/users", permUsers, s.handleUsers},
		{"POST", "/users", permUsers, s.handleUserCreate},
		{"GET", "/users/{id}", permUsers, s.handleUser},
		{"POST", "/users/{id}/role", permUsers, s.handleUserRole},
		{"POST", "/users/{id}/reset", permUsers, s.handleUserReset},
		{"POST", "/users/{id}/unlock", permUsers, s.handleUserUnlock},
		{"POST", "/users/{id}/disable", permUsers, s.handleUserDisable},
		{"POST", "/users/{id}/enable", permUsers, s.handleUserEnable},
		{"POST", "/users/{id}/totp-reset", permUsers, s.handleUserTOTPReset},

		{"GET", "/deployment", permDeployView, s.handleDeployment},
		{"GET", "/deployment.csv", permDeployView, s.handleDeploymentCSV},
		{"POST", "/deployment/agencies", permDeployEdit, s.handleAgencyAdd},
		{"POST", "/deployment/campaigns", permDeployEdit, s.handleCampaignAdd},
		{"POST", "/deployment/reports", permDeployEdit, s.handleUnitReport},
		{"POST", "/deployment/target", permTargets, s.handleTarget},
	}
}
