package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/store/storetest"
)

// TestRunShort runs every phase briefly on both engines: the tool's own
// checks (stored counters equal the acknowledged check-ins) must pass and it
// must report each phase and the ceiling.
func TestRunShort(t *testing.T) {
	for _, db := range []string{"sqlite", storetest.PostgresURL()} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"--db", db, "--duration", "300ms", "--clients", "8", "--max-rate", "2000"}, &out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", db, err, out.String())
		}
		for _, want := range []string{"returning (", "daily (10% new) (", "new (", "bare net/http JSON ceiling"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", db, want, out.String())
			}
		}
	}
	if err := run(context.Background(), []string{"--db", "mysql://x"}, &bytes.Buffer{}); err == nil {
		t.Error("a bad --db was accepted")
	}
}
