package export_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/keyserver/export"
	"github.com/bluezone-vn/bluezone/store"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

func line(start, end time.Time, n int) string {
	return exportfile.FileName("exports", start, end, n)
}

func keySet(keys []exportfile.Key) map[[16]byte]exportfile.Key {
	m := map[[16]byte]exportfile.Key{}
	for _, k := range keys {
		m[k.Data] = k
	}
	return m
}

func TestBatchBoundaries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		f := newFixture(t, db, testConfig(), nil)
		a, b := keyAt(t, t0), keyAt(t, t0.Add(9*time.Second))
		c, d := keyAt(t, t0.Add(10*time.Second)), keyAt(t, t0.Add(25*time.Second))
		insert(t, db, a, b, c, d)

		f.clock.Set(t0.Add(15 * time.Second))
		if n := f.run(t); n != 1 {
			t.Fatalf("built %d batches at t0+15s, want 1", n)
		}
		want := []string{line(t0, t0.Add(10*time.Second), 1)}
		if got := f.index(t); !slices.Equal(got, want) {
			t.Fatalf("index = %v, want %v", got, want)
		}
		file := f.file(t, want[0])
		e := file.Export
		if !e.Start.Equal(t0) || !e.End.Equal(t0.Add(10*time.Second)) || e.Region != "VN" || e.BatchNum != 1 || e.BatchSize != 1 {
			t.Fatalf("header = %v..%v %q %d/%d", e.Start, e.End, e.Region, e.BatchNum, e.BatchSize)
		}
		got := keySet(e.Keys)
		if len(e.Keys) != 2 || got[a.key].Data != a.key || got[b.key].Data != b.key {
			t.Fatalf("first batch keys = %d, want exactly a and b", len(e.Keys))
		}
		k := got[a.key]
		if k.RollingStart != 2_900_000 || k.RollingPeriod != 144 || k.TransmissionRisk != 2 ||
			k.ReportType != exportfile.ReportTypeConfirmedTest || !k.HasDaysSinceOnset || k.DaysSinceOnset != 3 {
			t.Fatalf("key fields = %+v", k)
		}
		if bytes.Compare(e.Keys[0].Data[:], e.Keys[1].Data[:]) >= 0 {
			t.Fatal("keys not sorted")
		}
		sig := file.Signatures
		if len(sig) != 1 || sig[0].Info.KeyID != "452" || sig[0].Info.KeyVersion != "v1" ||
			sig[0].Info.Algorithm != "1.2.840.10045.4.3.2" || sig[0].BatchNum != 1 || sig[0].BatchSize != 1 {
			t.Fatalf("signatures = %+v", sig)
		}

		// Nothing new closed yet: a second run builds nothing.
		if n := f.run(t); n != 0 {
			t.Fatalf("rerun built %d", n)
		}
		f.clock.Set(t0.Add(30 * time.Second))
		if n := f.run(t); n != 2 {
			t.Fatalf("built %d batches at t0+30s, want 2", n)
		}
		want = append(want, line(t0.Add(10*time.Second), t0.Add(20*time.Second), 1),
			line(t0.Add(20*time.Second), t0.Add(30*time.Second), 1))
		if got := f.index(t); !slices.Equal(got, want) {
			t.Fatalf("index = %v, want %v", got, want)
		}
		if keys := f.file(t, want[1]).Export.Keys; len(keys) != 1 || keys[0].Data != c.key {
			t.Fatalf("second batch = %d keys", len(keys))
		}
		if keys := f.file(t, want[2]).Export.Keys; len(keys) != 1 || keys[0].Data != d.key {
			t.Fatalf("third batch = %d keys", len(keys))
		}
		if got := zips(t, f.blob); len(got) != 3 {
			t.Fatalf("stored zips = %v", got)
		}
	})
}

func TestEmptyBatchesProduceNoFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		f := newFixture(t, db, testConfig(), nil)
		f.clock.Set(t0.Add(time.Minute))
		if n := f.run(t); n != 0 {
			t.Fatalf("built %d from an empty database", n)
		}
		if got := f.index(t); len(got) != 0 {
			t.Fatalf("index = %v, want empty", got)
		}
		// One key, then a long quiet time: only its batch gets a file.
		insert(t, db, keyAt(t, t0.Add(2*time.Minute)))
		f.clock.Set(t0.Add(time.Hour))
		if n := f.run(t); n != 1 {
			t.Fatalf("built %d, want 1", n)
		}
		want := []string{line(t0.Add(2*time.Minute), t0.Add(2*time.Minute+10*time.Second), 1)}
		if got := f.index(t); !slices.Equal(got, want) {
			t.Fatalf("index = %v, want %v", got, want)
		}
		// A key arriving in a period already passed as empty is not
		// exported (the window age exists to prevent this): check the
		// worker does not rebuild the past.
		insert(t, db, keyAt(t, t0.Add(30*time.Minute)))
		if n := f.run(t); n != 0 {
			t.Fatalf("rebuilt a past period: %d", n)
		}
	})
}

