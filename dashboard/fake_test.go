package dashboard

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// fakeReports is a small Reports for the render tests and the benchmark: 63
// provinces with made-up but consistent figures, and Đắk Nông's district
// figures from the 13 Aug 2020 notice. The browser test uses the real
// installs service instead.
type fakeReports struct {
	calls int
	err   error
}

func (f *fakeReports) National(ctx context.Context, day time.Time) (installs.NationalReport, error) {
	f.calls++
	if f.err != nil {
		return installs.NationalReport{}, f.err
	}
	admin := vnadmin.MustLoad()
	d := installs.DayOf(day)
	rep := installs.NationalReport{Day: d.Time(), Date: d.String(), Source: installs.SourceCounted,
		Denominator: installs.Denominator{Kind: installs.KindPopulation}}
	for i, p := range admin.Provinces {
		n := p.Population * int64(3+(i*7)%17) / 100
		rep.Provinces = append(rep.Provinces, installs.ProvinceRow{
			Code: p.Code, Name: p.Name, Installs: n, Active: n * 4 / 5, Denominator: p.Population,
			Rate: float64(n) / float64(p.Population), ChangeSinceYesterday: int64(i*13%50) - 10,
		})
		rep.Installs += n
		rep.Active += n * 4 / 5
		rep.Denominator.Value += p.Population
	}
	sort.SliceStable(rep.Provinces, func(i, j int) bool { return rep.Provinces[i].Rate > rep.Provinces[j].Rate })
	for i := range rep.Provinces {
		p := &rep.Provinces[i]
		p.Rank = i + 1
		p.ExpectedReach = p.Rate * p.Rate
		if i%5 != 0 {
			days := 10 + i
			p.DaysToTarget = &days
		}
	}
	rep.Rate = float64(rep.Installs) / float64(rep.Denominator.Value)
	rep.ExpectedReach = rep.Rate * rep.Rate
	rep.ChangeSinceYesterday = 12345
	pace := 4000.0
	days := 100
	rep.Target = &installs.TargetProgress{Rate: 0.6, DenominatorKind: installs.KindAdults, Denominator: rep.Denominator.Value * 7 / 10,
		Date: d.Time().AddDate(0, 4, 0), DateString: d.Time().AddDate(0, 4, 0).Format("2006-01-02"),
		TargetInstalls: rep.Denominator.Value * 42 / 100, DaysLeft: 120, RequiredPerDay: 123456.7, CurrentPacePerDay: pace,
		Progress: float64(rep.Installs) / float64(rep.Denominator.Value*42/100), DaysToTarget: &days}
	for i := 0; i < 30; i++ {
		t := d.Time().AddDate(0, 0, i-29)
		rep.Series = append(rep.Series, installs.SeriesPoint{Day: t, Date: t.Format("2006-01-02"), Installs: rep.Installs - int64(29-i)*4000})
	}
	for i := 1; i <= 10; i++ {
		t := d.Time().AddDate(0, 0, i)
		rep.Series = append(rep.Series, installs.SeriesPoint{Day: t, Date: t.Format("2006-01-02"), Installs: rep.Installs + int64(i)*4000, Projected: true})
	}
	return rep, nil
}

func (f *fakeReports) Province(ctx context.Context, code string, day time.Time) (installs.ProvinceReport, error) {
	f.calls++
	if f.err != nil {
		return installs.ProvinceReport{}, f.err
	}
	admin := vnadmin.MustLoad()
	p, ok := admin.Province(code)
	if !ok {
		return installs.ProvinceReport{}, fmt.Errorf("province %q: %w", code, installs.ErrNotFound)
	}
	d := installs.DayOf(day)
	rep := installs.ProvinceReport{Day: d.Time(), Date: d.String(), Source: installs.SourceImported}
	rep.Province = installs.ProvinceRow{Code: code, Name: p.Name, Installs: 57511, Denominator: 652052,
		Rate: 57511.0 / 652052, Rank: 40, Imported: true, ImportedDate: "2020-08-13"}
	// By GSO code: Gia Nghĩa, Đắk Mil, Đắk R'Lấp, Cư Jút, Đắk Song, Krông Nô, Đắk Glong, Tuy Đức.
	figures := map[string]int64{"660": 13404, "663": 8713, "666": 7498, "662": 6963, "665": 6567, "664": 5757, "661": 4397, "667": 4217}
	for _, dist := range admin.DistrictsOf(code) {
		n := figures[dist.Code]
		rep.Districts = append(rep.Districts, installs.DistrictRow{Code: dist.Code, Name: dist.Name, Installs: n,
			Denominator: dist.Population, Rate: float64(n) / float64(dist.Population)})
		rep.DistrictSum += n
	}
	sort.SliceStable(rep.Districts, func(i, j int) bool { return rep.Districts[i].Rate > rep.Districts[j].Rate })
	for i := range rep.Districts {
		rep.Districts[i].Rank = i + 1
		rep.Districts[i].ExpectedReach = rep.Districts[i].Rate * rep.Districts[i].Rate
	}
	rep.Unattributed = rep.Province.Installs - rep.DistrictSum
	rep.Flagged = rep.Unattributed != 0
	rep.Agencies = installs.AgencySummary{
		Campaign: &installs.Campaign{ID: 1, Province: code, Name: "Triển khai Bluezone tháng 8", Start: "2020-08-10", GuidanceDue: "2020-08-18", ReportsDue: "2020-08-20"},
		Units: []installs.UnitStatus{
			{AgencyID: 1, Name: "Sở Y tế", Reported: true, Staff: 120, Installed: 110, Rate: 110.0 / 120, Date: "2020-08-19"},
			{AgencyID: 2, Name: "Sở Giáo dục và Đào tạo", Reported: true, Late: true, Staff: 80, Installed: 40, Rate: 0.5, Date: "2020-08-21"},
			{AgencyID: 3, Name: "Công an tỉnh", Late: true},
		},
		TotalStaff: 200, TotalInstalled: 150, Rate: 0.75, Reported: 2, Late: 2,
	}
	return rep, nil
}

// fakeTransparency returns fixed published-key figures.
type fakeTransparency struct{ now time.Time }

func (f fakeTransparency) KeysPerDay(ctx context.Context, days int) ([]DayCount, error) {
	var out []DayCount
	for i := days - 1; i >= 0; i-- {
		out = append(out, DayCount{Day: installs.DayOf(f.now.AddDate(0, 0, -i)).Time(), Keys: int64(14 * (i % 4)), Revised: int64(i % 3)})
	}
	return out, nil
}

func (f fakeTransparency) ExportFiles(ctx context.Context) ([]ExportFile, error) {
	start := f.now.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	return []ExportFile{{Name: "exports/1597276800-1597363200-00001.zip", URL: "/exports/1597276800-1597363200-00001.zip",
		Region: "452", Start: start, End: start.Add(24 * time.Hour), Keys: 140, Batch: 1, BatchSize: 1,
		SigningKeyID: "452", SigningKeyVersion: "v1"}}, nil
}

func (f fakeTransparency) PublicKeys(ctx context.Context) ([]PublicKey, error) {
	return []PublicKey{{Use: UseExport, Owner: "Bộ Y tế", KeyID: "452", Version: "v1", Algorithm: "ECDSA P-256 / SHA-256",
		PEM: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtest\n-----END PUBLIC KEY-----\n", From: f.now.AddDate(0, -1, 0)}}, nil
}
