package publish

import (
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/langbuild/langbuild/transport"
)

func img(t *testing.T) (v1.Image, string) {
	t.Helper()
	i, err := random.Image(300, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := i.Digest()
	return i, d.String()
}

func TestRegistryWithTags(t *testing.T) {
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	p, err := New(host+"/app:dev", Options{Tags: []string{"v1", "latest"}})
	if err != nil {
		t.Fatal(err)
	}
	i, d := img(t)
	res, err := Multi(p).Publish(context.Background(), i)
	if err != nil {
		t.Fatal(err)
	}
	if want := host + "/app@" + d; len(res.References) != 1 || res.References[0] != want || res.Digest != d {
		t.Errorf("result %+v, want %s", res, want)
	}
	for _, tag := range []string{"dev", "v1", "latest"} {
		ref, _ := name.ParseReference(host + "/app:" + tag)
		desc, err := remote.Head(ref)
		if err != nil || desc.Digest.String() != d {
			t.Errorf("tag %s: %v %v", tag, desc, err)
		}
	}
}

func TestRegistryRefusals(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"Bad Ref", "not a valid image reference"},
		{"127.0.0.1:5000/app@sha256:" + strings.Repeat("a", 64), "push to a tag"},
	} {
		if _, err := New(tc.out, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.out, err, tc.want)
		}
	}
}

func TestLayoutReplacesByRefName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	ctx := context.Background()
	p, err := New("oci:"+dir+":v1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := img(t)
	b, db := img(t)
	if _, err := p.Publish(ctx, a); err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.References[0] != "oci:"+dir+":v1@"+db {
		t.Errorf("reference %s", res.References[0])
	}
	var idx v1.IndexManifest
	raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	json.Unmarshal(raw, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest.String() != db || idx.Manifests[0].Annotations[RefNameAnnotation] != "v1" {
		t.Errorf("index %s", raw)
	}
}

func TestTarball(t *testing.T) {
	file := filepath.Join(t.TempDir(), "img.tar")
	p, err := New("tar:"+file, Options{Name: "example.com/app:v2"})
	if err != nil {
		t.Fatal(err)
	}
	i, d := img(t)
	if _, err := p.Publish(context.Background(), i); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("example.com/app:v2")
	got, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(got); err != nil {
		t.Fatal(err)
	}
	if gd, _ := got.Digest(); gd.String() != d {
		t.Errorf("digest %s, want %s", gd, d)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".img.tar.*")); len(matches) != 0 {
		t.Errorf("temp files left: %v", matches)
	}

	// An unwritable place fails and leaves nothing.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	p, _ = New("tar:"+filepath.Join(blocker, "x.tar"), Options{})
	if _, err := p.Publish(context.Background(), i); err == nil || !strings.Contains(err.Error(), "x.tar") {
		t.Errorf("unwritable: %v", err)
	}
}

// A registry that refuses the manifest once for a blob it lost gets a
// second, complete push.
func TestRegistryPushesAgainWhenABlobIsLost(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	refused := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && refused == 0 {
			refused++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}`))
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	p, err := New(host+"/app:dev", Options{})
	if err != nil {
		t.Fatal(err)
	}
	i, d := img(t)
	res, err := p.Publish(context.Background(), i)
	if err != nil || res.Digest != d || refused != 1 {
		t.Fatalf("publish: %+v %v (refused %d)", res, err, refused)
	}
	ref, _ := name.ParseReference(host + "/app:dev")
	if desc, err := remote.Head(ref); err != nil || desc.Digest.String() != d {
		t.Errorf("tag: %v %v", desc, err)
	}
}

// A push whose Bearer token expires midway (the registry refuses a blob
// upload's PATCH) renews the token and sends the upload again, body and all.
func TestRegistryRenewsAnExpiredToken(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var (
		mu         sync.Mutex
		issued     int
		expiredOne string // the PATCH refused for an expired token
		sentAgain  bool
		expired    = map[string]bool{}
	)
	var s *httptest.Server
	s = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/token" {
			issued++
			fmt.Fprintf(w, `{"token": "t%d", "expires_in": 60}`, issued)
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var n int
		fmt.Sscanf(tok, "t%d", &n)
		valid := n >= 1 && n <= issued && !expired[tok]
		if valid && r.Method == http.MethodPatch && expiredOne == "" {
			// The token runs out now: this upload and any later request
			// carrying it are refused.
			expiredOne, expired[tok], valid = r.URL.Path, true, false
		}
		if !valid {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="test"`, s.URL))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPatch && r.URL.Path == expiredOne {
			sentAgain = true
		}
		reg.ServeHTTP(w, r)
	}))
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	var sent atomic.Int64 // with a progress count, as in a terminal
	p, err := New(host+"/app:dev", Options{Registry: transport.Options{Keychain: authn.NewMultiKeychain(), Retries: -1},
		Uploaded: func(n int64) { sent.Add(n) }})
	if err != nil {
		t.Fatal(err)
	}
	i, d := img(t)
	res, err := p.Publish(context.Background(), i)
	if err != nil || res.Digest != d {
		t.Fatalf("publish: %+v %v", res, err)
	}
	mu.Lock()
	last := fmt.Sprintf("t%d", issued)
	ok := expiredOne != "" && sentAgain && issued >= 2
	mu.Unlock()
	if !ok {
		t.Fatalf("refused PATCH %q, sent again %v, %d tokens: the test did not expire a token midway", expiredOne, sentAgain, issued)
	}
	ref, _ := name.ParseReference(host + "/app:dev")
	got, err := remote.Image(ref, remote.WithAuth(&authn.Bearer{Token: last}))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(got); err != nil {
		t.Errorf("pushed image: %v", err)
	}
}
