package portal

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// handleDeployment shows a province's agencies, campaigns and the current
// campaign's reports, with the forms campaign officers use.
func (s *Server) handleDeployment(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	province, ok := s.provinceParam(rc, q.Get("province"))
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	campaign, _ := strconv.ParseInt(q.Get("campaign"), 10, 64)
	ctx := r.Context()
	agencies, err := s.deploy.Agencies(ctx, province)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	campaigns, err := s.deploy.Campaigns(ctx, province)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	today := dayString(dayOf(s.clock.Now()))
	sum, err := s.deploy.Summary(ctx, province, campaign, today)
	if err != nil && !errors.Is(err, ErrInvalidInput) {
		s.serverError(w, r, rc, err)
		return
	}
	s.render(w, r, rc, http.StatusOK, "deployment", "deploy.title", map[string]any{
		"Province": province, "Agencies": agencies, "Campaigns": campaigns, "Sum": sum, "Today": today,
		"Provinces": s.provinceChoices(rc), "Campaign": campaign,
		"Error": errorParam(rc, q.Get("err")), "Detail": q.Get("detail"),
		"CanTargetNational": rc.User.Realm == NationalRealm,
	})
}

// deployDone finishes a deployment POST: back to the page, with the
// collaborator's message when it refused the input.
func (s *Server) deployDone(w http.ResponseWriter, r *http.Request, rc *reqCtx, province string, err error, action, detail string) {
	back := "/deployment?province=" + province
	if errors.Is(err, ErrInvalidInput) {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		s.redirect(w, r, back+"&err=err.deploy&detail="+urlQueryEscape(msg))
		return
	}
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	if err := s.audit(r.Context(), s.db, actorOf(rc.User), action, province, "", detail); err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	s.redirect(w, r, back+"&ok=ok.deploy_saved")
}

// formProvince is the province a deployment form acts on: the user's, or
// for national users the form's choice ("VN" allowed for campaigns).
func (s *Server) formProvince(rc *reqCtx, p string, allowNational bool) (string, bool) {
	if rc.User.Realm != NationalRealm {
		return rc.User.Realm, p == "" || p == rc.User.Realm
	}
	if p == NationalRealm {
		return p, allowNational
	}
	_, ok := s.admin.Province(p)
	return p, ok
}

// handleAgencyAdd registers an agency.
func (s *Server) handleAgencyAdd(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	province, ok := s.formProvince(rc, r.PostForm.Get("province"), false)
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	a, err := s.deploy.AddAgency(r.Context(), province, name, rc.User.Realm)
	s.deployDone(w, r, rc, province, err, "agency_added", fmt.Sprintf("agency %d %q", a.ID, a.Name))
}

// handleCampaignAdd creates a campaign with deadlines.
func (s *Server) handleCampaignAdd(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := r.PostForm
	province, ok := s.formProvince(rc, f.Get("province"), true)
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	c, err := s.deploy.AddCampaign(r.Context(), Campaign{Province: province, Name: strings.TrimSpace(f.Get("name")),
		Start: f.Get("start"), GuidanceDue: f.Get("guidance_due"), ReportsDue: f.Get("reports_due")}, rc.User.Realm)
	back := province
	if province == NationalRealm {
		back = ""
	}
	s.deployDone(w, r, rc, back, err, "campaign_added", fmt.Sprintf("campaign %d %q due %s", c.ID, c.Name, c.ReportsDue))
}

// handleUnitReport records an agency's report in a campaign.
func (s *Server) handleUnitReport(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := r.PostForm
	province, ok := s.formProvince(rc, f.Get("province"), false)
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(strings.TrimSpace(f.Get(k)), 10, 64); return n }
	rep := UnitReport{CampaignID: num("campaign"), AgencyID: num("agency"), Date: f.Get("date"), Staff: num("staff"), Installed: num("installed")}
	if rep.Staff <= 0 && f.Get("staff") != "0" {
		s.redirect(w, r, "/deployment?province="+province+"&err=err.number")
		return
	}
	err := s.deploy.SubmitReport(r.Context(), rep, rc.User.Realm)
	s.deployDone(w, r, rc, province, err, "unit_report",
		fmt.Sprintf("campaign %d agency %d date %s staff %d installed %d", rep.CampaignID, rep.AgencyID, rep.Date, rep.Staff, rep.Installed))
}

// handleTarget sets the province's (or for national admins, the nation's)
// install target.
func (s *Server) handleTarget(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := r.PostForm
	scope, ok := s.formProvince(rc, f.Get("scope"), true)
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(f.Get("rate")), 64)
	if err != nil {
		s.redirect(w, r, "/deployment?province="+rc.User.Realm+"&err=err.number")
		return
	}
	t := Target{Scope: scope, Rate: pct / 100, DenominatorKind: f.Get("kind"), Date: f.Get("date")}
	err = s.deploy.SetTarget(r.Context(), t, rc.User.Realm)
	back := scope
	if scope == NationalRealm {
		back = ""
	}
	s.deployDone(w, r, rc, back, err, "target_set", fmt.Sprintf("scope %s rate %.4f of %s by %s", t.Scope, t.Rate, t.DenominatorKind, t.Date))
}

// DeploymentCSVHeader is the header of the deployment download.
const DeploymentCSVHeader = "province_code,campaign,agency,reported,late,report_date,staff,installed,rate"

// handleDeploymentCSV downloads the current campaign's unit reports.
func (s *Server) handleDeploymentCSV(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	province, ok := s.provinceParam(rc, q.Get("province"))
	if !ok {
		s.notFound(w, r, rc)
		return
	}
	campaign, _ := strconv.ParseInt(q.Get("campaign"), 10, 64)
	sum, err := s.deploy.Summary(r.Context(), province, campaign, dayString(dayOf(s.clock.Now())))
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="deployment-`+province+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(splitHeader(DeploymentCSVHeader))
	name := ""
	if sum.Campaign != nil {
		name = sum.Campaign.Name
	}
	for _, u := range sum.Units {
		cw.Write([]string{province, name, u.Name, strconv.FormatBool(u.Reported), strconv.FormatBool(u.Late), u.Date,
			i64(u.Staff), i64(u.Installed), strconv.FormatFloat(u.Rate, 'f', 4, 64)})
	}
	cw.Flush()
}
