package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/bluezone-vn/bluezone/store"
)

// recorder keeps the errors reported to it instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAssertNotStored(t *testing.T) {
	Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE notes (id INTEGER, body TEXT, n INTEGER)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO notes VALUES (1, 'the code is 12345678', 42), (2, NULL, 7)`); err != nil {
			t.Fatal(err)
		}
		if got := Tables(t, db); len(got) != 1 || got[0] != "notes" {
			t.Fatalf("Tables = %v", got)
		}
		r := &recorder{TB: t}
		AssertNotStored(r, db, map[string][]byte{"code": []byte("12345678"), "number": []byte("42"), "absent": []byte("zzz"), "empty": nil})
		if len(r.errs) != 2 {
			t.Fatalf("reported %q; want the code and the number", r.errs)
		}
	})
}
