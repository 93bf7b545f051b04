package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
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

// A registry that did not answer in time is tried again (net/http's timeout
// error also says it is context.DeadlineExceeded, which go-containerregistry's
// own predicate does not retry); the caller's deadline and cancellation are
// not, nor is a refusal.
func TestRetryable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	tr := &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}
	_, headerTimeout := (&http.Client{Transport: tr}).Get(srv.URL)
	if headerTimeout == nil || !errors.Is(headerTimeout, context.DeadlineExceeded) {
		t.Fatalf("want net/http's header timeout, which says it is a deadline: %v", headerTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, ownDeadline := http.DefaultClient.Do(req)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"registry did not answer in time", headerTimeout, true},
		{"connection reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"unexpected EOF", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"the caller's deadline", ownDeadline, false},
		{"cancelled", fmt.Errorf("pushing: %w", context.Canceled), false},
		{"refused", errors.New("UNAUTHORIZED"), false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("%s (%v): retryable %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
