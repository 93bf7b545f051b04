package transport

import (
	"context"
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

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
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

// staticKeychain gives every registry the same credentials.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

// A registry whose /v2/ asks for nothing is open to a client with no
// credentials for it: PushClient says so, and given that answer back it
// asks the registry nothing. With credentials configured it is never
// taken to be open: they are sent.
func TestPushClientOpenRegistry(t *testing.T) {
	var pings, auths int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			pings++
		}
		if r.Header.Get("Authorization") != "" {
			auths++
		}
	}))
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/app")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := Options{Keychain: staticKeychain{authn.Anonymous}}

	c, open, err := o.PushClient(ctx, repo, "")
	if err != nil || open != "http" || pings == 0 {
		t.Fatalf("open %q, %d pings, %v; want http after a ping", open, pings, err)
	}
	pings = 0
	c, open, err = o.PushClient(ctx, repo, "http")
	if err != nil || open != "http" || pings != 0 {
		t.Fatalf("known open: %q, %d pings, %v; want no ping", open, pings, err)
	}
	resp, err := c.Get("https://" + repo.RegistryStr() + "/v2/app/tags/list")
	if err != nil {
		t.Fatalf("the client did not use the scheme the registry answered on: %v", err)
	}
	resp.Body.Close()

	o.Keychain = staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "u", Password: "p"})}
	c, open, err = o.PushClient(ctx, repo, "http")
	if err != nil || open != "" {
		t.Fatalf("with credentials: open %q, %v; want not open", open, err)
	}
	resp, err = c.Get(srv.URL + "/v2/app/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if auths == 0 {
		t.Error("credentials configured for the registry were not sent")
	}
}
