package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A registry that accepts an upload and stops reading it fails the request
// after ResponseTimeout, rather than holding the push for ever: the header
// timeout alone only starts once the request is written.
func TestStalledUploadTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }() // never read

		}
	}()

	client := &http.Client{Transport: Options{ResponseTimeout: 200 * time.Millisecond}.httpTransport()}
	body := io.LimitReader(zeros{}, 1<<30)
	start := time.Now()
	resp, err := client.Post("http://"+ln.Addr().String()+"/v2/app/blobs/uploads/x", "application/octet-stream", body)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the upload to a registry that reads nothing succeeded")
	}
	t.Logf("stalled upload: %v", err)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %v, want a deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a stall of 200 ms failed after %s", d)
	}
}

// An answer that keeps coming, slowly, is not cut: the deadline bounds a
// stall, not the whole transfer.
func TestSlowTransferGoesOn(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 12 {
			w.Write([]byte(strings.Repeat("x", 1024)))
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	}))
	defer s.Close()
	client := &http.Client{Transport: Options{ResponseTimeout: 200 * time.Millisecond}.httpTransport()}
	resp, err := client.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != 12*1024 {
		t.Fatalf("read %d bytes, %v; want 12 KiB over 600 ms with a 200 ms stall limit", len(b), err)
	}
}

func TestBriefDropsUploadState(t *testing.T) {
	err := Brief(fmt.Errorf("pushing h/app:1: %w", &url.Error{
		Op: "Patch", URL: "http://h/v2/app/blobs/uploads/u1?_state=" + strings.Repeat("x", 300), Err: io.ErrUnexpectedEOF}))
	if want := `pushing h/app:1: Patch "http://h/v2/app/blobs/uploads/u1": unexpected EOF`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("the cause is lost: %v", err)
	}
}
