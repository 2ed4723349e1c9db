package app

import (
	"testing"

	"github.com/bluezone-vn/bluezone/store/storetest"
)

// assertNotStored fails if any of the given values appears anywhere in the
// app's database.
func assertNotStored(t *testing.T, a *App, values map[string]string) {
	t.Helper()
	if tables := storetest.Tables(t, a.DB()); len(tables) < 10 {
		t.Fatalf("found only %d tables: %v", len(tables), tables)
	}
	secrets := make(map[string][]byte, len(values))
	for what, v := range values {
		secrets[what] = []byte(v)
	}
	storetest.AssertNotStored(t, a.DB(), secrets)
}
