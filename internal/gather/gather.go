// Package gather collects the requests of a group-commit writer into one
// batch: those that arrive within a short delay, then those already
// waiting. The key server's publish writer and the check-in writer use it.
package gather

import (
	"context"
	"time"
)

// Batch appends to batch what arrives on queue within delay (from the
// call) while batch holds fewer than want items, stopping early when ctx
// ends; then whatever is already waiting, up to max items in all. With a
// delay of 0 it only takes what is waiting.
func Batch[T any](ctx context.Context, queue <-chan T, batch []T, delay time.Duration, want, max int) []T {
	want = min(want, max)
	if delay > 0 && len(batch) < want {
		timer := time.NewTimer(delay)
		defer timer.Stop()
	wait:
		for len(batch) < want {
			select {
			case v := <-queue:
				batch = append(batch, v)
			case <-timer.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
	}
	for len(batch) < max {
		select {
		case v := <-queue:
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}
