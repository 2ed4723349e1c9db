package export

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestSQLiteRangeReadMatchesIndexRead checks that reading a batch in rowid
// ranges on several connections returns exactly what the index query
// returns, for a dense batch (ranges used) and a sparse one (index used).
func TestSQLiteRangeReadMatchesIndexRead(t *testing.T) {
	old := parallelReadMin
	parallelReadMin = 10
	t.Cleanup(func() { parallelReadMin = old })
	ctx := context.Background()
	db := storetest.SQLite(t)
	if err := keyserver.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	// Rows 0..2999: batch 100 is dense in rows 0..1999 (every 4th row goes
	// to batch 200), batch 300 is every 10th row of the rest (sparse).
	for i := 0; i < 3000; i++ {
		created := int64(100)
		switch {
		case i < 2000 && i%4 == 3:
			created = 200
		case i >= 2000 && i%10 == 0:
			created = 300
		case i >= 2000:
			created = 400
		}
		var k [16]byte
		rand.Read(k[:])
		var dsos any
		if i%3 != 0 {
			dsos = int64(i%29 - 14)
		}
		if _, err := db.Exec(ctx, `INSERT INTO exposures (exposure_key, rolling_start, rolling_period, transmission_risk,
			report_type, days_since_onset, health_authority, created_at) VALUES (?, ?, ?, ?, ?, ?, 'x', ?)`,
			k[:], 2_900_000+i, 1+i%144, i%9, 1+i%2, dsos, created); err != nil {
			t.Fatal(err)
		}
	}
	for _, batch := range []int64{100, 200, 300} {
		want, _, err := readKeys(ctx, db, nil, selectKeys, batch, batch+1)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := readKeysSQLite(ctx, db, batch, batch+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("batch %d: %d keys by ranges, %d by index", batch, len(got), len(want))
		}
		byKey := map[[16]byte]exportfile.Key{}
		for _, k := range want {
			byKey[k.Data] = k
		}
		for _, k := range got {
			if byKey[k.Data] != k {
				t.Fatalf("batch %d: key read differently: %+v vs %+v", batch, k, byKey[k.Data])
			}
		}
	}
}
