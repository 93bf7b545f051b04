package transport

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestLoadCAs(t *testing.T) {
	a, b := httptest.NewTLSServer(nil), httptest.NewTLSServer(nil)
	defer a.Close()
	defer b.Close()
	pemOf := func(s *httptest.Server) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one.pem", pemOf(a))
	bundle := write("bundle.pem", pemOf(a)+"# a comment between\n"+pemOf(b))
	empty := write("empty.pem", "not a certificate\n")
	bad := write("bad.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})))

	for _, tc := range []struct {
		name    string
		files   []string
		trusted []*httptest.Server
		wantErr string
	}{
		{name: "one", files: []string{one}, trusted: []*httptest.Server{a}},
		{name: "bundle", files: []string{bundle}, trusted: []*httptest.Server{a, b}},
		{name: "missing", files: []string{filepath.Join(dir, "nope.pem")}, wantErr: "nope.pem: no such file"},
		{name: "no PEM", files: []string{empty}, wantErr: "empty.pem holds no PEM certificate"},
		{name: "bad certificate", files: []string{bad}, wantErr: "bad.pem: certificate 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool, err := LoadCAs(tc.files...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadCAs() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.trusted {
				if _, err := s.Certificate().Verify(x509.VerifyOptions{Roots: pool}); err != nil {
					t.Errorf("%s is not trusted: %v", s.URL, err)
				}
			}
		})
	}
}

// TestRemoteTrustsRootCAs pushes to and pulls from a TLS registry whose
// certificate only RootCAs vouches for.
func TestRemoteTrustsRootCAs(t *testing.T) {
	srv := httptest.NewTLSServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	untrusted := Options{Retries: -1}
	ref, err := untrusted.ParseReference(strings.TrimPrefix(srv.URL, "https://") + "/ca/test:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, untrusted.Remote(ctx)...); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("push without the CA: error = %v, want a certificate error", err)
	}

	pool, err := LoadCAs(caFile)
	if err != nil {
		t.Fatal(err)
	}
	trusted := Options{Retries: -1, RootCAs: pool}
	if err := remote.Write(ref, img, trusted.Remote(ctx)...); err != nil {
		t.Fatalf("push with the CA: %v", err)
	}
	if _, err := remote.Get(ref, trusted.Remote(ctx)...); err != nil {
		t.Fatalf("pull with the CA: %v", err)
	}
}
