// Package adapters fits the real services to the small interfaces other
// services define for them (portal.Codes over the verification service,
// portal.Deployment over the installs service, portal.KeyCounts over the
// key server's table), so services never import each other. Package app
// wires the server with them; the consuming services' tests use them to run
// against the real thing.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/verification"
)

// PortalCodes adapts the verification service to portal.Codes.
func PortalCodes(v *verification.Server, c clock.Clock) portal.Codes {
	return verifCodes{v: v, clock: c}
}

// PortalDeployment adapts the installs service to portal.Deployment.
func PortalDeployment(s *installs.Server) portal.Deployment { return installsDeployment{s: s} }

type verifCodes struct {
	v     *verification.Server
	clock clock.Clock
}

var _ portal.Codes = verifCodes{}

// userErr marks the verification service's 4xx answers as safe to show.
func userErr(err error) error {
	var e *verification.Error
	if errors.As(err, &e) && e.Status < http.StatusInternalServerError {
		return fmt.Errorf("%w: %s", portal.ErrInvalidInput, e.Message)
	}
	return err
}

func (a verifCodes) IssueCode(ctx context.Context, realm string, req portal.CodeRequest) (portal.IssuedCode, error) {
	r, err := a.v.IssueCode(ctx, realm, verification.IssueRequest{
		TestType: req.TestType, SymptomDate: req.SymptomDate, TestDate: req.TestDate, TZOffsetMinutes: req.TZOffsetMinutes,
	})
	if err != nil {
		return portal.IssuedCode{}, userErr(err)
	}
	return portal.IssuedCode{UUID: r.UUID, Code: r.Code, ExpiresAt: r.ExpiresAt, LongCode: r.LongCode, LongExpiresAt: r.LongExpiresAt}, nil
}

func (a verifCodes) CodeStatus(ctx context.Context, realm, uuid string) (portal.CodeState, error) {
	st, err := a.v.CodeStatus(ctx, realm, uuid)
	if err != nil {
		return portal.CodeState{}, userErr(err)
	}
	now := a.clock.Now().Unix()
	return portal.CodeState{Claimed: st.Claimed, Expired: !st.Claimed && now >= st.LongExpiresAt && now >= st.ExpiresAt}, nil
}

func (a verifCodes) ExpireCode(ctx context.Context, realm, uuid string) error {
	_, err := a.v.ExpireCode(ctx, realm, uuid)
	return userErr(err)
}

func (a verifCodes) Stats(ctx context.Context, realm string, from, to time.Time) ([]portal.CodeDayStats, error) {
	st, err := a.v.Stats(ctx, realm, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]portal.CodeDayStats, len(st))
	for i, d := range st {
		out[i] = portal.CodeDayStats{Day: d.Day, CodesIssued: d.CodesIssued, CodesClaimed: d.CodesClaimed}
	}
	return out, nil
}

type installsDeployment struct{ s *installs.Server }

var _ portal.Deployment = installsDeployment{}

func deployErr(err error) error {
	if errors.Is(err, installs.ErrInvalid) || errors.Is(err, installs.ErrForbidden) || errors.Is(err, installs.ErrNotFound) {
		return fmt.Errorf("%w: %v", portal.ErrInvalidInput, err)
	}
	return err
}

func (a installsDeployment) Agencies(ctx context.Context, province string) ([]portal.Agency, error) {
	list, err := a.s.Agencies(ctx, province)
	out := make([]portal.Agency, len(list))
	for i, x := range list {
		out[i] = portal.Agency{ID: x.ID, Province: x.Province, Name: x.Name}
	}
	return out, deployErr(err)
}

func (a installsDeployment) AddAgency(ctx context.Context, province, name, realm string) (portal.Agency, error) {
	x, err := a.s.AddAgency(ctx, installs.Agency{Province: province, Name: name}, realm)
	return portal.Agency{ID: x.ID, Province: x.Province, Name: x.Name}, deployErr(err)
}

func campaignOf(c installs.Campaign) portal.Campaign {
	return portal.Campaign{ID: c.ID, Province: c.Province, Name: c.Name, Start: c.Start, GuidanceDue: c.GuidanceDue, ReportsDue: c.ReportsDue}
}

func (a installsDeployment) Campaigns(ctx context.Context, province string) ([]portal.Campaign, error) {
	list, err := a.s.Campaigns(ctx, province)
	out := make([]portal.Campaign, len(list))
	for i, c := range list {
		out[i] = campaignOf(c)
	}
	return out, deployErr(err)
}

func (a installsDeployment) AddCampaign(ctx context.Context, c portal.Campaign, realm string) (portal.Campaign, error) {
	x, err := a.s.AddCampaign(ctx, installs.Campaign{Province: c.Province, Name: c.Name, Start: c.Start, GuidanceDue: c.GuidanceDue, ReportsDue: c.ReportsDue}, realm)
	return campaignOf(x), deployErr(err)
}

func (a installsDeployment) SubmitReport(ctx context.Context, r portal.UnitReport, realm string) error {
	return deployErr(a.s.SubmitReport(ctx, installs.UnitReport{CampaignID: r.CampaignID, AgencyID: r.AgencyID, Date: r.Date, Staff: r.Staff, Installed: r.Installed}, realm))
}

func (a installsDeployment) Summary(ctx context.Context, province string, campaignID int64, day string) (portal.DeploymentSummary, error) {
	d, err := installs.ParseDay(day)
	if err != nil {
		return portal.DeploymentSummary{}, fmt.Errorf("%w: %v", portal.ErrInvalidInput, err)
	}
	s, err := a.s.AgencySummary(ctx, province, campaignID, d)
	if err != nil {
		return portal.DeploymentSummary{}, deployErr(err)
	}
	out := portal.DeploymentSummary{TotalStaff: s.TotalStaff, TotalInstalled: s.TotalInstalled, Rate: s.Rate, Reported: s.Reported, Late: s.Late}
	if s.Campaign != nil {
		c := campaignOf(*s.Campaign)
		out.Campaign = &c
	}
	for _, u := range s.Units {
		out.Units = append(out.Units, portal.UnitStatus{AgencyID: u.AgencyID, Name: u.Name, Reported: u.Reported, Late: u.Late,
			Staff: u.Staff, Installed: u.Installed, Rate: u.Rate, Date: u.Date})
	}
	return out, nil
}

func (a installsDeployment) SetTarget(ctx context.Context, t portal.Target, realm string) error {
	return deployErr(a.s.SetTarget(ctx, installs.Target{Scope: t.Scope, Rate: t.Rate, DenominatorKind: t.DenominatorKind, Date: t.Date}, realm))
}
