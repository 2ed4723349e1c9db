package gather

import (
	"context"
	"testing"
	"time"
)

func TestBatch(t *testing.T) {
	ctx := context.Background()
	q := make(chan int, 10)

	// Waiting items are taken at once, up to max.
	for i := range 5 {
		q <- i
	}
	if got := Batch(ctx, q, nil, 0, 0, 3); len(got) != 3 || got[2] != 2 {
		t.Fatalf("waiting items: %v, want [0 1 2]", got)
	}
	if got := Batch(ctx, q, nil, 0, 0, 10); len(got) != 2 {
		t.Fatalf("the rest: %v, want [3 4]", got)
	}

	// Items arriving within the delay join until want is reached.
	go func() {
		for i := range 2 {
			time.Sleep(5 * time.Millisecond)
			q <- 10 + i
		}
	}()
	start := time.Now()
	got := Batch(ctx, q, []int{9}, 5*time.Second, 3, 10)
	if len(got) != 3 || time.Since(start) > 4*time.Second {
		t.Fatalf("gathered %v in %v, want 3 items well before the delay", got, time.Since(start))
	}

	// The delay ends the wait; so does ctx.
	start = time.Now()
	if got := Batch(ctx, q, []int{1}, 30*time.Millisecond, 5, 10); len(got) != 1 || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("after the delay: %v in %v", got, time.Since(start))
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	start = time.Now()
	if got := Batch(cctx, q, []int{1}, 5*time.Second, 5, 10); len(got) != 1 || time.Since(start) > time.Second {
		t.Fatalf("ended ctx: %v in %v", got, time.Since(start))
	}
}