func TestMinWindowAge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		cfg := testConfig()
		cfg.MinWindowAge = 20 * time.Second
		f := newFixture(t, db, cfg, nil)
		insert(t, db, keyAt(t, t0.Add(5*time.Second)))
		for _, s := range []int{10, 20, 29} {
			f.clock.Set(t0.Add(time.Duration(s) * time.Second))
			if n := f.run(t); n != 0 {
				t.Fatalf("batch [t0, t0+10s) built at t0+%ds, before end + min window age", s)
			}
		}
		f.clock.Set(t0.Add(30 * time.Second))
		if n := f.run(t); n != 1 {
			t.Fatalf("built %d at t0+30s, want 1", n)
		}
	})
}

func TestEmbargoedKeysWaitForTheirTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		f := newFixture(t, db, testConfig(), nil)
		now := keyAt(t, t0)
		embargoed := keyAt(t, t0.Add(100*time.Second)) // still valid when published
		insert(t, db, now, embargoed)
		f.clock.Set(t0.Add(50 * time.Second))
		f.run(t)
		lines := f.index(t)
		if len(lines) != 1 {
			t.Fatalf("index = %v", lines)
		}
		for _, l := range lines {
			if _, ok := keySet(f.file(t, l).Export.Keys)[embargoed.key]; ok {
				t.Fatal("embargoed key exported before its created_at")
			}
		}
		f.clock.Set(t0.Add(110 * time.Second))
		if n := f.run(t); n != 1 {
			t.Fatalf("built %d, want 1", n)
		}
		lines = f.index(t)
		last := f.file(t, lines[len(lines)-1]).Export
		if len(last.Keys) != 1 || last.Keys[0].Data != embargoed.key || !last.Start.Equal(t0.Add(100*time.Second)) {
			t.Fatalf("embargoed key not in its batch: %v", lines)
		}
	})
}

