package publish

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// swappableRegistry is an in-memory registry that a test can replace by an
// empty one at the same address (a wiped registry), counting the requests.
// Like docker-registry, and unlike ggcr's registry alone, it refuses a
// manifest whose blobs it does not have, and tells an upload's state.
type swappableRegistry struct {
	mu       sync.Mutex
	reg      http.Handler
	requests []string // "METHOD path"
}

func newSwappableRegistry(t *testing.T) (*swappableRegistry, string) {
	s := &swappableRegistry{}
	s.wipe()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, strings.TrimPrefix(srv.URL, "http://")
}

// intercept puts f in front of the registry: f answers a request itself by
// returning true. restore puts the registry back as it was.
func (s *swappableRegistry) intercept(f func(w http.ResponseWriter, r *http.Request) bool) (restore func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inner := s.reg
	s.reg = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f(w, r) {
			inner.ServeHTTP(w, r)
		}
	})
	return func() {
		s.mu.Lock()
		s.reg = inner
		s.mu.Unlock()
	}
}

// refuseOnce answers the first request whose "METHOD path" starts with
// prefix with status and the registry error code; refused counts the
// refusals (0 or 1).
func (s *swappableRegistry) refuseOnce(prefix string, status int, code string) (refused *atomic.Int32, restore func()) {
	refused = &atomic.Int32{}
	restore = s.intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.Method+" "+r.URL.Path, prefix) || !refused.CompareAndSwap(0, 1) {
			return false
		}
		http.Error(w, `{"errors":[{"code":"`+code+`","message":"injected"}]}`, status)
		return true
	})
	return refused, restore
}

func (s *swappableRegistry) wipe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reg = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
}

func (s *swappableRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	reg := s.reg
	s.mu.Unlock()
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/uploads/") {
		// The state of an upload, which ggcr's registry does not answer.
		w.Header().Set("Location", r.URL.String())
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
		body, _ := io.ReadAll(r.Body)
		if !blobsPresent(reg, r.URL.Path, body) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	reg.ServeHTTP(w, r)
}

// blobsPresent reports whether reg has every blob of the manifest put at path.
func blobsPresent(reg http.Handler, path string, manifest []byte) bool {
	m, err := v1.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		return true // not an image manifest: the registry judges it
	}
	repo := path[:strings.Index(path, "/manifests/")]
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, repo+"/blobs/"+d.Digest.String(), nil))
		if rec.Code != http.StatusOK {
			return false
		}
	}
	return true
}

// take returns the requests since the last call.
func (s *swappableRegistry) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.requests
	s.requests = nil
	return out
}

func count(reqs []string, method, pathPart string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, pathPart) {
			n++
		}
	}
	return n
}

// changed returns img with one more random layer: an edit of the program.
func changed(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	l, err := random.Layer(200, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	out, err := mutate.AppendLayers(img, l)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func publishTo(t *testing.T, ref string, dir string, img v1.Image) Result {
	t.Helper()
	p, err := New(ref, Options{PushedDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(context.Background(), img)
	if err != nil {
		t.Fatalf("publish %s: %v", ref, err)
	}
	return res
}

func checkTag(t *testing.T, ref string, want v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(r)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	wd, _ := want.Digest()
	if gd, _ := got.Digest(); gd != wd {
		t.Errorf("%s names %s, want %s", ref, gd, wd)
	}
	if err := validate.Image(got); err != nil {
		t.Errorf("%s: %v", ref, err)
	}
}

// pushedFirst starts a registry and pushes a first image to host/app:dev,
// recording its blobs in dir.
func pushedFirst(t *testing.T) (reg *swappableRegistry, host, dir string, first v1.Image) {
	t.Helper()
	reg, host = newSwappableRegistry(t)
	dir = t.TempDir()
	first, _ = img(t)
	publishTo(t, host+"/app:dev", dir, first)
	return reg, host, dir, first
}

// A second push to a repository asks only about blobs an earlier push did
// not place there; an image it pushed before costs one manifest check.
func TestPushedBlobsAreNotAskedAbout(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"
	if reqs := reg.take(); count(reqs, "HEAD", "/blobs/") != 3 {
		t.Errorf("first push: want a check for each of 3 blobs, got %q", reqs)
	}
	old, err := imageBlobs(first)
	if err != nil {
		t.Fatal(err)
	}

	second := changed(t, first)
	res := publishTo(t, ref, dir, second)
	reqs := reg.take()
	for _, l := range old {
		d, _ := l.Digest()
		if n := count(reqs, "HEAD", "/blobs/"+d.String()); n != 0 {
			t.Errorf("second push asked about %s, which the first placed: %q", d, reqs)
		}
	}
	// The new layer and the new config are uploaded; nothing else.
	if n := count(reqs, "PUT", "/blobs/uploads/"); n != 2 || len(res.Written) != 2 {
		t.Errorf("second push: %d blobs committed, %d written, want 2: %q", n, len(res.Written), reqs)
	}
	checkTag(t, ref, second)

	publishTo(t, ref, dir, second)
	reqs = reg.take()
	if count(reqs, "HEAD", "/manifests/dev") != 1 || count(reqs, "PUT", "") != 0 || count(reqs, "HEAD", "/blobs/") != 0 {
		t.Errorf("unchanged push: want one manifest check and nothing else, got %q", reqs)
	}

	// Another repository has its own record.
	publishTo(t, host+"/other:dev", dir, second)
	if reqs := reg.take(); count(reqs, "HEAD", "/blobs/") != 4 {
		t.Errorf("other repository: want a check for each of 4 blobs, got %q", reqs)
	}
}

// A registry wiped (or replaced at the same address) since the record was
// written refuses the manifest; the push forgets the record, checks every
// blob and ends with a complete image behind the tag.
func TestPushedBlobsRegistryWiped(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"

	reg.wipe()
	reg.take()
	second := changed(t, first)
	publishTo(t, ref, dir, second)
	reqs := reg.take()
	if n := count(reqs, "PUT", "/manifests/"); n != 2 {
		t.Errorf("want the manifest refused once, then accepted: %d manifest PUTs in %q", n, reqs)
	}
	checkTag(t, ref, second)
	reg.take()

	// The record now holds what the new registry has.
	third := changed(t, second)
	publishTo(t, ref, dir, third)
	reqs = reg.take()
	if n := count(reqs, "HEAD", "/blobs/"); n > 2 || count(reqs, "PUT", "/manifests/") != 1 {
		t.Errorf("after the wipe: %d blob checks, want at most the 2 new blobs, and one manifest PUT: %q", n, reqs)
	}
	checkTag(t, ref, third)
}

// A damaged record is an empty one.
func TestPushedBlobsDamagedRecord(t *testing.T) {
	reg, host, dir, first := pushedFirst(t)
	ref := host + "/app:dev"
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("want one record file, got %q", files)
	}
	if err := os.WriteFile(files[0], []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg.take()
	second := changed(t, first)
	publishTo(t, ref, dir, second)
	if reqs := reg.take(); count(reqs, "HEAD", "/blobs/") != 4 {
		t.Errorf("damaged record: want every blob checked, got %q", reqs)
	}
	checkTag(t, ref, second)
}
