package portal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestQueryPlans checks on SQLite that the list and report queries search
// an index and never scan a table or sort in a temporary B-tree, so their
// cost does not grow with the number of cases.
func TestQueryPlans(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	seedCases(t, e, 3000)
	ctx := context.Background()
	// Two provinces, so that a province filter means something to ANALYZE.
	if _, err := e.db.Exec(ctx, `UPDATE portal_cases SET province = '01' WHERE id % 3 <> 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT * FROM portal_cases WHERE province = '67' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_cases WHERE province = '67' AND id < 1000 ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_cases WHERE province = '67' AND district = '663' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_cases WHERE province = '67' AND status = 'confirmed' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_cases WHERE province = '67' AND district = '663' AND status = 'confirmed' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_cases WHERE province = '67' AND ref = 'BN-67-000123' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_codes WHERE case_id = 5 ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_codes WHERE state = 'pending' ORDER BY long_expires_at LIMIT 500`,
		`SELECT * FROM portal_daily WHERE day >= 18000 AND day <= 18500 AND province = '67' ORDER BY day, province, district`,
		`SELECT * FROM portal_audit WHERE username = 'x' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_audit WHERE action = 'login' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_audit WHERE realm = '67' ORDER BY id DESC LIMIT 50`,
		`SELECT * FROM portal_sessions WHERE user_id = 3`,
	} {
		rows, err := e.db.Query(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			plan = append(plan, d)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "SCAN portal_") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s\n  plan: %s", q, p)
		}
	}
}
