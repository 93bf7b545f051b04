package transport

import (
	"testing"
	"time"
)

// Every retry the user asks for happens, and no wait exceeds the cap.
func TestBackoffKeepsCountUnderCap(t *testing.T) {
	for _, retries := range []int{1, 2, 5, 10, 30} {
		b := backoff(retries)
		b.Jitter = 0
		var waits []time.Duration
		d := b.Duration
		for range retries {
			waits = append(waits, d)
			d = time.Duration(float64(d) * b.Factor)
		}
		if b.Steps != retries+1 {
			t.Errorf("%d retries: %d steps", retries, b.Steps)
		}
		if last := waits[len(waits)-1]; last > 10*time.Second+time.Millisecond {
			t.Errorf("%d retries: waits %v exceed the cap", retries, waits)
		}
	}
}