func TestPadding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		cfg := testConfig()
		cfg.MinRecords, cfg.PaddingRange = 1000, 100
		f := newFixture(t, db, cfg, nil)
		real := []exposure{keyAt(t, t0), keyAt(t, t0.Add(time.Second)), keyAt(t, t0.Add(2*time.Second))}
		real[1].start, real[1].period, real[1].tr, real[1].reportType, real[1].dsos = 2_900_144, 100, 4, 2, nil
		real[2].reportType, real[2].dsos = 4, intp(-2)
		revisedAt := t0.Add(3 * time.Second)
		old := keyAt(t, t0.Add(-time.Hour))
		old.revisedType, old.revisedAt = intp(5), &revisedAt
		insert(t, db, append(real, old)...)
		f.clock.Set(t0.Add(10 * time.Second))
		if n := f.run(t); n != 2 { // the old key's batch, and t0's
			t.Fatalf("built %d", n)
		}
		lines := f.index(t)
		e := f.file(t, lines[len(lines)-1]).Export
		if len(e.Keys) < 1000 || len(e.Keys) > 1100 {
			t.Fatalf("padded batch has %d keys, want 1000..1100", len(e.Keys))
		}
		if len(e.RevisedKeys) != 1 {
			t.Fatalf("revised keys = %d, want 1 (revisions are not padded)", len(e.RevisedKeys))
		}
		if !slices.IsSortedFunc(e.Keys, func(a, b exportfile.Key) int { return bytes.Compare(a.Data[:], b.Data[:]) }) {
			t.Fatal("padded keys not sorted")
		}
		// Every fake copies the fields of some real key.
		type shape struct {
			start, period, tr int32
			rt                exportfile.ReportType
			dsos              int32
			has               bool
		}
		shapes := map[shape]bool{}
		for _, r := range real {
			s := shape{int32(r.start), int32(r.period), int32(r.tr), exportfile.ReportType(r.reportType), 0, r.dsos != nil}
			if r.dsos != nil {
				s.dsos = int32(*r.dsos)
			}
			shapes[s] = true
		}
		for _, k := range e.Keys {
			if !shapes[shape{k.RollingStart, k.RollingPeriod, k.TransmissionRisk, k.ReportType, k.DaysSinceOnset, k.HasDaysSinceOnset}] {
				t.Fatalf("fake key with fields no real key has: %+v", k)
			}
		}
		var stored int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM export_padding WHERE batch_start = ?`, t0.Unix()).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != len(e.Keys)-len(real) {
			t.Fatalf("persisted padding = %d, want %d", stored, len(e.Keys)-len(real))
		}

		// Rebuilding the batch (records and files lost) gives the same keys.
		ctx := context.Background()
		if _, err := db.Exec(ctx, `DELETE FROM export_batches`); err != nil {
			t.Fatal(err)
		}
		for _, z := range zips(t, f.blob) {
			if err := f.blob.Delete(ctx, z); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.run(t); n == 0 {
			t.Fatal("rebuild built nothing")
		}
		lines = f.index(t)
		again := f.file(t, lines[len(lines)-1]).Export
		if len(again.Keys) != len(e.Keys) {
			t.Fatalf("rebuild has %d keys, first build %d", len(again.Keys), len(e.Keys))
		}
		for i := range e.Keys {
			if e.Keys[i] != again.Keys[i] {
				t.Fatalf("rebuild differs at key %d", i)
			}
		}
	})
}

func TestRevisedKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		f := newFixture(t, db, testConfig(), nil)
		// Published in batch 1 as likely; revised in batch 2 to negative.
		likely := keyAt(t, t0)
		likely.reportType, likely.tr = 2, 4
		at := t0.Add(12 * time.Second)
		likely.revisedType, likely.revisedTR, likely.revisedAt = intp(5), intp(6), &at
		// Revised to confirmed with a new onset, keeping its risk.
		upgraded := keyAt(t, t0.Add(time.Second))
		upgraded.reportType = 2
		upgraded.revisedType, upgraded.revisedDSOS, upgraded.revisedAt = intp(1), intp(-1), &at
		insert(t, db, likely, upgraded)
		f.clock.Set(t0.Add(20 * time.Second))
		if n := f.run(t); n != 2 {
			t.Fatalf("built %d, want 2", n)
		}
		lines := f.index(t)
		first, second := f.file(t, lines[0]).Export, f.file(t, lines[1]).Export
		if len(first.Keys) != 2 || len(first.RevisedKeys) != 0 {
			t.Fatalf("first batch %d keys %d revised", len(first.Keys), len(first.RevisedKeys))
		}
		if k := keySet(first.Keys)[likely.key]; k.ReportType != exportfile.ReportTypeConfirmedClinicalDiagnosis || k.TransmissionRisk != 4 {
			t.Fatalf("original key = %+v", k)
		}
		if len(second.Keys) != 0 || len(second.RevisedKeys) != 2 {
			t.Fatalf("second batch %d keys %d revised", len(second.Keys), len(second.RevisedKeys))
		}
		rev := keySet(second.RevisedKeys)
		if k := rev[likely.key]; k.ReportType != exportfile.ReportTypeRevoked || k.TransmissionRisk != 6 || k.RollingStart != 2_900_000 {
			t.Fatalf("revoked key = %+v", k)
		}
		if k := rev[upgraded.key]; k.ReportType != exportfile.ReportTypeConfirmedTest || k.TransmissionRisk != 2 ||
			!k.HasDaysSinceOnset || k.DaysSinceOnset != -1 {
			t.Fatalf("upgraded key = %+v", k)
		}
	})
}

func TestSplitIntoSeveralFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		cfg := testConfig()
		cfg.MaxRecords = 3
		f := newFixture(t, db, cfg, nil)
		var rows []exposure
		for i := 0; i < 7; i++ {
			rows = append(rows, keyAt(t, t0.Add(time.Duration(i)*time.Second)))
		}
		at := t0.Add(9 * time.Second)
		rev := keyAt(t, t0.Add(-time.Hour))
		rev.revisedType, rev.revisedAt = intp(5), &at
		insert(t, db, append(rows, rev)...)
		f.clock.Set(t0.Add(10 * time.Second))
		if n := f.run(t); n != 2 {
			t.Fatalf("built %d batches, want 2 (the revised key's and t0's)", n)
		}
		end := t0.Add(10 * time.Second)
		want := []string{line(t0, end, 1), line(t0, end, 2), line(t0, end, 3)}
		got := f.index(t)[1:]
		if !slices.Equal(got, want) {
			t.Fatalf("index = %v, want %v", got, want)
		}
		var all []exportfile.Key
		var revised int
		ends := map[int64]bool{}
		for i, l := range got {
			e := f.file(t, l).Export
			if n := len(e.Keys) + len(e.RevisedKeys); n > 3 {
				t.Fatalf("file %d holds %d records, max 3", i+1, n)
			}
			if !e.Start.Equal(t0) || !e.End.Equal(end.Add(time.Duration(i+1)*time.Second)) {
				t.Fatalf("file %d spans %v..%v, want end = batch end + %d s", i+1, e.Start, e.End, i+1)
			}
			ends[e.End.Unix()] = true
			all = append(all, e.Keys...)
			revised += len(e.RevisedKeys)
		}
		if len(ends) != 3 || revised != 1 || len(all) != 7 {
			t.Fatalf("distinct ends %d, revised %d, keys %d", len(ends), revised, len(all))
		}
		if !slices.IsSortedFunc(all, func(a, b exportfile.Key) int { return bytes.Compare(a.Data[:], b.Data[:]) }) {
			t.Fatal("keys across files not in key order")
		}
		set := keySet(all)
		for _, r := range rows {
			if _, ok := set[r.key]; !ok {
				t.Fatal("a key is missing from the files")
			}
		}
	})
}

func TestConfigValidate(t *testing.T) {
	if err := export.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	bad := map[string]func(*export.Config){
		"period does not divide a day": func(c *export.Config) { c.Period = 7 * time.Hour },
		"fractional seconds":           func(c *export.Config) { c.Period = 1500 * time.Millisecond },
		"zero period":                  func(c *export.Config) { c.Period = 0 },
		"negative window":              func(c *export.Config) { c.MinWindowAge = -time.Second },
		"empty region":                 func(c *export.Config) { c.Region = "" },
		"region with space":            func(c *export.Config) { c.Region = "V N" },
		"retention under 10 days":      func(c *export.Config) { c.Retention = 9 * 24 * time.Hour },
		"no records per file":          func(c *export.Config) { c.MaxRecords = 0 },
		"padding above max":            func(c *export.Config) { c.MaxRecords = 1050 },
		"negative padding":             func(c *export.Config) { c.PaddingRange = -1 },
		"prefix without slash":         func(c *export.Config) { c.IndexPrefix = "exports" },
		"prefix absolute":              func(c *export.Config) { c.IndexPrefix = "/exports/" },
		"short lock":                   func(c *export.Config) { c.LockTTL = 0 },
		"zero tick":                    func(c *export.Config) { c.Tick = 0 },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			c := export.DefaultConfig()
			mutate(&c)
			if err := c.Validate(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	for _, p := range []time.Duration{time.Second, 10 * time.Second, 15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour} {
		c := export.DefaultConfig()
		c.Period = p
		if err := c.Validate(); err != nil {
			t.Errorf("period %v refused: %v", p, err)
		}
	}
}

func TestNewRefusesMissingDeps(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db, testConfig(), nil)
	ok := export.Deps{DB: db, Blob: f.blob, Clock: f.clock, Signers: []export.Signer{{Signer: f.key}}}
	cases := map[string]func(*export.Deps){
		"no db":      func(d *export.Deps) { d.DB = nil },
		"no blob":    func(d *export.Deps) { d.Blob = nil },
		"no clock":   func(d *export.Deps) { d.Clock = nil },
		"no signers": func(d *export.Deps) { d.Signers = nil },
		"nil signer": func(d *export.Deps) { d.Signers = []export.Signer{{KeyID: "452"}} },
		"bad key id": func(d *export.Deps) { d.Signers = []export.Signer{{KeyID: "45 2", Signer: f.key}} },
		"duplicate": func(d *export.Deps) {
			d.Signers = []export.Signer{{Signer: f.key}, {KeyID: "452", KeyVersion: "v1", Signer: f.key}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := ok
			mutate(&d)
			if _, err := export.New(testConfig(), d); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := export.New(testConfig(), ok); err != nil {
		t.Fatal(err)
	}
}

// TestFieldsSurviveTheDatabase checks every field's extremes through both
// engines, and that rows the key server could never store are skipped
// rather than exported garbled.
func TestFieldsSurviveTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		f := newFixture(t, db, testConfig(), nil)
		var good []exposure
		for i, c := range []struct {
			start, period, tr, rt int
			dsos                  *int
		}{
			{2_900_000, 144, 0, 1, intp(-14)},
			{2_900_144, 1, 8, 2, intp(14)},
			{2_900_288, 143, 6, 4, intp(0)},
			{2_900_432, 144, 3, 1, nil},
		} {
			e := keyAt(t, t0.Add(time.Duration(i)*time.Second))
			e.start, e.period, e.tr, e.reportType, e.dsos = c.start, c.period, c.tr, c.rt, c.dsos
			good = append(good, e)
		}
		insert(t, db, good...)
		bad := keyAt(t, t0)
		bad.reportType = 99
		insert(t, db, bad)
		f.clock.Set(t0.Add(10 * time.Second))
		f.run(t)
		keys := keySet(f.file(t, f.index(t)[0]).Export.Keys)
		if len(keys) != len(good) {
			t.Fatalf("exported %d keys, want %d (the out-of-range row skipped)", len(keys), len(good))
		}
		for _, e := range good {
			k := keys[e.key]
			if int(k.RollingStart) != e.start || int(k.RollingPeriod) != e.period || int(k.TransmissionRisk) != e.tr ||
				int(k.ReportType) != e.reportType || k.HasDaysSinceOnset != (e.dsos != nil) ||
				(e.dsos != nil && int(k.DaysSinceOnset) != *e.dsos) {
				t.Errorf("stored %+v exported as %+v", e, k)
			}
		}
	})
}
